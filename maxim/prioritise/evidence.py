"""What the visible reports evidence for the harm score, indexed by node and by report. Pure.

Behaviour and intelligence only: victims (data-subject category `victim`) and children among them
(any date of birth that makes them under 18 on the report's date, or a victim named in a sentence
that says child), exploitation (report themes and typology keywords), violence, weapons and
document fraud (keywords in report text, sentence by sentence: a sentence naming a person
attributes the finding to that person), money (payments in GBP, SARs), reach (originators,
national agencies, countries of accounts and addresses), grading and recency of the reports.
`maxim.network.harm.HarmFacts.from_index` turns this index into the arrays the one scorer reads.
Protected characteristics never reach here: the fold drops them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from maxim.network.fold import Folded, Mention
from maxim.network.model import ReportInfo
from maxim.network.sentences import named_by_sentence, split_sentences
from maxim.prioritise.config import HarmConfig

LEAD_KINDS = frozenset({"phone", "email", "vehicle", "address", "account", "passport"})
FINDINGS = ("violence", "weapons", "document_fraud", "child")


@dataclass(slots=True)
class ReportFindings:
    """Keyword findings of one report: which persons each is attributed to (None: the report)."""

    found: dict[str, set[str] | None] = field(default_factory=dict)  # finding -> nodes, or None
    exploitation: set[str] = field(default_factory=set)


def _age_on(birth: str, on: date) -> int | None:
    try:
        born = date.fromisoformat(birth[:10]) if len(birth) >= 10 else None
    except ValueError:
        born = None
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _has(text: str, words: Iterable[str]) -> bool:
    return any(w in text for w in words)


class EvidenceIndex:
    """One fold's reports behind each node, findings per report, victims, children and countries:
    built once per analysis and read by the scorer for every subject together."""

    def __init__(self, folded: Folded, reports: Sequence[ReportInfo], config: HarmConfig) -> None:
        self.folded = folded
        self.config = config
        self.reports = {r.id: r for r in reports}
        self.node_reports: dict[str, set[str]] = defaultdict(set)  # the reports behind each node
        for a, b, _rel, rid in folded.records:
            self.node_reports[a].add(rid)
            self.node_reports[b].add(rid)
        self.report_mentions: dict[str, list[Mention]] = defaultdict(list)
        for m in folded.mentions:
            self.node_reports[m.node].add(m.report_id)
            self.report_mentions[m.report_id].append(m)
        self.findings = {rid: self._analyse(r) for rid, r in self.reports.items()}
        self.victims: set[str] = set()
        self.children: set[str] = set()
        for m in folded.mentions:
            if "victim" not in m.categories:
                continue
            self.victims.add(m.node)
            report = self.reports.get(m.report_id)
            on = report.when if report else None
            ages = [_age_on(b, on) for b in m.birth_dates] if on else []
            child_named = (f := self.findings.get(m.report_id)) is not None and m.node in (f.found.get("child") or ())
            if any(a is not None and a < 18 for a in ages) or child_named:
                self.children.add(m.node)
        self.countries: dict[str, set[str]] = defaultdict(set)
        for node, country, _rid in folded.countries:
            self.countries[node].add(country)

    def _analyse(self, report: ReportInfo) -> ReportFindings:
        out = ReportFindings()
        mentions = self.report_mentions.get(report.id, [])
        names = [(m.node, [n.casefold() for n in m.names if len(n) > 2]) for m in mentions]
        sentences = split_sentences(report.text)
        for low, named_at in zip(sentences, named_by_sentence(sentences, [ns for _node, ns in names]), strict=True):
            named = {names[i][0] for i in named_at}
            for finding in FINDINGS:
                if _has(low, self.config.keywords.get(finding, ())):
                    if not named:
                        out.found[finding] = None
                    elif out.found.get(finding, set()) is not None:
                        out.found.setdefault(finding, set()).update(named)  # type: ignore[union-attr]
            for category, words in self.config.exploitation.items():
                if _has(low, words):
                    out.exploitation.add(category)
        for theme in report.themes:
            evidenced = self.config.themes.get(theme)
            if evidenced and evidenced != "CHILD":
                out.exploitation.add(evidenced)
        return out
