"""`maxim route --dry-run FILE`, `maxim sop load` and `maxim referrals alerts` through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from maxim.route.cli import app, referrals_app, sop_app
from maxim.route.rules import shipped_text
from tests.route.helpers import facts_data

runner = CliRunner()


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_dry_run_prints_each_decision_as_json(tmp_path: Path) -> None:
    rows = [
        {"reference": "A", **facts_data()},
        {
            "reference": "B",
            **facts_data(setting="PORT_OF_ENTRY_HEATHROW", travel_documents="NONE", national_security_indicators=True),
        },
        {"reference": "C", **facts_data(exploitation_types=["L1"], found_borough="BOCU-SUTTON")},
    ]
    result = runner.invoke(
        app, ["--dry-run", str(write_jsonl(tmp_path / "r.jsonl", rows)), "--format", "json", "--load", "SCD6-HTT=25"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [(d["input"], d["decision"]["target"], d["decision"]["rule_id"]) for d in lines] == [
        ("A", "BOCU-LAMBETH", "borough-with-maxim-advice"),
        ("B", "SO18-HSU", "heathrow-arrival-without-documents"),
        ("C", "BOCU-SUTTON", "borough-with-maxim-advice"),
    ]
    assert lines[0]["decision"]["steps"][4]["reason"] == "SCD6-HTT at capacity (25 open of 25)"
    assert lines[1]["decision"]["notifications"][0]["unit"] == "CT"


def test_dry_run_table_and_a_refused_row(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps([facts_data(), facts_data(referral_route="PIGEON")]), encoding="utf-8")
    result = runner.invoke(app, ["--dry-run", str(path)])
    assert result.exit_code == 1
    assert "SCD6-HTT by rule sexual-exploitation-referred-to-htt" in result.stdout
    assert "conditions not met" in result.stdout
    assert "row 2: refused: referral_route: must be one of" in result.output
    assert "2 referrals read, 1 routed (dry run: nothing stored), 1 refused" in result.output


def test_dry_run_tries_a_new_rule_file_and_accumulates_load(tmp_path: Path) -> None:
    rules = tmp_path / "sop-next.yaml"
    rules.write_text(shipped_text().replace('version: "2026-11-29.1"', 'version: "next"'), encoding="utf-8")
    rows = [facts_data() for _ in range(3)]
    result = runner.invoke(
        app,
        [
            "--dry-run",
            str(write_jsonl(tmp_path / "r.jsonl", rows)),
            "--format",
            "json",
            "--rules",
            str(rules),
            "--load",
            "SCD6-HTT=24",
            "--accumulate",
        ],
    )
    assert result.exit_code == 0, result.output
    decisions = [json.loads(line)["decision"] for line in result.stdout.splitlines() if line.startswith("{")]
    assert [d["target"] for d in decisions] == ["SCD6-HTT", "BOCU-LAMBETH", "BOCU-LAMBETH"]
    assert {d["rule_set_version"] for d in decisions} == {"next"}


def test_a_refused_rule_file_names_line_and_reason(tmp_path: Path) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text(shipped_text().replace("target: CO14", "target: CO99"), encoding="utf-8")
    result = runner.invoke(
        app, ["--dry-run", str(write_jsonl(tmp_path / "r.jsonl", [facts_data()])), "--rules", str(rules)]
    )
    assert result.exit_code == 2
    assert "bad.yaml refused: line" in result.output and "unknown unit 'CO99'" in result.output


def test_sop_load_keeps_the_previous_version_when_refused(database_url: str, tmp_path: Path) -> None:
    from maxim.cli import app as main_app

    env = {"MAXIM_DATABASE_URL": database_url, "MAXIM_DATA_DIR": str(tmp_path)}
    assert runner.invoke(main_app, ["init"], env=env).exit_code == 0
    good = tmp_path / "sop.yaml"
    good.write_text(shipped_text(), encoding="utf-8")
    result = runner.invoke(sop_app, ["load", str(good)], env=env)
    assert result.exit_code == 0, result.output
    assert "rule set 2026-11-29.1 active" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        shipped_text()
        .replace('"2026-11-29.1"', '"x"')
        .replace("fall_through: child-to-borough-where-found", "fall_through: nowhere"),
        encoding="utf-8",
    )
    result = runner.invoke(sop_app, ["load", str(bad)], env=env)
    assert result.exit_code == 2
    assert "fall_through names unknown rule 'nowhere'" in result.output
    assert "the previous rule set stays active" in result.output
    result = runner.invoke(sop_app, ["versions"], env=env)
    assert "* 2026-11-29.1" in result.output and " x " not in result.output
    assert runner.invoke(sop_app, ["show"], env=env).exit_code == 0
    result = runner.invoke(referrals_app, ["alerts"], env=env)
    assert result.exit_code == 0 and "0 new SLA alerts" in result.output
