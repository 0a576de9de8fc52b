"""View data for pages and their JSON twins: one function per page, no HTML here."""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any
from xml.etree import ElementTree

from followthemoney import model
from followthemoney.types import registry
from pydantic import BaseModel, ConfigDict, Field

from maxim.store import search
from maxim.store.access import DataAccess
from maxim.store.audit import Operation
from maxim.store.tables_search import NAME_PROPS

GRAPH_EDGE_LIMIT = 150


def grading_label(row: dict[str, Any]) -> str:
    """`1B P`; migrated legacy grades are flagged so nobody mistakes them for a fresh grading."""
    label = f"{row['source_evaluation']}{row['intelligence_assessment']} {row['handling_code']}"
    return label + " (migrated from 5x5x5)" if row.get("migrated") else label


class Totals:
    """The home page's count of the reports a user may see, kept per access scope for `ttl` seconds.

    Counting means reading every current report through the access policy twice (in SQL and
    in PostgreSQL's row-level security): about half of the home page's cost at a million
    statements. A count computed for one scope (unit, roles, external) is the same for everyone in
    it, so it is reused for a little while: the total may be up to `ttl` seconds old; the list of
    reports beneath it never is.
    """

    def __init__(self, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._counted: dict[tuple[str, frozenset[str], bool], tuple[float, int]] = {}

    def reports(self, data: DataAccess) -> int:
        scope = (data.actor.unit, data.actor.roles, data.actor.external)
        now = self.clock()
        kept = self._counted.get(scope)
        if kept is not None and now - kept[0] < self.ttl:
            return kept[1]
        total = data.count_reports()
        self._counted[scope] = (now, total)
        return total


def home_view(data: DataAccess, limit: int = 50, totals: Totals | None = None) -> dict[str, Any]:
    rows = data.latest_reports(limit=limit)
    for row in rows:
        row["grading"] = grading_label(row)
    total = totals.reports(data) if totals is not None else data.count_reports()
    return {"reports": rows, "total": total, "queue": unit_queue(data)}


def unit_queue(data: DataAccess, limit: int = 20) -> dict[str, Any]:
    """Referrals awaiting my unit's acceptance and SLA alerts for my unit, each only with a visible report."""
    from maxim.store.workflow_access import AWAITING, WorkflowAccess

    flow = WorkflowAccess(data)
    unit = data.actor.unit
    rows = [r for r in flow.referrals(unit=unit, limit=limit * 2) if r["status"] in AWAITING]
    # A referral is shown only with its report, as `WorkflowAccess.referral` would: one query for
    # all of them and one audit event for those shown, instead of a transaction each.
    visible = {r["id"] for r in search.reports_by_id(data, sorted({r["report_id"] for r in rows}))}
    awaiting = [r for r in rows if r["report_id"] in visible][:limit]
    if awaiting:
        data.audit(Operation.CONSULTATION, "referral", [r["id"] for r in awaiting])
    shown = {r["id"] for r in awaiting}
    alerts = [a for a in flow.alerts(unit=unit) if a["referral_id"] in shown]
    return {"unit": unit, "awaiting": awaiting, "alerts": alerts, "tasks_due": None, "reviews_due": None}


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
    names: dict[str, set[str]] = defaultdict(set)
    for s in entity["statements"]:
        s["grading"] = grading_label(s)
        props[s["prop"]].append(s)
        if s["prop"] in NAME_PROPS:
            names[s["original_value"]].add(s["report_id"])
    entity["properties"] = dict(props)
    entity["reports"] = sorted({s["report_id"] for s in entity["statements"]})
    entity["names"] = [{"name": n, "reports": len(r)} for n, r in sorted(names.items())]
    graph = graph_view(data, entity_id, audit=False)
    entity["links"] = _link_list(graph) if graph else []
    return entity


def _link_list(graph: dict[str, Any]) -> list[dict[str, Any]]:
    """The chart's edges as a table: the other entity, how they are linked, the reports behind it."""
    nodes = {n["id"]: n for n in graph["nodes"]}
    center = graph["center"]
    out = []
    for edge in graph["edges"]:
        other = edge["target"] if edge["source"] == center else edge["source"]
        out.append(
            {
                "entity_id": other,
                "caption": nodes[other]["label"],
                "schema": nodes[other]["schema"],
                "type": edge["type"],
                "label": edge["label"],
                "reports": edge["reports"],
            }
        )
    return sorted(out, key=lambda r: (r["type"], r["caption"]))


# -- link chart --------------------------------------------------------------------------------


@cache
def _entity_props(schema_name: str) -> frozenset[str]:
    schema = model.get(schema_name)
    if schema is None:
        return frozenset()
    return frozenset(p.name for p in schema.properties.values() if p.type == registry.entity and not p.stub)


@cache
def _all_entity_props() -> tuple[str, ...]:
    return tuple(sorted({name for schema in model.schemata for name in _entity_props(schema)}))


def _edge_ends(schema_name: str) -> tuple[str, str] | None:
    schema = model.get(schema_name)
    if schema is None or not schema.edge or not schema.edge_source or not schema.edge_target:
        return None
    return schema.edge_source, schema.edge_target


def graph_view(data: DataAccess, entity_id: str, *, audit: bool = True) -> dict[str, Any] | None:
    """An entity and its neighbours: entity links (relationship entities collapsed into one edge)
    and identifier values shared with other entities. Only visible statements are read, and every
    edge lists the reports behind it. None when the actor sees nothing of the entity."""
    own = search.statements_of(data, [entity_id])
    if not own:
        return None
    edges: dict[tuple[str, str, str, str], set[str]] = {}

    def add(a: str, b: str, kind: str, label: str, report_ids: set[str]) -> None:
        if a == b:
            return
        key = (min(a, b), max(a, b), kind, label)
        edges.setdefault(key, set()).update(report_ids)

    for s in own:  # this entity points at another: Person.addressEntity, Vehicle.owner, Associate.person ...
        if s["prop"] in _entity_props(s["schema"]):
            add(entity_id, s["value"], s["prop"], _prop_label(s["schema"], s["prop"]), {s["report_id"]})
    inbound = search.statements_pointing_at(data, entity_id, _all_entity_props())
    relations = [s for s in inbound if _edge_ends(s["schema"])]
    for s in inbound:
        if not _edge_ends(s["schema"]):
            add(s["entity_id"], entity_id, s["prop"], _prop_label(s["schema"], s["prop"]), {s["report_id"]})
    if relations:  # Associate, Family, Ownership ...: one edge between their two ends
        facts = search.statements_of(data, sorted({s["entity_id"] for s in relations}))
        by_relation: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for f in facts:
            by_relation[f["entity_id"]].append(f)
        for _relation_id, rows in by_relation.items():
            schema = rows[0]["schema"]
            ends = _edge_ends(schema)
            assert ends is not None
            members = {r["value"] for r in rows if r["prop"] in ends}
            label = model.get(schema).label if model.get(schema) else schema  # type: ignore[union-attr]
            for other in members - {entity_id}:
                if entity_id in members:
                    add(entity_id, other, schema, label, {r["report_id"] for r in rows})
    keys = sorted({(s["identifier_kind"], s["value"]) for s in own if s["identifier_kind"] and s["valid"]})
    own_reports: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s in own:
        if s["identifier_kind"]:
            own_reports[(s["identifier_kind"], s["value"])].add(s["report_id"])
    for s in search.statements_sharing(data, keys, entity_id, GRAPH_EDGE_LIMIT * 4):
        key = (s["identifier_kind"], s["value"])
        add(entity_id, s["entity_id"], s["identifier_kind"], s["value"], own_reports[key] | {s["report_id"]})

    truncated = len(edges) > GRAPH_EDGE_LIMIT
    chosen = sorted(edges.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:GRAPH_EDGE_LIMIT]
    node_ids = sorted({entity_id} | {k[0] for k, _ in chosen} | {k[1] for k, _ in chosen})
    headers = search.entity_headers(data, node_ids)
    report_ids = sorted({r for _, ids in chosen for r in ids})
    reports = {r["id"]: _report_brief(r) for r in search.reports_by_id(data, report_ids)}
    nodes = [
        {
            "id": n,
            "label": headers.get(n, {}).get("caption", n),
            "schema": headers.get(n, {}).get("schema", "Thing"),
            "center": n == entity_id,
            "href": f"/entities/{n}",
        }
        for n in node_ids
    ]
    edge_rows = []
    for (a, b, kind, label), ids in chosen:
        behind = [reports[r] for r in sorted(ids) if r in reports]
        if not behind:
            continue
        source, target = (entity_id, b if a == entity_id else a) if entity_id in (a, b) else (a, b)
        edge_rows.append(
            {
                "id": "e" + hashlib.sha1(f"{a}|{b}|{kind}|{label}".encode(), usedforsecurity=False).hexdigest()[:16],
                "source": source,
                "target": target,
                "type": kind,
                "label": label,
                "reports": behind,
            }
        )
    if audit:
        data.audit(Operation.CONSULTATION, "entity", node_ids, justification="link chart")
    return {
        "center": entity_id,
        "caption": headers.get(entity_id, {}).get("caption", entity_id),
        "nodes": nodes,
        "edges": edge_rows,
        "types": sorted({e["type"] for e in edge_rows}),
        "truncated": truncated,
    }


def _prop_label(schema_name: str, prop: str) -> str:
    schema = model.get(schema_name)
    found = schema.properties.get(prop) if schema else None
    return str(found.label) if found else prop


def _report_brief(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "reference": row["reference"],
        "originator": row["originator"],
        "title": row["title"] or row["reference"],
        "received_at": row["received_at"],
        "grading": grading_label(row),
    }


def graphml(graph: dict[str, Any]) -> bytes:
    """The chart as GraphML (yEd, Gephi, i2-style tools), with the reports behind each edge."""
    ns = "http://graphml.graphdrawing.org/xmlns"
    root = ElementTree.Element("graphml", xmlns=ns)
    for key, target, name in (
        ("label", "node", "label"),
        ("schema", "node", "schema"),
        ("type", "edge", "type"),
        ("elabel", "edge", "label"),
        ("reports", "edge", "reports"),
    ):
        ElementTree.SubElement(root, "key", id=key, attrib={"for": target, "attr.name": name, "attr.type": "string"})
    g = ElementTree.SubElement(root, "graph", id=graph["center"], edgedefault="undirected")
    for node in graph["nodes"]:
        n = ElementTree.SubElement(g, "node", id=node["id"])
        ElementTree.SubElement(n, "data", key="label").text = node["label"]
        ElementTree.SubElement(n, "data", key="schema").text = node["schema"]
    for edge in graph["edges"]:
        e = ElementTree.SubElement(g, "edge", id=edge["id"], source=edge["source"], target=edge["target"])
        ElementTree.SubElement(e, "data", key="type").text = edge["type"]
        ElementTree.SubElement(e, "data", key="elabel").text = edge["label"]
        ElementTree.SubElement(e, "data", key="reports").text = " ".join(
            f"{r['originator']}:{r['reference']} ({r['grading']})" for r in edge["reports"]
        )
    body: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


# -- timeline ------------------------------------------------------------------------------------


def timeline_view(data: DataAccess, entity_id: str) -> dict[str, Any] | None:
    """The visible reports that name an entity, in the order the intelligence happened."""
    own = search.statements_of(data, [entity_id])
    if not own:
        return None
    header = search.entity_headers(data, [entity_id]).get(entity_id, {})
    rows = search.reports_by_id(data, sorted({s["report_id"] for s in own}))
    facts: dict[str, list[str]] = defaultdict(list)
    for s in own:
        facts[s["report_id"]].append(f"{_prop_label(s['schema'], s['prop'])}: {s['value']}")
    events = []
    for row in rows:
        when = row["intelligence_date"] or row["received_at"].date()
        events.append({**_report_brief(row), "date": when, "kind": row["kind"], "facts": sorted(facts[row["id"]])})
    events.sort(key=lambda e: (e["date"], e["received_at"], e["id"]))
    months: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        months[event["date"].strftime("%B %Y")].append(event)
    data.audit(Operation.CONSULTATION, "entity", [entity_id], justification="timeline")
    return {
        "entity_id": entity_id,
        "caption": header.get("caption", entity_id),
        "schema": header.get("schema"),
        "events": events,
        "months": [{"month": m, "events": e} for m, e in months.items()],
    }


# -- search --------------------------------------------------------------------------------------


#: Deepest page of results: 200,000 reports in; beyond it, narrow the search (and the offset
#: stays far inside what either database can count to).
MAX_PAGE = 10_000
#: Dates a search filter may name: a day after the last would not be a date at all.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


class SearchParams(BaseModel):
    """The search page's query parameters, as the OpenAPI document declares them."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    q: str = Field("", description="Words of the report text or a name; `word*` matches a prefix")
    theme: str = Field("", description="A theme code, e.g. TRAFFICKING")
    grading: str = Field("", description="A 3x5x2 grading or part of one, e.g. `1B`, `2C C` or `C`")
    unit: str = Field("", description="The originating unit or partner code")
    from_: str = Field("", alias="from", description="Received on or after this day, YYYY-MM-DD")
    to: str = Field("", description="Received on or before this day, YYYY-MM-DD")
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page of reports, 20 to a page")

    def filter_values(self) -> dict[str, str]:
        return {"theme": self.theme, "grading": self.grading, "unit": self.unit, "from": self.from_, "to": self.to}


def search_view(data: DataAccess, params: SearchParams, *, page_size: int = 20) -> dict[str, Any]:
    """Reports and entity names matching `q` with the filters; errors name the filter at fault."""
    query = params.q.strip()
    errors: list[dict[str, str]] = []
    filters = search.Filters()
    try:
        filters = _filters(params)
    except search.BadSearch as exc:
        errors.append({"field": exc.field, "reason": exc.reason})
    page = params.page
    shown = params.filter_values()
    result: dict[str, Any] = {
        "q": query,
        "filters": shown,
        "errors": errors,
        "page": page,
        "total": 0,
        "reports": [],
        "entities": [],
        "searched": bool(query) or any(shown.values()),
    }
    if errors or not result["searched"]:
        return result
    total, rows = search.search_reports(data, query, filters, limit=page_size, offset=(page - 1) * page_size)
    for row in rows:
        row["grading"] = grading_label(row)
    result.update(total=total, reports=rows, pages=max(1, -(-total // page_size)))
    if query:
        result["entities"] = search.search_names(data, query, filters)
    return result


def _filters(params: SearchParams) -> search.Filters:
    dates: dict[str, date | None] = {}
    for name, value in (("from", params.from_), ("to", params.to)):
        raw = value.strip()
        try:
            dates[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            raise search.BadSearch(name, f"use a date as YYYY-MM-DD, for example 2025-04-28 (got {raw!r})") from None
        day = dates[name]
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise search.BadSearch(name, f"must be between {FIRST_DAY} and {LAST_DAY} (got {raw})")
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        raise search.BadSearch("to", "must be on or after the 'from' date")
    filters = search.Filters(
        theme=params.theme.strip() or None,
        grading=params.grading.strip() or None,
        unit=params.unit.strip() or None,
        date_from=dates["from"],
        date_to=dates["to"],
    )
    filters.where()  # a grading it cannot read is refused here, with the other filters, not mid-search
    return filters
