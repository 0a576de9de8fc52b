"""JSONL lines are decoded in the processes that parse them, with the same rows and reasons as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maxim.intake.batch import Line, ingest_file, read_rows
from maxim.reference import load_reference
from maxim.store.access import DataAccess
from tests.factories import report

REF = load_reference()


def test_a_line_decodes_to_the_row_read_rows_gives(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text(json.dumps(report()) + "\n\n   \n{broken\n", encoding="utf-8")
    rows = list(read_rows(path))
    assert [r.number for r in rows] == [1, 4]  # blank lines are skipped but still counted
    assert Line(1, json.dumps(report()) + "\n").row() == rows[0]
    assert Line(4, "{broken\n").row() == rows[1]
    assert rows[1].raw == "{broken" and rows[1].error is not None
    assert (
        str(rows[1].error) == "line: is not valid JSON: Expecting property name enclosed in double quotes at column 2"
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_rejected_lines_keep_their_numbers_and_text(workers: int, tmp_path: Path, access: DataAccess) -> None:
    path = tmp_path / "batch.jsonl"
    lines = [json.dumps(report(reference="L/1")), "", "[1, 2", json.dumps(report(reference="L/2", kind="nope"))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = ingest_file(path, access, REF, chunk=2, workers=workers)
    assert (summary.read, summary.created, summary.rejected) == (3, 1, 2)
    rejects = [json.loads(line) for line in (tmp_path / "batch.jsonl.rejects.jsonl").read_text().splitlines()]
    assert [(r["row"], r["report"] if r["row"] == 3 else r["report"]["reference"]) for r in rejects] == [
        (3, "[1, 2"),
        (4, "L/2"),
    ]
