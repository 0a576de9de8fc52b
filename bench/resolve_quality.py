"""Resolution quality on the synthetic scenario's ground truth, against a plain Splink baseline.

For each size (Person mentions): Maxim's model (transliteration skeletons, order-free names,
partial and slipped dates of birth, identifiers, constrained clustering) and a plain Splink
model (default `NameComparison` on the name as given, `DateOfBirthComparison` on full dates,
exact phone/passport/email, the same blocking, Splink's own clustering at the same threshold),
trained the same way in the same run. Pairwise precision/recall/F1 and B-cubed F1.
Targets: pairwise F1 >= 0.97 and precision >= 0.99.

    python bench/resolve_quality.py [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, peak_rss_mib, write
from maxim.resolve.bundle import scenario_mentions
from maxim.resolve.cluster import cluster
from maxim.resolve.evaluate import scores
from maxim.resolve.features import MentionFeatures
from maxim.resolve.run import DEFAULT_THRESHOLD, EDGE_FLOOR
from maxim.resolve.splink_engine import _quiet, _to_arrow, blocking_rules, duckdb_connection, train_and_predict


def baseline(mentions: dict[str, MentionFeatures], raw: dict[str, str], threshold: float) -> dict[str, str]:
    """Plain Splink: default name and date-of-birth comparisons, same blocking and training."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    rows = []
    for f in mentions.values():
        row = f.as_row()
        row.pop("caption")
        row["raw_name"] = raw.get(f.unique_id, f.caption).lower()
        row["dob_full"] = f.dob if f.dob and len(f.dob) == 10 else None
        rows.append(row)
    rules, _ = blocking_rules(list(mentions.values()))
    with _quiet(), tempfile.TemporaryDirectory(prefix="maxim-bench-") as spill:
        con = duckdb_connection(Path(spill))
        api = DuckDBAPI(connection=con)
        table = api.register(_to_arrow(rows), table_name="mentions")
        settings = SettingsCreator(
            link_type="dedupe_only",
            comparisons=[
                cl.NameComparison("raw_name"),
                cl.DateOfBirthComparison("dob_full", input_is_string=True),
                cl.ExactMatch("phone"),
                cl.ExactMatch("passport"),
                cl.ExactMatch("email"),
            ],
            blocking_rules_to_generate_predictions=rules,
        )
        linker = Linker(table, settings, log_level=None)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("name_key", "dob"), block_on("passport"), block_on("email")], recall=0.6
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=42)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"), max_pairs=2e6)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_skel"), max_pairs=2e6)
        predictions = linker.inference.predict(threshold_match_probability=EDGE_FLOOR)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
        result = con.execute(f"SELECT unique_id, cluster_id FROM {clusters.physical_name}").fetchall()
    return {str(u): str(c) for u, c in result}


def run_size(size: int, seed: int) -> tuple[list[Figure], dict[str, Any]]:
    t0 = time.perf_counter()
    mentions, truth, raw = scenario_mentions(seed, size)
    built = time.perf_counter() - t0
    comparable = [f for f in mentions.values() if f.comparable]
    t1 = time.perf_counter()
    trained = train_and_predict(comparable, threshold=EDGE_FLOOR, seed=42)
    assignments = cluster(mentions, trained.edges, threshold=DEFAULT_THRESHOLD)
    maxim_s = time.perf_counter() - t1
    ours = scores({a.mention_id: a.canonical_id for a in assignments}, truth)
    t2 = time.perf_counter()
    theirs = scores(baseline(mentions, raw, DEFAULT_THRESHOLD), truth)
    base_s = time.perf_counter() - t2
    n = len(mentions)
    label = f"{round(n / 1000)}k" if n < 1_000_000 else f"{n / 1e6:.1f}M"
    figures = []
    # The targets: precision >= 0.99 on its own (a baseline that links little is always
    # precise), F1 >= 0.97 and above the baseline, the rest above the baseline.
    for key, target, beat in (
        ("pairwise_precision", 0.99, False),
        ("pairwise_recall", None, True),
        ("pairwise_f1", 0.97, True),
        ("bcubed_f1", None, True),
    ):
        value, base = ours[key], theirs[key]
        wanted = [f">= {target}"] if target else []
        wanted += ["above the plain Splink baseline"] if beat else []
        figures.append(
            Figure(
                f"{key} at {label} mentions",
                round(value, 4),
                "ratio",
                round(base, 4),
                round(value / base, 3) if base else None,
                " and ".join(wanted),
                (target is None or value >= target) and (not beat or value > base),
            )
        )
    facts = {
        "mentions": n,
        "true_persons": int(ours["true_clusters"]),
        "scenario_build_s": round(built, 1),
        "maxim_s": round(maxim_s, 1),
        "baseline_s": round(base_s, 1),
        "maxim": {k: round(v, 4) for k, v in ours.items()},
        "baseline": {k: round(v, 4) for k, v in theirs.items()},
        "blocking": trained.settings["blocking"]["name_only_blocking"],
    }
    print(f"{label}: maxim {facts['maxim']}\n      baseline {facts['baseline']}", flush=True)
    return figures, facts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    figures: list[Figure] = []
    runs = []
    for size in (int(s) for s in args.sizes.split(",")):
        f, facts = run_size(size, args.seed)
        figures.extend(f)
        runs.append(facts)
    write("resolve_quality", figures, threshold=DEFAULT_THRESHOLD, runs=runs, peak_rss_mib=round(peak_rss_mib()))


if __name__ == "__main__":
    main()
