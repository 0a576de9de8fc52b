"""Batch resolution: every visible Person mention into canonical entities (`maxim resolve`).

Reads mentions through the data-access layer, trains (or reuses) the Splink model, predicts
scored pairs, clusters them under the analysts' judgements, and stores the result with the
model that produced it. Small stores (too few mentions to train on) use the model bundled
with Maxim, trained on the synthetic scenario; the run records which model it used.
Vehicles, addresses and organisations are linked in the same run by their identifiers
(`maxim.resolve.identified`), under the same judgements, and stored with the people.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from itertools import groupby
from operator import itemgetter
from typing import Any

from maxim.resolve.cluster import Assignment, cluster
from maxim.resolve.features import (
    MentionFeatures,
    features,
    group_statements,
    report_contexts,
    without_common_associates,
)
from maxim.resolve.identified import SCHEMATA, resolve_identified
from maxim.resolve.splink_engine import train_and_predict
from maxim.store.access import DataAccess
from maxim.store.network_access import mark_networks_stale
from maxim.store.resolution_access import ResolutionAccess

DEFAULT_THRESHOLD = 0.8
MIN_TRAINING_MENTIONS = 2000
# Pairs kept for later re-clustering (judgements): a little below the clustering threshold.
EDGE_FLOOR = 0.5


@dataclass
class RunSummary:
    run_id: str
    engine: str
    mentions: int
    canonical: int
    merged_clusters: int
    unresolved: int
    model_source: str
    timings: dict[str, float] = field(default_factory=dict)


def bundled_model() -> dict[str, Any]:
    text = (resources.files("maxim.resolve") / "default_model.json").read_text(encoding="utf-8")
    model: dict[str, Any] = json.loads(text)
    return model


def without_term_frequencies(model: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(model))
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            level.pop("tf_adjustment_column", None)
            level.pop("tf_adjustment_weight", None)
    return out


def load_features(res: ResolutionAccess, entity_ids: Sequence[str] | None = None) -> dict[str, MentionFeatures]:
    grouped = group_statements(res.person_statements(entity_ids))
    contexts: dict[str, list[str]] = {}
    for _report, rows in groupby(res.context_statements(entity_ids), key=itemgetter(0)):
        contexts.update(report_contexts(row[1:] for row in rows))
    return {eid: features(eid, props, context=contexts.get(eid, ())) for eid, props in sorted(grouped.items())}


def term_frequencies(mentions: Mapping[str, MentionFeatures]) -> dict[str, float]:
    counts = Counter(f.name_key for f in mentions.values() if f.name_key)
    total = sum(counts.values()) or 1
    return {k: v / total for k, v in counts.items()}


def link_row(a: Assignment, run_id: str) -> dict[str, Any]:
    return {
        "entity_id": a.mention_id,
        "canonical_id": a.canonical_id,
        "match_probability": a.match_probability,
        "origin": a.origin,
        "note": a.note,
        "run_id": run_id,
    }


def merged_canonicals(assignments: Sequence[Assignment]) -> list[str]:
    sizes = Counter(a.canonical_id for a in assignments)
    return sorted(c for c, n in sizes.items() if n > 1)


def counts(assignments: Sequence[Assignment]) -> dict[str, int]:
    return {
        "mentions": len(assignments),
        "canonical": len({a.canonical_id for a in assignments}),
        "merged_clusters": len(merged_canonicals(assignments)),
        "unresolved": sum(1 for a in assignments if a.origin == "unresolved"),
    }


def resolve(
    access: DataAccess,
    *,
    engine: str = "duckdb",
    threshold: float = DEFAULT_THRESHOLD,
    model: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunSummary:
    """Resolve every mention the actor may see; judgements override the model and the rules.

    People go through Splink; vehicles, addresses and organisations are linked by their
    identifiers (`maxim.resolve.identified`). The summary counts every mention; the run's
    metrics keep the Person figures apart, with each identified family under `identified`.
    """
    step = progress or (lambda _msg: None)
    res = ResolutionAccess(access)
    started = access.clock()
    t0 = time.perf_counter()
    step("reading Person mentions")
    mentions = without_common_associates(load_features(res))
    comparable = [f for f in mentions.values() if f.comparable]
    source = "given"
    if model is None and len(comparable) < MIN_TRAINING_MENTIONS:
        # Term frequencies of a handful of mentions mean nothing: the bundled model goes without.
        model, source = without_term_frequencies(bundled_model()), "bundled"
    elif model is None:
        source = "trained"
    timings = {"read_s": time.perf_counter() - t0}
    edges: list[tuple[str, str, float]] = []
    trained_model = model
    settings: dict[str, Any] = {"threshold": threshold, "engine": engine, "model_source": source}
    if len(comparable) >= 2:
        trained = train_and_predict(
            comparable, engine=engine, threshold=min(EDGE_FLOOR, threshold), model=model, progress=step
        )
        edges, trained_model = trained.edges, trained.model
        settings.update(trained.settings)
        settings["model_source"] = source
        timings.update(trained.timings)
    step("clustering under judgements")
    t1 = time.perf_counter()
    current = res.current_judgements()
    same = [(j.left_id, j.right_id) for j in current if j.judgement == "same"]
    not_same = [(j.left_id, j.right_id) for j in current if j.judgement == "not_same"]
    assignments = cluster(mentions, edges, threshold=threshold, same=same, not_same=not_same)
    timings["cluster_s"] = time.perf_counter() - t1
    t_identified = time.perf_counter()
    identified = resolve_identified(res.schema_statements(SCHEMATA), same=same, not_same=not_same)
    others = [a for found in identified.values() for a in found]
    timings["identified_s"] = time.perf_counter() - t_identified
    run_id = uuid.uuid4().hex
    merged = merged_canonicals(assignments)
    step("writing the resolution")
    unresolved = sum(1 for a in assignments if a.origin == "unresolved")
    run = {
        "id": run_id,
        "started_at": started,
        "finished_at": None,
        "engine": engine,
        "username": access.actor.username,
        "model": trained_model,
        "settings": settings,
        "metrics": {
            "mentions": len(mentions),
            "comparable": len(comparable),
            "edges": len(edges),
            "canonical": len({a.canonical_id for a in assignments}),
            "merged_clusters": len(merged),
            "unresolved": unresolved,
            "identified": {family: counts(found) for family, found in identified.items()},
            "timings": timings,
        },
        "term_frequencies": None if source == "bundled" else term_frequencies(mentions),
    }
    res.save_run(
        run,
        [link_row(a, run_id) for a in (*assignments, *others)],
        [{"left_id": a, "right_id": b, "match_probability": p, "run_id": run_id} for a, b, p in edges],
        [{"entity_id": eid, "features": f.as_row(), "run_id": run_id} for eid, f in mentions.items()],
        [
            {"key": k, "entity_id": eid}
            for eid, f in mentions.items()
            if f.comparable
            for k in dict.fromkeys(f.blocking_keys())
        ],
        merged + merged_canonicals(others),
    )
    # Canonical ids may have changed for any person, so every stored network may be stale:
    # each scope recomputes whole on its next read. The run is saved whatever happens here.
    mark_networks_stale(access.db)
    everything = counts([*assignments, *others])
    return RunSummary(
        run_id,
        engine,
        everything["mentions"],
        everything["canonical"],
        everything["merged_clusters"],
        everything["unresolved"],
        source,
        timings,
    )
