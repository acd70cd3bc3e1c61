"""The review web application (FastAPI, server-rendered Jinja2 pages, a little JavaScript).

:func:`create_app` takes the stores and settings and returns the ASGI application; nothing is
read from the environment here. The pages are routers by family (``review/routes/``: log-in,
queue, documents, dossiers, summary) sharing :class:`review.web.Web`. Every page but log-in
needs a session (else a redirect to ``/login``); every POST needs the session's CSRF token
(else 403). Medical certificates, and the containers holding one, are served only to the
``medical`` role, and every access to one is audited.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from mailroom.models import format_value
from mailroom.settings import Settings
from review.auth import Authenticator
from review.batch_view import ReviewBatches, batch_of
from review.errors import NotFound, Refused
from review.formats import FIELD_LABELS, display_value, field_hint, french_amount
from review.fraud_routes import router as fraud_router
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
from review.listing import QUEUE_SORTS, REASON_CATEGORIES, amount_of, doc_title, supplier_of
from review.routes import auth as auth_routes
from review.routes import batches, documents, dossiers, queue, summary
from review.service import ReviewService
from review.settings import ReviewSettings
from review.store import ReviewStore, open_review_store
from review.throttle import LoginThrottle, Policy
from review.web import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Actor,
    CsrfRefused,
    NotLoggedIn,
    Viewer,
    Visitor,
    Web,
    WebDep,
    confidence_class,
    csrf_checked_visitor,
    current_visitor,
)
from storage.base import MetadataStore, ObjectStore
from storage.corrections import CorrectionStore
from storage.dossiers import DossierRegistry

if TYPE_CHECKING:
    from mailroom.pipeline import Pipeline

__all__ = [  # what routers (here and in other modules) take from this module
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "Actor",
    "CsrfRefused",
    "NotLoggedIn",
    "Viewer",
    "Visitor",
    "WebDep",
    "build_app",
    "create_app",
    "current_visitor",
    "csrf_checked_visitor",
]

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent


def _templates() -> Jinja2Templates:
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
        batch_of=batch_of,
    )
    return templates


def create_app(
    settings: Settings,
    review: ReviewSettings,
    *,
    metadata: MetadataStore,
    objects: ObjectStore,
    registry: DossierRegistry,
    store: ReviewStore,
    rehash_passwords: bool = True,
    pipeline: Callable[[], Pipeline] | None = None,
    corrections: CorrectionStore | None = None,
) -> FastAPI:
    """``pipeline``: the pipeline a batch cut again is processed with (on these stores);
    without one, the batch page shows the cut but cannot change it."""
    secret = (
        review.session_secret.get_secret_value()
        if review.session_secret is not None
        else secrets.token_urlsafe(48)
    )
    if review.session_secret is None:
        log.warning("no MAILROOM_REVIEW__SESSION_SECRET: sessions end when the server restarts")
    auth = Authenticator(store, secret, max_age_s=review.session_max_age_s, rehash=rehash_passwords)
    service = ReviewService(
        settings,
        metadata=metadata,
        objects=objects,
        registry=registry,
        store=store,
        corrections=corrections,
    )
    throttle = _throttle(review)
    templates = _templates()
    app = FastAPI(title="mailroom — revue", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service = service
    app.state.batches = ReviewBatches(service, pipeline)
    app.state.auth = auth
    app.state.throttle = throttle
    app.state.web = Web(
        settings=settings,
        review=review,
        service=service,
        store=store,
        registry=registry,
        metadata=metadata,
        auth=auth,
        throttle=throttle,
        templates=templates,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    _install_handlers(app, templates)
    for routes in (auth_routes, queue, documents, dossiers, summary, batches):
        app.include_router(routes.router)
    app.include_router(fraud_router)  # review/fraud_routes.py: fraud evidence, IBAN confirmation
    return app


def _throttle(review: ReviewSettings) -> LoginThrottle:
    """Failed log-ins slowed down, then locked, per account and per client address."""
    return LoginThrottle(
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


def _install_handlers(app: FastAPI, templates: Jinja2Templates) -> None:
    """Security headers on every response; log-in, CSRF, refusal and not-found pages."""

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
        visitor: Visitor | None = getattr(request.state, "visitor", None)
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
        visitor: Visitor | None = getattr(request.state, "visitor", None)
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


def build_app(settings: Settings, review: ReviewSettings) -> FastAPI:
    """The application on the stores the settings name; the SQL ones (records, dossiers,
    corrections, the review tables) share one database engine."""
    from storage import (
        build_correction_store,
        build_dossier_registry,
        build_metadata_store,
        build_object_store,
        sql_database,
    )

    database = sql_database(settings.storage)
    metadata = build_metadata_store(settings.storage, database)
    objects = build_object_store(settings.storage)
    registry = build_dossier_registry(settings.storage, database)
    app = create_app(
        settings,
        review,
        metadata=metadata,
        objects=objects,
        registry=registry,
        store=open_review_store(settings.storage, database),
        pipeline=_pipeline_on(settings, metadata, objects, registry),
        corrections=build_correction_store(settings.storage, database),
    )
    service: ReviewService = app.state.service
    threading.Thread(target=_warm_up, args=(service,), name="review-warm-up", daemon=True).start()
    return app


def _pipeline_on(
    settings: Settings, metadata: MetadataStore, objects: ObjectStore, registry: DossierRegistry
) -> Callable[[], Pipeline]:
    """The pipeline on the application's own stores, built at its first use (a batch cut
    again) and kept: its classifier loads once, its OCR pool starts only if a value is read
    again."""
    built: list[Pipeline] = []
    lock = threading.Lock()

    def get() -> Pipeline:
        with lock:
            if not built:
                from mailroom.pipeline import build_pipeline

                built.append(
                    build_pipeline(settings, objects=objects, metadata=metadata, registry=registry)
                )
            return built[0]

    return get


def _warm_up(service: ReviewService) -> None:
    """Read the documents in review once at start, so that the first queue page is quick."""
    try:
        count = len(service.in_review.in_review())
    except Exception as e:  # noqa: BLE001 - only a head start: the first page will read them
        log.warning("could not read the documents in review ahead: %s", e)
        return
    log.info("%d document(s) in review read ahead", count)
