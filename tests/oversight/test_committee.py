"""The committee report from a generated scenario: HTML, PDF and JSON, charts, traceable figures,
suppressed small counts; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from maxim.oversight.report import committee_report
from maxim.store.access import DataAccess
from maxim.store.tables import audit_log
from maxim.web.oversight_render import render_html, render_pdf
from tests.oversight.helpers import END, START, build_year, figures_by_id

SECTIONS = [
    "summary",
    "recommendation",
    "background",
    "current",
    "activity",
    "trafficking",
    "outcomes",
    "networks",
    "strategic",
    "equality",
    "financial",
    "appendix",
]


def test_committee_report_builds_traces_and_suppresses(access: DataAccess, tmp_path: Path) -> None:
    build_year(access, tmp_path, reports_n=120)
    report = committee_report(access, START, END)
    assert [s["id"] for s in report["sections"]] == SECTIONS
    figures = figures_by_id(report)
    # Every figure names a query that is in the twin, with SQL text (or the ledger/staffing source).
    for fig in report["figures"]:
        query = report["queries"][fig["query"]]
        assert query["description"]
        assert query["sql"] is None or query["sql"].lstrip().upper().startswith("SELECT")
    # Every number a table shows is a registered figure.
    for section in report["sections"]:
        for table in section["tables"]:
            for row in table["rows"]:
                for cell in row[1:]:
                    if cell["numeric"]:
                        assert cell["figure"] in figures
    # Recorded outcomes come through exactly.
    assert figures["outcomes.arrests"]["value"] == 12
    assert figures["outcomes.charges.MSA2015_S2"]["value"] == 4
    assert figures["outcomes.poca.total"]["shown"] == "£205,000.50"
    # 12 adults and 3 children safeguarded: 3 is suppressed, and so is 12 (else 15 - 12 = 3).
    assert (
        figures["trafficking.victims.child"]["shown"] == "<5" and figures["trafficking.victims.child"]["value"] is None
    )
    assert figures["trafficking.victims.adult"]["suppressed"]
    assert figures["trafficking.victims.total"]["value"] == 15
    assert figures["trafficking.nrm.referred_child"]["shown"] == "<5"
    assert figures["trafficking.nrm.referred_adult"]["value"] == 6
    assert "shown as \u201c<5\u201d" in report["meta"]["suppression_rule"]
    # The document's funding figures reach the report through the ledger.
    assert figures["funding.year.2006.reflex"]["shown"] == "£1,445,000"
    assert figures["funding.year.2007.reflex"]["shown"] == "£1,772,000"
    assert figures["activity.referrals.total"]["value"] > 0
    assert "not yet available" in report["sections"][SECTIONS.index("networks")]["paragraphs"][0]
    with access.db.reader.connect() as conn:
        kinds = set(conn.execute(select(audit_log.c.object_type)).scalars())
    assert "committee_report" in kinds

    html = render_html(report)
    assert html.count('src="data:image/png;base64,') >= 3
    assert "<script" not in html
    for fid in ("outcomes.arrests", "trafficking.victims.total", "funding.year.2007.reflex"):
        assert f'data-figure="{fid}"' in html
    assert re.search(r"Appendix 1.*ILLUSTRATIVE", html, re.S)
    pdf = render_pdf(report)
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
