"""`maxim export resolution` and `maxim resolve --help`: every resolved schema, said so (SQLite and
PostgreSQL)."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from maxim.cli import app
from maxim.resolve.run import resolve
from maxim.store.access import DataAccess
from tests.resolve.helpers import p, submit

runner = CliRunner()


def test_the_csv_export_adds_schema_and_note_after_the_first_four_columns(
    access: DataAccess, database_url: str, tmp_path: Path
) -> None:
    person = submit(access, "E/1", p("Arben Hoxha", birthDate=["1979-11-23"]))[0]
    (car,) = submit(
        access, "E/2", {"id": "v1", "schema": "Vehicle", "properties": {"registrationNumber": ["AB12 CDE"]}}
    )
    (same_car,) = submit(
        access, "E/3", {"id": "v1", "schema": "Vehicle", "properties": {"registrationNumber": ["ab12cde"]}}
    )
    resolve(access)
    out = tmp_path / "resolution.csv"
    env = {"MAXIM_DATABASE_URL": database_url, "MAXIM_DATA_DIR": str(tmp_path)}
    result = runner.invoke(app, ["export", "resolution", "--format", "csv", "--output", str(out)], env=env)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["mention_id", "canonical_id", "match_probability", "origin", "schema", "note"]
    by_id = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_id[person]["schema"] == "Person"
    assert by_id[car]["schema"] == by_id[same_car]["schema"] == "Vehicle"
    assert by_id[car]["canonical_id"] == by_id[same_car]["canonical_id"]
    assert (by_id[car]["origin"], by_id[car]["match_probability"]) == ("model", "1.0000")
    assert by_id[car]["note"] == "same registration mark AB12CDE"


def test_resolve_help_names_every_resolved_schema() -> None:
    result = runner.invoke(app, ["resolve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for schema in ("Person", "Vehicle", "Address", "Company", "Organization"):
        assert schema in text, schema
