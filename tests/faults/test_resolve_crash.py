"""Crash safety of `maxim resolve`: a killed run is complete or absent, and a re-run equals a clean one.

A run's result (links, edges, features, blocking keys, the run row marked finished, the audit
of its merges) is written in one transaction, so a run killed at any point leaves the previous
resolution whole, and the judgement ledger, which a run only reads, untouched.

Two tests: `kill -9` of a `maxim resolve` subprocess at seeded random times on a few thousand
mentions (MAXIM_CRASH_KILLS sets how many: CI 3, `make prove` 20), and, because a random kill
rarely lands inside the short write, a run stopped in turn at every write statement it makes.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from maxim.resolve.run import resolve
from maxim.scenario import write_scenario
from maxim.security.users import ensure_local_admin
from maxim.store.access import DataAccess
from maxim.store.audit_anchor import default_key_file
from maxim.store.engine import Database, connect
from maxim.store.resolution_access import ResolutionAccess
from maxim.store.tables import statements
from tests.faults.resolution_state import Stored, differences, stored
from tests.resolve.helpers import one, submit

KILLS = int(os.environ.get("MAXIM_CRASH_KILLS", "3"))
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.I)


def data_dir(url: str) -> Path:
    """The installation's key files (audit, package signing) live in its data directory: one per database."""
    return Path(tempfile.gettempdir()) / "maxim-crash" / hashlib.sha1(url.encode()).hexdigest()[:12]


def keyed(url: str) -> Database:
    """The database as the `maxim` command opens it: with its audit key."""
    return connect(url, audit_key_file=default_key_file(url, data_dir(url)))


def maxim(url: str, *args: str, kill_after: float | None = None) -> int | None:
    """Run the `maxim` command on `url`; with `kill_after`, SIGKILL it after that many seconds."""
    env = {**os.environ, "MAXIM_DATABASE_URL": url, "MAXIM_DATA_DIR": str(data_dir(url))}
    process = subprocess.Popen(
        [sys.executable, "-m", "maxim.cli", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    if kill_after is None:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err.decode()
        return process.returncode
    try:
        process.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
    process.communicate()
    return None


def state(url: str) -> Stored:
    db = keyed(url)
    try:
        return stored(db)
    finally:
        db.dispose()


def judge(url: str) -> None:
    """Put judgements in the ledger: two vehicles sharing a mark are not the same, two people are."""
    db = keyed(url)
    try:
        res = ResolutionAccess(DataAccess(db, ensure_local_admin(db), channel="test"))
        with db.reader.connect() as conn:
            marks = conn.execute(
                select(statements.c.value, statements.c.entity_id)
                .where(statements.c.schema == "Vehicle", statements.c.prop == "registrationNumber")
                .distinct()
                .order_by(statements.c.value, statements.c.entity_id)
            ).all()
            people = (
                conn.execute(
                    select(statements.c.entity_id)
                    .where(statements.c.schema == "Person")
                    .distinct()
                    .order_by(statements.c.entity_id)
                    .limit(2)
                )
                .scalars()
                .all()
            )
        shared = [(a[1], b[1]) for a, b in itertools.pairwise(marks) if a[0] == b[0] and a[1] != b[1]]
        res.append_judgement(min(shared[0]), max(shared[0]), "not_same", "cloned plate")
        res.append_judgement(min(people), max(people), "same", "same custody photograph")
    finally:
        db.dispose()


def test_killed_resolution_runs_leave_a_whole_run_or_none(database_url: str, tmp_path: Path) -> None:
    write_scenario(tmp_path / "scenario", seed=11, reports=800)
    reports = tmp_path / "scenario" / "reports.jsonl"
    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    for url in (clean_url, database_url):
        maxim(url, "init")
        maxim(url, "ingest", str(reports), "--workers", "2")
        judge(url)
    started = time.perf_counter()
    maxim(clean_url, "resolve")
    duration = time.perf_counter() - started
    clean = state(clean_url)
    clean.assert_whole()
    assert len(clean.assignments) > 2500
    ledger = state(database_url).ledger
    assert [j[1:4] for j in ledger] == [j[1:4] for j in clean.ledger]  # the same judgements in both
    rng = random.Random(20)
    for _ in range(KILLS):
        maxim(database_url, "resolve", kill_after=rng.uniform(0.5, duration * 1.1))
        after = state(database_url)
        after.assert_whole()
        assert not after.assignments or after.assignments == clean.assignments, differences(after, clean)
        assert after.ledger == ledger
    maxim(database_url, "resolve")
    final = state(database_url)
    final.assert_whole()
    assert final.assignments == clean.assignments, differences(final, clean)
    assert final.ledger == ledger


class Stopped(BaseException):
    """Stands for the process dying: not an Exception, so nothing on the way catches it."""


@contextmanager
def stop_at_write(db: Database, nth: int | None) -> Iterator[list[str]]:
    """Count the statements that write (and with `nth`, stop the run just before the nth)."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if _WRITE.match(statement):
            seen.append(statement.split("(")[0][:60])
            if len(seen) == nth:
                raise Stopped(statement)

    event.listen(db.writer, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.writer, "before_cursor_execute", before)


def test_a_run_stopped_at_any_write_leaves_the_previous_resolution(access: DataAccess) -> None:
    zhang = [one(access, f"Z/{i}", name, birthDate=["1984-03-02"]) for i, name in enumerate(("ZHANG Wei", "Wei Chang"))]
    vans = [
        submit(access, f"V/{i}", {"id": "v1", "schema": "Vehicle", "properties": {"registrationNumber": [mark]}})[0]
        for i, mark in enumerate(("AB12 CDE", "ab12cde", "XY51 ABC"))
    ]
    ResolutionAccess(access).append_judgement(min(vans[:2]), max(vans[:2]), "not_same", "cloned plate")
    resolve(access)
    before = stored(access.db)
    before.assert_whole()
    assert len(before.assignments) == 5
    assert before.assignments[zhang[0]][0] == before.assignments[zhang[1]][0]
    with stop_at_write(access.db, None) as writes:
        resolve(access)
    assert len(writes) >= 6, writes
    assert stored(access.db).assignments == before.assignments
    for nth in range(1, len(writes) + 1):
        with stop_at_write(access.db, nth), pytest.raises(Stopped):
            resolve(access)
        after = stored(access.db)
        after.assert_whole()
        assert after.assignments == before.assignments, f"stopped at {writes[nth - 1]}"
        assert after.ledger == before.ledger
