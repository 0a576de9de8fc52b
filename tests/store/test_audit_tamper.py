"""Every way of tampering with the s62 log that someone with database access (or a stray file copy)
could try is detected by `verify`, with one line naming the first broken entry; on both databases.

What is not detectable, by design: someone who can read the key file can do anything a writer
can; and an anchors file replaced with an older copy is only caught until the next write (which
signs a new head): from then on the older copy is indistinguishable from one never replaced.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.store.access import DataAccess
from maxim.store.audit import Broken, Operation, append, entry_hash, legacy_hash, verify
from maxim.store.audit_anchor import AuditAnchor, anchor_of
from maxim.store.engine import Database
from maxim.store.tables import audit_log
from tests.factories import report

REF = load_reference()


def activity(access: DataAccess, rounds: int = 4, start: int = 0) -> None:
    """Write transactions as the application does: a submission and a read each round."""
    for i in range(start, start + rounds):
        record = build_record(parse_report(report(reference=f"T/{i}"), REF), received_by="admin", now=datetime.now(UTC))
        [result] = access.submit([record])
        access.report(result.report_id)


def rows(db: Database) -> list[dict[str, Any]]:
    with db.reader.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]


def anchor(db: Database) -> AuditAnchor:
    with db.reader.connect() as conn:
        found = anchor_of(conn)
    assert found is not None
    return found


def check(db: Database) -> tuple[int, Broken | None]:
    with db.reader.connect() as conn:
        return verify(conn)


class _Row:
    """Attribute access to a row dict, for the hash functions."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def unkeyed(values: dict[str, Any]) -> str:
    """What a forger without the key can compute: the plain hash, in the new and the old form."""
    return entry_hash(None, _Row(values))


def set_row(db: Database, entry_id: int, **values: Any) -> None:
    with db.writer.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == entry_id).values(**values))


def add_row(db: Database, values: dict[str, Any]) -> int:
    with db.writer.begin() as conn:
        return int(conn.execute(insert(audit_log).values(**values).returning(audit_log.c.id)).scalar_one())


def forged(after: dict[str, Any], *, seq: int | None = None) -> dict[str, Any]:
    values = {
        "seq": after["seq"] + 1 if seq is None else seq,
        "at": datetime.now(UTC),
        "username": "mallory",
        "operation": "CONSULTATION",
        "object_type": "report",
        "object_ids": ["r-forged"],
        "justification": None,
        "channel": "web",
        "prev_hash": after["hash"],
    }
    return {**values, "hash": unkeyed(values)}


# Each tampering returns the entry (id) verify must name, or None when no entry is left to name,
# and the words its reason must contain.
Tamper = Callable[[Database, DataAccess, list[dict[str, Any]]], tuple[int | None, str]]


def edit_field(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    set_row(db, log[3]["id"], channel="nowhere")
    return log[3]["id"], "keyed hash"


def edit_and_rechain(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    prev = log[2]["hash"]
    for i, row in enumerate(log[3:]):
        values = {**row, "prev_hash": prev, "justification": "edited" if i == 0 else row["justification"]}
        values["hash"] = unkeyed(values)
        set_row(
            db, row["id"], prev_hash=values["prev_hash"], justification=values["justification"], hash=values["hash"]
        )
        prev = values["hash"]
    return log[3]["id"], "keyed hash"


def edit_and_rechain_old_style(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    prev = log[2]["hash"]
    for row in log[3:]:
        values = {**row, "prev_hash": prev, "username": "someone-else"}
        digest = legacy_hash(_Row(values))
        set_row(db, row["id"], prev_hash=prev, username="someone-else", hash=digest)
        prev = digest
    return log[3]["id"], "keyed hash"


def delete_middle(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    with db.writer.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id == log[3]["id"]))
    return log[4]["id"], "deleted"


def delete_last(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    with db.writer.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id == log[-1]["id"]))
    return log[-2]["id"], "the last 1 entry was deleted"


def delete_last_n(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    with db.writer.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id.in_([r["id"] for r in log[-3:]])))
    return log[-4]["id"], "the last 3 entries were deleted"


def empty_table(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    with db.writer.begin() as conn:
        conn.execute(delete(audit_log))
    return None, "the table was emptied"


def append_unkeyed_forgery(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    return add_row(db, forged(log[-1])), "keyed hash"


def append_copying_real_hash(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    return add_row(db, {**forged(log[-1]), "hash": log[-1]["hash"]}), "keyed hash"


def reorder_two(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    for target, source in ((log[2], log[3]), (log[3], log[2])):
        set_row(db, target["id"], **{k: v for k, v in source.items() if k != "id"})
    return log[2]["id"], "reordered"


def change_timestamp(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    set_row(db, log[3]["id"], at=log[3]["at"] - timedelta(days=1))
    return log[3]["id"], "keyed hash"


def change_actor(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    set_row(db, log[3]["id"], username="someone-else")
    return log[3]["id"], "keyed hash"


def change_objects(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    set_row(db, log[3]["id"], object_ids=["r-other"])
    return log[3]["id"], "keyed hash"


def duplicate_entry(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    return add_row(db, {k: v for k, v in log[3].items() if k != "id"}), "repeats seq"


def truncate_and_reappend(db: Database, access: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    with db.writer.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id.in_([r["id"] for r in log[-3:]])))
    activity(access, rounds=2, start=100)  # the application carries on, keyed, from the cut
    rewritten = [r for r in rows(db) if r["seq"] >= log[-3]["seq"]]
    return rewritten[0]["id"], "differs from the checkpoint"


def older_anchor_file(db: Database, access: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    path = anchor(db).anchors_file
    saved = path.read_bytes()
    activity(access, rounds=1, start=100)
    path.write_bytes(saved)
    first_new = next(r for r in rows(db) if r["seq"] == log[-1]["seq"] + 1)
    return first_new["id"], "replaced with an older copy"


def delete_anchor_file(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    anchor(db).anchors_file.unlink()
    return None, "is missing (deleted)"


def wrong_key(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    anchor(db).key_file.write_text(secrets.token_hex(32) + "\n")
    return log[0]["id"], "the key file is not this log's"


def delete_key_file(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    anchor(db).key_file.unlink()
    return None, "audit key file"


def sequence_gap(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    for row in reversed(log[3:]):
        set_row(db, row["id"], seq=row["seq"] + 5)
    return log[3]["id"], "missing"


def insert_in_middle(db: Database, _: DataAccess, log: list[dict[str, Any]]) -> tuple[int | None, str]:
    with db.writer.begin() as conn:  # make room after entry 3, as a careful forger would
        for row in reversed(log[3:]):
            conn.execute(
                update(audit_log).where(audit_log.c.id == row["id"]).values(id=row["id"] + 1000, seq=row["seq"] + 1)
            )
    values = forged(log[2])
    return add_row(db, {**values, "id": log[2]["id"] + 1}), "keyed hash"


CASES: dict[str, Tamper] = {
    f.__name__: f
    for f in (
        edit_field,
        edit_and_rechain,
        edit_and_rechain_old_style,
        delete_middle,
        delete_last,
        delete_last_n,
        empty_table,
        append_unkeyed_forgery,
        append_copying_real_hash,
        reorder_two,
        change_timestamp,
        change_actor,
        change_objects,
        duplicate_entry,
        truncate_and_reappend,
        older_anchor_file,
        delete_anchor_file,
        wrong_key,
        delete_key_file,
        sequence_gap,
        insert_in_middle,
    )
}


@dataclass(frozen=True)
class _Expect:
    entry_id: int | None
    words: str


@pytest.mark.parametrize("case", list(CASES))
def test_tampering_is_detected_naming_the_first_broken_entry(access: DataAccess, db: Database, case: str) -> None:
    activity(access)
    log = rows(db)
    assert check(db) == (len(log), None)
    expect = _Expect(*CASES[case](db, access, log))
    _, broken = check(db)
    assert broken is not None, f"{case} went undetected"
    line = broken.describe()
    assert expect.words in line, line
    assert broken.entry_id == expect.entry_id, line
    if expect.entry_id is not None:
        assert line.startswith(f"audit chain broken at entry {expect.entry_id} "), line


def test_there_are_at_least_nineteen_cases() -> None:
    assert len(CASES) >= 19


def test_an_untouched_log_holds_through_later_writes(access: DataAccess, db: Database) -> None:
    activity(access)
    activity(access, rounds=2, start=50)
    assert check(db) == (len(rows(db)), None)


def test_a_rolled_back_transaction_leaves_no_checkpoint_ahead_of_the_log(access: DataAccess, db: Database) -> None:
    activity(access, rounds=1)
    with pytest.raises(RuntimeError), db.writer.begin() as conn:
        append(
            conn,
            at=datetime.now(UTC),
            username="admin",
            operation=Operation.CONSULTATION,
            object_type="report",
            object_ids=["r-1"],
            channel="test",
        )
        raise RuntimeError("the caller's work failed after logging")
    assert check(db) == (len(rows(db)), None)
    activity(access, rounds=1, start=10)
    assert check(db) == (len(rows(db)), None)


def test_a_restore_sets_aside_the_checkpoints_of_the_lost_history(access: DataAccess, db: Database) -> None:
    from maxim.store.audit import mark_restored

    activity(access)
    log = rows(db)
    with db.writer.begin() as conn:  # what restoring an older backup does to the table
        conn.execute(delete(audit_log).where(audit_log.c.id.in_([r["id"] for r in log[-2:]])))
    assert check(db)[1] is not None
    with db.writer.begin() as conn:
        mark_restored(conn)
    assert check(db) == (len(log) - 2, None)
    activity(access, rounds=1, start=20)
    assert check(db) == (len(rows(db)), None)
