"""View data for the entity-resolution pages and their JSON twins: no HTML here.

The canonical page is the API's canonical view (`maxim.resolve.view.canonical_view`, the very
dict `GET /api/entities/{id}/canonical` returns) with what a page adds around it: the other
nominals each member may be, whether the reader may judge, and which report each mention came
from. The candidates of a report are what `POST /api/reports` returns at intake
(`maxim.resolve.realtime.candidates_for`), computed again from the stored report so the page
after the intake form's redirect shows them too. Everything is read through `DataAccess`, so
need-to-know applies; nothing here touches a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from followthemoney import model
from followthemoney.property import Property
from followthemoney.types import registry

from maxim.intake.statements import ReportRecord
from maxim.resolve.judgements import pair
from maxim.resolve.permissions import may_judge
from maxim.resolve.realtime import Candidate, candidates_for
from maxim.resolve.view import canonical_view
from maxim.store.access import DataAccess
from maxim.store.resolution_access import ResolutionAccess

# Matching a nominal against the index costs one look-up per member; a nominal of hundreds of
# mentions would make its page slow, and its first mentions already carry its identifiers.
CANDIDATE_MENTIONS = 25
CANDIDATES_SHOWN = 5
# What a page calls a nominal of each schema ("Is X the same vehicle as Y?").
NOUNS = {
    "Person": "person",
    "Vehicle": "vehicle",
    "Address": "address",
    "Company": "company",
    "Organization": "organisation",
}
NOT_RESOLVED = "not resolved yet: the next resolution run, or a judgement, will place it"


def canonical_page_view(data: DataAccess, entity_id: str, judged: str | None = None) -> dict[str, Any] | None:
    """The canonical page of a mention or canonical id; None if the reader can see none of it.

    A Person mention the reader may see but no resolution run has placed yet still gets a page
    (marked `resolved: false`), so the entity page can always link here and an analyst can
    judge a new mention against the nominals it resembles before the next run.
    """
    res = ResolutionAccess(data)
    if res.links([entity_id]) and not res.visible_entities([entity_id]):
        # A mention the reader may not see must not even say which nominal it belongs to.
        return None
    found = canonical_view(data, entity_id)
    view = {**found, "resolved": True} if found is not None else _unresolved(res, entity_id)
    if view is None:
        return None
    people = {m["id"]: m["caption"] for m in view["mentions"]}
    current = _current(view["judgements"])
    candidates = _nominal_candidates(data, res, people, view["canonical_id"], current)
    mention_reports = _mention_reports(view["values"])
    ids = sorted(people)
    schema = view["mentions"][0].get("schema", "Person") if view["mentions"] else "Person"
    view.update(
        {
            "noun": NOUNS.get(schema, "entity"),  # what the page and its forms call this nominal
            "candidates": candidates,
            "may_judge": may_judge(data.actor),
            "mention_reports": mention_reports,
            # Each member is judged against one other member: the first, or for the first, the second.
            "member_pairs": {m: (ids[1] if m == ids[0] else ids[0]) for m in ids} if len(ids) > 1 else {},
            "captions": {**{c["mention_id"]: c["caption"] for c in candidates}, **people},
            "judged": _judged(view["judgements"], judged),
        }
    )
    return view


def report_candidates_view(data: DataAccess, report_id: str, judged: str | None = None) -> dict[str, Any] | None:
    """For each person a report names, the known nominals they may be, explained; None if hidden.

    The same matcher and the same statements as at intake: the report's own valid Person
    statements that the reader may see, scored against the latest run's model.
    """
    report = data.report(report_id)
    if report is None:
        return None
    res = ResolutionAccess(data)
    people = {s["entity_id"]: s["caption"] for s in report["statements"] if s["schema"] == "Person"}
    record = ReportRecord(
        report={},
        entities=[{"id": m, "schema": "Person", "caption": c} for m, c in people.items()],
        statements=report["statements"],  # all of them, as at intake: the others are context
        subjects=[],
        grantees=[],
    )
    history = _history(res, people)
    current = _current(history)
    links = res.links(people)
    found = candidates_for(data, record) if people else []
    rows = []
    for mention, caption in sorted(people.items(), key=lambda item: (item[1], item[0])):
        own = links.get(mention, {}).get("canonical_id")
        rows.append(
            {
                "mention_id": mention,
                "caption": caption,
                "canonical_id": own,
                "candidates": [
                    _candidate_row(c, people, current, joined=c.canonical_id == own)
                    for c in found
                    if c.for_mention == mention
                ],
            }
        )
    return {
        "report": {
            "id": report["id"],
            "title": report["title"],
            "reference": report["reference"],
            "originator": report["originator"],
        },
        "matching_available": res.latest_run() is not None,
        "people": rows,
        "may_judge": may_judge(data.actor),
        "judgements": history,
        "captions": {**{c.mention_id: c.caption for c in found}, **people},
        "judged": _judged(history, judged),
    }


# -- helpers --------------------------------------------------------------------------------------


def _unresolved(res: ResolutionAccess, entity_id: str) -> dict[str, Any] | None:
    """A visible Person mention no run has placed: itself alone, said so, in the canonical shape."""
    rows = res.person_statements([entity_id])
    if not rows:
        return None
    names = sorted(v for _, prop, v in rows if prop == "name")
    caption = names[0] if names else entity_id
    res.consulted([entity_id], "canonical page of a mention not resolved yet")
    return {
        "canonical_id": None,
        "resolved": False,
        "caption": caption,
        "mentions": [
            {
                "id": entity_id,
                "caption": caption,
                "origin": "unresolved",
                "match_probability": None,
                "note": NOT_RESOLVED,
            }
        ],
        "alternative_spellings": names,
        "values": {},
        "judgements": _history(res, [entity_id]),
    }


def _history(res: ResolutionAccess, ids: Iterable[str]) -> list[dict[str, Any]]:
    """Judgements on these mentions, times as text: the shape the canonical view gives them."""
    return [
        {k: (str(v) if k.endswith("_at") and v is not None else v) for k, v in j.items()}
        for j in res.judgement_history(ids)
    ]


def _current(history: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The current (not superseded) judgement of each judged pair."""
    return {
        pair(j["left_id"], j["right_id"]): {"id": j["id"], "judgement": j["judgement"]}
        for j in history
        if j["superseded_at"] is None
    }


def _judged(history: Iterable[Mapping[str, Any]], judged: str | None) -> dict[str, Any] | None:
    """The judgement just recorded (its id came back in the redirect), for the banner."""
    return next((dict(j) for j in history if judged is not None and str(j["id"]) == judged), None)


def _candidate_row(
    c: Candidate, people: Mapping[str, str], current: Mapping[tuple[str, str], dict[str, Any]], *, joined: bool
) -> dict[str, Any]:
    return {
        **c.as_dict(),
        "for_caption": people.get(c.for_mention, c.for_mention),
        "judged": current.get(pair(c.for_mention, c.mention_id)),
        "joined": joined,
    }


def _nominal_candidates(
    data: DataAccess,
    res: ResolutionAccess,
    people: Mapping[str, str],
    canonical_id: str | None,
    current: Mapping[tuple[str, str], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Other nominals the members resemble: the intake matcher run on each member, best first.

    Members of this nominal find one another; those are left out. Each other nominal appears
    once, through the member that matches it best.
    """
    chosen = dict(sorted(people.items())[:CANDIDATE_MENTIONS])
    if not chosen:
        return []
    rows = res.person_statements(sorted(chosen))
    record = ReportRecord(
        report={},
        entities=[{"id": m, "schema": "Person", "caption": c} for m, c in chosen.items()],
        statements=[
            {"entity_id": e, "schema": "Person", "prop": p, "value": v, "valid": True, "identifier_kind": None}
            for e, p, v in rows
        ],
        subjects=[],
        grantees=[],
    )
    best: dict[str, Candidate] = {}
    for c in candidates_for(data, record, limit=CANDIDATES_SHOWN + 1):
        if c.canonical_id == canonical_id or c.mention_id in people:
            continue
        if c.canonical_id not in best or best[c.canonical_id].match_weight < c.match_weight:
            best[c.canonical_id] = c
    ranked = sorted(best.values(), key=lambda c: (-c.match_weight, c.canonical_id))[:CANDIDATES_SHOWN]
    return [_candidate_row(c, people, current, joined=False) for c in ranked]


def _mention_reports(values: Mapping[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The report(s) each mention's values came from, with their grading."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for entries in values.values():
        for entry in entries:
            for s in entry["sources"]:
                out.setdefault(s["mention_id"], {})[s["report_id"]] = {
                    "report_id": s["report_id"],
                    "originator": s["originator"],
                    "reference": s["reference"],
                    "grading": s["grading"],
                }
    return {m: sorted(reports.values(), key=lambda r: (r["originator"], r["reference"])) for m, reports in out.items()}


# -- template helpers -----------------------------------------------------------------------------


@cache
def _person_prop(prop: str) -> Property | None:
    schema = model.get("Person")
    return schema.get(prop) if schema is not None else None


def prop_label(prop: str) -> str:
    """A Person property as people say it ("Birth date" for birthDate)."""
    found = _person_prop(prop)
    return str(found.label) if found is not None else prop


def is_entity_prop(prop: str) -> bool:
    """True if the property's values are ids of other entities (they link to their pages)."""
    found = _person_prop(prop)
    return found is not None and found.type == registry.entity


def grading_text(grading: str) -> str:
    """`2BP` as the pages write it elsewhere: `2B P`."""
    return f"{grading[:2]} {grading[2:]}" if len(grading) == 3 else grading


def utc_time(value: str | datetime | None) -> str:
    """A stored time as `3 June 2025 10:04 UTC`, whatever offset the database returned it in."""
    if value is None:
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:  # SQLite keeps no offset; Maxim writes only UTC
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%-d %B %Y %H:%M UTC")
