"""Evidence paths from the stored node index, on SQLite and PostgreSQL: reading only the reports
around the two ends gives the same paths as building the whole graph, including between
different stored networks joined by weak evidence, and nothing is read outside what the user may
see."""

from __future__ import annotations

import random
from itertools import combinations
from typing import Any

import pytest

import maxim.store.network_access as network_access
from maxim.domain.ids import mention_id
from maxim.network.paths import evidence_paths
from maxim.store.access import DataAccess
from maxim.store.engine import Database
from maxim.store.network_access import NetworkAccess
from tests.factories import c_coded, person
from tests.network.helpers import AS_OF, records
from tests.network.test_store import _ingest_scenario, _phone_report


def _no_full_reads(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Fail any read of every visible statement; the reads made, by kind."""
    calls: list[dict[str, Any]] = []
    original = network_access.read_facts

    def read_facts(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        assert kwargs.get("report_ids") is not None or kwargs.get("entity_ids") is not None, "read the whole graph"
        return original(*args, **kwargs)

    monkeypatch.setattr(network_access, "read_facts", read_facts)
    return calls


def _full(store: NetworkAccess, a: str, b: str) -> Any:
    """The paths of the whole graph this user may see (what `/api/path` used to build per request)."""
    graph = store.analyse(AS_OF, nominals=False).graph
    return evidence_paths(graph, a, b)


def test_paths_across_stored_networks_equal_the_whole_graph(
    db: Database, access: DataAccess, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lam = "BOCU-LAMBETH"
    access.submit(
        [
            # network 1: Alpha and Bravo on two phones (two shortest paths between them)
            _phone_report(
                "LAM/2025/000901",
                person("p1", "Testperson Alpha", phone=["07700 900901", "07700 900902"]),
                person("p2", "Testperson Bravo", phone=["07700 900901", "07700 900902"]),
            ),
            # network 2: Charlie and Delta
            _phone_report(
                "LAM/2025/000903",
                person("p1", "Testperson Charlie", phone=["07700 900903"]),
                person("p2", "Testperson Delta", phone=["07700 900903"]),
            ),
            # one source-3 report: Xray on Bravo's and Delta's phones; weak, so two networks stay
            _phone_report(
                "LAM/2025/000904",
                person("p1", "Testperson Xray", phone=["07700 900901", "07700 900903"]),
                grading=("3", "B"),
            ),
            # elsewhere: Echo and Foxtrot, not connected to anyone above
            _phone_report(
                "LAM/2025/000905",
                person("p1", "Testperson Echo", phone=["07700 900905"]),
                person("p2", "Testperson Foxtrot", phone=["07700 900905"]),
            ),
        ]
    )
    # C-coded HTT intelligence joining Delta's phone to Echo's: the clearinghouse may see it,
    # a Lambeth analyst may not
    owner, _ = make_user("hal", "SCD6-HTT", "investigator")
    DataAccess(db, owner, channel="test").submit(
        records(
            [
                c_coded(
                    originator="SCD6-HTT",
                    reference="HTT/2025/000901",
                    entities=[person("p1", "Testperson Hidden", phone=["07700 900903", "07700 900905"])],
                )
            ]
        )
    )
    analyst, _ = make_user("ann", lam, "analyst")
    alpha = mention_id(lam, "LAM/2025/000901", "p1")
    delta = mention_id(lam, "LAM/2025/000903", "p2")
    foxtrot = mention_id(lam, "LAM/2025/000905", "p2")
    ends = [
        alpha,
        mention_id(lam, "LAM/2025/000901", "p2"),
        mention_id(lam, "LAM/2025/000904", "p1"),
        delta,
        mention_id(lam, "LAM/2025/000905", "p1"),
        foxtrot,
        "phone:+447700900901",
    ]
    expected = {}
    for who in (access, DataAccess(db, analyst, channel="test")):
        store = NetworkAccess(who)
        expected[store.scope] = {(a, b): _full(store, a, b) for a, b in combinations(ends, 2)}
        store.refresh(as_of=AS_OF)
    with monkeypatch.context() as patched:
        _no_full_reads(patched)
        for who in (access, DataAccess(db, analyst, channel="test")):
            store = NetworkAccess(who)
            for (a, b), paths in expected[store.scope].items():
                found = store.path(a, b)
                assert (found["paths"] if found else None) == paths, (a, b)
        lambeth = NetworkAccess(DataAccess(db, analyst, channel="test"))
        networks = {m["id"]: r["id"] for r in lambeth.ranked() for m in lambeth.network(r["id"])["members"]}
        assert networks[alpha] != networks[delta]  # different stored networks ...
        found = lambeth.path(alpha, delta)
        assert found is not None and found["paths"][0]["weak_hops"] == 2  # ... joined by weak evidence
        assert lambeth.path(alpha, foxtrot) == {"from": alpha, "to": foxtrot, "paths": []}  # hidden link not used
        assert NetworkAccess(access).path(alpha, foxtrot)["paths"]  # the clearinghouse sees it
        assert len(expected[lambeth.scope][(alpha, ends[1])]) == 2  # both shortest paths, in the same order


def test_paths_on_the_scenario_equal_the_whole_graph(
    db: Database, access: DataAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest_scenario(access)
    store = NetworkAccess(access)
    full = store.refresh(as_of=AS_OF)
    graph = full.graph
    persons = sorted(p for r in full.ranked for p in r.network.persons)
    loners = sorted(graph.nodes[i] for i in range(graph.n) if graph.is_person[i] and graph.nodes[i] not in persons)
    rng = random.Random(3)
    pairs = [tuple(rng.sample(persons, 2)) for _ in range(25)] + [(rng.choice(persons), n) for n in loners[:5]]
    calls = _no_full_reads(monkeypatch)
    connected = 0
    for a, b in pairs:
        found = store.path(a, b)
        assert found is not None
        assert found["paths"] == evidence_paths(graph, a, b), (a, b)
        connected += bool(found["paths"])
    assert connected >= 5
    assert all(len(c.get("report_ids") or ()) < len(graph.reports) for c in calls)
