"""The synthetic scenario as report records and as pure network inputs (invented people only)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

from maxim.domain.ids import mention_id
from maxim.intake.parse import parse_report
from maxim.intake.statements import ReportRecord, build_record
from maxim.network.model import Fact, ReportInfo, Subject
from maxim.reference import load_reference
from maxim.scenario import write_scenario

NOW = datetime(2026, 4, 1, tzinfo=UTC)
AS_OF = date(2026, 4, 1)
SEED, REPORTS = 7, 700


@cache
def scenario() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """(reports, truth by mention id, true networks) of a small deterministic scenario."""
    out = Path(mkdtemp(prefix="maxim-network-"))
    write_scenario(out, seed=SEED, reports=REPORTS)
    reports = [json.loads(line) for line in (out / "reports.jsonl").read_text(encoding="utf-8").splitlines()]
    truth = {}
    for line in (out / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        t = json.loads(line)
        truth[mention_id(t["originator"], t["reference"], t["local_id"])] = t
    nets = json.loads((out / "networks.json").read_text(encoding="utf-8"))
    return reports, truth, nets


def records(raws: list[dict[str, Any]]) -> list[ReportRecord]:
    ref = load_reference()
    return [build_record(parse_report(raw, ref), received_by="test", now=NOW) for raw in raws]


def pure_inputs(recs: list[ReportRecord]) -> tuple[list[Fact], list[ReportInfo], list[Subject]]:
    """Every statement of the latest version of each report, as the network stage reads them."""
    latest: dict[tuple[str, str], ReportRecord] = {}
    for rec in recs:
        latest[(rec.report["originator"], rec.report["reference"])] = rec
    facts, reports, subjects = [], [], []
    for rec in latest.values():
        r = rec.report
        reports.append(
            ReportInfo(
                r["id"],
                r["originator"],
                r["reference"],
                r["kind"],
                r["received_at"],
                r["source_evaluation"],
                r["intelligence_assessment"],
                r["handling_code"],
                tuple(r["themes"]),
                r["text"],
                r["intelligence_date"],
            )
        )
        facts += [
            Fact(s["entity_id"], s["schema"], s["prop"], s["value"], s["identifier_kind"], s["valid"], s["report_id"])
            for s in rec.statements
            if s["origin"] == "given"
        ]
        subjects += [Subject(s["entity_id"], s["report_id"], s["category"]) for s in rec.subjects]
    return facts, reports, subjects


def truth_labels(truth: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Mention id -> true network (people outside any network are each their own)."""
    return {m: t["network_id"] or f"solo:{t['person_id']}" for m, t in truth.items()}
