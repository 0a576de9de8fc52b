"""Build and submit reports naming invented people (never real personal data)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from maxim.domain.ids import mention_id
from maxim.intake.parse import parse_report
from maxim.intake.statements import ReportRecord, build_record
from maxim.reference import load_reference
from maxim.store.access import DataAccess
from tests.factories import person, report

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def record(reference: str, *people: dict[str, Any], originator: str = "BOCU-LAMBETH") -> ReportRecord:
    raw = report(originator=originator, reference=reference, text="Named subjects.", entities=list(people))
    return build_record(parse_report(raw, load_reference()), received_by="test", now=NOW)


def submit(access: DataAccess, reference: str, *people: dict[str, Any]) -> list[str]:
    """Submit one report naming `people`; returns their mention ids, in order."""
    access.submit([record(reference, *people)])
    return [mention_id("BOCU-LAMBETH", reference, p["id"]) for p in people]


def p(name: str, **props: list[str]) -> dict[str, Any]:
    return person("p1", name, **props)


def one(access: DataAccess, reference: str, name: str, **props: list[str]) -> str:
    return submit(access, reference, p(name, **props))[0]
