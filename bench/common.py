"""Shared by every benchmark: machine facts, peak memory, the results file format."""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

# MAXIM_BENCH_RESULTS redirects the results (the test that runs the load script at a tiny size).
RESULTS = Path(os.environ.get("MAXIM_BENCH_RESULTS") or Path(__file__).parent / "results")


@dataclass(frozen=True)
class Figure:
    """One measured figure with its raw baseline from the same run (ratio = value / baseline)."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    target: str | None = None
    met: bool | None = None


def figure(
    name: str,
    value: float,
    unit: str,
    baseline: float | None = None,
    target_ratio: float | None = None,
    *,
    higher_is_better: bool = True,
) -> Figure:
    ratio = round(value / baseline, 3) if baseline else None
    met = None
    target = None
    if target_ratio is not None and ratio is not None:
        met = ratio >= target_ratio if higher_is_better else ratio <= target_ratio
        target = f"ratio {'>=' if higher_is_better else '<='} {target_ratio}"
    return Figure(name, round(value, 3), unit, None if baseline is None else round(baseline, 3), ratio, target, met)


def machine() -> dict[str, Any]:
    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    with open("/proc/meminfo", encoding="utf-8") as handle:
        mem_kb = int(handle.readline().split()[1])
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {n: version(n) for n in ("sqlalchemy", "psycopg", "followthemoney", "phonenumbers")},
    }


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write(name: str, figures: list[Figure], **extra: Any) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    body = {"benchmark": name, "machine": machine(), **extra, "figures": [asdict(f) for f in figures]}
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    for f in figures:
        verdict = f" (target {f.target}: {'met' if f.met else 'NOT met'})" if f.target is not None else ""
        ratio = f"  ratio {f.ratio}{verdict}" if f.ratio is not None else ""
        baseline = f"  baseline {f.baseline}" if f.baseline is not None else ""
        print(f"{name}: {f.name} = {f.value} {f.unit}{baseline}{ratio}")
    return path
