"""Ingest a batch file of reports: keep the good rows, write the rejected ones with reasons.

Reads JSONL, JSON or CSV as a stream; each row is parsed and validated on its own, so one bad
row never costs the others. Valid reports are stored in chunks, each chunk one transaction,
so a crash leaves whole reports or none. Rejected rows go to a rejects file (the row and its
reasons, as JSONL) that can be corrected and fed back in.
"""

from __future__ import annotations

import csv
import ctypes
import json
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import IO, Any

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.domain.originator import originator_refusal
from maxim.intake.parse import parse_report
from maxim.intake.statements import ReportRecord, build_record
from maxim.reference import Reference
from maxim.store.access import Actor, DataAccess, Outcome

CHUNK = 500
#: A batch that stored at least this many statements refreshes PostgreSQL's planner statistics at its end.
ANALYZE_AFTER = 10_000


@dataclass
class BatchSummary:
    read: int = 0
    created: int = 0
    new_versions: int = 0
    unchanged: int = 0
    rejected: int = 0
    statements: int = 0
    rejects_path: Path | None = None
    first_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rejected == 0


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # 1-based line (JSONL), item (JSON) or data row (CSV); spreadsheet row when mapped
    raw: Any
    error: FieldError | None = None
    # Names a field's error back to where it came from, e.g. a spreadsheet's column and property
    # (`maxim.share.tabular.RowLocator`); must pickle, as rows are parsed in worker processes.
    locate: Callable[[FieldError], tuple[str, str]] | None = None

    def reason(self, error: FieldError) -> str:
        """One reason the row was refused, naming the field as the row's source knows it."""
        if self.locate is None:
            return str(error)
        return f"{self.locate(error)[1]}: {error.reason}"


def read_rows(path: Path) -> Iterator[Row]:
    """Rows of a batch file by its suffix; a row that is not even JSON is returned with its error."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as handle:
            yield from _jsonl_rows(handle)
    elif suffix == ".json":
        with path.open(encoding="utf-8") as handle:
            try:
                data = json.load(handle)
            except json.JSONDecodeError as exc:
                yield Row(1, None, FieldError("file", f"is not valid JSON: {exc.msg} (line {exc.lineno})"))
                return
        for i, item in enumerate(data if isinstance(data, list) else [data], start=1):
            yield Row(i, item)
    elif suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            for i, item in enumerate(csv.DictReader(handle), start=1):
                yield Row(i, {k: v for k, v in item.items() if k is not None and v not in (None, "")})
    else:
        raise ValueError(f"{path}: unknown file type {suffix!r}; use .jsonl, .json or .csv")


@dataclass(frozen=True, slots=True)
class Line:
    """A line of a JSONL file, not yet decoded.

    `ingest_file` hands lines, not decoded rows, to the processes that parse them: decoding
    there takes that work off the one process that writes, and a line crosses to a worker as
    one string where a decoded row crossed as a tree of dicts and lists.
    """

    number: int  # 1-based line in the file
    text: str

    def row(self) -> Row:
        """The decoded row, or the row with its error if the line is not JSON."""
        try:
            return Row(self.number, json.loads(self.text))
        except json.JSONDecodeError as exc:
            return Row(
                self.number,
                self.text.rstrip("\n"),
                FieldError("line", f"is not valid JSON: {exc.msg} at column {exc.colno}"),
            )


def _jsonl_lines(handle: IO[str]) -> Iterator[Line]:
    for i, line in enumerate(handle, start=1):
        if line.strip():
            yield Line(i, line)


def _jsonl_rows(handle: IO[str]) -> Iterator[Row]:
    for line in _jsonl_lines(handle):
        yield line.row()


def _source(path: Path) -> Iterator[Row | Line]:
    """What `ingest_file` reads from a batch file: JSONL as undecoded lines, the rest as rows."""
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as handle:
            yield from _jsonl_lines(handle)
    else:
        yield from read_rows(path)


Prepared = tuple[int, ReportRecord | None, Any, list[str]]


def prepare(items: Sequence[Row | Line], actor: Actor, ref: Reference) -> list[Prepared]:
    """Parse and build a chunk of rows: (row number, record or None, raw row if refused, reasons).

    Pure and picklable, so it runs in worker processes while the main process writes. A row whose
    originator the actor may not submit as is refused here, on its own, as `DataAccess.submit`
    would refuse its whole chunk.
    """
    now = datetime.now(UTC)
    out: list[Prepared] = []
    for item in items:
        row = item.row() if isinstance(item, Line) else item
        try:
            if row.error is not None:
                raise ValidationFailed([row.error])
            parsed = parse_report(row.raw, ref)
            refusal = originator_refusal(parsed.originator, actor.unit, actor.roles, ref)
            if refusal is not None:
                raise ValidationFailed([refusal])
            record = build_record(parsed, received_by=actor.username, now=now)
            out.append((row.number, record, None, []))
        except ValidationFailed as exc:
            out.append((row.number, None, row.raw, [row.reason(e) for e in exc.errors]))
    return out


def _chunks(rows: Iterator[Row | Line], size: int) -> Iterator[list[Row | Line]]:
    chunk: list[Row | Line] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def die_with_parent() -> None:
    """Have Linux kill this process when its parent dies (prctl PR_SET_PDEATHSIG); elsewhere a no-op."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def _prepared(
    chunks: Iterator[list[Row | Line]], actor: Actor, ref: Reference, workers: int
) -> Iterator[list[Prepared]]:
    """Prepared chunks in file order; with workers > 1, parsed in other processes, a few chunks ahead."""
    if workers <= 1:
        for chunk in chunks:
            yield prepare(chunk, actor, ref)
        return
    # forkserver, not fork: a forked worker would inherit the parent's database socket and the
    # write ends of its pipes, so if the parent were killed the workers would live on and keep
    # its transaction (and locks) open on the server.
    context = get_context("forkserver")
    context.set_forkserver_preload(["maxim.intake.forkserver_init"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=die_with_parent) as pool:
        pending: deque[Future[list[Prepared]]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(prepare, chunk, actor, ref))
            if len(pending) >= workers * 2:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def ingest_file(
    path: Path,
    access: DataAccess,
    ref: Reference,
    *,
    rejects_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
    workers: int = 1,
    after_store: Callable[[list[str]], object] | None = None,
    rows: Iterable[Row] | None = None,
    on_stored: Callable[[int, ReportRecord], object] | None = None,
) -> BatchSummary:
    """Ingest one batch file through the data-access layer; returns what happened to every row.

    Each chunk of valid reports is one transaction, written in file order whatever `workers`
    is, so the store ends the same however many processes parsed it. `after_store` hears, in one
    call per committed chunk, of the reports it stored (new reports and new versions, in file
    order, each once), so later stages (deconfliction and the stored networks' update) run once
    per chunk rather than once per report. `rows` replaces reading `path` by its suffix (a
    spreadsheet read through a column mapping); `on_stored` hears of every good row (its number
    and record) once its chunk is committed, new or unchanged, so a later step such as matching
    sees the same rows whether or not the file was ingested before.
    """
    summary = BatchSummary()
    rejects_path = rejects_path or path.with_name(path.name + ".rejects.jsonl")
    rejects: IO[str] | None = None
    source: Iterator[Row | Line] = iter(rows) if rows is not None else _source(path)
    # Many commits in a row: SQLite checkpoints its log less often until the batch ends.
    with access.db.batch_writes():
        try:
            for prepared in _prepared(_chunks(source, chunk), access.actor, ref, workers):
                records = [record for _, record, _, _ in prepared if record is not None]
                stored: dict[str, None] = {}  # report ids in file order, each once
                for result in access.submit(records):
                    if result.outcome == Outcome.UNCHANGED:
                        summary.unchanged += 1
                        continue
                    stored[result.report_id] = None
                    if result.outcome == Outcome.CREATED:
                        summary.created += 1
                    else:
                        summary.new_versions += 1
                if after_store is not None and stored:  # the chunk is committed: later stages hear of it
                    after_store(list(stored))
                # A duplicate within the chunk shares its report id with the stored one: count it once.
                summary.statements += sum(
                    len(r.statements) for r in {r.report["id"]: r for r in records}.values() if r.report["id"] in stored
                )
                summary.read += len(prepared)
                for number, record, raw, reasons in prepared:
                    if record is not None:
                        if on_stored is not None:
                            on_stored(number, record)
                        continue
                    summary.rejected += 1
                    if rejects is None:
                        rejects_path.parent.mkdir(parents=True, exist_ok=True)
                        rejects = rejects_path.open("w", encoding="utf-8")
                        summary.rejects_path = rejects_path
                    line = json.dumps({"row": number, "errors": reasons, "report": raw}, ensure_ascii=False)
                    rejects.write(line + "\n")
                    if len(summary.first_errors) < 20:
                        summary.first_errors.extend(f"row {number}: {r}" for r in reasons)
                if progress:
                    progress(len(prepared))
        finally:
            if rejects is not None:
                rejects.close()
    if summary.statements >= ANALYZE_AFTER:
        access.db.refresh_statistics()
    return summary
