"""Scenario mentions for the resolution benchmarks, built without a database.

Each report goes through the real intake path (`parse_report` + `build_record`, so values are
normalised exactly as the store holds them); the Person statements become features.
"""

from __future__ import annotations

from datetime import UTC, datetime

from maxim.domain.errors import ValidationFailed
from maxim.domain.ids import mention_id
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.resolve.features import MentionFeatures
from maxim.resolve.realtime import record_mentions
from maxim.scenario.generate import NEW, Scenario

NOW = datetime(2026, 4, 1, tzinfo=UTC)


def scenario_mentions(seed: int, mentions: int) -> tuple[dict[str, MentionFeatures], dict[str, str], dict[str, str]]:
    """About `mentions` Person mentions: features, true person of each, and raw name as given."""
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
    return feats, truth, raw_names
