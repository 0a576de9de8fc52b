"""The `maxim` command: parses arguments and calls the stages; no logic of its own."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from maxim.network.cli import app as networks_app
from maxim.network.cli import export_network
from maxim.oversight.cli import app as oversight_app
from maxim.resolve.cli import app as resolve_app
from maxim.resolve.cli import export_resolution
from maxim.route.cli import app as route_app
from maxim.route.cli import referrals_app, sop_app
from maxim.settings import SETTINGS, Settings
from maxim.share.cli import export_ftm, import_app, share_app

if TYPE_CHECKING:
    from maxim.store.access import Actor, DataAccess
    from maxim.store.audit import EntryPage
    from maxim.store.engine import Database

app = typer.Typer(
    help="Maxim: the intelligence clearinghouse for organised immigration crime and human trafficking.\n\n"
    "Environment: " + "; ".join(f"{name} - {doc}" for name, _, doc in SETTINGS),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
export_app = typer.Typer(help="Write what the acting user may see to files.", no_args_is_help=True)
app.add_typer(export_app, name="export")
user_app = typer.Typer(help="User accounts (administrators only).", no_args_is_help=True)
app.add_typer(user_app, name="user")
token_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
audit_app = typer.Typer(help="The DPA 2018 s62 audit log (data-protection officers only).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
review_app = typer.Typer(help="MoPI review and retention: the unit's queue and review decisions.", no_args_is_help=True)
app.add_typer(review_app, name="review")
sar_app = typer.Typer(help="Subject access requests (data-protection officers only).", no_args_is_help=True)
app.add_typer(sar_app, name="sar")
app.add_typer(resolve_app, name="resolve")
app.add_typer(oversight_app)  # maxim report committee ..., maxim funding load|show
app.add_typer(networks_app, name="networks")  # maxim networks [--top N] [--as USER]
export_app.command("network")(export_network)  # maxim export network ID --format graphml|gexf --output FILE
app.add_typer(share_app, name="share")  # maxim share package|consult|release-victim|withdraw|ack|show
app.add_typer(import_app, name="import")  # maxim import ftm|package|table|htcds|sar
export_app.command("ftm")(export_ftm)
export_app.command("resolution")(export_resolution)
app.add_typer(route_app, name="route")  # maxim route --dry-run FILE | --store FILE
app.add_typer(sop_app, name="sop")  # maxim sop load FILE | show | versions
app.add_typer(referrals_app, name="referrals")  # maxim referrals alerts
console = Console(stderr=True, soft_wrap=True)  # messages stay on one line, for logs and greps

AsUser = Annotated[
    str,
    typer.Option(
        "--as",
        help="Act as this user (audited); anyone but the local administrator needs MAXIM_TOKEN or MAXIM_PASSWORD.",
    ),
]


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

    db = connect(settings.database_url, audit_key_file=settings.audit_key_path())
    try:
        yield db
    finally:
        db.dispose()


@dataclass(frozen=True, slots=True)
class _Acting:
    """Who the command acts as, and what proved it: "local" (the local administrator, the
    operator who owns the database, needs nothing), "password" or "token"."""

    access: DataAccess
    credential: str


class _CredentialRefused(PermissionError):
    """The credentials given for `--as USER` are missing or wrong; the message says which."""


def _identify(db: Database, username: str) -> tuple[Actor, str]:
    """The Actor for `--as USERNAME`, proved by MAXIM_TOKEN or MAXIM_PASSWORD (else a hidden
    prompt on a terminal) unless it is the local administrator. A wrong credential is audited
    and counts towards the account's lockout, as a wrong password on the login page does."""
    from getpass import getpass

    from maxim.security.auth import LoginFailed, authenticate, record_failed_login, token_actor
    from maxim.security.users import LOCAL_ADMIN, actor_from_row, user_row

    now = datetime.now(UTC)
    row = user_row(db, username)  # UnknownUser says how to create one
    if username == LOCAL_ADMIN:
        return actor_from_row(row, now=now, honour_lockout=False), "local"
    token = os.environ.get("MAXIM_TOKEN", "").strip()
    if token:
        found = token_actor(db, token, now=now)
        if found is None or found.username != username:
            record_failed_login(db, username, now=now, channel="cli")
            raise _CredentialRefused(
                f"MAXIM_TOKEN is not a live bearer token of {username!r}, or the account is locked"
            )
        return found, "token"
    password = os.environ.get("MAXIM_PASSWORD")
    if password is None and sys.stdin.isatty():
        password = getpass(f"password for {username}: ")
    if not password:
        record_failed_login(db, username, now=now, channel="cli")
        raise _CredentialRefused(
            f"acting as {username!r} needs its credentials: set MAXIM_TOKEN to one of its bearer tokens "
            "or MAXIM_PASSWORD to its password (on a terminal you are asked for the password)"
        )
    try:
        return authenticate(db, username, password, now=now, channel="cli"), "password"
    except LoginFailed as exc:
        raise _CredentialRefused(f"the password for {username!r} is not right, or the account is locked") from exc


@contextmanager
def _acting(settings: Settings, username: str, channel: str = "cli") -> Iterator[_Acting]:
    """The one way every CLI command gets its data access: the user's Actor comes from
    `actor_from_row` (all its fields, never a disabled or locked account) and, for anyone but
    the local administrator, from their credentials. Says what to do when that is impossible."""
    from sqlalchemy.exc import DBAPIError

    from maxim.security.users import AccountUnavailable, UnknownUser
    from maxim.store.access import DataAccess

    with _database(settings) as db:
        try:
            who, credential = _identify(db, username)
        except (UnknownUser, AccountUnavailable, _CredentialRefused) as exc:
            console.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(2) from exc
        except DBAPIError as exc:  # no schema yet, or no server
            console.print(
                f"[red]cannot read users from {settings.database_url}: run `maxim init` first "
                f"({exc.orig.__class__.__name__})[/red]"
            )
            raise typer.Exit(2) from exc
        yield _Acting(DataAccess(db, who, channel=channel), credential)


@contextmanager
def _access(settings: Settings, username: str, channel: str = "cli") -> Iterator[DataAccess]:
    """The data-access layer acting as `username` (see `_acting`); every */cli.py uses this."""
    with _acting(settings, username, channel) as acting:
        yield acting.access


@app.command()
def init() -> None:
    """Create the database, or upgrade it to the latest schema, and the local administrator."""
    from maxim.security.users import ensure_local_admin
    from maxim.store.audit import AuditKeyMissing
    from maxim.store.migrate import current_revisions, upgrade

    settings = Settings.from_env()
    with _database(settings) as db:
        try:
            upgrade(db)
        except AuditKeyMissing as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
        admin = ensure_local_admin(db)
        console.print(f"database ready at revision {', '.join(sorted(current_revisions(db)))}: {settings.database_url}")
        console.print(f"local administrator: {admin.username}")
        console.print(f"audit key: {settings.audit_key_path()} (keep it, and apart from database backups)")
    from maxim.share.cli import init_signing_key

    init_signing_key(settings)  # the package-signing key pair, beside the data


@app.command()
def ingest(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="JSONL, JSON or CSV of reports; with --mapping, CSV or XLSX."),
    ],
    rejects: Annotated[Path | None, typer.Option(help="Where rejected rows go (default FILE.rejects.jsonl).")] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Column mapping (YAML, as for `import table`): read FILE as a sheet, one report per row, "
            "and match the people it names against the resolved nominals.",
        ),
    ] = None,
    matches: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False, help="With --mapping: where each person's candidates go (default FILE.matches.csv)."
        ),
    ] = None,
    as_user: AsUser = "admin",
    workers: Annotated[int, typer.Option(min=1, help="Processes that parse reports (default: one per core).")] = (
        os.cpu_count() or 1
    ),
) -> None:
    """Ingest a batch of reports. Good rows are kept; rejected rows go to a rejects file with reasons."""
    from contextlib import nullcontext

    from maxim.intake.batch import Row, ingest_file
    from maxim.intake.mapped import mapped_rows, read_mapping
    from maxim.network.deconflict import check_deconfliction_batch
    from maxim.reference import load_reference
    from maxim.resolve.matches import MatchWriter
    from maxim.share.imports import ImportRefused

    settings = Settings.from_env()
    ref = load_reference()
    if matches is not None and mapping is None:
        console.print("[red]--matches needs --mapping: only a mapped sheet is matched against the nominals[/red]")
        raise typer.Exit(2)
    rows: list[Row] | None = None
    total = None
    if mapping is not None:  # the mapping and the sheet's header are checked before anything is stored
        try:
            rows = mapped_rows(file, read_mapping(mapping, ref))
        except ImportRefused as exc:
            console.print(f"[red]{file.name} refused, nothing was ingested:[/red]")
            for problem in exc.problems:
                console.print(f"  [red]{problem}[/red]")
            raise typer.Exit(2) from exc
        total = len(rows)
    elif file.suffix.lower() in (".jsonl", ".ndjson", ".csv"):
        with file.open("rb") as handle:
            total = sum(1 for line in handle if line.strip()) - (1 if file.suffix.lower() == ".csv" else 0)
    with _access(settings, as_user) as access, _progress() as progress:
        task = progress.add_task(f"ingesting {file.name}", total=total)
        with (
            MatchWriter(access, matches or file.with_name(file.name + ".matches.csv"))
            if mapping is not None
            else nullcontext()
        ) as matcher:
            try:
                summary = ingest_file(
                    file,
                    access,
                    ref,
                    rejects_path=rejects,
                    progress=lambda n: progress.advance(task, n),
                    workers=workers,
                    after_store=lambda report_ids: check_deconfliction_batch(access, report_ids),
                    rows=rows,
                    on_stored=matcher.add if matcher is not None else None,
                )
            except ValueError as exc:
                console.print(f"[red]{exc}[/red]")
                raise typer.Exit(2) from exc
    console.print(
        f"read {summary.read}: {summary.created} new, {summary.new_versions} new versions, "
        f"{summary.unchanged} unchanged, {summary.rejected} rejected; {summary.statements} statements stored"
    )
    if matcher is not None:
        found = matcher.summary
        console.print(
            f"{found.matched_rows} of {found.rows} rows matched a known nominal "
            f"({found.candidates} candidates for {found.people} people); see {found.path}"
        )
        if not found.resolved:
            console.print("[yellow]nothing is resolved yet: run `maxim resolve`, then ingest the file again[/yellow]")
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
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes, e.g. one per core; each has its own connection pool and login rate limits.",
        ),
    ] = 1,
) -> None:
    """Serve the web application and JSON API."""
    import uvicorn

    from maxim.web.app import create_app

    settings = Settings.from_env()
    host, port = host or settings.host, port or settings.port
    console.print(f"serving on http://{host}:{port}/ with {workers} worker(s) ({settings.database_url})")
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
        return
    from maxim.store.engine import connect
    from maxim.store.migrate import upgrade

    db = connect(settings.database_url, audit_key_file=settings.audit_key_path())
    upgrade(db)  # once, here: the workers start from an up-to-date schema and do not migrate
    db.dispose()
    uvicorn.run("maxim.web.app:app_from_env", factory=True, workers=workers, host=host, port=port, log_level="info")


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
    # The rest of the pipeline: resolve the people named, then find and rank the networks.
    from maxim.network.cli import networks as networks_command
    from maxim.resolve.cli import resolve as resolve_command

    resolve_command(engine="duckdb", threshold=0.8, as_user="admin")
    networks_command(top=5, as_user="admin")
    _demo_users(settings)
    if not no_serve:
        serve(host=None, port=None)


def _demo_users(settings: Settings) -> None:
    """One demo account per role, with passwords printed and kept in the data directory."""
    import secrets

    from maxim.domain.errors import ValidationFailed
    from maxim.security.auth import create_user, set_password
    from maxim.security.users import DEMO_USERS

    lines = []
    with _database(settings) as db:
        for username, name, unit, roles, external in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            try:
                create_user(
                    db,
                    username=username,
                    display_name=name,
                    unit=unit,
                    roles=roles,
                    password=password,
                    now=datetime.now(UTC),
                    by="admin",
                    external=external,
                )
            except ValidationFailed:  # it exists from an earlier demo: give it a fresh password
                set_password(db, username, password)
            lines.append(f"{username:<13} {password:<14} {', '.join(roles)} ({unit})")
    path = settings.data_dir / "demo-users.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    console.print("demo users (username, password, roles) - also in " + str(path))
    for line in lines:
        console.print("  " + line)


def _require_role(access: DataAccess, roles: tuple[str, ...], what: str) -> None:
    if not access.actor.roles & set(roles):
        console.print(f"[red]{access.actor.username} may not {what}: it needs the role {' or '.join(roles)}[/red]")
        raise typer.Exit(2)


def _refused(exc: Exception) -> NoReturn:
    """A refusal of an account command as clear lines (field: reason) and exit 1."""
    from maxim.domain.errors import ValidationFailed

    for error in exc.errors if isinstance(exc, ValidationFailed) else [exc]:
        console.print(f"[red]{escape(str(error))}[/red]")
    raise typer.Exit(1) from exc


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name (lowercase).")],
    unit: Annotated[str, typer.Option(help="Unit code (or partner code for --external).")],
    role: Annotated[list[str], typer.Option(help="A role; repeat for several.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    external: Annotated[bool, typer.Option(help="A partner's account: sees only what is disseminated to it.")] = False,
    as_user: AsUser = "admin",
) -> None:
    """Create a user with a generated password, printed once."""
    import secrets

    from maxim.domain.errors import ValidationFailed
    from maxim.security.auth import create_user

    settings = Settings.from_env()
    password = secrets.token_urlsafe(12)
    with _access(settings, as_user) as access:
        _require_role(access, ("administrator",), "create users")
        try:
            create_user(
                access.db,
                username=username,
                display_name=name,
                unit=unit,
                roles=role,
                password=password,
                now=datetime.now(UTC),
                by=access.actor.username,
                external=external,
            )
        except ValidationFailed as exc:
            _refused(exc)
    console.print(f"created {username}; password (shown once): {password}")


@user_app.command("list")
def user_list(as_user: AsUser = "admin") -> None:
    """Every account: unit, roles, whether external, and whether it may act now (or why not)."""
    from rich.table import Table

    from maxim.security.accounts import list_users

    settings = Settings.from_env()
    with _access(settings, as_user) as access:
        _require_role(access, ("administrator",), "list users")
        rows = list_users(access.db, now=datetime.now(UTC))
    table = Table("username", "name", "unit", "roles", "external", "state", "created (UTC)")
    for row in rows:
        table.add_row(
            row.username,
            row.display_name,
            row.unit,
            ", ".join(row.roles),
            "yes" if row.external else "no",
            row.state,
            str(row.created_at)[:16],
        )
    Console(width=200).print(table)


@contextmanager
def _change_account(as_user: str, what: str) -> Iterator[DataAccess]:
    """An administrator's access for an account change, or a clear refusal."""
    settings = Settings.from_env()
    with _access(settings, as_user, channel="admin") as access:
        _require_role(access, ("administrator",), what)
        yield access


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="The account to disable.")], as_user: AsUser = "admin"
) -> None:
    """Stop an account acting anywhere: its web sessions end and its API tokens are revoked."""
    from maxim.domain.errors import ValidationFailed
    from maxim.security.accounts import disable_user
    from maxim.security.users import UnknownUser

    with _change_account(as_user, "disable users") as access:
        try:
            disable_user(access.db, username, by=access.actor.username, now=datetime.now(UTC))
        except (ValidationFailed, UnknownUser) as exc:
            _refused(exc)
    console.print(f"disabled {username}; its sessions are ended and its tokens revoked")


@user_app.command("enable")
def user_enable(
    username: Annotated[str, typer.Argument(help="The account to enable.")], as_user: AsUser = "admin"
) -> None:
    """Let a disabled account act again; also lifts a lockout after failed logins."""
    from maxim.security.accounts import enable_user
    from maxim.security.users import UnknownUser

    with _change_account(as_user, "enable users") as access:
        try:
            enable_user(access.db, username, by=access.actor.username, now=datetime.now(UTC))
        except UnknownUser as exc:
            _refused(exc)
    console.print(f"enabled {username}")


@user_app.command("reset-password")
def user_reset_password(
    username: Annotated[str, typer.Argument(help="Whose password.")], as_user: AsUser = "admin"
) -> None:
    """Give an account a new generated password, printed once; ends its sessions and tokens."""
    from maxim.security.accounts import reset_password
    from maxim.security.users import UnknownUser

    with _change_account(as_user, "reset passwords") as access:
        try:
            password = reset_password(access.db, username, by=access.actor.username, now=datetime.now(UTC))
        except UnknownUser as exc:
            _refused(exc)
    console.print(f"new password for {username} (shown once): {password}; its sessions and tokens are ended")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="What the token is for.")],
    days: Annotated[
        int, typer.Option(min=1, max=365, help="Days until it expires; over 30 needs the password, not a token.")
    ] = 30,
    as_user: AsUser = "admin",
) -> None:
    """Issue an API bearer token for the acting user; printed once, stored only as a hash."""
    from maxim.domain.errors import ValidationFailed
    from maxim.security.auth import issue_token

    settings = Settings.from_env()
    with _acting(settings, as_user) as acting:
        access = acting.access
        try:
            # A token in hand does not mint a longer one; a password (or the local administrator,
            # who owns the database) does.
            token = issue_token(
                access.db,
                access.actor,
                name=name,
                days=days,
                now=datetime.now(UTC),
                channel="cli",
                password_confirmed=acting.credential != "token",
            )
        except ValidationFailed as exc:
            _refused(exc)
    print(token)


@token_app.command("list")
def token_list(as_user: AsUser = "admin") -> None:
    """Every API token: id, owner, name, expiry, last use and state; never the secret."""
    from rich.table import Table

    from maxim.security.accounts import list_tokens

    settings = Settings.from_env()
    now = datetime.now(UTC)
    with _access(settings, as_user) as access:
        _require_role(access, ("administrator",), "list tokens")
        rows = list_tokens(access.db)
    table = Table("id", "user", "name", "created (UTC)", "expires (UTC)", "last used (UTC)", "state")
    for row in rows:
        state = "revoked" if row.revoked_at else "expired" if row.expires_at <= now else "live"
        used = str(row.last_used_at)[:16] if row.last_used_at else "never"
        table.add_row(
            str(row.id), row.username, row.name, str(row.created_at)[:16], str(row.expires_at)[:16], used, state
        )
    Console(width=200).print(table)


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(help="The token's id (from `maxim token list`), or the token itself.")],
    as_user: AsUser = "admin",
) -> None:
    """Revoke an API token at once: by id (administrators), or by the token itself (whoever holds it)."""
    from maxim.security.accounts import revoke_token_id
    from maxim.security.auth import revoke_token

    settings = Settings.from_env()
    with _access(settings, as_user) as access:
        if token.isdigit():
            _require_role(access, ("administrator",), "revoke another user's token by id")
            done = revoke_token_id(access.db, int(token), by=access.actor.username, now=datetime.now(UTC))
        else:
            done = revoke_token(access.db, token, now=datetime.now(UTC), by=access.actor.username, channel="cli")
    console.print("revoked" if done else "[red]no such live token[/red]")
    if not done:
        raise typer.Exit(1)


@audit_app.command("verify")
def audit_verify(as_user: AsUser = "admin") -> None:
    """Recompute the keyed chain and check it against the signed checkpoints; name the first broken entry (exit 1)."""
    from maxim.reference import load_reference
    from maxim.store.audit import verify

    settings = Settings.from_env()
    with _access(settings, as_user, channel="audit") as access:
        _require_role(access, load_reference().audit_roles, "read the audit log")
        with access.db.reader.connect() as conn:
            checked, broken = verify(conn)
    if broken is not None:
        console.print(f"[red]{broken.describe()}[/red]")
        raise typer.Exit(1)
    console.print(f"audit chain holds: {checked} entries verified against the key and checkpoints")


def _print_entries(page: EntryPage) -> None:
    from rich.table import Table

    table = Table("id", "at (UTC)", "user", "operation", "object", "channel", "justification")
    for row in page.rows:
        ids = row.object_ids
        shown = ", ".join(ids[:3]) + (f" (+{len(ids) - 3})" if len(ids) > 3 else "")
        table.add_row(
            str(row.id),
            str(row.at)[:19],
            row.username,
            row.operation,
            f"{row.object_type}: {shown}",
            row.channel,
            row.justification or "",
        )
    Console().print(table)
    console.print(page.describe() + ("; --page N for more" if page.offset + len(page.rows) < page.total else ""))


PageOption = Annotated[int, typer.Option("--page", min=1, help="Which page, newest first.")]
LimitOption = Annotated[int, typer.Option("--limit", min=1, max=10_000, help="Entries per page.")]


@audit_app.command("who-viewed")
def audit_who_viewed(
    entity: Annotated[str, typer.Argument(help="Entity or report id.")],
    page: PageOption = 1,
    limit: LimitOption = 50,
    as_user: AsUser = "admin",
) -> None:
    """Everyone who consulted or was disclosed an entity or report (exports too), newest first."""
    from maxim.reference import load_reference
    from maxim.store.audit import Operation, entries

    settings = Settings.from_env()
    with _access(settings, as_user, channel="audit") as access:
        _require_role(access, load_reference().audit_roles, "read the audit log")
        with access.db.reader.connect() as conn:
            found = entries(
                conn,
                object_id=entity,
                operations=[Operation.CONSULTATION, Operation.DISCLOSURE],
                limit=limit,
                offset=(page - 1) * limit,
            )
    _print_entries(found)


@audit_app.command("by-user")
def audit_by_user(
    username: Annotated[str, typer.Argument(help="Whose actions.")],
    since: Annotated[str | None, typer.Option(help="ISO date, e.g. 2026-01-01.")] = None,
    page: PageOption = 1,
    limit: LimitOption = 50,
    as_user: AsUser = "admin",
) -> None:
    """Everything one user did, optionally since a date, newest first."""
    from maxim.intake.parse import parse_datetime
    from maxim.reference import load_reference
    from maxim.store.audit import entries

    settings = Settings.from_env()
    when = parse_datetime(since) if since else None
    if since and when is None:
        console.print(f"[red]--since: not a date: {since!r}[/red]")
        raise typer.Exit(2)
    with _access(settings, as_user, channel="audit") as access:
        _require_role(access, load_reference().audit_roles, "read the audit log")
        with access.db.reader.connect() as conn:
            found = entries(conn, username=username, since=when, limit=limit, offset=(page - 1) * limit)
    _print_entries(found)


def _date_option(value: str | None, name: str) -> date:

    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        console.print(f"[red]{name}: not a date (YYYY-MM-DD): {value!r}[/red]")
        raise typer.Exit(2) from exc


@review_app.command("queue")
def review_queue(
    as_of: Annotated[str | None, typer.Option(help="Date the queue is for (default today).")] = None,
    as_user: AsUser = "admin",
) -> None:
    """Reports of your unit due for MoPI review."""
    from rich.table import Table

    from maxim.store.retention import Retention

    settings = Settings.from_env()
    day = _date_option(as_of, "--as-of")
    with _access(settings, as_user) as access:
        rows = Retention(access).queue(day)
    table = Table("due", "group", "originator", "reference", "title")
    for row in rows:
        table.add_row(str(row["review_due"]), row["mopi_group"], row["originator"], row["reference"], row["title"])
    Console().print(table)
    console.print(f"{len(rows)} reports due for review on {day}")


@review_app.command("decide")
def review_decide(
    originator: Annotated[str, typer.Argument(help="Originating unit or partner code.")],
    reference: Annotated[str, typer.Argument(help="The originator's reference.")],
    decision: Annotated[str, typer.Option(help="retain or dispose.")],
    reason: Annotated[str, typer.Option(help="Why: every decision records it.")],
    as_of: Annotated[str | None, typer.Option(help="Review date (default today).")] = None,
    as_user: AsUser = "admin",
) -> None:
    """Record a review: retain (next review set by the MoPI group) or dispose (statements erased)."""
    from maxim.domain.errors import ValidationFailed
    from maxim.store.access import Forbidden
    from maxim.store.retention import Retention

    settings = Settings.from_env()
    day = _date_option(as_of, "--as-of")
    with _access(settings, as_user) as access:
        try:
            outcome = Retention(access).decide(originator, reference, decision=decision, reason=reason, as_of=day)
        except (ValidationFailed, Forbidden) as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    if outcome.decision == "retain":
        console.print(f"retained; next review {outcome.next_review}")
    else:
        console.print(f"disposed; {outcome.erased_statements} statements erased, tombstone kept")


@sar_app.command("export")
def sar_export(
    entity: Annotated[list[str], typer.Option(help="Entity id of the person; repeat for each mention.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSON file for the data subject's copy.")],
    withhold: Annotated[
        list[str] | None, typer.Option(help="REPORT_ID=GROUND to withhold under DPA 2018 s45(4); repeatable.")
    ] = None,
    as_user: AsUser = "admin",
) -> None:
    """Everything held about a person, minus what is withheld; the officer's record goes beside it."""
    from maxim.domain.errors import ValidationFailed
    from maxim.store.access import Forbidden
    from maxim.store.retention import Retention

    pairs = {}
    for item in withhold or []:
        report_id, _, ground = item.partition("=")
        if not ground:
            console.print(f"[red]--withhold: expected REPORT_ID=GROUND, got {item!r}[/red]")
            raise typer.Exit(2)
        pairs[report_id] = ground
    settings = Settings.from_env()
    with _access(settings, as_user, channel="export") as access:
        try:
            copy, record = Retention(access).subject_access(entity, pairs)
        except (ValidationFailed, Forbidden) as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    output.write_text(json.dumps(copy, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    officer = output.with_name(output.stem + ".officer.json")
    officer.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"subject's copy: {output}; officer's record of withholding: {officer}")


@app.command("backup")
def backup_command(path: Annotated[Path, typer.Argument(help="Backup file to write.")]) -> None:
    """A consistent snapshot of the database (SQLite online backup; PostgreSQL pg_dump), safe while serving."""
    from maxim.store.backup import BackupFailed, backup

    settings = Settings.from_env()
    with _database(settings) as db:
        try:
            backup(db, path)
        except BackupFailed as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    console.print(f"backup written to {path}")


@app.command("restore")
def restore_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Backup file to restore.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: the database's contents are replaced.")] = False,
) -> None:
    """Replace the database with a backup, then verify the audit chain. Stop `maxim serve` first.

    The restored head is signed as a restore checkpoint: the checkpoints of the history the
    backup does not have are set aside, those up to its head must still match.
    """
    from maxim.store.audit import mark_restored, verify
    from maxim.store.backup import BackupFailed, restore

    if not yes:
        console.print("[red]restore replaces everything in the database: add --yes to confirm[/red]")
        raise typer.Exit(2)
    settings = Settings.from_env()
    with _database(settings) as db:
        try:
            restore(db, path)
        except BackupFailed as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
        with db.writer.begin() as conn:
            mark_restored(conn)
        with db.reader.connect() as conn:
            checked, broken = verify(conn)
    if broken is not None:
        console.print(f"[red]restored, but {broken.describe()}[/red]")
        raise typer.Exit(1)
    console.print(f"restored from {path}; audit chain holds ({checked} entries)")


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


def main() -> None:
    """The `maxim` command. A database that is full, read-only or gone ends a command with one
    clear line (and exit status 3), not a traceback; what was committed before the fault stays.
    So does a file that is not UTF-8 text (exit status 2), read before anything is written."""
    from sqlalchemy.exc import OperationalError

    from maxim.store.engine import describe_failure

    try:
        app()
    except UnicodeDecodeError as exc:  # a rules, ledger or referrals file saved in another encoding
        console.print(
            f"[red]a file given is not UTF-8 text (byte {exc.object[exc.start : exc.start + 1]!r} at position "
            f"{exc.start}):[/red] save it as UTF-8 and run the command again; nothing was changed."
        )
        raise SystemExit(2) from None
    except OperationalError as exc:
        console.print(
            f"[red]{describe_failure(exc)}.[/red] Whatever was stored before this is kept; "
            "run the command again once the database is fixed (an ingest skips the reports it already has)."
        )
        raise SystemExit(3) from None


if __name__ == "__main__":  # pragma: no cover
    main()
