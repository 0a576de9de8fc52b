"""`maxim report committee` and `maxim funding load|show`: parse arguments, call the oversight code.

Register in `maxim/cli.py` with `app.add_typer(oversight_app)`: this Typer carries the `report`
and `funding` groups itself.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from maxim.store.access import DataAccess

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
report_app = typer.Typer(help="Reports for oversight: the committee report.", no_args_is_help=True)
funding_app = typer.Typer(
    help="The funding ledger: load a funding file, show totals and forecast.", no_args_is_help=True
)
app.add_typer(report_app, name="report")
app.add_typer(funding_app, name="funding")
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)

AsUser = Annotated[
    str,
    typer.Option(
        "--as",
        help="Act as this user (audited); figures are what this user may see. Anyone but the local "
        "administrator needs MAXIM_TOKEN or MAXIM_PASSWORD.",
    ),
]


@contextmanager
def _access(as_user: str) -> Iterator[DataAccess]:
    """The CLI's one access helper, `maxim.cli._access`: credentials, every field of the account."""
    from maxim.cli import _access as cli_access
    from maxim.settings import Settings

    with cli_access(Settings.from_env(), as_user) as access:
        yield access


def _refused(exc: Exception) -> None:
    from maxim.domain.errors import ValidationFailed

    if isinstance(exc, ValidationFailed):
        for e in exc.errors:
            err.print(f"[red]{e.field}: {e.reason}[/red]")
    else:
        err.print(f"[red]{exc}[/red]")
    raise typer.Exit(1) from exc


@report_app.command("committee")
def committee(
    start: Annotated[str, typer.Option("--from", help="First day of the period (ISO date), e.g. 2025-04-01.")],
    end: Annotated[str, typer.Option("--to", help="Last day of the period (ISO date, inclusive), e.g. 2026-03-31.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="html, pdf or json (every figure with its query).")] = "html",
    as_user: AsUser = "admin",
) -> None:
    """Write the report to the oversight committee for a period, in the 2006 report's structure."""
    from maxim.domain.errors import ValidationFailed
    from maxim.oversight.report import committee_report, parse_dates
    from maxim.web.oversight_render import render_html, render_pdf

    if fmt not in ("html", "pdf", "json"):
        raise typer.BadParameter("use html, pdf or json", param_hint="--format")
    try:
        first, last = parse_dates(start, end)
    except ValidationFailed as exc:
        _refused(exc)
        return
    with _access(as_user) as access:
        report = committee_report(access, first, last)
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        output.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    elif fmt == "html":
        output.write_text(render_html(report), encoding="utf-8")
    else:
        output.write_bytes(render_pdf(report))
    err.print(f"wrote {output} ({len(report['figures'])} figures, each traced in the JSON twin)")


@funding_app.command("load")
def funding_load(
    path: Annotated[Path | None, typer.Argument(help="A funding file (default: the shipped funding.yaml).")] = None,
    as_user: AsUser = "admin",
) -> None:
    """Load a funding file as the ledger in force; refused whole, naming every fault, if wrong."""
    from maxim.domain.errors import ValidationFailed
    from maxim.store.access import Forbidden
    from maxim.store.oversight_access import OversightAccess, shipped_ledger_text

    text = path.read_text(encoding="utf-8") if path else shipped_ledger_text()
    with _access(as_user) as access:
        try:
            ledger = OversightAccess(access).load_ledger(text)
        except (ValidationFailed, Forbidden) as exc:
            _refused(exc)
            return
    err.print(f"loaded funding ledger version {ledger.version}: {len(ledger.streams)} streams")


@funding_app.command("show")
def funding_show(
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    as_user: AsUser = "admin",
) -> None:
    """Totals by financial year (certain and not yet certain), APF bids, and the forecast."""
    from maxim.oversight.funding import fy_label, pounds
    from maxim.store.oversight_access import OversightAccess

    with _access(as_user) as access:
        ledger, origin = OversightAccess(access).ledger()
    years = ledger.by_year()
    apf = ledger.apf_summary()
    if fmt == "json":
        print(
            json.dumps(
                {
                    "origin": origin,
                    "version": ledger.version,
                    "by_year": years,
                    "apf": apf,
                    "streams": [s.to_json() for s in ledger.streams],
                },
                indent=1,
                default=str,
            )
        )
        return
    table = Table(title=f"Funding ledger {ledger.version} ({origin})")
    for col in ("Financial year", "Reflex", "APF", "Match", "Certain", "Not yet certain"):
        table.add_column(col, justify="right")
    for y in years:
        fy = y["financial_year"]
        table.add_row(
            fy_label(fy),
            pounds(ledger.total(financial_year=fy, grantors=["REFLEX"])),
            pounds(ledger.total(financial_year=fy, kinds=["APF_BID"])),
            pounds(ledger.total(financial_year=fy, kinds=["MATCH"])),
            pounds(y["certain_pence"]),
            pounds(y["uncertain_pence"]),
        )
    out.print(table)
    out.print(
        f"APF: {apf['successful_bids']} successful bids, {pounds(apf['total_pence'])}, {apf['first']} to {apf['last']}"
    )
