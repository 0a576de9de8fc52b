"""Tasks from the tasking and co-ordinating group (DOMAIN §2.2): fields, statuses and legal moves.

A task's `version` is the optimistic lock: every update names the version it was read at, and
an update against an older version is a conflict, never a silent overwrite.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.reference import Reference

STATUSES = ("PROPOSED", "ACCEPTED", "IN_PROGRESS", "RESULTED", "CLOSED", "DECLINED")
MOVES: dict[str, frozenset[str]] = {
    "PROPOSED": frozenset({"ACCEPTED", "DECLINED"}),
    "ACCEPTED": frozenset({"IN_PROGRESS", "RESULTED", "DECLINED"}),
    "IN_PROGRESS": frozenset({"RESULTED"}),
    "RESULTED": frozenset({"CLOSED", "IN_PROGRESS"}),
    "CLOSED": frozenset(),
    "DECLINED": frozenset(),
}
PRIORITIES = ("HIGH", "MEDIUM", "LOW")
# NIM tactical menu (DOMAIN §2.2).
TACTICS = ("TARGET_OFFENDERS", "MANAGE_HOTSPOTS", "INVESTIGATE_LINKED_SERIES", "PREVENTIVE_MEASURES")
EDITABLE = (
    "title",
    "description",
    "owner_unit",
    "owner_user",
    "due_date",
    "priority",
    "status",
    "tactic",
    "nim_level",
    "control_strategy_priority",
    "result",
    "review_date",
    "tcg_meeting",
    "chair",
)
CREATE_ONLY = ("operation_id", "referral_id")


def check_move(current: str, new: str) -> str | None:
    """Why a task cannot move from `current` to `new`, or None when it can."""
    if new == current:
        return None
    if new not in MOVES.get(current, frozenset()):
        allowed = ", ".join(sorted(MOVES.get(current, ()))) or "nothing (final)"
        return f"a {current} task cannot become {new}; it can become {allowed}"
    return None


def parse_task_fields(data: Mapping[str, Any], ref: Reference, *, creating: bool) -> dict[str, Any]:
    """Validate task fields (all of them on create, the given ones on update), every fault at once."""
    errors: list[FieldError] = []
    allowed = set(EDITABLE) | (set(CREATE_ONLY) if creating else set())
    for key in sorted(set(data) - allowed - {"version"}):
        errors.append(FieldError(key, "unknown or not editable field"))
    out: dict[str, Any] = {}
    if creating:
        for required in ("title", "owner_unit", "due_date"):
            if data.get(required) in (None, ""):
                errors.append(FieldError(required, "required"))
    for key in allowed & set(data):
        value = data[key]
        if key in (
            "title",
            "description",
            "result",
            "owner_user",
            "control_strategy_priority",
            "tcg_meeting",
            "chair",
            "operation_id",
            "referral_id",
        ):
            if value is not None and not isinstance(value, str):
                errors.append(FieldError(key, "must be text"))
                continue
            if key == "title" and not (value or "").strip():
                errors.append(FieldError(key, "must not be empty"))
                continue
        elif key == "owner_unit":
            if value not in ref.units:
                errors.append(FieldError(key, f"unknown unit {value!r} (units.yaml)"))
                continue
        elif key in ("due_date", "review_date"):
            if value is None and key == "review_date":
                out[key] = None
                continue
            try:
                value = date.fromisoformat(str(value))
            except ValueError:
                errors.append(FieldError(key, f"must be an ISO date, got {value!r}"))
                continue
        elif key == "priority":
            if value not in PRIORITIES:
                errors.append(FieldError(key, f"must be one of {', '.join(PRIORITIES)}"))
                continue
        elif key == "status":
            if value not in STATUSES:
                errors.append(FieldError(key, f"must be one of {', '.join(STATUSES)}"))
                continue
        elif key == "tactic":
            if value is not None and value not in TACTICS:
                errors.append(FieldError(key, f"must be one of {', '.join(TACTICS)}"))
                continue
        elif key == "nim_level" and value is not None and (isinstance(value, bool) or value not in (1, 2, 3)):
            errors.append(FieldError(key, "must be 1, 2 or 3"))
            continue
        out[key] = value
    if creating:
        out.setdefault("priority", "MEDIUM")
        out.setdefault("status", "PROPOSED")
        if out.get("status") not in (None, "PROPOSED", "ACCEPTED"):
            errors.append(FieldError("status", "a new task starts PROPOSED or ACCEPTED"))
    if errors:
        raise ValidationFailed(errors)
    return out
