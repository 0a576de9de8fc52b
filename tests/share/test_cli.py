"""The share and import commands end to end through Typer (the lead mounts them on `maxim`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from maxim.share.cli import export_ftm, import_app, share_app
from maxim.store.access import DataAccess
from tests.conftest import UserFactory
from tests.factories import c_coded, report
from tests.share.helpers import submit

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(share_app, name="share")
    app.add_typer(import_app, name="import")
    export = typer.Typer()
    export.command("ftm")(export_ftm)
    app.add_typer(export, name="export")
    return app


def test_package_consult_withdraw_ack_export_and_import_from_the_command_line(
    access: DataAccess, make_user: UserFactory, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAXIM_DATABASE_URL", database_url)
    monkeypatch.setenv("MAXIM_SIGNING_KEY", str(tmp_path / "keys" / "signing.key"))
    monkeypatch.setenv("MAXIM_PASSWORD", UserFactory.PASSWORD)  # acting `--as liz` needs liz's credentials
    make_user("liz", "SCD6-MAXIM", "partner_liaison")
    rid = submit(access, report())
    s2 = submit(access, c_coded(reference="LAM/S2", sanitisation_code="S2"))
    app = _app()
    zip_path = tmp_path / "p.zip"
    args = [
        "share",
        "package",
        "--to",
        "NCA",
        "--report",
        rid,
        "--report",
        s2,
        "--output",
        str(zip_path),
        "--as",
        "liz",
    ]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and "consulted" in refused.output and not zip_path.exists()
    ok = runner.invoke(
        app,
        [
            "share",
            "consult",
            s2,
            "--to",
            "NCA",
            "--consulted",
            "BOCU-LAMBETH DI",
            "--outcome",
            "approved",
            "--as",
            "liz",
        ],
    )
    assert ok.exit_code == 0, ok.output
    made = runner.invoke(app, args)
    assert made.exit_code == 0, made.output
    package_id = made.output.split()[0]
    assert (
        runner.invoke(app, ["share", "withdraw", package_id, rid, "--reason", "retracted", "--as", "liz"]).exit_code
        == 0
    )
    assert runner.invoke(app, ["share", "ack", package_id, "--by", "NCA hub", "--as", "liz"]).exit_code == 0
    shown = runner.invoke(app, ["share", "show", package_id, "--as", "liz"])
    assert "withdrawn" in shown.output and "acknowledged by NCA hub" in shown.output

    out = tmp_path / "all.jsonl"
    exported = runner.invoke(app, ["export", "ftm", "--output", str(out)])
    assert exported.exit_code == 0, exported.output
    assert all(json.loads(line)["schema"] for line in out.read_text().splitlines())

    # This installation plays the recipient too: it registers its own public key as OTHER-FORCE's.
    public = tmp_path / "ours.pem"
    assert runner.invoke(app, ["share", "key", "export", "--output", str(public)]).exit_code == 0
    added = runner.invoke(app, ["share", "key", "add", "OTHER-FORCE", str(public)])
    assert added.exit_code == 0 and "registered for OTHER-FORCE" in added.output, added.output
    imported = runner.invoke(app, ["import", "package", str(zip_path), "--from", "OTHER-FORCE"])
    assert imported.exit_code == 0, imported.output
    assert "2 new" in imported.output
    again = runner.invoke(app, ["import", "ftm", str(out), "--from", "NCA"])
    assert again.exit_code == 0, again.output  # graded from Maxim's own context on every entity
    assert "new" in again.output
    mapping = tmp_path / "m.yaml"
    mapping.write_text("report: {originator: NCA}\ncolumns: {Name: Person.nmae}\n")
    table = tmp_path / "t.csv"
    table.write_text("Name\nTestperson\n")
    bad = runner.invoke(app, ["import", "table", str(table), "--mapping", str(mapping), "--preview"])
    assert bad.exit_code == 1 and "'nmae' is not a property of Person" in bad.output
