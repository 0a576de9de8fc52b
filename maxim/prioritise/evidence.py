"""What the visible evidence says about a network or a nominal, for the harm score. Pure.

Behaviour and intelligence only: victims (data-subject category `victim`) and children among them
(any date of birth that makes them under 18 on the report's date, or a victim named in a sentence
that says child), exploitation (report themes and typology keywords), violence, weapons and
document fraud (keywords in report text, sentence by sentence: a sentence naming a person
attributes the finding to that person), money (payments in GBP, SARs), reach (originators,
national agencies, countries of accounts and addresses), grading and recency of the reports.
Protected characteristics never reach here: the fold drops them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from maxim.network.fold import PERSON, Folded, Mention
from maxim.network.model import ReportInfo
from maxim.prioritise.config import HarmConfig

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
LEAD_KINDS = frozenset({"phone", "email", "vehicle", "address", "account", "passport"})
FINDINGS = ("violence", "weapons", "document_fraud", "child")


@dataclass(slots=True)
class ReportFindings:
    """Keyword findings of one report: which persons each is attributed to (None: the report)."""

    found: dict[str, set[str] | None] = field(default_factory=dict)  # finding -> nodes, or None
    exploitation: set[str] = field(default_factory=set)


@dataclass(slots=True)
class SubjectEvidence:
    subject: str
    persons: set[str] = field(default_factory=set)
    reports: list[ReportInfo] = field(default_factory=list)
    victims: set[str] = field(default_factory=set)
    child_victims: set[str] = field(default_factory=set)
    findings: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # finding -> report ids
    exploitation: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # category -> reports
    money_gbp: float = 0.0
    money_reports: set[str] = field(default_factory=set)
    sar_reports: set[str] = field(default_factory=set)
    originators: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    leads: int = 0


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
    """Indexes of one fold, so the evidence of any set of nodes is quick to gather."""

    def __init__(self, folded: Folded, reports: Sequence[ReportInfo], config: HarmConfig) -> None:
        self.folded = folded
        self.config = config
        self.reports = {r.id: r for r in reports}
        self.node_reports: dict[str, set[str]] = defaultdict(set)
        self.adjacent: dict[str, set[str]] = defaultdict(set)
        for a, b, _rel, rid in folded.records:
            self.node_reports[a].add(rid)
            self.node_reports[b].add(rid)
            self.adjacent[a].add(b)
            self.adjacent[b].add(a)
        self.mentions: dict[str, list[Mention]] = defaultdict(list)
        self.report_mentions: dict[str, list[Mention]] = defaultdict(list)
        for m in folded.mentions:
            self.node_reports[m.node].add(m.report_id)
            self.mentions[m.node].append(m)
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
        for sentence in _SENTENCE.split(report.text):
            low = sentence.casefold()
            named = {node for node, ns in names if any(n in low for n in ns)}
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

    def evidence(self, subject: str, nodes: Collection[str], *, nominal: str | None = None) -> SubjectEvidence:
        """The evidence of a network (its nodes) or, with `nominal`, of one person in it."""
        ev = SubjectEvidence(subject)
        kinds = self.folded.kinds
        ev.persons = {n for n in nodes if kinds.get(n) == PERSON}
        focus = {nominal} if nominal else set(nodes)
        rids: set[str] = set()
        for n in focus:
            rids |= self.node_reports.get(n, set())
        ev.reports = sorted((self.reports[r] for r in rids if r in self.reports), key=lambda r: r.id)
        if nominal:
            # victims the nominal is reported with (not as a victim themself)
            own = {m.report_id for m in self.mentions.get(nominal, []) if "victim" not in m.categories}
            near = {m.node for r in own for m in self.report_mentions.get(r, [])}
            ev.victims = (near & self.victims) - {nominal}
        else:
            ev.victims = ev.persons & self.victims
        ev.child_victims = ev.victims & self.children
        payers = set(nodes) if not nominal else focus
        seen_pay: set[tuple[str, str, float, str]] = set()
        for payment in self.folded.amounts:
            if (payment[0] in payers or payment[1] in payers) and payment not in seen_pay:
                seen_pay.add(payment)
                ev.money_gbp += payment[2]
                ev.money_reports.add(payment[3])
        for r in ev.reports:
            f = self.findings[r.id]
            for finding, who in f.found.items():
                if finding == "child":
                    continue
                if who is None or not nominal or nominal in who:
                    ev.findings[finding].add(r.id)
            for category in f.exploitation:
                ev.exploitation[category].add(r.id)
            if r.kind == "sar":
                ev.sar_reports.add(r.id)
            ev.originators.add(r.originator)
        for n in nodes if not nominal else self._neighbourhood(nominal):
            ev.countries |= self.countries.get(n, set())
            if kinds.get(n) in LEAD_KINDS:
                ev.leads += 1
        ev.countries.discard("GB")
        return ev

    def _neighbourhood(self, node: str) -> set[str]:
        return {node} | self.adjacent.get(node, set())
