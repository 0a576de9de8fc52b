"""Render the committee report (`maxim.oversight.committee.build`) as an HTML document or a PDF.

The page, the standalone HTML file and the PDF share one body template, so what the committee
reads on paper is what it sees on screen. The standalone file carries its stylesheet inside it
(it is opened without a server); the PDF is that file laid out by WeasyPrint, which uses the
machine's Pango (Debian: libpango-1.0-0, libpangoft2-1.0-0) and needs no browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from maxim.oversight.charts import render_all

HERE = Path(__file__).parent
CLASSIFICATION = "OFFICIAL-SENSITIVE"


def environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]))


def page_context(report: dict[str, Any]) -> dict[str, Any]:
    """What the body template needs: the report, its charts as data URIs, and which table each sits beside."""
    charts = render_all(report["charts"])
    return {
        "report": report,
        "charts": charts,
        "chart_for_table": {report["charts"][cid]["table"]: cid for cid in charts},
    }


def render_html(report: dict[str, Any], context: dict[str, Any] | None = None) -> str:
    css = (HERE / "static" / "oversight.css").read_text(encoding="utf-8")
    template = environment().get_template("oversight/committee_document.html")
    return template.render(**(context or page_context(report)), css=css, classification=CLASSIFICATION)


def render_pdf(report: dict[str, Any], context: dict[str, Any] | None = None) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # no type information shipped

    pdf: bytes = HTML(string=render_html(report, context), base_url=str(HERE)).write_pdf()
    return pdf
