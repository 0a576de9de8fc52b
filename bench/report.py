"""Committee report benchmark: a year's report over N reports, against the raw aggregate SQL.

- Maxim: `committee_report` for FY2025 (1 April 2025 - 31 March 2026) as a safeguarding lead:
  every query through the data-access layer with the need-to-know filters, the pure assembly,
  the funding ledger, and the audit event. Then the HTML (with charts) and the PDF.
- Raw baseline: the same aggregates as plain SQL with no access filter, run in the same process
  on the same database: counts by originator and kind, themes, nationality and ethnicity by
  data-subject category for the period and the one before.
Target: the report builds in under 30 s for 100,000 reports.

    python bench/report.py [--reports 100000] [--db PATH]   (re-uses PATH if it is already ingested)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import figure, peak_rss_mib, write
from maxim.intake.batch import ingest_file
from maxim.oversight.report import committee_report
from maxim.reference import load_reference
from maxim.scenario import write_scenario
from maxim.security.auth import create_user
from maxim.security.users import ensure_local_admin
from maxim.store.access import DataAccess
from maxim.store.engine import connect
from maxim.store.migrate import upgrade
from maxim.web.oversight_render import render_html, render_pdf

START, END = "2025-04-01", "2026-03-31"
RAW = [
    "SELECT originator, kind, count(*) FROM reports WHERE is_current AND received_at >= :lo AND received_at < :hi "
    "GROUP BY originator, kind",
    "SELECT count(*) FROM reports WHERE is_current AND received_at >= :plo AND received_at < :lo",
    "SELECT CAST(themes AS TEXT), count(*) FROM reports WHERE is_current AND received_at >= :lo AND received_at < :hi "
    "GROUP BY CAST(themes AS TEXT)",
    *[
        "SELECT rs.category, s.value, count(DISTINCT s.entity_id) FROM statements s "
        "JOIN reports r ON r.id = s.report_id "
        "JOIN report_subjects rs ON rs.report_id = s.report_id AND rs.entity_id = s.entity_id "
        f"WHERE r.is_current AND s.prop = '{prop}' AND s.schema = 'Person' AND r.received_at >= :{a} "
        f"AND r.received_at < :{b} GROUP BY rs.category, s.value"
        for prop in ("nationality", "ethnicity")
        for a, b in (("lo", "hi"), ("plo", "lo"))
    ],
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="maxim-bench-report-"))
    path = args.db or work / "maxim.db"
    fresh = not path.exists()
    db = connect(f"sqlite:///{path}")
    upgrade(db)
    admin = ensure_local_admin(db)
    ref = load_reference()
    ingest_s = None
    if fresh:
        write_scenario(work / "scenario", seed=11, reports=args.reports)
        t0 = time.perf_counter()
        ingest_file(work / "scenario" / "reports.jsonl", DataAccess(db, admin, channel="bench"), ref, workers=2)
        ingest_s = time.perf_counter() - t0
    from datetime import UTC, date, datetime

    from maxim.security.users import UnknownUser, actor

    try:
        lead = actor(db, "bench-safeguarding")
    except UnknownUser:
        lead = create_user(
            db,
            username="bench-safeguarding",
            display_name="Bench Safeguarding",
            unit="SCD6-MAXIM",
            roles=("safeguarding_lead",),
            password="bench password not used",
            now=datetime.now(UTC),
            by="bench",
        )
    access = DataAccess(db, lead, channel="bench")
    with db.reader.connect() as conn:
        n_reports = conn.exec_driver_sql("SELECT count(*) FROM reports WHERE is_current").scalar_one()
        n_statements = conn.exec_driver_sql("SELECT count(*) FROM statements").scalar_one()
    params = {"plo": "2024-04-01 00:00:00", "lo": "2025-04-01 00:00:00", "hi": "2026-04-01 00:00:00"}
    from sqlalchemy import text

    def raw() -> float:
        t0 = time.perf_counter()
        with db.reader.connect() as conn:
            for sql in RAW:
                conn.execute(text(sql), params).fetchall()
        return time.perf_counter() - t0

    first_raw = raw()  # also warms the page cache, so neither side is timed cold
    t0 = time.perf_counter()
    report = committee_report(access, date.fromisoformat(START), date.fromisoformat(END))
    build_s = time.perf_counter() - t0
    raw_s = min(first_raw, raw())
    t0 = time.perf_counter()
    html = render_html(report)
    html_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pdf = render_pdf(report)
    pdf_s = time.perf_counter() - t0
    figures = [
        figure(
            "report build (queries + assembly)", build_s, "s", raw_s, 30.0 / max(raw_s, 1e-9), higher_is_better=False
        ),
        figure("report build + HTML + PDF", build_s + html_s + pdf_s, "s"),
        figure("HTML with charts", html_s, "s"),
        figure("PDF", pdf_s, "s"),
        figure("peak RSS", peak_rss_mib(), "MiB"),
    ]
    write(
        "report",
        figures,
        reports=int(n_reports),
        statements=int(n_statements),
        ingest_seconds=None if ingest_s is None else round(ingest_s, 1),
        report_figures=len(report["figures"]),
        html_bytes=len(html),
        pdf_bytes=len(pdf),
        target="report build under 30 s for 100,000 reports (FY2025)",
        met=build_s < 30.0,
    )
    db.dispose()


if __name__ == "__main__":
    main()
