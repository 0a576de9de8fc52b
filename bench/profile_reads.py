"""Per-request server cost of the load test's actions, in process, against an existing database.

    .venv/bin/python bench/profile_reads.py --database-url postgresql+psycopg://postgres@127.0.0.1/maxim_load
    .venv/bin/python bench/profile_reads.py --database-url ... --profile "entity page" --top 40

The database must already hold a scenario (`maxim init`, `generate`, `ingest`). An analyst
account (`profile-analyst`, unit SCD6-MAXIM) is made on first use, with a browser session (as
bench/load.py's users have). Each action of bench/load.py runs against a sample of ids and words
drawn from the database, through the app in process (ASGI, no network; sync routes run inline, so
everything happens in one thread and cProfile sees all of it). Per action the script prints the
median and p90 wall time, the SQL statements per request and the time spent in them, and the mean
CPU time per request of this process (the app and the in-process client) and of the PostgreSQL
backends of the database (read from /proc: run it on the database's machine). `--sql` lists one
request's statements with their times; `--profile ACTION` runs that action under cProfile and
prints the top functions. Nothing is written to bench/results: this is a tool for finding costs.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastapi.dependencies.utils
import fastapi.routing
from sqlalchemy import event, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx2 as httpx

from maxim.domain.errors import ValidationFailed
from maxim.security.auth import create_user, start_session
from maxim.settings import Settings
from maxim.store.tables import report_subjects, reports, statements
from maxim.web.app import create_app

USER = "profile-analyst"


async def _inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run FastAPI's sync routes and dependencies in the calling thread, where the profiler is."""
    return func(*args, **kwargs)


class SqlMeter:
    """Counts SQL statements and the time spent in them, via the engine's cursor events."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.log: list[tuple[float, str]] | None = None
        self._started: list[float] = []

    def attach(self, engine: Any) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        took = time.perf_counter() - self._started.pop()
        self.count += 1
        self.seconds += took
        if self.log is not None:
            self.log.append((took * 1000, " ".join(statement.split())))


def backend_cpu(db: Any) -> float:
    """CPU seconds used so far by the PostgreSQL backends connected to this database (0 on SQLite)."""
    if db.is_sqlite:
        return 0.0
    with db.reader.connect() as conn:
        pids = list(
            conn.exec_driver_sql("SELECT pid FROM pg_stat_activity WHERE datname = current_database()").scalars()
        )
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def sample(app: Any, rng: random.Random, n: int) -> tuple[list[str], list[str], list[str]]:
    """Search words, report ids and person entity ids, drawn from the stored scenario."""
    with app.state.db.reader.connect() as conn:
        titles = conn.execute(select(reports.c.title).where(reports.c.is_current).limit(400)).scalars().all()
        names = (
            conn.execute(
                select(statements.c.value)
                .where(statements.c.prop == "name", statements.c.schema == "Person")
                .limit(400)
            )
            .scalars()
            .all()
        )
        report_ids = (
            conn.execute(select(reports.c.id).where(reports.c.is_current, reports.c.handling_code == "P").limit(2000))
            .scalars()
            .all()
        )
        victims = select(report_subjects.c.entity_id).where(report_subjects.c.category == "victim")
        entity_ids = (
            conn.execute(
                select(statements.c.entity_id)
                .join(reports, reports.c.id == statements.c.report_id)
                .where(
                    statements.c.prop == "name",
                    statements.c.schema == "Person",
                    reports.c.is_current,
                    reports.c.handling_code == "P",
                    statements.c.entity_id.not_in(victims),
                )
                .limit(5000)
            )
            .scalars()
            .all()
        )
    words = sorted({w for t in titles for w in t.split() if len(w) > 4 and w.isalpha()} | set(names))
    return rng.sample(words, min(n, len(words))), rng.sample(report_ids, n), rng.sample(sorted(set(entity_ids)), n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--n", type=int, default=30, help="requests per action")
    parser.add_argument("--profile", default=None, help="run this action under cProfile")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument(
        "--sql", action="store_true", help="print each SQL statement of one request per action, with its time"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args))


async def run(args: argparse.Namespace) -> None:
    fastapi.routing.run_in_threadpool = _inline  # type: ignore[attr-defined]
    fastapi.dependencies.utils.run_in_threadpool = _inline  # type: ignore[attr-defined]
    app = create_app(Settings(database_url=args.database_url, data_dir=Path(tempfile.mkdtemp())), migrate=False)
    db = app.state.db
    now = datetime.now(UTC)
    try:
        actor = create_user(
            db, username=USER, display_name="Profile Analyst", unit="SCD6-MAXIM", roles=["analyst"],
            password=None, now=now, by="admin",
        )  # fmt: skip
    except ValidationFailed:  # already there from an earlier run
        from maxim.store.access import Actor

        actor = Actor(USER, "Profile Analyst", "SCD6-MAXIM", frozenset({"analyst"}))
    session = start_session(db, actor, now=now)
    meter = SqlMeter()
    meter.attach(db.writer)
    rng = random.Random(args.seed)
    words, report_ids, entity_ids = sample(app, rng, args.n)
    actions: dict[str, Callable[[int], str]] = {
        "health": lambda i: "/health",
        "home": lambda i: "/",
        "search": lambda i: f"/search?q={words[i % len(words)]}",
        "report page": lambda i: f"/reports/{report_ids[i % len(report_ids)]}",
        "entity page": lambda i: f"/entities/{entity_ids[i % len(entity_ids)]}",
    }
    transport = httpx.ASGITransport(app=app)
    headers = {"Cookie": f"maxim_session={session.token}"}  # a browser's session, as bench/load.py uses
    async with httpx.AsyncClient(transport=transport, base_url="http://maxim", headers=headers) as client:
        for name, path in actions.items():
            if args.profile and name != args.profile:
                continue
            await client.get(path(0))  # warm
            times, queries, sql = [], [], []
            profiler = cProfile.Profile() if args.profile else None
            cpu, db_cpu = time.process_time(), backend_cpu(db)
            for i in range(args.n):
                meter.count, meter.seconds = 0, 0.0
                start = time.perf_counter()
                if profiler:
                    profiler.enable()
                response = await client.get(path(i))
                if profiler:
                    profiler.disable()
                times.append((time.perf_counter() - start) * 1000)
                queries.append(meter.count)
                sql.append(meter.seconds * 1000)
                assert response.status_code == 200, (path(i), response.status_code, response.text[:200])
            cpu = (time.process_time() - cpu) / args.n * 1000
            db_cpu = (backend_cpu(db) - db_cpu) / args.n * 1000
            times.sort()
            print(
                f"{name:12s} median {statistics.median(times):6.1f} ms"
                f"  p90 {times[int(0.9 * (len(times) - 1))]:6.1f} ms"
                f"  SQL {statistics.median(queries):3.0f} statements, {statistics.median(sql):6.1f} ms (medians)"
                f"  CPU per request: app {cpu:5.1f} ms, database {db_cpu:5.1f} ms (means)"
            )
            if args.sql:
                meter.log = []
                await client.get(path(0))
                for took, statement in meter.log:
                    print(f"    {took:7.1f} ms  {statement[:300]}")
                meter.log = None
            if profiler:
                stats = pstats.Stats(profiler)
                stats.sort_stats("cumulative").print_stats("maxim/", args.top)
                stats.sort_stats("cumulative").print_stats(args.top)
                stats.sort_stats("tottime").print_stats(args.top)
    db.dispose()


if __name__ == "__main__":
    main()
