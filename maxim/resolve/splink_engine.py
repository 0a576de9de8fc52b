"""The Splink adapter: train the Person model and predict scored pairs, on DuckDB or Spark.

Input is a list of `MentionFeatures`; output is the pairs at or above a threshold with their
match probability, and the trained model as Splink's own JSON (`save_model_to_json`), which
is stored with the run so the same model can predict again later. A run given a saved model
skips training and reproduces that model's scores.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maxim.resolve.comparisons import COMPARISONS
from maxim.resolve.features import MentionFeatures

ENGINES = ("duckdb", "spark")
# Name-only blocking (no date of birth or identifier) is used while it stays affordable.
NAME_ONLY_BLOCKING_MAX_PAIRS = 20_000_000
PRIOR_RULES_RECALL = 0.6
LIST_COLUMNS = ("name_tokens", "context")
DUCKDB_THREADS = os.cpu_count() or 2
# Half the machine's memory: the rest is the app's and the database's. Beyond it DuckDB spills to
# disk where it can; at a million scenario mentions Splink's prediction cannot fit in 4 GB.
DUCKDB_MEMORY_LIMIT = f"{max(1, os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**31)}GB"


@dataclass
class Trained:
    model: dict[str, Any]
    settings: dict[str, Any]
    edges: list[tuple[str, str, float]]
    timings: dict[str, float] = field(default_factory=dict)


def _on(*cols: str) -> str:
    return " AND ".join(f"l.{c} = r.{c}" for c in cols)


def blocking_rules(rows: Sequence[MentionFeatures]) -> tuple[list[Any], dict[str, Any]]:
    """Splink blocking rules for prediction, and whether name-only blocking is on.

    When pairing every mention of a name is too costly, mentions of one name skeleton are
    still paired when they are named alongside the same person, place or identifier (the
    context array exploded), so a common name without a date of birth is not left unlinked.
    """
    rules: list[Any] = [
        _on("name_skel", "dob_year"),
        _on("skel_a", "dob"),
        _on("skel_b", "dob"),
        _on("phone"),
        _on("passport"),
        _on("email"),
    ]
    sizes = Counter(r.name_skel for r in rows if r.name_skel and len(r.name_tokens) >= 2)
    pairs = sum(n * (n - 1) // 2 for n in sizes.values())
    name_only = pairs <= NAME_ONLY_BLOCKING_MAX_PAIRS
    described = list(rules)
    if name_only:
        rules.append(_on("name_skel"))
        described.append(rules[-1])
    else:
        from splink import block_on

        rules.append(block_on("name_skel", "context", arrays_to_explode=["context"]))
        described.append("l.name_skel = r.name_skel AND one context element agrees (context exploded)")
    return rules, {"name_only_blocking": name_only, "name_only_pairs": pairs, "rules": described}


def settings_creator(rules: list[Any]) -> Any:
    from splink import SettingsCreator
    from splink.comparison_library import CustomComparison

    comparisons: list[Any] = [
        CustomComparison(
            [lvl.creator() for lvl in c.levels], output_column_name=c.name, comparison_description=c.description
        )
        for c in COMPARISONS
    ]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,  # SQL strings and rule creators
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
    )


@contextmanager
def _quiet() -> Iterator[None]:
    """Splink logs every step at INFO; keep its chatter (not its errors) off the terminal."""
    logger = logging.getLogger("splink")
    old = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # Splink warns about its own defaults (e.g. sample sizes) through `warnings`.
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        logger.setLevel(old)


def spark_session() -> Any:
    """A local Spark session on this machine's Java (loopback only)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    return (
        SparkSession.builder.master("local[2]")
        .config("spark.jars", similarity_jar_location())  # Splink's string-similarity UDFs
        .appName("maxim-resolve")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )


def with_parameters(creator: Any, engine: str, model: dict[str, Any]) -> dict[str, Any]:
    """Settings in this engine's SQL dialect carrying a saved model's trained parameters.

    A model saved from one engine holds SQL in that engine's dialect; rebuilding the settings
    from Maxim's comparisons and copying the prior and every level's m and u moves it safely.
    """
    settings: dict[str, Any] = creator.create_settings_dict("duckdb" if engine == "duckdb" else "spark")
    settings["probability_two_random_records_match"] = model["probability_two_random_records_match"]
    saved = {c["output_column_name"]: c["comparison_levels"] for c in model["comparisons"]}
    for comparison in settings["comparisons"]:
        levels = saved[comparison["output_column_name"]]
        if len(levels) != len(comparison["comparison_levels"]):
            raise ValueError(f"saved model does not fit comparison {comparison['output_column_name']!r}")
        for level, old in zip(comparison["comparison_levels"], levels, strict=True):
            for key in ("m_probability", "u_probability"):
                if old.get(key) is not None:
                    level[key] = old[key]
            if not old.get("tf_adjustment_column"):
                level.pop("tf_adjustment_column", None)
                level.pop("tf_adjustment_weight", None)
    return settings


def duckdb_connection(spill_dir: Path) -> Any:
    """DuckDB as resolution uses it: the machine's cores, and a memory ceiling past which it spills
    to `spill_dir`, so a resolution run leaves room for the app and the database (unbounded,
    DuckDB takes most of the RAM for Splink's pairwise predictions: 17 GB at a million)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads TO {DUCKDB_THREADS}")
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = false")  # lets more operators spill; edges are sorted
    con.execute(f"SET temp_directory = '{spill_dir}'")
    return con


def _db_api(engine: str, rows: list[dict[str, Any]], checkpoint_dir: Path) -> tuple[Any, Any]:
    if engine == "duckdb":
        from splink import DuckDBAPI

        api = DuckDBAPI(connection=duckdb_connection(checkpoint_dir))
        return api, api.register(_to_arrow(rows), table_name="mentions")
    if engine == "spark":
        from splink import SparkAPI

        spark = spark_session()
        spark.sparkContext.setCheckpointDir(str(checkpoint_dir))
        frame = spark.createDataFrame(_to_arrow(rows))
        spark_api: Any = SparkAPI(spark_session=spark, break_lineage_method="parquet")  # type: ignore[no-untyped-call]
        return spark_api, spark_api.register(frame, table_name="mentions")
    raise ValueError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")


def _to_arrow(rows: list[dict[str, Any]]) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped]

    return pa.Table.from_pylist(
        rows,
        schema=pa.schema([(name, pa.list_(pa.string()) if name in LIST_COLUMNS else pa.string()) for name in rows[0]]),
    )


def train_and_predict(
    mentions: Sequence[MentionFeatures],
    *,
    engine: str = "duckdb",
    threshold: float = 0.5,
    model: dict[str, Any] | None = None,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> Trained:
    """Train (unless `model` is given) and predict; pairs at or above `threshold` come back."""
    import time

    from splink import Linker, block_on

    step = progress or (lambda _msg: None)
    rows = [m.as_row() for m in mentions]
    for row in rows:
        row.pop("caption")
    rules, blocking = blocking_rules(mentions)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="maxim-splink-") as tmp, _quiet():
        api, table = _db_api(engine, rows, Path(tmp))
        t0 = time.perf_counter()
        if model is not None:
            linker = Linker(table, with_parameters(settings_creator(rules), engine, model), log_level=None)
        else:
            linker = Linker(table, settings_creator(rules), log_level=None)
            step("estimating the prior from deterministic rules")
            linker.training.estimate_probability_two_random_records_match(
                [block_on("name_key", "dob"), block_on("passport"), block_on("email")],
                recall=PRIOR_RULES_RECALL,
            )
            step("estimating u (random sampling)")
            linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
            step("estimating m (EM, blocked on date of birth)")
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on("dob"), estimate_without_term_frequencies=True, max_pairs=2e6
            )
            # Date of birth and context are learnt among pairs sharing a name skeleton and a phone,
            # nearly all one person: among pairs sharing only a name, homonyms teach EM that a true
            # match's dates differ; among pairs sharing only a phone, a controller's phone teaches
            # it that a true match's names differ.
            step("estimating m (EM, blocked on name skeleton and phone)")
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on("name_skel", "phone"), estimate_without_term_frequencies=True, max_pairs=2e6
            )
        timings["train_s"] = time.perf_counter() - t0
        trained = linker.misc.save_model_to_json()
        t1 = time.perf_counter()
        step("scoring blocked pairs")
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        edges = _edges(api, predictions, engine)
        timings["predict_s"] = time.perf_counter() - t1
        predictions.drop_table_from_database_and_remove_from_cache()
    return Trained(
        trained, {"blocking": blocking, "threshold": threshold, "engine": engine, "seed": seed}, edges, timings
    )


def _edges(api: Any, predictions: Any, engine: str) -> list[tuple[str, str, float]]:
    """Scored pairs as (lower id, higher id, probability), in that order: one order whatever engine.

    The engine orders them (strings compare by code point in DuckDB, Spark and Python alike):
    sorting millions of tuples in Python took longer than Splink's whole prediction.
    """
    sql = (
        "SELECT least(unique_id_l, unique_id_r) AS a, greatest(unique_id_l, unique_id_r) AS b, "
        f"CAST(match_probability AS DOUBLE) AS p FROM {predictions.physical_name} ORDER BY a, b, p"
    )
    if engine == "duckdb":
        rows: list[tuple[str, str, float]] = api.duckdb_con.execute(sql).fetchall()
        return rows
    return [(r[0], r[1], float(r[2])) for r in api.spark.sql(sql).collect()]
