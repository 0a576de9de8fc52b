"""The evidence graph: canonical nodes, one edge per linked pair, the reports behind every edge. Pure.

Built from evidence records (`(node_a, node_b, relation, report)`, see `fold.py`) with numpy and
igraph, so a million nodes and three million links take seconds. Every edge keeps each record
behind it (relation and report), sorted so an edge's evidence is one slice. An edge is *strong*
when at least one report behind it is not weak; networks are the components over strong edges,
so an edge that only weak reports support (source 3 or assessment E) never joins two groups by
itself (DOMAIN §1.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import igraph as ig  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt

from maxim.network.fold import PERSON, Folded
from maxim.network.model import ReportInfo

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Evidence:
    relation: str
    report_id: str
    grading: str | None
    weak: bool


def is_weak(report: ReportInfo, weak_sources: Iterable[str] = ("3",), weak_assessments: Iterable[str] = ("E",)) -> bool:
    return report.source_evaluation in tuple(weak_sources) or report.intelligence_assessment in tuple(weak_assessments)


class EvidenceGraph:
    """Nodes, deduplicated undirected edges, the evidence behind each, and the strong graph."""

    def __init__(
        self,
        nodes: Sequence[str],
        kinds: Sequence[str],
        src: IntArray,
        dst: IntArray,
        relation: IntArray,
        report: IntArray,
        relations: Sequence[str],
        report_ids: Sequence[str],
        report_weak: BoolArray,
        reports: Sequence[ReportInfo] = (),
        captions: Sequence[str] = (),
    ) -> None:
        self.nodes = list(nodes)
        self.kinds = list(kinds)
        self.captions = list(captions) if captions else self.nodes
        self.relations = list(relations)
        self.report_ids = list(report_ids)
        self.report_weak = np.asarray(report_weak, dtype=bool)
        self.reports = list(reports)
        n = len(self.nodes)
        self.n = n
        a, b = np.minimum(src, dst).astype(np.int64), np.maximum(src, dst).astype(np.int64)
        keep = a != b
        key = a[keep] * n + b[keep]
        order = np.argsort(key, kind="stable")
        key_sorted = key[order]
        self.edge_key, start = np.unique(key_sorted, return_index=True)
        self.edge_u: IntArray = self.edge_key // max(n, 1)
        self.edge_v: IntArray = self.edge_key % max(n, 1)
        self.rec_relation: IntArray = relation[keep][order]
        self.rec_report: IntArray = report[keep][order]
        self.edge_start: IntArray = np.append(start, len(key_sorted)).astype(np.int64)
        strong_rec = ~self.report_weak[self.rec_report] if len(self.rec_report) else np.zeros(0, dtype=bool)
        self.edge_strong: BoolArray = (
            np.logical_or.reduceat(strong_rec, start) if len(start) else np.zeros(0, dtype=bool)
        )
        self.is_person: BoolArray = np.fromiter((k == PERSON for k in self.kinds), dtype=bool, count=n)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_folded(
        cls,
        folded: Folded,
        reports: Sequence[ReportInfo],
        weak_sources: Iterable[str] = ("3",),
        weak_assessments: Iterable[str] = ("E",),
    ) -> EvidenceGraph:
        nodes = sorted(folded.kinds)
        index = {node: i for i, node in enumerate(nodes)}
        by_id = {r.id: r for r in reports}
        report_list = [by_id[rid] for rid in sorted({rec[3] for rec in folded.records} | by_id.keys())]
        report_index = {r.id: i for i, r in enumerate(report_list)}
        relations = sorted({rec[2] for rec in folded.records})
        rel_index = {r: i for i, r in enumerate(relations)}
        records = [r for r in folded.records if r[3] in report_index]
        src = np.fromiter((index[r[0]] for r in records), dtype=np.int64, count=len(records))
        dst = np.fromiter((index[r[1]] for r in records), dtype=np.int64, count=len(records))
        rel = np.fromiter((rel_index[r[2]] for r in records), dtype=np.int64, count=len(records))
        rep = np.fromiter((report_index[r[3]] for r in records), dtype=np.int64, count=len(records))
        ws, wa = tuple(weak_sources), tuple(weak_assessments)
        weak = np.fromiter((is_weak(r, ws, wa) for r in report_list), dtype=bool, count=len(report_list))
        return cls(
            nodes,
            [folded.kinds[n] for n in nodes],
            src,
            dst,
            rel,
            rep,
            relations,
            [r.id for r in report_list],
            weak,
            report_list,
            [folded.captions.get(n, n) for n in nodes],
        )

    # -- lookups ------------------------------------------------------------------------

    @cached_property
    def index(self) -> dict[str, int]:
        return {node: i for i, node in enumerate(self.nodes)}

    @property
    def edge_count(self) -> int:
        return len(self.edge_key)

    def edge_id(self, a: int, b: int) -> int | None:
        lo, hi = min(a, b), max(a, b)
        key = lo * self.n + hi
        pos = int(np.searchsorted(self.edge_key, key))
        return pos if pos < len(self.edge_key) and int(self.edge_key[pos]) == key else None

    def evidence(self, edge: int) -> list[Evidence]:
        lo, hi = int(self.edge_start[edge]), int(self.edge_start[edge + 1])
        out = []
        for i in range(lo, hi):
            rep = int(self.rec_report[i])
            grading = self.reports[rep].grading if self.reports else None
            out.append(
                Evidence(
                    self.relations[int(self.rec_relation[i])],
                    self.report_ids[rep],
                    grading,
                    bool(self.report_weak[rep]),
                )
            )
        return out

    def node_reports(self) -> IntArray:
        """How many evidence records touch each node (the weight of evidence for a node)."""
        counts = np.diff(self.edge_start)
        out = np.bincount(self.edge_u, weights=counts, minlength=self.n)
        out += np.bincount(self.edge_v, weights=counts, minlength=self.n)
        return out.astype(np.int64)

    # -- igraph views -------------------------------------------------------------------

    def _igraph(self, mask: BoolArray | None = None) -> Any:
        u, v = (self.edge_u, self.edge_v) if mask is None else (self.edge_u[mask], self.edge_v[mask])
        return ig.Graph(n=self.n, edges=np.column_stack((u, v)))

    @cached_property
    def strong_graph(self) -> Any:
        """Only edges with at least one strong report: the graph networks are found in."""
        return self._igraph(self.edge_strong)

    @cached_property
    def full_graph(self) -> Any:
        """Every edge, weak ones included: what evidence paths walk."""
        return self._igraph()

    def components(self) -> IntArray:
        """Component label per node over strong edges."""
        return np.asarray(self.strong_graph.connected_components().membership, dtype=np.int64)

    def subgraph(self, members: IntArray, strong_only: bool = False) -> tuple[Any, IntArray]:
        """The induced subgraph of `members` (node indices) and the edge ids it holds."""
        inside = np.zeros(self.n, dtype=bool)
        inside[members] = True
        mask = inside[self.edge_u] & inside[self.edge_v]
        if strong_only:
            mask &= self.edge_strong
        local = np.full(self.n, -1, dtype=np.int64)
        local[members] = np.arange(len(members))
        edges = np.flatnonzero(mask)
        g = ig.Graph(n=len(members), edges=np.column_stack((local[self.edge_u[edges]], local[self.edge_v[edges]])))
        return g, edges
