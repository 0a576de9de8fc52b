"""The browser suite: `maxim serve` on a free port against a small generated scenario, driven by
Playwright through Debian's Chromium (/usr/bin/chromium; never a downloaded browser).

Without Chromium these tests fail with the fix named: they never skip, in CI or anywhere else.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from maxim.intake.batch import ingest_file
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.scenario.writer import write_scenario
from maxim.security.auth import create_user
from maxim.security.users import DEMO_USERS, ensure_local_admin
from maxim.store.access import DataAccess
from maxim.store.engine import Database, connect
from maxim.store.migrate import upgrade
from tests.factories import person, report

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "browser suite passphrase 42"
# How long `maxim serve` may take to answer /health: seconds on an idle machine, much longer on a
# loaded one (it gave up after 10 s three times at load 8); a dead server fails at once anyway.
SERVE_WAIT_S = 120
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed_users(db: Database) -> DataAccess:
    """The schema and the demo users with a known password; the local administrator's access."""
    upgrade(db)
    admin = ensure_local_admin(db)
    now = datetime.now(UTC)
    for username, name, unit, roles, external in DEMO_USERS:
        create_user(
            db,
            username=username,
            display_name=name,
            unit=unit,
            roles=roles,
            password=PASSWORD,
            now=now,
            by="test",
            external=external,
        )
    return DataAccess(db, admin, channel="test")


def _seed(url: str, scenario_dir: Path, reports: int = 120) -> None:
    """Demo users, a small scenario, and a nominal the journey will link to."""
    db = connect(url)
    try:
        access = seed_users(db)
        now = datetime.now(UTC)
        ref = load_reference()
        write_scenario(scenario_dir, seed=7, reports=reports)
        ingest_file(scenario_dir / "reports.jsonl", access, ref)
        # Testperson Bravo shares the phone the journey's report gives Testperson Alpha, and has an
        # address: the chart links Alpha to Bravo, and expanding Bravo reaches the address.
        known = report(
            originator="BOCU-LAMBETH",
            reference="LAM/BROWSER/1",
            title="Controller seen at car wash",
            text="Bravo uses 07700 900123 and lives at SE1 7XX.",
            entities=[
                person("p1", "Testperson Bravo", phone=["07700 900123"], addressEntity=["a1"]),
                {"id": "a1", "schema": "Address", "properties": {"full": ["14 Example Road, London SE1 7XX"]}},
            ],
        )
        access.submit([build_record(parse_report(known, ref), received_by="admin", now=now)])
    finally:
        db.dispose()


@contextmanager
def serving(tmp: Path, url: str) -> Iterator[str]:
    """`maxim serve` on `url` in a subprocess on a free 127.0.0.1 port; yields its base URL."""
    port = _free_port()
    env = {**os.environ, "MAXIM_DATABASE_URL": url, "MAXIM_DATA_DIR": str(tmp)}
    maxim = Path(sys.executable).with_name("maxim")
    log = (tmp / "serve.log").open("w")
    proc = subprocess.Popen(
        [str(maxim), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVE_WAIT_S
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"maxim serve exited: {(tmp / 'serve.log').read_text()}")
                time.sleep(0.1)
        else:
            pytest.fail(f"maxim serve did not answer on {base}: {(tmp / 'serve.log').read_text()}")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over a small scenario, served for the whole browser session."""
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'maxim.db'}"
    _seed(url, tmp / "scenario")
    with serving(tmp, url) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is required for the browser tests and is missing at {CHROMIUM}. "
            "Install Debian's package: apt-get install -y chromium (.ci/run does this)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
