"""The web application (no `from __future__ import annotations`: FastAPI reads the route
annotations at definition time): JSON API and server-rendered pages from the same view data.

`create_app(settings)` builds everything from explicit settings; nothing is created at import
time. Every route needs a logged-in user unless it is explicitly public (login, health, the
OpenAPI document). Every page has a JSON twin (`/reports/ID.json`, or `Accept:
application/json`), and every error has one shape in JSON and one page in HTML.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import OperationalError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.intake.parse import parse_report, unstorable_text
from maxim.intake.statements import build_record
from maxim.network.deconflict import check_deconfliction
from maxim.reference import Reference, load_reference
from maxim.reference.limits import load_limits
from maxim.resolve.realtime import candidates_for
from maxim.settings import Settings
from maxim.store.access import DataAccess, Forbidden, Outcome
from maxim.store.engine import Database, connect, describe_failure
from maxim.store.migrate import upgrade
from maxim.web.api_network import make_router as network_router
from maxim.web.api_oversight import make_router as oversight_router
from maxim.web.api_resolution import make_router as resolution_router
from maxim.web.api_share import make_router as share_router
from maxim.web.api_workflow import make_router as workflow_router
from maxim.web.auth import Auth, CsrfFailed, NotAuthenticated, TooManyAttempts, login_redirect, make_auth
from maxim.web.models import ERROR_RESPONSES, EntityOut, HomeOut, ReportOut, SubmitOut
from maxim.web.pages import make_router as pages_router
from maxim.web.views import Totals, entity_view, home_view, report_view

HERE = Path(__file__).parent
CLASSIFICATION = "OFFICIAL-SENSITIVE"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _envelope(status: int, title: str, errors: list[FieldError] | None = None) -> dict[str, Any]:
    return {
        "error": {
            "status": status,
            "title": title,
            "errors": [{"field": _encodable(e.field), "reason": _encodable(e.reason)} for e in errors or []],
        }
    }


def _encodable(text: str) -> str:
    """The text with any lone surrogate escaped: an error may quote what was sent, and a
    surrogate cannot be written as UTF-8, so the answer itself would fail."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return (
        request.url.path.startswith("/api/")
        or request.url.path.endswith(".json")
        or ("application/json" in accept and "text/html" not in accept)
    )


class BodyLimit:
    """Refuses a request body larger than `limits.yaml`'s `body_bytes` before it is parsed: at once
    when its declared length is over, else once the bytes received pass it. Raised where the route
    reads the body, so the app's 413 handler answers in the one error shape. (FastAPI's own
    `max_body_size` answers a declared length with plain text, naming no field.)"""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        received = int(declared) if declared.isdigit() else 0

        async def limited() -> Message:
            nonlocal received
            if received > self.limit:
                raise StarletteHTTPException(413)
            message = await receive()
            if message["type"] == "http.request" and not declared.isdigit():
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise StarletteHTTPException(413)
            return message

        await self.app(scope, limited, send)


def create_app(settings: Settings, *, migrate: bool = True) -> FastAPI:
    db: Database = connect(settings.database_url, audit_key_file=settings.audit_key_path())
    if migrate:
        upgrade(db)
    ref: Reference = load_reference()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(classification=CLASSIFICATION, reference=ref)

    app = FastAPI(
        title="Maxim",
        version="0.1.0",
        description="Intelligence clearinghouse for organised immigration crime and human trafficking.",
        docs_url=None,  # the interactive docs load scripts from a CDN; the spec is at /openapi.json
        redoc_url=None,
        responses=ERROR_RESPONSES,
        dependencies=[Depends(plain_parameters)],
    )
    app.state.db = db
    app.add_middleware(BodyLimit, limit=load_limits().body_bytes)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    authenticated, auth_router = make_auth(db, settings, templates)
    app.include_router(auth_router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    def access(request: Request, auth: Annotated[Auth, Depends(authenticated)]) -> DataAccess:
        channel = "api" if request.url.path.startswith("/api/") else "web"
        return DataAccess(db, auth.actor, channel=channel)

    Access = Annotated[DataAccess, Depends(access)]
    Authed = Annotated[Auth, Depends(authenticated)]
    app.state.get_access = access  # feature routers take the same dependency
    app.include_router(workflow_router(access))
    app.include_router(oversight_router(access))  # before /reports/{report_id}: /reports/committee
    app.include_router(resolution_router(access))
    app.include_router(share_router(access, settings.signing_key))
    app.include_router(network_router(access))

    def page(request: Request, template: str, data: dict[str, Any], auth: Auth, as_json: bool) -> Response:
        if as_json or _wants_json(request):
            return JSONResponse(_jsonable(data))
        return templates.TemplateResponse(
            request, template, {"data": data, "actor": auth.actor, "csrf_token": auth.csrf_token}
        )

    app.include_router(pages_router(access, authenticated, templates, page, ref))  # before /reports/{id}

    def error_response(request: Request, status: int, title: str, errors: list[FieldError] | None = None) -> Response:
        if _wants_json(request):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse(_envelope(status, title, errors), status_code=status, headers=headers)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"status": status, "title": title, "errors": errors or [], "actor": None},
            status_code=status,
        )

    @app.exception_handler(ValidationFailed)
    async def _invalid(request: Request, exc: ValidationFailed) -> Response:
        return error_response(request, 422, "The request was refused", exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [FieldError(".".join(str(p) for p in e["loc"][1:]) or "body", e["msg"]) for e in exc.errors()]
        return error_response(request, 422, "The request was refused", errors)

    @app.exception_handler(413)
    async def _too_large(request: Request, exc: Exception) -> Response:
        limit = load_limits().body_bytes
        reason = f"is larger than {limit:,} bytes ({limit / 2**20:g} MiB), the most one request may send"
        return error_response(request, 413, "The request is too large", [FieldError("body", reason)])

    @app.exception_handler(NotAuthenticated)
    async def _login(request: Request, exc: NotAuthenticated) -> Response:
        if _wants_json(request):
            return error_response(request, 401, "Log in, or send a valid bearer token")
        return login_redirect(request)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return error_response(
            request, 403, "The form expired or was not sent from Maxim; reload the page and try again"
        )

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return error_response(request, 403, str(exc))

    @app.exception_handler(TooManyAttempts)
    async def _slow_down(request: Request, exc: TooManyAttempts) -> Response:
        return error_response(request, 429, "Too many attempts; wait a few minutes and try again")

    @app.exception_handler(OperationalError)
    async def _database_down(request: Request, exc: OperationalError) -> Response:
        # The connection pool checks connections before use, so once the database is back the
        # next request succeeds without restarting the app. A full or read-only database says so.
        response = error_response(request, 503, describe_failure(exc))
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc.detail, dict):  # {"message": title, field: what about it, ...}
            detail = dict(exc.detail)
            title = str(detail.pop("message", "The request was refused"))
            errors = [
                FieldError(k, ", ".join(map(str, v)) if isinstance(v, list | tuple) else str(v))
                for k, v in detail.items()
            ]
            return error_response(request, exc.status_code, title, errors)
        return error_response(request, exc.status_code, str(exc.detail))

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    # -- pages and their JSON twins ------------------------------------------------------

    totals = Totals()

    @app.get("/", response_class=HTMLResponse, summary="Home: the latest reports")
    def home(request: Request, data: Access, auth: Authed) -> Response:
        return page(request, "home.html", home_view(data, totals=totals), auth, False)

    @app.get("/index.json", summary="Home: the latest reports (JSON)", response_model=HomeOut)
    def home_json(request: Request, data: Access, auth: Authed) -> Response:
        return page(request, "home.html", home_view(data, totals=totals), auth, True)

    @app.get("/reports/{report_id}.json", summary="A report (JSON)", response_model=ReportOut)
    def report_json(request: Request, report_id: str, data: Access, auth: Authed) -> Response:
        return page(request, "report.html", _found(report_view(data, report_id)), auth, True)

    @app.get("/reports/{report_id}", response_class=HTMLResponse, summary="A report")
    def report_page(request: Request, report_id: str, data: Access, auth: Authed) -> Response:
        return page(request, "report.html", _found(report_view(data, report_id)), auth, False)

    @app.get("/entities/{entity_id}.json", summary="An entity with its statements (JSON)", response_model=EntityOut)
    def entity_json(request: Request, entity_id: str, data: Access, auth: Authed) -> Response:
        return page(request, "entity.html", _found(entity_view(data, entity_id)), auth, True)

    @app.get("/entities/{entity_id}", response_class=HTMLResponse, summary="An entity with its statements")
    def entity_page(request: Request, entity_id: str, data: Access, auth: Authed) -> Response:
        return page(request, "entity.html", _found(entity_view(data, entity_id)), auth, False)

    # -- JSON API ------------------------------------------------------------------------

    @app.post(
        "/api/reports", status_code=201, summary="Submit a report (docs/intake-format.md)", response_model=SubmitOut
    )
    def submit_report(data: Access, body: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        report = parse_report(body, ref)
        record = build_record(report, received_by=data.actor.username, now=datetime.now(UTC))
        [result] = data.submit([record])
        alerts = check_deconfliction(data, result.report_id) if result.outcome != Outcome.UNCHANGED else []
        extracted = [
            {
                k: s[k]
                for k in ("identifier_kind", "value", "original_value", "valid", "reason", "span_start", "span_end")
            }
            for s in record.statements
            if s["origin"] == "extracted"
        ]
        answer = {
            "report_id": result.report_id,
            "version": result.version,
            "outcome": result.outcome.value,
            "grading": report.grading.label,
            "statements": len(record.statements),
            "extracted": extracted,
            # Who we may already know: each person named, against the resolved index, explained.
            "candidates": [c.as_dict() for c in candidates_for(data, record)],
            # When the report touches another unit's live operation: whom to contact, nothing more.
            "deconfliction": [a.detail for a in alerts if a.recipient == "submitter"],
            "links": {"self": f"/api/reports/{result.report_id}", "page": f"/reports/{result.report_id}"},
        }
        return JSONResponse(jsonable_encoder(answer), status_code=201)

    @app.get("/api/reports/{report_id}", summary="Read a report back with its statements", response_model=ReportOut)
    def api_report(report_id: str, data: Access) -> JSONResponse:
        return JSONResponse(_jsonable(_found(report_view(data, report_id))))

    @app.get(
        "/api/entities/{entity_id}", summary="Read an entity with the statements behind it", response_model=EntityOut
    )
    def api_entity(entity_id: str, data: Access) -> JSONResponse:
        return JSONResponse(_jsonable(_found(entity_view(data, entity_id))))

    return app


def app_from_env() -> FastAPI:
    """The app of one `maxim serve --workers N` process, built from the environment when the worker
    starts; `serve` has already migrated the database."""
    return create_app(Settings.from_env(), migrate=False)


async def plain_parameters(request: Request) -> None:
    """Refuse a path or query parameter, or a text of the body, holding NUL, another control
    character or a lone surrogate, naming it: no id, search term, name or reason holds one, and
    PostgreSQL fails on a NUL where SQLite stores it, so both engines refuse it before any query.
    The body checked is the JSON or form FastAPI parsed for the route's declared body (Starlette
    keeps it); a form the route reads itself is left to it, so the intake form can show the
    error beside the text pasted into it."""
    values: dict[str, Any] = dict(request.path_params)
    values.update({name: request.query_params.getlist(name) for name in request.query_params})
    errors = unstorable_text(values)
    body = await _declared_body(request)
    if body is not None:
        found = unstorable_text(body if isinstance(body, dict) else {"body": body})
        errors += [FieldError(e.field or "body", e.reason) for e in found]
    if errors:
        raise ValidationFailed(errors)


async def _declared_body(request: Request) -> Any:
    """The body as FastAPI parsed it for the route (None when it declares none, or it was not JSON or a form)."""
    if getattr(request.scope.get("route"), "body_field", None) is None:
        return None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            return await request.json()  # parsed already, unless the body is empty
        except ValueError:
            return None  # an empty body: FastAPI says the field is missing
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return {name: [v for v in form.getlist(name) if isinstance(v, str)] for name in form}
    return None


def _found(data: dict[str, Any] | None) -> dict[str, Any]:
    if data is None:
        raise HTTPException(status_code=404, detail="Not found")
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
