"""3x5x2 intelligence grading, the handling-code rules, and legacy 5x5x5 grades.

Rules from DOMAIN.md §1: a `C` handling code needs conditions, an action code and a
sanitisation code, and those codes are refused under `P`. A legacy 5x5x5 grade is kept
verbatim and never regraded for operational use; the indicative 3x5x2 it maps to is flagged
`migrated` so every screen can say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from maxim.domain.errors import FieldError
from maxim.reference import GradingCodes

_LEGACY = re.compile(r"^\s*([A-Ea-e])\s*([1-5])\s*([1-5])\s*$")


@dataclass(frozen=True, slots=True)
class Grading:
    source_evaluation: str
    intelligence_assessment: str
    handling_code: str
    handling_conditions: str | None = None
    action_code: str | None = None
    sanitisation_code: str | None = None
    legacy_grading: str | None = None
    migrated: bool = False

    @property
    def label(self) -> str:
        """The display form used on every screen, e.g. `1B P` or `2C C`."""
        return f"{self.source_evaluation}{self.intelligence_assessment} {self.handling_code}"


def one_of(choices: Iterable[object]) -> str:
    """`1, 2 or 3`: the allowed values as a person would say them."""
    items = [str(c) for c in choices]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _code(raw: Mapping[str, Any], name: str, allowed: Mapping[str, str], errors: list[FieldError]) -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    text = str(value).strip().upper()
    if text not in allowed:
        errors.append(FieldError(name, f"must be {one_of(allowed)}, got {value!r}"))
        return None
    return text


def _legacy(raw: Any, codes: GradingCodes, errors: list[FieldError]) -> dict[str, str] | None:
    """Parse a 5x5x5 grade (source letter, intelligence digit, handling digit)."""
    match = _LEGACY.match(str(raw))
    if not match:
        errors.append(
            FieldError(
                "legacy_grading",
                f"must be a 5x5x5 grade: source letter A-E, intelligence 1-5, handling 1-5 (e.g. 'B35'), got {raw!r}",
            )
        )
        return None
    source, intel, handling = match.group(1).upper(), match.group(2), match.group(3)
    mapping = codes.legacy_mapping
    mapped: dict[str, str] = {
        "source_evaluation": str(mapping["source_evaluation"][source]),
        "intelligence_assessment": str(mapping["intelligence_evaluation"][intel]),
    }
    for key, value in mapping["handling_code"][handling].items():
        mapped["handling_conditions" if key == "conditions" else key] = str(value)
    return mapped


def parse_grading(raw: Mapping[str, Any], codes: GradingCodes) -> tuple[Grading | None, list[FieldError]]:
    """Validate the grading fields of a report; return the grading or every reason it fails."""
    errors: list[FieldError] = []
    legacy_raw = raw.get("legacy_grading")
    legacy = None
    migrated = False
    fields = dict(raw)
    if legacy_raw not in (None, ""):
        legacy = _legacy(legacy_raw, codes, errors)
        if legacy is not None and all(
            fields.get(k) in (None, "") for k in ("source_evaluation", "intelligence_assessment", "handling_code")
        ):
            fields.update(legacy)
            migrated = True
    source = _code(fields, "source_evaluation", codes.source_evaluation, errors)
    assessment = _code(fields, "intelligence_assessment", codes.intelligence_assessment, errors)
    handling = _code(fields, "handling_code", codes.handling_code, errors)
    action = _code(fields, "action_code", codes.action_code, errors)
    sanitisation = _code(fields, "sanitisation_code", codes.sanitisation_code, errors)
    conditions = str(fields.get("handling_conditions") or "").strip() or None
    for name, value in (
        ("source_evaluation", source),
        ("intelligence_assessment", assessment),
        ("handling_code", handling),
    ):
        if value is None and fields.get(name) in (None, ""):
            errors.append(FieldError(name, "is required"))
    if handling == "C":
        if conditions is None:
            errors.append(FieldError("handling_conditions", "handling_code C requires conditions"))
        if action is None and fields.get("action_code") in (None, ""):
            errors.append(FieldError("action_code", "handling_code C requires an action code A1-A3"))
        if sanitisation is None and fields.get("sanitisation_code") in (None, ""):
            errors.append(FieldError("sanitisation_code", "handling_code C requires a sanitisation code S1-S2"))
    elif handling == "P":
        for name in ("handling_conditions", "action_code", "sanitisation_code"):
            if fields.get(name) not in (None, ""):
                errors.append(FieldError(name, "is only allowed under handling_code C"))
    if errors or source is None or assessment is None or handling is None:
        return None, errors
    return (
        Grading(
            source_evaluation=source,
            intelligence_assessment=assessment,
            handling_code=handling,
            handling_conditions=conditions,
            action_code=action,
            sanitisation_code=sanitisation,
            legacy_grading=str(legacy_raw).strip() if legacy_raw not in (None, "") else None,
            migrated=migrated,
        ),
        [],
    )
