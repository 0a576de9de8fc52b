"""`maxim ingest people.csv --mapping MAP.yaml`: a partner's sheet ingested row by row, then matched.

The mapping is the documented example (docs/examples/people-mapping.yaml), so the example
stays a working one. Names are invented; nobody here is a real person.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import select
from typer.testing import CliRunner, Result

from maxim.cli import app
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.resolve.matches import HEADER
from maxim.resolve.run import resolve
from maxim.store.access import DataAccess
from maxim.store.engine import Database
from maxim.store.resolution_access import ResolutionAccess
from maxim.store.tables import audit_log, reports
from tests.conftest import UserFactory
from tests.factories import c_coded, person
from tests.resolve.helpers import one

ROOT = Path(__file__).parent.parent.parent
MAPPING = ROOT / "docs" / "examples" / "people-mapping.yaml"
HEAD = "Ref,Received,Name,Date of birth,Nationality,Mobile,Passport\n"
runner = CliRunner()


def ingest(database_url: str, tmp_path: Path, *args: object) -> Result:
    env = {"MAXIM_DATABASE_URL": database_url, "MAXIM_DATA_DIR": str(tmp_path)}
    return runner.invoke(app, ["ingest", *(str(a) for a in args)], env=env)


def sheet(tmp_path: Path, body: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def references(db: Database) -> set[str]:
    with db.reader.connect() as conn:
        return set(conn.execute(select(reports.c.reference)).scalars())


def matches(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == HEADER
        return list(reader)


def test_good_rows_are_stored_and_bad_rows_rejected_naming_row_column_and_reason(
    database_url: str, tmp_path: Path, access: DataAccess, db: Database
) -> None:
    path = sheet(
        tmp_path,
        "NCA-P-1,2025-05-01,Testperson Alpha,1984-03-02,gb,07700 900123,\n"
        f"NCA-P-2,2025-05-01,{'X' * 10_001},1979-11-23,al,,\n"
        "NCA-P-3,yesterday,Testperson Gamma,1991-07-14,ro,,\n"
        "NCA-P-4,2025-05-02,Testperson Delta,1988-01-30,vn,,,stray cell\n"
        ",2025-05-02,Testperson Epsilon,1990-02-02,gb,,\n"
        "NCA-P-6,2025-05-02,Testperson Zeta,1975-12-12,gb,,\n",
    )
    # Two workers: the locator that names a column must survive the trip to another process.
    result = ingest(database_url, tmp_path, path, "--mapping", MAPPING, "--workers", "2")
    assert result.exit_code == 1, result.output
    assert "read 6: 2 new, 0 new versions, 0 unchanged, 4 rejected" in result.output
    assert "row 3: column 'Name' (Person.name): has a value longer than 10000 characters" in result.output
    rejects = [json.loads(line) for line in (tmp_path / "people.csv.rejects.jsonl").read_text().splitlines()]
    assert [(r["row"], r["errors"]) for r in rejects] == [
        (3, ["column 'Name' (Person.name): has a value longer than 10000 characters"]),
        (4, ["column 'Received' (received_at): is not a date: 'yesterday'"]),
        (5, ["cells: has more cells than the header has columns"]),
        (6, ["column 'Ref' (reference): is required (the originator's own reference)"]),
    ]
    assert rejects[1]["report"]["entities"][0]["properties"]["name"] == ["Testperson Gamma"]
    assert references(db) == {"NCA-P-1", "NCA-P-6"}
    # The good rows' people are in the matches file; nothing is resolved yet, so no candidates.
    lines = matches(tmp_path / "people.csv.matches.csv")
    assert [(m["row"], m["name"], m["candidate_canonical_id"]) for m in lines] == [
        ("2", "Testperson Alpha", ""),
        ("7", "Testperson Zeta", ""),
    ]
    assert "nothing is resolved yet: run `maxim resolve`" in result.output

    again = ingest(database_url, tmp_path, path, "--mapping", MAPPING, "--workers", "1")
    assert "read 6: 0 new, 0 new versions, 2 unchanged, 4 rejected" in again.output
    assert references(db) == {"NCA-P-1", "NCA-P-6"}


def test_the_example_sheet_ingests_cleanly(database_url: str, tmp_path: Path, access: DataAccess) -> None:
    matches_path = tmp_path / "out" / "m.csv"
    example = ROOT / "docs" / "examples" / "people.csv"
    path = tmp_path / "people.csv"
    path.write_bytes(example.read_bytes())
    result = ingest(database_url, tmp_path, path, "--mapping", MAPPING, "--matches", matches_path, "--workers", "1")
    assert result.exit_code == 0, result.output
    assert access.counts()["reports"] == 4
    assert len(matches(matches_path)) == 4
    assert not (tmp_path / "people.csv.matches.csv").exists()


def test_a_bad_mapping_is_refused_before_any_row_is_read(database_url: str, tmp_path: Path, access: DataAccess) -> None:
    path = sheet(tmp_path, "NCA-P-1,2025-05-01,Testperson Alpha,1984-03-02,gb,,\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "report: {originator: NOWHERE, source_evaluation: '2', intelligence_assessment: B, handling_code: P}\n"
        "columns: {Name: Person.nam, Mobile: Person.phone}\n"
        "roles: {Person: suspect}\n",
        encoding="utf-8",
    )
    result = ingest(database_url, tmp_path, path, "--mapping", bad, "--workers", "1")
    assert result.exit_code == 2, result.output
    assert "people.csv refused, nothing was ingested" in result.output
    assert "bad.yaml report: originator: 'NOWHERE' is not a partner or unit" in result.output
    assert "bad.yaml columns.Name: Person.nam: 'nam' is not a property of Person" in result.output

    not_yaml = tmp_path / "broken.yaml"
    not_yaml.write_text("report: [unclosed\n", encoding="utf-8")
    result = ingest(database_url, tmp_path, path, "--mapping", not_yaml, "--workers", "1")
    assert result.exit_code == 2 and "broken.yaml: is not valid YAML" in result.output

    # A good mapping that names a column the sheet lacks: refused whole too, naming the column.
    lacking = tmp_path / "lacking.csv"
    lacking.write_text("Ref,Received,Name\nNCA-P-1,2025-05-01,Testperson Alpha\n", encoding="utf-8")
    result = ingest(database_url, tmp_path, lacking, "--mapping", MAPPING, "--workers", "1")
    assert result.exit_code == 2
    assert "lacking.csv row 1: Date of birth: is mapped by people-mapping.yaml but is not a column" in result.output

    assert access.counts()["reports"] == 0
    assert not list(tmp_path.glob("*.rejects.jsonl")) and not list(tmp_path.glob("*.matches.csv"))


def test_matches_needs_a_mapping(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text("", encoding="utf-8")
    result = ingest(database_url, tmp_path, path, "--matches", tmp_path / "m.csv")
    assert result.exit_code == 2 and "--matches needs --mapping" in result.output


def test_a_known_person_under_another_spelling_is_a_candidate_and_a_stranger_is_not(
    database_url: str, tmp_path: Path, access: DataAccess, db: Database
) -> None:
    known = one(access, "K/1", "ZHANG Wei", birthDate=["1984-03-02"], phone=["07700 900123"])
    one(access, "K/2", "Wei Zhang", birthDate=["1984-03-02"])
    one(access, "K/3", "Arben Hoxha", birthDate=["1979-11-23"])
    resolve(access)
    canonical = ResolutionAccess(access).links([known])[known]["canonical_id"]
    path = sheet(
        tmp_path,
        "NCA-P-1,2025-05-01,Wei CHANG,1984-03-02,cn,,\nNCA-P-2,2025-05-01,Testperson Unrelated,1990-01-01,gb,,\n",
    )
    result = ingest(database_url, tmp_path, path, "--mapping", MAPPING, "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "1 of 2 rows matched a known nominal" in result.output
    lines = matches(tmp_path / "people.csv.matches.csv")
    first = [m for m in lines if m["row"] == "2"]
    assert first and first[0]["name"] == "Wei CHANG" and first[0]["mention_id"].startswith("m")
    assert canonical in {m["candidate_canonical_id"] for m in first}
    best = next(m for m in first if m["candidate_canonical_id"] == canonical)
    assert float(best["match_probability"]) > 0.5
    assert "date of birth agrees exactly: +" in best["explanation"]
    assert [(m["name"], m["candidate_canonical_id"], m["match_probability"]) for m in lines if m["row"] == "3"] == [
        ("Testperson Unrelated", "", "")
    ]
    # The look-up is a read like any other: audited for the acting user, on the CLI's channel.
    with db.reader.connect() as conn:
        consulted = conn.execute(
            select(audit_log.c.username, audit_log.c.channel, audit_log.c.object_ids).where(
                audit_log.c.operation == "CONSULTATION",
                audit_log.c.object_type == "entity",
                audit_log.c.channel == "cli",
            )
        ).all()
    assert [(u, c) for u, c, _ in consulted] == [("admin", "cli")]
    assert best["candidate_canonical_id"] and consulted[0].object_ids


def test_only_people_the_user_may_see_are_candidates(
    database_url: str, tmp_path: Path, access: DataAccess, make_user: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Known only from handling-code C material shared with the clearinghouse, not with SCD6-HTT.
    raw = c_coded(reference="K/C1", entities=[person("p1", "ZHANG Wei", birthDate=["1984-03-02"])])
    now = datetime(2025, 6, 1, tzinfo=UTC)
    access.submit([build_record(parse_report(raw, load_reference()), received_by="test", now=now)])
    resolve(access)
    # An administrator may load NCA's sheet without being NCA's intake point (SCD6-MAXIM).
    make_user("ola", "SCD6-HTT", "analyst", "administrator")
    monkeypatch.setenv("MAXIM_PASSWORD", UserFactory.PASSWORD)  # acting `--as ola` needs ola's credentials
    row = "NCA-P-1,2025-05-01,Wei CHANG,1984-03-02,cn,,\n"
    hidden = ingest(
        database_url, tmp_path, sheet(tmp_path, row, "a.csv"), "--mapping", MAPPING, "--as", "ola", "--workers", "1"
    )
    assert hidden.exit_code == 0, hidden.output
    assert [m["candidate_canonical_id"] for m in matches(tmp_path / "a.csv.matches.csv")] == [""]
    seen = ingest(database_url, tmp_path, sheet(tmp_path, row, "b.csv"), "--mapping", MAPPING, "--workers", "1")
    assert seen.exit_code == 0, seen.output
    assert [m["candidate_canonical_id"] != "" for m in matches(tmp_path / "b.csv.matches.csv")] == [True]


def test_an_excel_sheet_is_ingested_the_same_way(
    database_url: str, tmp_path: Path, access: DataAccess, db: Database
) -> None:
    book = Workbook()
    sheet_ = book.active
    assert sheet_ is not None
    sheet_.append(HEAD.strip().split(","))
    sheet_.append(["NCA-X-1", datetime(2025, 5, 1), "Testperson Alpha", datetime(1984, 3, 2), "gb", "07700 900123", ""])
    sheet_.append(["NCA-X-2", "last week", "Testperson Beta", datetime(1979, 11, 23), "al", "", ""])
    path = tmp_path / "people.xlsx"
    book.save(path)
    result = ingest(database_url, tmp_path, path, "--mapping", MAPPING, "--workers", "1")
    assert result.exit_code == 1, result.output
    rejects = [json.loads(line) for line in (tmp_path / "people.xlsx.rejects.jsonl").read_text().splitlines()]
    assert [(r["row"], r["errors"]) for r in rejects] == [
        (3, ["column 'Received' (received_at): is not a date: 'last week'"])
    ]
    assert references(db) == {"NCA-X-1"}
    assert [m["row"] for m in matches(tmp_path / "people.xlsx.matches.csv")] == ["2"]
