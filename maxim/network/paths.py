"""Evidence paths: how is A connected to B? Shortest paths, every hop with its reports. Pure.

Paths walk every edge, weak ones included, and say which hops are weak, so an analyst sees how
much of a connection rests on single E-graded or source-3 reports. So stored networks (components
over strong edges only, the largest split further) cannot say whether two nodes are connected:
two networks joined by one weak report are connected here, and a strong network may hold a
longer path than a weak shortcut outside it.

`reports_between` finds instead the few reports that hold every shortest path, by walking the
node index (which reports produce which nodes) out from both ends, one ring of reports at a
time. Ring k from A holds every node within k links of A, and every link of the nodes within
k - 1; so once the rings from A and from B number at least one more than the shortest distance
found so far, every shortest path lies in what was read with all its evidence, and every node on
one has all its reports read (its caption is the one a full build gives it). A side whose ring
adds nothing has read its whole component: if the other end is not in it, they are not
connected. A graph built from these reports gives the same paths as one built from everything.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Protocol

from maxim.network.fold import fold
from maxim.network.graph import EvidenceGraph
from maxim.network.incremental import report_nodes
from maxim.network.model import Fact, ReportInfo

MAX_PATHS = 5


class EvidenceSource(Protocol):
    """The store seen by a path search: the node index and the visible reports."""

    def reports_touching(self, nodes: Collection[str]) -> set[str]:
        """Ids of the reports whose fold produces any of these nodes."""
        ...

    def read_evidence(self, report_ids: Collection[str]) -> tuple[list[Fact], list[ReportInfo]]:
        """The visible facts of these reports and the reports themselves."""
        ...


@dataclass
class Between:
    """What was read to find the paths between two nodes."""

    facts: list[Fact] = field(default_factory=list)
    reports: list[ReportInfo] = field(default_factory=list)
    read: set[str] = field(default_factory=set)  # report ids asked for (visible or not)


@dataclass
class _Side:
    reached: set[str]
    frontier: set[str]
    rings: int = 0


def reports_between(
    source: str,
    target: str,
    store: EvidenceSource,
    *,
    canonical: Callable[[str], str] = lambda entity_id: entity_id,
    protected: Iterable[str] = (),
) -> Between:
    """The visible facts and reports holding every shortest path between two nodes (and every
    report of every node on one), read ring by ring from both ends (see the module docstring)."""
    out = Between()
    protected = frozenset(protected)
    nodes_of: dict[str, set[str]] = defaultdict(set)  # report -> the nodes its fold produces
    linked: dict[str, set[str]] = defaultdict(set)

    def ring(side: _Side) -> None:
        touching = store.reports_touching(side.frontier)
        wanted = touching - out.read
        if wanted:
            facts, reports = store.read_evidence(wanted)
            out.read |= wanted
            out.facts += facts
            out.reports += reports
            folded = fold(facts, canonical=canonical, protected=protected)
            for node, rid in report_nodes(facts, folded):
                nodes_of[rid].add(node)
            for a, b, _rel, _rid in folded.records:
                linked[a].add(b)
                linked[b].add(a)
        found = {n for rid in touching for n in nodes_of.get(rid, ())}
        side.frontier = found - side.reached
        side.reached |= found
        side.rings += 1

    ends = _Side({source}, {source}), _Side({target}, {target})
    for side in ends:
        ring(side)
    if source == target:
        return out
    while all(side.frontier for side in ends):
        d = _distance(linked, source, target)
        if d is not None and ends[0].rings + ends[1].rings >= d + 1:
            break
        ring(min(ends, key=lambda side: len(side.frontier)))
    return out


def _distance(linked: dict[str, set[str]], source: str, target: str) -> int | None:
    """Links on a shortest path from source to target over what has been read, if any."""
    seen, queue = {source: 0}, deque([source])
    while queue:
        node = queue.popleft()
        for nb in linked.get(node, ()):
            if nb not in seen:
                seen[nb] = seen[node] + 1
                if nb == target:
                    return seen[nb]
                queue.append(nb)
    return None


def evidence_paths(
    graph: EvidenceGraph, source: str, target: str, *, limit: int = MAX_PATHS
) -> list[dict[str, Any]] | None:
    """Up to `limit` shortest paths from `source` to `target` (node ids); None if either is not
    in the graph, [] if they are not connected."""
    index = graph.index
    if source not in index or target not in index:
        return None
    a, b = index[source], index[target]
    if a == b:
        return []
    found = graph.full_graph.get_all_shortest_paths(a, to=b)
    out = []
    # in node-id order (not graph index order), so a graph of part of the evidence lists the same
    for nodes in sorted(found, key=lambda p: [graph.nodes[i] for i in p])[:limit]:
        hops = []
        for x, y in pairwise(nodes):
            edge = graph.edge_id(x, y)
            assert edge is not None
            evidence = graph.evidence(edge)
            hops.append(
                {
                    "from": graph.nodes[x],
                    "from_caption": graph.captions[x],
                    "to": graph.nodes[y],
                    "to_caption": graph.captions[y],
                    "weak": not bool(graph.edge_strong[edge]),
                    "relations": sorted({e.relation for e in evidence}),
                    "reports": [
                        {"report_id": e.report_id, "grading": e.grading, "relation": e.relation} for e in evidence
                    ],
                }
            )
        out.append({"length": len(hops), "weak_hops": sum(h["weak"] for h in hops), "hops": hops})
    return out
