"""`python -m maxim.scenario OUT_DIR [--seed N] [--reports N]`: write a scenario and time it."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from maxim.scenario.writer import write_scenario


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maxim.scenario", description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reports", type=int, default=1000)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    summary = write_scenario(args.out_dir, seed=args.seed, reports=args.reports)
    elapsed = time.perf_counter() - start
    print(
        f"{summary.reports} reports, {summary.statements} statements, "
        f"{summary.person_mentions} person mentions in {elapsed:.1f} s "
        f"({summary.reports / elapsed:,.0f} reports/s, {summary.statements / elapsed:,.0f} "
        f"statements/s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
