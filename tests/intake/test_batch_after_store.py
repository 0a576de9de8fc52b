"""Batch ingest hands each committed chunk's reports to later stages in one call, on SQLite and
PostgreSQL: deconfliction raises the same alerts as checking the reports one by one, and the
stored networks get one update per chunk that still equals a full rebuild."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from maxim.domain.ids import mention_id
from maxim.intake.batch import ingest_file
from maxim.network.deconflict import check_deconfliction, check_deconfliction_batch
from maxim.reference import load_reference
from maxim.store.access import DataAccess
from maxim.store.engine import Database
from maxim.store.network_access import NetworkAccess
from maxim.store.tables_network import deconfliction_alerts
from maxim.store.workflow_access import WorkflowAccess
from tests.factories import c_coded, person, report
from tests.network.helpers import AS_OF, records
from tests.network.test_incremental import _content, _expected, _stored

REF = load_reference()


def _write(path: Path, raws: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in raws), encoding="utf-8")
    return path


def _lambeth(ref: str, *people: dict[str, Any]) -> dict[str, Any]:
    return report(reference=ref, text="Named subjects.", entities=list(people))


def _alert_rows(db: Database) -> list[tuple[Any, ...]]:
    with db.reader.connect() as conn:
        return [
            (r.recipient, r.unit, r.username, r.report_id, r.operation_id, r.entity, r.detail)
            for r in conn.execute(select(deconfliction_alerts).order_by(deconfliction_alerts.c.id))
        ]


def test_hook_hears_once_per_committed_chunk(tmp_path: Path, access: DataAccess) -> None:
    raws = [_lambeth(f"LAM/2025/0006{i:02d}", person("p1", f"Testperson N{i}")) for i in range(5)]
    path = _write(tmp_path / "batch.jsonl", [*raws[:3], raws[1], *raws[3:]])  # row 4 repeats row 2
    calls: list[list[str]] = []
    summary = ingest_file(path, access, REF, chunk=2, after_store=calls.append)
    ids = [r.report["id"] for r in records(raws)]
    assert summary.created == 5
    assert calls == [ids[:2], [ids[2]], ids[3:]]  # chunk 2 is row 3 and the repeat of row 2 (unchanged)
    assert ingest_file(path, access, REF, chunk=2, after_store=calls.append).unchanged == 6
    assert len(calls) == 3  # nothing new stored: nothing to hear of


def test_a_batch_raises_the_same_alerts_as_one_report_at_a_time(tmp_path: Path, db: Database, make_user: Any) -> None:
    owner, _ = make_user("hal", "SCD6-HTT", "investigator")
    submitter, _ = make_user("lee", "BOCU-LAMBETH", "intake_officer")
    as_owner, as_submitter = DataAccess(db, owner, channel="test"), DataAccess(db, submitter, channel="test")
    # one subject the submitter may not see (C-coded, HTT only), one they may
    hidden = c_coded(
        originator="SCD6-HTT",
        reference="HTT/2025/000010",
        share_with=[],
        entities=[person("p1", "Testperson Secretname", phone=["07700 900555"])],
    )
    seen = report(
        originator="SCD6-HTT",
        reference="HTT/2025/000011",
        entities=[person("p1", "Testperson Open", phone=["07700 900666"])],
    )
    as_owner.submit(records([hidden, seen]))
    flow = WorkflowAccess(as_owner)
    for name, ref in (("Operation Invented Heron", "HTT/2025/000010"), ("Operation Invented Wren", "HTT/2025/000011")):
        op = flow.create_operation(name, "SCD6-HTT")
        flow.add_subject(op["id"], mention_id("SCD6-HTT", ref, "p1"))
    raws = [
        _lambeth("LAM/2025/000701", person("p1", "Testperson Caller", phone=["07700 900555"])),
        _lambeth("LAM/2025/000702", person("p1", "Testperson Else", phone=["07700 900702"])),
        _lambeth(
            "LAM/2025/000703",
            person("p1", "Testperson Both", phone=["07700 900555"]),
            person("p2", "Testperson Other", phone=["07700 900666"]),
        ),
        _lambeth("LAM/2025/000704", person("p1", "Testperson Nobody")),
        _lambeth("LAM/2025/000705", person("p1", "Testperson Open Again", phone=["07700 900666"])),
    ]
    returned: list[Any] = []
    summary = ingest_file(
        _write(tmp_path / "batch.jsonl", raws),
        as_submitter,
        REF,
        chunk=2,
        after_store=lambda ids: returned.extend(check_deconfliction_batch(as_submitter, ids)),
    )
    assert summary.created == 5
    batch = _alert_rows(db)
    assert {r[3] for r in batch} == {r.report["id"] for r in records([raws[0], raws[2], raws[4]])}

    with db.writer.begin() as conn:
        conn.execute(delete(deconfliction_alerts))
    one_by_one = [a for rec in records(raws) for a in check_deconfliction(as_submitter, rec.report["id"])]
    assert returned == one_by_one
    assert _alert_rows(db) == batch
    assert all("Secretname" not in r[5] and "Secretname" not in r[6] for r in batch if r[0] == "submitter")


def test_one_network_update_per_chunk_equals_a_full_rebuild(
    tmp_path: Path, db: Database, access: DataAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    access.submit(
        records(
            [
                _lambeth(
                    "LAM/2025/000801",
                    person("p1", "Testperson Alpha", phone=["07700 900801"]),
                    person("p2", "Testperson Bravo", phone=["07700 900801"]),
                )
            ]
        )
    )
    store = NetworkAccess(access)
    store.refresh(as_of=AS_OF)
    previous = store.previous()
    updates: list[set[str]] = []
    original = NetworkAccess.update_for_reports

    def counted(self: NetworkAccess, report_ids: Any) -> list[str] | None:
        updates.append(set(report_ids))
        return original(self, report_ids)

    monkeypatch.setattr(NetworkAccess, "update_for_reports", counted)
    raws = [
        _lambeth("LAM/2025/000802", person("p1", "Testperson Newcomer", phone=["07700 900801"])),
        _lambeth("LAM/2025/000803", person("p1", "Testperson Charlie", phone=["07700 900803"])),
        _lambeth("LAM/2025/000804", person("p1", "Testperson Delta", phone=["07700 900803"])),
    ]
    ingest_file(
        _write(tmp_path / "batch.jsonl", raws),
        access,
        REF,
        chunk=2,
        after_store=lambda ids: check_deconfliction_batch(access, ids),
    )
    ids = [r.report["id"] for r in records(raws)]
    assert updates == [set(ids[:2]), {ids[2]}]  # one update per chunk (one scope), not one per report
    after = _stored(db, store.scope)
    assert len(after) == 2
    assert _content(after) == _expected(store.analyse(AS_OF, previous=previous))
