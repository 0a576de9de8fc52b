"""The one harm scorer (`maxim.network.harm`, every subject at once over arrays) equals a plain
per-subject reference, breakdown for breakdown (pure).

The reference below is the straightforward reading of the MoRiLE method (`maxim.network.score`):
gather one subject's evidence into Python sets, then add up its factors. It lives only here, to
check the vectorised scorer: they must agree exactly (every factor's count, points, reason and
cited reports), on random graphs built to reach every factor and on the scenario.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from maxim.network.analysis import Ranked, analyse, rank
from maxim.network.fold import PERSON, Folded, Mention
from maxim.network.graph import EvidenceGraph
from maxim.network.model import ReportInfo
from maxim.network.networks import assign_ids, find_groups
from maxim.network.roles import infer_roles
from maxim.network.score import MAX_CITED, Factor, Score
from maxim.prioritise.config import HarmConfig, load_harm_config
from maxim.prioritise.evidence import LEAD_KINDS, EvidenceIndex
from tests.network.helpers import AS_OF, pure_inputs, records, scenario

# -- the reference: one subject at a time, in Python sets -----------------------------------


@dataclass
class _Evidence:
    reports: list[ReportInfo]  # ascending id
    victims: set[str]
    children: set[str]
    findings: dict[str, set[str]]  # violence, weapons, document_fraud -> report ids
    exploitation: dict[str, set[str]]  # category -> report ids
    money: float
    money_reports: set[str]
    sars: set[str]
    originators: set[str]
    countries: set[str]
    leads: int


def _evidence(index: EvidenceIndex, nodes: Collection[str], nominal: str | None = None) -> _Evidence:
    """A network's evidence (its nodes) or, with `nominal`, one person's: their own reports, the
    victims named with them, payments they are party to, and their one-hop neighbourhood."""
    folded = index.folded
    focus = {nominal} if nominal else set(nodes)
    rids = {r for n in focus for r in index.node_reports.get(n, ())}
    reports = sorted((index.reports[r] for r in rids if r in index.reports), key=lambda r: r.id)
    if nominal:
        own = {m.report_id for m in folded.mentions if m.node == nominal and "victim" not in m.categories}
        victims = ({m.node for m in folded.mentions if m.report_id in own} & index.victims) - {nominal}
        hood = {nominal} | {b for a, b, _r, _i in folded.records if a == nominal}
        hood |= {a for a, b, _r, _i in folded.records if b == nominal}
    else:
        victims = {n for n in nodes if folded.kinds.get(n) == PERSON} & index.victims
        hood = set(nodes)
    money, money_reports = 0.0, set()
    for payment in dict.fromkeys(folded.amounts):  # each payment once, in fold order
        if payment[0] in focus or payment[1] in focus:
            money += payment[2]
            money_reports.add(payment[3])
    findings: dict[str, set[str]] = defaultdict(set)
    exploitation: dict[str, set[str]] = defaultdict(set)
    for r in reports:
        found = index.findings[r.id]
        for finding, who in found.found.items():
            if finding != "child" and (who is None or nominal is None or nominal in who):
                findings[finding].add(r.id)
        for category in found.exploitation:
            exploitation[category].add(r.id)
    return _Evidence(
        reports,
        victims,
        victims & index.children,
        findings,
        exploitation,
        money,
        money_reports,
        {r.id for r in reports if r.kind == "sar"},
        {r.originator for r in reports},
        {c for n in hood for c in index.countries.get(n, ())} - {"GB"},
        sum(folded.kinds.get(n) in LEAD_KINDS for n in hood),
    )


def _stepped(value: float, thresholds: Sequence[tuple[float, float]], floor: float = 0.0) -> float:
    return next((float(pts) for at, pts in reversed(thresholds) if value >= float(at)), floor)


def _cite(ids: Collection[str]) -> tuple[str, ...]:
    return tuple(sorted(ids)[:MAX_CITED])


def _score(subject: str, ev: _Evidence, cfg: HarmConfig, as_of: date) -> Score:
    """The MoRiLE score of one subject's evidence, factor by factor."""
    h = cfg.harm

    def counted(group: str, name: str, count: int, cited: Collection[str], per: str) -> Factor:
        rule = h[group][name]
        points = round(min(float(rule["cap"]), float(rule[per]) * count), 3)
        return Factor("harm", f"{group.upper()}.{name}", count, points, f"{count} {rule['why']}", _cite(cited))

    kinds = sorted(ev.exploitation)
    exploitation = h["community_environment"]["exploitation"]
    money = h["financial"]["money"]
    factors = [
        counted("physical", "violence", len(ev.findings["violence"]), ev.findings["violence"], "per_report"),
        counted("physical", "weapons", len(ev.findings["weapons"]), ev.findings["weapons"], "per_report"),
        counted("psychological", "victims", len(ev.victims), (), "per_item"),
        Factor(
            "harm",
            "FINANCIAL.money",
            round(ev.money, 2),
            _stepped(ev.money, money["thresholds"]),
            f"GBP {ev.money:,.0f} {money['why']}",
            _cite(ev.money_reports),
        ),
        counted("financial", "sars", len(ev.sars), ev.sars, "per_report"),
        Factor(
            "harm",
            "COMMUNITY_ENVIRONMENT.exploitation",
            len(kinds),
            min(float(exploitation["cap"]), float(exploitation["per_item"]) * len(kinds)),
            f"{len(kinds)} {exploitation['why']}: {', '.join(kinds) or 'none'}",
            _cite({r for rs in ev.exploitation.values() for r in rs}),
        ),
        counted(
            "community_environment",
            "document_fraud",
            len(ev.findings["document_fraud"]),
            ev.findings["document_fraud"],
            "per_report",
        ),
        counted("vulnerability", "child_victims", len(ev.children), (), "per_item"),
    ]
    harm = sum(f.points for f in factors)
    national = sorted(ev.originators & cfg.national_originators)
    n_orig = len(ev.originators)
    if ev.countries:
        scope, why = "international", f"accounts or addresses in {', '.join(sorted(ev.countries))}"
    elif national:
        scope, why = "national", f"reported by {', '.join(national)}"
    elif n_orig >= cfg.regional_at:
        scope, why = "regional", f"{n_orig} originators"
    elif n_orig >= cfg.force_at:
        scope, why = "force", f"{n_orig} originators"
    else:
        scope, why = "local", f"{n_orig} originator"
    multiplier = cfg.geographic_scope[scope]
    factors.append(Factor("harm", "GEOGRAPHIC_SCOPE", n_orig, multiplier, f"{scope}: {why}"))
    n = len(ev.reports)
    recency = 0.0
    if n == 0:
        factors.append(Factor("likelihood", "LIKELIHOOD.recency", 0, 0.0, "no reports"))
    else:
        latest = max(r.when for r in ev.reports)
        age = max(0, (as_of - latest).days)
        recency = math.pow(0.5, age / cfg.half_life_days)
        reason = f"latest report {latest.isoformat()}, {age} days before {as_of.isoformat()}"
        reason += f" (half-life {cfg.half_life_days:g} days)"
        factors.append(Factor("likelihood", "LIKELIHOOD.recency", age, round(recency, 3), reason))
    frequency = _stepped(n, cfg.frequency, floor=1.0)
    factors.append(Factor("likelihood", "LIKELIHOOD.frequency", n, frequency, f"{n} reports"))
    likelihood = round(max(1.0, frequency * (0.5 + 0.5 * recency)), 3) if n else 0.0
    weights = [
        cfg.source_weight.get(r.source_evaluation, 0.0) * cfg.assessment_weight.get(r.intelligence_assessment, 0.0)
        for r in ev.reports
    ]
    mean = math.fsum(weights) / n if n else 0.0
    conf = cfg.confidence
    level = "HIGH" if mean >= float(conf["high_at"]) else "MEDIUM" if mean >= float(conf["medium_at"]) else "LOW"
    grades = ", ".join(sorted({r.grading[:2] for r in ev.reports})) or "none"
    confidence = float(conf["factor"][level])
    reason = f"{level}: mean grading weight {mean:.2f} over {n} reports (gradings {grades})"
    factors.append(Factor("confidence", "CONFIDENCE", round(mean, 3), confidence, reason))
    opportunity = _stepped(ev.leads, cfg.opportunity, floor=1.0)
    reason = f"{ev.leads} actionable leads (phones, vehicles, premises, accounts, documents)"
    factors.append(Factor("organisational_position", "OPPORTUNITY", ev.leads, opportunity, reason))
    priority = harm * multiplier * likelihood / 5 * confidence * opportunity
    return Score(
        subject,
        round(priority, 3),
        round(harm, 3),
        scope,
        multiplier,
        likelihood,
        level,
        confidence,
        opportunity,
        cfg.method,
        tuple(factors),
    )


def _same(vectorised: Score, reference: Score) -> None:
    assert repr(vectorised.breakdown()) == repr(reference.breakdown())  # repr: 3 and 3.0 differ


def _equals_reference(ranked: list[Ranked], graph: EvidenceGraph, index: EvidenceIndex, cfg: HarmConfig) -> None:
    """Every network's and nominal's score is the reference's, and networks rank by priority."""
    for item in ranked:
        nodes = [graph.nodes[i] for i in item.network.members.tolist()]
        _same(item.score, _score(item.network.id, _evidence(index, nodes), cfg, AS_OF))
        assert list(item.nominals) == item.network.persons
        for person, s in item.nominals.items():
            _same(s, _score(person, _evidence(index, nodes, nominal=person), cfg, AS_OF))
    order = [(-r.score.priority, r.network.id) for r in ranked]
    assert order == sorted(order)


# -- the cases ----------------------------------------------------------------------------------

ORIGINATORS = ["BOCU-LAMBETH", "BOCU-SOUTHWARK", "BOCU-CROYDON", "NCA", "UKFIU", "BOCU-BRENT", "BOCU-EALING"]
OTHER_KINDS = ["phone", "address", "vehicle", "account", "company", "email", "passport"]
COUNTRIES = ["GB", "RO", "AL", "VN", "FR"]
WORDS = [
    "assaulted",
    "a knife was found",
    "forged passport",
    "brothel",
    "car wash without pay",
    "cannabis",
    "domestic servitude",
    "small boat",
    "children",
    "under 18",
    "threatened",
    "firearm",
    "nothing of note",
]


def _random_case(seed: int) -> tuple[Folded, list[ReportInfo]]:
    """A small random fold: persons and identifiers, reports with every kind of finding in their
    text, victims and children, payments, places abroad, weak and strong gradings."""
    rng = random.Random(seed)
    persons = [f"person:{i:03d}" for i in range(rng.randint(20, 60))]
    names = {p: f"Testperson {chr(65 + i % 26)}{i}" for i, p in enumerate(persons)}
    others = [f"{rng.choice(OTHER_KINDS)}:{i:03d}" for i in range(rng.randint(10, 40))]
    kinds = {p: "person" for p in persons} | {o: o.split(":")[0] for o in others}
    start = date(2024, 1, 1)
    reports: list[ReportInfo] = []
    mentions: list[Mention] = []
    records: list[tuple[str, str, str, str]] = []
    amounts: list[tuple[str, str, float, str]] = []
    countries: list[tuple[str, str, str]] = []
    for r in range(rng.randint(30, 90)):
        rid = f"R{rng.randrange(10**6):06d}{r:03d}"
        named = rng.sample(persons, rng.randint(1, 4))
        sentences = []
        for _ in range(rng.randint(1, 4)):
            who = rng.choice([*named, None, None])
            sentence = rng.choice(WORDS)
            sentences.append(f"{names[who]} {sentence}." if who else f"Someone {sentence}.")
        when = start + timedelta(days=rng.randint(0, 800))
        reports.append(
            ReportInfo(
                rid,
                rng.choice(ORIGINATORS),
                f"REF/{r}",
                rng.choice(["intelligence", "intelligence", "sar"]),
                datetime(when.year, when.month, when.day, tzinfo=UTC),
                rng.choice("1223"),
                rng.choice("ABBCDE"),
                "P",
                tuple(rng.sample(["VICE", "CHILD_EXPLOITATION", "PEOPLE_SMUGGLING", "LABOUR"], rng.randint(0, 2))),
                " ".join(sentences),
                when if rng.random() < 0.5 else None,
            )
        )
        for p in named:
            category = rng.choice(["suspect", "suspect", "victim", "witness", ""])
            born = f"{rng.randint(1970, 2015)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
            mentions.append(Mention(f"m{r}{p}", p, rid, [names[p]], [born], {category} - {""}))
        nodes = named + rng.sample(others, rng.randint(0, 3))
        for _ in range(rng.randint(1, 5)):
            a, b = rng.sample(nodes, 2) if len(nodes) > 1 else (nodes[0], rng.choice(others))
            records.append((a, b, rng.choice(["Associate", "phone", "addressEntity", "Payment", "Ownership"]), rid))
        if rng.random() < 0.3:
            amounts.append((rng.choice(nodes), rng.choice(persons), float(rng.choice([500, 999.99, 1000, 20000])), rid))
        if rng.random() < 0.3:
            countries.append((rng.choice(others), rng.choice(COUNTRIES), rid))
    amounts += amounts[:2]  # the same payment twice counts once
    captions = names | {o: o for o in others}
    return Folded(kinds, captions, records, {}, mentions, amounts, countries), reports


def _boundary_config() -> HarmConfig:
    """Thresholds a mean grading weight can hit exactly (1B reports weigh 0.85), so the exact
    recomputation of means near a threshold is exercised."""
    cfg = load_harm_config()
    return dataclasses.replace(cfg, confidence={**cfg.confidence, "high_at": 0.85, "medium_at": 0.75 * 0.85})


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("boundary", [False, True])
def test_vectorised_scores_equal_the_per_network_reference_on_random_graphs(seed: int, boundary: bool) -> None:
    cfg = _boundary_config() if boundary else load_harm_config()
    folded, reports = _random_case(seed)
    graph = EvidenceGraph.from_folded(folded, reports, cfg.weak_sources, cfg.weak_assessments)
    index = EvidenceIndex(folded, reports, cfg)
    networks = assign_ids(graph, find_groups(graph, max_persons=15))  # small: Leiden splits some
    ranked = rank(graph, index, networks, cfg, AS_OF)
    assert ranked and len(ranked) == len(networks)
    _equals_reference(ranked, graph, index, cfg)


def test_vectorised_analysis_equals_the_reference_on_the_scenario() -> None:
    raws, _truth, _nets = scenario()
    cfg = load_harm_config()
    result = analyse(*pure_inputs(records(raws)), as_of=AS_OF)
    assert result.ranked
    _equals_reference(result.ranked, result.graph, result.index, cfg)
    roles = infer_roles(result.folded, result.index.reports, cfg.roles)
    for item in result.ranked:
        assert item.roles == {p: roles.get(p, []) for p in item.network.persons}
