"""`maxim networks` and `maxim export network`: parse arguments, call the stage, show progress.

Registered by `maxim/cli.py`: `app.add_typer(networks_app, name="networks")` and
`export_app.command("network")(export_network)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Find criminal networks in what you may see and rank them by harm (with the breakdown).",
    invoke_without_command=True,
)

AsUser = Annotated[
    str,
    typer.Option(
        "--as",
        help="Act as this user (audited); anyone but the local administrator needs MAXIM_TOKEN or MAXIM_PASSWORD.",
    ),
]


@app.callback()
def networks(
    top: Annotated[int, typer.Option("--top", help="Show this many networks.")] = 10,
    as_user: AsUser = "admin",
) -> None:
    """Build or refresh the networks the user may see and list them, most harmful first."""
    from rich.console import Console
    from rich.table import Table

    from maxim.cli import _access, _progress
    from maxim.settings import Settings
    from maxim.store.network_access import NetworkAccess

    settings = Settings.from_env()
    with _access(settings, as_user) as access, _progress() as progress:
        task = progress.add_task("networks", total=3)

        def step(message: str) -> None:
            progress.update(task, description=message, advance=1)

        store = NetworkAccess(access)
        store.refresh(progress=step)
        rows = store.ranked(top)
    table = Table(show_header=True, header_style="bold", title="Networks by harm (decision support, not a decision)")
    for column in ("rank", "network", "persons", "priority", "harm", "scope", "likelihood", "confidence", "why"):
        table.add_column(column)
    for row in rows:
        b = row["breakdown"]
        why = "; ".join(
            f"{f['code']} {f['points']:g} ({f['reason']})"
            for f in b["factors"]
            if f["points"] and f["section"] == "harm"
        )
        table.add_row(
            str(row["rank"]),
            row["id"],
            str(row["persons"]),
            f"{b['priority']:.2f}",
            f"{b['harm']:.1f}",
            b["geographic_scope"],
            f"{b['likelihood']:.2f}",
            b["confidence"],
            why,
        )
    Console(width=200).print(table)


def export_network(
    network_id: Annotated[str, typer.Argument(help="The network id (from `maxim networks`).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="graphml or gexf.")] = "graphml",
    as_user: AsUser = "admin",
) -> None:
    """Write one network, with the reports behind every edge, for Gephi or i2 import."""
    from maxim.cli import _access, console
    from maxim.network.export import FORMATS, write_network
    from maxim.settings import Settings
    from maxim.store.network_access import NetworkAccess

    if fmt not in FORMATS:
        console.print(f"[red]--format must be one of {', '.join(FORMATS)}[/red]")
        raise typer.Exit(2)
    settings = Settings.from_env()
    with _access(settings, as_user, channel="export") as access:
        store = NetworkAccess(access)
        data = store.network(network_id)
        if data is None:
            console.print(f"[red]no network {network_id} in what you may see; run `maxim networks` first[/red]")
            raise typer.Exit(1)
    write_network(data, output, fmt)
    console.print(f"network {network_id}: {len(data['members'])} nodes, {len(data['edges'])} edges written to {output}")
