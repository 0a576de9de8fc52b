from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from maxim.cli import app
from tests.factories import report

runner = CliRunner()


def commands() -> list[list[str]]:
    root = get_command(app)
    found: list[list[str]] = []

    def walk(group: object, path: list[str]) -> None:
        for name, cmd in getattr(group, "commands", {}).items():
            found.append([*path, name])
            walk(cmd, [*path, name])

    walk(root, [])
    return found


@pytest.mark.parametrize("command", commands(), ids=lambda c: " ".join(c))
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_init_ingest_and_export(database_url: str, tmp_path: Path) -> None:
    env = {"MAXIM_DATABASE_URL": database_url, "MAXIM_DATA_DIR": str(tmp_path)}
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps(report()) + "\n" + json.dumps(report(reference="B/2", nim_level=9)) + "\n")
    result = runner.invoke(app, ["ingest", str(batch)], env=env)
    assert result.exit_code == 1
    assert "read 2: 1 new, 0 new versions, 0 unchanged, 1 rejected" in result.output
    assert "row 2: nim_level: must be 1, 2 or 3, got 9" in result.output
    assert (tmp_path / "batch.jsonl.rejects.jsonl").exists()
    out = tmp_path / "statements.jsonl"
    result = runner.invoke(app, ["export", "statements", "--output", str(out)], env=env)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and {r["reference"] for r in rows} == {"LAM/2025/000001"}
    assert {
        "entity_id",
        "schema",
        "prop",
        "value",
        "original_value",
        "report_id",
        "source_evaluation",
    } <= set(rows[0])


def test_commands_on_an_uninitialised_database_say_to_run_init(tmp_path: Path) -> None:
    env = {"MAXIM_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps(report()) + "\n")
    result = runner.invoke(app, ["ingest", str(batch)], env=env)
    assert result.exit_code == 2
    assert "run `maxim init` first" in result.output


def test_acting_as_an_unknown_user_is_refused(database_url: str, tmp_path: Path) -> None:
    env = {"MAXIM_DATABASE_URL": database_url, "MAXIM_DATA_DIR": str(tmp_path)}  # init writes the signing key there
    runner.invoke(app, ["init"], env=env)
    result = runner.invoke(app, ["export", "statements", "--as", "mallory"], env=env)
    assert result.exit_code == 2
    assert "no user 'mallory'" in result.output


def test_audit_review_and_sar_commands(database_url: str, tmp_path: Path) -> None:
    env = {"MAXIM_DATABASE_URL": database_url, "MAXIM_DATA_DIR": str(tmp_path)}
    runner.invoke(app, ["init"], env=env)
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps(report(themes=["MONEY_LAUNDERING"])) + "\n")
    assert runner.invoke(app, ["ingest", str(batch), "--workers", "1"], env=env).exit_code == 0
    verified = runner.invoke(app, ["audit", "verify"], env=env)
    assert verified.exit_code == 0 and "audit chain holds" in verified.output
    assert "COLLECTION" in runner.invoke(app, ["audit", "by-user", "admin", "--since", "2020-01-01"], env=env).output
    created = runner.invoke(
        app, ["user", "add", "bo", "--unit", "BOCU-LAMBETH", "--role", "supervisor", "--name", "Bo"], env=env
    )
    assert created.exit_code == 0 and "password (shown once)" in created.output
    env["MAXIM_PASSWORD"] = created.output.split("password (shown once): ")[1].split()[0]  # `--as bo` needs it
    queue = runner.invoke(app, ["review", "queue", "--as", "bo", "--as-of", "2031-06-01"], env=env)
    assert "LAM/2025/000001" in queue.output and "1 reports due" in queue.output
    decided = runner.invoke(
        app,
        [
            "review",
            "decide",
            "BOCU-LAMBETH",
            "LAM/2025/000001",
            "--decision",
            "dispose",
            "--reason",
            "Not needed",
            "--as",
            "bo",
        ],
        env=env,
    )
    assert decided.exit_code == 0 and "disposed" in decided.output
    refused = runner.invoke(app, ["audit", "verify", "--as", "bo"], env=env)
    assert refused.exit_code == 2 and "needs the role data_protection_officer" in refused.output
    sar = runner.invoke(app, ["sar", "export", "--entity", "nobody", "-o", str(tmp_path / "sar.json")], env=env)
    assert sar.exit_code == 0 and json.loads((tmp_path / "sar.json").read_text())["what_we_hold"] == []


def test_a_file_that_is_not_utf8_ends_a_command_with_one_line_and_changes_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "MAXIM_DATABASE_URL": f"sqlite:///{tmp_path / 'maxim.db'}", "MAXIM_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "maxim.cli", "init"], env=env, check=True, capture_output=True)
    latin = tmp_path / "rules.yaml"
    latin.write_bytes("name: Sévérine\n".encode("latin-1"))
    for args in (["sop", "load", str(latin)], ["funding", "load", str(latin)], ["route", "--dry-run", str(latin)]):
        done = subprocess.run([sys.executable, "-m", "maxim.cli", *args], env=env, capture_output=True, text=True)
        said = " ".join(done.stderr.split())
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr and "is not UTF-8 text" in said and "save it as UTF-8" in said, args
    versions = subprocess.run(
        [sys.executable, "-m", "maxim.cli", "sop", "versions"], env=env, capture_output=True, text=True, check=True
    )
    assert "Sévérine" not in versions.stdout
