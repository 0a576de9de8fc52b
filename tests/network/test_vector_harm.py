"""Vectorised harm scores equal the plain per-network computation, breakdown for breakdown (pure).

`maxim.prioritise.score.score` over `EvidenceIndex.evidence` is the straightforward reference: one
subject at a time, Python sets. `maxim.network.harm` computes every subject at once over arrays.
They must agree exactly (every factor's count, points, reason and cited reports), on random graphs
built to reach every factor and on the scenario, and protected characteristics move neither.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from maxim.network.analysis import analyse, rank
from maxim.network.fold import Folded, Mention
from maxim.network.graph import EvidenceGraph
from maxim.network.model import ReportInfo
from maxim.network.networks import assign_ids, find_groups
from maxim.prioritise.config import HarmConfig, load_harm_config
from maxim.prioritise.evidence import EvidenceIndex
from maxim.prioritise.rank import analyse as reference_analyse
from maxim.prioritise.score import Score, score
from tests.network.helpers import AS_OF, pure_inputs, records, scenario
from tests.network.test_harm import _changed

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


def _same(vectorised: Score, reference: Score) -> None:
    assert repr(vectorised.breakdown()) == repr(reference.breakdown())  # repr: 3 and 3.0 differ


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
    for item in ranked:
        nodes = [graph.nodes[i] for i in item.network.members.tolist()]
        _same(item.score, score(index.evidence(item.network.id, nodes), cfg, AS_OF))
        assert list(item.nominals) == item.network.persons
        for person, s in item.nominals.items():
            _same(s, score(index.evidence(person, nodes, nominal=person), cfg, AS_OF))
    assert [r.score.priority for r in ranked] == sorted((r.score.priority for r in ranked), reverse=True)


def test_vectorised_analysis_equals_the_reference_on_the_scenario() -> None:
    raws, _truth, _nets = scenario()
    inputs = pure_inputs(records(raws))
    reference = reference_analyse(*inputs, as_of=AS_OF)
    vectorised = analyse(*inputs, as_of=AS_OF)
    assert [r.network.id for r in vectorised.ranked] == [r.network.id for r in reference.ranked]
    for v, r in zip(vectorised.ranked, reference.ranked, strict=True):
        _same(v.score, r.score)
        assert v.nominals.keys() == r.nominals.keys() and v.roles == r.roles
        for person in r.nominals:
            _same(v.nominals[person], r.nominals[person])


def test_protected_characteristics_never_move_a_vectorised_score() -> None:
    raws, _truth, _nets = scenario()
    before = analyse(*pure_inputs(records(raws)), as_of=AS_OF)
    after = analyse(*pure_inputs(records(_changed(raws))), as_of=AS_OF)
    assert [(r.network.id, r.score.priority) for r in before.ranked] == [
        (r.network.id, r.score.priority) for r in after.ranked
    ]
    for b, a in zip(before.ranked, after.ranked, strict=True):
        assert [(f.code, f.count, f.points, f.reason) for f in b.score.factors] == [
            (f.code, f.count, f.points, f.reason) for f in a.score.factors
        ]
        assert {p: s.priority for p, s in b.nominals.items()} == {p: s.priority for p, s in a.nominals.items()}
