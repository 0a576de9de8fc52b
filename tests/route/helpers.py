"""One-line factories for routing tests (synthetic only: no real people)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from maxim.domain.typology import load_typology
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import Reference, load_reference
from maxim.route.facts import ReferralFacts, parse_facts
from maxim.store.access import DataAccess
from tests.factories import report

REF = load_reference()
T0 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def facts_data(**overrides: Any) -> dict[str, Any]:
    """Adult sexual exploitation referred by a borough, found in Lambeth: the HTT case."""
    base: dict[str, Any] = {
        "referral_route": "BOROUGH",
        "referring_organisation": "BOCU-LAMBETH",
        "found_borough": "BOCU-LAMBETH",
        "found_location": "Flat above a shop, SE1",
        "found_at": "2025-06-01",
        "victims_adult": 1,
        "victims_child": 0,
        "exploitation_types": ["S3"],
        "setting": "PRIVATE_HOUSEHOLD",
        "travel_documents": "UNKNOWN",
    }
    base.update(overrides)
    return base


def facts(**overrides: Any) -> ReferralFacts:
    return parse_facts(facts_data(**overrides), REF, load_typology())


def with_capacity(**capacities: int) -> Reference:
    """The reference data with some units' capacity changed (unit codes with _ for -)."""
    units = dict(REF.units)
    for key, capacity in capacities.items():
        code = key.replace("_", "-")
        units[code] = replace(units[code], capacity=capacity)
    return replace(REF, units=units)


def referral_report(access: DataAccess, reference: str = "REF/1", **overrides: Any) -> str:
    """Store a report of kind referral and return its id."""
    body = report(kind="referral", reference=reference, themes=["TRAFFICKING"], **overrides)
    record = build_record(parse_report(body, REF), received_by=access.actor.username, now=T0)
    [result] = access.submit([record])
    return result.report_id
