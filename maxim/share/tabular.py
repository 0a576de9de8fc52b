"""CSV and Excel in through a column mapping an analyst writes once and reuses.

A mapping is YAML (docs/partner-exchange.md has the full form):

    report:                     # the fields every row's report shares
      originator: NCA
      source_evaluation: "2"
      intelligence_assessment: B
      handling_code: P
      themes: [TRAFFICKING]
      reference_column: Ref     # optional; default "<file>:row <n>", stable for the same file
      received_at_column: Date  # optional; else `received_at`, else the file's date
    columns:                    # column -> Schema.property, or alias:Schema.property
      Name: Person.name
      DOB: Person.birthDate
      VRM: Vehicle.registrationNumber
      Keeper: keeper:Person.name
    roles: {Person: suspect, keeper: other}
    role_details: {keeper: registered keeper}
    links:
      - Vehicle.owner: keeper

Each row becomes one report. The mapping is checked against FollowTheMoney before any row is
read, each row is checked like any report, and every problem names the file, the row (as the
spreadsheet numbers it, header = row 1), the column and the property; nothing is imported
unless every row is good.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from followthemoney import model
from followthemoney.types import registry

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.intake.parse import parse_report
from maxim.reference import Reference
from maxim.share.archive import ArchiveRefused, Limits, SafeZip
from maxim.share.imports import Candidate, ImportRefused, Problem, submit, validate
from maxim.store.access import DataAccess, Submitted

REPORT_CONSTANTS = (
    "kind",
    "originator",
    "source_evaluation",
    "intelligence_assessment",
    "handling_code",
    "handling_conditions",
    "action_code",
    "sanitisation_code",
    "share_with",
    "nim_level",
    "themes",
    "received_at",
    "title",
)
REPORT_COLUMNS = (
    "reference_column",
    "received_at_column",
    "intelligence_date_column",
    "title_column",
    "text_column",
)
MIB = 1024 * 1024
# A partner's workbook: a few sheets of rows. A sheet of a million rows is ~100 MiB of XML.
XLSX_LIMITS = Limits(members=1000, member_bytes=256 * MIB, total_bytes=512 * MIB, archive_bytes=128 * MIB)
XML_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")


@dataclass(frozen=True, slots=True)
class Target:
    column: str
    alias: str
    schema: str
    prop: str


@dataclass(frozen=True, slots=True)
class Mapping_:
    name: str
    sheet: str | None
    constants: dict[str, Any]
    report_columns: dict[str, str]
    targets: tuple[Target, ...]
    schemas: dict[str, str]  # alias -> schema
    roles: dict[str, str]
    role_details: dict[str, str]
    links: tuple[tuple[str, str, str], ...]  # (alias, property, target alias)


@dataclass(slots=True)
class TableRows:
    source: str
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    # Rows that cannot be read as cells under the header (row number, reason); only filled when
    # `read_table(keep_going=True)`, so `maxim ingest` can reject them one by one.
    unreadable: list[tuple[int, str]] = field(default_factory=list)


def _target(value: Any, column: str, name: str, problems: list[Problem]) -> Target | None:
    text = str(value or "").strip()
    alias, _, path = text.rpartition(":")
    schema_name, _, prop_name = path.partition(".")
    where = f"columns.{column}"
    schema = model.get(schema_name)
    if schema is None or not prop_name:
        problems.append(Problem(name, where, text, "must be Schema.property or alias:Schema.property (FollowTheMoney)"))
        return None
    if schema.abstract:
        problems.append(Problem(name, where, text, f"{schema.name} is abstract; use a concrete schema"))
        return None
    prop = schema.get(prop_name)
    if prop is None:
        problems.append(Problem(name, where, text, f"{prop_name!r} is not a property of {schema.name}"))
        return None
    if prop.stub or prop.type == registry.entity:
        problems.append(Problem(name, where, text, "points at another entity; map it under `links` instead"))
        return None
    return Target(column, alias.strip() or schema.name, schema.name, prop.name)


def parse_mapping(body: str, name: str, ref: Reference) -> Mapping_:
    """Check a mapping against FollowTheMoney and the reference data; refuse it naming each entry."""
    problems: list[Problem] = []
    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        raise ImportRefused([Problem(name, "", "", f"is not valid YAML: {exc}")]) from exc
    if not isinstance(data, dict):
        raise ImportRefused([Problem(name, "", "", "must be a mapping with report, columns, roles and links")])
    report = data.get("report") or {}
    if not isinstance(report, dict):
        problems.append(Problem(name, "report", "", "must be a mapping of report fields"))
        report = {}
    constants: dict[str, Any] = {"kind": "partner"}
    columns: dict[str, str] = {}
    for key, value in report.items():
        if key in REPORT_CONSTANTS:
            constants[key] = value
        elif key in REPORT_COLUMNS:
            columns[key] = str(value)
        else:
            problems.append(
                Problem(name, "report", str(key), f"unknown; use {', '.join(REPORT_CONSTANTS + REPORT_COLUMNS)}")
            )
    for required in ("originator", "source_evaluation", "intelligence_assessment", "handling_code"):
        if required not in constants:
            problems.append(Problem(name, "report", required, "is required: a partner's file carries no grading"))
    if "originator" in constants and ref.originator_name(str(constants["originator"])) is None:
        problems.append(Problem(name, "report", "originator", f"{constants['originator']!r} is not a partner or unit"))
    targets: list[Target] = []
    schemas: dict[str, str] = {}
    raw_columns = data.get("columns") or {}
    if not isinstance(raw_columns, dict) or not raw_columns:
        problems.append(Problem(name, "columns", "", "must map at least one column to Schema.property"))
        raw_columns = {}
    for column, value in raw_columns.items():
        target = _target(value, str(column), name, problems)
        if target is None:
            continue
        if schemas.setdefault(target.alias, target.schema) != target.schema:
            problems.append(
                Problem(name, f"columns.{column}", target.alias, f"alias is already a {schemas[target.alias]}")
            )
            continue
        targets.append(target)
    roles = {str(k): str(v) for k, v in (data.get("roles") or {}).items()}
    details = {str(k): str(v) for k, v in (data.get("role_details") or {}).items()}
    for alias, schema_name in schemas.items():
        schema = model.get(schema_name)
        if schema is not None and schema.is_a("Person") and alias not in roles:
            problems.append(
                Problem(
                    name,
                    "roles",
                    alias,
                    f"a Person needs its data-subject category: {', '.join(ref.data_subject_categories)}",
                )
            )
    for alias, role in roles.items():
        if alias not in schemas:
            problems.append(Problem(name, "roles", alias, "is not an entity of the mapping"))
        elif role not in ref.data_subject_categories:
            problems.append(Problem(name, "roles", alias, f"{role!r} is not a data-subject category"))
    links: list[tuple[str, str, str]] = []
    for i, item in enumerate(data.get("links") or []):
        if not isinstance(item, dict) or len(item) != 1:
            problems.append(Problem(name, f"links[{i}]", "", "must be one `alias.property: target alias`"))
            continue
        ((source, target_alias),) = item.items()
        alias, _, prop_name = str(source).partition(".")
        schema = model.get(schemas.get(alias, ""))
        prop = schema.get(prop_name) if schema is not None else None
        if schema is None:
            problems.append(Problem(name, f"links[{i}]", str(source), f"{alias!r} is not an entity of the mapping"))
        elif prop is None or prop.type != registry.entity or prop.stub:
            problems.append(Problem(name, f"links[{i}]", str(source), f"not a link property of {schema.name}"))
        elif str(target_alias) not in schemas:
            problems.append(Problem(name, f"links[{i}]", str(target_alias), "is not an entity of the mapping"))
        elif prop.range is not None and not model.get(schemas[str(target_alias)]).is_a(prop.range):  # type: ignore[union-attr]
            problems.append(Problem(name, f"links[{i}]", str(source), f"must point at a {prop.range.name}"))
        else:
            links.append((alias, prop.name, str(target_alias)))
    if problems:
        raise ImportRefused(problems)
    return Mapping_(
        name=name,
        sheet=str(data["sheet"]) if data.get("sheet") else None,
        constants=constants,
        report_columns=columns,
        targets=tuple(targets),
        schemas=schemas,
        roles=roles,
        role_details=details,
        links=tuple(links),
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _checked_workbook(path: Path) -> bytes:
    """The workbook's bytes once every part has been inflated within `XLSX_LIMITS` and found free of DTDs.

    A workbook is a zip of XML parts. A hostile one hides a zip bomb (a part that inflates to
    gigabytes), an external entity (XXE) or nested entities (billion laughs) in a part; Excel
    never writes a DTD, so a part declaring one is refused before openpyxl parses anything.
    """
    try:
        size = path.stat().st_size
        if size > XLSX_LIMITS.archive_bytes:
            raise ArchiveRefused(f"the file is larger than {XLSX_LIMITS.archive_bytes // MIB} MiB")
        data = path.read_bytes()
        with SafeZip(data, XLSX_LIMITS) as archive:
            for name in archive.names():
                archive.scan(name, XML_FORBIDDEN)
    except ArchiveRefused as exc:
        raise ImportRefused([Problem(path.name, "", "", f"is not an acceptable Excel workbook: {exc}")]) from exc
    except OSError as exc:
        raise ImportRefused([Problem(path.name, "", "", f"cannot be read ({exc.strerror})")]) from exc
    return data


def _xlsx_lines(path: Path, spec: Mapping_) -> list[list[str]]:
    """The cells of the mapped sheet as text; any fault of the workbook is one `ImportRefused`, never a traceback."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    data = _checked_workbook(path)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportRefused([Problem(path.name, "", "", f"is not a readable Excel workbook ({exc})")]) from exc
    try:
        if spec.sheet is not None and spec.sheet not in book.sheetnames:
            raise ImportRefused([Problem(path.name, "sheet", spec.sheet, f"no such sheet; sheets: {book.sheetnames}")])
        sheet = book[spec.sheet] if spec.sheet else book.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except ImportRefused:
        raise
    except Exception as exc:  # the sheet's XML is parsed lazily, row by row: its faults surface here
        raise ImportRefused([Problem(path.name, "", "", f"is not a readable Excel workbook ({exc})")]) from exc
    finally:
        book.close()


def read_table(path: Path, spec: Mapping_, *, keep_going: bool = False) -> TableRows:
    """The rows of a CSV or XLSX file (row numbers as a spreadsheet shows them), checked against the mapping.

    A file that cannot be read, or lacks a mapped column, is refused whole. A row with more
    cells than the header refuses the file too (an import is all or nothing), unless
    `keep_going`: then it is listed in `unreadable`, for an ingest to reject on its own.
    """
    source = path.name
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle)
                lines = list(reader)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ImportRefused([Problem(source, "", "", f"is not a readable UTF-8 CSV file ({exc})")]) from exc
    elif suffix in (".xlsx", ".xlsm"):
        lines = _xlsx_lines(path, spec)
    else:
        raise ImportRefused([Problem(source, "", "", f"unknown file type {suffix!r}; use .csv or .xlsx")])
    if not lines:
        raise ImportRefused([Problem(source, "row 1", "", "is empty: the first row must name the columns")])
    headers = [h.strip() for h in lines[0]]
    table = TableRows(source, headers)
    wanted = [t.column for t in spec.targets] + list(spec.report_columns.values())
    missing = [c for c in wanted if c not in headers]
    if missing:
        raise ImportRefused(
            [Problem(source, "row 1", c, f"is mapped by {spec.name} but is not a column of the file") for c in missing]
        )
    for number, values in enumerate(lines[1:], start=2):
        if not any(str(v).strip() for v in values):
            continue
        if len(values) > len(headers) and any(str(v).strip() for v in values[len(headers) :]):
            reason = "has more cells than the header has columns"
            if not keep_going:
                raise ImportRefused([Problem(source, f"row {number}", "", reason)])
            table.unreadable.append((number, reason))
            continue
        table.rows.append((number, {h: str(v).strip() for h, v in zip(headers, values, strict=False)}))
    return table


@dataclass(frozen=True, slots=True)
class RowLocator:
    """Names a report field's error back to the spreadsheet: the row, and the column and property.

    A plain object rather than a closure, so rows can be parsed in worker processes (`maxim
    ingest --mapping`) and still say which cell was wrong.
    """

    where: str  # "row <n>"
    aliases: tuple[str, ...]  # entity alias at each index of the report's `entities`
    schemas: dict[str, str]  # alias -> schema
    origin: dict[tuple[str, str], str]  # (alias, property) -> column
    report_columns: dict[str, str]  # e.g. reference_column -> column

    def __call__(self, error: FieldError) -> tuple[str, str]:
        if error.field.startswith("entities["):
            index, _, rest = error.field[len("entities[") :].partition("]")
            if index.isdigit() and int(index) < len(self.aliases):
                alias = self.aliases[int(index)]
                prop = rest.removeprefix(".properties.")
                column = self.origin.get((alias, prop))
                label = (
                    f"{self.schemas[alias]}.{prop}"
                    if column is None
                    else f"column {column!r} ({self.schemas[alias]}.{prop})"
                )
                return self.where, label
        for key in ("reference", "received_at", "intelligence_date", "title", "text"):
            if error.field == key and f"{key}_column" in self.report_columns:
                return self.where, f"column {self.report_columns[f'{key}_column']!r} ({key})"
        return self.where, error.field


def _row_report(number: int, row: Mapping[str, str], spec: Mapping_, source: str) -> tuple[dict[str, Any], RowLocator]:
    where = f"row {number}"
    properties: dict[str, dict[str, list[str]]] = {}
    origin: dict[tuple[str, str], str] = {}
    for target in spec.targets:
        value = row.get(target.column, "")
        if value:
            properties.setdefault(target.alias, {}).setdefault(target.prop, []).append(value)
            origin[(target.alias, target.prop)] = target.column
    for alias, prop, target_alias in spec.links:
        if alias in properties and target_alias in properties:
            properties[alias].setdefault(prop, []).append(target_alias)
    entities: list[dict[str, Any]] = []
    for alias in sorted(properties):
        entity: dict[str, Any] = {"id": alias, "schema": spec.schemas[alias], "properties": properties[alias]}
        if alias in spec.roles:
            entity["role"] = spec.roles[alias]
            if alias in spec.role_details:
                entity["role_detail"] = spec.role_details[alias]
        entities.append(entity)
    raw: dict[str, Any] = {k: v for k, v in spec.constants.items()}
    cols = spec.report_columns
    raw["reference"] = row.get(cols["reference_column"], "") if "reference_column" in cols else f"{source}:{where}"
    if "received_at_column" in cols:
        raw["received_at"] = row.get(cols["received_at_column"], "")
    if "intelligence_date_column" in cols:
        raw["intelligence_date"] = row.get(cols["intelligence_date_column"]) or None
    if "title_column" in cols:
        raw["title"] = row.get(cols["title_column"], "")
    raw.setdefault("title", f"{source} {where}")
    if "text_column" in cols:
        raw["text"] = row.get(cols["text_column"], "")
    raw["entities"] = entities
    locate = RowLocator(where, tuple(e["id"] for e in entities), dict(spec.schemas), origin, dict(cols))
    return raw, locate


def row_reports(
    table: TableRows, spec: Mapping_, received_at: datetime | None
) -> Iterator[tuple[int, dict[str, Any], RowLocator]]:
    """Each row as an intake-format report, with its row number and the locator of its cells.

    The one row-to-report conversion: `maxim import table` (all or nothing) and `maxim ingest
    --mapping` (row by row) both go through it, so a mapping means the same in either.
    """
    for number, row in table.rows:
        raw, locate = _row_report(number, row, spec, table.source)
        if not raw.get("received_at") and received_at is not None:
            raw["received_at"] = received_at.isoformat()
        yield number, raw, locate


def candidates(table: TableRows, spec: Mapping_, received_at: datetime | None) -> list[Candidate]:
    return [Candidate(f"row {number}", raw, locate) for number, raw, locate in row_reports(table, spec, received_at)]


def preview(table: TableRows, spec: Mapping_, ref: Reference, limit: int = 5) -> list[dict[str, Any]]:
    """The first rows as they would be imported, each with its problems; stores nothing."""
    shown = []
    for candidate in candidates(TableRows(table.source, table.headers, table.rows[:limit]), spec, datetime.now()):
        cells = []
        for entity in candidate.raw["entities"]:
            for prop, values in entity["properties"].items():
                column = next((t.column for t in spec.targets if t.alias == entity["id"] and t.prop == prop), "(link)")
                for value in values:
                    cells.append(
                        {
                            "entity": entity["id"],
                            "schema": entity["schema"],
                            "property": prop,
                            "value": value,
                            "column": column,
                        }
                    )
        problems: list[str] = []
        try:
            parse_report(candidate.raw, ref)
        except ValidationFailed as exc:
            assert candidate.locate is not None
            problems = [f"{candidate.locate(e)[1]}: {e.reason}" for e in exc.errors]
        shown.append({"row": candidate.where.removeprefix("row "), "cells": cells, "problems": problems})
    return shown


def import_table(
    access: DataAccess,
    table: TableRows,
    spec: Mapping_,
    ref: Reference,
    *,
    received_at: datetime | None = None,
) -> list[Submitted]:
    if not table.rows:
        raise ImportRefused([Problem(table.source, "", "", "has no data rows")])
    inputs = validate(candidates(table, spec, received_at), ref, table.source)
    return submit(access, inputs)


def rows_of(values: Sequence[Sequence[Any]]) -> list[list[str]]:
    """Cells as text, the way `read_table` sees them (for tests and previews of in-memory sheets)."""
    return [[_cell(v) for v in row] for row in values]
