"""The matches file: for each person a partner's sheet names, the known nominals it may be.

A partner sends a sheet of people so it can be resolved against what Maxim already holds.
After each row is stored, its Person mentions go through real-time matching
(`maxim.resolve.realtime.candidates_for`: the latest run's model, the blocking index, only
mentions the acting user may see, the look-up audited as a consultation), and each candidate
becomes one line of a CSV an analyst can open, sort and check against the explanation:

    row, mention_id, name, candidate_canonical_id, match_probability, explanation

A person with no candidate still gets one line, with the candidate empty, so every person in
the sheet is accounted for and "no match" is visible rather than a missing line.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from maxim.domain.spreadsheet import csv_row
from maxim.intake.statements import ReportRecord
from maxim.resolve.realtime import Candidate, candidates_for
from maxim.store.access import DataAccess
from maxim.store.resolution_access import ResolutionAccess

HEADER = ("row", "mention_id", "name", "candidate_canonical_id", "match_probability", "explanation")


@dataclass(slots=True)
class MatchSummary:
    path: Path
    resolved: bool  # False when no resolution run has trained a model yet: nothing can match
    people: int = 0  # Person mentions looked up
    rows: int = 0  # rows naming at least one person
    matched_rows: int = 0  # rows with at least one person that may be a known nominal
    candidates: int = 0


class MatchWriter:
    """Writes the matches file row by row as rows are stored (`ingest_file(on_stored=...)`)."""

    def __init__(self, access: DataAccess, path: Path) -> None:
        self.access = access
        run = ResolutionAccess(access).latest_run()
        self.summary = MatchSummary(path, resolved=bool(run and run.get("model")))
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle, lineterminator="\n")
        self._writer.writerow(HEADER)  # every row below goes through csv_row: partner text is never a formula

    def add(self, row: int, record: ReportRecord) -> None:
        """Match the people one stored row names and write their lines."""
        people = {e["id"]: str(e.get("caption") or "") for e in record.entities if e["schema"] == "Person"}
        if not people:
            return
        found: dict[str, list[Candidate]] = {}
        if self.summary.resolved:
            for candidate in candidates_for(self.access, record):
                found.setdefault(candidate.for_mention, []).append(candidate)
        self.summary.rows += 1
        self.summary.people += len(people)
        if any(found.get(m) for m in people):
            self.summary.matched_rows += 1
        for mention_id, name in people.items():
            ranked = found.get(mention_id, [])
            if not ranked:
                self._writer.writerow(csv_row([row, mention_id, name, "", "", ""]))
            for candidate in ranked:
                self.summary.candidates += 1
                self._writer.writerow(
                    csv_row(
                        [
                            row,
                            mention_id,
                            name,
                            candidate.canonical_id,
                            f"{candidate.match_probability:.4f}",
                            "; ".join(e.text() for e in candidate.explanation),
                        ]
                    )
                )

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> MatchWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
