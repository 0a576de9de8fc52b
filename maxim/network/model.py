"""The inputs of the network stage: visible facts, the reports behind them, data-subject links.

Plain values, no I/O: the store adapter (`maxim.store.network_access`) fills them from what the
acting user may see, so a graph built from them holds nothing that user may not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Fact:
    """One visible statement (of a current report)."""

    entity_id: str
    schema: str
    prop: str
    value: str
    identifier_kind: str | None
    valid: bool
    report_id: str


@dataclass(frozen=True, slots=True)
class ReportInfo:
    """A report behind some evidence, with its grading."""

    id: str
    originator: str
    reference: str
    kind: str
    received_at: datetime
    source_evaluation: str
    intelligence_assessment: str
    handling_code: str
    themes: tuple[str, ...] = ()
    text: str = ""
    intelligence_date: date | None = None

    @property
    def grading(self) -> str:
        return f"{self.source_evaluation}{self.intelligence_assessment}{self.handling_code}"

    @property
    def when(self) -> date:
        return self.intelligence_date or self.received_at.date()


@dataclass(frozen=True, slots=True)
class Subject:
    """A data-subject link (DOMAIN §3.5): the category of a person on one report."""

    entity_id: str
    report_id: str
    category: str
