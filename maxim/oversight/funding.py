"""The funding ledger: streams of money to OIC work, by financial year, with their certainty. Pure.

The committee has only ever had "two years of maximum vision" (para 21 of the 2006 report):
money arrives as pump-priming, continuation, a team grant, dozens of small project bids and the
force's own match funding, each on its own terms. A ledger of streams (grantor, recipient unit,
financial year, amount, status, conditions) lets the report add them up the same way every time
and keep what is promised apart from what is only hoped for. Amounts are integer pence, so
totals never drift; financial years run April to March and are named by the year they start.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

import yaml

from maxim.domain.errors import FieldError, ValidationFailed

STATUSES = ("bid", "approved", "received", "spent", "withdrawn")
# Money the force can plan on: granted, paid, or already spent.
CERTAIN = frozenset({"approved", "received", "spent"})
# Asked for, not yet granted: shown in forecasts, never added to what is certain.
UNCERTAIN = frozenset({"bid"})
BASES = ("document", "derived", "synthetic")


def fy_of(day: date) -> int:
    """The financial year (April-March) a day falls in, named by the year it starts."""
    return day.year if day.month >= 4 else day.year - 1


def fy_label(year: int) -> str:
    """`2006` -> `2006/07`, as committee papers write it."""
    return f"{year}/{(year + 1) % 100:02d}"


def pounds(pence: int) -> str:
    """`£1,445,000`, or with pence when there are any."""
    whole, part = divmod(pence, 100)
    return f"£{whole:,}" if part == 0 else f"£{whole:,}.{part:02d}"


def short_pounds(pence: int) -> str:
    """`£1.445M`, `£980K`: how the document itself writes sums."""
    value = Decimal(pence) / 100
    if value >= 1_000_000:
        return f"£{(value / 1_000_000).normalize():f}M"
    if value >= 1_000:
        return f"£{(value / 1_000).normalize():f}K"
    return pounds(pence)


@dataclass(frozen=True, slots=True)
class Stream:
    """One sum of money from one grantor to one unit for one financial year."""

    id: str
    kind: str
    grantor: str
    recipient_unit: str
    financial_year: int
    amount_pence: int
    status: str
    basis: str = "document"
    dated: date | None = None
    conditions: str | None = None
    note: str | None = None
    project: str | None = None

    @property
    def certain(self) -> bool:
        return self.status in CERTAIN

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["dated"] = self.dated.isoformat() if self.dated else None
        data["financial_year_label"] = fy_label(self.financial_year)
        data["amount"] = pounds(self.amount_pence)
        return data


@dataclass(frozen=True, slots=True)
class ForecastYear:
    financial_year: int
    certain_pence: int
    uncertain_pence: int
    by_kind: dict[str, int]
    uncertain_kinds: tuple[str, ...]

    @property
    def label(self) -> str:
        return fy_label(self.financial_year)


@dataclass(frozen=True, slots=True)
class Ledger:
    version: str
    source: str
    streams: tuple[Stream, ...]
    grantors: dict[str, str]
    kinds: dict[str, str]
    context: dict[str, Any] = field(default_factory=dict)
    apf_from: date | None = None
    apf_to: date | None = None

    def select(
        self,
        *,
        financial_year: int | None = None,
        grantors: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        recipients: Iterable[str] | None = None,
        statuses: Iterable[str] = CERTAIN,
    ) -> list[Stream]:
        g = set(grantors) if grantors is not None else None
        k = set(kinds) if kinds is not None else None
        r = set(recipients) if recipients is not None else None
        s = set(statuses)
        return [
            x
            for x in self.streams
            if (financial_year is None or x.financial_year == financial_year)
            and (g is None or x.grantor in g)
            and (k is None or x.kind in k)
            and (r is None or x.recipient_unit in r)
            and x.status in s
        ]

    def total(self, **filters: Any) -> int:
        """Pence in the streams `select(**filters)` picks (by default only certain money)."""
        return sum(x.amount_pence for x in self.select(**filters))

    @property
    def years(self) -> list[int]:
        return sorted({x.financial_year for x in self.streams})

    def by_year(self) -> list[dict[str, Any]]:
        """Per financial year: pence per kind (certain only) and the uncertain sum beside it."""
        out = []
        for year in self.years:
            kinds: Counter[str] = Counter()
            for x in self.select(financial_year=year):
                kinds[x.kind] += x.amount_pence
            out.append(
                {
                    "financial_year": year,
                    "label": fy_label(year),
                    "by_kind": dict(sorted(kinds.items())),
                    "certain_pence": sum(kinds.values()),
                    "uncertain_pence": self.total(financial_year=year, statuses=UNCERTAIN),
                }
            )
        return out

    def forecast(self, first_year: int, years: int) -> list[ForecastYear]:
        """The next `years` financial years from `first_year`: certain money and hoped-for money apart."""
        out = []
        for year in range(first_year, first_year + years):
            kinds: Counter[str] = Counter()
            for x in self.select(financial_year=year):
                kinds[x.kind] += x.amount_pence
            hoped = self.select(financial_year=year, statuses=UNCERTAIN)
            out.append(
                ForecastYear(
                    financial_year=year,
                    certain_pence=sum(kinds.values()),
                    uncertain_pence=sum(x.amount_pence for x in hoped),
                    by_kind=dict(sorted(kinds.items())),
                    uncertain_kinds=tuple(sorted({x.kind for x in hoped})),
                )
            )
        return out

    def apf_summary(self) -> dict[str, Any]:
        """The additional projects fund: successful bids, their total and who received them (para 6)."""
        won = self.select(kinds=["APF_BID"])
        lost = self.select(kinds=["APF_BID"], statuses=["withdrawn"])
        recipients: defaultdict[str, int] = defaultdict(int)
        for x in won:
            recipients[x.recipient_unit] += x.amount_pence
        dates = [x.dated for x in won if x.dated]
        return {
            "successful_bids": len(won),
            "withdrawn_bids": len(lost),
            "total_pence": sum(x.amount_pence for x in won),
            "first": min(dates).isoformat() if dates else None,
            "last": max(dates).isoformat() if dates else None,
            "by_recipient_pence": dict(sorted(recipients.items(), key=lambda kv: -kv[1])),
        }


def _amount(raw: Any, where: str, errors: list[FieldError]) -> int:
    try:
        value = Decimal(str(raw).replace(",", "").lstrip("£"))
    except InvalidOperation:
        errors.append(FieldError(f"{where}.amount_gbp", f"must be an amount in pounds, got {raw!r}"))
        return 0
    if value < 0 or value != value.quantize(Decimal("0.01")):
        errors.append(FieldError(f"{where}.amount_gbp", "must be 0 or more, to the penny"))
        return 0
    return int(value * 100)


def _date(raw: Any, where: str, errors: list[FieldError]) -> date | None:
    if raw is None:
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        errors.append(FieldError(where, f"must be an ISO date, got {raw!r}"))
        return None


def parse_ledger(data: Mapping[str, Any], recipients: Iterable[str]) -> Ledger:
    """Validate a funding file (the format of `maxim/reference/funding.yaml`); every fault at once.

    `recipients` are the unit codes of units.yaml; the file may add its own (`extra_recipients`).
    """
    errors: list[FieldError] = []
    grantors = {str(k): str(v) for k, v in (data.get("grantors") or {}).items()}
    kinds = {str(k): str(v) for k, v in (data.get("kinds") or {}).items()}
    known = set(recipients) | {str(k) for k in (data.get("extra_recipients") or {})}
    if "version" not in data:
        errors.append(FieldError("version", "required"))
    if not grantors:
        errors.append(FieldError("grantors", "name the grantors (code: name)"))
    if not kinds:
        errors.append(FieldError("kinds", "name the kinds of stream (code: name)"))
    apf = data.get("apf_period") or {}
    rows: list[tuple[str, Mapping[str, Any]]] = [
        (f"streams[{i}]", row) for i, row in enumerate(data.get("streams") or [])
    ]
    for i, row in enumerate(data.get("apf_bids") or []):
        rows.append((f"apf_bids[{i}]", {"kind": "APF_BID", "grantor": "REFLEX-APF", "basis": "synthetic", **row}))
    streams: list[Stream] = []
    seen: set[str] = set()
    for where, row in rows:
        if not isinstance(row, Mapping):
            errors.append(FieldError(where, "must be a mapping"))
            continue
        before = len(errors)
        sid = str(row.get("id") or "")
        if not sid:
            errors.append(FieldError(f"{where}.id", "required"))
        elif sid in seen:
            errors.append(FieldError(f"{where}.id", f"duplicate id {sid}"))
        seen.add(sid)
        kind = str(row.get("kind"))
        if kind not in kinds:
            errors.append(FieldError(f"{where}.kind", f"unknown kind {kind!r}; use one of {', '.join(kinds)}"))
        grantor = str(row.get("grantor"))
        if grantor not in grantors:
            errors.append(FieldError(f"{where}.grantor", f"unknown grantor {grantor!r}; add it under grantors"))
        unit = str(row.get("recipient_unit"))
        if unit not in known:
            errors.append(
                FieldError(f"{where}.recipient_unit", f"unknown unit {unit!r} (units.yaml or extra_recipients)")
            )
        status = str(row.get("status"))
        if status not in STATUSES:
            errors.append(FieldError(f"{where}.status", f"must be one of {', '.join(STATUSES)}, got {status!r}"))
        basis = str(row.get("basis", "document"))
        if basis not in BASES:
            errors.append(FieldError(f"{where}.basis", f"must be one of {', '.join(BASES)}"))
        dated = _date(row.get("dated"), f"{where}.dated", errors)
        year = row.get("financial_year")
        if year is None and dated is not None:
            year = fy_of(dated)
        if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100:
            errors.append(FieldError(f"{where}.financial_year", "a year such as 2006 (for 2006/07), or give `dated`"))
            year = 0
        pence = _amount(row.get("amount_gbp"), where, errors)
        if kind == "APF_BID" and dated is None:
            errors.append(FieldError(f"{where}.dated", "an APF bid is dated"))
        if len(errors) > before:
            continue
        streams.append(
            Stream(
                id=sid,
                kind=kind,
                grantor=grantor,
                recipient_unit=unit,
                financial_year=int(year),
                amount_pence=pence,
                status=status,
                basis=basis,
                dated=dated,
                conditions=row.get("conditions"),
                note=row.get("note"),
                project=row.get("project"),
            )
        )
    apf_from = _date(apf.get("from"), "apf_period.from", errors)
    apf_to = _date(apf.get("to"), "apf_period.to", errors)
    for x in streams:
        if x.kind == "APF_BID" and x.dated and apf_from and apf_to and not apf_from <= x.dated <= apf_to:
            errors.append(
                FieldError(f"apf_bids.{x.id}", f"dated {x.dated} outside the fund's life {apf_from}-{apf_to}")
            )
    if errors:
        raise ValidationFailed(errors)
    return Ledger(
        version=str(data["version"]),
        source=str(data.get("source", "")),
        streams=tuple(sorted(streams, key=lambda x: (x.financial_year, x.kind, x.dated or date.min, x.id))),
        grantors=grantors,
        kinds=kinds,
        context=dict(data.get("context") or {}),
        apf_from=apf_from,
        apf_to=apf_to,
    )


def load_ledger_text(text: str, recipients: Iterable[str]) -> Ledger:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed([FieldError("file", f"not YAML: {exc}")]) from exc
    if not isinstance(data, Mapping):
        raise ValidationFailed([FieldError("file", "expected a mapping with version, grantors, kinds, streams")])
    return parse_ledger(data, recipients)


def shipped_text() -> str:
    return resources.files("maxim.reference").joinpath("funding.yaml").read_text(encoding="utf-8")


def load_shipped(recipients: Iterable[str]) -> Ledger:
    """The ledger of the 2006 report, as shipped in `maxim/reference/funding.yaml`."""
    return load_ledger_text(shipped_text(), recipients)
