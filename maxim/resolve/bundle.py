"""The model Maxim ships for stores too small to train on, and the scenario mentions behind it.

A new force's first few hundred reports say too little for Splink to estimate term
frequencies and m/u values, so `maxim resolve` falls back to a model trained here on the
synthetic London scenario (synthetic people only). Retrain it whenever the comparisons in
`comparisons.py` change, because a saved model must have exactly their levels:

    python -m maxim.resolve.bundle [--mentions 20000] [--seed 2026]

The seed differs from those the tests and benchmarks use, so nothing is measured on the data
the bundled model learnt from.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from maxim.domain.errors import ValidationFailed
from maxim.domain.ids import mention_id
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.resolve.features import MentionFeatures, without_common_associates
from maxim.resolve.realtime import record_mentions
from maxim.resolve.splink_engine import train_and_predict
from maxim.scenario.generate import NEW, Scenario

NOW = datetime(2026, 4, 1, tzinfo=UTC)
MODEL_PATH = Path(__file__).with_name("default_model.json")


def scenario_mentions(seed: int, mentions: int) -> tuple[dict[str, MentionFeatures], dict[str, str], dict[str, str]]:
    """About `mentions` Person mentions of the scenario, as a run resolves them (common associates
    out of their contexts): features, true person, raw name as given.

    Each report goes through the real intake path (`parse_report` + `build_record`), so values
    are normalised exactly as the store holds them, without a database.
    """
    ref = load_reference()
    feats: dict[str, MentionFeatures] = {}
    truth: dict[str, str] = {}
    raw_names: dict[str, str] = {}
    reports = max(100, int(mentions / 2.45))
    for report, rows, flag in Scenario(seed, reports).stream():
        if flag != NEW:
            continue
        try:
            record = build_record(parse_report(report, ref), received_by="bench", now=NOW)
        except ValidationFailed:
            continue
        feats.update(record_mentions(record))
        for row in rows:
            truth[mention_id(row.originator, row.reference, row.local_id)] = row.person_id
        for e in report["entities"]:
            if e["schema"] == "Person":
                raw_names[mention_id(report["originator"], report["reference"], e["id"])] = e["properties"]["name"][0]
    return without_common_associates(feats), truth, raw_names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    mentions, _, _ = scenario_mentions(args.seed, args.mentions)
    trained = train_and_predict([f for f in mentions.values() if f.comparable], threshold=0.99, seed=42)
    MODEL_PATH.write_text(json.dumps(trained.model, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH} from {len(mentions)} scenario mentions")


if __name__ == "__main__":
    main()
