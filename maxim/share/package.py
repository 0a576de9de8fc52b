"""What goes into a dissemination package: the pure core of `maxim share package`.

Input is what the acting user may already see (report views from `DataAccess.report`), the
dissemination verdicts, and the victim releases recorded for this recipient. Output is a list
of FollowTheMoney entities, each carrying its report's grading and handling conditions
verbatim, and one quality record per report (DPA 2018 s38(4)-(5): grading, date of the
intelligence, date created, last review, fact or assessment). Nothing here reads or writes
the store, so every rule about what may leave is testable on plain dictionaries.

What never leaves, whatever the policy says:
- victim details (the person and every statement pointing at them), unless a safeguarding
  lead released that person to this recipient for this package;
- the report's free text and the identifiers extracted from it: free text is where sources
  and victims are named in passing, and sanitising it is a human task (DOMAIN §1.2.2) done by
  writing a new, sanitised report;
- links left dangling by the above, and link entities that lose a required end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from followthemoney import model
from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy
from followthemoney.types import registry

from maxim.reference import Reference
from maxim.share.policy import DisseminationPolicy

CONTEXT = "maxim"  # the key FollowTheMoney keeps as entity context, beside id/schema/properties


@dataclass(frozen=True, slots=True)
class Selection:
    """One report the user chose, whole (`entities` None) or only some of its entities and their links."""

    report: Mapping[str, Any]
    entities: frozenset[str] | None = None


@dataclass(slots=True)
class Assembled:
    entities: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    victims_withheld: int = 0
    releases_used: list[tuple[str, str]] = field(default_factory=list)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def grading_label(report: Mapping[str, Any]) -> str:
    """The display form of a grade, e.g. `2B C` (DOMAIN §1.2.4)."""
    return f"{report['source_evaluation']}{report['intelligence_assessment']} {report['handling_code']}"


def report_context(report: Mapping[str, Any], policy: DisseminationPolicy) -> dict[str, Any]:
    """What travels with every entity of a report: provenance, grading, conditions verbatim."""
    return {
        "report_id": report["id"],
        "originator": report["originator"],
        "reference": report["reference"],
        "kind": report["kind"],
        "grading": grading_label(report),
        "source_evaluation": report["source_evaluation"],
        "intelligence_assessment": report["intelligence_assessment"],
        "handling_code": report["handling_code"],
        "handling_conditions": report.get("handling_conditions"),
        "action_code": report.get("action_code"),
        "sanitisation_code": report.get("sanitisation_code"),
        "basis": policy.basis(str(report["intelligence_assessment"])),
    }


def quality(
    report: Mapping[str, Any],
    policy: DisseminationPolicy,
    ref: Reference,
    *,
    last_review: datetime | None,
    entities: int,
    consultation: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The s38(4)-(5) record of one report: enough for the recipient to judge accuracy and currency."""
    codes = ref.grading
    action = report.get("action_code")
    sanitisation = report.get("sanitisation_code")
    return {
        **report_context(report, policy),
        "originator_name": ref.originator_name(str(report["originator"])),
        "title": report.get("title") or "",
        "version": report.get("version"),
        "source_evaluation_label": codes.source_evaluation.get(str(report["source_evaluation"])),
        "intelligence_assessment_label": codes.intelligence_assessment.get(str(report["intelligence_assessment"])),
        "handling_code_label": codes.handling_code.get(str(report["handling_code"])),
        "action_code_wording": codes.action_code.get(str(action)) if action else None,
        "sanitisation_code_wording": codes.sanitisation_code.get(str(sanitisation)) if sanitisation else None,
        "legacy_grading": report.get("legacy_grading"),
        "migrated_grading": bool(report.get("migrated")),
        "intelligence_date": _iso(report.get("intelligence_date")),
        "received_at": _iso(report.get("received_at")),
        "date_created": _iso(report.get("created_at")),
        "last_review": _iso(last_review),
        "review_due": _iso(report.get("review_due")),
        "nim_level": report.get("nim_level"),
        "themes": list(report.get("themes") or []),
        "entities": entities,
        "originator_consulted": dict(consultation) if consultation else None,
        "caveat": policy.caveat,
    }


def _is_ref(schema: str, prop: str) -> bool:
    found = model.get(schema)
    p = found.get(prop) if found is not None else None
    return p is not None and p.type == registry.entity


def _closure(chosen: frozenset[str], facts: Sequence[Mapping[str, Any]]) -> set[str]:
    """The chosen entities, what they point at, and what points at them (links, owners) with its ends."""
    outgoing: dict[str, set[str]] = defaultdict(set)
    incoming: dict[str, set[str]] = defaultdict(set)
    for s in facts:
        if _is_ref(s["schema"], s["prop"]):
            outgoing[s["entity_id"]].add(s["value"])
            incoming[s["value"]].add(s["entity_id"])
    keep = set(chosen)
    for entity in chosen:
        keep |= incoming[entity]
    frontier = list(keep)
    while frontier:  # follow outgoing references to the end: addresses, owners, both ends of a link
        for target in outgoing[frontier.pop()]:
            if target not in keep:
                keep.add(target)
                frontier.append(target)
    return keep


def _prune(facts: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Drop links to entities not in the package, then entities that lost a required property, until stable."""
    while True:
        present = {s["entity_id"] for s in facts}
        kept = [s for s in facts if not _is_ref(s["schema"], s["prop"]) or s["value"] in present]
        props: dict[str, set[str]] = defaultdict(set)
        schemas: dict[str, str] = {}
        for s in kept:
            props[s["entity_id"]].add(s["prop"])
            schemas[s["entity_id"]] = s["schema"]
        incomplete = set()
        for entity_id, schema_name in schemas.items():
            schema = model.get(schema_name)
            if schema is not None and not set(schema.required) <= props[entity_id]:
                incomplete.add(entity_id)
        kept = [s for s in kept if s["entity_id"] not in incomplete]
        if len(kept) == len(facts):
            return kept
        facts = kept


def to_proxy(
    entity_id: str,
    schema_name: str,
    facts: Iterable[Mapping[str, Any]],
    context: dict[str, Any],
) -> EntityProxy:
    """A FollowTheMoney proxy of one entity's statements; values FtM would not accept travel in context.

    Maxim keeps invalid identifiers as given (a false passport number is intelligence), but
    FollowTheMoney's types would reject some; they go under `maxim.invalid` so the export
    validates cleanly and a Maxim on the other side can still restore them.
    """
    schema = model.get(schema_name)
    if schema is None:
        raise InvalidData(f"{entity_id}: unknown schema {schema_name}")
    proxy = model.make_entity(schema)
    proxy.id = entity_id
    invalid: dict[str, list[str]] = defaultdict(list)
    for s in facts:
        prop = schema.get(s["prop"])
        value = str(s["value"])
        if prop is None or prop.stub:
            continue
        if s.get("valid", True) and prop.type.validate(value):
            proxy.add(prop, value, cleaned=True)
        else:
            invalid[prop.name].append(value)
    context = dict(context)
    if invalid:
        context["invalid"] = {k: sorted(set(v)) for k, v in sorted(invalid.items())}
    proxy.context[CONTEXT] = context
    return proxy


def validate_proxy(proxy: EntityProxy) -> list[str]:
    """FollowTheMoney's own validation of one entity, as messages (empty: valid)."""
    data = proxy.to_dict()
    problems = []
    try:
        proxy.schema.validate(data)  # type: ignore[arg-type]
    except InvalidData as exc:
        problems.append(f"{proxy.id}: {exc} {getattr(exc, 'errors', '')}")
    missing = [p for p in proxy.schema.required if not proxy.get(p)]
    if missing:
        problems.append(f"{proxy.id}: {proxy.schema.name} lacks required {', '.join(missing)}")
    return problems


def assemble(
    selections: Sequence[Selection],
    *,
    policy: DisseminationPolicy,
    ref: Reference,
    releases: set[tuple[str, str]],
    last_reviews: Mapping[tuple[str, str], datetime],
    consultations: Mapping[str, Mapping[str, Any]],
) -> Assembled:
    """The entities and quality records of a package from reports the policy has already allowed."""
    out = Assembled()
    for selection in selections:
        report = selection.report
        rid = str(report["id"])
        roles = {s["entity_id"]: s for s in report.get("subjects") or []}
        victims = {e for e, s in roles.items() if s["category"] == "victim"}
        released = {e for e in victims if (rid, e) in releases}
        withheld = victims - released
        given = [s for s in report.get("statements") or [] if s.get("origin", "given") == "given"]
        facts = [s for s in given if s["entity_id"] not in withheld and s["value"] not in withheld]
        if selection.entities is not None:
            keep = _closure(selection.entities - withheld, facts)
            facts = [s for s in facts if s["entity_id"] in keep]
        facts = _prune(facts)
        by_entity: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for s in facts:
            by_entity[s["entity_id"]].append(s)
        present_victims = {e for e in withheld if any(s["entity_id"] == e for s in given)}
        out.victims_withheld += len(present_victims)
        out.releases_used.extend((rid, e) for e in sorted(released) if e in by_entity)
        context = report_context(report, policy)
        for entity_id in sorted(by_entity):
            rows = by_entity[entity_id]
            subject = roles.get(entity_id)
            entity_context = {"reports": [context]}
            if subject is not None:
                entity_context["role"] = subject["category"]
                if subject.get("detail"):
                    entity_context["role_detail"] = subject["detail"]
            proxy = to_proxy(entity_id, str(rows[0]["schema"]), rows, entity_context)
            out.entities.append(proxy.to_dict())
        out.items.append(
            quality(
                report,
                policy,
                ref,
                last_review=last_reviews.get((str(report["originator"]), str(report["reference"]))),
                entities=len(by_entity),
                consultation=consultations.get(rid),
            )
        )
    return out
