"""View data for pages and their JSON twins: one function per page, no HTML here."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from maxim.store.access import DataAccess


def grading_label(row: dict[str, Any]) -> str:
    """`1B P`; migrated legacy grades are flagged so nobody mistakes them for a fresh grading."""
    label = f"{row['source_evaluation']}{row['intelligence_assessment']} {row['handling_code']}"
    return label + " (migrated from 5x5x5)" if row.get("migrated") else label


def home_view(data: DataAccess, limit: int = 50) -> dict[str, Any]:
    rows = data.latest_reports(limit=limit)
    for row in rows:
        row["grading"] = grading_label(row)
    return {"reports": rows, "total": data.count_reports()}


def report_view(data: DataAccess, report_id: str) -> dict[str, Any] | None:
    report = data.report(report_id)
    if report is None:
        return None
    report["grading"] = grading_label(report)
    by_entity: dict[str, dict[str, Any]] = {}
    for s in report["statements"]:
        entry = by_entity.setdefault(
            s["entity_id"],
            {"id": s["entity_id"], "schema": s["schema"], "caption": s["caption"], "facts": []},
        )
        entry["facts"].append(s)
    report["entities"] = list(by_entity.values())
    report["extracted"] = [s for s in report["statements"] if s["origin"] == "extracted"]
    return report


def entity_view(data: DataAccess, entity_id: str) -> dict[str, Any] | None:
    entity = data.entity(entity_id)
    if entity is None:
        return None
    props: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in entity["statements"]:
        s["grading"] = grading_label(s)
        props[s["prop"]].append(s)
    entity["properties"] = dict(props)
    entity["reports"] = sorted({s["report_id"] for s in entity["statements"]})
    return entity
