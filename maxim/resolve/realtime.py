"""Real-time matching at intake: "do we already know this person?"

Each Person a report names is looked up in Maxim's own blocking index (the same keys the
batch blocking rules use), and every candidate found is scored with the latest run's trained
model applied directly in Python: the prior plus each comparison's weight (log2 of m/u, with
the term-frequency adjustment for exact names). Every weight comes back as an explanation row,
so the analyst sees why ("date of birth agrees exactly: +8.2"). Only mentions the actor may
see are candidates, and the lookup is audited as a consultation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from maxim.intake.statements import ReportRecord
from maxim.resolve.comparisons import COMPARISONS, Comparison, level_index
from maxim.resolve.features import MentionFeatures, features, group_statements, report_contexts
from maxim.store.access import DataAccess
from maxim.store.resolution_access import ResolutionAccess

MIN_PROBABILITY = 0.05


@dataclass(frozen=True, slots=True)
class Explanation:
    comparison: str
    label: str
    weight: float

    def text(self) -> str:
        return f"{self.label}: {self.weight:+.1f}"


@dataclass(frozen=True, slots=True)
class Candidate:
    for_mention: str  # the mention in the submitted report
    mention_id: str  # the known mention it matched best
    canonical_id: str
    caption: str
    match_probability: float
    match_weight: float
    explanation: list[Explanation] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "for_mention": self.for_mention,
            "mention_id": self.mention_id,
            "canonical_id": self.canonical_id,
            "caption": self.caption,
            "match_probability": round(self.match_probability, 4),
            "match_weight": round(self.match_weight, 2),
            "explanation": [
                {"comparison": e.comparison, "label": e.label, "weight": round(e.weight, 2), "text": e.text()}
                for e in self.explanation
            ],
        }


class Scorer:
    """A trained Splink model (its JSON) applied to a pair of features in Python."""

    def __init__(self, model: dict[str, Any], term_frequencies: dict[str, float] | None = None) -> None:
        p = float(model["probability_two_random_records_match"])
        self.prior = math.log2(p / (1 - p))
        self.tf = term_frequencies or {}
        self.levels: dict[str, list[dict[str, Any]]] = {
            c["output_column_name"]: c["comparison_levels"] for c in model["comparisons"]
        }

    def _weight(self, comparison: Comparison, index: int, a: MentionFeatures, b: MentionFeatures) -> float | None:
        levels = self.levels.get(comparison.name)
        if levels is None or index >= len(levels):
            return None
        level = levels[index]
        if level.get("is_null_level"):
            return None
        m, u = level.get("m_probability"), level.get("u_probability")
        if not m or not u:
            return None
        weight = math.log2(m / u)
        tf_col = level.get("tf_adjustment_column")
        if tf_col and self.tf:
            value = getattr(a, tf_col)
            freq = max(self.tf.get(value, 0.0), float(level.get("tf_minimum_u_value") or 0.0))
            if freq > 0:
                weight += float(level.get("tf_adjustment_weight") or 1.0) * math.log2(u / freq)
        return weight

    def score(self, a: MentionFeatures, b: MentionFeatures) -> tuple[float, float, list[Explanation]]:
        total = self.prior
        rows = []
        for comparison in COMPARISONS:
            index = level_index(comparison, a, b)
            weight = self._weight(comparison, index, a, b)
            if weight is None:
                continue
            total += weight
            rows.append(Explanation(comparison.name, comparison.levels[index].label, weight))
        rows.sort(key=lambda e: -abs(e.weight))
        probability = 1 / (1 + 2 ** (-total))
        return probability, total, rows


_SCORERS: dict[str, Scorer] = {}


def scorer_for(run: dict[str, Any]) -> Scorer:
    """The run's model, parsed once per process."""
    found = _SCORERS.get(run["id"])
    if found is None:
        found = Scorer(run["model"], run.get("term_frequencies"))
        _SCORERS.clear()
        _SCORERS[run["id"]] = found
    return found


def _from_json(row: dict[str, Any]) -> MentionFeatures:
    return MentionFeatures(**{**row, "name_tokens": list(row.get("name_tokens") or [])})


def record_mentions(record: ReportRecord) -> dict[str, MentionFeatures]:
    """Features of the Person entities a submitted report names."""
    people = {e["id"]: e.get("caption", "") for e in record.entities if e["schema"] == "Person"}
    rows = [
        (s["entity_id"], s["prop"], s["value"]) for s in record.statements if s["entity_id"] in people and s["valid"]
    ]
    grouped = group_statements(rows)
    contexts = report_contexts(
        (s["entity_id"], s["schema"], s["prop"], s["value"], s.get("identifier_kind"))
        for s in record.statements
        if s["valid"]
    )
    return {eid: features(eid, grouped.get(eid, {}), people[eid], contexts.get(eid, ())) for eid in people}


def candidates_for(access: DataAccess, record: ReportRecord, limit: int = 5) -> list[Candidate]:
    """Known nominals that each Person in `record` may be, best first (at most `limit` each)."""
    res = ResolutionAccess(access)
    run = res.latest_run()
    if run is None or not run.get("model"):
        return []
    scorer = scorer_for(run)
    out: list[Candidate] = []
    for mention_id, f in record_mentions(record).items():
        if not f.comparable:
            continue
        found = res.lookup_keys(f.blocking_keys()) - {mention_id}
        if not found:
            continue
        visible = res.visible_entities(found)
        feats = res.features(visible)
        links = res.links(visible)
        best: dict[str, Candidate] = {}
        for other_id, row in feats.items():
            other = _from_json(row)
            probability, weight, rows = scorer.score(f, other)
            if probability < MIN_PROBABILITY:
                continue
            canonical = links.get(other_id, {}).get("canonical_id", other_id)
            if canonical in best and best[canonical].match_weight >= weight:
                continue
            best[canonical] = Candidate(mention_id, other_id, canonical, other.caption, probability, weight, rows)
        ranked = sorted(best.values(), key=lambda c: (-c.match_weight, c.canonical_id))[:limit]
        out.extend(ranked)
    res.consulted([c.mention_id for c in out], "real-time candidates at intake")
    return out
