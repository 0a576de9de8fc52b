"""Turn a validated report into the rows Maxim stores: the report, its entities, its statements.

Pure. Every fact becomes a statement with a deterministic id and the report it came from, so
it inherits that report's grading and handling code. Identifier values are normalised by the
identifier registry; a value that fails is kept as given, with the reason, because a false
passport number is intelligence too. Identifiers found in the free text become statements on
the report's own text entity, marked `extracted`, with their character spans.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from followthemoney import model
from followthemoney.types import registry

from maxim.domain import ids
from maxim.domain.identifiers import kind_for, normalise_cached
from maxim.domain.mopi import load_mopi
from maxim.extract.text import find_identifiers
from maxim.intake.parse import EntityInput, ReportInput

# FollowTheMoney has "...Mentioned" properties for some identifier kinds on a text entity;
# the rest are kept as keywords, with the identifier kind saying exactly what they are.
MENTIONED_PROPERTY = {
    "phone": "phoneMentioned",
    "email": "emailMentioned",
    "iban": "ibanMentioned",
    "postcode": "locationMentioned",
}
TEXT_SCHEMA = "PlainText"

# Phones, postcodes and dates repeat across thousands of reports; their normalised forms are
# pure functions of the text, so they are worth remembering during a batch (identifiers by
# the registry's own remembered normaliser, shared with text extraction).
_kind_for = lru_cache(maxsize=4_096)(kind_for)


@lru_cache(maxsize=200_000)
def _clean(schema: str, prop: str, value: str) -> str | None:
    return model.get(schema).properties[prop].type.clean(value)  # type: ignore[union-attr]


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """Everything one report version writes, ready for the data-access layer."""

    report: dict[str, Any]
    entities: list[dict[str, Any]]
    statements: list[dict[str, Any]]
    subjects: list[dict[str, Any]]
    grantees: list[dict[str, Any]]


def _statement(
    report_id: str,
    entity_id: str,
    schema: str,
    prop: str,
    value: str,
    original: str,
    *,
    kind: str | None = None,
    reason: str | None = None,
    origin: str = "given",
    span: tuple[int, int] | None = None,
) -> dict[str, Any]:
    return {
        "id": ids.statement_id(report_id, entity_id, prop, value if reason is None else original),
        "report_id": report_id,
        "entity_id": entity_id,
        "schema": schema,
        "prop": prop,
        "value": value if reason is None else original,
        "original_value": original,
        "identifier_kind": kind,
        "valid": reason is None,
        "reason": reason,
        "origin": origin,
        "span_start": span[0] if span else None,
        "span_end": span[1] if span else None,
        "victim_detail": False,  # marked by the store once the report's statements are in (`victim_rule.mark`)
    }


def _entity_statements(
    report: ReportInput, report_id: str, entity: EntityInput, local: dict[str, str]
) -> list[dict[str, Any]]:
    schema = model.get(entity.schema)
    assert schema is not None
    entity_id = local[entity.local_id]
    rows = []
    for name, values in entity.properties.items():
        prop = schema.properties[name]
        kind = _kind_for(schema.name, name)
        is_entity = prop.type == registry.entity  # once per property: the comparison is Python code
        for original in values:
            if is_entity:
                rows.append(_statement(report_id, entity_id, schema.name, name, local[original], original))
                continue
            if kind is not None:
                found = normalise_cached(kind, original)
                rows.append(
                    _statement(
                        report_id,
                        entity_id,
                        schema.name,
                        name,
                        found.value or original,
                        original,
                        kind=kind,
                        reason=found.reason,
                    )
                )
                continue
            cleaned = _clean(schema.name, name, original)
            reason = None if cleaned is not None else f"not a valid {prop.type.label.lower()}"
            rows.append(
                _statement(
                    report_id,
                    entity_id,
                    schema.name,
                    name,
                    cleaned or original,
                    original,
                    reason=reason,
                )
            )
    return rows


def _caption(entity: EntityInput) -> str:
    schema = model.get(entity.schema)
    assert schema is not None
    for prop in schema.caption:
        values = entity.properties.get(prop)
        if values:
            return values[0]
    names = [entity.properties.get(p, [""])[0] for p in ("firstName", "lastName")]
    return " ".join(n for n in names if n) or schema.label


def build_record(report: ReportInput, *, received_by: str, now: datetime) -> ReportRecord:
    """All rows of one report version; ids depend only on originator, reference and content."""
    content_hash = report.content_hash
    report_id = ids.report_id(report.originator, report.reference, content_hash)
    local = {e.local_id: ids.mention_id(report.originator, report.reference, e.local_id) for e in report.entities}
    statements: list[dict[str, Any]] = []
    entities = [{"id": local[e.local_id], "schema": e.schema, "caption": _caption(e)[:500]} for e in report.entities]
    for entity in report.entities:
        statements.extend(_entity_statements(report, report_id, entity, local))
    found = find_identifiers(report.text)
    if found:
        doc_id = ids.report_document_id(report.originator, report.reference)
        entities.append(
            {
                "id": doc_id,
                "schema": TEXT_SCHEMA,
                "caption": (report.title or report.reference)[:500],
            }
        )
        for item in found:
            statements.append(
                _statement(
                    report_id,
                    doc_id,
                    TEXT_SCHEMA,
                    MENTIONED_PROPERTY.get(item.kind, "keywords"),
                    item.value or item.original,
                    item.original,
                    kind=item.kind,
                    reason=item.reason,
                    origin="extracted",
                    span=(item.start, item.end),
                )
            )
    # The same fact given twice in one report is one statement.
    statements = list({s["id"]: s for s in statements}.values())
    subjects = [
        {
            "report_id": report_id,
            "entity_id": local[e.local_id],
            "category": e.role,
            "detail": e.role_detail,
        }
        for e in report.entities
        if e.role is not None
    ]
    g = report.grading
    mopi = load_mopi()
    group = mopi.group_for(report.themes)
    row = {
        "id": report_id,
        "originator": report.originator,
        "reference": report.reference,
        "content_hash": content_hash,
        "kind": report.kind,
        "received_at": report.received_at,
        "intelligence_date": report.intelligence_date,
        "source_evaluation": g.source_evaluation,
        "intelligence_assessment": g.intelligence_assessment,
        "handling_code": g.handling_code,
        "handling_conditions": g.handling_conditions,
        "action_code": g.action_code,
        "sanitisation_code": g.sanitisation_code,
        "legacy_grading": g.legacy_grading,
        "migrated": g.migrated,
        "nim_level": report.nim_level,
        "themes": list(report.themes),
        "title": report.title,
        "text": report.text,
        "created_at": now,
        "created_by": received_by,
        # The clear period runs from when the intelligence came to notice.
        "mopi_group": group,
        "review_due": mopi.review_due(group, report.received_at.date()),
        "disposed_at": None,
    }
    grantees = [{"report_id": report_id, "grantee": g} for g in report.share_with]
    return ReportRecord(report=row, entities=entities, statements=statements, subjects=subjects, grantees=grantees)
