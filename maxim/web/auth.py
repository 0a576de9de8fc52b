"""Login, sessions, API tokens and CSRF for the web app (no `from __future__ import annotations`:
FastAPI reads the route annotations at definition time).

Every route requires login unless it is explicitly public. The API takes a bearer token or the
session cookie; with the cookie, any request that changes something must also carry the
session's CSRF token (header `X-CSRF-Token` or form field `csrf_token`).
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from maxim.security.auth import (
    LoginFailed,
    authenticate,
    end_session,
    issue_token,
    session_for,
    start_session,
    token_actor,
)
from maxim.security.ratelimit import LoginLimiter, RateLimiter
from maxim.settings import Settings
from maxim.store.access import Actor
from maxim.store.engine import Database

SESSION_COOKIE = "maxim_session"
LOGIN_CSRF_COOKIE = "maxim_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotAuthenticated(Exception):
    """No valid session or token: pages redirect to the login page, the API answers 401."""


class CsrfFailed(Exception):
    """A state-changing request with a session cookie but without its CSRF token."""


class TooManyAttempts(Exception):
    """Rate limit hit on login or token creation."""


@dataclass(frozen=True, slots=True)
class Auth:
    actor: Actor
    csrf_token: str | None  # None when authenticated by bearer token


def _now() -> datetime:
    return datetime.now(UTC)


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a user to another site after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def make_auth(db: Database, settings: Settings, templates: Jinja2Templates) -> tuple[Callable[..., Any], APIRouter]:
    """The `authenticated` dependency and the router with /login, /logout and /api/tokens."""
    login_limit = LoginLimiter()
    token_limit = RateLimiter(10, timedelta(hours=1))

    async def authenticated(request: Request) -> Auth:
        header = request.headers.get("authorization", "")
        now = _now()
        if header.lower().startswith("bearer "):
            actor = token_actor(db, header[7:].strip(), now=now)
            if actor is None:
                raise NotAuthenticated()
            return Auth(actor, None)
        cookie = request.cookies.get(SESSION_COOKIE)
        session = session_for(db, cookie, now=now) if cookie else None
        if session is None:
            raise NotAuthenticated()
        if request.method not in SAFE_METHODS:
            sent = request.headers.get("x-csrf-token")
            if sent is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")
            ):
                sent = str((await request.form()).get("csrf_token") or "")
            if not sent or not secrets.compare_digest(sent, session.csrf_token):
                raise CsrfFailed()
        return Auth(session.actor, session.csrf_token)

    router = APIRouter()

    @router.get("/login", include_in_schema=False)
    def login_page(request: Request, next: str = "/") -> Response:
        token = secrets.token_urlsafe(32)
        response = templates.TemplateResponse(
            request, "login.html", {"csrf_token": token, "next": _safe_next(next), "error": None, "actor": None}
        )
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=settings.secure_cookies)
        return response

    @router.post("/login", include_in_schema=False)
    def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not secrets.compare_digest(expected, csrf_token):
            raise CsrfFailed()
        now = _now()
        client = request.client.host if request.client else "unknown"
        if not login_limit.allow(client, username, now):
            raise TooManyAttempts()
        try:
            actor = authenticate(db, username.strip(), password, now=now)
        except LoginFailed as exc:
            return templates.TemplateResponse(
                request,
                "login.html",
                {"csrf_token": csrf_token, "next": _safe_next(next), "error": str(exc), "actor": None},
                status_code=401,
            )
        session = start_session(db, actor, now=now)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session.token,
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
            max_age=8 * 3600,
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @router.post("/logout", include_in_schema=False)
    def logout(request: Request, auth: Annotated[Auth, Depends(authenticated)]) -> Response:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            end_session(db, cookie, now=_now())
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @router.post(
        "/api/tokens",
        status_code=201,
        summary="Issue yourself an API bearer token (shown once; needs your password)",
    )
    def create_token(
        auth: Annotated[Auth, Depends(authenticated)],
        name: Annotated[str, Body(embed=True)],
        password: Annotated[str, Body(embed=True)],
        days: Annotated[int, Body(embed=True)] = 30,
    ) -> dict[str, Any]:
        """The password, not only the session or token in hand, mints a token: a stolen session
        or token cannot extend itself. A wrong password counts towards the account's lockout."""
        now = _now()
        if not token_limit.allow(auth.actor.username, now):
            raise TooManyAttempts()
        try:
            authenticate(db, auth.actor.username, password, now=now, channel="api")
        except LoginFailed as exc:
            raise HTTPException(
                403, {"message": "The token was not issued", "password": "is not right, or the account is locked"}
            ) from exc
        token = issue_token(db, auth.actor, name=name, days=days, now=now, channel="api", password_confirmed=True)
        return {"token": token, "expires_in_days": days, "name": name}

    return authenticated, router


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


__all__ = ["Auth", "CsrfFailed", "NotAuthenticated", "TooManyAttempts", "login_redirect", "make_auth"]
