"""Ingest benchmark: Maxim's whole intake path against a raw insert of the same statement rows.

For each engine (SQLite file, PostgreSQL) in the same run:
- Maxim: `ingest_file` on N scenario reports — parse, validate, normalise, extract, build
  statements, store them through the data-access layer with audit.
- Raw baseline: the very statement rows Maxim stored, read back, inserted into an identical
  table (same primary key and indexes) with the driver's `executemany` (SQLite) or `COPY`
  (PostgreSQL) in one transaction: the fastest the engine takes those rows.
Target: Maxim's statements/s at least 0.5 of the raw rate.

    python bench/ingest.py [--reports 100000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import Index, MetaData, Table, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, figure, peak_rss_mib, write
from maxim.intake.batch import ingest_file
from maxim.reference import load_reference
from maxim.scenario import write_scenario
from maxim.security.users import ensure_local_admin
from maxim.store.access import DataAccess
from maxim.store.engine import Database, connect
from maxim.store.migrate import upgrade
from maxim.store.tables import statements


def raw_table() -> Table:
    """A copy of `statements` with the same key and indexes, no foreign keys."""
    meta = MetaData()
    table = Table("statements_raw", meta, *[c._copy() for c in statements.columns if True])
    for c in table.columns:
        c.foreign_keys.clear()
    table.constraints = {c for c in table.constraints if c.__class__.__name__ != "ForeignKeyConstraint"}
    Index("ix_raw_entity", table.c.entity_id)
    Index("ix_raw_report", table.c.report_id)
    Index("ix_raw_kind_value", table.c.identifier_kind, table.c.value)
    return table


def raw_insert(db: Database) -> tuple[int, float]:
    names = [c.name for c in statements.columns]
    with db.reader.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(f"SELECT {', '.join(names)} FROM statements"))]
    table = raw_table()
    table.metadata.drop_all(db.writer)
    table.metadata.create_all(db.writer)
    start = time.perf_counter()
    with db.writer.begin() as conn:
        if db.is_sqlite:
            marks = ", ".join("?" * len(names))
            conn.exec_driver_sql(f"INSERT INTO statements_raw ({', '.join(names)}) VALUES ({marks})", rows)
        else:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY statements_raw ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    elapsed = time.perf_counter() - start
    table.metadata.drop_all(db.writer)
    return len(rows), elapsed


def run(label: str, url: str, scenario: Path, reports: int) -> list[Figure]:
    db = connect(url)
    upgrade(db)
    access = DataAccess(db, ensure_local_admin(db), channel="bench")
    start = time.perf_counter()
    summary = ingest_file(scenario / "reports.jsonl", access, load_reference(), workers=os.cpu_count() or 1)
    elapsed = time.perf_counter() - start
    assert summary.rejected == 0, summary.first_errors
    rows, raw_elapsed = raw_insert(db)
    db.dispose()
    maxim_rate = rows / elapsed  # the rows Maxim stored, the same rows the baseline inserts
    raw_rate = rows / raw_elapsed
    print(
        f"{label}: {reports} reports, {summary.statements} statements in {elapsed:.1f} s; raw {rows} rows in "
        f"{raw_elapsed:.1f} s"
    )
    return [
        figure(f"{label} reports/s", reports / elapsed, "reports/s"),
        figure(f"{label} statements/s", maxim_rate, "statements/s", raw_rate, 0.5),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    load_start = os.getloadavg()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "scenario"
        write_scenario(scenario, seed=7, reports=args.reports)
        figures += run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", scenario, args.reports)
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = connect(args.postgres)
        with admin.writer.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            figures += run("postgresql", f"{args.postgres}?options=-csearch_path%3D{schema}", scenario, args.reports)
        finally:
            with admin.writer.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    figures.append(figure("peak memory", peak_rss_mib(), "MiB"))
    # The load average says whether the machine was shared while this ran (figures are wall time).
    write("ingest", figures, reports=args.reports, load_average={"start": load_start, "end": os.getloadavg()})


if __name__ == "__main__":
    main()
