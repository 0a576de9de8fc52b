"""Resolution at scale: Maxim's batch path against bare Splink with the same settings, and the
real-time candidate lookup's p95 against a store holding the same mentions.

Mentions are built straight from the scenario generator (features of each Person as the intake
would normalise them, without writing reports to a database: ingesting a million mentions is the
ingest benchmark's job). Batch: train + predict + cluster time and peak memory, Maxim (Splink with
Maxim's comparisons, then constrained clustering) vs bare Splink (same settings, Splink's own
clustering), each in its own process so peak memory is its own. Real-time: the blocking index and
features written to a SQLite store, then `candidates_for` on 200 new mentions.
Targets: time ratio <= 1.5, peak < 6 GB, real-time p95 < 100 ms.

    python bench/resolve_scale.py [--mentions 1000000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import pickle  # nosec B403 - a file this benchmark writes itself
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, figure, write


def _mentions(n: int, seed: int = 3) -> dict[str, Any]:
    from maxim.resolve.bundle import scenario_mentions

    feats, _truth, _raw = scenario_mentions(seed, n)
    return feats


def _load(path: str) -> dict[str, Any]:
    with open(path, "rb") as handle:
        feats: dict[str, Any] = pickle.load(handle)  # nosec B301 - our own file, written by main()
    return feats


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _batch(kind: str, path: str, out: Any) -> None:
    feats = _load(path)
    base_mem = _peak_mib()
    rows = [f for f in feats.values() if f.comparable]
    t0 = time.perf_counter()
    if kind == "maxim":
        from maxim.resolve.cluster import cluster
        from maxim.resolve.run import DEFAULT_THRESHOLD, EDGE_FLOOR
        from maxim.resolve.splink_engine import train_and_predict

        trained = train_and_predict(rows, threshold=EDGE_FLOOR)
        t1 = time.perf_counter()
        cluster(feats, trained.edges, threshold=DEFAULT_THRESHOLD)
        timings = {**trained.timings, "cluster_s": time.perf_counter() - t1}
    else:
        timings = _bare(rows)
    total = time.perf_counter() - t0
    out.put(
        {
            "kind": kind,
            "mentions": len(feats),
            "total_s": total,
            "timings": timings,
            "peak_mib": _peak_mib(),
            "peak_before_mib": base_mem,
        }
    )


def _bare(rows: list[Any]) -> dict[str, float]:
    """Bare Splink, same comparisons, blocking, training and DuckDB settings; Splink's clustering."""
    from splink import DuckDBAPI, Linker, block_on

    from maxim.resolve.run import DEFAULT_THRESHOLD, EDGE_FLOOR
    from maxim.resolve.splink_engine import (
        PRIOR_RULES_RECALL,
        _quiet,
        _to_arrow,
        blocking_rules,
        duckdb_connection,
        settings_creator,
    )

    data = [r.as_row() for r in rows]
    for d in data:
        d.pop("caption")
    rules, _ = blocking_rules(rows)
    with _quiet(), tempfile.TemporaryDirectory(prefix="maxim-bench-") as spill:
        con = duckdb_connection(Path(spill))
        api = DuckDBAPI(connection=con)
        table = api.register(_to_arrow(data), table_name="mentions")
        t0 = time.perf_counter()
        linker = Linker(table, settings_creator(rules), log_level=None)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("name_key", "dob"), block_on("passport"), block_on("email")], recall=PRIOR_RULES_RECALL
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=42)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("dob"), estimate_without_term_frequencies=True, max_pairs=2e6
        )
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("name_skel"), estimate_without_term_frequencies=True, max_pairs=2e6
        )
        t1 = time.perf_counter()
        predictions = linker.inference.predict(threshold_match_probability=EDGE_FLOOR)
        t2 = time.perf_counter()
        linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, DEFAULT_THRESHOLD)
        t3 = time.perf_counter()
    return {"train_s": t1 - t0, "predict_s": t2 - t1, "cluster_s": t3 - t2}


def _in_process(kind: str, path: str) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_batch, args=(kind, path, queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def realtime(feats: dict[str, Any], queries: int = 200) -> dict[str, Any]:
    """p95 of `candidates_for` against a store holding n mentions' blocking index and features."""
    import uuid
    from datetime import UTC, datetime

    from maxim.intake.statements import ReportRecord
    from maxim.resolve.realtime import candidates_for
    from maxim.resolve.run import bundled_model
    from maxim.security.users import ensure_local_admin
    from maxim.store.access import DataAccess
    from maxim.store.engine import connect
    from maxim.store.migrate import upgrade
    from maxim.store.resolution_access import ResolutionAccess

    items = list(feats.items())
    probes, known = items[:queries], items[queries:]
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(f"sqlite:///{tmp}/scale.db")
        upgrade(db)
        access = DataAccess(db, ensure_local_admin(db), channel="bench")
        run_id = uuid.uuid4().hex
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        # Every known mention is made visible by one statement of one report (the policy join).
        report = {
            "id": "r" * 40,
            "originator": "BENCH",
            "reference": "SCALE",
            "version": 1,
            "is_current": True,
            "content_hash": "0" * 64,
            "kind": "intelligence",
            "received_at": now,
            "source_evaluation": "2",
            "intelligence_assessment": "B",
            "handling_code": "P",
            "migrated": False,
            "themes": [],
            "title": "scale",
            "text": "",
            "created_at": now,
            "created_by": "bench",
        }
        entities = [{"id": eid, "schema": "Person", "caption": f.caption[:500]} for eid, f in known]
        statements = [
            {
                "id": f"s{eid[1:]}",
                "report_id": report["id"],
                "entity_id": eid,
                "schema": "Person",
                "prop": "name",
                "value": f.caption or "x",
                "original_value": f.caption or "x",
                "identifier_kind": None,
                "valid": True,
                "reason": None,
                "origin": "given",
                "span_start": None,
                "span_end": None,
            }
            for eid, f in known
        ]
        access.submit([ReportRecord(report=report, entities=entities, statements=statements, subjects=[], grantees=[])])
        res = ResolutionAccess(access)
        res.save_run(
            {
                "id": run_id,
                "started_at": now,
                "finished_at": now,
                "engine": "duckdb",
                "username": "bench",
                "model": bundled_model(),
                "settings": {},
                "metrics": {},
                "term_frequencies": None,
            },
            [
                {
                    "entity_id": eid,
                    "canonical_id": eid,
                    "match_probability": None,
                    "origin": "model",
                    "note": None,
                    "run_id": run_id,
                }
                for eid, _ in known
            ],
            [],
            [{"entity_id": eid, "features": f.as_row(), "run_id": run_id} for eid, f in known],
            [
                {"key": k, "entity_id": eid}
                for eid, f in known
                if f.comparable
                for k in dict.fromkeys(f.blocking_keys())
            ],
            [],
        )
        load_s = time.perf_counter() - t0
        times = []
        found = 0
        for eid, f in probes:
            record = ReportRecord(
                report={},
                entities=[{"id": eid, "schema": "Person", "caption": f.caption}],
                statements=_statements(eid, f),
                subjects=[],
                grantees=[],
            )
            s = time.perf_counter()
            found += len(candidates_for(access, record))
            times.append(time.perf_counter() - s)
        db.dispose()
    times.sort()
    return {
        "p50_ms": times[len(times) // 2] * 1000,
        "p95_ms": times[int(len(times) * 0.95) - 1] * 1000,
        "queries": len(times),
        "candidates": found,
        "store_load_s": load_s,
        "known_mentions": len(known),
    }


def _statements(eid: str, f: Any) -> list[dict[str, Any]]:
    props = {
        "name": f.caption,
        "birthDate": f.dob,
        "phone": f.phone,
        "passportNumber": f.passport,
        "email": f.email,
        "gender": f.gender,
        "nationality": f.nationality,
    }
    return [
        {"entity_id": eid, "schema": "Person", "prop": k, "value": v, "identifier_kind": None, "valid": True}
        for k, v in props.items()
        if v
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=1_000_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    feats = _mentions(args.mentions)
    build_s = time.perf_counter() - t0
    print(f"built {len(feats)} mentions in {build_s:.0f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="maxim-scale-") as tmp:
        path = str(Path(tmp) / "mentions.pickle")
        with open(path, "wb") as handle:
            pickle.dump(feats, handle, protocol=pickle.HIGHEST_PROTOCOL)
        bare = _in_process("bare", path)
        print(json.dumps(bare), flush=True)
        ours = _in_process("maxim", path)
        print(json.dumps(ours), flush=True)
    rt = realtime(feats)
    print(json.dumps(rt), flush=True)
    label = f"{ours['mentions'] / 1e6:.2f}M mentions"
    figures: list[Figure] = [
        figure(
            f"train+predict+cluster time at {label}", ours["total_s"], "s", bare["total_s"], 1.5, higher_is_better=False
        ),
        Figure(
            f"peak memory at {label}",
            round(ours["peak_mib"]),
            "MiB",
            round(bare["peak_mib"]),
            round(ours["peak_mib"] / bare["peak_mib"], 3),
            "< 6144 MiB",
            ours["peak_mib"] < 6144,
        ),
        Figure(
            f"real-time candidates p95 at {label}",
            round(rt["p95_ms"], 1),
            "ms",
            None,
            None,
            "< 100 ms",
            rt["p95_ms"] < 100,
        ),
    ]
    write(
        "resolve_scale",
        figures,
        maxim=ours,
        bare_splink=bare,
        realtime=rt,
        mentions_build_s=round(build_s, 1),
        note="mentions built once from the generator through parse_report/build_record (not ingested) and "
        "loaded by each measured process; peak memory per process includes holding the mentions",
    )


if __name__ == "__main__":
    main()
