"""A partner's spreadsheet as batch rows: `maxim ingest FILE --mapping MAP.yaml`.

Partners send people and vehicles as CSV or Excel, not as intake-format reports. The column
mapping `maxim import table` uses (`maxim.share.tabular`) turns each row into a report; here
those reports become rows of an ordinary batch, so the sheet is ingested with batch semantics
(good rows kept, bad rows rejected one by one) instead of all or nothing. Each row keeps its
spreadsheet number and a locator, so a rejection names the row, the column and the property.

The mapping and the file's shape (its header, the mapped columns) are checked before any row
is read: a bad mapping is refused whole, naming the file, the key and the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from maxim.domain.errors import FieldError
from maxim.intake.batch import Row
from maxim.reference import Reference
from maxim.share import tabular
from maxim.share.imports import ImportRefused, Problem


def read_mapping(mapping: Path, ref: Reference) -> tabular.Mapping_:
    """The checked mapping, or `ImportRefused` naming the mapping file, each bad key and why."""
    try:
        body = mapping.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRefused([Problem(mapping.name, "", "", f"cannot be read as UTF-8 text ({exc})")]) from exc
    return tabular.parse_mapping(body, mapping.name, ref)


def mapped_rows(path: Path, spec: tabular.Mapping_) -> list[Row]:
    """Every data row of a CSV/XLSX file as an intake-format report, in sheet order.

    Refuses the file whole (`ImportRefused`) only when it cannot be read as a table under the
    mapping; a row whose cells overrun the header becomes a row that will be rejected alone.
    Reports received without a date get the file's modification time, so ingesting the same
    file again adds nothing, as `maxim import table` does.
    """
    table = tabular.read_table(path, spec, keep_going=True)
    received_at = datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
    rows = [Row(number, raw, locate=locate) for number, raw, locate in tabular.row_reports(table, spec, received_at)]
    rows += [Row(number, None, FieldError("cells", reason)) for number, reason in table.unreadable]
    return sorted(rows, key=lambda r: r.number)
