"""The JSON answers of the API and of the pages' JSON twins, as pydantic models for the OpenAPI
document (`/openapi.json`).

They describe the payloads the views already build; they do not build them. Routes return
their JSON themselves, so a model never filters or reshapes an answer: the schemathesis run
over the document (tests/faults/test_api_fuzz.py) checks every answer against its model, which
keeps the two in step. Models are open (a client must ignore fields it does not know), and a
time is ISO 8601 text, as `_jsonable` writes it. `schema`, `from` and `to` are Python names,
hence the aliases.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Time = str  # ISO 8601, e.g. 2025-05-01T10:00:00
Day = str  # ISO 8601 date, e.g. 2025-04-28


class Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


# -- errors ------------------------------------------------------------------------------------


class FieldProblem(Model):
    field: str = Field(description="The field, parameter or path at fault, e.g. `entities[2].schema` or `page`")
    reason: str = Field(description="Why it was refused, in words")


class ErrorBody(Model):
    status: int
    title: str
    errors: list[FieldProblem]


class ErrorEnvelope(Model):
    """Every refusal and error, whatever the route: one shape."""

    error: ErrorBody


# -- reports and entities ----------------------------------------------------------------------


class Statement(Model):
    id: str
    report_id: str
    entity_id: str
    schema_: str = Field(alias="schema")
    prop: str
    value: str
    original_value: str
    identifier_kind: str | None
    valid: bool
    reason: str | None
    origin: str = Field(description="given (named in the report) or extracted (found in its text)")
    span_start: int | None
    span_end: int | None
    caption: str | None = None


class Subject(Model):
    report_id: str
    entity_id: str
    category: str
    detail: str | None
    caption: str
    schema_: str = Field(alias="schema")


class Version(Model):
    id: str
    version: int
    is_current: bool
    created_at: Time


class ReportEntity(Model):
    id: str
    schema_: str = Field(alias="schema")
    caption: str
    facts: list[Statement]


class ReportOut(Model):
    """A report with its statements (entities grouped), subjects, grantees and versions."""

    id: str
    originator: str
    reference: str
    version: int
    is_current: bool
    kind: str
    received_at: Time
    intelligence_date: Day | None
    source_evaluation: str
    intelligence_assessment: str
    handling_code: str
    handling_conditions: str | None
    action_code: str | None
    sanitisation_code: str | None
    legacy_grading: str | None
    migrated: bool
    nim_level: int | None
    themes: list[str]
    title: str
    text: str
    grading: str = Field(description="3x5x2 label such as `2B C`")
    statements: list[Statement]
    subjects: list[Subject]
    share_with: list[str]
    versions: list[Version]
    entities: list[ReportEntity]
    extracted: list[Statement]


class Extracted(Model):
    identifier_kind: str | None
    value: str
    original_value: str
    valid: bool
    reason: str | None
    span_start: int | None
    span_end: int | None


class SubmitOut(Model):
    """What intake made of a report, whom it may already name, and whom to contact."""

    report_id: str
    version: int
    outcome: str = Field(description="created, new_version or unchanged")
    grading: str
    statements: int
    extracted: list[Extracted]
    candidates: list[dict[str, Any]]
    deconfliction: list[str]
    links: dict[str, str]


class EntityFact(Statement):
    originator: str
    reference: str
    received_at: Time
    source_evaluation: str
    intelligence_assessment: str
    handling_code: str
    migrated: bool
    grading: str


class ReportBrief(Model):
    id: str
    reference: str
    originator: str
    title: str
    received_at: Time
    grading: str


class EntityLink(Model):
    entity_id: str
    caption: str
    schema_: str = Field(alias="schema")
    type: str
    label: str
    reports: list[ReportBrief]


class EntitySubject(Model):
    report_id: str
    category: str
    detail: str | None


class NameCount(Model):
    name: str
    reports: int


class EntityOut(Model):
    """An entity with the visible statements behind it, by property, and its links."""

    id: str
    schema_: str = Field(alias="schema")
    caption: str
    statements: list[EntityFact]
    subjects: list[EntitySubject]
    properties: dict[str, list[EntityFact]]
    reports: list[str]
    names: list[NameCount]
    links: list[EntityLink]


class ReportRow(Model):
    id: str
    originator: str
    reference: str
    kind: str
    title: str
    received_at: Time
    source_evaluation: str
    intelligence_assessment: str
    handling_code: str
    migrated: bool
    themes: list[str]
    grading: str


class Queue(Model):
    unit: str
    awaiting: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    tasks_due: int | None
    reviews_due: int | None


class HomeOut(Model):
    reports: list[ReportRow]
    total: int
    queue: Queue


# -- search ------------------------------------------------------------------------------------


class SearchRow(ReportRow):
    snippet: str | None = None


class NameMatch(Model):
    entity_id: str
    schema_: str = Field(alias="schema")
    names: list[str]
    match: str = Field(description="exact or similar")
    score: float
    caption: str
    reports: int


class SearchOptions(Model):
    themes: dict[str, str]
    units: dict[str, str]


class SearchOut(Model):
    """Reports and names matching the query and filters, one page of reports at a time."""

    q: str
    filters: dict[str, str]
    errors: list[FieldProblem]
    page: int
    total: int
    reports: list[SearchRow]
    entities: list[NameMatch]
    searched: bool
    pages: int | None = None
    options: SearchOptions


# -- networks ----------------------------------------------------------------------------------


class Factor(Model):
    section: str
    code: str
    count: float
    points: float
    reason: str
    reports: list[Any]


class Breakdown(Model):
    """A harm score explained: every factor with its count, points, reason and reports."""

    subject: str
    priority: float
    harm: float
    geographic_scope: str
    scope_multiplier: float
    likelihood: float
    confidence: str
    confidence_factor: float
    opportunity: float
    method: str
    factors: list[Factor]


class NetworkRow(Model):
    id: str
    anchor: str
    persons: int
    nodes: int
    priority: float
    split: int
    first_seen_at: Time
    computed_at: Time
    version: int
    breakdown: Breakdown
    rank: int


class NetworksOut(Model):
    networks: list[NetworkRow]


class Member(Model):
    id: str
    kind: str
    caption: str


class EdgeReport(Model):
    report_id: str
    grading: str
    relation: str
    weak: bool


class Edge(Model):
    source: str
    target: str
    strong: bool
    relations: list[str]
    reports: list[EdgeReport]


class Nominal(Model):
    node: str
    caption: str
    degree: int
    person_links: int
    betweenness: float
    brokerage: float
    communities_bridged: int
    sampled: bool
    priority: float | None
    roles: list[dict[str, Any]]


class NetworkOut(Model):
    """A network: members, edges with the reports behind them, key nominals and their scores."""

    id: str
    anchor: str
    split: bool
    version: int
    computed_at: Time
    score: Breakdown
    members: list[Member]
    edges: list[Edge]
    key_nominals: list[Nominal]
    nominal_scores: dict[str, Breakdown]


class NominalsOut(Model):
    network_id: str
    key_nominals: list[Nominal]


class HopReport(Model):
    report_id: str
    grading: str
    relation: str


class Hop(Model):
    from_: str = Field(alias="from")
    from_caption: str
    to: str
    to_caption: str
    weak: bool
    relations: list[str]
    reports: list[HopReport]


class EvidencePath(Model):
    length: int
    weak_hops: int
    hops: list[Hop]


class PathOut(Model):
    """Shortest evidence paths between two nodes; none when they are not connected."""

    from_: str = Field(alias="from")
    to: str
    paths: list[EvidencePath]


class Alert(Model):
    id: int
    report_id: str
    operation_id: str
    recipient: str
    unit: str
    username: str | None
    entity: str
    detail: str
    raised_at: Time


class AlertsOut(Model):
    alerts: list[Alert]


# -- committee report --------------------------------------------------------------------------


class CommitteeMeta(Model):
    from_: Day = Field(alias="from")
    to: Day
    period: str
    previous_from: Day
    previous_to: Day
    built_at: Time
    built_by: str
    database: str


class Section(Model):
    id: str
    title: str
    paragraphs: list[str]
    tables: list[dict[str, Any]]
    charts: list[Any]
    notes: list[Any]


class Figure(Model):
    id: str
    section: str
    label: str
    value: Any
    shown: str
    suppressed: bool
    unit: str
    query: str | None


class QueryBehind(Model):
    id: str
    description: str
    sql: str | None
    params: dict[str, Any]


class CommitteeOut(Model):
    """The committee report: every figure with the query behind it."""

    title: str
    meta: CommitteeMeta
    sections: list[Section]
    charts: dict[str, dict[str, Any]]
    figures: list[Figure]
    queries: dict[str, QueryBehind]


# Every route may refuse or fail with these, in JSON (the envelope) or as the HTML error page.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "model": ErrorEnvelope,
        "description": "Refused: the error envelope names each field and the reason",
        "content": {"text/html": {}},
    },
    503: {"model": ErrorEnvelope, "description": "The database is unavailable; retry after Retry-After seconds"},
}
