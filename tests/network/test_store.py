"""Networks over the store, on SQLite and PostgreSQL: ground truth recovered, the planted network
first, weak evidence never merges, ids survive a new report, evidence paths cite reports."""

from __future__ import annotations

from collections import Counter
from typing import Any

from maxim.domain.ids import mention_id
from maxim.network.evaluate import adjusted_rand_index
from maxim.store.access import DataAccess
from maxim.store.engine import Database
from maxim.store.network_access import NetworkAccess
from maxim.store.tables_resolution import resolution_links, resolution_runs
from tests.factories import person, report
from tests.network.helpers import AS_OF, NOW, records, scenario, truth_labels


def _ingest_scenario(access: DataAccess) -> None:
    raws, _truth, _nets = scenario()
    recs = records(raws)
    for start in range(0, len(recs), 200):
        access.submit(recs[start : start + 200])


def _ari(analysis: Any, truth: dict[str, dict[str, Any]]) -> float:
    label = {p: r.network.id for r in analysis.ranked for p in r.network.persons}
    predicted = {m.entity_id: label.get(m.node, f"solo:{m.node}") for m in analysis.folded.mentions}
    return adjusted_rand_index(predicted, truth_labels(truth))


def _resolve_by_truth(db: Database, truth: dict[str, dict[str, Any]]) -> None:
    """Stand in for entity resolution (issue 3) with perfect links, to measure the network stage."""
    with db.writer.begin() as conn:
        conn.execute(
            resolution_runs.insert().values(
                id="truth", started_at=NOW, engine="truth", username="test", settings={}, metrics={}
            )
        )
        conn.execute(
            resolution_links.insert(),
            [
                {"entity_id": m, "canonical_id": "c" + t["person_id"], "origin": "judgement", "run_id": "truth"}
                for m, t in truth.items()
            ],
        )


def test_scenario_networks_recovered_and_planted_network_ranks_first(
    db: Database, access: DataAccess, make_user: Any, capsys: Any
) -> None:
    _ingest_scenario(access)
    _raws, truth, nets = scenario()
    planted = next(n["id"] for n in nets if n["planted_most_harmful"])
    lead, _ = make_user("sam", "SCD6-MAXIM", "safeguarding_lead", "analyst")
    store = NetworkAccess(DataAccess(db, lead, channel="test"))
    per_mention = store.refresh(as_of=AS_OF)
    ari_mentions = _ari(per_mention, truth)
    _resolve_by_truth(db, truth)
    resolved = store.refresh(as_of=AS_OF)
    ari_resolved = _ari(resolved, truth)
    with capsys.disabled():
        print(f"\nARI vs ground truth: one entity per mention {ari_mentions:.3f}; with resolution {ari_resolved:.3f}")
    assert ari_resolved >= 0.85
    assert ari_mentions < ari_resolved  # mentions of one person stay apart without resolution
    for analysis in (per_mention, resolved):
        top = set(analysis.ranked[0].network.persons)
        dominant = Counter(truth[m.entity_id]["network_id"] for m in analysis.folded.mentions if m.node in top)
        assert dominant.most_common(1)[0][0] == planted
    ranked = store.ranked(5)
    assert ranked[0]["rank"] == 1 and ranked[0]["breakdown"]["factors"]
    assert ranked[0]["id"] == resolved.ranked[0].network.id


def _phone_report(ref: str, *people: dict[str, Any], grading: tuple[str, str] = ("2", "B"), **extra: Any) -> Any:
    raw = report(
        reference=ref,
        source_evaluation=grading[0],
        intelligence_assessment=grading[1],
        text="Named subjects.",
        entities=list(people),
        **extra,
    )
    return records([raw])[0]


def _network_of(analysis: Any, node: str) -> str | None:
    return next((r.network.id for r in analysis.ranked if node in r.network.persons), None)


def test_weak_evidence_alone_does_not_merge_networks(access: DataAccess) -> None:
    a1 = person("p1", "Testperson Alpha", phone=["07700 900001"])
    a2 = person("p2", "Testperson Bravo", phone=["07700 900001"])
    b1 = person("p1", "Testperson Charlie", phone=["07700 900002"])
    b2 = person("p2", "Testperson Delta", phone=["07700 900002"])
    access.submit([_phone_report("LAM/2025/000101", a1, a2), _phone_report("LAM/2025/000102", b1, b2)])
    alpha, charlie = (
        mention_id("BOCU-LAMBETH", "LAM/2025/000101", "p1"),
        mention_id("BOCU-LAMBETH", "LAM/2025/000102", "p1"),
    )
    link = {"id": "l1", "schema": "Associate", "properties": {"person": ["p1"], "associate": ["p2"]}}
    weak = [
        person("p1", "Testperson Bravo", phone=["07700 900001"]),
        person("p2", "Testperson Delta", phone=["07700 900002"]),
        link,
    ]
    access.submit([_phone_report("LAM/2025/000103", *weak, grading=("3", "B"))])
    store = NetworkAccess(access)
    analysis = store.refresh(as_of=AS_OF)
    assert _network_of(analysis, alpha) != _network_of(analysis, charlie)
    access.submit([_phone_report("LAM/2025/000104", *weak, grading=("2", "E"))])
    assert _network_of(store.refresh(as_of=AS_OF), alpha) != _network_of(store.analyse(AS_OF), charlie)
    access.submit([_phone_report("LAM/2025/000105", *weak, grading=("1", "B"))])
    merged = store.refresh(as_of=AS_OF)
    assert _network_of(merged, alpha) == _network_of(merged, charlie) is not None


def test_network_ids_survive_adding_a_report(access: DataAccess) -> None:
    _ingest_scenario(access)
    store = NetworkAccess(access)
    before = store.refresh(as_of=AS_OF)
    ids_before = {r.network.id: set(r.network.persons) for r in before.ranked}
    # a new report naming a known suspect's phone and a new person joins an existing network
    target = max(before.ranked, key=lambda r: len(r.network.persons))
    phone = next(
        before.graph.nodes[i] for i in target.network.members.tolist() if before.graph.kinds[i] == "phone"
    ).removeprefix("phone:")
    access.submit(
        [
            _phone_report(
                "LAM/2026/009999",
                person("p1", "Testperson Newcomer", phone=[phone]),
                received_at="2026-03-30T10:00:00Z",
            )
        ]
    )
    after = store.refresh(as_of=AS_OF)
    ids_after = {r.network.id: set(r.network.persons) for r in after.ranked}
    assert target.network.id in ids_after
    assert ids_after[target.network.id] > ids_before[target.network.id]
    assert len(set(ids_before) & set(ids_after)) >= 0.9 * len(ids_before)
    newcomer = mention_id("BOCU-LAMBETH", "LAM/2026/009999", "p1")
    assert newcomer in ids_after[target.network.id]


def test_evidence_path_cites_the_reports_of_each_hop(access: DataAccess) -> None:
    access.submit(
        [
            _phone_report("LAM/2025/000201", person("p1", "Testperson Alpha", phone=["07700 900011"])),
            _phone_report(
                "LAM/2025/000202",
                person("p1", "Testperson Bravo", phone=["07700 900011"]),
                person("p2", "Testperson Charlie"),
                {"id": "l1", "schema": "Family", "properties": {"person": ["p1"], "relative": ["p2"]}},
            ),
        ]
    )
    alpha = mention_id("BOCU-LAMBETH", "LAM/2025/000201", "p1")
    charlie = mention_id("BOCU-LAMBETH", "LAM/2025/000202", "p2")
    found = NetworkAccess(access).path(alpha, charlie)
    assert found is not None
    path = found["paths"][0]
    assert path["length"] == 3  # Alpha - phone - Bravo - Charlie
    assert [h["to_caption"] for h in path["hops"]][-1] == "Testperson Charlie"
    for hop in path["hops"]:
        assert hop["reports"] and all(r["report_id"] and r["grading"] == "2BP" for r in hop["reports"])
    assert "Family" in path["hops"][-1]["relations"]
    assert NetworkAccess(access).path(alpha, "no-such-entity") is None
