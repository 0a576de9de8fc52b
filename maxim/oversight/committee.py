"""The committee report, in the structure of the 2006 report itself (DOMAIN §0.7). Pure.

Input: the results of the report's queries (`maxim.store.oversight_queries.Gathered`), the funding
ledger and the staffing table. Output: one JSON-ready dict holding the sections with their
paragraphs and tables, the data for each chart, and a list of every figure with the query that
produced it. HTML, PDF and the JSON twin are all rendered from this one dict, so they cannot
disagree. Every number a reader sees is a registered figure: a table cell refers to its figure
by id, and the figure names its query (SQL and parameters as run, or the ledger file and filter).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from maxim.oversight.equality import compare, counts_by, monitoring_counts
from maxim.oversight.funding import CERTAIN, UNCERTAIN, Ledger, fy_label, fy_of, pounds, short_pounds
from maxim.oversight.staffing import Staffing
from maxim.oversight.suppression import Rule, suppress, total_cell
from maxim.store.oversight_queries import Gathered, previous_period
from maxim.task.outcomes import Period, totals


@dataclass(frozen=True, slots=True)
class Context:
    """What the pure builder needs besides the query results."""

    unit_names: Mapping[str, str]
    unit_sla_hours: Mapping[str, int]
    source_names: Mapping[str, str]
    theme_names: Mapping[str, str]
    route_names: Mapping[str, str]
    offence_names: Mapping[str, str]
    country_names: Mapping[str, str]
    rule: Rule
    equality_ratio: float
    equality_min_count: int
    forecast_years: int
    built_at: datetime
    ledger_origin: str


class Book:
    """Every figure of the report, each with the query behind it."""

    def __init__(self, queries: dict[str, dict[str, Any]]) -> None:
        self.queries = queries
        self.figures: list[dict[str, Any]] = []
        self._ids: set[str] = set()

    def add(
        self,
        fid: str,
        section: str,
        label: str,
        value: int | float | str | None,
        query: str,
        *,
        shown: str | None = None,
        suppressed: bool = False,
        unit: str = "count",
    ) -> dict[str, Any]:
        """Register a figure and return the table cell that shows it."""
        if query not in self.queries:
            raise KeyError(f"figure {fid} names unknown query {query}")
        if fid in self._ids:
            raise KeyError(f"figure {fid} registered twice")
        self._ids.add(fid)
        if shown is None:
            shown = f"{value:,}" if isinstance(value, int) else str(value)
        self.figures.append(
            {
                "id": fid,
                "section": section,
                "label": label,
                "value": value,
                "shown": shown,
                "suppressed": suppressed,
                "unit": unit,
                "query": query,
            }
        )
        return {"text": shown, "figure": fid, "numeric": True}

    def money(self, fid: str, section: str, label: str, pence: int, query: str) -> dict[str, Any]:
        return self.add(fid, section, label, pence, query, shown=pounds(pence), unit="pence")


def _text(value: str) -> dict[str, Any]:
    return {"text": value, "figure": None, "numeric": False}


def _table(tid: str, title: str, columns: list[str], rows: list[list[dict[str, Any]]], **extra: Any) -> dict[str, Any]:
    return {"id": tid, "title": title, "columns": columns, "rows": rows, **extra}


def _counted_table(
    book: Book,
    tid: str,
    section: str,
    title: str,
    label: str,
    counts: Mapping[str, int],
    names: Mapping[str, str],
    query: str,
    *,
    rule: Rule | None = None,
    total: bool = True,
) -> dict[str, Any]:
    """A two-column table (name, count) with a total; suppressed when `rule` is given."""
    rows = []
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    cells = suppress(counts, rule, with_total=total) if rule else None
    for key, n in ordered:
        name = names.get(key, key)
        fid = f"{tid}.{key}"
        if cells is not None:
            c = cells[key]
            rows.append(
                [
                    _text(name),
                    book.add(fid, section, f"{title}: {name}", c.value, query, shown=c.shown, suppressed=c.suppressed),
                ]
            )
        else:
            rows.append([_text(name), book.add(fid, section, f"{title}: {name}", n, query)])
    if total:
        if rule:
            t = total_cell(counts, rule)
            cell = book.add(
                f"{tid}.total", section, f"{title}: total", t.value, query, shown=t.shown, suppressed=t.suppressed
            )
        else:
            cell = book.add(f"{tid}.total", section, f"{title}: total", sum(counts.values()), query)
        rows.append([_text("Total"), cell])
    return _table(tid, title, [label, "Number"], rows, suppressed=bool(rule))


def _hours(a: datetime, b: datetime) -> float:
    if a.tzinfo is None:
        a = a.replace(tzinfo=b.tzinfo) if b.tzinfo else a
    if b.tzinfo is None:
        b = b.replace(tzinfo=a.tzinfo)
    return (b - a).total_seconds() / 3600


def build(gathered: Gathered, ledger: Ledger, staffing: Staffing, ctx: Context) -> dict[str, Any]:
    """The whole report as one JSON-ready dict."""
    queries: dict[str, dict[str, Any]] = {k: q.to_json() for k, q in gathered.queries.items()}
    ledger_q = {
        "ledger.streams": (
            f"Funding ledger ({ctx.ledger_origin}, version {ledger.version}): streams with status in "
            f"{', '.join(sorted(CERTAIN))} (certain) or {', '.join(sorted(UNCERTAIN))} (uncertain), "
            "summed by financial year, grantor and kind (maxim.oversight.funding.Ledger)."
        ),
        "ledger.apf": "Funding ledger: streams of kind APF_BID with a certain status (Ledger.apf_summary).",
        "staffing.posts": (
            f"Staffing table (staffing.yaml version {staffing.version}"
            + (", ILLUSTRATIVE" if staffing.illustrative else "")
            + "): posts summed by unit, category and funding source (maxim.oversight.staffing)."
        ),
    }
    for qid, description in ledger_q.items():
        queries[qid] = {"id": qid, "description": description, "sql": None, "params": {}}
    book = Book(queries)
    res = gathered.results
    rule = ctx.rule
    start, end = gathered.start, gathered.end
    p_start, p_end = previous_period(start, end)
    period_label = f"{start:%-d %B %Y} to {end:%-d %B %Y}"
    sections: list[dict[str, Any]] = []
    charts: dict[str, dict[str, Any]] = {}

    # -- activity: intelligence by source and theme -------------------------------------
    by_source: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    for row in res["reports_by_source"]:
        by_source[row["originator"]] += int(row["n"])
        by_kind[row["kind"]] += int(row["n"])
    by_theme: Counter[str] = Counter()
    for row in res["reports_themes"]:
        themes = row["themes"]
        for theme in set(json.loads(themes) if isinstance(themes, str) else themes or []):
            by_theme[theme] += int(row["n"])
    n_reports = sum(by_source.values())
    n_previous = int(res["reports_previous"][0]["n"]) if res["reports_previous"] else 0
    f_reports = book.add(
        "activity.reports.total", "activity", "Reports received in the period", n_reports, "reports_by_source"
    )
    f_prev = book.add(
        "activity.reports.previous",
        "activity",
        "Reports received in the previous period",
        n_previous,
        "reports_previous",
    )
    kind_table = _counted_table(
        book, "activity.by_kind", "activity", "Reports received by kind", "Kind", by_kind, {}, "reports_by_source"
    )
    source_table = _counted_table(
        book,
        "activity.by_source",
        "activity",
        "Reports received by source",
        "Source",
        by_source,
        ctx.source_names,
        "reports_by_source",
    )
    theme_table = _counted_table(
        book,
        "activity.by_theme",
        "activity",
        "Reports received by theme (a report may carry several)",
        "Theme",
        by_theme,
        ctx.theme_names,
        "reports_themes",
        total=False,
    )
    charts["chart.themes"] = {
        "title": "Reports received by theme",
        "kind": "barh",
        "labels": [ctx.theme_names.get(k, k) for k, _ in sorted(by_theme.items(), key=lambda kv: -kv[1])],
        "values": [v for _, v in sorted(by_theme.items(), key=lambda kv: -kv[1])],
        "table": theme_table["id"],
    }

    # -- referrals by route and outcome, time to acceptance, capacity -------------------
    routes: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    grid: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for row in res["referrals_by_route_status"]:
        routes[row["referral_route"]] += int(row["n"])
        statuses[row["status"]] += int(row["n"])
        grid[row["referral_route"]][row["status"]] += int(row["n"])
    status_cols = sorted(statuses)
    ref_rows = []
    for route, n in sorted(routes.items(), key=lambda kv: -kv[1]):
        cells = [_text(ctx.route_names.get(route, route))]
        for status in status_cols:
            cells.append(
                book.add(
                    f"activity.referrals.{route}.{status}",
                    "activity",
                    f"Referrals via {route}, now {status}",
                    grid[route][status],
                    "referrals_by_route_status",
                )
            )
        cells.append(
            book.add(
                f"activity.referrals.{route}.total",
                "activity",
                f"Referrals via {route}",
                n,
                "referrals_by_route_status",
            )
        )
        ref_rows.append(cells)
    total_row = [_text("Total")]
    for status in status_cols:
        total_row.append(
            book.add(
                f"activity.referrals.status.{status}",
                "activity",
                f"Referrals now {status}",
                statuses[status],
                "referrals_by_route_status",
            )
        )
    total_row.append(
        book.add(
            "activity.referrals.total",
            "activity",
            "Referrals created in the period",
            sum(routes.values()),
            "referrals_by_route_status",
        )
    )
    ref_rows.append(total_row)
    referral_table = _table(
        "activity.referrals",
        "Referrals by route and current status",
        ["Route", *[s.title() for s in status_cols], "Total"],
        ref_rows,
    )
    charts["chart.referrals"] = {
        "title": "Referrals by route",
        "kind": "barh",
        "labels": [ctx.route_names.get(r, r) for r, _ in sorted(routes.items(), key=lambda kv: -kv[1])],
        "values": [v for _, v in sorted(routes.items(), key=lambda kv: -kv[1])],
        "table": referral_table["id"],
    }
    waits: defaultdict[str, list[float]] = defaultdict(list)
    for row in res["referrals_accepted"]:
        if row["created_at"] and row["accepted_at"]:
            waits[row["assigned_unit"] or "?"].append(_hours(row["created_at"], row["accepted_at"]))
    accept_rows = []
    for unit, hours in sorted(waits.items()):
        sla = ctx.unit_sla_hours.get(unit)
        within = sum(1 for h in hours if sla is not None and h <= sla)
        accept_rows.append(
            [
                _text(ctx.unit_names.get(unit, unit)),
                book.add(
                    f"activity.acceptance.{unit}.n",
                    "activity",
                    f"Referrals accepted by {unit}",
                    len(hours),
                    "referrals_accepted",
                ),
                book.add(
                    f"activity.acceptance.{unit}.median_hours",
                    "activity",
                    f"Median hours to acceptance, {unit}",
                    round(statistics.median(hours), 1),
                    "referrals_accepted",
                    shown=f"{statistics.median(hours):.1f}",
                    unit="hours",
                ),
                book.add(
                    f"activity.acceptance.{unit}.within_sla",
                    "activity",
                    f"Accepted within SLA ({sla} h), {unit}",
                    within,
                    "referrals_accepted",
                ),
            ]
        )
    accept_table = _table(
        "activity.acceptance",
        "Time from referral to acceptance",
        ["Unit", "Accepted", "Median hours", "Within SLA"],
        accept_rows,
    )
    at_capacity: Counter[str] = Counter()
    reached: Counter[str] = Counter()
    fell = 0
    decisions = res["routing_decisions"]
    for row in decisions:
        explanation = (
            row["explanation"] if isinstance(row["explanation"], dict) else json.loads(row["explanation"] or "{}")
        )
        fell += bool(row["fell_through"])
        seen_units = set()
        for step in explanation.get("steps") or []:
            unit = step.get("target")
            if unit and unit not in seen_units and step.get("capacity"):
                seen_units.add(unit)
                reached[unit] += 1
                if step.get("outcome") == "at_capacity":
                    at_capacity[unit] += 1
    cap_rows = []
    for unit in sorted(at_capacity, key=lambda u: -at_capacity[u]):
        share = at_capacity[unit] / reached[unit] if reached[unit] else 0.0
        cap_rows.append(
            [
                _text(ctx.unit_names.get(unit, unit)),
                book.add(
                    f"activity.capacity.{unit}.times",
                    "activity",
                    f"Routing decisions finding {unit} at capacity",
                    at_capacity[unit],
                    "routing_decisions",
                ),
                book.add(
                    f"activity.capacity.{unit}.share",
                    "activity",
                    f"Share of decisions reaching {unit} that found it full",
                    round(share, 3),
                    "routing_decisions",
                    shown=f"{share:.0%}",
                    unit="share",
                ),
            ]
        )
    f_decisions = book.add(
        "activity.routing.decisions", "activity", "Routing decisions in the period", len(decisions), "routing_decisions"
    )
    f_fell = book.add(
        "activity.routing.fell_through",
        "activity",
        "Decisions that fell through to a later rule",
        fell,
        "routing_decisions",
    )
    capacity_table = _table(
        "activity.capacity",
        "Units found at capacity when a referral was routed",
        ["Unit", "Times at capacity", "Share of decisions reaching it"],
        cap_rows,
    )

    # -- trafficking and outcomes (reusing the workflow totals) --------------------------
    t = totals(Period("period", start, end), res["outcomes"], res["nrm_cases"])
    victims = {"adult": t.victims_safeguarded_adult, "child": t.victims_safeguarded_child}
    victim_table = _counted_table(
        book,
        "trafficking.victims",
        "trafficking",
        "Victims recovered and safeguarded",
        "Age group",
        victims,
        {"adult": "Adults", "child": "Children"},
        "outcomes",
        rule=rule,
    )
    nrm = {
        "referred_adult": t.nrm_referrals_adult,
        "referred_child": t.nrm_referrals_child,
        "duty_to_notify": t.duty_to_notify,
        "rg_positive": t.reasonable_grounds_positive,
        "cg_positive": t.conclusive_grounds_positive,
    }
    nrm_names = {
        "referred_adult": "NRM referrals: adults (with consent)",
        "referred_child": "NRM referrals: children",
        "duty_to_notify": "Duty to Notify (adults who declined)",
        "rg_positive": "Positive reasonable-grounds decisions",
        "cg_positive": "Positive conclusive-grounds decisions",
    }
    nrm_cells = {k: suppress({k: v}, rule, with_total=False)[k] for k, v in nrm.items()}
    nrm_rows = [
        [
            _text(nrm_names[k]),
            book.add(
                f"trafficking.nrm.{k}",
                "trafficking",
                nrm_names[k],
                c.value,
                "nrm_cases",
                shown=c.shown,
                suppressed=c.suppressed,
            ),
        ]
        for k, c in nrm_cells.items()
    ]
    nrm_table = _table(
        "trafficking.nrm",
        "National Referral Mechanism: referrals and decisions",
        ["Step", "Number"],
        nrm_rows,
        suppressed=True,
    )
    nrm_total: int = sum(nrm.values())
    if nrm_total and not any(c.suppressed for c in nrm_cells.values()):
        charts["chart.nrm"] = {
            "title": "NRM referrals and decisions",
            "kind": "barh",
            "labels": [nrm_names[k] for k in nrm],
            "values": list(nrm.values()),
            "table": nrm_table["id"],
        }
    outcome_rows = [
        [_text("Arrests"), book.add("outcomes.arrests", "outcomes", "Arrests", t.arrests, "outcomes")],
        [_text("Charges"), book.add("outcomes.charges", "outcomes", "Charges", t.charges, "outcomes")],
        [_text("Convictions"), book.add("outcomes.convictions", "outcomes", "Convictions", t.convictions, "outcomes")],
    ]
    outcome_table = _table("outcomes.summary", "Arrests, charges and convictions", ["Outcome", "Number"], outcome_rows)
    charts["chart.outcomes"] = {
        "title": "Arrests, charges and convictions",
        "kind": "bar",
        "labels": ["Arrests", "Charges", "Convictions"],
        "values": [t.arrests, t.charges, t.convictions],
        "table": outcome_table["id"],
    }
    offences = sorted(set(t.charges_by_offence) | set(t.convictions_by_offence))
    offence_rows = [
        [
            _text(ctx.offence_names.get(code, code)),
            book.add(
                f"outcomes.charges.{code}",
                "outcomes",
                f"Charges: {code}",
                t.charges_by_offence.get(code, 0),
                "outcomes",
            ),
            book.add(
                f"outcomes.convictions.{code}",
                "outcomes",
                f"Convictions: {code}",
                t.convictions_by_offence.get(code, 0),
                "outcomes",
            ),
        ]
        for code in offences
    ]
    offence_table = _table(
        "outcomes.by_offence", "Charges and convictions by offence", ["Offence", "Charges", "Convictions"], offence_rows
    )
    poca_rows = [
        [
            _text(kind.replace("_", " ").title()),
            book.money(f"outcomes.poca.{kind}", "outcomes", f"POCA: {kind}", p, "outcomes"),
        ]
        for kind, p in sorted(t.poca_pence.items())
    ]
    poca_rows.append(
        [
            _text("Total"),
            book.money("outcomes.poca.total", "outcomes", "POCA results in total", t.poca_total_pence, "outcomes"),
        ]
    )
    poca_table = _table("outcomes.poca", "Proceeds of Crime Act results (pounds)", ["Result", "Amount"], poca_rows)

    # -- networks ------------------------------------------------------------------------
    if gathered.networks_available:
        bands = {str(r["band"]): int(r["n"]) for r in res["networks_by_band"]}
        network_part: dict[str, Any] = {
            "paragraphs": ["Networks by harm band (sanitised: counts only, no names)."],
            "tables": [
                _counted_table(
                    book,
                    "networks.by_band",
                    "networks",
                    "Networks by harm band",
                    "Harm band",
                    bands,
                    {},
                    "networks_by_band",
                )
            ],
        }
    else:
        network_part = {
            "paragraphs": ["Networks disrupted: not yet available (the network analysis stage is not installed)."],
            "tables": [],
        }

    # -- funding: strategic and financial implications -----------------------------------
    period_fy = fy_of(start)
    forecast = ledger.forecast(period_fy, ctx.forecast_years)
    fc_rows = []
    for fy in forecast:
        fc_rows.append(
            [
                _text(fy.label),
                book.money(
                    f"funding.forecast.{fy.financial_year}.certain",
                    "strategic",
                    f"Certain funding {fy.label}",
                    fy.certain_pence,
                    "ledger.streams",
                ),
                book.money(
                    f"funding.forecast.{fy.financial_year}.uncertain",
                    "strategic",
                    f"Uncertain funding {fy.label}",
                    fy.uncertain_pence,
                    "ledger.streams",
                ),
            ]
        )
    forecast_table = _table(
        "strategic.forecast",
        f"Funding from {fy_label(period_fy)}: certain and not yet certain",
        ["Financial year", "Certain", "Not yet certain (bids)"],
        fc_rows,
    )
    gaps = [fy.label for fy in forecast if fy.certain_pence == 0]
    uncertain_years = [fy.label for fy in forecast if fy.uncertain_pence]
    ledger_rows = []
    for year in ledger.by_year():
        fy = year["financial_year"]
        reflex = ledger.total(financial_year=fy, grantors=["REFLEX"])
        apf_won = ledger.total(financial_year=fy, kinds=["APF_BID"])
        match = ledger.total(financial_year=fy, kinds=["MATCH"])
        ledger_rows.append(
            [
                _text(year["label"]),
                book.money(
                    f"funding.year.{fy}.reflex", "financial", f"Reflex grants {year['label']}", reflex, "ledger.streams"
                ),
                book.money(
                    f"funding.year.{fy}.apf", "financial", f"APF bids won {year['label']}", apf_won, "ledger.streams"
                ),
                book.money(
                    f"funding.year.{fy}.match",
                    "financial",
                    f"MPS match funding {year['label']}",
                    match,
                    "ledger.streams",
                ),
                book.money(
                    f"funding.year.{fy}.certain",
                    "financial",
                    f"All certain funding {year['label']}",
                    year["certain_pence"],
                    "ledger.streams",
                ),
                book.money(
                    f"funding.year.{fy}.uncertain",
                    "financial",
                    f"Not yet certain {year['label']}",
                    year["uncertain_pence"],
                    "ledger.streams",
                ),
            ]
        )
    ledger_table = _table(
        "financial.ledger",
        "Funding ledger by financial year (April to March)",
        ["Financial year", "Reflex grants", "APF bids won", "MPS match", "All certain", "Not yet certain"],
        ledger_rows,
    )
    years = ledger.by_year()
    charts["chart.funding"] = {
        "title": "Funding by financial year (£K)",
        "kind": "stacked",
        "labels": [y["label"] for y in years],
        "series": {
            "Certain": [y["certain_pence"] / 100_000 for y in years],
            "Not yet certain": [y["uncertain_pence"] / 100_000 for y in years],
        },
        "table": ledger_table["id"],
    }
    apf = ledger.apf_summary()
    f_apf_n = book.add("financial.apf.bids", "financial", "Successful APF bids", apf["successful_bids"], "ledger.apf")
    f_apf_total = book.money(
        "financial.apf.total", "financial", "APF funding won in total", apf["total_pence"], "ledger.apf"
    )
    apf_rows = [
        [
            _text(ctx.unit_names.get(u, u)),
            book.money(f"financial.apf.recipient.{u}", "financial", f"APF funding to {u}", p, "ledger.apf"),
        ]
        for u, p in apf["by_recipient_pence"].items()
    ]
    apf_table = _table(
        "financial.apf", "Additional projects fund: funding won by recipient", ["Recipient", "Amount"], apf_rows
    )
    latest = max(ledger.years) if ledger.years else period_fy

    # -- equality --------------------------------------------------------------------------
    eq_tables = []
    flags: list[str] = []
    for prop, mon_key in (("nationality", "victim_nationalities"), ("ethnicity", "victim_ethnicities")):
        rows_now = res[f"equality.{prop}"]
        rows_prev = res[f"previous.equality.{prop}"]
        victims_now = counts_by(rows_now, "victim") + monitoring_counts(res["equality.referral_monitoring"], mon_key)
        victims_prev = counts_by(rows_prev, "victim") + monitoring_counts(
            res["previous.equality.referral_monitoring"], mon_key
        )
        groups = compare(
            counts_by(rows_now, "suspect"),
            victims_now,
            counts_by(rows_now, None),
            counts_by(rows_prev, "suspect"),
            victims_prev,
            ratio=ctx.equality_ratio,
            min_count=ctx.equality_min_count,
        )
        if not groups:
            eq_tables.append(
                _table(
                    f"equality.{prop}",
                    f"People named in reports by recorded {prop}",
                    [prop.title()],
                    [[_text("No " + prop + " recorded in the period")]],
                )
            )
            continue
        v_cells = suppress({g.group: g.victims for g in groups}, rule)
        vp_cells = suppress({g.group: g.victims_previous for g in groups}, rule)
        q = f"equality.{prop}"
        rows = []
        for g in groups:
            name = ctx.country_names.get(g.group, g.group) if prop == "nationality" else g.group
            base = f"equality.{prop}.{g.group}"
            vc, vpc = v_cells[g.group], vp_cells[g.group]
            rows.append(
                [
                    _text(name),
                    book.add(f"{base}.suspects", "equality", f"Suspects, {prop} {g.group}", g.suspects, q),
                    book.add(
                        f"{base}.suspects_previous",
                        "equality",
                        f"Suspects, previous period, {prop} {g.group}",
                        g.suspects_previous,
                        f"previous.{q}",
                    ),
                    book.add(
                        f"{base}.suspect_share",
                        "equality",
                        f"Share of suspects, {prop} {g.group}",
                        round(g.suspect_share, 3),
                        q,
                        shown=f"{g.suspect_share:.0%}",
                        unit="share",
                    ),
                    book.add(
                        f"{base}.victims",
                        "equality",
                        f"Victims, {prop} {g.group}",
                        vc.value,
                        q,
                        shown=vc.shown,
                        suppressed=vc.suppressed,
                    ),
                    book.add(
                        f"{base}.victims_previous",
                        "equality",
                        f"Victims, previous period, {prop} {g.group}",
                        vpc.value,
                        f"previous.{q}",
                        shown=vpc.shown,
                        suppressed=vpc.suppressed,
                    ),
                    book.add(
                        f"{base}.victim_share",
                        "equality",
                        f"Share of victims, {prop} {g.group}",
                        None if vc.suppressed else round(g.victim_share, 3),
                        q,
                        shown=rule.shown_as if vc.suppressed else f"{g.victim_share:.0%}",
                        suppressed=vc.suppressed,
                        unit="share",
                    ),
                    book.add(
                        f"{base}.everyone_share",
                        "equality",
                        f"Share of everyone named, {prop} {g.group}",
                        round(g.everyone_share, 3),
                        q,
                        shown=f"{g.everyone_share:.0%}",
                        unit="share",
                    ),
                    _text("For scrutiny: " + g.reason if g.flagged and g.reason else ""),
                ]
            )
            if g.flagged:
                flags.append(f"{name} ({prop}): {g.reason}.")
        eq_tables.append(
            _table(
                f"equality.{prop}",
                f"People named in reports by recorded {prop}: this period and the last",
                [
                    prop.title(),
                    "Suspects",
                    "Suspects (previous)",
                    "Share of suspects",
                    "Victims",
                    "Victims (previous)",
                    "Share of victims",
                    "Share of everyone named",
                    "Flag",
                ],
                rows,
                suppressed=True,
            )
        )

    # -- Appendix 1 --------------------------------------------------------------------------
    staff_rows = []
    for row in staffing.by_unit():
        u = row["unit"]
        staff_rows.append(
            [
                _text(ctx.unit_names.get(u, u)),
                book.add(
                    f"appendix.{u}.police_fte",
                    "appendix",
                    f"Police FTE, {u}",
                    float(row["police_fte"]),
                    "staffing.posts",
                    shown=f"{row['police_fte']:.1f}",
                    unit="fte",
                ),
                book.add(
                    f"appendix.{u}.staff_fte",
                    "appendix",
                    f"Staff FTE, {u}",
                    float(row["staff_fte"]),
                    "staffing.posts",
                    shown=f"{row['staff_fte']:.1f}",
                    unit="fte",
                ),
                book.money(f"appendix.{u}.cost", "appendix", f"Cost, {u}", row["cost_pence"], "staffing.posts"),
                _text(
                    ", ".join(
                        f"{staffing.funding_sources.get(s, s)} {short_pounds(p)}"
                        for s, p in sorted(row["by_source_pence"].items())
                    )
                ),
            ]
        )
    st = staffing.totals()
    staff_rows.append(
        [
            _text("Total"),
            book.add(
                "appendix.total.police_fte",
                "appendix",
                "Police FTE in total",
                float(st["police_fte"]),
                "staffing.posts",
                shown=f"{st['police_fte']:.1f}",
                unit="fte",
            ),
            book.add(
                "appendix.total.staff_fte",
                "appendix",
                "Staff FTE in total",
                float(st["staff_fte"]),
                "staffing.posts",
                shown=f"{st['staff_fte']:.1f}",
                unit="fte",
            ),
            book.money("appendix.total.cost", "appendix", "Cost in total", st["cost_pence"], "staffing.posts"),
            _text(""),
        ]
    )
    staff_table = _table(
        "appendix.staffing",
        "Appendix 1: police and staff on OIC work, and their cost"
        + (" (ILLUSTRATIVE figures)" if staffing.illustrative else ""),
        ["Unit", "Police FTE", "Staff FTE", "Annual cost", "Funded by"],
        staff_rows,
    )

    # -- the sections, in the document's order ---------------------------------------------
    sections = [
        {
            "id": "summary",
            "title": "Summary",
            "paragraphs": [
                f"This report updates the committee on the activity, outcomes, funding and equality impact of the "
                f"work against organised immigration crime and human trafficking for {period_label}. "
                f"{f_reports['text']} reports were received (previous period: {f_prev['text']}); "
                f"{sum(routes.values()):,} trafficking referrals were recorded and routed by the standard "
                "operating procedure.",
            ],
        },
        {
            "id": "recommendation",
            "title": "A. Recommendation",
            "paragraphs": ["That members note the contents of this report."],
        },
        {
            "id": "background",
            "title": "B. Supporting information: background",
            "paragraphs": [
                "Operation Maxim is the clearinghouse for intelligence on organised immigration crime "
                "within the force: "
                "intelligence from boroughs, national agencies, the trafficking centre and its NGOs, "
                "financial institutions "
                "and industry is graded, linked and passed to the unit that should act, subject to that "
                "unit's capacity.",
                "Its funding has come as Reflex pump-priming, continuation and team grants, "
                f"{f_apf_n['text']} successful "
                f"additional-projects-fund bids totalling {f_apf_total['text']}, and the force's own match funding "
                "(Financial implications, below).",
            ],
        },
        {
            "id": "current",
            "title": "Current position",
            "paragraphs": [
                f"{f_decisions['text']} routing decisions were made in the period; {f_fell['text']} fell "
                "through to a later "
                "rule because an earlier unit was at capacity, had declined, or could not take the case.",
            ],
            "tables": [capacity_table],
        },
        {
            "id": "activity",
            "title": "Activity",
            "paragraphs": ["Intelligence received by source and theme, and referrals by route and outcome."],
            "tables": [kind_table, source_table, theme_table, referral_table, accept_table],
            "charts": ["chart.themes", "chart.referrals"],
        },
        {
            "id": "trafficking",
            "title": "Trafficking human beings",
            "paragraphs": [
                "Victims recovered and safeguarded, and their progress through the National Referral Mechanism. "
                + rule.statement
            ],
            "tables": [victim_table, nrm_table],
            "charts": ["chart.nrm"] if "chart.nrm" in charts else [],
            "notes": []
            if "chart.nrm" in charts
            else ["Chart omitted: some counts are small and suppressed, or there are none."],
        },
        {
            "id": "outcomes",
            "title": "Outcomes",
            "paragraphs": [
                "Arrests, charges by offence, convictions and Proceeds of Crime Act results dated in the period."
            ],
            "tables": [outcome_table, offence_table, poca_table],
            "charts": ["chart.outcomes"],
        },
        {"id": "networks", "title": "Networks disrupted", **network_part},
        {
            "id": "strategic",
            "title": "Strategic implications",
            "paragraphs": [
                f"Funding has only ever given two years of vision. For {fy_label(period_fy)} and the "
                f"{ctx.forecast_years - 1} years after it, the ledger holds the sums below; money bid for "
                "but not granted is shown apart.",
                ("No certain funding is recorded for " + ", ".join(gaps) + ": these are the gaps ahead.")
                if gaps
                else "Every year shown has some certain funding.",
                ("Funding not yet certain (bids under negotiation) in " + ", ".join(uncertain_years) + ".")
                if uncertain_years
                else "",
            ],
            "tables": [forecast_table],
        },
        {
            "id": "equality",
            "title": "C. Race and equality impact",
            "paragraphs": [
                "Organised immigration crime often targets members of newer communities, both as victims and through "
                "perpetrators in their midst. The tables count people named in reports as suspects and as victims by "
                "their recorded (self-defined where given) nationality and ethnicity, beside the previous period and "
                "beside everyone the reports name.",
                f"A group is flagged for scrutiny when it holds at least {ctx.equality_min_count} suspects "
                "and its share of "
                f"suspects is {ctx.equality_ratio:g} or more times its share of victims or of everyone named. These "
                "figures are for the committee's scrutiny of how intelligence is recorded. They are never used for "
                "scoring, prioritising or routing: routing refuses any rule that names a protected characteristic.",
                *(["Flagged: " + " ".join(flags)] if flags else ["No group is flagged in this period."]),
            ],
            "tables": eq_tables,
        },
        {
            "id": "financial",
            "title": "D. Financial implications",
            "paragraphs": [
                f"The ledger runs from {fy_label(min(ledger.years)) if ledger.years else '-'} to {fy_label(latest)}. "
                "After the last approved year no Reflex funding is certain.",
            ],
            "tables": [ledger_table, apf_table],
            "charts": ["chart.funding"],
        },
        {
            "id": "appendix",
            "title": "Appendix 1: staffing and cost",
            "paragraphs": [
                "An approximation of police and staff numbers and cost on OIC work, by unit."
                + (
                    " These figures are ILLUSTRATIVE: the appendix of the source report is not held; "
                    "replace with local figures."
                    if staffing.illustrative
                    else ""
                )
            ],
            "tables": [staff_table],
        },
    ]
    for s in sections:
        s.setdefault("tables", [])
        s.setdefault("charts", [])
        s.setdefault("notes", [])
        s["paragraphs"] = [p for p in s["paragraphs"] if p]
    return {
        "title": "Organised immigration crime and human trafficking: report to the oversight committee",
        "meta": {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "period": period_label,
            "previous_from": p_start.isoformat(),
            "previous_to": p_end.isoformat(),
            "built_at": ctx.built_at.isoformat(timespec="seconds"),
            "built_by": gathered.actor,
            "database": gathered.dialect,
            "funding_ledger": f"{ctx.ledger_origin}, version {ledger.version}",
            "staffing": f"staffing.yaml version {staffing.version}"
            + (" (illustrative)" if staffing.illustrative else ""),
            "suppression_rule": rule.statement,
            "visibility": (
                f"Figures drawn from records are those {gathered.actor} may see under need-to-know; a report built by "
                "another user may differ. Every figure is listed in the JSON twin with the query that produced it."
            ),
        },
        "sections": sections,
        "charts": charts,
        "figures": book.figures,
        "queries": queries,
    }
