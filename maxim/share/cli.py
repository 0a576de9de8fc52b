"""`maxim share`, `maxim import` and `maxim export ftm`: parse arguments, call the share stage.

Registered by `maxim/cli.py`:

    from maxim.share.cli import export_ftm, import_app, share_app
    app.add_typer(share_app, name="share")
    app.add_typer(import_app, name="import")
    export_app.command("ftm")(export_ftm)
"""

from __future__ import annotations

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
    from maxim.settings import Settings
    from maxim.share.imports import Defaults
    from maxim.share.signing import SigningKey
    from maxim.store.access import DataAccess, Submitted

share_app = typer.Typer(
    help="Dissemination packages to partners: build, consult originators, release victims, withdraw, acknowledge.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
import_app = typer.Typer(
    help="Partner material in: FollowTheMoney, Maxim packages, CSV/Excel with a mapping, HTCDS, SARs. "
    "All or nothing: a file with any bad row imports nothing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

AsUser = Annotated[
    str,
    typer.Option(
        "--as",
        help="Act as this user (audited); anyone but the local administrator needs MAXIM_TOKEN or MAXIM_PASSWORD.",
    ),
]


@contextmanager
def _access(username: str, channel: str = "cli") -> Iterator[DataAccess]:
    """The CLI's one access helper, `maxim.cli._access`: credentials, every field of the account."""
    from maxim.cli import _access as cli_access
    from maxim.settings import Settings

    with cli_access(Settings.from_env(), username, channel) as access:
        yield access


@contextmanager
def _refusals() -> Iterator[None]:
    """Every refusal of the share stage as a clear message and exit code 1 (2 for permission)."""
    from maxim.share.imports import ImportRefused
    from maxim.share.manifest import PackageRefused
    from maxim.share.service import PackageBlocked
    from maxim.store.access import Forbidden
    from maxim.store.share_access import NetworkUnavailable, NotFound

    try:
        yield
    except PackageBlocked as exc:
        err.print(f"[red]package to {exc.recipient} refused; nothing was sent or logged:[/red]")
        for what, why in exc.blocked:
            err.print(f"  [yellow]{what}: {why}[/yellow]")
        raise typer.Exit(1) from exc
    except ImportRefused as exc:
        err.print("[red]import refused; nothing was imported:[/red]")
        for problem in exc.problems:
            err.print(f"  [yellow]{problem}[/yellow]")
        raise typer.Exit(1) from exc
    except Forbidden as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    except (PackageRefused, NotFound, NetworkUnavailable, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


def _when(value: str | None, name: str) -> datetime:
    from maxim.intake.parse import parse_datetime

    if value is None:
        return datetime.now(UTC)
    parsed = parse_datetime(value)
    if parsed is None:
        err.print(f"[red]{name}: not an ISO date or date-time: {value!r}[/red]")
        raise typer.Exit(2)
    return parsed


# -- share ---------------------------------------------------------------------------------


@share_app.command("package")
def share_package(
    to: Annotated[str, typer.Option("--to", help="Partner code (partners.yaml) or unit code.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the package zip.")],
    report: Annotated[list[str] | None, typer.Option("--report", help="Report id; repeat for several.")] = None,
    entity: Annotated[list[str] | None, typer.Option("--entity", help="Entity id with its links; repeatable.")] = None,
    network: Annotated[str | None, typer.Option(help="Network id (when the networks feature is installed).")] = None,
    purpose: Annotated[str | None, typer.Option(help="Policing purpose, kept in the s62 log.")] = None,
    transfer_basis: Annotated[str | None, typer.Option(help="Legal basis of an overseas transfer.")] = None,
    exclude_blocked: Annotated[
        bool, typer.Option("--exclude-blocked", help="Leave out reports that may not go, instead of refusing.")
    ] = False,
    as_user: AsUser = "admin",
) -> None:
    """Build a dissemination package for a recipient; refused whole (with reasons) if anything may not go."""
    from maxim.share.service import build_package

    with _access(as_user) as access, _refusals():
        signer = _installation_key()
        result = build_package(
            access,
            to,
            signer=signer,
            report_ids=report or [],
            entity_ids=entity or [],
            network_id=network,
            purpose=purpose,
            transfer_basis=transfer_basis,
            exclude_blocked=exclude_blocked,
        )
    output.write_bytes(result.zip_bytes)
    out.print(
        f"{result.package_id} to {result.recipient.code} ({result.recipient.recipient_class}): {result.items} reports, "
        f"{result.entities} entities, {result.victims_withheld} victims withheld, {result.notices} notices; "
        f"manifest sha256 {result.manifest_sha256}, signed with key {result.key_id}; written to {output}"
    )
    for what, why in result.excluded:
        err.print(f"  [yellow]left out {what}: {why}[/yellow]")


@share_app.command("consult")
def share_consult(
    report: Annotated[str, typer.Argument(help="Report id.")],
    to: Annotated[str, typer.Option("--to", help="The recipient the consultation was about.")],
    consulted: Annotated[str, typer.Option(help="Who at the originator was consulted (unit and role).")],
    outcome: Annotated[str, typer.Option(help="approved or refused.")],
    at: Annotated[str | None, typer.Option(help="When (ISO date-time; default now).")] = None,
    note: Annotated[str | None, typer.Option(help="What was agreed.")] = None,
    as_user: AsUser = "admin",
) -> None:
    """Record an originator-consulted decision (needed before S2 or A1 material may leave)."""
    from maxim.store.share_access import ShareAccess

    with _access(as_user) as access, _refusals():
        number = ShareAccess(access).record_consultation(
            report, to, consulted=consulted, consulted_at=_when(at, "--at"), outcome=outcome, note=note
        )
    out.print(f"consultation {number} recorded: {report} to {to}: {outcome}")


@share_app.command("release-victim")
def share_release_victim(
    report: Annotated[str, typer.Argument(help="Report id.")],
    entity: Annotated[str, typer.Argument(help="The victim's entity id in that report.")],
    to: Annotated[str, typer.Option("--to", help="The recipient of the next package.")],
    reason: Annotated[str, typer.Option(help="Why the victim's details may go (safeguarding purpose).")],
    as_user: AsUser = "admin",
) -> None:
    """Release one victim's details to the next package for a recipient (safeguarding leads only)."""
    from maxim.store.share_access import ShareAccess

    with _access(as_user) as access, _refusals():
        number = ShareAccess(access).record_release(to, report, entity, reason)
    out.print(f"release {number} recorded: victim {entity} of {report} for the next package to {to}")


@share_app.command("withdraw")
def share_withdraw(
    package: Annotated[str, typer.Argument(help="Package id.")],
    report: Annotated[str, typer.Argument(help="The report id of the item.")],
    reason: Annotated[str, typer.Option(help="Why (DPA 2018 s38(5)).")],
    corrected_by: Annotated[
        str | None, typer.Option(help="A correcting report id: records a correction, not a withdrawal.")
    ] = None,
    as_user: AsUser = "admin",
) -> None:
    """Withdraw or correct a sent item; the next package to that recipient carries the notice."""
    from maxim.store.share_access import ShareAccess

    kind = "corrected" if corrected_by else "withdrawn"
    with _access(as_user) as access, _refusals():
        number = ShareAccess(access).withdraw(package, report, kind=kind, reason=reason, corrected_by=corrected_by)
    out.print(f"{kind} ({number}): {report} in {package}; the next package to the recipient carries the notice")


@share_app.command("ack")
def share_ack(
    package: Annotated[str, typer.Argument(help="Package id.")],
    by: Annotated[str, typer.Option(help="Who at the recipient acknowledged it.")],
    at: Annotated[str | None, typer.Option(help="When (ISO date-time; default now).")] = None,
    note: Annotated[str | None, typer.Option(help="Anything they said.")] = None,
    as_user: AsUser = "admin",
) -> None:
    """Record a recipient's acknowledgement of a package."""
    from maxim.store.share_access import ShareAccess

    with _access(as_user) as access, _refusals():
        number = ShareAccess(access).acknowledge(package, by=by, at=_when(at, "--at"), note=note)
    out.print(f"acknowledgement {number} recorded for {package}")


@share_app.command("show")
def share_show(
    package: Annotated[str | None, typer.Argument(help="Package id; omit to list packages.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Only packages to this recipient.")] = None,
    as_user: AsUser = "admin",
) -> None:
    """A package's record (items with status, withdrawals, acknowledgements), or the list of packages."""
    from maxim.store.share_access import ShareAccess

    with _access(as_user) as access, _refusals():
        share = ShareAccess(access)
        if package is None:
            table = Table("package", "to", "class", "created", "by", "items", "entities")
            for row in share.packages(to):
                table.add_row(
                    row["id"], row["recipient"], row["recipient_class"], str(row["created_at"])[:19],
                    row["created_by"], str(row["items"]), str(row["entities"]),
                )  # fmt: skip
            out.print(table)
            return
        record = share.package(package)
    out.print(f"{record['id']} to {record['recipient']} ({record['recipient_class']}), {record['created_at']}")
    items = Table("report", "originator", "reference", "handling", "status")
    for item in record["items"]:
        items.add_row(item["report_id"], item["originator"], item["reference"], item["handling_code"], item["status"])
    out.print(items)
    for w in record["withdrawals"]:
        notified = f"notified in {w['notified_in']}" if w["notified_in"] else "notice pending"
        out.print(f"{w['kind']}: {w['report_id']} — {w['reason']} ({notified})")
    for a in record["acknowledgements"]:
        out.print(f"acknowledged by {a['acknowledged_by']} at {a['acknowledged_at']}")


# -- package-signing keys ------------------------------------------------------------------

key_app = typer.Typer(
    help="Package-signing keys: this installation's public key out, partners' public keys in.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
share_app.add_typer(key_app, name="key")


def _installation_key() -> SigningKey:
    """This installation's signing key (created on first use) from MAXIM_SIGNING_KEY or the data directory."""
    from maxim.settings import Settings
    from maxim.share.signing import installation_key

    return installation_key(Settings.from_env().signing_key)


def init_signing_key(settings: Settings) -> None:
    """`maxim init`: create the installation's package-signing key pair if there is none yet, and say where."""
    from maxim.share.signing import SigningKeyError, installation_key

    try:
        key = installation_key(settings.signing_key)
    except SigningKeyError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    err.print(f"package signing key {key.key_id}: {settings.signing_key}")


@key_app.command("export")
def key_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="Public key file ('-': stdout).")] = Path("-"),
) -> None:
    """Write this installation's public key (PEM) for partners to register; its key id goes to stderr."""
    with _refusals():
        key = _installation_key()
    if str(output) == "-":
        sys.stdout.write(key.public_pem())
    else:
        output.write_text(key.public_pem(), encoding="ascii")
    err.print(f"public key {key.key_id}: give it to partners with its key id, which they check with you")


@key_app.command("add")
def key_add(
    partner: Annotated[str, typer.Argument(help="The partner code (partners.yaml) whose key this is.")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The partner's public key (PEM).")],
    as_user: AsUser = "admin",
) -> None:
    """Register a partner's public key: its signed packages import as that partner's (administrators only)."""
    from maxim.share.service import register_partner_key
    from maxim.store.share_access import ShareAccess

    with _access(as_user) as access, _refusals():
        kid, new = register_partner_key(ShareAccess(access), partner, file.read_bytes(), file.name)
    out.print(f"key {kid} {'registered' if new else 'was already registered'} for {partner}")


@key_app.command("list")
def key_list(as_user: AsUser = "admin") -> None:
    """The partners' registered public keys, with who added each and when."""
    from maxim.store.share_access import ShareAccess

    with _access(as_user) as access, _refusals():
        rows = ShareAccess(access).partner_keys()
    table = Table("partner", "key id", "added by", "added at")
    for row in rows:
        table.add_row(row["partner"], row["key_id"], row["added_by"], str(row["added_at"])[:19])
    out.print(table)


# -- export --------------------------------------------------------------------------------


def export_ftm(
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL file to write ('-' for stdout).")] = Path("-"),
    as_user: AsUser = "admin",
) -> None:
    """Everything the acting user may see as FollowTheMoney JSONL (audited as one disclosure)."""
    from maxim.share.service import export_ftm as run

    handle = sys.stdout if str(output) == "-" else output.open("w", encoding="utf-8")
    try:
        with _access(as_user, channel="export") as access, _refusals():
            count = run(access, handle)
    finally:
        if handle is not sys.stdout:
            handle.close()
    err.print(f"{count} entities exported")


# -- import --------------------------------------------------------------------------------


def _defaults(
    access: DataAccess,
    source_evaluation: str | None,
    intelligence_assessment: str | None,
    handling_code: str | None,
    handling_conditions: str | None,
    action_code: str | None,
    sanitisation_code: str | None,
    share_with: list[str] | None,
    theme: list[str] | None,
    received_at: datetime | None,
) -> Defaults:
    from maxim.share.imports import Defaults

    return Defaults(
        source_evaluation=source_evaluation,
        intelligence_assessment=intelligence_assessment,
        handling_code=handling_code,
        handling_conditions=handling_conditions,
        action_code=action_code,
        sanitisation_code=sanitisation_code,
        # C material from outside is visible to nobody here unless its conditions name someone:
        # by default, the unit of the person importing it.
        share_with=tuple(share_with or [access.actor.unit]),
        themes=tuple(theme or []),
        received_at=received_at,
    )


SourceEval = Annotated[str | None, typer.Option(help="3x5x2 source evaluation (1-3) where the file has none.")]
IntelAssess = Annotated[str | None, typer.Option(help="3x5x2 intelligence assessment (A-E) where the file has none.")]
Handling = Annotated[str | None, typer.Option(help="Handling code (P or C) where the file has none.")]
Conditions = Annotated[str | None, typer.Option(help="Handling conditions (under C).")]
ActionCode = Annotated[str | None, typer.Option(help="Action code A1-A3 (under C).")]
SanitCode = Annotated[str | None, typer.Option(help="Sanitisation code S1/S2 (under C).")]
ShareWith = Annotated[
    list[str] | None, typer.Option(help="Unit or role that may see C material (default: your unit); repeatable.")
]
Themes = Annotated[list[str] | None, typer.Option("--theme", help="Theme code for the reports; repeatable.")]
ReceivedAt = Annotated[str | None, typer.Option(help="When it was received (default: the file's date).")]


def _file_date(path: Path, received_at: str | None) -> datetime:
    """The reception time: given, or the file's modification time, so importing the same file again is a no-op."""
    if received_at is not None:
        return _when(received_at, "--received-at")
    return datetime.fromtimestamp(int(path.stat().st_mtime), UTC)


def _print_submitted(submitted: list[Submitted], what: str) -> None:
    from collections import Counter

    counts = Counter(s.outcome.value for s in submitted)
    out.print(
        f"{what}: {len(submitted)} reports — {counts.get('created', 0)} new, "
        f"{counts.get('new_version', 0)} new versions, {counts.get('unchanged', 0)} unchanged"
    )


@import_app.command("ftm")
def import_ftm(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="FollowTheMoney JSONL.")],
    from_: Annotated[str, typer.Option("--from", help="The partner it came from (partners.yaml).")],
    source_evaluation: SourceEval = None,
    intelligence_assessment: IntelAssess = None,
    handling_code: Handling = None,
    handling_conditions: Conditions = None,
    action_code: ActionCode = None,
    sanitisation_code: SanitCode = None,
    share_with: ShareWith = None,
    theme: Themes = None,
    received_at: ReceivedAt = None,
    as_user: AsUser = "admin",
) -> None:
    """Import FtM entities (Aleph/OpenSanctions style) as partner reports, one per linked group."""
    from maxim.reference import load_reference
    from maxim.share import imports

    with _access(as_user) as access, _refusals():
        defaults = _defaults(
            access, source_evaluation, intelligence_assessment, handling_code, handling_conditions, action_code,
            sanitisation_code, share_with, theme, _file_date(file, received_at),
        )  # fmt: skip
        with file.open(encoding="utf-8") as handle:
            submitted = imports.import_ftm(
                access, handle, source=file.name, partner=from_, defaults=defaults, ref=load_reference()
            )
    _print_submitted(submitted, file.name)


@import_app.command("package")
def import_package(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A Maxim package zip.")],
    from_: Annotated[
        str | None, typer.Option("--from", help="The partner that sent it; must be the one whose key signed it.")
    ] = None,
    share_with: ShareWith = None,
    as_user: AsUser = "admin",
) -> None:
    """Import a partner's signed Maxim package; refused whole if unsigned, signed by an unknown key, or altered."""
    from maxim.reference import load_reference
    from maxim.share import imports

    with _access(as_user) as access, _refusals():
        defaults = _defaults(access, None, None, None, None, None, None, share_with, None, None)
        result = imports.import_package(
            access, file.read_bytes(), source=file.name, partner=from_, defaults=defaults, ref=load_reference()
        )
    _print_submitted(result.submitted, f"{file.name} ({result.package_id})")
    for notice in result.notices:
        out.print(
            f"[yellow]notice: {notice.get('notice')} {notice.get('originator')}/{notice.get('reference')} "
            f"(sent in {notice.get('package_id')}): {notice.get('reason')}[/yellow]"
        )


@import_app.command("table")
def import_table(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX.")],
    mapping: Annotated[Path | None, typer.Option(help="Column mapping (YAML).", dir_okay=False)] = None,
    saved: Annotated[str | None, typer.Option(help="Use the mapping saved under this name.")] = None,
    save_mapping: Annotated[str | None, typer.Option(help="Save --mapping under this name for reuse.")] = None,
    preview: Annotated[bool, typer.Option("--preview", help="Show the first rows as mapped; import nothing.")] = False,
    rows: Annotated[int, typer.Option(min=1, help="Rows to preview.")] = 5,
    as_user: AsUser = "admin",
) -> None:
    """Import a CSV or Excel sheet through a saved column mapping (column -> Schema.property)."""
    from maxim.reference import load_reference
    from maxim.share import tabular
    from maxim.store.share_access import ShareAccess

    if (mapping is None) == (saved is None):
        err.print("[red]give exactly one of --mapping FILE or --saved NAME[/red]")
        raise typer.Exit(2)
    ref = load_reference()
    with _access(as_user) as access, _refusals():
        share = ShareAccess(access)
        if mapping is not None:
            body, name = mapping.read_text(encoding="utf-8"), mapping.name
        else:
            assert saved is not None
            body, name = share.load_mapping(saved), f"saved mapping {saved}"
        spec = tabular.parse_mapping(body, name, ref)
        table = tabular.read_table(file, spec)
        if preview:
            _preview(tabular.preview(table, spec, ref, rows))
            return
        if save_mapping:
            share.save_mapping(save_mapping, body)
        submitted = tabular.import_table(access, table, spec, ref, received_at=_file_date(file, None))
    _print_submitted(submitted, file.name)


def _preview(rows: list[dict[str, Any]]) -> None:
    table = Table("row", "entity", "schema", "property", "value", "column")
    for row in rows:
        for cell in row["cells"]:
            table.add_row(
                str(row["row"]), cell["entity"], cell["schema"], cell["property"], cell["value"], cell["column"]
            )
        for problem in row["problems"]:
            table.add_row(str(row["row"]), "", "", "", f"[red]{problem}[/red]", "")
    out.print(table)
    out.print("preview only: nothing was imported")


@import_app.command("htcds")
def import_htcds(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="HTCDS records: JSONL, JSON or CSV.")],
    from_: Annotated[str, typer.Option("--from", help="The referring NGO (partners.yaml).")],
    source_evaluation: SourceEval = None,
    intelligence_assessment: IntelAssess = None,
    as_user: AsUser = "admin",
) -> None:
    """Import HTCDS victim/referral records from an NGO as referrals received through UKHTC."""
    from maxim.reference import load_reference
    from maxim.share import htcds

    with _access(as_user) as access, _refusals():
        submitted = htcds.import_htcds(
            access,
            file,
            ngo=from_,
            ref=load_reference(),
            source_evaluation=source_evaluation,
            intelligence_assessment=intelligence_assessment,
        )
    _print_submitted(submitted, file.name)


@import_app.command("sar")
def import_sar(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="SAR records: JSONL or JSON.")],
    share_with: ShareWith = None,
    as_user: AsUser = "admin",
) -> None:
    """Import suspicious activity reports (UKFIU fields, glossary codes) as SAR reports, handling C."""
    from maxim.reference import load_reference
    from maxim.share import sar

    with _access(as_user) as access, _refusals():
        submitted = sar.import_sar(access, file, ref=load_reference(), share_with=tuple(share_with or ()))
    _print_submitted(submitted, file.name)
