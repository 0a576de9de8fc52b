"""Harm scores of many networks or nominals at once, over arrays: Maxim's one harm scorer. Pure.

Scoring one subject at a time, gathering its evidence into Python sets, took minutes on a
million-node graph. Here the MoRiLE sections (`maxim.network.score`: harm, geographic scope,
likelihood, confidence, organisational position; weights in `maxim/reference/harm.yaml`) are
computed for every subject together: the facts become arrays indexed by node and by report
(`HarmFacts`), each subject's reports are the distinct (subject, report) pairs of one sort, and
every factor is a `np.bincount` over those pairs.

Every score keeps its breakdown. The numbers of every factor (counts, points, the priority) are
computed for all subjects; `ScoreTable.score(i)` renders subject i's `Score` (each factor's
reason and the reports it cites) on demand. `tests/network/test_vector_harm.py` holds it to a
plain per-subject reference (evidence gathered in sets, one subject at a time), to the last bit:

- sums run in the order the reference runs them (money: payments in fold order, one
  `bincount` accumulating in that order; the harm total factor by factor);
- rounding is Python's `round`, applied to each distinct value (`_exact`), never numpy's;
- the mean grading weight (`math.fsum` in the reference) is summed by numpy and recomputed
  with `math.fsum` for the few subjects whose mean is close enough to a threshold or a
  rounding boundary for the difference to show.

Protected characteristics are not here: the fold drops them before any fact becomes an array.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from maxim.network.fold import PERSON
from maxim.network.graph import BoolArray, EvidenceGraph, IntArray
from maxim.network.score import MAX_CITED, Factor, Score
from maxim.prioritise.config import HarmConfig
from maxim.prioritise.evidence import LEAD_KINDS, EvidenceIndex

FloatArray = npt.NDArray[np.float64]

FINDINGS = ("violence", "weapons", "document_fraud")  # keyword findings the score counts per report
SCOPES = ("local", "force", "regional", "national", "international")
LEVELS = ("LOW", "MEDIUM", "HIGH")


def _no_ints() -> IntArray:
    return np.zeros(0, dtype=np.int64)


def _no_floats() -> FloatArray:
    return np.zeros(0, dtype=np.float64)


def _ints(values: Sequence[int] | IntArray) -> IntArray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


@dataclass
class HarmFacts:
    """Everything the harm score reads, as arrays over nodes (`N`) and reports (`R`).

    Reports are indexed in ascending id order, so sorting report indices sorts report ids (the
    reference cites the first `MAX_CITED` ids in sorted order). Pairs may repeat; the scorers
    take distinct pairs themselves.
    """

    report_ids: Sequence[str]  # R, ascending
    report_day: IntArray  # R: `date.toordinal()` of the report's date
    report_sar: BoolArray  # R: a suspicious activity report
    report_originator: IntArray  # R: index into `originators`
    originators: Sequence[str]  # ascending
    national: BoolArray  # per originator: a national agency
    report_weight: FloatArray  # R: source weight x assessment weight
    report_grade: IntArray  # R: index into `grades`
    grades: Sequence[str]  # ascending: source evaluation + intelligence assessment, e.g. "2B"
    found: BoolArray  # R x 3: the report has the finding (`FINDINGS`) anywhere
    report_wide: BoolArray  # R x 3: ... in a sentence naming nobody (it counts for every nominal)
    exploitation: BoolArray  # R x K: the report evidences exploitation category k
    categories: Sequence[str]  # K, ascending
    person: BoolArray  # N
    victim: BoolArray  # N: named as a victim in any report
    child: BoolArray  # N: a child victim
    lead: BoolArray  # N: an actionable lead (phone, vehicle, address, account, ...)
    inc_node: IntArray  # the reports behind each node: records' ends and person mentions
    inc_report: IntArray
    named_node: IntArray = field(
        default_factory=_no_ints
    )  # a finding attributed to a named person: (node, report, finding)
    named_report: IntArray = field(default_factory=_no_ints)
    named_finding: IntArray = field(default_factory=_no_ints)
    own_node: IntArray = field(default_factory=_no_ints)  # a person's mentions not as a victim: (node, report)
    own_report: IntArray = field(default_factory=_no_ints)
    mention_node: IntArray = field(default_factory=_no_ints)  # every person mention: (node, report)
    mention_report: IntArray = field(default_factory=_no_ints)
    country_node: IntArray = field(
        default_factory=_no_ints
    )  # countries of accounts and addresses, GB left out: (node, country)
    country_code: IntArray = field(default_factory=_no_ints)
    countries: Sequence[str] = ()  # ascending
    pay_a: IntArray = field(
        default_factory=_no_ints
    )  # distinct payments in fold order: payer, beneficiary, GBP, report
    pay_b: IntArray = field(default_factory=_no_ints)
    pay_amount: FloatArray = field(default_factory=_no_floats)
    pay_report: IntArray = field(default_factory=_no_ints)
    edge_u: IntArray = field(
        default_factory=_no_ints
    )  # every link between two nodes, weak ones too (a nominal's neighbourhood)
    edge_v: IntArray = field(default_factory=_no_ints)

    @property
    def n_nodes(self) -> int:
        return len(self.person)

    @property
    def n_reports(self) -> int:
        return len(self.report_ids)

    @classmethod
    def from_index(cls, index: EvidenceIndex, graph: EvidenceGraph, config: HarmConfig) -> HarmFacts:
        """The arrays of one analysis: one pass over its reports, mentions and records."""
        node = graph.index
        reports = graph.reports
        rep = {r.id: i for i, r in enumerate(reports)}
        originators = sorted({r.originator for r in reports})
        orig = {o: i for i, o in enumerate(originators)}
        grades = sorted({r.grading[:2] for r in reports})
        grade = {g: i for i, g in enumerate(grades)}
        findings = [index.findings.get(r.id) for r in reports]
        categories = sorted({c for f in findings if f is not None for c in f.exploitation})
        cat = {c: i for i, c in enumerate(categories)}
        n_r = len(reports)
        found = np.zeros((n_r, len(FINDINGS)), dtype=bool)
        wide = np.zeros((n_r, len(FINDINGS)), dtype=bool)
        exploitation = np.zeros((n_r, len(categories)), dtype=bool)
        named: list[tuple[int, int, int]] = []
        for i, f in enumerate(findings):
            if f is None:
                continue
            for k, name in enumerate(FINDINGS):
                if name in f.found:
                    found[i, k] = True
                    who = f.found[name]
                    if who is None:
                        wide[i, k] = True
                    else:
                        named.extend((node[n], i, k) for n in who if n in node)
            for c in f.exploitation:
                exploitation[i, cat[c]] = True
        inc = [(node[n], rep[r]) for n, rids in index.node_reports.items() if n in node for r in rids if r in rep]
        own: list[tuple[int, int]] = []
        mentioned: list[tuple[int, int]] = []
        for m in index.folded.mentions:
            if m.node in node and m.report_id in rep:
                mentioned.append((node[m.node], rep[m.report_id]))
                if "victim" not in m.categories:
                    own.append((node[m.node], rep[m.report_id]))
        countries = sorted({c for cs in index.countries.values() for c in cs} - {"GB"})
        ctry = {c: i for i, c in enumerate(countries)}
        located = [(node[n], ctry[c]) for n, cs in index.countries.items() if n in node for c in cs if c in ctry]
        payments = list(dict.fromkeys(index.folded.amounts))  # distinct, first occurrence first
        payments = [p for p in payments if p[0] in node and p[1] in node]
        n_n = graph.n
        return cls(
            report_ids=[r.id for r in reports],
            report_day=_ints([r.when.toordinal() for r in reports]),
            report_sar=np.array([r.kind == "sar" for r in reports], dtype=bool),
            report_originator=_ints([orig[r.originator] for r in reports]),
            originators=originators,
            national=np.array([o in config.national_originators for o in originators], dtype=bool),
            report_weight=np.array(
                [
                    config.source_weight.get(r.source_evaluation, 0.0)
                    * config.assessment_weight.get(r.intelligence_assessment, 0.0)
                    for r in reports
                ],
                dtype=np.float64,
            ),
            report_grade=_ints([grade[r.grading[:2]] for r in reports]),
            grades=grades,
            found=found,
            report_wide=wide,
            exploitation=exploitation,
            categories=categories,
            person=np.array([k == PERSON for k in graph.kinds], dtype=bool),
            victim=_mask(n_n, [node[n] for n in index.victims if n in node]),
            child=_mask(n_n, [node[n] for n in index.children if n in node]),
            lead=np.array([k in LEAD_KINDS for k in graph.kinds], dtype=bool),
            inc_node=_ints([a for a, _ in inc]),
            inc_report=_ints([b for _, b in inc]),
            named_node=_ints([a for a, _, _ in named]),
            named_report=_ints([b for _, b, _ in named]),
            named_finding=_ints([c for _, _, c in named]),
            own_node=_ints([a for a, _ in own]),
            own_report=_ints([b for _, b in own]),
            mention_node=_ints([a for a, _ in mentioned]),
            mention_report=_ints([b for _, b in mentioned]),
            country_node=_ints([a for a, _ in located]),
            country_code=_ints([b for _, b in located]),
            countries=countries,
            pay_a=_ints([node[p[0]] for p in payments]),
            pay_b=_ints([node[p[1]] for p in payments]),
            pay_amount=np.array([p[2] for p in payments], dtype=np.float64),
            pay_report=_ints([rep.get(p[3], -1) for p in payments]),
            edge_u=graph.edge_u,
            edge_v=graph.edge_v,
        )


def _mask(n: int, indices: Sequence[int]) -> BoolArray:
    out = np.zeros(n, dtype=bool)
    out[_ints(indices)] = True
    return out


# -- array helpers -------------------------------------------------------------------------


def unique(values: IntArray) -> IntArray:
    """Distinct values, ascending, by one sort. (`np.unique` of numpy 2.3+ hashes first, which
    took 40 s on seven million int64 keys here, where a sort takes under one.)"""
    if len(values) == 0:
        return values
    ordered = np.sort(values)
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def _pairs(subject: IntArray, other: IntArray, width: int) -> tuple[IntArray, IntArray]:
    """Distinct (subject, other) pairs with a subject (>= 0), sorted by subject, then other."""
    keep = subject >= 0
    key = unique(subject[keep] * max(width, 1) + other[keep])
    return key // max(width, 1), key % max(width, 1)


DENSE = 1 << 26  # up to this many (subject, value) cells, distinct pairs come from one bincount


def _distinct(subject: IntArray, other: IntArray, n: int, width: int) -> tuple[IntArray, IntArray]:
    """`_pairs` for `n` subjects; when subjects x values is small, a bincount instead of a sort."""
    if n * width > DENSE or width == 0:
        return _pairs(subject, other, width)
    keep = subject >= 0
    cells = np.flatnonzero(np.bincount(subject[keep] * width + other[keep], minlength=n * width))
    return cells // width, cells % width


def _starts(subject: IntArray, n: int) -> IntArray:
    """CSR offsets of subject-sorted pairs: subject i's pairs are [start[i], start[i + 1])."""
    out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(subject, minlength=n), out=out[1:])
    return out


def _count(subject: IntArray, n: int, weights: npt.NDArray[np.generic] | None = None) -> IntArray:
    if weights is None:
        return np.bincount(subject, minlength=n).astype(np.int64)
    return np.bincount(subject, weights=weights.astype(np.float64), minlength=n).astype(np.int64)


def _expand(left: IntArray, key: IntArray, start: IntArray, values: IntArray) -> tuple[IntArray, IntArray]:
    """Join: for each (left[i], key[i]), every value in `values[start[key]:start[key + 1]]`."""
    counts = start[key + 1] - start[key]
    total = int(counts.sum())
    if total == 0:
        return _no_ints(), _no_ints()
    ends = np.cumsum(counts)
    offsets = np.repeat(start[key] - (ends - counts), counts) + np.arange(total)
    return np.repeat(left, counts), values[offsets]


def _csr(node: IntArray, value: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """`value` grouped by `node` (0..n-1): offsets and the values in node order."""
    order = np.argsort(node, kind="stable")
    return _starts(node[order], n), value[order]


def _exact(values: npt.NDArray[np.generic], fn: Callable[[float], float]) -> FloatArray:
    """`fn` (Python arithmetic, e.g. `round`) of every value, computed once per distinct value."""
    if len(values) == 0:
        return np.zeros(0)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    mapped = np.array([fn(v) for v in ordered[first].tolist()], dtype=np.float64)
    out = np.empty(len(values), dtype=np.float64)
    out[order] = mapped[np.cumsum(first) - 1]
    return out


def _stepped(value: npt.NDArray[Any], thresholds: list[tuple[float, float]], floor: float = 0.0) -> FloatArray:
    """The points of the last threshold each value reaches (`floor` below the first)."""
    out = np.full(len(value), floor, dtype=np.float64)
    for at, pts in thresholds:
        out = np.where(value >= at, pts, out)
    return out


def _capped(count: IntArray, rule: dict[str, Any], per: str) -> FloatArray:
    """A counted factor's points as the reference gives them: round(min(cap, per x count), 3)."""
    cap, each = float(rule["cap"]), float(rule[per])
    return _exact(count, lambda c: round(min(cap, each * int(c)), 3))


# -- the score table -------------------------------------------------------------------------


@dataclass
class ScoreTable:
    """Every factor of every subject's score, and what is needed to render each breakdown."""

    facts: HarmFacts
    config: HarmConfig
    as_of: date
    subjects: Sequence[str]
    pair_start: IntArray  # subject i's reports: pair_report[pair_start[i]:pair_start[i + 1]], ascending
    pair_report: IntArray
    pair_flags: BoolArray  # per pair: the report's findings (3) count for the subject; a SAR; exploitation
    counts: IntArray  # subjects x 3: reports with each finding
    victims: IntArray
    child_victims: IntArray
    money: FloatArray
    money_start: IntArray  # subject i's payments: money_pay[money_start[i]:money_start[i + 1]]
    money_pay: IntArray
    sars: IntArray
    kinds: BoolArray  # subjects x K: exploitation categories evidenced
    origin_start: IntArray  # subject i's originators: origin[origin_start[i]:origin_start[i + 1]]
    origin: IntArray
    country_start: IntArray
    country: IntArray
    leads: IntArray
    points: FloatArray  # subjects x 8: the harm factors' points, in the reference's order
    harm: FloatArray
    scope: IntArray  # index into SCOPES
    multiplier: FloatArray
    latest: IntArray  # ordinal day of the latest report (0: none)
    age: IntArray
    recency: FloatArray  # rounded, as in the breakdown
    frequency: FloatArray
    likelihood: FloatArray
    mean: FloatArray  # mean grading weight (exact where it shows)
    level: IntArray  # index into LEVELS
    confidence_factor: FloatArray
    opportunity: FloatArray
    priority: FloatArray  # rounded, as in the breakdown

    def __len__(self) -> int:
        return len(self.subjects)

    def score(self, i: int) -> Score:
        """Subject i's score with its whole breakdown: each factor's reason and cited reports."""
        f, cfg, h = self.facts, self.config, self.config.harm
        lo, hi = int(self.pair_start[i]), int(self.pair_start[i + 1])
        reps = self.pair_report[lo:hi]
        points = self.points[i].tolist()

        def cite(idx: IntArray) -> tuple[str, ...]:
            return tuple(f.report_ids[j] for j in idx[:MAX_CITED].tolist())

        def counted(k: int, section: str, group: str, name: str, count: int, cited: tuple[str, ...]) -> Factor:
            return Factor(
                section, f"{group.upper()}.{name}", count, points[k], f"{count} {h[group][name]['why']}", cited
            )

        flags = self.pair_flags[lo:hi]
        counts = self.counts[i].tolist()
        pays = self.money_pay[self.money_start[i] : self.money_start[i + 1]]
        money = float(self.money[i])
        kinds = [c for c, on in zip(f.categories, self.kinds[i].tolist(), strict=True) if on]
        exploitation_rule = h["community_environment"]["exploitation"]
        factors = [
            counted(0, "harm", "physical", "violence", counts[0], cite(reps[flags[:, 0]])),
            counted(1, "harm", "physical", "weapons", counts[1], cite(reps[flags[:, 1]])),
            counted(2, "harm", "psychological", "victims", int(self.victims[i]), ()),
            Factor(
                "harm",
                "FINANCIAL.money",
                round(money, 2),
                points[3],
                f"GBP {money:,.0f} {h['financial']['money']['why']}",
                tuple(f.report_ids[j] for j in sorted(set(f.pay_report[pays].tolist()))[:MAX_CITED]),
            ),
            counted(4, "harm", "financial", "sars", int(self.sars[i]), cite(reps[flags[:, 3]])),
            Factor(
                "harm",
                "COMMUNITY_ENVIRONMENT.exploitation",
                len(kinds),
                points[5],
                f"{len(kinds)} {exploitation_rule['why']}: {', '.join(kinds) or 'none'}",
                cite(reps[flags[:, 4]]),
            ),
            counted(6, "harm", "community_environment", "document_fraud", counts[2], cite(reps[flags[:, 2]])),
            counted(7, "harm", "vulnerability", "child_victims", int(self.child_victims[i]), ()),
        ]
        origins = self.origin[self.origin_start[i] : self.origin_start[i + 1]].tolist()
        places = self.country[self.country_start[i] : self.country_start[i + 1]].tolist()
        national = [f.originators[o] for o in origins if f.national[o]]
        scope = SCOPES[int(self.scope[i])]
        if scope == "international":
            why = f"accounts or addresses in {', '.join(f.countries[c] for c in places)}"
        elif scope == "national":
            why = f"reported by {', '.join(national)}"
        elif scope in ("regional", "force"):
            why = f"{len(origins)} originators"
        else:
            why = f"{len(origins)} originator"
        multiplier = float(self.multiplier[i])
        factors.append(Factor("harm", "GEOGRAPHIC_SCOPE", len(origins), multiplier, f"{scope}: {why}"))
        n = hi - lo
        if n == 0:
            factors.append(Factor("likelihood", "LIKELIHOOD.recency", 0, 0.0, "no reports"))
        else:
            latest, age = date.fromordinal(int(self.latest[i])), int(self.age[i])
            factors.append(
                Factor(
                    "likelihood",
                    "LIKELIHOOD.recency",
                    age,
                    float(self.recency[i]),
                    f"latest report {latest.isoformat()}, {age} days before {self.as_of.isoformat()}"
                    f" (half-life {cfg.half_life_days:g} days)",
                )
            )
        frequency = float(self.frequency[i])
        factors.append(Factor("likelihood", "LIKELIHOOD.frequency", n, frequency, f"{n} reports"))
        mean, level = float(self.mean[i]), LEVELS[int(self.level[i])]
        grades = [f.grades[g] for g in sorted(set(f.report_grade[reps].tolist()))]
        confidence_factor = float(self.confidence_factor[i])
        factors.append(
            Factor(
                "confidence",
                "CONFIDENCE",
                round(mean, 3),
                confidence_factor,
                f"{level}: mean grading weight {mean:.2f} over {n} reports (gradings {', '.join(grades) or 'none'})",
            )
        )
        leads, opportunity = int(self.leads[i]), float(self.opportunity[i])
        factors.append(
            Factor(
                "organisational_position",
                "OPPORTUNITY",
                leads,
                opportunity,
                f"{leads} actionable leads (phones, vehicles, premises, accounts, documents)",
            )
        )
        return Score(
            self.subjects[i],
            float(self.priority[i]),
            round(float(self.harm[i]), 3),
            scope,
            multiplier,
            float(self.likelihood[i]),
            level,
            confidence_factor,
            opportunity,
            cfg.method,
            tuple(factors),
        )


# -- scoring -------------------------------------------------------------------------------


def score_groups(
    facts: HarmFacts, group_of: IntArray, subjects: Sequence[str], config: HarmConfig, as_of: date
) -> ScoreTable:
    """Scores of networks: `group_of[node]` is the network (index into `subjects`) or -1."""
    g_n = len(subjects)
    n_r = facts.n_reports
    ps, pr = _pairs(group_of[facts.inc_node], facts.inc_report, n_r)
    start = _starts(ps, g_n)
    pair_found = facts.found[pr]
    # a network's victims are the victims among its persons; children among them
    victim_nodes = np.flatnonzero(facts.person & facts.victim)
    vg = group_of[victim_nodes]
    victims = _count(vg[vg >= 0], g_n)
    cv = vg[(vg >= 0) & facts.child[victim_nodes]]
    child_victims = _count(cv, g_n)
    # payments with either party in the network, each once, in fold order
    n_pay = len(facts.pay_a)
    pay_index = np.arange(n_pay, dtype=np.int64)
    ms, mp = _pairs(
        np.concatenate((group_of[facts.pay_a], group_of[facts.pay_b])), np.concatenate((pay_index, pay_index)), n_pay
    )
    cs, cc = _distinct(group_of[facts.country_node], facts.country_code, g_n, len(facts.countries))
    lead_nodes = group_of[facts.lead]
    leads = _count(lead_nodes[lead_nodes >= 0], g_n)
    return _table(
        facts, config, as_of, subjects, ps, pr, start, pair_found, victims, child_victims, ms, mp, cs, cc, leads
    )


def score_nominals(
    facts: HarmFacts, nodes: IntArray, names: Sequence[str], config: HarmConfig, as_of: date
) -> ScoreTable:
    """Scores of nominals (person nodes), each from their own evidence: their own reports,
    victims named with them, payments they are party to, and the countries and leads of their
    one-hop neighbourhood."""
    s_n, n_n, n_r = len(nodes), facts.n_nodes, facts.n_reports
    sub = np.full(n_n, -1, dtype=np.int64)
    sub[nodes] = np.arange(s_n, dtype=np.int64)
    ps, pr = _pairs(sub[facts.inc_node], facts.inc_report, n_r)
    start = _starts(ps, s_n)
    # a finding counts for a nominal when its sentence names nobody or names them
    named = unique((facts.named_report * n_n + facts.named_node) * len(FINDINGS) + facts.named_finding)
    pair_found = facts.found[pr] & facts.report_wide[pr]
    for k in range(len(FINDINGS)):
        mine = np.isin((pr * n_n + nodes[ps]) * len(FINDINGS) + k, named)
        pair_found[:, k] |= facts.found[pr, k] & mine
    # victims named in the reports where the nominal is named other than as a victim
    os_, orep = _pairs(sub[facts.own_node], facts.own_report, n_r)
    is_victim = facts.victim[facts.mention_node]
    vstart, vnode = _csr(facts.mention_report[is_victim], facts.mention_node[is_victim], n_r)
    left, near = _expand(os_, orep, vstart, vnode)
    vs, vn = _pairs(left, near, n_n)
    other = vn != nodes[vs]
    victims = _count(vs[other], s_n)
    child_victims = _count(vs[other], s_n, facts.child[vn[other]])
    # payments the nominal is party to
    n_pay = len(facts.pay_a)
    pay_index = np.arange(n_pay, dtype=np.int64)
    ms, mp = _pairs(np.concatenate((sub[facts.pay_a], sub[facts.pay_b])), np.concatenate((pay_index, pay_index)), n_pay)
    # the neighbourhood: the nominal and the nodes one link away (weak links too)
    su, sv = sub[facts.edge_u], sub[facts.edge_v]
    hood_s = np.concatenate((np.arange(s_n, dtype=np.int64), su[su >= 0], sv[sv >= 0]))
    hood_n = np.concatenate((nodes, facts.edge_v[su >= 0], facts.edge_u[sv >= 0]))
    leads = _count(hood_s, s_n, facts.lead[hood_n])
    cstart, ccode = _csr(facts.country_node, facts.country_code, n_n)
    left, code = _expand(hood_s, hood_n, cstart, ccode)
    cs, cc = _distinct(left, code, s_n, len(facts.countries))
    return _table(facts, config, as_of, names, ps, pr, start, pair_found, victims, child_victims, ms, mp, cs, cc, leads)


def _table(
    facts: HarmFacts,
    config: HarmConfig,
    as_of: date,
    subjects: Sequence[str],
    ps: IntArray,
    pr: IntArray,
    start: IntArray,
    pair_found: BoolArray,
    victims: IntArray,
    child_victims: IntArray,
    ms: IntArray,
    mp: IntArray,
    cs: IntArray,
    cc: IntArray,
    leads: IntArray,
) -> ScoreTable:
    """Every factor from the per-subject facts, in the order and arithmetic of the reference."""
    h = config.harm
    s_n = len(subjects)
    n = np.diff(start)
    counts = np.stack([_count(ps, s_n, pair_found[:, k]) for k in range(len(FINDINGS))], axis=1)
    if s_n == 0:
        counts = counts.reshape(0, len(FINDINGS))
    sars = _count(ps, s_n, facts.report_sar[pr])
    k_n = len(facts.categories)  # explicit: with no report visible, -1 cannot be inferred from 0 elements
    exploited: BoolArray = np.asarray(facts.exploitation.reshape(facts.n_reports, k_n).any(axis=1), dtype=bool)
    pair_flags = np.column_stack((pair_found, facts.report_sar[pr], exploited[pr])).reshape(len(pr), 5)
    money = np.asarray(np.bincount(ms, weights=facts.pay_amount[mp], minlength=s_n), dtype=np.float64)  # in order
    money_start = _starts(ms, s_n)
    kinds = np.zeros((s_n, k_n), dtype=bool)
    for k in range(k_n):
        kinds[:, k] = np.bincount(ps, weights=facts.exploitation[pr, k], minlength=s_n) > 0
    os_, oo = _distinct(ps, facts.report_originator[pr], s_n, len(facts.originators))
    origin_start = _starts(os_, s_n)
    n_origin = np.diff(origin_start)
    national = np.bincount(os_, weights=facts.national[oo], minlength=s_n) > 0
    country_start = _starts(cs, s_n)

    # harm: each factor's points as the reference rounds them, summed factor by factor
    money_points = _stepped(money, [(float(a), float(b)) for a, b in h["financial"]["money"]["thresholds"]])
    exploitation_rule = h["community_environment"]["exploitation"]
    cap, each = float(exploitation_rule["cap"]), float(exploitation_rule["per_item"])
    n_kinds = kinds.sum(axis=1).astype(np.int64)
    points = np.stack(
        [
            _capped(counts[:, 0], h["physical"]["violence"], "per_report"),
            _capped(counts[:, 1], h["physical"]["weapons"], "per_report"),
            _capped(victims, h["psychological"]["victims"], "per_item"),
            money_points,
            _capped(sars, h["financial"]["sars"], "per_report"),
            _exact(n_kinds, lambda c: min(cap, each * int(c))),
            _capped(counts[:, 2], h["community_environment"]["document_fraud"], "per_report"),
            _capped(child_victims, h["vulnerability"]["child_victims"], "per_item"),
        ],
        axis=1,
    ).reshape(s_n, 8)
    harm = points[:, 0].copy()
    for k in range(1, 8):
        harm += points[:, k]

    countries = np.diff(country_start) > 0
    scope = np.select(
        [countries, national, n_origin >= config.regional_at, n_origin >= config.force_at],
        [SCOPES.index("international"), SCOPES.index("national"), SCOPES.index("regional"), SCOPES.index("force")],
        default=SCOPES.index("local"),
    ).astype(np.int64)
    multiplier = np.array([config.geographic_scope[s] for s in SCOPES], dtype=np.float64)[scope]

    # likelihood: recency of the latest report and frequency
    has = n > 0
    latest = np.zeros(s_n, dtype=np.int64)
    if has.any():
        latest[has] = np.maximum.reduceat(facts.report_day[pr], start[:-1][has])
    age = np.where(has, np.maximum(0, as_of.toordinal() - latest), 0)
    half_life = config.half_life_days
    recency_raw = np.where(has, _exact(age, lambda a: math.pow(0.5, int(a) / half_life)), 0.0)
    recency = np.where(has, _exact(recency_raw, lambda r: round(r, 3)), 0.0)
    frequency = _stepped(n, config.frequency, floor=1.0)
    likelihood = np.where(
        has, _exact(np.maximum(1.0, frequency * (0.5 + 0.5 * recency_raw)), lambda v: round(v, 3)), 0.0
    )

    # confidence: mean grading weight, exact (math.fsum) wherever rounding or a threshold could tell
    total = np.bincount(ps, weights=facts.report_weight[pr], minlength=s_n)
    mean = np.where(has, total / np.maximum(n, 1), 0.0)
    conf = config.confidence
    medium_at, high_at = float(conf["medium_at"]), float(conf["high_at"])
    tol = 4e-16 * (n + 2) * np.maximum(mean, 1.0)
    near = np.zeros(s_n, dtype=bool)
    for t in (medium_at, high_at):
        near |= np.abs(mean - t) <= tol
    for scale in (1000.0, 100.0):  # round(mean, 3) in the count, f"{mean:.2f}" in the reason
        x = mean * scale
        near |= np.abs(x - np.floor(x) - 0.5) <= tol * scale + 1e-9
    for i in np.flatnonzero(near & has).tolist():
        weights = facts.report_weight[pr[start[i] : start[i + 1]]].tolist()
        mean[i] = math.fsum(weights) / len(weights)
    level = np.where(mean >= high_at, 2, np.where(mean >= medium_at, 1, 0)).astype(np.int64)
    confidence_factor = np.array([float(conf["factor"][lv]) for lv in LEVELS], dtype=np.float64)[level]
    opportunity = _stepped(leads, config.opportunity, floor=1.0)
    priority = harm * multiplier * likelihood / 5 * confidence_factor * opportunity
    return ScoreTable(
        facts=facts,
        config=config,
        as_of=as_of,
        subjects=subjects,
        pair_start=start,
        pair_report=pr,
        pair_flags=pair_flags,
        counts=counts,
        victims=victims,
        child_victims=child_victims,
        money=money,
        money_start=money_start,
        money_pay=mp,
        sars=sars,
        kinds=kinds,
        origin_start=origin_start,
        origin=oo,
        country_start=country_start,
        country=cc,
        leads=leads,
        points=points,
        harm=harm,
        scope=scope,
        multiplier=multiplier,
        latest=latest,
        age=age,
        recency=recency,
        frequency=frequency,
        likelihood=likelihood,
        mean=mean,
        level=level,
        confidence_factor=confidence_factor,
        opportunity=opportunity,
        priority=np.array([round(p, 3) for p in priority.tolist()], dtype=np.float64),
    )
