"""The `maxim` command: parses arguments and calls the stages; no logic of its own."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from maxim.settings import SETTINGS, Settings

if TYPE_CHECKING:
    from maxim.store.access import DataAccess
    from maxim.store.engine import Database

app = typer.Typer(
    help="Maxim: the intelligence clearinghouse for organised immigration crime and human trafficking.\n\n"
    "Environment: " + "; ".join(f"{name} - {doc}" for name, _, doc in SETTINGS),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
export_app = typer.Typer(help="Write what the acting user may see to files.", no_args_is_help=True)
app.add_typer(export_app, name="export")
console = Console(stderr=True)

AsUser = Annotated[str, typer.Option("--as", help="Act as this user (audited).")]


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@contextmanager
def _database(settings: Settings) -> Iterator[Database]:
    from maxim.store.engine import connect

    db = connect(settings.database_url)
    try:
        yield db
    finally:
        db.dispose()


@contextmanager
def _access(settings: Settings, username: str, channel: str = "cli") -> Iterator[DataAccess]:
    """The data-access layer acting as `username`; says what to do when that is impossible."""
    from sqlalchemy.exc import DBAPIError

    from maxim.security.users import UnknownUser, actor
    from maxim.store.access import DataAccess

    with _database(settings) as db:
        try:
            who = actor(db, username)
        except UnknownUser as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        except DBAPIError as exc:  # no schema yet, or no server
            console.print(
                f"[red]cannot read users from {settings.database_url}: run `maxim init` first "
                f"({exc.orig.__class__.__name__})[/red]"
            )
            raise typer.Exit(2) from exc
        yield DataAccess(db, who, channel=channel)


@app.command()
def init() -> None:
    """Create the database, or upgrade it to the latest schema, and the local administrator."""
    from maxim.security.users import ensure_local_admin
    from maxim.store.migrate import current_revisions, upgrade

    settings = Settings.from_env()
    with _database(settings) as db:
        upgrade(db)
        admin = ensure_local_admin(db)
        console.print(f"database ready at revision {', '.join(sorted(current_revisions(db)))}: {settings.database_url}")
        console.print(f"local administrator: {admin.username}")


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL, JSON or CSV of reports.")],
    rejects: Annotated[Path | None, typer.Option(help="Where rejected rows go (default FILE.rejects.jsonl).")] = None,
    as_user: AsUser = "admin",
    workers: Annotated[int, typer.Option(min=1, help="Processes that parse reports (default: one per core).")] = (
        os.cpu_count() or 1
    ),
) -> None:
    """Ingest a batch of reports. Good rows are kept; rejected rows go to a rejects file with reasons."""
    from maxim.intake.batch import ingest_file
    from maxim.reference import load_reference

    settings = Settings.from_env()
    total = None
    if file.suffix.lower() in (".jsonl", ".ndjson", ".csv"):
        with file.open("rb") as handle:
            total = sum(1 for line in handle if line.strip()) - (1 if file.suffix.lower() == ".csv" else 0)
    with _access(settings, as_user) as access, _progress() as progress:
        task = progress.add_task(f"ingesting {file.name}", total=total)
        try:
            summary = ingest_file(
                file,
                access,
                load_reference(),
                rejects_path=rejects,
                progress=lambda n: progress.advance(task, n),
                workers=workers,
            )
        except ValueError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    console.print(
        f"read {summary.read}: {summary.created} new, {summary.new_versions} new versions, "
        f"{summary.unchanged} unchanged, {summary.rejected} rejected; {summary.statements} statements stored"
    )
    if not summary.ok:
        for line in summary.first_errors[:10]:
            console.print(f"  [yellow]{line}[/yellow]")
        console.print(f"[red]{summary.rejected} rows rejected; see {summary.rejects_path}[/red]")
        raise typer.Exit(1)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Directory for reports.jsonl, truth.jsonl, networks.json.")] = Path(
        "data/scenario"
    ),
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same scenario.")] = 1,
    reports: Annotated[int, typer.Option(min=100, help="Number of reports.")] = 2000,
) -> None:
    """Generate the synthetic London scenario (synthetic people only) with its ground truth."""
    from maxim.scenario import write_scenario

    with _progress() as progress:
        task = progress.add_task("generating scenario", total=reports)
        summary = write_scenario(out, seed=seed, reports=reports, progress=lambda n: progress.advance(task, n))
    console.print(
        f"scenario written to {out}: {summary.reports} reports ({summary.corrections} corrections, "
        f"{summary.duplicates} duplicates), {summary.statements} statements, {summary.persons} people "
        f"in {summary.networks} networks"
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default MAXIM_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default MAXIM_PORT).")] = None,
) -> None:
    """Serve the web application and JSON API."""
    import uvicorn

    from maxim.web.app import create_app

    settings = Settings.from_env()
    console.print(f"serving on http://{host or settings.host}:{port or settings.port}/ ({settings.database_url})")
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


@app.command()
def demo(
    reports: Annotated[int, typer.Option(min=100, help="Size of the scenario.")] = 2000,
    seed: Annotated[int, typer.Option(help="Scenario seed.")] = 1,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Do everything but serve.")] = False,
) -> None:
    """Set up the database, generate the London scenario, ingest it and serve the app."""
    settings = Settings.from_env()
    out = settings.data_dir / "scenario"
    init()
    generate(out=out, seed=seed, reports=reports)
    try:
        ingest(out / "reports.jsonl", rejects=None, as_user="admin", workers=os.cpu_count() or 1)
    except typer.Exit as exc:
        if exc.exit_code != 0:
            console.print("[red]the scenario did not ingest cleanly[/red]")
            raise
    if not no_serve:
        serve(host=None, port=None)


@export_app.command("statements")
def export_statements(
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL file to write ('-' for stdout).")] = Path("-"),
    as_user: AsUser = "admin",
) -> None:
    """Every statement the acting user may see, with its report and grading, as JSONL."""
    settings = Settings.from_env()
    handle = sys.stdout if str(output) == "-" else output.open("w", encoding="utf-8")
    count = 0
    with _access(settings, as_user, channel="export") as access:
        for row in access.iter_statements():
            handle.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
            count += 1
    if handle is not sys.stdout:
        handle.close()
    console.print(f"{count} statements exported")


if __name__ == "__main__":  # pragma: no cover
    app()
