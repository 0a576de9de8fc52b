"""Network benchmark: 1M entities / 3M links generated directly (not through ingest).

Each step of Maxim's network stage is timed against the same operation done directly with
igraph in the same run (ratio target <= 1.5): build the graph (Maxim also deduplicates edges,
keeps the evidence behind each and the strong/weak flag), find networks (components over strong
edges; Maxim also groups nodes into networks of >= 2 persons), sampled betweenness (same
sources), and an incremental update (one report's links) against recomputing all components.
Scoring (MoRiLE breakdown of every network) is timed against a numpy aggregation of the same
counts, the least any scoring must do. Peak memory is the process's peak RSS after each step.

    .venv/bin/python bench/network.py [--nodes N] [--links M] [--sources K]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import igraph as ig  # type: ignore[import-untyped]
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import figure, peak_rss_mib, write
from maxim.network.graph import EvidenceGraph
from maxim.network.model import ReportInfo
from maxim.network.networks import find_groups, sampled_betweenness, update_components
from maxim.prioritise.config import load_harm_config
from maxim.prioritise.evidence import SubjectEvidence
from maxim.prioritise.score import score

GROUP = 25  # nodes per planted group
CROSS = 0.002  # share of links between groups (below the percolation point: networks stay apart)
WEAK = 0.2  # share of weak reports


def generate(n: int, m: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    groups = n // GROUP
    g = rng.integers(0, groups, m)
    src = g * GROUP + rng.integers(0, GROUP, m)
    dst = g * GROUP + rng.integers(0, GROUP, m)
    cross = rng.random(m) < CROSS
    dst[cross] = rng.integers(0, n, int(cross.sum()))
    reports = m // 3
    return {
        "src": src.astype(np.int64),
        "dst": dst.astype(np.int64),
        "rel": rng.integers(0, 8, m).astype(np.int64),
        "rep": rng.integers(0, reports, m).astype(np.int64),
        "weak": rng.random(reports) < WEAK,
        "person": rng.random(n) < 0.4,
        "violence": rng.random(reports) < 0.05,
        "victim": rng.random(n) < 0.05,
    }


def timed(fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--links", type=int, default=3_000_000)
    parser.add_argument("--sources", type=int, default=16)
    args = parser.parse_args()
    n, m = args.nodes, args.links
    d = generate(n, m)
    print(f"generated {n} nodes, {m} links", flush=True)
    nodes = [f"n{i}" for i in range(n)]
    kinds = np.where(d["person"], "person", "phone").tolist()
    report_ids = [f"r{i}" for i in range(len(d["weak"]))]
    figures = []

    # build: raw igraph from the same integer pairs vs Maxim's evidence graph + strong graph
    raw, raw_build = timed(lambda: ig.Graph(n=n, edges=np.column_stack((d["src"], d["dst"]))))
    raw_mem = peak_rss_mib()

    def build() -> EvidenceGraph:
        graph = EvidenceGraph(
            nodes, kinds, d["src"], d["dst"], d["rel"], d["rep"], [f"rel{i}" for i in range(8)], report_ids, d["weak"]
        )
        graph.strong_graph  # noqa: B018 - build it now, as networks need it
        return graph

    graph, our_build = timed(build)
    figures.append(figure("build", our_build, "s", raw_build, 1.5, higher_is_better=False))
    figures.append(figure("build_peak_rss", peak_rss_mib(), "MiB", raw_mem))

    # components: raw connected components vs Maxim's networks (components over strong edges, grouped)
    raw_cc, raw_comp = timed(lambda: raw.connected_components())
    labels_groups, our_comp = timed(lambda: (graph.components(), None))
    labels = labels_groups[0]
    groups, group_time = timed(lambda: find_groups(graph, labels=labels, max_persons=10_000))
    figures.append(figure("components", our_comp + group_time, "s", raw_comp, 1.5, higher_is_better=False))
    print(f"{len(raw_cc)} raw components, {len(groups)} networks", flush=True)

    # scoring: every network's MoRiLE breakdown vs the numpy aggregation of the same counts
    cfg = load_harm_config()
    edge_label = labels[graph.edge_u]
    rec_label = np.repeat(edge_label, np.diff(graph.edge_start))

    def raw_scoring() -> np.ndarray:
        violent = np.bincount(rec_label, weights=d["violence"][graph.rec_report], minlength=labels.max() + 1)
        victims = np.bincount(labels, weights=(d["victim"] & d["person"]), minlength=labels.max() + 1)
        return violent * 1.5 + victims * 0.5

    _, raw_score = timed(raw_scoring)
    as_of = date(2026, 4, 1)
    when = datetime(2026, 3, 1, tzinfo=UTC)

    def our_scoring() -> int:
        violent_recs = defaultdict(set)
        mask = d["violence"][graph.rec_report]
        for label, rep in zip(rec_label[mask].tolist(), graph.rec_report[mask].tolist(), strict=True):
            violent_recs[label].add(report_ids[rep])
        info = ReportInfo("r", "BOCU-LAMBETH", "x", "intelligence", when, "2", "B", "P")
        count = 0
        for group in groups:
            label = group.component
            ev = SubjectEvidence(str(label))
            ev.reports = [info]
            ev.findings["violence"] = violent_recs.get(label, set())
            ev.victims = {str(i) for i in group.members[(d["victim"] & d["person"])[group.members]].tolist()}
            ev.originators = {"BOCU-LAMBETH"}
            score(ev, cfg, as_of)
            count += 1
        return count

    scored, our_score = timed(our_scoring)
    figures.append(figure("scoring", our_score, "s", raw_score, 1.5, higher_is_better=False))

    # sampled betweenness: same sources, raw vs through Maxim's function
    rng = np.random.default_rng(1)
    sources = rng.choice(graph.strong_graph.vcount(), size=args.sources, replace=False).tolist()
    _, raw_btw = timed(lambda: graph.strong_graph.betweenness(sources=sources, directed=False))
    _, our_btw = timed(lambda: sampled_betweenness(graph.strong_graph, args.sources, seed=1))
    figures.append(figure("sampled_betweenness", our_btw, "s", raw_btw, 1.5, higher_is_better=False))

    # incremental: one report's links (3 strong edges among nodes of two networks) vs all components again
    touched = np.array([groups[0].members[0], groups[1].members[0], groups[1].members[1]], dtype=np.int64)
    new_src, new_dst = touched[:-1], touched[1:]
    _, our_inc = timed(lambda: update_components(graph, labels, touched, new_src, new_dst))

    def full_again() -> None:
        g = graph.strong_graph.copy()
        g.add_edges(np.column_stack((new_src, new_dst)).tolist())
        g.connected_components()

    _, raw_full = timed(full_again)
    figures.append(figure("incremental_update", our_inc, "s", raw_full, 1.0, higher_is_better=False))
    figures.append(figure("peak_rss", peak_rss_mib(), "MiB"))
    write(
        "network",
        figures,
        nodes=n,
        links=m,
        betweenness_sources=args.sources,
        networks=len(groups),
        scored_networks=scored,
        notes=(
            "synthetic planted groups of 25 nodes, 0.2% cross links, 20% weak reports; "
            "with 3% cross links one giant component forms and Leiden splitting it took ~585 s"
        ),
    )


if __name__ == "__main__":
    main()
