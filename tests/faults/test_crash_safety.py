"""Crash safety: kill -9 the ingest at random points, re-run, and the store equals a clean run.

Each chunk of reports is one transaction, so a killed ingest leaves whole reports or none;
re-running skips what is already there. MAXIM_CRASH_KILLS sets how many kills (CI: 3; `make
prove`: 20).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from maxim.scenario import write_scenario
from maxim.store.engine import connect

KILLS = int(os.environ.get("MAXIM_CRASH_KILLS", "3"))


def ingest(env: dict[str, str], path: Path, *, kill_after: float | None = None) -> int | None:
    command = [sys.executable, "-m", "maxim.cli", "ingest", str(path), "--workers", "2"]
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is None:
        return process.wait(timeout=600)
    time.sleep(kill_after)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return None


def state(url: str) -> dict[str, object]:
    db = connect(url)
    try:
        with db.reader.connect() as conn:
            per_report = dict(conn.execute(text("SELECT report_id, count(*) FROM statements GROUP BY report_id")).all())
            keys = conn.execute(text("SELECT originator, reference, version FROM reports")).all()
            return {
                "statements": set(conn.execute(text("SELECT id FROM statements")).scalars()),
                "entities": set(conn.execute(text("SELECT id FROM entities")).scalars()),
                "per_report": per_report,
                "reports": len(keys),
                "distinct_keys": len(set(keys)),
                "current": sorted(conn.execute(text("SELECT id FROM reports WHERE is_current")).scalars()),
            }
    finally:
        db.dispose()


def test_killed_ingests_resume_to_exactly_the_clean_result(database_url: str, tmp_path: Path) -> None:
    write_scenario(tmp_path / "scenario", seed=11, reports=800)
    path = tmp_path / "scenario" / "reports.jsonl"
    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    env = {"MAXIM_DATABASE_URL": database_url, "MAXIM_DATA_DIR": str(tmp_path)}
    for url in (clean_url, database_url):
        subprocess.run(
            [sys.executable, "-m", "maxim.cli", "init"],
            env={**os.environ, "MAXIM_DATABASE_URL": url, "MAXIM_DATA_DIR": env["MAXIM_DATA_DIR"]},
            check=True,
            capture_output=True,
        )
    assert ingest({"MAXIM_DATABASE_URL": clean_url, "MAXIM_DATA_DIR": str(tmp_path)}, path) == 0
    rng = random.Random(5)
    for _ in range(KILLS):
        ingest(env, path, kill_after=rng.uniform(1.5, 4.0))
        partial = state(database_url)
        assert partial["reports"] == partial["distinct_keys"]  # no duplicate versions, ever
    assert ingest(env, path) == 0
    clean, crashed = state(clean_url), state(database_url)
    assert crashed["statements"] == clean["statements"]
    assert crashed["entities"] == clean["entities"]
    assert crashed["per_report"] == clean["per_report"]  # every report whole: no partial reports
    assert crashed["current"] == clean["current"]
