"""Stored networks kept incrementally, on SQLite and PostgreSQL: a new report (through intake's
hook) rewrites only the networks it changes, the result equals a full rebuild, a new version
takes back what the old one said, a scope that may not see a report is untouched, and a
network's detail is read from what is stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from maxim.domain.ids import mention_id
from maxim.network.analysis import Analysis
from maxim.network.deconflict import check_deconfliction
from maxim.network.networks import key_nominals
from maxim.store.access import DataAccess
from maxim.store.engine import Database
from maxim.store.network_access import NetworkAccess, update_networks
from maxim.store.tables_network import network_members, network_scores, networks
from maxim.store.tables_resolution import resolution_links, resolution_runs
from tests.factories import c_coded, person
from tests.network.helpers import AS_OF, NOW, records
from tests.network.test_store import _ingest_scenario, _phone_report


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _stored(db: Database, scope: str) -> dict[str, dict[str, Any]]:
    """Every stored network of a scope: its row, members and scores."""
    out: dict[str, dict[str, Any]] = {}
    with db.reader.connect() as conn:
        for r in conn.execute(select(networks).where(networks.c.scope == scope)):
            out[r.id] = {
                "content": (r.anchor, r.persons, r.nodes, r.priority, bool(r.split)),
                "stamp": (r.version, r.computed_at),
                "members": set(),
                "scores": {},
            }
        for r in conn.execute(select(network_members).where(network_members.c.scope == scope)):
            out[r.network_id]["members"].add((r.node_id, r.kind, r.caption))
        for r in conn.execute(select(network_scores).where(network_scores.c.scope == scope)):
            out[r.network_id]["scores"][(r.subject_type, r.subject_id)] = _json(r.breakdown)
    return out


def _content(stored: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {nid: (s["content"], s["members"], s["scores"]) for nid, s in stored.items()}


def _expected(analysis: Analysis) -> dict[str, Any]:
    """What a full rebuild would store, in the shape of `_content`."""
    graph = analysis.graph
    out = {}
    for item in analysis.ranked:
        net = item.network
        scores = {("network", net.id): _json(item.score.breakdown())}
        for p, s in item.nominals.items():
            scores[("nominal", p)] = _json(s.breakdown() | {"roles": item.roles.get(p, [])})
        members = {(graph.nodes[i], graph.kinds[i], graph.captions[i]) for i in net.members.tolist()}
        row = (net.anchor, len(net.persons), len(net.members), item.score.priority, net.split)
        out[net.id] = (row, members, scores)
    return out


def _phone_of(stored: dict[str, Any]) -> str:
    return next(n for n, kind, _c in sorted(stored["members"]) if kind == "phone").removeprefix("phone:")


def test_one_report_rewrites_only_its_network_and_equals_a_full_rebuild(db: Database, access: DataAccess) -> None:
    _ingest_scenario(access)
    store = NetworkAccess(access)
    store.refresh(as_of=AS_OF)
    before = _stored(db, store.scope)
    previous = store.previous()
    target = max(before, key=lambda nid: before[nid]["content"][1])
    phone = _phone_of(before[target])

    # a new report through intake's hook: a newcomer on a known suspect's phone
    new = _phone_report("LAM/2026/009999", person("p1", "Testperson Newcomer", phone=[phone]))
    [added] = access.submit([new])
    check_deconfliction(access, added.report_id)
    after = _stored(db, store.scope)
    changed = {nid for nid in before.keys() | after.keys() if before.get(nid) != after.get(nid)}
    assert changed == {target}  # no other network's rows were rewritten
    assert after[target]["stamp"][0] == 2 and before[target]["stamp"][0] == 1
    newcomer = mention_id("BOCU-LAMBETH", "LAM/2026/009999", "p1")
    assert any(node == newcomer for node, _k, _c in after[target]["members"])
    assert all(after[nid]["stamp"] == before[nid]["stamp"] for nid in before if nid != target)
    # ... and the whole stored state is what a full rebuild from the same starting ids gives
    assert _content(after) == _expected(store.analyse(AS_OF, previous=previous))

    # a new version of that report, on another phone: the newcomer leaves, the network is as before
    moved = _phone_report("LAM/2026/009999", person("p1", "Testperson Newcomer", phone=["07700 900999"]))
    [version] = access.submit([moved])
    assert version.version == 2
    previous = store.previous()
    changed_ids = update_networks(access, [version.report_id])[store.scope]
    assert changed_ids == [target]
    again = _stored(db, store.scope)
    assert _content(again) == _expected(store.analyse(AS_OF, previous=previous))
    assert _content(again)[target] == _content(before)[target] and again[target]["stamp"][0] == 3

    # a full refresh finds nothing to rewrite
    store.refresh(as_of=AS_OF)
    assert _stored(db, store.scope) == again


def test_a_scope_that_may_not_see_the_report_is_untouched(db: Database, access: DataAccess, make_user: Any) -> None:
    _ingest_scenario(access)
    analyst, _ = make_user("ann", "BOCU-LAMBETH", "analyst")
    as_analyst = DataAccess(db, analyst, channel="test")
    mine, theirs = NetworkAccess(as_analyst), NetworkAccess(access)
    mine.refresh(as_of=AS_OF)
    theirs.refresh(as_of=AS_OF)
    seen_by_me, seen_by_them = _stored(db, mine.scope), _stored(db, theirs.scope)
    target = max(seen_by_me, key=lambda nid: seen_by_me[nid]["content"][1])
    phone = _phone_of(seen_by_me[target])
    # C-coded HTT intelligence shared with the clearinghouse only: Lambeth's analyst may not see it
    owner, _ = make_user("hal", "SCD6-HTT", "investigator")
    hidden = c_coded(
        originator="SCD6-HTT",
        reference="HTT/2026/000001",
        entities=[person("p1", "Testperson Hidden", phone=[phone])],
    )
    [stored] = DataAccess(db, owner, channel="test").submit(records([hidden]))
    changed = update_networks(DataAccess(db, owner, channel="test"), [stored.report_id])
    assert changed[mine.scope] == []
    assert _stored(db, mine.scope) == seen_by_me
    assert changed[theirs.scope]  # the clearinghouse sees it: its network grew
    assert _stored(db, theirs.scope) != seen_by_them


def test_network_detail_is_read_from_what_is_stored(
    db: Database, access: DataAccess, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest_scenario(access)
    store = NetworkAccess(access)
    full = store.refresh(as_of=AS_OF)
    item = full.ranked[0]
    graph = full.graph

    def recompute(*_args: Any, **_kwargs: Any) -> Analysis:
        raise AssertionError("the detail recomputed the whole graph")

    monkeypatch.setattr(NetworkAccess, "analyse", recompute)
    detail = store.network(item.network.id)
    assert detail is not None and detail["version"] == 1
    members = item.network.members
    assert [m["id"] for m in detail["members"]] == [graph.nodes[i] for i in members.tolist()]
    _sub, edges = graph.subgraph(members)
    assert [(e["source"], e["target"], e["strong"]) for e in detail["edges"]] == [
        (graph.nodes[int(graph.edge_u[e])], graph.nodes[int(graph.edge_v[e])], bool(graph.edge_strong[e]))
        for e in edges.tolist()
    ]
    assert [[r["report_id"] for r in e["reports"]] for e in detail["edges"]] == [
        [ev.report_id for ev in graph.evidence(e)] for e in edges.tolist()
    ]
    assert [(k["node"], k["betweenness"], k["degree"]) for k in detail["key_nominals"]] == [
        (k.node, k.betweenness, k.degree) for k in key_nominals(graph, members)
    ]
    assert detail["score"] == _json(item.score.breakdown())
    assert detail["nominal_scores"] == {p: _json(s.breakdown()) for p, s in item.nominals.items()}
    # another scope has no such network: not found, as if it did not exist
    other, _ = make_user("ann", "BOCU-LAMBETH", "analyst")
    assert NetworkAccess(DataAccess(db, other, channel="test")).network(item.network.id) is None


def test_scores_that_look_across_networks_stay_exact(db: Database, make_user: Any) -> None:
    """A nominal's score counts the victims named with them, even outside their network: a report
    naming someone a victim rewrites the networks of the people named alongside them, and reads
    the victim reports of the people named in the networks it recomputes."""
    lead, _ = make_user("sam", "BOCU-LAMBETH", "safeguarding_lead", "analyst")  # submits its own unit's reports
    access = DataAccess(db, lead, channel="test")
    # Xray is named (no link) with network A's suspects; Victor with network B's Romeo and Sierra
    # (a report the new one does not touch) and, elsewhere, as a victim
    xray = [mention_id("BOCU-LAMBETH", ref, "x") for ref in ("LAM/2025/000401", "LAM/2025/000403")]
    victor = [mention_id("BOCU-LAMBETH", ref, "v") for ref in ("LAM/2025/000405", "LAM/2025/000404")]
    with db.writer.begin() as conn:
        conn.execute(
            resolution_runs.insert().values(
                id="test", started_at=NOW, engine="test", username="test", settings={}, metrics={}
            )
        )
        conn.execute(
            resolution_links.insert(),
            [
                {"entity_id": m, "canonical_id": canonical, "origin": "judgement", "run_id": "test"}
                for canonical, ms in (("cXRAY", xray), ("cVICTOR", victor))
                for m in ms
            ]
            + [
                {
                    "entity_id": mention_id("BOCU-LAMBETH", ref, "r"),
                    "canonical_id": "cROMEO",
                    "origin": "judgement",
                    "run_id": "test",
                }
                for ref in ("LAM/2025/000402", "LAM/2025/000405")
            ],
        )
    access.submit(
        [
            _phone_report(
                "LAM/2025/000401",
                person("p1", "Testperson Alpha", phone=["07700 900401"]),
                person("p2", "Testperson Bravo", phone=["07700 900401"]),
                person("x", "Testperson Xray", role="witness"),
            ),
            _phone_report(
                "LAM/2025/000402",
                person("q", "Testperson Quebec", phone=["07700 900402"]),
                person("r", "Testperson Romeo", phone=["07700 900402"]),
            ),
            _phone_report(
                "LAM/2025/000405",
                person("r", "Testperson Romeo", phone=["07700 900405"]),
                person("s", "Testperson Sierra", phone=["07700 900405"]),
                person("v", "Testperson Victor", role="witness"),
            ),
            _phone_report("LAM/2025/000404", person("v", "Testperson Victor", role="victim")),
        ]
    )
    store = NetworkAccess(access)
    store.refresh(as_of=AS_OF)
    before = _stored(db, store.scope)
    assert len(before) == 2
    previous = store.previous()
    # Xray, a victim, now on network B's phone: network A's suspects were named with a victim
    [added] = access.submit(
        [_phone_report("LAM/2025/000403", person("x", "Testperson Xray", role="victim", phone=["07700 900402"]))]
    )
    changed = update_networks(access, [added.report_id])[store.scope]
    assert changed is not None and len(changed) == 2
    after = _stored(db, store.scope)
    assert _content(after) == _expected(store.analyse(AS_OF, previous=previous))
    alpha = mention_id("BOCU-LAMBETH", "LAM/2025/000401", "p1")
    sierra = mention_id("BOCU-LAMBETH", "LAM/2025/000405", "s")
    victims = {
        subject: next(
            f["count"] for f in s["scores"][("nominal", subject)]["factors"] if f["code"] == "PSYCHOLOGICAL.victims"
        )
        for s in after.values()
        for subject in (alpha, sierra)
        if ("nominal", subject) in s["scores"]
    }
    assert victims == {alpha: 1, sierra: 1}  # Xray for Alpha; Victor (a victim in another report) for Sierra


def test_a_failed_update_leaves_the_scope_to_recompute_on_its_next_read(
    access: DataAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _phone_report(
        "LAM/2025/000501",
        person("p1", "Testperson Alpha", phone=["07700 900501"]),
        person("p2", "Testperson Bravo", phone=["07700 900501"]),
    )
    access.submit([first])
    store = NetworkAccess(access)
    store.refresh(as_of=AS_OF)
    assert store.is_computed() and len(store.ranked()) == 1

    def broken(*_args: Any, **_kwargs: Any) -> list[str]:
        raise RuntimeError("invented failure")

    monkeypatch.setattr(NetworkAccess, "update_for_reports", broken)
    [added] = access.submit(
        [_phone_report("LAM/2025/000502", person("p1", "Testperson Charlie", phone=["07700 900501"]))]
    )
    assert check_deconfliction(access, added.report_id) == []  # intake goes on
    assert update_networks(access, [added.report_id]) == {}  # the scope is no longer kept up to date ...
    assert not store.is_computed()  # ... and its next read recomputes it
    monkeypatch.undo()
    store.refresh(as_of=AS_OF)
    assert store.ranked()[0]["persons"] == 3
