"""Harm scores: the planted most harmful network first, breakdowns, and protected characteristics
never move a score (pure core, no database)."""

from __future__ import annotations

import copy
from collections import Counter

from maxim.network.analysis import analyse
from tests.network.helpers import AS_OF, pure_inputs, records, scenario

PROTECTED_CHANGES = {
    "nationality": ["gb"],
    "gender": ["other"],
    "ethnicity": ["Invented ethnicity"],
    "religion": ["Invented religion"],
}


def _changed(raws: list[dict]) -> list[dict]:
    out = copy.deepcopy(raws)
    for raw in out:
        for entity in raw["entities"]:
            if entity["schema"] == "Person":
                for prop, values in PROTECTED_CHANGES.items():
                    entity["properties"][prop] = list(values)
    return out


def test_protected_characteristics_never_move_a_score() -> None:
    raws, _truth, _nets = scenario()
    before = analyse(*pure_inputs(records(raws)), as_of=AS_OF)
    changed = records(_changed(raws))
    assert any(s["prop"] == "religion" for rec in changed for s in rec.statements)  # the change is really there
    after = analyse(*pure_inputs(changed), as_of=AS_OF)
    assert [(r.network.id, r.score.priority) for r in before.ranked] == [
        (r.network.id, r.score.priority) for r in after.ranked
    ]
    for b, a in zip(before.ranked, after.ranked, strict=True):
        # report ids differ (changed content is a new version); what was counted and scored does not
        assert [(f.code, f.count, f.points, f.reason) for f in b.score.factors] == [
            (f.code, f.count, f.points, f.reason) for f in a.score.factors
        ]
        assert {p: s.priority for p, s in b.nominals.items()} == {p: s.priority for p, s in a.nominals.items()}


def test_planted_network_ranks_first_and_every_score_explains_itself() -> None:
    raws, truth, nets = scenario()
    planted = next(n["id"] for n in nets if n["planted_most_harmful"])
    result = analyse(*pure_inputs(records(raws)), as_of=AS_OF)
    top = result.ranked[0]
    members = set(top.network.persons)
    true_nets = Counter(truth[m.entity_id]["network_id"] for m in result.folded.mentions if m.node in members)
    assert true_nets.most_common(1)[0][0] == planted
    breakdown = top.score.breakdown()
    codes = {f["code"] for f in breakdown["factors"]}
    assert {"PHYSICAL.violence", "VULNERABILITY.child_victims", "CONFIDENCE", "LIKELIHOOD.recency"} <= codes
    children = next(f for f in breakdown["factors"] if f["code"] == "VULNERABILITY.child_victims")
    assert children["count"] >= 1 and children["points"] > 0 and children["reason"]
    violence = next(f for f in breakdown["factors"] if f["code"] == "PHYSICAL.violence")
    assert violence["reports"]  # the reports behind it are cited
    assert all(s.factors for s in top.nominals.values())
