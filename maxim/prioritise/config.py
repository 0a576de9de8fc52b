"""The harm weights (`maxim/reference/harm.yaml`), loaded and checked once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class HarmConfig:
    version: str
    method: str
    protected: frozenset[str]
    weak_sources: tuple[str, ...]
    weak_assessments: tuple[str, ...]
    source_weight: dict[str, float]
    assessment_weight: dict[str, float]
    harm: dict[str, dict[str, Any]]
    geographic_scope: dict[str, float]
    national_originators: frozenset[str]
    regional_at: int
    force_at: int
    half_life_days: float
    frequency: list[tuple[float, float]]
    confidence: dict[str, Any]
    opportunity: list[tuple[float, float]]
    keywords: dict[str, tuple[str, ...]]
    exploitation: dict[str, tuple[str, ...]]
    themes: dict[str, str]
    roles: dict[str, tuple[str, ...]]


def _pairs(value: Any) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in value]


def parse_config(data: dict[str, Any]) -> HarmConfig:
    try:
        harm = dict(data["harm"])
        grading = data["grading"]
        return HarmConfig(
            version=str(data["version"]),
            method=str(data["method"]),
            protected=frozenset(data["protected_properties"]),
            weak_sources=tuple(str(s) for s in grading["weak"]["source_evaluation"]),
            weak_assessments=tuple(str(s) for s in grading["weak"]["intelligence_assessment"]),
            source_weight={str(k): float(v) for k, v in grading["source_weight"].items()},
            assessment_weight={str(k): float(v) for k, v in grading["assessment_weight"].items()},
            harm={k: v for k, v in harm.items() if isinstance(v, dict) and k != "geographic_scope"},
            geographic_scope={k: float(v) for k, v in harm["geographic_scope"].items()},
            national_originators=frozenset(harm["national_originators"]),
            regional_at=int(harm["regional_at"]),
            force_at=int(harm["force_at"]),
            half_life_days=float(data["likelihood"]["recency_half_life_days"]),
            frequency=_pairs(data["likelihood"]["frequency"]["thresholds"]),
            confidence=dict(data["confidence"]),
            opportunity=_pairs(data["organisational_position"]["opportunity"]["thresholds"]),
            keywords={k: tuple(v) for k, v in data["keywords"].items()},
            exploitation={k: tuple(v) for k, v in data["exploitation"].items()},
            themes={str(k): str(v) for k, v in data["themes"].items()},
            roles={k: tuple(v) for k, v in data["roles"].items()},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"harm.yaml is not valid: {exc!r}; compare it with the shipped file") from exc


@cache
def load_harm_config() -> HarmConfig:
    text = (resources.files("maxim.reference") / "harm.yaml").read_text(encoding="utf-8")
    return parse_config(yaml.safe_load(text))
