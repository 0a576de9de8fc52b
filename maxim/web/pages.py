"""The analyst's pages beyond the basics (no `from __future__ import annotations`: FastAPI reads
the route annotations at definition time): submit intelligence, link chart, timeline, search.

Each page has a JSON twin built from the same view data by the app's `page()` helper. The
intake form works without JavaScript: the handling-code C fields are always in the page and
explained; GOV.UK Frontend's conditional radios hide them until C is chosen when JS runs.
"""

import re
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.domain.originator import originator_refusal
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.network.deconflict import check_deconfliction
from maxim.reference import Reference, load_reference
from maxim.store import search
from maxim.store.access import Actor, DataAccess, Forbidden, Outcome
from maxim.store.audit import Operation, report_identity
from maxim.store.audit import entries as audit_entries
from maxim.web.auth import Auth
from maxim.web.models import SearchOut
from maxim.web.pages_resolution import make_router as resolution_pages
from maxim.web.views import SearchParams, grading_label, graph_view, graphml, search_view, timeline_view

SUBJECT_ROWS = 3
SUBJECT_FIELDS = ("name", "dob", "phone", "role")
SUBJECT_PROPS = {"name": "name", "dob": "birthDate", "phone": "phone"}
FIELD_LABELS = {
    "kind": "Kind of report",
    "originator": "Originating unit",
    "reference": "Your reference",
    "received_at": "Received",
    "intelligence_date": "Date of the intelligence",
    "source_evaluation": "Source evaluation",
    "intelligence_assessment": "Intelligence assessment",
    "handling_code": "Handling code",
    "handling_conditions": "Handling conditions",
    "action_code": "Action code",
    "sanitisation_code": "Sanitisation code",
    "share_with": "Share with",
    "nim_level": "NIM level",
    "themes": "Themes",
    "title": "Title",
    "text": "Intelligence text",
    "entities": "People named",
}
FIELD_ANCHORS = {
    "intelligence_date": "intelligence_date-day",
    "handling_code": "handling_code",
    "share_with": "share_with",
    "themes": "themes",
    "entities": "subject-1-name",
}
_ENTITY_FIELD = re.compile(r"^entities\[(\d+)\](?:\.(role|role_detail|properties\.(\w+)))?")

Page = Callable[[Request, str, dict[str, Any], Auth, bool], Response]
#: The role that reads any report's audit trail, even outside its own need-to-know.
DPO = "data_protection_officer"
AuditPage = Annotated[int, Query(alias="page", ge=1, description="Which page of the trail, newest first.")]
AuditLimit = Annotated[int, Query(ge=1, le=1000, description="Entries per page.")]


def make_router(
    get_access: Callable[..., DataAccess],
    authenticated: Callable[..., Any],
    templates: Jinja2Templates,
    page: Page,
    ref: Reference | None = None,
) -> APIRouter:
    """Routes for /reports/new, /reports/{id}/audit, /entities/{id}/chart|graph.json|graph.graphml|timeline, /search,
    and the entity-resolution pages (`maxim.web.pages_resolution`)."""
    reference = ref or load_reference()
    router = APIRouter()
    router.include_router(resolution_pages(get_access, authenticated, templates, page))
    Access = Annotated[DataAccess, Depends(get_access)]
    Authed = Annotated[Auth, Depends(authenticated)]

    # -- submit intelligence -------------------------------------------------------------------

    def form_data(
        actor: Actor, values: dict[str, Any], errors: list[FieldError], rows: dict[int, int]
    ) -> dict[str, Any]:
        shown = [_shown_error(e, rows) for e in errors]
        by_id: dict[str, list[str]] = {}
        for e in shown:
            by_id.setdefault(e["anchor"], []).append(e["reason"])
        return {
            "values": values,
            "errors": shown,
            "errors_by_id": by_id,
            "subject_rows": list(range(1, SUBJECT_ROWS + 1)),
            "options": {
                "kinds": reference.report_kinds,
                # Only the originators the user may submit as (their unit; partners they take in).
                "originators": {
                    code: name
                    for code, name in (
                        {code: unit.name for code, unit in reference.units.items()}
                        | {code: p.name for code, p in reference.partners.items()}
                    ).items()
                    if originator_refusal(code, actor.unit, actor.roles, reference) is None
                },
                "source_evaluation": reference.grading.source_evaluation,
                "intelligence_assessment": reference.grading.intelligence_assessment,
                "handling_code": reference.grading.handling_code,
                "action_code": reference.grading.action_code,
                "sanitisation_code": reference.grading.sanitisation_code,
                "nim_levels": {str(k): v for k, v in reference.nim_levels.items()},
                "themes": reference.themes,
                "roles": reference.data_subject_categories,
                "share_with": {code: unit.name for code, unit in reference.units.items() if code != actor.unit}
                | {code: name for code, name in reference.roles.items()},
            },
        }

    def blank(actor_unit: str) -> dict[str, Any]:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return {
            "kind": "intelligence",
            "originator": actor_unit if actor_unit in reference.units else "",
            "reference": f"{actor_unit}/WEB/{stamp}-{secrets.token_hex(2).upper()}",
            "themes": [],
            "share_with": [],
        }

    @router.get("/reports/new.json", summary="The intake form: its choices and defaults (JSON)")
    def new_report_json(request: Request, auth: Authed) -> Response:
        return page(request, "report_new.html", form_data(auth.actor, blank(auth.actor.unit), [], {}), auth, True)

    @router.get("/reports/new", summary="Submit intelligence: the graded intake form")
    def new_report(request: Request, auth: Authed) -> Response:
        return page(request, "report_new.html", form_data(auth.actor, blank(auth.actor.unit), [], {}), auth, False)

    @router.post("/reports/new", summary="Submit intelligence from the intake form")
    async def submit_report(request: Request, data: Access, auth: Authed) -> Response:
        form = await request.form()
        values: dict[str, Any] = {k: str(v) for k, v in form.items() if k not in ("themes", "share_with")}
        values["themes"] = [str(v) for v in form.getlist("themes")]
        values["share_with"] = [str(v) for v in form.getlist("share_with")]
        raw, errors, rows = report_from_form(values)
        wants_json = _accepts_json(request)
        try:
            parsed = parse_report(raw, reference)
        except ValidationFailed as exc:
            errors = errors + exc.errors
            parsed = None
        if parsed is not None and not errors:
            record = build_record(parsed, received_by=data.actor.username, now=datetime.now(UTC))
            try:  # the store refuses an originator the user may not submit as
                [result] = data.submit([record])
            except ValidationFailed as exc:
                errors = exc.errors
        if errors or parsed is None:
            if wants_json:
                raise ValidationFailed(errors)
            body = form_data(auth.actor, values, errors, rows)
            return templates.TemplateResponse(
                request,
                "report_new.html",
                {"data": body, "actor": auth.actor, "csrf_token": auth.csrf_token},
                status_code=422,
            )
        # What the API intake does after storing: keep the stored networks current and raise the
        # deconfliction alerts (listed at /api/deconfliction/alerts for both sides). In a worker
        # thread, as the API's plain route runs: the network update must not stall the event loop.
        alerts = (
            await run_in_threadpool(check_deconfliction, data, result.report_id)
            if result.outcome != Outcome.UNCHANGED
            else []
        )
        if wants_json:
            return page(
                request,
                "report.html",
                {
                    "report_id": result.report_id,
                    "outcome": result.outcome.value,
                    "version": result.version,
                    "deconfliction": [a.detail for a in alerts if a.recipient == "submitter"],
                },
                auth,
                True,
            )
        return RedirectResponse(f"/reports/{result.report_id}?outcome={result.outcome.value}", status_code=303)

    # -- link chart and timeline ---------------------------------------------------------------

    def found(value: dict[str, Any] | None) -> dict[str, Any]:
        if value is None:
            raise HTTPException(status_code=404, detail="Not found")
        return value

    @router.get("/entities/{entity_id}/graph.json", summary="An entity's neighbourhood: nodes and edges (JSON)")
    def graph_json(request: Request, entity_id: str, data: Access, auth: Authed) -> Response:
        return page(request, "chart.html", found(graph_view(data, entity_id)), auth, True)

    @router.get("/entities/{entity_id}/graph.graphml", summary="An entity's neighbourhood as GraphML")
    def graph_graphml(entity_id: str, data: Access) -> Response:
        graph = found(graph_view(data, entity_id))
        return Response(
            graphml(graph),
            media_type="application/graphml+xml",
            headers={"Content-Disposition": f'attachment; filename="maxim-{entity_id}.graphml"'},
        )

    @router.get("/entities/{entity_id}/chart", summary="Link chart of an entity")
    def chart(request: Request, entity_id: str, data: Access, auth: Authed) -> Response:
        return page(request, "chart.html", found(graph_view(data, entity_id)), auth, False)

    @router.get("/entities/{entity_id}/timeline.json", summary="An entity's reports in time (JSON)")
    def timeline_json(request: Request, entity_id: str, data: Access, auth: Authed) -> Response:
        return page(request, "timeline.html", found(timeline_view(data, entity_id)), auth, True)

    @router.get("/entities/{entity_id}/timeline", summary="An entity's reports in time")
    def timeline(request: Request, entity_id: str, data: Access, auth: Authed) -> Response:
        return page(request, "timeline.html", found(timeline_view(data, entity_id)), auth, False)

    # -- audit trail -----------------------------------------------------------------------------

    def audit_data(data: DataAccess, report_id: str, page_number: int, limit: int) -> dict[str, Any]:
        if not data.actor.roles & set(reference.audit_roles):
            raise Forbidden("Only the data-protection officer may read the audit trail")
        visible = search.reports_by_id(data, [report_id])
        with data.db.reader.connect() as conn:
            if visible:
                report = {**visible[0], "grading": grading_label(visible[0])}
            elif DPO in data.actor.roles:
                # The trail is metadata (who did what, when): the DPO reads it for any report,
                # seeing only the report's identity, never the content need-to-know withholds.
                report = found(report_identity(conn, report_id))
            else:
                raise HTTPException(status_code=404, detail="Not found")
            found_page = audit_entries(conn, object_id=report_id, limit=limit, offset=(page_number - 1) * limit)
        data.audit(Operation.CONSULTATION, "audit", [report_id], justification="audit trail of a report")
        events = [
            {
                k: getattr(row, k)
                for k in ("id", "at", "username", "operation", "object_type", "channel", "justification")
            }
            for row in found_page.rows
        ]
        more = found_page.offset + len(found_page.rows) < found_page.total
        return {
            "report": report,
            "events": events,
            "page": {
                "number": page_number,
                "limit": limit,
                "total": found_page.total,
                "showing": found_page.describe(),
                "previous": page_number - 1 if page_number > 1 else None,
                "next": page_number + 1 if more else None,
            },
        }

    def found_list(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not rows:
            raise HTTPException(status_code=404, detail="Not found")
        return rows

    @router.get("/reports/{report_id}/audit.json", summary="Who collected, consulted or altered a report (JSON)")
    def audit_json(
        request: Request, report_id: str, data: Access, auth: Authed, page_number: AuditPage = 1, limit: AuditLimit = 50
    ) -> Response:
        return page(request, "audit.html", audit_data(data, report_id, page_number, limit), auth, True)

    @router.get("/reports/{report_id}/audit", summary="Who collected, consulted or altered a report (DPO)")
    def audit_page(
        request: Request, report_id: str, data: Access, auth: Authed, page_number: AuditPage = 1, limit: AuditLimit = 50
    ) -> Response:
        return page(request, "audit.html", audit_data(data, report_id, page_number, limit), auth, False)

    # -- search --------------------------------------------------------------------------------

    def search_data(data: DataAccess, params: SearchParams) -> dict[str, Any]:
        body = search_view(data, params)
        body["options"] = {
            "themes": reference.themes,
            "units": {code: unit.name for code, unit in reference.units.items()}
            | {code: p.name for code, p in reference.partners.items()},
        }
        return body

    Search = Annotated[SearchParams, Query()]

    def search_answer(request: Request, body: dict[str, Any], auth: Auth, as_json: bool) -> Response:
        """The results; or, for a filter it cannot read, the JSON refusal (422, the error envelope)
        or the form again with each filter at fault marked (422, as the intake form does)."""
        if not body["errors"]:
            return page(request, "search.html", body, auth, as_json)
        if as_json or _accepts_json(request):
            raise ValidationFailed([FieldError(e["field"], e["reason"]) for e in body["errors"]])
        return templates.TemplateResponse(
            request, "search.html", {"data": body, "actor": auth.actor, "csrf_token": auth.csrf_token}, status_code=422
        )

    @router.get("/search.json", summary="Search reports and names (JSON)", response_model=SearchOut)
    def search_json(request: Request, data: Access, auth: Authed, params: Search) -> Response:
        return search_answer(request, search_data(data, params), auth, True)

    @router.get("/search", summary="Search reports and names: full text, similar names, filters")
    def search_page(request: Request, data: Access, auth: Authed, params: Search) -> Response:
        return search_answer(request, search_data(data, params), auth, False)

    return router


def report_from_form(values: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError], dict[int, int]]:
    """The intake form as a report (docs/intake-format.md), errors only the form can see, and
    which form row each entity came from (entity index -> subject row number)."""
    errors: list[FieldError] = []
    handling = values.get("handling_code") or ""
    raw: dict[str, Any] = {
        "kind": values.get("kind") or "",
        "originator": values.get("originator") or "",
        "reference": (values.get("reference") or "").strip(),
        "received_at": datetime.now(UTC).isoformat(),
        "source_evaluation": values.get("source_evaluation") or "",
        "intelligence_assessment": values.get("intelligence_assessment") or "",
        "handling_code": handling,
        "nim_level": values.get("nim_level") or None,
        "themes": values.get("themes") or [],
        "title": (values.get("title") or "").strip(),
        "text": values.get("text") or "",
    }
    if not raw["reference"]:
        errors.append(FieldError("reference", "enter your reference for this report"))
    if not raw["title"]:
        errors.append(FieldError("title", "enter a short title"))
    if handling == "C":  # under P these fields are ignored: the form keeps them for when C is chosen
        raw["handling_conditions"] = (values.get("handling_conditions") or "").strip()
        raw["action_code"] = values.get("action_code") or ""
        raw["sanitisation_code"] = values.get("sanitisation_code") or ""
        raw["share_with"] = values.get("share_with") or []
    parts = [(values.get(f"intelligence_date-{p}") or "").strip() for p in ("day", "month", "year")]
    if any(parts):
        try:
            raw["intelligence_date"] = date(int(parts[2]), int(parts[1]), int(parts[0])).isoformat()
        except ValueError:
            errors.append(FieldError("intelligence_date", "must be a real date, for example 27 3 2025"))
    entities: list[dict[str, Any]] = []
    rows: dict[int, int] = {}
    for n in range(1, SUBJECT_ROWS + 1):
        cells = {f: (values.get(f"subject-{n}-{f}") or "").strip() for f in SUBJECT_FIELDS}
        if not any(cells[f] for f in ("name", "dob", "phone")):
            continue
        if not cells["name"]:
            errors.append(FieldError(f"subject-{n}-name", "enter the person's name, or clear the row"))
            continue
        props = {prop: [cells[f]] for f, prop in SUBJECT_PROPS.items() if cells[f]}
        rows[len(entities)] = n
        entities.append({"id": f"p{n}", "schema": "Person", "role": cells["role"] or None, "properties": props})
    raw["entities"] = entities
    return raw, errors, rows


def _accepts_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _shown_error(error: FieldError, rows: dict[int, int]) -> dict[str, str]:
    """A refusal as the error summary shows it: a label a person understands, and the field's id."""
    field, reason = error.field, error.reason
    match = _ENTITY_FIELD.match(field)
    if match:
        n = rows.get(int(match.group(1)), 1)
        prop = match.group(3)
        cell = {v: k for k, v in SUBJECT_PROPS.items()}.get(prop or "", "role" if match.group(2) else "name")
        field = f"subject-{n}-{cell}"
    subject = re.match(r"^subject-(\d+)-(\w+)$", field)
    if subject:
        names = {"name": "name", "dob": "date of birth", "phone": "phone", "role": "role"}
        return {
            "field": field,
            "anchor": field,
            "label": f"Person {subject.group(1)}, {names[subject.group(2)]}",
            "reason": reason,
        }
    return {
        "field": field,
        "anchor": FIELD_ANCHORS.get(field, field),
        "label": FIELD_LABELS.get(field, field),
        "reason": reason,
    }
