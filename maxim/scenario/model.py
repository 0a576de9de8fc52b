"""Public records of the scenario: truth rows and the summary of a written scenario."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class TruthRow:
    """The true identity behind one Person mention (one Person entity in one report)."""

    originator: str
    reference: str
    local_id: str  # with originator and reference, identifies the mention
    person_id: str  # the true identity, e.g. "P000123"
    network_id: str | None  # None for people outside any network (bystanders)
    role: str  # controller, recruiter, ..., victim, migrant, customer, bystander
    is_child: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "originator": self.originator,
            "reference": self.reference,
            "local_id": self.local_id,
            "person_id": self.person_id,
            "network_id": self.network_id,
            "role": self.role,
            "is_child": self.is_child,
        }


@dataclass(frozen=True)
class ScenarioSummary:
    """Counts of a written scenario (also written as summary.json)."""

    seed: int
    reports: int  # lines in reports.jsonl, versions and duplicates included
    unique_reports: int  # distinct originator + reference
    corrections: int  # resubmitted corrected versions (same key, changed text)
    duplicates: int  # exact resubmissions (same key, same content)
    statements: int  # entity property values over all lines
    person_mentions: int  # Person entities over all lines
    truth_rows: int  # lines in truth.jsonl (one per mention of a first version)
    persons: int  # distinct true people mentioned
    networks: int
    by_kind: dict[str, int] = field(default_factory=dict)
    by_originator: dict[str, int] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "reports": self.reports,
            "unique_reports": self.unique_reports,
            "corrections": self.corrections,
            "duplicates": self.duplicates,
            "statements": self.statements,
            "person_mentions": self.person_mentions,
            "truth_rows": self.truth_rows,
            "persons": self.persons,
            "networks": self.networks,
            "by_kind": self.by_kind,
            "by_originator": self.by_originator,
            "rates": self.rates,
            "counts": self.counts,
        }
