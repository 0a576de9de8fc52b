"""Overdue acceptance: a routed referral not accepted within its unit's SLA (units.yaml). Pure.

Called with a clock, so a test (or a nightly job) can ask "what is overdue at 09:00 on Monday?"
and get the same answer every time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from maxim.reference import Unit


@dataclass(frozen=True, slots=True)
class Overdue:
    referral_id: str
    decision_id: int
    unit: str
    routed_at: datetime
    due_at: datetime
    sla_hours: int

    @property
    def detail(self) -> str:
        return (
            f"{self.unit} has not accepted referral {self.referral_id}, routed "
            f"{self.routed_at.isoformat(timespec='minutes')}; its SLA is {self.sla_hours} hours "
            f"(due {self.due_at.isoformat(timespec='minutes')})"
        )


def aware(value: datetime) -> datetime:
    """SQLite hands datetimes back without an offset; they were stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def overdue(waiting: Iterable[Mapping[str, Any]], units: Mapping[str, Unit], now: datetime) -> list[Overdue]:
    """Referrals waiting for acceptance (`referral_id`, `decision_id`, `unit`, `routed_at`) past their SLA."""
    late = []
    for row in waiting:
        unit = units.get(row["unit"])
        if unit is None:
            continue
        routed = aware(row["routed_at"])
        due = routed + timedelta(hours=unit.sla_hours)
        if now > due:
            late.append(Overdue(row["referral_id"], int(row["decision_id"]), unit.code, routed, due, unit.sla_hours))
    return sorted(late, key=lambda o: (o.due_at, o.referral_id))
