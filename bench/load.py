"""Load test: C concurrent users for T seconds against a real `maxim serve` on loopback.

    .venv/bin/python bench/load.py                      # 50 users, 600 s, 50,000 reports, PostgreSQL
    .venv/bin/python bench/load.py --quick              # 10 users, 20 s, 500 reports
    .venv/bin/python bench/load.py --users 20 --seconds 60 --reports 2000 --database sqlite

The scenario is generated and ingested first with the CLI (`maxim init`, `generate`, `ingest`,
each a subprocess with MAXIM_DATABASE_URL), on PostgreSQL in a schema of its own (created and
dropped here) or on a SQLite file. Two demo accounts get bearer tokens from `maxim token create`:
an analyst (reads) and an intake officer (submits). The server runs as a subprocess on a free
127.0.0.1 port and is stopped at the end.

Each user is a closed loop: it sends its next request as soon as the last one is answered (no
think time unless `--think`), picking an action by weight: search, entity page, report page,
home page, intake (`POST /api/reports` with a unique reference). Latency p50/p95/p99 and
throughput per action, errors (anything but 2xx, or no answer in 30 s), and the throughput of
the mix against the bare `/health` endpoint driven by the same users on the same server in the
same run. The load generator shares the machine with the server, so both figures include its
cost. Writes bench/results/load.json; targets (zero errors, p95 < 200 ms for reads) are reported,
not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Figure, figure, write
from tests.factories import report

POSTGRES_URL = os.environ.get("MAXIM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MAXIM = [sys.executable, "-m", "maxim.cli"]
TIMEOUT = 30.0
READ_P95_MS = 200.0
# Action weights: mostly reading, as analysts do; about one request in ten is a new report.
WEIGHTS = {"search": 30, "entity page": 25, "report page": 20, "home": 15, "intake": 10}
READS = ("search", "entity page", "report page", "home")


@dataclass
class Samples:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    first_errors: list[str] = field(default_factory=list)

    def add(self, action: str, seconds: float, error: str | None) -> None:
        self.latencies.setdefault(action, []).append(seconds * 1000)
        if error is not None:
            self.errors[action] = self.errors.get(action, 0) + 1
            if len(self.first_errors) < 10:
                self.first_errors.append(f"{action}: {error}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = q / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def cli(env: dict[str, str], *args: str, ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run([*MAXIM, *args], env=env, capture_output=True, text=True, timeout=24 * 3600, check=False)
    if done.returncode not in ok:
        raise SystemExit(f"maxim {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    server = subprocess.Popen(
        [*MAXIM, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    handle.close()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"maxim serve exited {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    stop_server(server)
    raise SystemExit(f"maxim serve did not answer /health within 120 s:\n{log.read_text()}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)  # uvicorn shuts down gracefully on SIGINT
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)


def search_terms(scenario: Path, limit: int = 200) -> list[str]:
    """Words and names to search for, taken from the (synthetic) scenario's own reports."""
    terms: list[str] = []
    with (scenario / "reports.jsonl").open(encoding="utf-8") as handle:
        for line in itertools.islice(handle, limit):
            row = json.loads(line)
            terms.extend(w for w in str(row.get("title", "")).split() if len(w) > 4 and w.isalpha())
            for entity in row.get("entities") or []:
                if entity.get("schema") == "Person":
                    terms.extend((entity.get("properties") or {}).get("name", [])[:1])
    return sorted(set(terms)) or ["flat"]


async def discover(client: httpx.AsyncClient, terms: list[str]) -> tuple[list[str], list[str]]:
    """Report and entity ids the analyst may see, found as the analyst would: home and search."""
    reports: set[str] = set()
    entities: set[str] = set()
    home = (await client.get("/index.json")).json()
    reports.update(r["id"] for r in home.get("reports", []) if r.get("id"))
    for term in terms[:60]:
        found = (await client.get("/search.json", params={"q": term})).json()
        reports.update(r.get("report_id") or r["id"] for r in found.get("reports", []))
        entities.update(e["entity_id"] for e in found.get("entities", []) if e.get("entity_id"))
    if not reports or not entities:
        raise SystemExit(
            f"found {len(reports)} reports and {len(entities)} entities to load; the scenario is too small"
        )
    return sorted(reports), sorted(entities)


async def drive(
    base: str,
    users: int,
    seconds: float,
    think: float,
    choose: Callable[[random.Random], tuple[str, str, str, dict[str, Any] | None, dict[str, str]]],
    seed: int,
) -> tuple[Samples, float]:
    """`users` closed-loop users for `seconds`; returns the samples and the measured wall time."""
    samples = Samples()
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT, limits=limits) as client:
        start = time.monotonic()
        deadline = start + seconds

        async def user(number: int) -> None:
            rng = random.Random(seed * 1000 + number)
            while time.monotonic() < deadline:
                action, method, path, body, headers = choose(rng)
                began = time.perf_counter()
                error = None
                try:
                    response = await client.request(method, path, json=body, headers=headers)
                    if not 200 <= response.status_code < 300:
                        error = f"{method} {path} -> {response.status_code} {response.text[:160]}"
                except httpx.HTTPError as exc:
                    error = f"{method} {path} -> {type(exc).__name__}: {exc}"
                samples.add(action, time.perf_counter() - began, error)
                if think:
                    await asyncio.sleep(min(rng.expovariate(1 / think), 10 * think))

        await asyncio.gather(*(user(n) for n in range(users)))
        return samples, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--reports", type=int, default=50000)
    parser.add_argument("--quick", action="store_true", help="--users 10 --seconds 20 --reports 500")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--think", type=float, default=0.0, help="mean think time between a user's actions, s")
    parser.add_argument("--baseline-seconds", type=float, default=None, help="bare /health phase (default T/4, ≤ 60)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.quick:
        args.users, args.seconds, args.reports = 10, 20.0, 500
    baseline_seconds = args.baseline_seconds or min(60.0, max(5.0, args.seconds / 4))

    tmp = Path(tempfile.mkdtemp(prefix="maxim-load-"))
    schema = f"maxim_load_{uuid.uuid4().hex[:10]}"
    admin_engine = None
    server = None
    try:
        if args.database == "postgresql":
            from sqlalchemy import create_engine, text

            admin_engine = create_engine(args.postgres_url)
            with admin_engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            separator = "&" if "?" in args.postgres_url else "?"
            url = f"{args.postgres_url}{separator}options=-csearch_path%3D{schema}"
        else:
            url = f"sqlite:///{tmp / 'maxim.db'}"
        env = {**os.environ, "MAXIM_DATABASE_URL": url, "MAXIM_DATA_DIR": str(tmp)}

        began = time.perf_counter()
        cli(env, "init")
        scenario = tmp / "scenario"
        cli(env, "generate", "--out", str(scenario), "--reports", str(args.reports), "--seed", str(args.seed))
        # Exit 1 means some generated rows were refused (the scenario includes deliberately bad ones).
        ingested = cli(env, "ingest", str(scenario / "reports.jsonl"), "--workers", "1", ok=(0, 1))
        print(next((line for line in ingested.splitlines() if line.startswith("read ")), ingested.strip()))
        setup_seconds = time.perf_counter() - began
        tokens = {}
        for username, role in (("load-analyst", "analyst"), ("load-intake", "intake_officer")):
            name = username.replace("-", " ").title()
            cli(env, "user", "add", username, "--unit", "SCD6-MAXIM", "--role", role, "--name", name)
            tokens[role] = cli(env, "token", "create", "--as", username, "--name", "load").strip().splitlines()[-1]
        reader = {"Authorization": f"Bearer {tokens['analyst']}"}  # pages as a browser gets them: HTML
        writer = {"Authorization": f"Bearer {tokens['intake_officer']}"}

        port = free_port()
        server = start_server(env, port, tmp / "serve.log")
        base = f"http://127.0.0.1:{port}"
        terms = search_terms(scenario)

        async def find() -> tuple[list[str], list[str]]:
            async with httpx.AsyncClient(
                base_url=base, timeout=TIMEOUT, headers={**reader, "Accept": "application/json"}
            ) as client:
                return await discover(client, terms)

        report_ids, entity_ids = asyncio.run(find())
        run = uuid.uuid4().hex[:8].upper()
        counter = itertools.count(1)

        def choose(rng: random.Random) -> tuple[str, str, str, dict[str, Any] | None, dict[str, str]]:
            action = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
            if action == "search":
                return action, "GET", f"/search?q={quote_plus(rng.choice(terms))}", None, reader
            if action == "entity page":
                return action, "GET", f"/entities/{rng.choice(entity_ids)}", None, reader
            if action == "report page":
                return action, "GET", f"/reports/{rng.choice(report_ids)}", None, reader
            if action == "home":
                return action, "GET", "/", None, reader
            body = report(reference=f"LOAD/{run}/{next(counter):07d}", title=f"Load test report {run}")
            return action, "POST", "/api/reports", body, writer

        def health(rng: random.Random) -> tuple[str, str, str, dict[str, Any] | None, dict[str, str]]:
            return "health", "GET", "/health", None, {}

        base_samples, base_wall = asyncio.run(drive(base, args.users, baseline_seconds, 0.0, health, args.seed))
        samples, wall = asyncio.run(drive(base, args.users, args.seconds, args.think, choose, args.seed))
        health_rps = len(base_samples.latencies["health"]) / base_wall
    finally:
        if server is not None:
            stop_server(server)
        if admin_engine is not None:
            from sqlalchemy import text

            with admin_engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin_engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)

    figures: list[Figure] = [figure("bare /health throughput", health_rps, "req/s")]
    total = sum(len(v) for v in samples.latencies.values())
    figures.append(figure("mix throughput", total / wall, "req/s", health_rps))
    errors = sum(samples.errors.values()) + sum(base_samples.errors.values())
    figures.append(Figure("errors", errors, "requests", None, None, "0", errors == 0))
    for action in [*WEIGHTS, "health"]:
        values = (base_samples if action == "health" else samples).latencies.get(action, [])
        if not values:
            continue
        elapsed = base_wall if action == "health" else wall
        figures.append(figure(f"{action} throughput", len(values) / elapsed, "req/s"))
        for q in (50, 95, 99):
            value = percentile(values, q)
            if q == 95 and action in READS:
                target = f"p95 < {READ_P95_MS:g} ms"
                figures.append(Figure(f"{action} p95", round(value, 3), "ms", None, None, target, value < READ_P95_MS))
            else:
                figures.append(figure(f"{action} p{q}", value, "ms"))
    write(
        "load",
        figures,
        engine=args.database,
        scenario_reports=args.reports,
        users=args.users,
        seconds=args.seconds,
        think_seconds=args.think,
        baseline_seconds=baseline_seconds,
        setup_seconds=round(setup_seconds, 1),
        requests=total,
        errors_by_action={**samples.errors, **base_samples.errors},
        first_errors=samples.first_errors + base_samples.first_errors,
        weights=WEIGHTS,
    )


if __name__ == "__main__":
    main()
