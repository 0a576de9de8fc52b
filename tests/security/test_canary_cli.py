"""The CLI canary: an external account (a partner's liaison) gets nothing through the CLI.

The CLI once built its acting user without the `external` flag, so `--as liaison` exported
every statement, counted every report and printed network victim counts that the web showed
that account as zero. Each command here runs as the local administrator first (the positive
control: there is something to leak) and then as the external account, which must receive
nothing: no statement, no entity, no network, no figure drawn from the records.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from maxim.cli import app
from maxim.store.access import DataAccess
from tests.conftest import UserFactory
from tests.factories import person
from tests.network.test_store import _phone_report
from tests.security.test_canary import C_MARKERS, VICTIM_MARKERS, seed

runner = CliRunner()
MARKERS = (*C_MARKERS, *VICTIM_MARKERS, "Canaryn Alpha", "Canaryn Bravo")


@pytest.fixture
def liaison_token(
    database_url: str, access: DataAccess, make_user: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The canary's seed, a P-coded report naming two people who share a phone (a network the
    administrator sees), and the external liaison account with its bearer token."""
    seed(access)
    access.submit(
        [
            _phone_report(
                "SUT/CANARY/3",
                person("n1", "Canaryn Alpha", phone=["07700 900993"]),
                person("n2", "Canaryn Bravo", phone=["07700 900993"]),
                person("n3", "Canaryn Victim", role="victim", phone=["07700 900993"]),
            )
        ]
    )
    monkeypatch.setenv("MAXIM_DATABASE_URL", database_url)
    _, token = make_user("liaison", "UKHTC", "partner_liaison", external=True)
    return token


def run(args: list[str], token: str | None = None) -> Result:
    """`maxim ARGS` as the local administrator, or `--as liaison` with its token."""
    if token is None:
        return runner.invoke(app, args)
    return runner.invoke(app, [*args, "--as", "liaison"], env={"MAXIM_TOKEN": token})


def test_export_statements_gives_an_external_account_nothing(liaison_token: str, tmp_path: Path) -> None:
    control = run(["export", "statements", "--output", str(tmp_path / "admin.jsonl")])
    assert control.exit_code == 0, control.output
    assert "Canaryn Alpha" in (tmp_path / "admin.jsonl").read_text()
    out = tmp_path / "liaison.jsonl"
    result = run(["export", "statements", "--output", str(out)], liaison_token)
    assert result.exit_code == 0, result.output
    assert "0 statements exported" in result.output
    assert out.read_text() == ""


def test_export_ftm_gives_an_external_account_nothing(liaison_token: str, tmp_path: Path) -> None:
    control = run(["export", "ftm", "--output", str(tmp_path / "admin.jsonl")])
    assert control.exit_code == 0, control.output
    assert "Canaryn Alpha" in (tmp_path / "admin.jsonl").read_text()
    out = tmp_path / "liaison.jsonl"
    result = run(["export", "ftm", "--output", str(out)], liaison_token)
    assert result.exit_code == 2 and "external accounts receive packages, not exports" in result.output
    assert not any(marker in out.read_text() for marker in MARKERS)
    assert out.read_text() == ""


def test_networks_show_an_external_account_nothing(liaison_token: str) -> None:
    control = run(["networks"])
    assert control.exit_code == 0, control.output
    assert "\n│ 1 " in control.output  # the administrator's table has a first-ranked network
    result = run(["networks"], liaison_token)
    assert result.exit_code == 0, result.output
    assert "\n│ 1 " not in result.output and "│" not in result.output.split("┡")[-1].split("└")[0]
    assert not any(marker in result.output for marker in MARKERS)


def test_the_committee_report_counts_nothing_for_an_external_account(liaison_token: str, tmp_path: Path) -> None:
    args = ["report", "committee", "--from", "2020-01-01", "--to", "2030-12-31", "--format", "json", "--output"]
    assert run([*args, str(tmp_path / "admin.json")]).exit_code == 0
    result = run([*args, str(tmp_path / "liaison.json")], liaison_token)
    assert result.exit_code == 0, result.output

    def from_records(path: Path) -> dict[str, object]:
        """Every figure drawn from the records (its query reads the reports), by id."""
        built = json.loads(path.read_text(encoding="utf-8"))
        queries = {q for q, spec in built["queries"].items() if "reports" in (spec["sql"] or "")}
        return {f["id"]: f["value"] for f in built["figures"] if f["query"] in queries}

    admin, liaison = from_records(tmp_path / "admin.json"), from_records(tmp_path / "liaison.json")
    assert admin["activity.reports.total"] == 2  # the control: the two P-coded reports (the C one is CO14's)
    assert liaison and set(liaison.values()) == {0}
    text = (tmp_path / "liaison.json").read_text(encoding="utf-8")
    assert not any(marker in text for marker in MARKERS)
