"""The review web application (FastAPI, server-rendered Jinja2 pages, a little JavaScript).

:func:`create_app` takes the stores and settings and returns the ASGI application; nothing is
read from the environment here. Every page but log-in needs a session (else a redirect to
``/login``); every POST needs the session's CSRF token (else 403). Medical certificates are
served only to the ``medical`` role, and every access to one is audited.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from extract.fields.base import FIELDS_BY_TYPE
from mailroom.models import DocType, Document, FieldValue, format_value
from mailroom.settings import Settings
from review.auth import Authenticator, tokens_equal
from review.formats import (
    FIELD_LABELS,
    InvalidCorrection,
    display_value,
    field_hint,
    french_amount,
    parse_correction,
)
from review.labels import (
    ACTION_LABELS,
    CHANNEL_LABELS,
    CHECK_STATUS_LABELS,
    DOC_TYPE_LABELS,
    EVENT_TYPES,
    MATCH_STATUS_LABELS,
    REQUEST_STATE_LABELS,
    STATUS_LABELS,
    check_label,
    history_lines,
    shown_value,
)
from review.service import (
    QUEUE_SORTS,
    REASON_CATEGORIES,
    ActionError,
    NeedsConfirmation,
    NotFound,
    QueueFilters,
    Refused,
    ReviewService,
    amount_of,
    doc_title,
    image_media_type,
    is_medical,
    may_see_medical,
    supplier_of,
)
from review.settings import ReviewSettings
from review.store import FlashKind, ReviewStore, Session, User
from review.throttle import LoginThrottle, Policy, Refusal
from storage.base import MetadataStore, ObjectStore
from storage.dossiers import DossierRegistry
from validate.completeness import piece_label
from validate.dossiers import Dossier
from validate.report import build_report, report_png

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "mailroom_session"
LOGIN_COOKIE = "mailroom_login"  # the nonce the log-in form's token is bound to


CHART_TTL_S = 60


@dataclass
class _ChartCache:
    png: bytes | None = None
    at: float = 0.0


class NotLoggedIn(Exception):
    """No live session: the browser is sent to the log-in page."""


class CsrfRefused(Exception):
    """A POST without the session's CSRF token."""


@dataclass(frozen=True)
class Visitor:
    user: User
    session: Session


def current_visitor(request: Request) -> Visitor:
    """The logged-in user and their session; :class:`NotLoggedIn` otherwise."""
    auth: Authenticator = request.app.state.auth
    found = auth.session_from_cookie(request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise NotLoggedIn()
    visitor = Visitor(user=found[1], session=found[0])
    request.state.visitor = visitor
    return visitor


async def csrf_checked_visitor(request: Request) -> Visitor:
    """The visitor, once the request carries their session's CSRF token (403 otherwise)."""
    visitor = current_visitor(request)
    token = request.headers.get("x-csrf-token")
    if token is None:
        form = await request.form()
        value = form.get("csrf_token")
        token = value if isinstance(value, str) else None
    if not tokens_equal(token, visitor.session.csrf_token):
        log.warning("POST %s without a valid CSRF token", request.url.path)
        raise CsrfRefused()
    return visitor


Viewer = Annotated[Visitor, Depends(current_visitor)]
Actor = Annotated[Visitor, Depends(csrf_checked_visitor)]


def unchanged(name: str, value: FieldValue, typed: str) -> bool:
    """The text of an input says the value the field already has (as shown, or otherwise)."""
    try:
        return parse_correction(name, typed) == value
    except InvalidCorrection:
        return False


def confidence_class(confidence: float) -> str:
    if confidence >= 0.9:
        return "high"
    if confidence >= 0.6:
        return "medium"
    return "low"


def create_app(
    settings: Settings,
    review: ReviewSettings,
    *,
    metadata: MetadataStore,
    objects: ObjectStore,
    registry: DossierRegistry,
    store: ReviewStore,
    rehash_passwords: bool = True,
) -> FastAPI:
    secret = (
        review.session_secret.get_secret_value()
        if review.session_secret is not None
        else secrets.token_urlsafe(48)
    )
    if review.session_secret is None:
        log.warning("no MAILROOM_REVIEW__SESSION_SECRET: sessions end when the server restarts")
    auth = Authenticator(store, secret, max_age_s=review.session_max_age_s, rehash=rehash_passwords)
    service = ReviewService(
        settings, metadata=metadata, objects=objects, registry=registry, store=store
    )
    app = FastAPI(title="mailroom — revue", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service = service
    app.state.auth = auth
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(
        DOC_TYPE_LABELS=DOC_TYPE_LABELS,
        FIELD_LABELS=FIELD_LABELS,
        REASON_CATEGORIES=REASON_CATEGORIES,
        ACTION_LABELS=ACTION_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        CHECK_STATUS_LABELS=CHECK_STATUS_LABELS,
        CHANNEL_LABELS=CHANNEL_LABELS,
        MATCH_STATUS_LABELS=MATCH_STATUS_LABELS,
        REQUEST_STATE_LABELS=REQUEST_STATE_LABELS,
        EVENT_TYPES=EVENT_TYPES,
        QUEUE_SORTS=QUEUE_SORTS,
        check_label=check_label,
        shown_value=shown_value,
        history_lines=history_lines,
        confidence_class=confidence_class,
        format_value=format_value,
        display_value=display_value,
        french_amount=french_amount,
        supplier_of=supplier_of,
        amount_of=amount_of,
        doc_title=doc_title,
        field_hint=field_hint,
    )

    # --- plumbing ------------------------------------------------------------------------

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'",
        )
        if "cache-control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(NotLoggedIn)
    async def to_login(request: Request, exc: NotLoggedIn) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return HTMLResponse(
            "<h1>Requête refusée</h1><p>Jeton CSRF absent ou invalide : rechargez la page.</p>",
            status_code=403,
        )

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        visitor = getattr(request.state, "visitor", None)
        return templates.TemplateResponse(
            request,
            "refused.html",
            {
                "visitor": visitor,
                "csrf_token": visitor.session.csrf_token if visitor else None,
                "message": str(exc),
            },
            status_code=403,
        )

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        visitor = getattr(request.state, "visitor", None)
        return templates.TemplateResponse(
            request,
            "refused.html",
            {
                "visitor": visitor,
                "csrf_token": visitor.session.csrf_token if visitor else None,
                "message": f"Introuvable : {exc.args[0] if exc.args else ''}",
                "title": "Introuvable",
            },
            status_code=404,
        )

    def page(request: Request, name: str, visitor: Visitor | None, **context: Any) -> Response:
        flashes = store.pop_flashes(visitor.session.session_id) if visitor else []
        return templates.TemplateResponse(
            request,
            name,
            {
                "visitor": visitor,
                "csrf_token": visitor.session.csrf_token if visitor else None,
                "flashes": flashes,
                **context,
            },
        )

    def flash(visitor: Visitor, kind: FlashKind, text: str) -> None:
        """A message for the next page: the only messages pages show (never a link's text)."""
        store.flash(visitor.session.session_id, kind, text)

    def back_to_document(
        document_id: str,
        visitor: Visitor,
        *,
        error: str | None = None,
        message: str | None = None,
        **params: str,
    ) -> RedirectResponse:
        if error:
            flash(visitor, "error", error)
        if message:
            flash(visitor, "message", message)
        params = {k: v for k, v in params.items() if v}
        query = f"?{urlencode(params)}" if params else ""
        return RedirectResponse(f"/documents/{quote(document_id)}{query}", status_code=303)

    # --- log-in --------------------------------------------------------------------------

    throttle = LoginThrottle(
        Policy(
            free_tries=review.login_free_tries,
            lock_after=review.login_lock_after,
            lock_s=review.login_lock_s,
        ),
        Policy(
            free_tries=review.address_free_tries,
            lock_after=review.address_lock_after,
            lock_s=review.login_lock_s,
        ),
    )
    app.state.throttle = throttle

    def login_page(
        request: Request,
        nonce: str,
        *,
        next: str,
        error: str | None = None,
        username: str = "",
        status_code: int = 200,
    ) -> Response:
        response = templates.TemplateResponse(
            request,
            "login.html",
            {
                "visitor": None,
                "flashes": [],
                "login_token": auth.login_token(nonce),
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
            secure=review.secure_cookies,
        )
        return response

    def log_locks(locks: list[Refusal], name: str, address: str) -> None:
        for lock in locks:
            log.warning(
                "log-in %s %s locked for %.0f s after too many failures",
                lock.what,
                name if lock.what == "account" else address,
                lock.wait_s,
            )

    def login_nonce(request: Request) -> str:
        known = request.cookies.get(LOGIN_COOKIE) or ""
        return known if 20 <= len(known) <= 64 else auth.login_nonce()

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> Response:
        return login_page(request, login_nonce(request), next=next)

    @app.post("/login")
    def login(
        request: Request,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        login_token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        if not auth.login_token_ok(login_token, request.cookies.get(LOGIN_COOKIE)):
            log.warning("log-in form without a token bound to its cookie (log-in CSRF?)")
            raise CsrfRefused()
        name = username.strip()
        address = request.client.host if request.client else "-"
        nonce = login_nonce(request)
        refusal = throttle.refusal(name, address)
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
            log_locks(throttle.failed(name, address), name, address)
            refusal = throttle.refusal(name, address) or refusal
            response = login_page(
                request, nonce, next=next, error=refusal.message, username=name, status_code=429
            )
            response.headers["Retry-After"] = str(max(1, round(refusal.wait_s)))
            return response
        user = auth.authenticate(name, password)
        if user is None:
            locks = throttle.failed(name, address)
            log.warning(
                "failed log-in for %r from %s (%d failure(s) in a row for this account)",
                name,
                address,
                throttle.failures(name),
            )
            log_locks(locks, name, address)
            return login_page(
                request,
                nonce,
                next=next,
                error="Identifiant ou mot de passe incorrect.",
                username=name,
                status_code=401,
            )
        throttle.succeeded(name)
        _, cookie = auth.open_session(user)
        # Only a path on this site: never "//host" or "/\\host", which browsers follow away.
        safe = next.startswith("/") and not next.startswith(("//", "/\\"))
        target = next if safe else "/"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            cookie,
            max_age=review.session_max_age_s,
            httponly=True,
            samesite="lax",
            secure=review.secure_cookies,
        )
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @app.post("/logout")
    def logout(visitor: Actor) -> Response:
        store.end_session(visitor.session.session_id)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # --- queue ---------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def queue(
        request: Request, visitor: Viewer, page_number: int = Query(1, alias="page")
    ) -> Response:
        filters = QueueFilters.from_query(request.query_params)
        result = service.queue(visitor.user, filters, page=page_number)
        return page(request, "queue.html", visitor, queue=result, filters=filters)

    @app.post("/bulk")
    async def bulk(request: Request, visitor: Actor) -> Response:
        """Set aside, or file as ``other``, the documents ticked in the queue."""
        form = await request.form()
        action = str(form.get("action") or "")
        ids = [str(v) for v in form.getlist("document_id")]
        back = QueueFilters.from_query(dict(parse_qsl(str(form.get("file") or "")))).query()
        done, failed = 0, []
        for document_id in ids:
            try:
                if action == "set_aside":
                    service.set_aside(visitor.user, document_id, str(form.get("note") or ""))
                elif action == "other":
                    service.change_type(visitor.user, document_id, DocType.OTHER.value)
                else:
                    flash(visitor, "error", "action groupée inconnue")
                    break
                done += 1
            except (ActionError, NotFound, Refused) as e:
                failed.append(f"{document_id} : {e}")
        if done:
            what = "mis de côté" if action == "set_aside" else "passés en « Autre »"
            flash(visitor, "message", f"{done} document(s) {what}")
        for problem in failed:
            flash(visitor, "error", problem)
        return RedirectResponse(f"/?{back}" if back else "/", status_code=303)

    # --- documents -----------------------------------------------------------------------

    def neighbours(visitor: Visitor, filters: QueueFilters, document_id: str) -> dict[str, Any]:
        ids = service.queue_ids(visitor.user, filters)
        if document_id not in ids:
            return {"previous_id": None, "next_id": ids[0] if ids else None, "position": None}
        i = ids.index(document_id)
        return {
            "previous_id": ids[i - 1] if i > 0 else None,
            "next_id": ids[i + 1] if i + 1 < len(ids) else None,
            "position": (i + 1, len(ids)),
        }

    def next_after(
        visitor: Visitor, filters: QueueFilters, before: list[str], document_id: str
    ) -> Response:
        """The next document of the queue (its order and filters) once ``document_id`` has
        left it, else the queue itself."""
        now = set(service.queue_ids(visitor.user, filters))
        rest = before[before.index(document_id) + 1 :] if document_id in before else before
        target = next((i for i in rest if i in now), None)
        if target is None:
            target = next((i for i in before if i in now), None)
        query = filters.query()
        if target is None:
            flash(visitor, "message", "File de travail terminée pour ces filtres.")
            return RedirectResponse(f"/?{query}" if query else "/", status_code=303)
        suffix = f"?{urlencode({'file': query})}" if query else ""
        return RedirectResponse(f"/documents/{quote(target)}{suffix}", status_code=303)

    def document_context(doc: Document, visitor: Visitor) -> dict[str, Any]:
        names = list(FIELDS_BY_TYPE.get(doc.doc_type, ())) if doc.doc_type else []
        names += [n for n in doc.fields if n not in names]
        dossier_id = doc.match.dossier_id if doc.match else None
        dossier = registry.get(dossier_id) if dossier_id else None
        notes = store.set_aside_notes()
        doubtful = [n for n in names if n not in doc.fields or doc.fields[n].confidence < 0.9]
        return {
            "doc": doc,
            "title": doc_title(doc),
            "field_names": names,
            "doubtful": doubtful,
            "dossier": dossier,
            "candidates": [
                (c, registry.get(c.dossier_id)) for c in (doc.match.candidates if doc.match else ())
            ],
            "threshold": settings.dossiers.match_threshold,
            "audit": store.audit_events(document_id=doc.document_id),
            "doc_types": [t.value for t in DocType if t is not DocType.MEDICAL_CERTIFICATE]
            + (["medical_certificate"] if may_see_medical(visitor.user) else []),
            "editable": doc.status.value == "needs_review",
            "set_aside": doc.document_id in notes,
            "set_aside_note": notes.get(doc.document_id),
            "failing": [c for c in doc.checks if c.status == "fail"],
        }

    @app.get("/documents/{document_id}", response_class=HTMLResponse)
    def document_page(
        request: Request,
        document_id: str,
        visitor: Viewer,
        q: str | None = None,
        file: str = "",
        confirm: str | None = None,
    ) -> Response:
        doc = service.document(visitor.user, document_id, "view")
        context = document_context(doc, visitor)
        found = service.search_dossiers(q) if q else []
        filters = QueueFilters.from_query(dict(parse_qsl(file)))
        return page(
            request,
            "document.html",
            visitor,
            q=q or "",
            found=found,
            file=filters.query(),
            confirm=confirm,
            **neighbours(visitor, filters, document_id),
            **context,
        )

    @app.get("/documents/{document_id}/pages/{number}.png")
    def page_image(document_id: str, number: int, visitor: Viewer) -> Response:
        data = service.page_image(visitor.user, document_id, number)
        return Response(
            data, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
        )

    @app.get("/documents/{document_id}/pages/{number}/screen")
    def page_view(document_id: str, number: int, visitor: Viewer) -> Response:
        """The page for the screen (JPEG or PNG, at most 1600 pixels wide), made once."""
        data = service.page_view(visitor.user, document_id, number)
        return Response(
            data,
            media_type=image_media_type(data),
            headers={"Cache-Control": "private, max-age=3600"},
        )

    @app.get("/documents/{document_id}/original")
    def original(document_id: str, visitor: Viewer) -> Response:
        doc, data = service.original(visitor.user, document_id)
        name = (doc.source.filename or doc.document_id).replace('"', "")
        return Response(
            data,
            media_type=doc.media_type or "application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{quote(name)}"'},
        )

    @app.get("/documents/{document_id}/searchable.pdf")
    def searchable_pdf(document_id: str, visitor: Viewer) -> Response:
        """The searchable PDF copy the GED entry of a filed document points at."""
        doc, data = service.searchable_copy(visitor.user, document_id)
        name = f"{(doc.source.filename or doc.document_id).rsplit('.', 1)[0]}-ged.pdf"
        return Response(
            data,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{quote(name)}"'},
        )

    @app.get("/api/documents/{document_id}")
    def document_api(document_id: str, visitor: Viewer) -> JSONResponse:
        doc = service.document(visitor.user, document_id, "api")
        return JSONResponse(doc.to_record())

    @app.post("/documents/{document_id}/fields")
    async def correct_all(document_id: str, request: Request, visitor: Actor) -> Response:
        """Every changed field at once (one save): each is checked; the good ones are kept,
        the bad ones reported. From the page's script the answer is JSON, else a redirect."""
        form = await request.form()
        doc = service.document(visitor.user, document_id, "view")
        changed: list[str] = []
        errors: dict[str, str] = {}
        for key, raw in form.multi_items():
            if not key.startswith("field:") or not isinstance(raw, str):
                continue
            name = key.removeprefix("field:")
            old = doc.fields.get(name)
            if not raw.strip() and old is None:
                continue
            if old is not None and unchanged(name, old.value, raw):
                continue
            try:
                doc = service.correct_field(visitor.user, document_id, name, raw)
                changed.append(name)
            except (InvalidCorrection, ActionError) as e:
                errors[name] = f"{FIELD_LABELS.get(name, name)} : {e}"
        wants_json = "application/json" in request.headers.get("accept", "")
        if wants_json:
            return JSONResponse(
                {"changed": changed, "errors": errors, "csrf_token": visitor.session.csrf_token}
            )
        for problem in errors.values():
            flash(visitor, "error", problem)
        if changed:
            labels = ", ".join(FIELD_LABELS.get(n, n) for n in changed)
            flash(visitor, "message", f"corrigé : {labels}")
        elif not errors:
            flash(visitor, "message", "aucun changement")
        return back_to_document(document_id, visitor, file=str(form.get("file") or ""))

    @app.post("/documents/{document_id}/fields/{name}")
    def correct(
        document_id: str,
        name: str,
        visitor: Actor,
        value: Annotated[str, Form()] = "",
        file: Annotated[str, Form()] = "",
    ) -> Response:
        label = FIELD_LABELS.get(name, name)
        try:
            service.correct_field(visitor.user, document_id, name, value)
        except (InvalidCorrection, ActionError) as e:
            return back_to_document(document_id, visitor, error=f"{label} : {e}", file=file)
        return back_to_document(document_id, visitor, message=f"{label} corrigé", file=file)

    @app.post("/documents/{document_id}/type")
    def change_type(
        document_id: str,
        visitor: Actor,
        doc_type: Annotated[str, Form()] = "",
        file: Annotated[str, Form()] = "",
    ) -> Response:
        try:
            service.change_type(visitor.user, document_id, doc_type)
        except ActionError as e:
            return back_to_document(document_id, visitor, error=str(e), file=file)
        return back_to_document(document_id, visitor, message="type modifié", file=file)

    @app.post("/documents/{document_id}/dossier")
    def choose_dossier(
        document_id: str,
        visitor: Actor,
        dossier_id: Annotated[str, Form()] = "",
        confirm: Annotated[str, Form()] = "",
        file: Annotated[str, Form()] = "",
    ) -> Response:
        try:
            service.choose_dossier(visitor.user, document_id, dossier_id, confirmed=confirm == "1")
        except NotFound:
            return back_to_document(
                document_id, visitor, error=f"dossier introuvable : {dossier_id}", file=file
            )
        except NeedsConfirmation as e:
            return back_to_document(
                document_id, visitor, error=str(e), file=file, confirm=e.dossier_id
            )
        except ActionError as e:
            return back_to_document(document_id, visitor, error=str(e), file=file)
        return back_to_document(
            document_id, visitor, message=f"dossier {dossier_id} choisi", file=file
        )

    @app.post("/documents/{document_id}/approve")
    def approve(
        document_id: str,
        visitor: Actor,
        reason: Annotated[str, Form()] = "",
        file: Annotated[str, Form()] = "",
    ) -> Response:
        filters = QueueFilters.from_query(dict(parse_qsl(file)))
        before = service.queue_ids(visitor.user, filters)
        try:
            entry = service.approve(visitor.user, document_id, reason=reason)
        except ActionError as e:
            return back_to_document(document_id, visitor, error=str(e), file=file)
        flash(
            visitor,
            "message",
            f"{document_id} classé en GED ({entry.ged_entry_id}, dossier {entry.dossier_id})",
        )
        return next_after(visitor, filters, before, document_id)

    @app.post("/documents/{document_id}/set-aside")
    def set_aside(
        document_id: str,
        visitor: Actor,
        note: Annotated[str, Form()] = "",
        file: Annotated[str, Form()] = "",
    ) -> Response:
        filters = QueueFilters.from_query(dict(parse_qsl(file)))
        before = service.queue_ids(visitor.user, filters)
        try:
            service.set_aside(visitor.user, document_id, note.strip())
        except ActionError as e:
            return back_to_document(document_id, visitor, error=str(e), file=file)
        flash(visitor, "message", f"{document_id} mis de côté")
        return next_after(visitor, filters, before, document_id)

    @app.post("/documents/{document_id}/take-back")
    def take_back(document_id: str, visitor: Actor, file: Annotated[str, Form()] = "") -> Response:
        service.take_back(visitor.user, document_id)
        return back_to_document(
            document_id, visitor, message="document repris dans la file", file=file
        )

    @app.get("/documents/{document_id}/request", response_class=HTMLResponse)
    def request_preview(request: Request, document_id: str, visitor: Viewer) -> Response:
        doc = service.document(visitor.user, document_id, "view")
        if doc.match is None or not doc.match.dossier_id:
            return back_to_document(document_id, visitor, error="choisissez d'abord le dossier")
        dossier, missing, rendered = service.preview_request(doc.match.dossier_id)
        return page(
            request,
            "request_preview.html",
            visitor,
            doc=doc,
            dossier=dossier,
            missing=[piece_label(t, dossier) for t in missing],
            rendered=rendered,
        )

    @app.post("/documents/{document_id}/request")
    def send_request(document_id: str, visitor: Actor) -> Response:
        doc = service.document(visitor.user, document_id, "request_pieces")
        if doc.match is None or not doc.match.dossier_id:
            return back_to_document(document_id, visitor, error="choisissez d'abord le dossier")
        try:
            req = service.send_request(visitor.user, doc.match.dossier_id, document_id)
        except ActionError as e:
            return back_to_document(document_id, visitor, error=str(e))
        return back_to_document(
            document_id, visitor, message=f"demande de pièces {req.request_id} envoyée"
        )

    @app.get("/documents/{document_id}/open-dossier", response_class=HTMLResponse)
    def open_dossier_form(request: Request, document_id: str, visitor: Viewer) -> Response:
        doc = service.document(visitor.user, document_id, "view")
        return page(
            request,
            "open_dossier.html",
            visitor,
            doc=doc,
            draft=service.dossier_draft(doc),
            event_types=EVENT_TYPES,
        )

    @app.post("/documents/{document_id}/open-dossier")
    def open_dossier(
        document_id: str,
        visitor: Actor,
        dossier_id: Annotated[str, Form()] = "",
        first_name: Annotated[str, Form()] = "",
        last_name: Annotated[str, Form()] = "",
        email: Annotated[str, Form()] = "",
        address: Annotated[str, Form()] = "",
        policy_number: Annotated[str, Form()] = "",
        event_type: Annotated[str, Form()] = "",
        event_date: Annotated[str, Form()] = "",
        vehicle_registration: Annotated[str, Form()] = "",
        required_documents: Annotated[list[str] | None, Form()] = None,
    ) -> Response:
        try:
            dossier = Dossier.model_validate(
                {
                    "dossier_id": dossier_id,
                    "opened_on": datetime.now(UTC).date(),
                    "event_date": event_date or None,
                    "event_type": event_type or None,
                    "policy_number": policy_number or None,
                    "beneficiary": {
                        "first_name": first_name,
                        "last_name": last_name,
                        "email": email or None,
                        "address": address or None,
                    },
                    "vehicle_registration": vehicle_registration or None,
                    "required_documents": tuple(required_documents or ()),
                }
            )
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(x) for x in err['loc'])} : {err['msg']}" for err in e.errors()
            )
            flash(visitor, "error", problems)
            return RedirectResponse(
                f"/documents/{quote(document_id)}/open-dossier", status_code=303
            )
        try:
            service.open_dossier(visitor.user, document_id, dossier)
        except ActionError as e:
            return back_to_document(document_id, visitor, error=str(e))
        return back_to_document(
            document_id,
            visitor,
            message=f"dossier {dossier.dossier_id} ouvert après coup et choisi",
        )

    # --- dossiers ------------------------------------------------------------------------

    @app.get("/dossiers", response_class=HTMLResponse)
    def dossiers(request: Request, visitor: Viewer, q: str = "") -> Response:
        found = service.search_dossiers(q) if q.strip() else registry.all(status="open")[:50]
        return page(request, "dossiers.html", visitor, q=q, found=found)

    @app.get("/dossiers/{dossier_id}", response_class=HTMLResponse)
    def dossier_page(request: Request, dossier_id: str, visitor: Viewer) -> Response:
        dossier = service.dossier(dossier_id)
        entries = service.ged_entries(dossier.dossier_id)
        medical_ok = may_see_medical(visitor.user)
        in_review = [
            d
            for d in service.dossier_documents(dossier.dossier_id)
            if medical_ok or not is_medical(d)
        ]
        return page(
            request,
            "dossier.html",
            visitor,
            dossier=dossier,
            entries=entries,
            medical_ok=medical_ok,
            missing=[(t, piece_label(t, dossier)) for t in service.missing_pieces(dossier)],
            requests=registry.requests(dossier.dossier_id),
            in_review=in_review,
        )

    # --- summary -------------------------------------------------------------------------

    def current_report() -> Any:
        return build_report(
            metadata.list_documents(),
            registry.ged_entries(),
            registry.requests(),
            generated_at=datetime.now(UTC),
        )

    chart_cache = _ChartCache()

    @app.get("/summary", response_class=HTMLResponse)
    def summary(request: Request, visitor: Viewer) -> Response:
        return page(request, "summary.html", visitor, report=current_report())

    @app.get("/summary/chart.png")
    def summary_chart(visitor: Viewer) -> Response:
        """The chart, drawn at most once a minute (matplotlib takes a second or so)."""
        now = time.monotonic()
        if chart_cache.png is None or now - chart_cache.at > CHART_TTL_S:
            with tempfile.TemporaryDirectory(prefix="mailroom-report-") as tmp:
                path = Path(tmp) / "report.png"
                report = current_report()
                report_png(  # the bars named in French, as on the page
                    dataclasses.replace(
                        report,
                        by_type={DOC_TYPE_LABELS.get(k, k): v for k, v in report.by_type.items()},
                        by_status={STATUS_LABELS.get(k, k): v for k, v in report.by_status.items()},
                    ),
                    path,
                )
                chart_cache.png, chart_cache.at = path.read_bytes(), now
        return Response(
            chart_cache.png,
            media_type="image/png",
            headers={"Cache-Control": f"private, max-age={CHART_TTL_S}"},
        )

    return app


def build_app(settings: Settings, review: ReviewSettings) -> FastAPI:
    """The application on the stores the settings name."""
    from storage import build_metadata_store, build_object_store
    from storage.dossiers import SqliteDossierRegistry

    app = create_app(
        settings,
        review,
        metadata=build_metadata_store(settings.storage),
        objects=build_object_store(settings.storage),
        registry=SqliteDossierRegistry(settings.storage.sqlite_path),
        store=ReviewStore(settings.storage.sqlite_path),
    )
    service: ReviewService = app.state.service
    threading.Thread(target=_warm_up, args=(service,), name="review-warm-up", daemon=True).start()
    return app


def _warm_up(service: ReviewService) -> None:
    """Read the documents in review once at start, so that the first queue page is quick."""
    try:
        count = len(service.in_review.in_review())
    except Exception as e:  # noqa: BLE001 - only a head start: the first page will read them
        log.warning("could not read the documents in review ahead: %s", e)
        return
    log.info("%d document(s) in review read ahead", count)
