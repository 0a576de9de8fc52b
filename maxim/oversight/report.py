"""Build the committee report for a period: run the queries, read the ledger, assemble.

The one function both the CLI and the web page call, so the two cannot differ.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from followthemoney.types import registry

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.domain.offences import load_offences
from maxim.oversight.committee import Context, build
from maxim.oversight.staffing import load_shipped_staffing, parse_staffing
from maxim.oversight.suppression import default_rule, oversight_rules
from maxim.reference import load_reference
from maxim.route.facts import REFERRAL_ROUTES
from maxim.store.access import DataAccess
from maxim.store.oversight_access import OversightAccess
from maxim.store.oversight_queries import CommitteeQueries

EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)  # a committee period's first and last day


def parse_dates(start: str | date, end: str | date) -> tuple[date, date]:
    """The period's two days; each outside EARLIEST..LATEST is refused, since the day after
    the period, or the period before it, would not be a date at all."""
    errors = []
    out = []
    for name, value in (("from", start), ("to", end)):
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            errors.append(FieldError(name, f"an ISO date such as 2025-04-01, got {value!r}"))
            continue
        if not EARLIEST <= day <= LATEST:
            errors.append(FieldError(name, f"must be between {EARLIEST} and {LATEST}, got {day}"))
        out.append(day)
    if not errors and out[1] < out[0]:
        errors.append(FieldError("to", "must not be before from"))
    if errors:
        raise ValidationFailed(errors)
    return out[0], out[1]


def committee_report(access: DataAccess, start: date, end: date, *, now: datetime | None = None) -> dict[str, Any]:
    """The committee report for `start`..`end` (inclusive) as the acting user may see it."""
    ref = load_reference()
    oversight = OversightAccess(access, ref)
    ledger, origin = oversight.ledger()
    staffing = load_shipped_staffing(ref.units)
    rules = oversight_rules()
    offences = load_offences()
    gathered = CommitteeQueries(access).gather(start, end)
    names = {code: unit.name for code, unit in ref.units.items()}
    sources = {**names, **{code: p.name for code, p in ref.partners.items()}}
    ctx = Context(
        unit_names=names,
        unit_sla_hours={code: unit.sla_hours for code, unit in ref.units.items()},
        source_names=sources,
        theme_names=ref.themes,
        route_names=REFERRAL_ROUTES,
        offence_names={code: f"{o.name} ({code})" for code, o in offences.offences.items()},
        country_names={code: str(registry.country.caption(code)) for code in registry.country.codes},
        rule=default_rule(),
        equality_ratio=float(rules["equality"]["ratio"]),
        equality_min_count=int(rules["equality"]["min_count"]),
        forecast_years=int(rules["capacity"]["forecast_years"]),
        built_at=now or datetime.now(UTC),
        ledger_origin=origin,
    )
    return build(gathered, ledger, staffing, ctx)


__all__ = ["committee_report", "parse_dates", "parse_staffing"]
