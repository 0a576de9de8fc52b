"""`make prove`: the fault, crash-safety and fuzz tests at full size, their outcome recorded.

    .venv/bin/python bench/prove.py              # 20 kills of ingest and of resolution runs per database
    .venv/bin/python bench/prove.py --kills 3    # CI's size

Runs `pytest tests/faults` (kill -9 of a batch ingest and of resolution runs at random points,
each re-run and compared with a clean run on SQLite and PostgreSQL; PostgreSQL lost mid-request
and back; a read-only database; backup and restore with the audit chain verified; schemathesis
against /openapi.json; hypothesis on the parsers; the load script at a tiny size) with
MAXIM_CRASH_KILLS set, and writes bench/results/prove.json: one figure per test (its wall time;
target "passes"; met when it passed), with the machine's facts and the date. Exits with pytest's
status, so a failure is never only a line in a table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Figure, write

ROOT = Path(__file__).resolve().parents[1]


def outcomes(junit: Path) -> list[Figure]:
    """One figure per test case of a pytest JUnit XML report."""
    figures = []
    for case in ET.parse(junit).getroot().iter("testcase"):  # our own pytest run's report
        module = case.get("classname", "").rsplit(".", 1)[-1]
        failed = any(child.tag in ("failure", "error", "skipped") for child in case)
        figures.append(
            Figure(
                f"{module}::{case.get('name')}",
                round(float(case.get("time", 0)), 1),
                "s",
                target="passes",
                met=not failed,
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20, help="kill -9 points per crash test and database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "faults.xml"
        env = {**os.environ, "CI": "true", "MAXIM_CRASH_KILLS": str(args.kills), "MAXIM_BENCH_RESULTS": tmp}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/faults", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"],
            cwd=ROOT,
            env=env,
            check=False,
        )
        figures = outcomes(junit)
    write("prove", figures, kills_per_crash_test=args.kills, pytest_exit=done.returncode)
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
