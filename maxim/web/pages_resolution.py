"""Entity-resolution pages (no `from __future__ import annotations`: FastAPI reads the route
annotations at definition time): the canonical nominal, judgement forms, and the known nominals
each person in a report may be.

Thin: view data comes from `maxim.web.views_resolution`, judgements go through the same
`record_judgement` as `POST /api/judgements`. Forms post and redirect (PRG) with the judgement's
id, so the page after a reload never records it twice; a refused judgement (a contradiction, or
bad input) re-renders the page with a GOV.UK error summary and the form open, as the intake
form does.
"""

import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.resolve.judgements import JUDGEMENTS, Conflict, record_judgement
from maxim.resolve.permissions import require_judge
from maxim.store.access import DataAccess
from maxim.web.auth import Auth
from maxim.web.views_resolution import (
    canonical_page_view,
    grading_text,
    is_entity_prop,
    prop_label,
    report_candidates_view,
    utc_time,
)

Page = Callable[[Request, str, dict[str, Any], Auth, bool], Response]

REASON_MAX = 2000
VERDICTS = {"same": "Same person", "not_same": "Not the same", "unsure": "Unsure"}
# Where a judgement form may send the reader back to: the two pages that carry the forms, by
# their own ids only, so the field can never become an open redirect.
_BACK = re.compile(
    r"^/(?:entities/(?P<entity>[A-Za-z0-9_-]{1,80})/canonical|reports/(?P<report>[A-Za-z0-9_-]{1,80})/candidates)$"
)


def form_key(left_id: str, right_id: str) -> str:
    """The id prefix of one judgement form: unique on a page, since each pair has one form."""
    return f"j-{left_id}-{right_id}"


def make_router(
    get_access: Callable[..., DataAccess],
    authenticated: Callable[..., Any],
    templates: Jinja2Templates,
    page: Page,
) -> APIRouter:
    """Routes for /entities/{id}/canonical(.json), /entities/{id}/judgements, /reports/{id}/candidates(.json)."""
    router = APIRouter()
    Access = Annotated[DataAccess, Depends(get_access)]
    Authed = Annotated[Auth, Depends(authenticated)]
    templates.env.filters.update(prop_label=prop_label, grading_text=grading_text, utc_time=utc_time, percent=_percent)
    templates.env.tests.update(entity_prop=is_entity_prop)
    templates.env.globals.update(verdicts=VERDICTS, form_key=form_key)

    def found(value: dict[str, Any] | None) -> dict[str, Any]:
        if value is None:
            raise HTTPException(status_code=404, detail="Not found")
        return value

    Judged = Annotated[str | None, Query(description="The id of the judgement just recorded, to confirm it")]

    # -- the canonical nominal --------------------------------------------------------------------

    @router.get("/entities/{entity_id}/canonical.json", summary="The resolved nominal a mention belongs to (JSON)")
    def canonical_json(request: Request, entity_id: str, data: Access, auth: Authed, judged: Judged = None) -> Response:
        return page(request, "canonical.html", found(canonical_page_view(data, entity_id, judged)), auth, True)

    @router.get("/entities/{entity_id}/canonical", summary="The resolved nominal: every value, its source and grading")
    def canonical(request: Request, entity_id: str, data: Access, auth: Authed, judged: Judged = None) -> Response:
        return page(request, "canonical.html", found(canonical_page_view(data, entity_id, judged)), auth, False)

    # -- known nominals for a report's people -----------------------------------------------------

    @router.get("/reports/{report_id}/candidates.json", summary="Known nominals each person in a report may be (JSON)")
    def candidates_json(
        request: Request, report_id: str, data: Access, auth: Authed, judged: Judged = None
    ) -> Response:
        body = found(report_candidates_view(data, report_id, judged))
        return page(request, "report_candidates.html", body, auth, True)

    @router.get("/reports/{report_id}/candidates", summary="Known nominals each person in a report may be, explained")
    def candidates(request: Request, report_id: str, data: Access, auth: Authed, judged: Judged = None) -> Response:
        body = found(report_candidates_view(data, report_id, judged))
        return page(request, "report_candidates.html", body, auth, False)

    # -- judgements -------------------------------------------------------------------------------

    @router.post("/entities/{entity_id}/judgements", summary="Judge whether a mention is the same person as another")
    async def judge(request: Request, entity_id: str, data: Access, auth: Authed) -> Response:
        """Form fields: right_id, judgement (same / not_same / unsure), reason, return_to."""
        require_judge(data.actor)
        form = await request.form()
        right_id = str(form.get("right_id") or "")
        verdict = str(form.get("judgement") or "")
        reason = str(form.get("reason") or "").strip() or None
        back = str(form.get("return_to") or "")
        if not _BACK.match(back):
            back = f"/entities/{entity_id}/canonical"
        target = _BACK.match(back)
        if target is None:  # an id no page of Maxim's could have
            raise HTTPException(status_code=404, detail="Not found")
        problems = []
        if verdict not in JUDGEMENTS:
            problems.append(FieldError("judgement", "Choose same person, not the same, or unsure"))
        if reason is not None and len(reason) > REASON_MAX:
            problems.append(FieldError("reason", f"Keep the reason to {REASON_MAX} characters or fewer"))
        try:
            if problems:
                raise ValidationFailed(problems)
            done = record_judgement(data, entity_id, right_id, verdict, reason)
        except Conflict as exc:
            errors = [FieldError("judgement", str(exc))]
            return refused(
                request, data, auth, target, (entity_id, right_id), verdict, reason, errors, exc.judgements, 409
            )
        except ValidationFailed as exc:
            return refused(request, data, auth, target, (entity_id, right_id), verdict, reason, exc.errors, (), 422)
        return RedirectResponse(f"{back}?judged={done.judgement_id}", status_code=303)

    def refused(
        request: Request,
        data: DataAccess,
        auth: Auth,
        target: re.Match[str],
        pair: tuple[str, str],
        verdict: str,
        reason: str | None,
        errors: Sequence[FieldError],
        conflicting: Sequence[int],
        status: int,
    ) -> Response:
        """The page the form came from again, with an error summary, the form open and as typed."""
        if target.group("report"):
            template, body = "report_candidates.html", found(report_candidates_view(data, target.group("report")))
        else:
            template, body = "canonical.html", found(canonical_page_view(data, target.group("entity")))
        key = form_key(*pair)
        captions: dict[str, str] = body["captions"]
        shown = []
        for e in errors:
            anchor = f"{key}-reason" if e.field == "reason" else f"{key}-same"
            shown.append({"anchor": anchor, "label": "Your judgement", "reason": _named(e.reason, captions)})
        on_page = {form_key(other, m) for m, other in body.get("member_pairs", {}).items()}
        on_page |= {form_key(c["for_mention"], c["mention_id"]) for c in _candidate_rows(body)}
        body.update(
            # A form posted from elsewhere (or a pair the page no longer offers) is shown again here.
            refused_pair=None if key in on_page else {"left_id": pair[0], "right_id": pair[1]},
            errors=shown,
            form_errors={key: "; ".join(e["reason"] for e in shown)},
            form_values={key: {"judgement": verdict, "reason": reason or ""}},
            conflicting=list(conflicting),
        )
        return templates.TemplateResponse(
            request,
            template,
            {"data": body, "actor": auth.actor, "csrf_token": auth.csrf_token},
            status_code=status,
        )

    return router


def _named(message: str, captions: dict[str, str]) -> str:
    """A refusal with the mention ids the reader knows followed by their names."""
    for mention, caption in captions.items():
        message = message.replace(mention, f"{mention} ({caption})")
    return message


def _candidate_rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every candidate a page shows: the canonical page's own, or each person's in a report."""
    rows: list[dict[str, Any]] = list(body.get("candidates", []))
    for person in body.get("people", []):
        rows.extend(person["candidates"])
    return rows


def _percent(probability: float | None) -> str:
    return "not scored" if probability is None else f"{probability * 100:.1f}%"
