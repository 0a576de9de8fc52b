"""Outcomes (arrests, charges, convictions, victims safeguarded, POCA results) and totals by period.

Pure: the store hands rows in, totals come out, so the committee report and a test compute the
same figures the same way. Money is held in pence (integers: no rounding drift) and shown in
pounds. Periods follow the committee's habits: months, quarters, calendar years and financial
years running April to March (DOMAIN §0.6).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.domain.offences import OffenceCatalogue

KINDS = ("ARREST", "CHARGE", "CONVICTION", "VICTIMS_SAFEGUARDED", "POCA")
OUTCOME_FIELDS = (
    "kind",
    "occurred_on",
    "operation_id",
    "referral_id",
    "count",
    "offence_code",
    "adults",
    "children",
    "poca_kind",
    "amount_pence",
    "amount_pounds",
    "note",
)


def parse_outcome(data: Mapping[str, Any], offences: OffenceCatalogue) -> dict[str, Any]:
    """Validate one outcome; every fault is named at once."""
    errors: list[FieldError] = []
    for key in sorted(set(data) - set(OUTCOME_FIELDS)):
        errors.append(FieldError(key, "unknown field"))
    kind = data.get("kind")
    if kind not in KINDS:
        errors.append(FieldError("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}"))
    try:
        occurred = date.fromisoformat(str(data.get("occurred_on")))
    except ValueError:
        errors.append(FieldError("occurred_on", f"must be an ISO date, got {data.get('occurred_on')!r}"))
        occurred = None
    if not data.get("operation_id") and not data.get("referral_id"):
        errors.append(FieldError("operation_id", "record an outcome against an operation or a referral (or both)"))
    out: dict[str, Any] = {
        "kind": kind,
        "occurred_on": occurred,
        "operation_id": data.get("operation_id"),
        "referral_id": data.get("referral_id"),
        "note": data.get("note"),
        "count": 1,
        "offence_code": None,
        "adults": 0,
        "children": 0,
        "poca_kind": None,
        "amount_pence": None,
    }
    if kind in ("ARREST", "CHARGE", "CONVICTION"):
        out["count"] = _whole(data, "count", errors, default=1, minimum=1)
        code = data.get("offence_code")
        if code is None and kind != "ARREST":
            errors.append(FieldError("offence_code", f"a {kind.lower()} names its offence (offences.yaml)"))
        elif code is not None:
            why = offences.check(str(code), occurred)
            if why:
                errors.append(FieldError("offence_code", why))
            out["offence_code"] = code
    elif kind == "VICTIMS_SAFEGUARDED":
        out["adults"] = _whole(data, "adults", errors, default=0, minimum=0)
        out["children"] = _whole(data, "children", errors, default=0, minimum=0)
        out["count"] = out["adults"] + out["children"]
        if out["count"] == 0:
            errors.append(FieldError("adults", "record at least one adult or child safeguarded"))
    elif kind == "POCA":
        poca = data.get("poca_kind")
        if poca not in offences.poca_results:
            errors.append(FieldError("poca_kind", f"must be one of {', '.join(offences.poca_results)}"))
        out["poca_kind"] = poca
        out["amount_pence"] = _amount(data, errors)
    if errors:
        raise ValidationFailed(errors)
    return out


def _whole(data: Mapping[str, Any], key: str, errors: list[FieldError], *, default: int, minimum: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        errors.append(FieldError(key, f"must be a whole number of at least {minimum}, got {value!r}"))
        return default
    return value


def _amount(data: Mapping[str, Any], errors: list[FieldError]) -> int | None:
    if data.get("amount_pence") is not None:
        pence = data["amount_pence"]
        if isinstance(pence, bool) or not isinstance(pence, int) or pence < 0:
            errors.append(FieldError("amount_pence", "must be a whole number of pence, 0 or more"))
            return None
        return pence
    pounds = data.get("amount_pounds")
    if pounds is None:
        errors.append(FieldError("amount_pounds", "a POCA result needs an amount (amount_pounds or amount_pence)"))
        return None
    try:
        value = Decimal(str(pounds).replace(",", "").lstrip("£"))
    except InvalidOperation:
        errors.append(FieldError("amount_pounds", f"must be an amount in pounds such as 1234.50, got {pounds!r}"))
        return None
    if value < 0 or value != value.quantize(Decimal("0.01")):
        errors.append(FieldError("amount_pounds", "must be 0 or more, to the penny"))
        return None
    return int(value * 100)


def pounds(pence: int) -> str:
    """`£1,234.56`: how the committee reads money."""
    return f"£{pence // 100:,}.{pence % 100:02d}"


# -- periods ------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(?:(?P<fy>FY)(?P<fyy>\d{4})|(?P<y>\d{4})(?:-(?:Q(?P<q>[1-4])|(?P<m>\d{2})))?)$")


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    start: date
    end: date  # inclusive

    def contains(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end


def parse_period(label: str) -> Period:
    """`2025`, `2025-05`, `2025-Q2`, or `FY2025` (1 April 2025 to 31 March 2026)."""
    match = _PERIOD.match(label.strip().upper())
    if not match:
        raise ValidationFailed([FieldError("period", f"use 2025, 2025-05, 2025-Q2 or FY2025, got {label!r}")])
    if match["fy"]:
        year = int(match["fyy"])
        return Period(f"FY{year}/{(year + 1) % 100:02d}", date(year, 4, 1), date(year + 1, 3, 31))
    year = int(match["y"])
    if match["q"]:
        q = int(match["q"])
        start = date(year, 3 * q - 2, 1)
        return Period(f"{year}-Q{q}", start, _month_end(date(year, 3 * q, 1)))
    if match["m"]:
        month = int(match["m"])
        if not 1 <= month <= 12:
            raise ValidationFailed([FieldError("period", f"no month {month}")])
        start = date(year, month, 1)
        return Period(f"{year}-{month:02d}", start, _month_end(start))
    return Period(str(year), date(year, 1, 1), date(year, 12, 31))


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def periods_between(start: date, end: date, by: str) -> list[Period]:
    """Consecutive periods (`month`, `quarter`, `year` or `fy`) covering start..end."""
    if by not in ("month", "quarter", "year", "fy"):
        raise ValidationFailed([FieldError("by", "must be month, quarter, year or fy")])
    if end < start:
        raise ValidationFailed([FieldError("to", "must not be before from")])
    out: list[Period] = []
    if by == "fy":
        label = f"FY{start.year if start.month >= 4 else start.year - 1}"
    elif by == "year":
        label = str(start.year)
    elif by == "quarter":
        label = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    else:
        label = f"{start.year}-{start.month:02d}"
    period = parse_period(label)
    while period.start <= end:
        out.append(period)
        nxt = period.end + timedelta(days=1)
        label = {
            "fy": f"FY{nxt.year}",
            "year": str(nxt.year),
            "quarter": f"{nxt.year}-Q{(nxt.month - 1) // 3 + 1}",
            "month": f"{nxt.year}-{nxt.month:02d}",
        }[by]
        period = parse_period(label)
    return out


# -- totals -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Totals:
    period: str
    start: date
    end: date
    arrests: int = 0
    charges: int = 0
    convictions: int = 0
    charges_by_offence: dict[str, int] = field(default_factory=dict)
    convictions_by_offence: dict[str, int] = field(default_factory=dict)
    victims_safeguarded_adult: int = 0
    victims_safeguarded_child: int = 0
    nrm_referrals_adult: int = 0
    nrm_referrals_child: int = 0
    duty_to_notify: int = 0
    reasonable_grounds_positive: int = 0
    conclusive_grounds_positive: int = 0
    poca_pence: dict[str, int] = field(default_factory=dict)

    @property
    def poca_total_pence(self) -> int:
        return sum(self.poca_pence.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "arrests": self.arrests,
            "charges": self.charges,
            "convictions": self.convictions,
            "charges_by_offence": self.charges_by_offence,
            "convictions_by_offence": self.convictions_by_offence,
            "victims_safeguarded": {"adult": self.victims_safeguarded_adult, "child": self.victims_safeguarded_child},
            "nrm": {
                "referred_adult": self.nrm_referrals_adult,
                "referred_child": self.nrm_referrals_child,
                "duty_to_notify": self.duty_to_notify,
                "rg_positive": self.reasonable_grounds_positive,
                "cg_positive": self.conclusive_grounds_positive,
            },
            "poca": {kind: {"pence": p, "pounds": pounds(p)} for kind, p in sorted(self.poca_pence.items())},
            "poca_total": {"pence": self.poca_total_pence, "pounds": pounds(self.poca_total_pence)},
        }


def totals(
    period: Period, outcomes: Iterable[Mapping[str, Any]], nrm_cases: Iterable[Mapping[str, Any]] = ()
) -> Totals:
    """Add up the outcomes dated within the period, and NRM steps dated within it.

    `outcomes` rows carry kind, occurred_on, count, offence_code, adults, children, poca_kind,
    amount_pence; `nrm_cases` rows carry is_child, referred_on, dtn_on, rg_decision_on,
    rg_positive, cg_decision_on, cg_positive (dates as `date`).
    """
    counts: Counter[str] = Counter()
    charges: Counter[str] = Counter()
    convictions: Counter[str] = Counter()
    poca: Counter[str] = Counter()
    for row in outcomes:
        if not period.contains(row["occurred_on"]):
            continue
        kind = row["kind"]
        if kind == "ARREST":
            counts["arrests"] += row["count"]
        elif kind == "CHARGE":
            counts["charges"] += row["count"]
            charges[row["offence_code"]] += row["count"]
        elif kind == "CONVICTION":
            counts["convictions"] += row["count"]
            convictions[row["offence_code"]] += row["count"]
        elif kind == "VICTIMS_SAFEGUARDED":
            counts["adult"] += row["adults"]
            counts["child"] += row["children"]
        elif kind == "POCA":
            poca[row["poca_kind"]] += row["amount_pence"] or 0
    for case in nrm_cases:
        if period.contains(case.get("referred_on")):
            counts["nrm_child" if case["is_child"] else "nrm_adult"] += 1
        if period.contains(case.get("dtn_on")):
            counts["dtn"] += 1
        if period.contains(case.get("rg_decision_on")) and case.get("rg_positive"):
            counts["rg"] += 1
        if period.contains(case.get("cg_decision_on")) and case.get("cg_positive"):
            counts["cg"] += 1
    return Totals(
        period=period.label,
        start=period.start,
        end=period.end,
        arrests=counts["arrests"],
        charges=counts["charges"],
        convictions=counts["convictions"],
        charges_by_offence=dict(sorted(charges.items())),
        convictions_by_offence=dict(sorted(convictions.items())),
        victims_safeguarded_adult=counts["adult"],
        victims_safeguarded_child=counts["child"],
        nrm_referrals_adult=counts["nrm_adult"],
        nrm_referrals_child=counts["nrm_child"],
        duty_to_notify=counts["dtn"],
        reasonable_grounds_positive=counts["rg"],
        conclusive_grounds_positive=counts["cg"],
        poca_pence=dict(poca),
    )
