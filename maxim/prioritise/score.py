"""The harm score, MoRiLE-style, with its breakdown. Pure.

Sections (DOMAIN §4.2): **harm** (physical, psychological, financial, community and environment,
victim vulnerability; times a geographic-scope multiplier), **likelihood** (recency and
frequency, 1..5), **confidence** (from the 3x5x2 grading of the reports behind it) and
**organisational position** (opportunity: actionable leads). Weights are in
`maxim/reference/harm.yaml`. Every factor says what it counted, the points it gave, why, and the
reports behind it, so a tasking group can check a score against the intelligence.

    priority = harm x geographic scope x likelihood / 5 x confidence factor x opportunity
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from maxim.prioritise.config import HarmConfig
from maxim.prioritise.evidence import SubjectEvidence

MAX_CITED = 20


@dataclass(frozen=True, slots=True)
class Factor:
    section: str
    code: str
    count: float
    points: float
    reason: str
    reports: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Score:
    subject: str
    priority: float
    harm: float
    geographic_scope: str
    scope_multiplier: float
    likelihood: float
    confidence: str
    confidence_factor: float
    opportunity: float
    method: str
    factors: tuple[Factor, ...]

    def breakdown(self) -> dict[str, Any]:
        out = asdict(self)
        out["factors"] = [asdict(f) for f in self.factors]
        return out


def _stepped(value: float, thresholds: list[tuple[float, float]], floor: float = 0.0) -> float:
    points = floor
    for at, pts in thresholds:
        if value >= at:
            points = pts
    return points


def _cite(ids: set[str] | list[str]) -> tuple[str, ...]:
    return tuple(sorted(ids)[:MAX_CITED])


def score(ev: SubjectEvidence, config: HarmConfig, as_of: date) -> Score:
    h = config.harm
    factors: list[Factor] = []

    def counted(section: str, group: str, name: str, count: float, reports: set[str] | list[str], per: str) -> None:
        rule = h[group][name]
        points = min(float(rule["cap"]), float(rule[per]) * count)
        factors.append(
            Factor(
                section,
                f"{group.upper()}.{name}",
                count,
                round(points, 3),
                f"{int(count)} {rule['why']}",
                _cite(reports),
            )
        )

    physical = ("harm", "physical")
    counted(*physical, "violence", len(ev.findings["violence"]), ev.findings["violence"], "per_report")
    counted(*physical, "weapons", len(ev.findings["weapons"]), ev.findings["weapons"], "per_report")
    counted("harm", "psychological", "victims", len(ev.victims), [], "per_item")
    money_rule = h["financial"]["money"]
    money_points = _stepped(ev.money_gbp, [(float(a), float(b)) for a, b in money_rule["thresholds"]])
    factors.append(
        Factor(
            "harm",
            "FINANCIAL.money",
            round(ev.money_gbp, 2),
            money_points,
            f"GBP {ev.money_gbp:,.0f} {money_rule['why']}",
            _cite(ev.money_reports),
        )
    )
    counted("harm", "financial", "sars", len(ev.sar_reports), ev.sar_reports, "per_report")
    kinds = sorted(ev.exploitation)
    exploitation_reports = {r for rs in ev.exploitation.values() for r in rs}
    rule = h["community_environment"]["exploitation"]
    factors.append(
        Factor(
            "harm",
            "COMMUNITY_ENVIRONMENT.exploitation",
            len(kinds),
            min(float(rule["cap"]), float(rule["per_item"]) * len(kinds)),
            f"{len(kinds)} {rule['why']}: {', '.join(kinds) or 'none'}",
            _cite(exploitation_reports),
        )
    )
    counted(
        "harm",
        "community_environment",
        "document_fraud",
        len(ev.findings["document_fraud"]),
        ev.findings["document_fraud"],
        "per_report",
    )
    counted("harm", "vulnerability", "child_victims", len(ev.child_victims), [], "per_item")
    harm_total = sum(f.points for f in factors)

    national = ev.originators & config.national_originators
    if ev.countries:
        scope = "international"
        why = f"accounts or addresses in {', '.join(sorted(ev.countries))}"
    elif national:
        scope, why = "national", f"reported by {', '.join(sorted(national))}"
    elif len(ev.originators) >= config.regional_at:
        scope, why = "regional", f"{len(ev.originators)} originators"
    elif len(ev.originators) >= config.force_at:
        scope, why = "force", f"{len(ev.originators)} originators"
    else:
        scope, why = "local", f"{len(ev.originators)} originator"
    multiplier = config.geographic_scope[scope]
    factors.append(Factor("harm", "GEOGRAPHIC_SCOPE", len(ev.originators), multiplier, f"{scope}: {why}"))

    latest = max((r.when for r in ev.reports), default=None)
    if latest is None:
        recency = 0.0
        factors.append(Factor("likelihood", "LIKELIHOOD.recency", 0, 0.0, "no reports"))
    else:
        age = max(0, (as_of - latest).days)
        recency = math.pow(0.5, age / config.half_life_days)
        factors.append(
            Factor(
                "likelihood",
                "LIKELIHOOD.recency",
                age,
                round(recency, 3),
                f"latest report {latest.isoformat()}, {age} days before {as_of.isoformat()}"
                f" (half-life {config.half_life_days:g} days)",
            )
        )
    frequency = _stepped(len(ev.reports), config.frequency, floor=1.0)
    factors.append(
        Factor("likelihood", "LIKELIHOOD.frequency", len(ev.reports), frequency, f"{len(ev.reports)} reports")
    )
    likelihood = round(max(1.0, frequency * (0.5 + 0.5 * recency)), 3) if ev.reports else 0.0

    weights = [
        config.source_weight.get(r.source_evaluation, 0.0)
        * config.assessment_weight.get(r.intelligence_assessment, 0.0)
        for r in ev.reports
    ]
    mean = math.fsum(weights) / len(weights) if weights else 0.0  # exact: independent of report order
    conf = config.confidence
    level = "HIGH" if mean >= float(conf["high_at"]) else "MEDIUM" if mean >= float(conf["medium_at"]) else "LOW"
    grades = sorted({r.grading[:2] for r in ev.reports})
    confidence_factor = float(conf["factor"][level])
    factors.append(
        Factor(
            "confidence",
            "CONFIDENCE",
            round(mean, 3),
            confidence_factor,
            f"{level}: mean grading weight {mean:.2f} over {len(ev.reports)} reports"
            f" (gradings {', '.join(grades) or 'none'})",
        )
    )
    opportunity = _stepped(ev.leads, config.opportunity, floor=1.0)
    factors.append(
        Factor(
            "organisational_position",
            "OPPORTUNITY",
            ev.leads,
            opportunity,
            f"{ev.leads} actionable leads (phones, vehicles, premises, accounts, documents)",
        )
    )
    priority = harm_total * multiplier * likelihood / 5 * confidence_factor * opportunity
    return Score(
        ev.subject,
        round(priority, 3),
        round(harm_total, 3),
        scope,
        multiplier,
        likelihood,
        level,
        confidence_factor,
        opportunity,
        config.method,
        tuple(factors),
    )
