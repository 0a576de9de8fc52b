"""Stored networks stay fresh however reports and identities change, on SQLite and PostgreSQL.

After the intake form, a partner import or a judgement, every stored scope equals a full rebuild,
and the node index that network detail and evidence paths read is current; after a resolution
run every scope recomputes whole on its next read, even one whose refresh was under way. A report
from the form or an import touching another unit's live operation alerts like one from the API.
A failure of the network step never loses the report or the judgement: the scope recomputes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from maxim.domain.ids import mention_id
from maxim.network.analysis import Analysis
from maxim.network.paths import evidence_paths
from maxim.reference import load_reference
from maxim.resolve.judgements import record_judgement
from maxim.resolve.run import resolve
from maxim.settings import Settings
from maxim.share import tabular
from maxim.share.imports import Defaults, import_ftm
from maxim.store import network_access
from maxim.store.access import DataAccess
from maxim.store.engine import Database
from maxim.store.network_access import NetworkAccess
from maxim.store.resolution_access import ResolutionAccess
from maxim.store.tables import reports
from maxim.store.tables_resolution import judgements
from maxim.store.workflow_access import WorkflowAccess
from maxim.web.app import create_app
from tests.conftest import UserFactory
from tests.factories import person
from tests.network.helpers import AS_OF
from tests.network.test_incremental import _content, _expected, _stored
from tests.network.test_store import _phone_report
from tests.web.test_pages import session_client

REF = load_reference()
SECRET_PHONE = "07700 900555"  # the phone and address of a live operation's subject
SECRET_ADDRESS = "Flat 2, 14 Example Road, London SE1 7XX"
OTHER_PHONE = "07700 900600"
MAPPING = """
report:
  originator: NCA
  source_evaluation: "2"
  intelligence_assessment: B
  handling_code: P
  themes: [TRAFFICKING]
  reference_column: Ref
  received_at_column: Date
columns:
  Name: Person.name
  Phone: Person.phone
roles: {Person: suspect}
"""


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    application = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    yield application
    application.state.db.dispose()


class Scopes:
    """Some computed scopes, and what each held before the change under test (ids are kept from it)."""

    def __init__(self, *accesses: DataAccess) -> None:
        self.stores = [NetworkAccess(a) for a in accesses]
        for store in self.stores:
            store.refresh(as_of=AS_OF)
        self.mark()

    def mark(self) -> None:
        self.previous = [store.previous() for store in self.stores]

    def assert_fresh(self, db: Database) -> None:
        """Every scope is computed and stores what a full rebuild from the same ids would; its
        network detail is read through a current node index."""
        for store, previous in zip(self.stores, self.previous, strict=True):
            assert store.is_computed()
            full = store.analyse(AS_OF, previous=previous)
            assert _content(_stored(db, store.scope)) == _expected(full)
            _assert_details(store, full)


def _assert_details(store: NetworkAccess, full: Analysis) -> None:
    """Each stored network's detail (read through the node index) has the full graph's edges."""
    graph = full.graph
    for item in full.ranked:
        detail = store.network(item.network.id)
        assert detail is not None
        _sub, edges = graph.subgraph(item.network.members)
        assert [(e["source"], e["target"], [r["report_id"] for r in e["reports"]]) for e in detail["edges"]] == [
            (
                graph.nodes[int(graph.edge_u[e])],
                graph.nodes[int(graph.edge_v[e])],
                [ev.report_id for ev in graph.evidence(e)],
            )
            for e in edges.tolist()
        ]


def _together(db: Database, store: NetworkAccess, *captions: str) -> bool:
    """Whether one stored network of the scope holds members with all these captions."""
    return any(
        set(captions) <= {caption for _node, _kind, caption in net["members"]}
        for net in _stored(db, store.scope).values()
    )


def _path(store: NetworkAccess, source: str, target: str) -> list[dict[str, Any]]:
    """The evidence paths between two mentions, checked against the whole graph's."""
    found = store.path(source, target)
    assert found is not None
    assert found["paths"] == evidence_paths(store.analyse(AS_OF).graph, found["from"], found["to"])
    paths: list[dict[str, Any]] = found["paths"]
    return paths


def _operation_on(owner: DataAccess, reference: str) -> None:
    """A live SCD6-HTT operation whose subject uses SECRET_PHONE and lives at SECRET_ADDRESS."""
    owner.submit(
        [
            _phone_report(
                reference,
                person("p1", "Testperson Secretname", phone=[SECRET_PHONE], addressEntity=["a1"]),
                person("p2", "Testperson Helper", phone=[SECRET_PHONE]),
                {"id": "a1", "schema": "Address", "properties": {"full": [SECRET_ADDRESS]}},
                originator="SCD6-HTT",
            )
        ]
    )
    flow = WorkflowAccess(owner)
    op = flow.create_operation("Operation Invented Heron", "SCD6-HTT")
    flow.add_subject(op["id"], mention_id("SCD6-HTT", reference, "p1"))


def _background(access: DataAccess) -> None:
    """A Lambeth network on OTHER_PHONE and an unrelated one, so an update has neighbours to keep."""
    access.submit(
        [
            _phone_report(
                "LAM/2025/000601",
                person("p1", "Testperson Oscar", phone=[OTHER_PHONE]),
                person("p2", "Testperson Papa", phone=[OTHER_PHONE]),
            ),
            _phone_report(
                "LAM/2025/000602",
                person("p1", "Testperson Quentin", phone=["07700 900602"]),
                person("p2", "Testperson Romeo", phone=["07700 900602"]),
            ),
        ]
    )


def _form(csrf: str, reference: str, **cells: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "kind": "intelligence",
        "originator": "BOCU-LAMBETH",
        "reference": reference,
        "title": "Callers seen together",
        "source_evaluation": "2",
        "intelligence_assessment": "B",
        "handling_code": "P",
        "themes": "TRAFFICKING",
        "text": "Seen at the same address.",
        **cells,
    }


def _broken(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("invented failure")


# -- new reports: the intake form and partner imports -------------------------------------------


def test_a_form_report_updates_every_scope_and_alerts_the_operation_owner(
    app: FastAPI, make_user: UserFactory, access: DataAccess
) -> None:
    db = access.db
    owner, _ = make_user("hal", "SCD6-HTT", "investigator")
    submitter, _ = make_user("lee", "BOCU-LAMBETH", "intake_officer")
    as_owner, as_submitter = DataAccess(db, owner, channel="test"), DataAccess(db, submitter, channel="test")
    _operation_on(as_owner, "HTT/2025/000601")
    _background(access)
    scopes = Scopes(access, as_owner, as_submitter)

    client, csrf = session_client(app, "lee")
    caller = {"subject-1-name": "Testperson Caller", "subject-1-phone": SECRET_PHONE, "subject-1-role": "suspect"}
    oscar = {"subject-2-name": "Testperson Oscar", "subject-2-phone": OTHER_PHONE, "subject-2-role": "suspect"}
    response = client.post("/reports/new", data=_form(csrf, "LAM/WEB/601", **caller, **oscar), follow_redirects=False)
    assert response.status_code == 303, response.text

    # the owning unit hears who to contact; the submitter whom to contact, and nothing of the operation
    assert [a["recipient"] for a in NetworkAccess(as_owner).alerts()] == ["owner"]
    [mine] = NetworkAccess(as_submitter).alerts()
    assert mine["recipient"] == "submitter" and "SCD6-HTT" in mine["detail"]
    assert "Heron" not in mine["detail"] and "Secretname" not in mine["detail"]
    # the report joined the operation subject's network, in every scope
    scopes.assert_fresh(db)
    for store in scopes.stores:
        assert _together(db, store, "Testperson Secretname", "Testperson Caller")

    # the form's JSON twin says whom to contact, as the API does
    scopes.mark()
    again = client.post(
        "/reports/new", data=_form(csrf, "LAM/WEB/602", **caller), headers={"Accept": "application/json"}
    )
    assert again.status_code == 200, again.text
    assert len(again.json()["deconfliction"]) == 1 and "SCD6-HTT" in again.json()["deconfliction"][0]
    scopes.assert_fresh(db)


def test_a_failed_network_update_never_loses_a_form_report(
    app: FastAPI, make_user: UserFactory, access: DataAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user("lee", "BOCU-LAMBETH", "intake_officer")
    _background(access)
    store = NetworkAccess(access)
    store.refresh(as_of=AS_OF)
    monkeypatch.setattr(NetworkAccess, "update_for_reports", _broken)
    client, csrf = session_client(app, "lee")
    cells = {"subject-1-name": "Testperson Caller", "subject-1-phone": OTHER_PHONE, "subject-1-role": "suspect"}
    response = client.post("/reports/new", data=_form(csrf, "LAM/WEB/611", **cells), follow_redirects=False)
    assert response.status_code == 303, response.text
    with access.db.reader.connect() as conn:
        assert conn.execute(select(reports.c.id).where(reports.c.reference == "LAM/WEB/611")).first() is not None
    assert not store.is_computed()  # its next read recomputes it whole


def test_partner_imports_update_every_scope_and_alert_like_any_report(
    access: DataAccess, make_user: UserFactory, tmp_path: Path
) -> None:
    db = access.db
    owner, _ = make_user("hal", "SCD6-HTT", "investigator")
    analyst, _ = make_user("ann", "BOCU-LAMBETH", "analyst")
    as_owner, as_analyst = DataAccess(db, owner, channel="test"), DataAccess(db, analyst, channel="test")
    _operation_on(as_owner, "HTT/2025/000621")
    _background(access)
    scopes = Scopes(access, as_owner, as_analyst)

    # FollowTheMoney from the NCA, imported by the clearinghouse: someone at the subject's address
    lines = [
        '{"id": "nca-1", "schema": "Person", "properties": {"name": ["Testperson Partner"], "addressEntity": ["a"]}}',
        f'{{"id": "a", "schema": "Address", "properties": {{"full": ["{SECRET_ADDRESS}"]}}}}',
    ]
    graded = Defaults(
        source_evaluation="2",
        intelligence_assessment="B",
        handling_code="P",
        received_at=datetime(2025, 5, 1, tzinfo=UTC),
    )
    import_ftm(access, lines, source="nca.jsonl", partner="NCA", defaults=graded, ref=REF)
    scopes.assert_fresh(db)
    for store in scopes.stores:
        assert _together(db, store, "Testperson Secretname", "Testperson Partner")

    # a mapped sheet of nominals: one on the subject's phone, one on the Lambeth network's
    scopes.mark()
    sheet = tmp_path / "nominals.csv"
    sheet.write_text(
        "Ref,Date,Name,Phone\n"
        f"NCA-T1,2025-05-02,Testperson Tabled,{OTHER_PHONE}\n"
        f"NCA-T2,2025-05-02,Testperson Caller,{SECRET_PHONE}\n",
        encoding="utf-8",
    )
    spec = tabular.parse_mapping(MAPPING, "nca.yaml", REF)
    stored = tabular.import_table(access, tabular.read_table(sheet, spec), spec, REF)
    [alert] = NetworkAccess(as_owner).alerts()
    assert alert["report_id"] == stored[1].report_id and "SCD6-MAXIM" in alert["detail"]
    assert [a["recipient"] for a in NetworkAccess(access).alerts()] == ["submitter"]
    scopes.assert_fresh(db)
    for store in scopes.stores:
        assert _together(db, store, "Testperson Oscar", "Testperson Tabled")

    # the same sheet again stores nothing new, so raises nothing new
    tabular.import_table(access, tabular.read_table(sheet, spec), spec, REF)
    assert len(NetworkAccess(as_owner).alerts()) == 1


# -- identities: judgements and a resolution run ------------------------------------------------


def _two_networks(access: DataAccess) -> tuple[str, str, str, str]:
    """Two networks, each with a person the model cannot tell is one person (the analyst can):
    (Hoxha, Hodja, Bravo, Delta) mention ids."""
    access.submit(
        [
            _phone_report(
                "LAM/2025/000631",
                person("p1", "Arben Hoxha", birthDate=["1979-11-23"], phone=["07700 900631"]),
                person("p2", "Testperson Bravo", phone=["07700 900631"]),
            ),
            _phone_report(
                "LAM/2025/000632",
                person("p1", "Ben Hodja", phone=["07700 900632"]),
                person("p2", "Testperson Delta", phone=["07700 900632"]),
            ),
        ]
    )
    ids = [mention_id("BOCU-LAMBETH", ref, p) for ref in ("LAM/2025/000631", "LAM/2025/000632") for p in ("p1", "p2")]
    return ids[0], ids[2], ids[1], ids[3]


def test_a_judgement_updates_every_scope_and_the_node_index(access: DataAccess, make_user: UserFactory) -> None:
    db = access.db
    analyst, _ = make_user("ann", "BOCU-LAMBETH", "analyst")
    _background(access)
    hoxha, hodja, bravo, delta = _two_networks(access)
    resolve(access)
    links = ResolutionAccess(access).links([hoxha, hodja])
    assert links[hoxha]["canonical_id"] != links[hodja]["canonical_id"]
    scopes = Scopes(access, DataAccess(db, analyst, channel="test"))
    assert not _together(db, scopes.stores[0], "Testperson Bravo", "Testperson Delta")

    joined = record_judgement(access, hoxha, hodja, "same", "custody photograph")
    assert joined.left_canonical == joined.right_canonical
    scopes.assert_fresh(db)  # the clusters' reports were updated in place: no scope was left to recompute
    for store in scopes.stores:
        assert _together(db, store, "Testperson Bravo", "Testperson Delta")

    # an evidence path, read through the node index, finds what the whole graph finds
    assert _path(scopes.stores[0], bravo, delta)

    scopes.mark()
    record_judgement(access, hoxha, hodja, "not_same", "second look: different fathers' names")
    scopes.assert_fresh(db)
    for store in scopes.stores:
        assert not _together(db, store, "Testperson Bravo", "Testperson Delta")
    assert _path(scopes.stores[0], bravo, delta) == []


def test_a_failed_update_after_a_judgement_never_loses_it(access: DataAccess, monkeypatch: pytest.MonkeyPatch) -> None:
    hoxha, hodja, _bravo, _delta = _two_networks(access)
    resolve(access)
    store = NetworkAccess(access)
    breaks: list[tuple[object, str, str]] = [
        (NetworkAccess, "update_for_reports", "same"),  # every scope's update fails
        (network_access, "reports_stating", "not_same"),  # the update cannot even start
    ]
    for target, name, verdict in breaks:
        store.refresh(as_of=AS_OF)
        with monkeypatch.context() as patch:
            patch.setattr(target, name, _broken)
            recorded = record_judgement(access, hoxha, hodja, verdict)
        with access.db.reader.connect() as conn:
            row = conn.execute(select(judgements).where(judgements.c.id == recorded.judgement_id)).one()
        assert row.judgement == verdict and row.superseded_at is None
        assert not store.is_computed()  # the scope recomputes whole on its next read
    store.refresh(as_of=AS_OF)
    assert _content(_stored(access.db, store.scope)) == _expected(store.analyse(AS_OF, previous=store.previous()))


def test_a_resolution_run_leaves_every_scope_to_recompute_on_its_next_read(
    access: DataAccess, make_user: UserFactory
) -> None:
    db = access.db
    analyst, _ = make_user("ann", "BOCU-LAMBETH", "analyst")
    _background(access)
    hoxha, hodja, _bravo, _delta = _two_networks(access)
    scopes = Scopes(access, DataAccess(db, analyst, channel="test"))
    # before any run a judgement links nothing yet: the networks stand as they are
    record_judgement(access, hoxha, hodja, "same")
    scopes.assert_fresh(db)

    resolve(access)  # clusters under the judgement: Hoxha and Hodja are now one canonical person
    for store in scopes.stores:
        assert not store.is_computed()
        store.refresh(as_of=AS_OF)  # what the first read does
    scopes.assert_fresh(db)
    for store in scopes.stores:
        assert _together(db, store, "Testperson Bravo", "Testperson Delta")


def test_a_refresh_under_way_when_a_run_lands_reads_again(access: DataAccess, monkeypatch: pytest.MonkeyPatch) -> None:
    hoxha, hodja, _bravo, _delta = _two_networks(access)
    record_judgement(access, hoxha, hodja, "same")
    store = NetworkAccess(access)
    computed = NetworkAccess._compute
    runs: list[str] = []

    def raced(self: NetworkAccess, *args: Any) -> Any:
        out = computed(self, *args)
        if not runs:  # the run commits between this (first) refresh's read and its write
            runs.append(resolve(access).run_id)
        return out

    monkeypatch.setattr(NetworkAccess, "_compute", raced)
    store.refresh(as_of=AS_OF)
    assert runs and store.is_computed()
    assert _together(access.db, store, "Testperson Bravo", "Testperson Delta")
    assert _content(_stored(access.db, store.scope)) == _expected(store.analyse(AS_OF, previous=store.previous()))
