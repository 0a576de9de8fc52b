"""`maxim route`, `maxim sop` and `maxim referrals`: parse arguments, call the router or the store.

`maxim route --dry-run FILE` needs no database: it routes a file of referral facts under a rule
file (the shipped one, or `--rules` to try a new version on last year's referrals before it goes
live) and prints every decision with its explanation.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from maxim.route.router import Decision
    from maxim.store.workflow_access import WorkflowAccess

app = typer.Typer(
    help="Route trafficking referrals by the standard operating procedure (DOMAIN §0.3).",
    pretty_exceptions_enable=False,
)
sop_app = typer.Typer(
    help="The referral routing rule set: load, show, list versions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
referrals_app = typer.Typer(
    help="Referral follow-up: SLA alerts.", no_args_is_help=True, pretty_exceptions_enable=False
)
# Piped output (files, pagers, tests) gets wide lines so explanations are not wrapped mid-word.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

AsUser = Annotated[
    str,
    typer.Option(
        "--as",
        help="Act as this user (audited); anyone but the local administrator needs MAXIM_TOKEN or MAXIM_PASSWORD.",
    ),
]


def read_rows(path: Path) -> list[dict[str, Any]]:
    """JSONL (one referral a line) or JSON (one referral, or a list)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    return data if isinstance(data, list) else [data]


def _loads(loads_file: Path | None, load: list[str]) -> dict[str, int]:
    result: dict[str, int] = {}
    if loads_file is not None:
        result.update({str(k): int(v) for k, v in json.loads(loads_file.read_text(encoding="utf-8")).items()})
    for item in load:
        unit, _, number = item.partition("=")
        if not number.isdigit():
            raise typer.BadParameter(f"--load takes UNIT=N, got {item!r}")
        result[unit] = int(number)
    return result


def _print_table(label: str, decision: Decision) -> None:
    out.print(f"[bold]{label}[/bold]: {decision.summary}  [dim](rules {decision.rule_set_version})[/dim]")
    table = Table(show_header=True, header_style="bold")
    for column in ("rule", "outcome", "unit", "load/capacity", "why"):
        table.add_column(column)
    for step in decision.steps:
        cap = f"{step.capacity.load}/{step.capacity.capacity}" if step.capacity else ""
        table.add_row(step.rule_id, step.outcome, step.target or "", cap, step.reason)
    out.print(table)
    for note in decision.notifications:
        out.print(f"  notify {note.unit}: {note.reason}")
    if decision.advice_note:
        out.print(f"  advice: {decision.advice_note}")


@app.callback(invoke_without_command=True)
def route_command(
    ctx: typer.Context,
    dry_run: Annotated[
        Path | None,
        typer.Option(
            "--dry-run",
            exists=True,
            dir_okay=False,
            metavar="FILE",
            help="Route the referral facts in FILE (JSONL or JSON) and print the decisions; store nothing.",
        ),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            exists=True,
            dir_okay=False,
            metavar="FILE",
            help="Create and route a referral for each row of FILE (each names a report_id).",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="json (one decision a line) or table.")] = "table",
    rules: Annotated[Path | None, typer.Option(help="Rule file for --dry-run (default: the shipped sop.yaml).")] = None,
    loads_file: Annotated[
        Path | None, typer.Option("--loads", help="JSON {unit: open referrals} for --dry-run.")
    ] = None,
    load: Annotated[list[str] | None, typer.Option(help="UNIT=N open referrals for --dry-run; repeatable.")] = None,
    accumulate: Annotated[bool, typer.Option(help="Count each routed referral against its unit's load.")] = False,
    as_user: AsUser = "admin",
) -> None:
    """Route referrals by the SOP: `--dry-run FILE` prints each decision with its explanation and
    stores nothing (try a new rule file on last year's referrals with --rules); `--store FILE`
    creates and routes referrals under the active rule set."""
    from maxim.domain.errors import ValidationFailed
    from maxim.domain.typology import load_typology
    from maxim.reference import load_reference
    from maxim.route.facts import parse_facts
    from maxim.route.router import route
    from maxim.route.rules import RuleSetRefused, load_shipped, parse_rules

    if ctx.invoked_subcommand is not None:
        return
    if fmt not in ("json", "table"):
        raise typer.BadParameter("--format must be json or table")
    if store is not None:
        _route_and_store(read_rows(store), fmt, as_user)
        return
    if dry_run is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    rows = read_rows(dry_run)
    ref = load_reference()
    try:
        rule_set = (
            parse_rules(rules.read_text(encoding="utf-8"), ref.units, rules.name) if rules else load_shipped(ref.units)
        )
    except RuleSetRefused as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    unit_loads = _loads(loads_file, load or [])
    typology = load_typology()
    failed = 0
    now = datetime.now(UTC)
    for i, row in enumerate(rows, start=1):
        label = str(row.get("label") or row.get("reference") or row.get("id") or f"row {i}")
        try:
            facts = parse_facts(row, ref, typology)
        except ValidationFailed as exc:
            failed += 1
            if fmt == "json":
                out.print_json(json.dumps({"input": label, "errors": [str(e) for e in exc.errors]}))
            else:
                err.print(f"[red]{label}: refused: {exc}[/red]")
            continue
        decision = route(facts, rule_set, ref.units, unit_loads, at=now)
        if accumulate and decision.target:
            unit_loads[decision.target] = unit_loads.get(decision.target, 0) + 1
        if fmt == "json":
            typer.echo(json.dumps({"input": label, "decision": decision.explanation()}, ensure_ascii=False))
        else:
            _print_table(label, decision)
    err.print(f"{len(rows)} referrals read, {len(rows) - failed} routed (dry run: nothing stored), {failed} refused")
    if failed:
        raise typer.Exit(1)


@contextmanager
def _workflow(as_user: str) -> Iterator[WorkflowAccess]:
    """Workflow access through the CLI's one access helper, `maxim.cli._access`."""
    from maxim.cli import _access
    from maxim.settings import Settings
    from maxim.store.workflow_access import WorkflowAccess

    with _access(Settings.from_env(), as_user) as access:
        yield WorkflowAccess(access)


def _route_and_store(rows: list[dict[str, Any]], fmt: str, as_user: str) -> None:
    from maxim.domain.errors import ValidationFailed

    failed = 0
    with _workflow(as_user) as flow:
        for i, row in enumerate(rows, start=1):
            report_id = row.get("report_id")
            try:
                if not report_id:
                    raise ValidationFailed([])
                created = flow.create_referral(str(report_id), row)
                decision = flow.route_referral(created["id"], created["version"])
            except ValidationFailed as exc:
                failed += 1
                reasons = "; ".join(str(e) for e in exc.errors) or "report_id: required (or use --dry-run)"
                err.print(f"[red]row {i}: refused: {reasons}[/red]")
                continue
            if fmt == "json":
                typer.echo(json.dumps({"referral_id": created["id"], "decision": decision["explanation"]}))
            else:
                out.print(f"row {i}: referral {created['id']}: {decision['explanation']['summary']}")
    if failed:
        raise typer.Exit(1)


@sop_app.command("load")
def sop_load(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A rule file like maxim/reference/sop.yaml.")
    ],
    as_user: AsUser = "admin",
) -> None:
    """Validate a rule file and make it the active version; a refused file changes nothing."""
    from maxim.route.rules import RuleSetRefused

    with _workflow(as_user) as flow:
        try:
            rules = flow.load_rules(file.read_text(encoding="utf-8"), file.name)
        except RuleSetRefused as exc:
            for fault in exc.faults:
                err.print(f"[red]{file.name}: {fault}[/red]")
            err.print("the previous rule set stays active")
            raise typer.Exit(2) from exc
    out.print(f"rule set {rules.version} active: {len(rules.rules)} rules, {len(rules.notifications)} notifications")


@sop_app.command("show")
def sop_show(as_user: AsUser = "admin") -> None:
    """Print the active rule set, rule by rule, in the order they are tried."""
    with _workflow(as_user) as flow:
        rules = flow.active_rules()
    table = Table(title=f"SOP {rules.version}")
    for column in ("rule", "conditions", "unit", "capacity", "falls through to"):
        table.add_column(column)
    for rule in rules.rules:
        conditions = "; ".join(f"{c.field} {c.op} {c.value!r}" for c in rule.conditions) or "always"
        unit = rule.target or f"<{rule.target_from}>"
        table.add_row(rule.id, conditions, unit, rule.capacity, rule.fall_through or "next rule")
    out.print(table)


@sop_app.command("versions")
def sop_versions(as_user: AsUser = "admin") -> None:
    """List the rule-set versions loaded into the database (the shipped one is used until one is)."""
    with _workflow(as_user) as flow:
        for row in flow.rule_versions():
            mark = "*" if row["active"] else " "
            out.print(f"{mark} {row['version']}  {row['sha256'][:12]}  loaded {row['loaded_at']} by {row['loaded_by']}")


@referrals_app.callback()
def referrals_group() -> None:
    """Referral follow-up: SLA alerts."""


@referrals_app.command("alerts")
def referrals_alerts(as_user: AsUser = "admin") -> None:
    """Raise an alert for every routed referral not accepted within its unit's SLA hours."""
    with _workflow(as_user) as flow:
        new = flow.raise_sla_alerts()
    for row in new:
        out.print(row["detail"])
    err.print(f"{len(new)} new SLA alerts")
