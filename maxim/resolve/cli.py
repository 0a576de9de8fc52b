"""`maxim resolve` and `maxim export resolution`: parse arguments, call the stage, show progress."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer

AS_USER_HELP = "Act as this user (audited); anyone but the local administrator needs MAXIM_TOKEN or MAXIM_PASSWORD."
app = typer.Typer(
    help=(
        "Resolve Person mentions (Splink) and Vehicle, Address, Company and Organization mentions "
        "(by their identifiers) into canonical entities; analyst judgements win."
    ),
    invoke_without_command=True,
)


@app.callback()
def resolve(
    engine: Annotated[str, typer.Option("--engine", help="duckdb (default) or spark.")] = "duckdb",
    threshold: Annotated[float, typer.Option("--threshold", help="Match probability to merge at.")] = 0.8,
    as_user: Annotated[str, typer.Option("--as", help=AS_USER_HELP)] = "admin",
) -> None:
    """Resolve every Person, Vehicle, Address, Company and Organization mention the user may see.

    People are matched by the Splink model, saved with the run; vehicles, addresses and
    organisations are linked by their identifiers. Mentions with nothing to compare stay
    unresolved, with the reason.
    """
    from maxim.cli import _access, _progress, console
    from maxim.resolve.run import resolve as run_resolve
    from maxim.resolve.splink_engine import ENGINES
    from maxim.settings import Settings

    if engine not in ENGINES:
        console.print(f"[red]--engine must be one of {', '.join(ENGINES)}[/red]")
        raise typer.Exit(2)
    steps = [
        "reading Person mentions",
        "estimating the prior from deterministic rules",
        "estimating u (random sampling)",
        "estimating m (EM, blocked on date of birth)",
        "estimating m (EM, blocked on name skeleton)",
        "scoring blocked pairs",
        "clustering under judgements",
        "writing the resolution",
    ]
    with _access(Settings.from_env(), as_user, channel="cli") as access, _progress() as bar:
        task = bar.add_task("resolving", total=len(steps))

        def progress(message: str) -> None:
            done = steps.index(message) if message in steps else 0
            bar.update(task, completed=done, description=message)

        summary = run_resolve(access, engine=engine, threshold=threshold, progress=progress)
        bar.update(task, completed=len(steps), description="done")
    console.print(
        f"run {summary.run_id} ({summary.engine}, model {summary.model_source}): {summary.mentions} mentions "
        f"-> {summary.canonical} entities, {summary.merged_clusters} of more than one mention, "
        f"{summary.unresolved} unresolved (too little to compare)"
    )


def export_resolution(
    format: Annotated[str, typer.Option("--format", help="csv")] = "csv",
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write ('-' for stdout).")] = Path("-"),
    as_user: Annotated[str, typer.Option("--as", help=AS_USER_HELP)] = "admin",
) -> None:
    """mention_id, canonical_id, match_probability, origin (model, judgement or unresolved), schema, note.

    The first four columns keep their order for scripts that read them; schema and note (the
    rule that linked a mention, or why it stayed apart) follow.
    """
    from maxim.cli import _access, console
    from maxim.resolve.export import COLUMNS, csv_line, iter_resolution
    from maxim.settings import Settings

    if format != "csv":
        console.print("[red]--format must be csv[/red]")
        raise typer.Exit(2)
    handle = sys.stdout if str(output) == "-" else output.open("w", encoding="utf-8", newline="")
    count = 0
    with _access(Settings.from_env(), as_user, channel="export") as access:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in iter_resolution(access):
            writer.writerow(csv_line(row))
            count += 1
    if handle is not sys.stdout:
        handle.close()
    console.print(f"{count} mentions exported")
