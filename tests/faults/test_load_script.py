"""The load test's script, run at a tiny size against a real `maxim serve` on PostgreSQL (CI's
reduced run; `python bench/load.py` is the full one): every action answers without an error and
the results file carries each action's latency and throughput."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]


def test_the_load_script_runs_every_action_without_errors(tmp_path: Path) -> None:
    base_url = POSTGRES_URL  # the script makes (and drops) a schema of its own in it
    env = {**os.environ, "MAXIM_BENCH_RESULTS": str(tmp_path)}
    args = ["--postgres-url", base_url, "--users", "4", "--seconds", "8", "--reports", "100", "--referrals", "10"]
    args += ["--capacity-seconds", "4", "--baseline-seconds", "2", "--workers", "1", "--think", "0.5"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((tmp_path / "load.json").read_text(encoding="utf-8"))
    figures = {f["name"]: f for f in result["figures"]}
    assert figures["errors"]["value"] == 0, result.get("first_errors")
    for action in ("search", "entity page", "report page", "home", "intake"):
        assert figures[f"{action} p95"]["value"] > 0, action
        assert figures[f"{action} throughput"]["value"] > 0, action
