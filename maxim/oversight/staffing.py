"""Appendix 1: police and staff numbers and cost on OIC work, by unit. Pure.

The committee wants to see who is paid for by whom: posts funded by a time-limited grant are the
ones at risk when it ends (para 13, 21). FTE is held in hundredths and cost in pence, so the
totals add up exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

import yaml

from maxim.domain.errors import FieldError, ValidationFailed

CATEGORIES = ("police", "staff")


@dataclass(frozen=True, slots=True)
class Post:
    unit: str
    post: str
    category: str
    fte_hundredths: int
    cost_pence: int
    funding_source: str

    @property
    def fte(self) -> Decimal:
        return Decimal(self.fte_hundredths) / 100


@dataclass(frozen=True, slots=True)
class Staffing:
    version: str
    illustrative: bool
    financial_year: int
    funding_sources: dict[str, str]
    posts: tuple[Post, ...]

    def by_unit(self) -> list[dict[str, Any]]:
        """Per unit: police FTE, staff FTE, cost, and cost per funding source."""
        units: dict[str, dict[str, Any]] = {}
        for p in self.posts:
            row = units.setdefault(
                p.unit,
                {"unit": p.unit, "police_fte": 0, "staff_fte": 0, "cost_pence": 0, "by_source_pence": defaultdict(int)},
            )
            row[f"{p.category}_fte"] += p.fte_hundredths
            row["cost_pence"] += p.cost_pence
            row["by_source_pence"][p.funding_source] += p.cost_pence
        out = []
        for row in units.values():
            row["police_fte"] = Decimal(row["police_fte"]) / 100
            row["staff_fte"] = Decimal(row["staff_fte"]) / 100
            row["by_source_pence"] = dict(row["by_source_pence"])
            out.append(row)
        return out

    def totals(self) -> dict[str, Any]:
        by_source: defaultdict[str, int] = defaultdict(int)
        for p in self.posts:
            by_source[p.funding_source] += p.cost_pence
        return {
            "police_fte": Decimal(sum(p.fte_hundredths for p in self.posts if p.category == "police")) / 100,
            "staff_fte": Decimal(sum(p.fte_hundredths for p in self.posts if p.category == "staff")) / 100,
            "cost_pence": sum(p.cost_pence for p in self.posts),
            "by_source_pence": dict(by_source),
        }


def parse_staffing(data: Mapping[str, Any], units: Iterable[str]) -> Staffing:
    """Validate a staffing file (`maxim/reference/staffing.yaml`'s format); every fault at once."""
    errors: list[FieldError] = []
    known = set(units)
    sources = {str(k): str(v) for k, v in (data.get("funding_sources") or {}).items()}
    posts: list[Post] = []
    for i, row in enumerate(data.get("posts") or []):
        where = f"posts[{i}]"
        before = len(errors)
        if row.get("unit") not in known:
            errors.append(FieldError(f"{where}.unit", f"unknown unit {row.get('unit')!r} (units.yaml)"))
        if row.get("category") not in CATEGORIES:
            errors.append(FieldError(f"{where}.category", "must be police or staff"))
        if row.get("funding_source") not in sources:
            errors.append(FieldError(f"{where}.funding_source", "must be one of funding_sources"))
        try:
            fte = Decimal(str(row.get("fte")))
            cost = Decimal(str(row.get("cost_gbp")))
        except InvalidOperation:
            errors.append(FieldError(where, "fte and cost_gbp must be numbers"))
            continue
        if fte <= 0 or cost < 0:
            errors.append(FieldError(where, "fte must be above 0 and cost_gbp 0 or more"))
        if len(errors) > before:
            continue
        posts.append(
            Post(
                unit=str(row["unit"]),
                post=str(row.get("post", "")),
                category=str(row["category"]),
                fte_hundredths=int(fte * 100),
                cost_pence=int(cost * 100),
                funding_source=str(row["funding_source"]),
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return Staffing(
        version=str(data.get("version", "")),
        illustrative=bool(data.get("illustrative", False)),
        financial_year=int(data.get("financial_year", 0)),
        funding_sources=sources,
        posts=tuple(posts),
    )


def load_shipped_staffing(units: Iterable[str]) -> Staffing:
    text = resources.files("maxim.reference").joinpath("staffing.yaml").read_text(encoding="utf-8")
    return parse_staffing(yaml.safe_load(text), units)
