"""Cost of the anchored audit chain per write transaction: HMAC plus the signed checkpoint written after commit.

Runs N one-entry write transactions on a SQLite file with the anchor (key file, checkpoints) and
without (no key configured: plain SHA-256, no checkpoint, the baseline), and writes
bench/results/audit_anchor.json: microseconds per transaction, target: the anchored chain costs at
most 1.5x the unanchored one (the HMAC and one appended line per commit, ~0.1 ms).
    python bench/audit_anchor.py [--events 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import figure, write
from maxim.store.audit import Operation, append
from maxim.store.engine import connect
from maxim.store.migrate import upgrade


def run(url: str, key: Path | None, events: int) -> float:
    db = connect(url, audit_key_file=key)
    upgrade(db)
    start = time.perf_counter()
    for i in range(events):
        with db.writer.begin() as conn:
            append(
                conn,
                at=datetime.now(UTC),
                username="bench",
                operation=Operation.CONSULTATION,
                object_type="report",
                object_ids=[f"r{i}"],
                channel="bench",
            )
    took = time.perf_counter() - start
    db.dispose()
    return took / events * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (its audit_log is written to)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        plain = run(f"sqlite:///file:{base / 'plain.db'}?uri=true", None, args.events)
        anchored = run(f"sqlite:///{base / 'anchored.db'}", base / "anchored.audit-key", args.events)
        figures = [
            figure(
                "sqlite write transaction with the anchored audit (vs unanchored)",
                anchored,
                "us",
                plain,
                1.5,
                higher_is_better=False,
            )
        ]
        if args.postgres:
            pg = run(args.postgres, base / "pg.audit-key", args.events)
            figures.append(figure("postgresql write transaction with the anchored audit", pg, "us"))
    write("audit_anchor", figures, events=args.events)


if __name__ == "__main__":
    main()
