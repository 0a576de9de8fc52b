"""Load test: analysts working in Maxim through a real `maxim serve` on loopback.

    .venv/bin/python bench/load.py                   # 50 users, 600 s, 43,000 reports (~1M statements), PostgreSQL
    .venv/bin/python bench/load.py --quick           # 10 users, 30 s, 500 reports
    .venv/bin/python bench/load.py --database-url URL --scenario DIR   # an already ingested database

Setup. The scenario is generated and ingested with the CLI (`maxim init`, `generate`, `ingest`,
each a subprocess with MAXIM_DATABASE_URL), on PostgreSQL in a schema of its own (created here and
dropped at the end; `--postgres-url` names the database) or on a SQLite file; then the tables are
vacuumed and analysed, as autovacuum would do on a server that runs it. Every simulated user gets
an account of their own (unit SCD6-MAXIM, roles analyst and supervisor) and a browser session
(cookie and CSRF token, made as a login makes them, without the login form's rate limit). A pool
of referrals is made from the scenario's referral reports and routed by the SOP. The server runs
with `--workers` processes on a free 127.0.0.1 port and is stopped at the end.

The user model. Each user is a person at a desk: they act, read the answer, think, act again.
Think time is exponential with mean `--think` (default 3 s, cut at ten times the mean), and each
user starts at a random moment in the first mean think time. Actions are drawn by weight (WEIGHTS):
search (a name or a word from the scenario), an entity page, a report page, the home page (the
latest reports and the unit's referral queue), intake (`POST /api/reports` with a unique
reference, by the session with its CSRF token as the intake form's script sends it), and a
referral action (`POST /api/referrals/ID/accept|decline|close` on a referral from the pool: a
routed one is accepted three times in four, otherwise declined with a reason and so routed again
by the SOP; an accepted one is closed). Pages are fetched as a browser gets them: HTML.

Phases, each measured on its own: (1) the bare baseline, a bare FastAPI app with one endpoint
(bench/bare_app.py) under uvicorn with the same workers, driven by the same users without think
time; (2) Maxim's own `/health`, likewise; (3) the realistic run, `--seconds` long, whose latency
per action is the headline; (4) capacity: the same mix without think time for
`--capacity-seconds`, whose throughput over the bare app's is the throughput ratio. Per action:
p50/p95/p99 latency, throughput, errors (anything but 2xx, or no answer in 30 s). CPU seconds of
the server processes, of this load generator and of the PostgreSQL backends serving the test are
read from /proc per phase, with the whole machine's busy time, so the share taken by other work on
a shared machine is stated (a backend that exits during a phase, such as a pool's overflow
connection under the capacity phase, is not counted: database CPU there is a lower bound). The
load generator shares the machine with the server. Writes bench/results/load.json; targets (zero
errors, p95 < 200 ms for reads) are reported, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Figure, figure, write
from tests.factories import report
from tests.route.helpers import facts_data

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("MAXIM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MAXIM = [sys.executable, "-m", "maxim.cli"]
TIMEOUT = 30.0
READ_P95_MS = 200.0
THINK_MEAN = 3.0
# What analysts on the Maxim desk do, per action taken: mostly reading, about one action in
# twelve a new report and one in fourteen a decision on a referral.
WEIGHTS = {"search": 30, "entity page": 25, "report page": 20, "home": 10, "intake": 8, "referral action": 7}
READS = ("search", "entity page", "report page", "home")
UNIT, ROLES = "SCD6-MAXIM", ["analyst", "supervisor"]
SESSION_COOKIE = "maxim_session"

Request = tuple[str, str, str, dict[str, Any] | None, dict[str, str]]


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

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.latencies.values())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = q / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# -- processes and CPU ---------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of one process, 0 if it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


def _machine_busy() -> float:
    """CPU seconds all cores spent busy since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICK


@dataclass
class CpuMeter:
    """CPU of the server processes, the PostgreSQL backends of the test and this process, per phase."""

    server_pid: int
    backends: Callable[[], list[int]]
    start: dict[str, Any] = field(default_factory=dict)

    def _now(self) -> dict[str, Any]:
        server = [self.server_pid, *_children(self.server_pid)]
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "wall": time.monotonic(),
            "server": {p: _cpu_of(p) for p in server},
            "database": {p: _cpu_of(p) for p in self.backends()},
            "generator": usage.ru_utime + usage.ru_stime,
            "machine": _machine_busy(),
        }

    def begin(self) -> None:
        self.start = self._now()

    def end(self) -> dict[str, float]:
        now, then = self._now(), self.start

        def delta(kind: str) -> float:
            return float(sum(cpu - then[kind].get(pid, 0.0) for pid, cpu in now[kind].items()))

        wall = now["wall"] - then["wall"]
        used = {
            "server": delta("server"),
            "database": delta("database"),
            "generator": now["generator"] - then["generator"],
            "machine": now["machine"] - then["machine"],
        }
        used["other work"] = max(0.0, used["machine"] - used["server"] - used["database"] - used["generator"])
        return {f"{k}_cpu_s": round(v, 1) for k, v in used.items()} | {
            "wall_s": round(wall, 1),
            "machine_busy_pct": round(100 * used["machine"] / (wall * (os.cpu_count() or 1)), 1),
        }


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


def start_server(
    command: list[str], env: dict[str, str], port: int, log: Path, ready: str = "/health"
) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    server = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    handle.close()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"{' '.join(command)} exited {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready}", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    stop_server(server)
    raise SystemExit(f"{' '.join(command)} did not answer within 180 s:\n{log.read_text()}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)  # uvicorn shuts down gracefully on SIGINT
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)


# -- setup ---------------------------------------------------------------------------------------


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


def vacuum(url: str) -> None:
    """VACUUM ANALYZE the test's tables after the bulk load, as autovacuum would (it may be off on a
    test server): without it the planner has no statistics, and every name search reads the
    full-text index's pending list (a few MB of unsorted entries) from end to end."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        names = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars()
        for name in list(names):
            conn.exec_driver_sql(f'VACUUM ANALYZE "{name}"')
    engine.dispose()


def make_sessions(url: str, users: int, run: str) -> list[tuple[str, str]]:
    """One account and one browser session (cookie token, CSRF token) per simulated user."""
    from maxim.security.auth import create_user, start_session
    from maxim.store.engine import connect

    db = connect(url)
    now = datetime.now(UTC)
    sessions = []
    for n in range(users):
        actor = create_user(
            db, username=f"load-{run}-{n:03d}", display_name=f"Load User {n}", unit=UNIT, roles=ROLES,
            password=None, now=now, by="admin",
        )  # fmt: skip
        session = start_session(db, actor, now=now)
        sessions.append((session.token, session.csrf_token))
    db.dispose()
    return sessions


def make_referrals(url: str, count: int, run: str, seed: int) -> list[tuple[str, int, str]]:
    """Referral records for the scenario's referral reports, routed by the SOP: (id, version, status)."""
    from sqlalchemy import select

    from maxim.reference import load_reference
    from maxim.security.auth import create_user
    from maxim.store.access import DataAccess
    from maxim.store.engine import connect
    from maxim.store.tables import reports
    from maxim.store.tables_workflow import referrals
    from maxim.store.workflow_access import WorkflowAccess

    db = connect(url)
    rng = random.Random(seed)
    boroughs = sorted(code for code in load_reference().units if code.startswith("BOCU-"))
    desk = create_user(
        db, username=f"load-{run}-desk", display_name="Load Referral Desk", unit=UNIT, roles=ROLES,
        password=None, now=datetime.now(UTC), by="admin",
    )  # fmt: skip
    flow = WorkflowAccess(DataAccess(db, desk, channel="api"))
    with db.reader.connect() as conn:
        ids = conn.execute(
            select(reports.c.id)
            .where(
                reports.c.kind == "referral",
                reports.c.is_current,
                reports.c.handling_code == "P",
                reports.c.id.not_in(select(referrals.c.report_id)),  # a database used before
            )
            .order_by(reports.c.id)
            .limit(count)
        ).scalars()
        report_ids = list(ids)
    pool = []
    for report_id in report_ids:
        borough = rng.choice(boroughs)
        made = flow.create_referral(report_id, facts_data(found_borough=borough, referring_organisation=borough))
        flow.route_referral(made["id"], made["version"])
        state = flow.referral(made["id"])
        assert state is not None
        if state["status"] == "ROUTED":
            pool.append((str(state["id"]), int(state["version"]), "ROUTED"))
    db.dispose()
    return pool


async def discover(client: httpx.AsyncClient, terms: list[str]) -> tuple[list[str], list[str]]:
    """Report and entity ids the users may see, found as a user would: home and search."""
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


# -- the users -----------------------------------------------------------------------------------


async def drive(
    base: str,
    users: int,
    seconds: float,
    think: float,
    choose: Callable[[random.Random, int], Request],
    seed: int,
    settle: Callable[[int, Request, httpx.Response | None], None] | None = None,
) -> tuple[Samples, float]:
    """`users` users for `seconds`, each acting, waiting for the answer, then thinking; returns the
    samples and the measured wall time. With think 0 each user is a closed loop at full speed."""
    samples = Samples()
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT, limits=limits) as client:
        start = time.monotonic()
        deadline = start + seconds

        def pause(rng: random.Random) -> float:
            return min(rng.expovariate(1 / think), 10 * think) if think else 0.0

        async def user(number: int) -> None:
            rng = random.Random(seed * 1000 + number)
            if think:
                await asyncio.sleep(rng.uniform(0, think))
            while time.monotonic() < deadline:
                request = choose(rng, number)
                action, method, path, body, headers = request
                began = time.perf_counter()
                error, response = None, None
                try:
                    response = await client.request(method, path, json=body, headers=headers)
                    if not 200 <= response.status_code < 300:
                        error = f"{method} {path} -> {response.status_code} {response.text[:160]}"
                except httpx.HTTPError as exc:
                    error = f"{method} {path} -> {type(exc).__name__}: {exc}"
                samples.add(action, time.perf_counter() - began, error)
                if settle is not None:
                    settle(number, request, response)
                wait = pause(rng)
                if wait:
                    await asyncio.sleep(min(wait, max(0.0, deadline - time.monotonic())))

        await asyncio.gather(*(user(n) for n in range(users)))
        return samples, time.monotonic() - start


def action_figures(samples: Samples, wall: float, actions: list[str], label: str = "") -> list[Figure]:
    figures: list[Figure] = []
    for action in actions:
        values = samples.latencies.get(action, [])
        if not values:
            continue
        name = f"{label}{action}"
        figures.append(figure(f"{name} throughput", len(values) / wall, "req/s"))
        for q in (50, 95, 99):
            value = percentile(values, q)
            if q == 95 and action in READS and not label:
                target = f"p95 < {READ_P95_MS:g} ms"
                figures.append(Figure(f"{name} p95", round(value, 3), "ms", None, None, target, value < READ_P95_MS))
            else:
                figures.append(figure(f"{name} p{q}", value, "ms"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=600, help="the realistic run (with think time)")
    parser.add_argument("--reports", type=int, default=43000, help="scenario size; 43,000 reports is ~1M statements")
    parser.add_argument("--quick", action="store_true", help="--users 10 --seconds 30 --reports 500")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="database in which to make the test's schema")
    parser.add_argument("--database-url", default=None, help="use this already ingested database (no setup)")
    parser.add_argument("--scenario", type=Path, default=None, help="with --database-url: its scenario directory")
    parser.add_argument("--workers", type=int, default=2, help="`maxim serve --workers` (and the bare app's)")
    parser.add_argument("--think", type=float, default=THINK_MEAN, help="mean think time between actions, s")
    parser.add_argument("--capacity-seconds", type=float, default=60.0, help="the mix without think time")
    parser.add_argument("--baseline-seconds", type=float, default=30.0, help="bare app and /health, each")
    parser.add_argument("--referrals", type=int, default=400, help="referrals made and routed for the pool")
    parser.add_argument("--notes", default="", help="said in the results file, e.g. what else ran on the machine")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.quick:
        args.users, args.seconds, args.reports, args.referrals = 10, 30.0, 500, 100
        args.capacity_seconds, args.baseline_seconds = 15.0, 10.0
    if args.database_url and not args.scenario:
        parser.error("--database-url needs --scenario (the directory `maxim generate` wrote)")

    tmp = Path(tempfile.mkdtemp(prefix="maxim-load-"))
    run = uuid.uuid4().hex[:8]
    schema = f"maxim_load_{run}"
    admin_engine = None
    servers: list[subprocess.Popen[bytes]] = []
    phases: dict[str, dict[str, Any]] = {}
    try:
        began = time.perf_counter()
        if args.database_url:
            url = args.database_url
            env = {**os.environ, "MAXIM_DATABASE_URL": url, "MAXIM_DATA_DIR": str(tmp)}
            scenario = args.scenario
        else:
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
            cli(env, "init")
            scenario = tmp / "scenario"
            cli(env, "generate", "--out", str(scenario), "--reports", str(args.reports), "--seed", str(args.seed))
            # Exit 1 means some generated rows were refused (the scenario includes deliberately bad ones).
            ingested = cli(env, "ingest", str(scenario / "reports.jsonl"), "--workers", "1", ok=(0, 1))
            print(next((line for line in ingested.splitlines() if line.startswith("read ")), ingested.strip()))
        is_postgres = url.startswith("postgresql")
        if is_postgres:
            vacuum(url)
        sessions = make_sessions(url, args.users, run)
        pool: deque[tuple[str, int, str]] = deque(make_referrals(url, args.referrals, run, args.seed))
        routed_at_start = len(pool)
        setup_seconds = time.perf_counter() - began
        print(f"setup {setup_seconds:.0f} s: {args.users} sessions, {routed_at_start} routed referrals in the pool")
        counts = {"statements": 0, "reports": 0}
        if is_postgres:
            from sqlalchemy import create_engine, text

            probe = create_engine(url)
            with probe.connect() as conn:
                for table in counts:
                    counts[table] = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                database = conn.execute(text("SELECT current_database()")).scalar_one()

            def backends() -> list[int]:
                with probe.connect() as conn:
                    rows = conn.execute(
                        text("SELECT pid FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"),
                        {"db": database},
                    ).scalars()
                    return [int(p) for p in rows]
        else:

            def backends() -> list[int]:
                return []

        # -- the bare baseline ---------------------------------------------------------------
        bare_port = free_port()
        bare = start_server(
            [sys.executable, "-m", "uvicorn", "bench.bare_app:create", "--factory", "--host", "127.0.0.1",
             "--port", str(bare_port), "--workers", str(args.workers), "--log-level", "info"],
            {**os.environ, "PYTHONPATH": str(ROOT)}, bare_port, tmp / "bare.log", ready="/",
        )  # fmt: skip
        servers.append(bare)

        def bare_get(rng: random.Random, number: int) -> Request:
            return "bare endpoint", "GET", "/", None, {}

        meter = CpuMeter(bare.pid, lambda: [])
        meter.begin()
        bare_samples, bare_wall = asyncio.run(
            drive(f"http://127.0.0.1:{bare_port}", args.users, args.baseline_seconds, 0.0, bare_get, args.seed)
        )
        phases["bare"] = {"requests": bare_samples.total, **meter.end()}
        stop_server(bare)

        # -- Maxim ---------------------------------------------------------------------------
        port = free_port()
        workers = ["--workers", str(args.workers)]
        server = start_server(
            [*MAXIM, "serve", "--host", "127.0.0.1", "--port", str(port), *workers], env, port, tmp / "serve.log"
        )
        servers.append(server)
        base = f"http://127.0.0.1:{port}"
        terms = search_terms(scenario)
        headers = [
            {"Cookie": f"{SESSION_COOKIE}={token}", "X-CSRF-Token": csrf, "Accept": "text/html"}
            for token, csrf in sessions
        ]

        async def find() -> tuple[list[str], list[str]]:
            async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT, headers=headers[0]) as client:
                return await discover(client, terms)

        report_ids, entity_ids = asyncio.run(find())
        counter = itertools.count(1)
        taken: dict[int, tuple[str, int, str]] = {}
        stats = {"accepted": 0, "declined": 0, "closed": 0, "pool empty": 0}

        def choose(rng: random.Random, number: int) -> Request:
            action = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
            while action == "referral action" and not pool:
                stats["pool empty"] += 1
                action = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
            mine = headers[number]
            if action == "search":
                return action, "GET", f"/search?q={quote_plus(rng.choice(terms))}", None, mine
            if action == "entity page":
                return action, "GET", f"/entities/{rng.choice(entity_ids)}", None, mine
            if action == "report page":
                return action, "GET", f"/reports/{rng.choice(report_ids)}", None, mine
            if action == "home":
                return action, "GET", "/", None, mine
            if action == "intake":
                body = report(  # as the user's own unit: the only originator it may submit as
                    originator=UNIT,
                    reference=f"LOAD/{run.upper()}/{next(counter):07d}",
                    title=f"Load test report {run}",
                )
                return action, "POST", "/api/reports", body, mine
            referral_id, version, status = taken[number] = pool.popleft()
            if status == "ACCEPTED":
                verb, body = "close", {"version": version}
            elif rng.random() < 0.75:
                verb, body = "accept", {"version": version}
            else:
                verb, body = "decline", {"version": version, "reason": "At capacity this week"}
            return action, "POST", f"/api/referrals/{referral_id}/{verb}", body, mine

        def settle(number: int, request: Request, response: httpx.Response | None) -> None:
            """Referrals go back into the pool in their new state while there is still something to do."""
            if request[0] != "referral action":
                return
            verb = request[2].rsplit("/", 1)[1]
            referral_id, _version, _status = taken.pop(number)
            if response is None or response.status_code != 200:
                return
            stats[{"accept": "accepted", "decline": "declined", "close": "closed"}[verb]] += 1
            state = response.json()
            if state["status"] in ("ROUTED", "ACCEPTED"):
                pool.append((referral_id, int(state["version"]), str(state["status"])))

        def health(rng: random.Random, number: int) -> Request:
            return "health", "GET", "/health", None, {}

        meter = CpuMeter(server.pid, backends)
        meter.begin()
        health_samples, health_wall = asyncio.run(
            drive(base, args.users, args.baseline_seconds, 0.0, health, args.seed)
        )
        phases["health"] = {"requests": health_samples.total, **meter.end()}
        meter.begin()
        samples, wall = asyncio.run(drive(base, args.users, args.seconds, args.think, choose, args.seed, settle))
        phases["realistic"] = {"requests": samples.total, **meter.end()}
        meter.begin()
        capacity, capacity_wall = asyncio.run(
            drive(base, args.users, args.capacity_seconds, 0.0, choose, args.seed + 1, settle)
        )
        phases["capacity"] = {"requests": capacity.total, **meter.end()}
        if is_postgres:
            probe.dispose()
    finally:
        for process in servers:
            stop_server(process)
        if admin_engine is not None:
            from sqlalchemy import text

            with admin_engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin_engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)

    bare_rps = bare_samples.total / bare_wall
    health_rps = health_samples.total / health_wall
    capacity_rps = capacity.total / capacity_wall
    errors = samples.errors | {f"capacity {k}": v for k, v in capacity.errors.items()}
    errors |= {f"health {k}": v for k, v in health_samples.errors.items()}
    errors |= {f"bare {k}": v for k, v in bare_samples.errors.items()}
    n_errors = sum(errors.values())
    realistic = phases["realistic"]
    figures: list[Figure] = [
        figure("bare FastAPI throughput", bare_rps, "req/s"),
        figure("bare FastAPI p50", percentile(bare_samples.latencies["bare endpoint"], 50), "ms"),
        figure("maxim /health throughput", health_rps, "req/s", bare_rps),
        figure("mix capacity (no think time)", capacity_rps, "req/s", bare_rps),
        figure("mix throughput (realistic)", samples.total / wall, "req/s"),
        Figure("errors", n_errors, "requests", None, None, "0", n_errors == 0),
        figure("server CPU per request (realistic)", 1000 * realistic["server_cpu_s"] / samples.total, "ms"),
        figure("database CPU per request (realistic)", 1000 * realistic["database_cpu_s"] / samples.total, "ms"),
    ]
    figures += action_figures(samples, wall, list(WEIGHTS))
    figures += action_figures(capacity, capacity_wall, list(WEIGHTS), label="capacity: ")
    write(
        "load",
        figures,
        engine="postgresql" if is_postgres else "sqlite",
        scenario_reports=args.reports if not args.database_url else None,
        statements=counts["statements"] or None,
        reports=counts["reports"] or None,
        users=args.users,
        seconds=args.seconds,
        server_workers=args.workers,
        user_model={
            "think_time": f"exponential, mean {args.think:g} s, cut at {10 * args.think:g} s; "
            f"each user starts at a uniform random moment in the first {args.think:g} s",
            "think_mean_seconds": args.think,
            "weights": WEIGHTS,
            "accounts": f"one per user: unit {UNIT}, roles {', '.join(ROLES)}; a browser session each",
            "pages": "HTML, as a browser gets them",
            "referral action": "routed: accept (3 in 4) or decline with a reason (re-routed); accepted: close",
        },
        capacity_seconds=args.capacity_seconds,
        baseline_seconds=args.baseline_seconds,
        setup_seconds=round(setup_seconds, 1),
        requests={"realistic": samples.total, "capacity": capacity.total},
        referrals={"routed at start": routed_at_start, **stats, "left in pool": len(pool)},
        cpu_by_phase=phases,
        errors_by_action=errors,
        first_errors=samples.first_errors + capacity.first_errors + health_samples.first_errors,
        notes=" ".join(
            [
                args.notes,
                f"During the realistic run the machine's {os.cpu_count()} cores were "
                f"{realistic['machine_busy_pct']:g}% busy, and other work (not this test's server, database "
                f"backends or load generator) took {realistic['other work_cpu_s']:g} of "
                f"{realistic['machine_cpu_s']:g} CPU seconds.",
            ]
        ).strip(),
    )


if __name__ == "__main__":
    main()
