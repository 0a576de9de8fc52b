"""Network benchmark: 1M entities / 3M links generated directly (not through ingest), then the
stored-network path on a scenario database.

Each step of Maxim's network stage is timed against the same operation done directly with
igraph or numpy in the same run (ratio target <= 1.5), with the process's peak RSS after it:

- build: the graph (Maxim also deduplicates edges, keeps the evidence behind each and the
  strong/weak flag) vs `igraph.Graph` from the same integer pairs;
- components: Maxim's networks (components over strong edges, grouped into networks of >= 2
  persons) vs igraph's connected components;
- scoring: the MoRiLE score of every network (`maxim.network.harm.score_groups`: every factor's
  count and points, the priority, kept so each breakdown renders exactly) vs the same weighted
  sums written directly in numpy: the distinct reports of each network (one sort), one
  `np.bincount` per factor, caps, thresholds, scope, likelihood, confidence, opportunity. The run
  checks both give the same priorities. Rendering every breakdown and scoring every nominal are
  timed too (no raw equivalent);
- sampled betweenness: the same sources, raw vs through Maxim's function;
- incremental (arrays): one report's links, components recomputed over the touched components
  only vs all components again.

Then on a SQLite database of scenario reports (`--store-reports`), the stored path end to end:
a full refresh of the stored networks vs the incremental update one new report makes
(`update_networks`, what intake's hook runs), and reading one network's detail from what is
stored vs the whole-graph analysis the detail used to recompute per request.

    .venv/bin/python bench/network.py [--nodes N] [--links M] [--sources K] [--store-reports R]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import igraph as ig  # type: ignore[import-untyped]
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Figure, figure, peak_rss_mib, write
from maxim.intake.batch import ingest_file
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.network.graph import EvidenceGraph
from maxim.network.harm import FINDINGS, HarmFacts, score_groups, score_nominals
from maxim.network.networks import find_groups, sampled_betweenness, update_components
from maxim.prioritise.config import HarmConfig, load_harm_config
from maxim.reference import load_reference
from maxim.scenario import write_scenario
from maxim.security.users import ensure_local_admin
from maxim.store.access import DataAccess
from maxim.store.engine import connect
from maxim.store.migrate import upgrade
from maxim.store.network_access import NetworkAccess, update_networks

T = TypeVar("T")
GROUP = 25  # nodes per planted group
CROSS = 0.002  # share of links between groups (below the percolation point: networks stay apart)
WEAK = 0.2  # share of weak reports
AS_OF = date(2026, 4, 1)
ORIGINATORS = sorted([f"BOCU-{i:02d}" for i in range(32)] + ["NCA", "UKFIU"])
CATEGORIES = ["CRIMINAL", "DOMESTIC", "FACILITATION", "LABOUR", "SEXUAL"]
COUNTRIES = ["AL", "FR", "NG", "RO", "VN"]


def generate(n: int, m: int, seed: int = 1) -> dict[str, Any]:
    """Planted groups of `GROUP` nodes, and every fact a harm score reads, at rates like the scenario's."""
    rng = np.random.default_rng(seed)
    groups = n // GROUP
    g = rng.integers(0, groups, m)
    src = g * GROUP + rng.integers(0, GROUP, m)
    dst = g * GROUP + rng.integers(0, GROUP, m)
    cross = rng.random(m) < CROSS
    dst[cross] = rng.integers(0, n, int(cross.sum()))
    reports = m // 3
    person = rng.random(n) < 0.4
    victim = person & (rng.random(n) < 0.05)
    payments = m // 60
    payer = rng.integers(0, n, payments)
    d: dict[str, Any] = {
        "src": src.astype(np.int64),
        "dst": dst.astype(np.int64),
        "rel": rng.integers(0, 8, m).astype(np.int64),
        "rep": rng.integers(0, reports, m).astype(np.int64),
        "weak": rng.random(reports) < WEAK,
        "person": person,
        "victim": victim,
        "child": victim & (rng.random(n) < 0.2),
        "lead": ~person & (rng.random(n) < 0.8),
        "found": rng.random((reports, len(FINDINGS))) < np.array([0.05, 0.02, 0.02]),
        "sar": rng.random(reports) < 0.03,
        "exploitation": rng.random((reports, len(CATEGORIES))) < 0.03,
        "originator": rng.integers(0, len(ORIGINATORS), reports).astype(np.int64),
        "source": rng.integers(0, 3, reports).astype(np.int64),
        "assessment": rng.integers(0, 5, reports).astype(np.int64),
        "day": AS_OF.toordinal() - rng.integers(0, 1000, reports).astype(np.int64),
        "country_node": np.flatnonzero(~person & (rng.random(n) < 0.02)).astype(np.int64),
        "pay_a": payer.astype(np.int64),
        "pay_b": (payer // GROUP * GROUP + rng.integers(0, GROUP, payments)).clip(0, n - 1).astype(np.int64),
        "pay_amount": np.round(rng.lognormal(7, 2, payments), 2),
        "pay_report": rng.integers(0, reports, payments).astype(np.int64),
    }
    # persons at either end of a link are named in its report; as victims or otherwise
    ends, reps = np.concatenate((d["src"], d["dst"])), np.concatenate((d["rep"], d["rep"]))
    named = person[ends]
    d["mention_node"], d["mention_report"] = ends[named], reps[named]
    own = named & ~victim[ends]
    d["own_node"], d["own_report"] = ends[own], reps[own]
    return d


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def raw_scores(d: dict[str, Any], group_of: np.ndarray, g_n: int, weight: np.ndarray, cfg: HarmConfig) -> np.ndarray:
    """The harm priority of every network written directly in numpy, as one would by hand."""
    h = cfg.harm
    r_n = len(weight)
    g = np.concatenate((group_of[d["src"]], group_of[d["dst"]]))
    r = np.concatenate((d["rep"], d["rep"]))
    keep = g >= 0
    key = np.sort(g[keep] * r_n + r[keep])  # each network's distinct reports (np.unique hashes: slower)
    key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    pg, pr = key // r_n, key % r_n
    n = np.bincount(pg, minlength=g_n)

    def per(rule: dict[str, Any], each: str, count: np.ndarray) -> np.ndarray:
        return np.round(np.minimum(float(rule["cap"]), float(rule[each]) * count), 3)

    def stepped(value: np.ndarray, thresholds: list[tuple[float, float]], floor: float = 0.0) -> np.ndarray:
        out = np.full(len(value), floor)
        for at, pts in thresholds:
            out[value >= at] = pts
        return out

    found = [np.bincount(pg, weights=d["found"][pr, k], minlength=g_n) for k in range(len(FINDINGS))]
    sars = np.bincount(pg, weights=d["sar"][pr], minlength=g_n)
    kinds = sum(np.bincount(pg, weights=d["exploitation"][pr, k], minlength=g_n) > 0 for k in range(len(CATEGORIES)))
    gv = group_of[np.flatnonzero(d["victim"])]
    victims = np.bincount(gv[gv >= 0], minlength=g_n)
    gc = group_of[np.flatnonzero(d["child"])]
    children = np.bincount(gc[gc >= 0], minlength=g_n)
    ga, gb = group_of[d["pay_a"]], group_of[d["pay_b"]]
    money = np.bincount(ga[ga >= 0], weights=d["pay_amount"][ga >= 0], minlength=g_n)
    other = (gb >= 0) & (gb != ga)
    money += np.bincount(gb[other], weights=d["pay_amount"][other], minlength=g_n)
    thresholds = [(float(a), float(b)) for a, b in h["financial"]["money"]["thresholds"]]
    exploitation = h["community_environment"]["exploitation"]
    harm = (
        per(h["physical"]["violence"], "per_report", found[0])
        + per(h["physical"]["weapons"], "per_report", found[1])
        + per(h["psychological"]["victims"], "per_item", victims)
        + stepped(money, thresholds)
        + per(h["financial"]["sars"], "per_report", sars)
        + np.minimum(float(exploitation["cap"]), float(exploitation["per_item"]) * kinds)
        + per(h["community_environment"]["document_fraud"], "per_report", found[2])
        + per(h["vulnerability"]["child_victims"], "per_item", children)
    )
    o_n = len(ORIGINATORS)
    seen = (np.bincount(pg * o_n + d["originator"][pr], minlength=g_n * o_n) > 0).reshape(g_n, o_n)
    originators = seen.sum(axis=1)
    national = (seen & np.isin(ORIGINATORS, sorted(cfg.national_originators))).any(axis=1)
    gn = group_of[d["country_node"]]
    abroad = np.bincount(gn[gn >= 0], minlength=g_n) > 0
    scope = np.select(
        [abroad, national, originators >= cfg.regional_at, originators >= cfg.force_at],
        ["international", "national", "regional", "force"],
        "local",
    )
    multiplier = np.vectorize(cfg.geographic_scope.__getitem__, otypes=[float])(scope)
    latest = np.maximum.reduceat(d["day"][pr], np.searchsorted(pg, np.arange(g_n)))
    recency = 0.5 ** (np.maximum(0, AS_OF.toordinal() - latest) / cfg.half_life_days)
    likelihood = np.round(np.maximum(1.0, stepped(n, cfg.frequency, 1.0) * (0.5 + 0.5 * recency)), 3)
    mean = np.bincount(pg, weights=weight[pr], minlength=g_n) / n
    conf = cfg.confidence
    factor = np.where(
        mean >= conf["high_at"],
        conf["factor"]["HIGH"],
        np.where(mean >= conf["medium_at"], conf["factor"]["MEDIUM"], conf["factor"]["LOW"]),
    )
    leads = np.bincount(group_of[d["lead"]][group_of[d["lead"]] >= 0], minlength=g_n)
    opportunity = stepped(leads, cfg.opportunity, 1.0)
    return np.asarray(np.round(harm * multiplier * likelihood / 5 * factor * opportunity, 3))


def harm_facts(d: dict[str, Any], graph: EvidenceGraph, weight: np.ndarray, cfg: HarmConfig) -> HarmFacts:
    """The generated facts as Maxim's scorer takes them (the ids are names, made beforehand)."""
    grades = [f"{s}{a}" for s in "123" for a in "ABCDE"]
    return HarmFacts(
        report_ids=d["report_ids"],
        report_day=d["day"],
        report_sar=d["sar"],
        report_originator=d["originator"],
        originators=ORIGINATORS,
        national=np.isin(ORIGINATORS, sorted(cfg.national_originators)),
        report_weight=weight,
        report_grade=d["source"] * 5 + d["assessment"],
        grades=grades,
        found=d["found"],
        report_wide=d["found"],
        exploitation=d["exploitation"],
        categories=CATEGORIES,
        person=d["person"],
        victim=d["victim"],
        child=d["child"],
        lead=d["lead"],
        inc_node=np.concatenate((d["src"], d["dst"])),
        inc_report=np.concatenate((d["rep"], d["rep"])),
        own_node=d["own_node"],
        own_report=d["own_report"],
        mention_node=d["mention_node"],
        mention_report=d["mention_report"],
        country_node=d["country_node"],
        country_code=d["country_node"] % len(COUNTRIES),
        countries=COUNTRIES,
        pay_a=d["pay_a"],
        pay_b=d["pay_b"],
        pay_amount=d["pay_amount"],
        pay_report=d["pay_report"],
        edge_u=graph.edge_u,
        edge_v=graph.edge_v,
    )


def arrays(args: argparse.Namespace) -> tuple[list[Figure], dict[str, Any]]:
    n, m = args.nodes, args.links
    d = generate(n, m)
    print(f"generated {n} nodes, {m} links", flush=True)
    nodes = [f"n{i}" for i in range(n)]
    kinds = np.where(d["person"], "person", "phone").tolist()
    report_ids = [f"r{i:07d}" for i in range(len(d["weak"]))]  # zero-padded: index order is id order
    d["report_ids"] = report_ids
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
    labels, our_comp = timed(graph.components)
    groups, group_time = timed(lambda: find_groups(graph, labels=labels, max_persons=10_000))
    figures.append(figure("components", our_comp + group_time, "s", raw_comp, 1.5, higher_is_better=False))
    figures.append(figure("components_peak_rss", peak_rss_mib(), "MiB"))
    print(f"{len(raw_cc)} raw components, {len(groups)} networks", flush=True)

    # scoring: every network's MoRiLE score vs the same weighted sums written directly in numpy
    cfg = load_harm_config()
    group_of = np.full(n, -1, dtype=np.int64)
    for i, group in enumerate(groups):
        group_of[group.members] = i
    sources, assessments = ["1", "2", "3"], ["A", "B", "C", "D", "E"]
    weight = np.array([cfg.source_weight[s] * cfg.assessment_weight[a] for s in sources for a in assessments])[
        d["source"] * 5 + d["assessment"]
    ]
    raw_priority, raw_score = timed(lambda: raw_scores(d, group_of, len(groups), weight, cfg))
    names = [f"N{i}" for i in range(len(groups))]
    table, our_score = timed(lambda: score_groups(harm_facts(d, graph, weight, cfg), group_of, names, cfg, AS_OF))
    figures.append(figure("scoring", our_score, "s", raw_score, 1.5, higher_is_better=False))
    figures.append(figure("scoring_peak_rss", peak_rss_mib(), "MiB"))
    agree = float(np.mean(np.abs(table.priority - raw_priority) <= 0.0011))
    print(f"priorities agreeing with the raw computation (to its rounding): {agree:.4%}", flush=True)
    assert agree > 0.999, "the raw baseline and Maxim's scorer disagree: one of them is wrong"

    breakdowns, render = timed(lambda: [table.score(i) for i in range(len(table))])
    figures.append(figure("scoring_render_all_breakdowns", render, "s"))
    persons = np.flatnonzero((group_of >= 0) & d["person"])
    facts = harm_facts(d, graph, weight, cfg)
    nominal, nominal_time = timed(
        lambda: score_nominals(facts, persons, [nodes[i] for i in persons.tolist()], cfg, AS_OF)
    )
    figures.append(figure("scoring_nominals", nominal_time, "s"))
    figures.append(figure("scoring_nominals_peak_rss", peak_rss_mib(), "MiB"))
    del breakdowns

    # sampled betweenness: same sources, raw vs through Maxim's function
    rng = np.random.default_rng(1)
    sources_b = rng.choice(graph.strong_graph.vcount(), size=args.sources, replace=False).tolist()
    _, raw_btw = timed(lambda: graph.strong_graph.betweenness(sources=sources_b, directed=False))
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
    extra = {
        "nodes": n,
        "links": m,
        "betweenness_sources": args.sources,
        "networks": len(groups),
        "scored_networks": len(table),
        "scored_nominals": len(nominal),
    }
    return figures, extra


def stored(args: argparse.Namespace) -> tuple[list[Figure], dict[str, Any]]:
    """The stored path on a SQLite database of scenario reports."""
    figures = []
    with tempfile.TemporaryDirectory(prefix="maxim-bench-network-") as tmp:
        out = Path(tmp)
        write_scenario(out / "scenario", seed=3, reports=args.store_reports)
        db = connect(f"sqlite:///{out / 'maxim.db'}")
        upgrade(db)
        access = DataAccess(db, ensure_local_admin(db), channel="bench")
        ingest_file(out / "scenario" / "reports.jsonl", access, load_reference(), workers=1)
        print(f"ingested {args.store_reports} scenario reports", flush=True)
        store = NetworkAccess(access)
        analysis, refresh = timed(lambda: store.refresh(as_of=AS_OF))
        target = max(analysis.ranked, key=lambda r: len(r.network.persons))
        graph = analysis.graph
        phone = next(graph.nodes[i] for i in target.network.members.tolist() if graph.kinds[i] == "phone")
        raw = {
            "kind": "intelligence",
            "originator": "BOCU-LAMBETH",
            "reference": "LAM/2026/BENCH01",
            "received_at": "2026-03-30T10:00:00Z",
            "source_evaluation": "2",
            "intelligence_assessment": "B",
            "handling_code": "P",
            "nim_level": 2,
            "themes": ["TRAFFICKING"],
            "title": "A newcomer on a known phone",
            "text": "Newcomer seen using the phone.",
            "entities": [
                {
                    "id": "p1",
                    "schema": "Person",
                    "role": "suspect",
                    "properties": {"name": ["Testperson Newcomer"], "phone": [phone.removeprefix("phone:")]},
                }
            ],
        }
        record = build_record(parse_report(raw, load_reference()), received_by="bench", now=datetime.now(UTC))
        [added] = access.submit([record])
        changed, update = timed(lambda: update_networks(access, [added.report_id]))
        figures.append(
            figure("incremental_one_report_vs_full_refresh", update, "s", refresh, 0.1, higher_is_better=False)
        )
        print(f"one report changed {changed[store.scope]} of {len(analysis.ranked)} networks", flush=True)
        detail, read = timed(lambda: store.network(target.network.id))
        _, recompute = timed(lambda: store.analyse(AS_OF))  # what each detail request used to run first
        figures.append(figure("network_detail_stored_vs_recompute", read, "s", recompute, 0.1, higher_is_better=False))
        assert detail is not None and detail["members"]
        db.dispose()
    extra = {
        "store_reports": args.store_reports,
        "store_networks": len(analysis.ranked),
        "store_networks_rewritten_by_one_report": len(changed[store.scope] or []),
    }
    return figures, extra


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--links", type=int, default=3_000_000)
    parser.add_argument("--sources", type=int, default=16)
    parser.add_argument("--store-reports", type=int, default=3000)
    args = parser.parse_args()
    figures, extra = arrays(args)
    more, store_extra = stored(args)
    write(
        "network",
        figures + more,
        **extra,
        **store_extra,
        notes=(
            "synthetic planted groups of 25 nodes, 0.2% cross links, 20% weak reports, every harm fact at "
            "scenario-like rates; with 3% cross links one giant component forms and Leiden splitting it took "
            "~585 s. peak_rss figures are the process's peak so far. The stored figures run on SQLite with "
            f"{args.store_reports} scenario reports (seed 3)"
        ),
    )


if __name__ == "__main__":
    main()
