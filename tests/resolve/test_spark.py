"""The national-scale path: Splink on Spark gives the same clusters as on DuckDB.

Spark needs Java 17 and pyspark (a test extra); without them this test fails, never skips.
"""

from __future__ import annotations

import shutil

import pytest

from maxim.domain.ids import mention_id
from maxim.resolve.cluster import cluster
from maxim.resolve.features import MentionFeatures, features
from maxim.resolve.run import DEFAULT_THRESHOLD, EDGE_FLOOR
from maxim.resolve.splink_engine import train_and_predict
from maxim.scenario import iter_scenario


def _spark_available() -> str | None:
    if shutil.which("java") is None:
        return "java is not on PATH"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed"
    return None


def _mentions(reports: int) -> dict[str, MentionFeatures]:
    out = {}
    for report, _truth in iter_scenario(5, reports):
        for e in report["entities"]:
            if e["schema"] == "Person":
                mid = mention_id(report["originator"], report["reference"], e["id"])
                out[mid] = features(mid, e["properties"])
    return out


def test_spark_and_duckdb_give_the_same_clusters() -> None:
    missing = _spark_available()
    if missing:
        pytest.fail(f"Spark resolution needs Java 17 and pyspark: {missing}")
    mentions = _mentions(1200)
    assert len(mentions) > 2500
    rows = [f for f in mentions.values() if f.comparable]
    duck = train_and_predict(rows, engine="duckdb", threshold=EDGE_FLOOR)
    spark = train_and_predict(rows, engine="spark", threshold=EDGE_FLOOR, model=duck.model)

    def clusters(edges: list[tuple[str, str, float]]) -> set[frozenset[str]]:
        groups: dict[str, set[str]] = {}
        for a in cluster(mentions, edges, threshold=DEFAULT_THRESHOLD):
            groups.setdefault(a.canonical_id, set()).add(a.mention_id)
        return {frozenset(g) for g in groups.values()}

    assert {(a, b) for a, b, _ in spark.edges} == {(a, b) for a, b, _ in duck.edges}
    assert all(abs(p - q) < 1e-6 for (_, _, p), (_, _, q) in zip(duck.edges, spark.edges, strict=True))
    assert clusters(spark.edges) == clusters(duck.edges)
