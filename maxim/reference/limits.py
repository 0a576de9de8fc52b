"""The size limits of `limits.yaml`, loaded and checked once.

Kept apart from `maxim.reference.Reference` because the store (search) and the web layer (request
bodies) read them as well as intake, and each needs only its own section.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from maxim.reference import ReferenceDataError


@dataclass(frozen=True, slots=True)
class Limits:
    report_entities: int
    report_statements: int
    body_bytes: int
    search_words: int
    search_characters: int
    prefix_characters: int
    version: str


def _positive(data: dict[str, Any], section: str, key: str) -> int:
    try:
        value = data[section][key]
    except (KeyError, TypeError) as exc:
        raise ReferenceDataError(f"limits.yaml: {section}.{key} is missing") from exc
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ReferenceDataError(f"limits.yaml: {section}.{key} must be a whole number of at least 1, got {value!r}")
    return value


@cache
def load_limits() -> Limits:
    """The limits, read once per process; a bad edit fails at start with the entry named."""
    text = resources.files("maxim.reference").joinpath("limits.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or "version" not in data:
        raise ReferenceDataError("limits.yaml: expected a mapping with a 'version' key")
    return Limits(
        report_entities=_positive(data, "report", "entities"),
        report_statements=_positive(data, "report", "statements"),
        body_bytes=_positive(data, "request", "body_bytes"),
        search_words=_positive(data, "search", "words"),
        search_characters=_positive(data, "search", "characters"),
        prefix_characters=_positive(data, "search", "prefix_characters"),
        version=str(data["version"]),
    )
