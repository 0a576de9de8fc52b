"""The committee report page with its JSON twin and PDF, the funding ledger, and victim records
(no `from __future__ import annotations`: FastAPI reads the annotations at definition time).

Thin: each route parses, calls `maxim.oversight.report` or `OversightAccess`, and shapes the
answer. Victim routes answer 404 to anyone who may not see the record, exactly as for one that
does not exist.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from maxim.oversight.funding import fy_of
from maxim.reference import load_reference
from maxim.store.access import DataAccess
from maxim.web.models import CommitteeOut
from maxim.web.oversight_render import CLASSIFICATION, page_context, render_pdf

HERE = Path(__file__).parent


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _period(start: str | None, end: str | None) -> tuple[date, date]:
    """The period asked for; by default the financial year to date."""
    from maxim.oversight.report import parse_dates

    today = datetime.now(UTC).date()
    first = start or date(fy_of(today), 4, 1).isoformat()
    return parse_dates(first, end or today.isoformat())


def make_router(get_access: Callable[..., DataAccess]) -> APIRouter:
    router = APIRouter(tags=["oversight"])
    Access = Annotated[DataAccess, Depends(get_access)]
    From = Annotated[
        str | None, Query(alias="from", description="First day, ISO date (default: start of this financial year)")
    ]
    To = Annotated[str | None, Query(alias="to", description="Last day, ISO date, inclusive (default: today)")]
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(classification=CLASSIFICATION, reference=load_reference())

    def build(data: DataAccess, start: str | None, end: str | None) -> dict[str, Any]:
        from maxim.oversight.report import committee_report

        first, last = _period(start, end)
        return committee_report(data, first, last)

    @router.get(
        "/reports/committee.json",
        summary="The committee report: every figure with the query behind it (JSON)",
        response_model=CommitteeOut,
    )
    def committee_json(data: Access, start: From = None, end: To = None) -> JSONResponse:
        return JSONResponse(_jsonable(build(data, start, end)))

    @router.get("/reports/committee.pdf", summary="The committee report as PDF", response_class=Response)
    def committee_pdf(data: Access, start: From = None, end: To = None) -> Response:
        report = build(data, start, end)
        name = f"committee-{report['meta']['from']}-{report['meta']['to']}.pdf"
        return Response(
            render_pdf(report),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )

    @router.get("/reports/committee", response_class=HTMLResponse, summary="The committee report for a period")
    def committee_page(request: Request, data: Access, start: From = None, end: To = None) -> Response:
        report = build(data, start, end)
        accept = request.headers.get("accept", "")
        if "application/json" in accept and "text/html" not in accept:
            return JSONResponse(_jsonable(report))
        return templates.TemplateResponse(
            request, "oversight/committee.html", {**page_context(report), "actor": data.actor, "csrf_token": None}
        )

    @router.get("/api/funding", summary="The funding ledger in force: totals by year, APF bids, streams")
    def funding(data: Access) -> dict[str, Any]:
        from maxim.store.oversight_access import OversightAccess

        if data.actor.external:
            raise HTTPException(404, "Not found")
        ledger, origin = OversightAccess(data).ledger()
        return dict(
            _jsonable(
                {
                    "origin": origin,
                    "version": ledger.version,
                    "by_year": ledger.by_year(),
                    "apf": ledger.apf_summary(),
                    "streams": [s.to_json() for s in ledger.streams],
                }
            )
        )

    # -- victims (safeguarding roles and the investigating unit only) -------------------------

    @router.get("/api/victims", summary="Victim records you may see (safeguarding roles, investigating unit)")
    def victim_list(data: Access) -> list[dict[str, Any]]:
        from maxim.store.oversight_access import OversightAccess

        return list(_jsonable(OversightAccess(data).victims()))

    @router.post("/api/victims", status_code=201, summary="Record a victim (apart from the intelligence graph)")
    def victim_create(data: Access, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        from maxim.store.access import Forbidden
        from maxim.store.oversight_access import OversightAccess

        try:
            return dict(_jsonable(OversightAccess(data).create_victim(body)))
        except Forbidden as exc:
            raise HTTPException(403, str(exc)) from exc

    @router.get("/api/victims/{victim_id}", summary="A victim record with its safeguarding actions")
    def victim_read(victim_id: str, data: Access) -> dict[str, Any]:
        from maxim.store.oversight_access import OversightAccess

        found = OversightAccess(data).victim(victim_id)
        if found is None:
            raise HTTPException(404, "Not found")
        return dict(_jsonable(found))

    @router.get("/api/victims-export/htcds", summary="HTCDS records for a partner holding consent (audited disclosure)")
    def victim_export(data: Access, partner: Annotated[str, Query()]) -> list[dict[str, Any]]:
        from maxim.store.oversight_access import OversightAccess

        return list(_jsonable(OversightAccess(data).export_htcds(partner)))

    return router
