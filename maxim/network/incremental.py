"""What an incremental update must read: the reports around the nodes one report touched. Pure.

A new report (or a new version replacing an old one) changes the graph only at the nodes its
fold produces (the *seeds*). To give what a full rebuild would give, an update recomputes:

1. the networks within one report of the seeds: a nominal's score counts the victims named with
   them and the countries of their neighbours, so a report naming someone as a victim, or an
   account abroad, changes the scores of people named alongside in other reports;
2. the whole component (over strong links) of each of those nodes, found by walking the node
   index (`ReportSource.reports_touching`) out from them, one ring of reports at a time;
3. one more ring, read but not walked: the other reports of the people named in those reports
   (whether they are victims, or children) and of the neighbours of the components' nodes
   (their countries).

Everything else keeps its stored networks and scores. The walk reads only reports, through the
caller's `ReportSource`, so it sees exactly what the acting scope may see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from maxim.network.fold import Folded, fold
from maxim.network.graph import is_weak
from maxim.network.model import Fact, ReportInfo, Subject
from maxim.prioritise.config import HarmConfig


class ReportSource(Protocol):
    """The store seen by an update: the node index and the visible reports."""

    def reports_touching(self, nodes: Collection[str]) -> set[str]:
        """Ids of the reports whose fold produces any of these nodes."""
        ...

    def read(self, report_ids: Collection[str]) -> tuple[list[Fact], list[ReportInfo], list[Subject]]:
        """The visible facts, reports and data-subject links of these reports."""
        ...


def report_nodes(facts: Iterable[Fact], folded: Folded) -> set[tuple[str, str]]:
    """(node, report) for every node a report's fold produces: its entities' nodes, both ends of
    its records, payment parties, places abroad. The node index an update walks."""
    out: set[tuple[str, str]] = set()
    for f in facts:
        node = folded.node_of.get(f.entity_id)
        if node is not None and not node.startswith("link:"):
            out.add((node, f.report_id))
    for a, b, _rel, rid in folded.records:
        out.add((a, rid))
        out.add((b, rid))
    for a, b, _amount, rid in folded.amounts:
        out.add((a, rid))
        out.add((b, rid))
    for node, _country, rid in folded.countries:
        out.add((node, rid))
    for m in folded.mentions:
        out.add((m.node, m.report_id))
    return out


@dataclass
class Region:
    """The reports read around some seeds, and the nodes whose components they hold whole."""

    facts: list[Fact] = field(default_factory=list)
    reports: list[ReportInfo] = field(default_factory=list)
    subjects: list[Subject] = field(default_factory=list)
    around: set[str] = field(default_factory=set)  # the components of these are recomputed
    closure: set[str] = field(default_factory=set)  # every node of those components
    read: set[str] = field(default_factory=set)  # report ids read


def gather(
    seeds: Collection[str],
    source: ReportSource,
    config: HarmConfig,
    *,
    canonical: Callable[[str], str] = lambda entity_id: entity_id,
) -> Region:
    """Read what recomputing the networks around `seeds` needs (steps 1-3 above)."""
    region = Region()
    strong: dict[str, set[str]] = defaultdict(set)
    linked: dict[str, set[str]] = defaultdict(set)
    mentioned: set[str] = set()

    def load(report_ids: set[str]) -> set[str]:
        """Read these reports (once); the nodes their folds produce."""
        wanted = report_ids - region.read
        if not wanted:
            return set()
        facts, reports, subjects = source.read(wanted)
        region.read |= wanted
        region.facts += facts
        region.reports += reports
        region.subjects += subjects
        folded = fold(facts, canonical=canonical, protected=config.protected)
        weak = {r.id: is_weak(r, config.weak_sources, config.weak_assessments) for r in reports}
        for a, b, _rel, rid in folded.records:
            linked[a].add(b)
            linked[b].add(a)
            if not weak.get(rid, True):
                strong[a].add(b)
                strong[b].add(a)
        mentioned.update(m.node for m in folded.mentions)
        return {node for node, _rid in report_nodes(facts, folded)}

    region.around = set(seeds) | load(source.reports_touching(seeds))
    region.closure = set(region.around)
    frontier = set(region.around)
    while frontier:
        load(source.reports_touching(frontier))
        reached = {y for x in frontier for y in strong.get(x, ())} - region.closure
        region.closure |= reached
        frontier = reached
    ring = (mentioned | {y for x in region.closure for y in linked.get(x, ())}) - region.closure
    if ring:
        load(source.reports_touching(ring))
    return region
