from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from maxim.intake.batch import ingest_file
from maxim.reference import load_reference
from maxim.store.access import DataAccess
from maxim.store.engine import Database
from maxim.store.tables import reports, statements
from tests.factories import c_coded, report

REF = load_reference()


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def totals(db: Database) -> tuple[int, int]:
    with db.reader.connect() as conn:
        return (
            int(conn.execute(select(func.count()).select_from(reports)).scalar_one()),
            int(conn.execute(select(func.count()).select_from(statements)).scalar_one()),
        )


@pytest.mark.parametrize("workers", [1, 2])
def test_a_batch_keeps_good_rows_and_writes_rejects_with_reasons(
    workers: int, tmp_path: Path, access: DataAccess, db: Database
) -> None:
    rows: list[object] = [
        report(reference="R/1"),
        report(reference="R/2", source_evaluation="4"),
        "{not json",
        c_coded(reference="R/4"),
        c_coded(reference="R/5", handling_conditions=None, received_at="yesterday"),
    ]
    path = write_jsonl(tmp_path / "batch.jsonl", rows)
    summary = ingest_file(path, access, REF, chunk=2, workers=workers)
    assert (summary.read, summary.created, summary.rejected, summary.ok) == (5, 2, 3, False)
    rejects = [json.loads(line) for line in (tmp_path / "batch.jsonl.rejects.jsonl").read_text().splitlines()]
    assert [(r["row"], r["errors"]) for r in rejects] == [
        (2, ["source_evaluation: must be 1, 2 or 3, got '4'"]),
        (
            3,
            ["line: is not valid JSON: Expecting property name enclosed in double quotes at column 2"],
        ),
        (
            5,
            [
                "received_at: is not a date: 'yesterday'",
                "handling_conditions: handling_code C requires conditions",
            ],
        ),
    ]
    assert rejects[0]["report"]["reference"] == "R/2"  # the row itself, to correct and resubmit
    assert summary.first_errors[0] == "row 2: source_evaluation: must be 1, 2 or 3, got '4'"
    assert totals(db)[0] == 2


@pytest.mark.parametrize("workers", [1, 2])
def test_rerunning_the_same_batch_adds_nothing(workers: int, tmp_path: Path, access: DataAccess, db: Database) -> None:
    path = write_jsonl(tmp_path / "batch.jsonl", [report(reference=f"R/{i}") for i in range(7)])
    first = ingest_file(path, access, REF, chunk=3, workers=workers)
    after_first = totals(db)
    second = ingest_file(path, access, REF, chunk=3, workers=workers)
    assert (first.created, second.created, second.unchanged, second.statements) == (7, 0, 7, 0)
    assert totals(db) == after_first
    assert first.rejects_path is None and not (tmp_path / "batch.jsonl.rejects.jsonl").exists()


def test_statement_count_counts_a_duplicate_in_the_same_chunk_once(
    tmp_path: Path, access: DataAccess, db: Database
) -> None:
    path = write_jsonl(tmp_path / "batch.jsonl", [report(), report(), report(reference="R/2")])
    summary = ingest_file(path, access, REF)
    assert (summary.created, summary.unchanged) == (2, 1)
    assert summary.statements == totals(db)[1]


def test_csv_and_json_batches(tmp_path: Path, access: DataAccess) -> None:
    row = report(reference="CSV/1")
    row["themes"] = "TRAFFICKING;VICE"
    row["entities"] = json.dumps(row["entities"])
    with (tmp_path / "batch.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
        writer.writerow({**row, "reference": "CSV/2", "handling_code": "X"})
    summary = ingest_file(tmp_path / "batch.csv", access, REF)
    assert (summary.created, summary.rejected) == (1, 1)
    assert summary.first_errors == ["row 2: handling_code: must be P or C, got 'X'"]
    (tmp_path / "batch.json").write_text(json.dumps([report(reference="JSON/1"), report(reference="JSON/2")]))
    assert ingest_file(tmp_path / "batch.json", access, REF).created == 2


def test_an_unknown_file_type_is_refused_before_anything_is_read(tmp_path: Path, access: DataAccess) -> None:
    path = tmp_path / "batch.xml"
    path.write_text("<reports/>")
    with pytest.raises(ValueError, match=r"unknown file type '\.xml'; use \.jsonl, \.json or \.csv"):
        ingest_file(path, access, REF)
