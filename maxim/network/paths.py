"""Evidence paths: how is A connected to B? Shortest paths, every hop with its reports. Pure.

Paths walk every edge, weak ones included, and say which hops are weak, so an analyst sees how
much of a connection rests on single E-graded or source-3 reports.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from maxim.network.graph import EvidenceGraph

MAX_PATHS = 5


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
    for nodes in sorted(found)[:limit]:
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
