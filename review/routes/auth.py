"""Log-in (throttled, its form's token bound to a cookie) and log-out."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from review.throttle import Refusal
from review.web import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Actor,
    CsrfRefused,
    Web,
    WebDep,
)

log = logging.getLogger(__name__)

router = APIRouter()


def login_page(
    w: Web,
    request: Request,
    nonce: str,
    *,
    next: str,
    error: str | None = None,
    username: str = "",
    status_code: int = 200,
) -> Response:
    response = w.templates.TemplateResponse(
        request,
        "login.html",
        {
            "visitor": None,
            "flashes": [],
            "login_token": w.auth.login_token(nonce),
            "next": next,
            "error": error,
            "username": username,
        },
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=w.review.secure_cookies,
    )
    return response


def log_locks(w: Web, locks: list[Refusal], name: str, address: str) -> None:
    for lock in locks:
        log.warning(
            "log-in %s %s locked for %.0f s after too many failures",
            lock.what,
            name if lock.what == "account" else address,
            lock.wait_s,
        )


def login_nonce(w: Web, request: Request) -> str:
    known = request.cookies.get(LOGIN_COOKIE) or ""
    return known if 20 <= len(known) <= 64 else w.auth.login_nonce()


@router.get("/login", response_class=HTMLResponse)
def login_form(w: WebDep, request: Request, next: str = "/") -> Response:
    return login_page(w, request, login_nonce(w, request), next=next)


@router.post("/login")
def login(
    w: WebDep,
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    login_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    if not w.auth.login_token_ok(login_token, request.cookies.get(LOGIN_COOKIE)):
        log.warning("log-in form without a token bound to its cookie (log-in CSRF?)")
        raise CsrfRefused()
    name = username.strip()
    address = request.client.host if request.client else "-"
    nonce = login_nonce(w, request)
    refusal = w.throttle.refusal(name, address)
    if refusal is not None:
        # A try made before its time counts as a failure (its password is not looked
        # at): hammering only makes the wait longer, up to the lock.
        log.warning(
            "log-in for %r from %s refused unchecked: %s %s for %.0f s more",
            name,
            address,
            refusal.what,
            "locked" if refusal.locked else "slowed down",
            refusal.wait_s,
        )
        log_locks(w, w.throttle.failed(name, address), name, address)
        refusal = w.throttle.refusal(name, address) or refusal
        response = login_page(
            w, request, nonce, next=next, error=refusal.message, username=name, status_code=429
        )
        response.headers["Retry-After"] = str(max(1, round(refusal.wait_s)))
        return response
    user = w.auth.authenticate(name, password)
    if user is None:
        locks = w.throttle.failed(name, address)
        log.warning(
            "failed log-in for %r from %s (%d failure(s) in a row for this account)",
            name,
            address,
            w.throttle.failures(name),
        )
        log_locks(w, locks, name, address)
        return login_page(
            w,
            request,
            nonce,
            next=next,
            error="Identifiant ou mot de passe incorrect.",
            username=name,
            status_code=401,
        )
    w.throttle.succeeded(name)
    _, cookie = w.auth.open_session(user)
    # Only a path on this site: never "//host" or "/\\host", which browsers follow away.
    safe = next.startswith("/") and not next.startswith(("//", "/\\"))
    target = next if safe else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=w.review.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=w.review.secure_cookies,
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(w: WebDep, visitor: Actor) -> Response:
    w.store.end_session(visitor.session.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
