"""The review web application (FastAPI, server-rendered Jinja2 pages, a little JavaScript).

:func:`create_app` takes the stores and settings and returns the ASGI application; nothing is
read from the environment here. Every page but log-in needs a session (else a redirect to
``/login``); every POST needs the session's CSRF token (else 403). Medical certificates are
served only to the ``medical`` role, and every access to one is audited.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from extract.fields.base import FIELDS_BY_TYPE
from mailroom.models import DocType, Document, format_value
from mailroom.settings import Settings
from review.auth import Authenticator, tokens_equal
from review.formats import FIELD_LABELS, InvalidCorrection, field_hint
from review.fraud_routes import router as fraud_router
from review.service import (
    REASON_CATEGORIES,
    ActionError,
    NotFound,
    QueueFilters,
    Refused,
    ReviewService,
    is_medical,
    may_see_medical,
)
from review.settings import ReviewSettings
from review.store import ReviewStore, Session, User
from storage.base import MetadataStore, ObjectStore
from storage.dossiers import DossierRegistry
from validate.completeness import piece_label
from validate.dossiers import Dossier
from validate.report import build_report, report_png

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "mailroom_session"
DOC_TYPE_LABELS: dict[str, str] = {
    "invoice": "Facture",
    "receipt": "Ticket / reçu",
    "medical_certificate": "Certificat médical",
    "bank_details": "RIB",
    "claim_letter": "Courrier / demande",
    "other": "Autre",
}
EVENT_TYPES: dict[str, str] = {
    "vehicle_breakdown": "panne",
    "accident": "accident",
    "medical": "médical",
    "travel": "voyage",
    "home": "habitation",
}
ACTION_LABELS: dict[str, str] = {
    "open_dossier": "ouverture de dossier après coup",
    "view": "consultation",
    "image": "image de page",
    "download": "téléchargement",
    "api": "API",
    "list": "liste",
    "correct_field": "correction",
    "change_type": "changement de type",
    "choose_dossier": "choix du dossier",
    "approve": "validation (GED)",
    "set_aside": "mis de côté",
    "take_back": "repris",
    "request_pieces": "demande de pièces",
}


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
        confidence_class=confidence_class,
        format_value=format_value,
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
        return templates.TemplateResponse(
            request,
            name,
            {
                "visitor": visitor,
                "csrf_token": visitor.session.csrf_token if visitor else None,
                **context,
            },
        )

    def back_to_document(document_id: str, **params: str) -> RedirectResponse:
        query = f"?{urlencode(params)}" if params else ""
        return RedirectResponse(f"/documents/{quote(document_id)}{query}", status_code=303)

    # --- log-in --------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> Response:
        return page(request, "login.html", None, login_token=auth.login_token(), next=next)

    @app.post("/login")
    def login(
        request: Request,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        login_token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        if not auth.login_token_ok(login_token):
            raise CsrfRefused()
        user = auth.authenticate(username.strip(), password)
        if user is None:
            log.info("failed log-in for %r", username)
            return templates.TemplateResponse(
                request,
                "login.html",
                {
                    "visitor": None,
                    "login_token": auth.login_token(),
                    "next": next,
                    "error": "Identifiant ou mot de passe incorrect.",
                    "username": username,
                },
                status_code=401,
            )
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
        request: Request,
        visitor: Viewer,
        reason: str | None = None,
        doc_type: str | None = None,
        channel: str | None = None,
        dossier: str | None = None,
        aside: int = 0,
    ) -> Response:
        filters = QueueFilters(
            reason=reason or None,
            doc_type=doc_type or None,
            channel=channel or None,
            dossier=dossier or None,
            set_aside=bool(aside),
        )
        result = service.queue(visitor.user, filters)
        return page(request, "queue.html", visitor, queue=result, filters=filters)

    # --- documents -----------------------------------------------------------------------

    def document_context(doc: Document, visitor: Visitor) -> dict[str, Any]:
        names = list(FIELDS_BY_TYPE.get(doc.doc_type, ())) if doc.doc_type else []
        names += [n for n in doc.fields if n not in names]
        dossier_id = doc.match.dossier_id if doc.match else None
        dossier = registry.get(dossier_id) if dossier_id else None
        return {
            "doc": doc,
            "field_names": names,
            "dossier": dossier,
            "candidates": [
                (c, registry.get(c.dossier_id)) for c in (doc.match.candidates if doc.match else ())
            ],
            "audit": store.audit_events(document_id=doc.document_id),
            "doc_types": [t.value for t in DocType if t is not DocType.MEDICAL_CERTIFICATE]
            + (["medical_certificate"] if may_see_medical(visitor.user) else []),
            "editable": doc.status.value == "needs_review",
            "set_aside": doc.document_id in store.set_aside_ids(),
        }

    @app.get("/documents/{document_id}", response_class=HTMLResponse)
    def document_page(
        request: Request,
        document_id: str,
        visitor: Viewer,
        error: str | None = None,
        q: str | None = None,
        message: str | None = None,
    ) -> Response:
        doc = service.document(visitor.user, document_id, "view")
        context = document_context(doc, visitor)
        found = service.search_dossiers(q) if q else []
        return page(
            request,
            "document.html",
            visitor,
            error=error,
            message=message,
            q=q or "",
            found=found,
            **context,
        )

    @app.get("/documents/{document_id}/pages/{number}.png")
    def page_image(document_id: str, number: int, visitor: Viewer) -> Response:
        data = service.page_image(visitor.user, document_id, number)
        return Response(
            data, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
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

    @app.get("/api/documents/{document_id}")
    def document_api(document_id: str, visitor: Viewer) -> JSONResponse:
        doc = service.document(visitor.user, document_id, "api")
        return JSONResponse(doc.to_record())

    @app.post("/documents/{document_id}/fields/{name}")
    def correct(
        document_id: str,
        name: str,
        visitor: Actor,
        value: Annotated[str, Form()] = "",
    ) -> Response:
        try:
            service.correct_field(visitor.user, document_id, name, value)
        except (InvalidCorrection, ActionError) as e:
            return back_to_document(document_id, error=f"{FIELD_LABELS.get(name, name)} : {e}")
        return back_to_document(document_id, message=f"{FIELD_LABELS.get(name, name)} corrigé")

    @app.post("/documents/{document_id}/type")
    def change_type(
        document_id: str, visitor: Actor, doc_type: Annotated[str, Form()] = ""
    ) -> Response:
        try:
            service.change_type(visitor.user, document_id, doc_type)
        except ActionError as e:
            return back_to_document(document_id, error=str(e))
        return back_to_document(document_id, message="type modifié")

    @app.post("/documents/{document_id}/dossier")
    def choose_dossier(
        document_id: str, visitor: Actor, dossier_id: Annotated[str, Form()] = ""
    ) -> Response:
        try:
            service.choose_dossier(visitor.user, document_id, dossier_id)
        except NotFound:
            return back_to_document(document_id, error=f"dossier introuvable : {dossier_id}")
        except ActionError as e:
            return back_to_document(document_id, error=str(e))
        return back_to_document(document_id, message=f"dossier {dossier_id} choisi")

    @app.post("/documents/{document_id}/approve")
    def approve(document_id: str, visitor: Actor) -> Response:
        try:
            entry = service.approve(visitor.user, document_id)
        except ActionError as e:
            return back_to_document(document_id, error=str(e))
        return RedirectResponse(
            f"/dossiers/{quote(entry.dossier_id)}?filed={quote(entry.ged_entry_id)}",
            status_code=303,
        )

    @app.post("/documents/{document_id}/set-aside")
    def set_aside(document_id: str, visitor: Actor, note: Annotated[str, Form()] = "") -> Response:
        try:
            service.set_aside(visitor.user, document_id, note.strip())
        except ActionError as e:
            return back_to_document(document_id, error=str(e))
        return RedirectResponse("/", status_code=303)

    @app.post("/documents/{document_id}/take-back")
    def take_back(document_id: str, visitor: Actor) -> Response:
        service.take_back(visitor.user, document_id)
        return back_to_document(document_id, message="document repris dans la file")

    @app.get("/documents/{document_id}/request", response_class=HTMLResponse)
    def request_preview(request: Request, document_id: str, visitor: Viewer) -> Response:
        doc = service.document(visitor.user, document_id, "view")
        if doc.match is None or not doc.match.dossier_id:
            return back_to_document(document_id, error="choisissez d'abord le dossier")
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
            return back_to_document(document_id, error="choisissez d'abord le dossier")
        try:
            req = service.send_request(visitor.user, doc.match.dossier_id, document_id)
        except ActionError as e:
            return back_to_document(document_id, error=str(e))
        return back_to_document(document_id, message=f"demande de pièces {req.request_id} envoyée")

    @app.get("/documents/{document_id}/open-dossier", response_class=HTMLResponse)
    def open_dossier_form(
        request: Request, document_id: str, visitor: Viewer, error: str | None = None
    ) -> Response:
        doc = service.document(visitor.user, document_id, "view")
        return page(
            request,
            "open_dossier.html",
            visitor,
            doc=doc,
            draft=service.dossier_draft(doc),
            error=error,
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
            return RedirectResponse(
                f"/documents/{quote(document_id)}/open-dossier?{urlencode({'error': problems})}",
                status_code=303,
            )
        try:
            service.open_dossier(visitor.user, document_id, dossier)
        except ActionError as e:
            return back_to_document(document_id, error=str(e))
        return back_to_document(
            document_id, message=f"dossier {dossier.dossier_id} ouvert après coup et choisi"
        )

    # --- dossiers ------------------------------------------------------------------------

    @app.get("/dossiers", response_class=HTMLResponse)
    def dossiers(request: Request, visitor: Viewer, q: str = "") -> Response:
        found = service.search_dossiers(q) if q.strip() else registry.all(status="open")[:50]
        return page(request, "dossiers.html", visitor, q=q, found=found)

    @app.get("/dossiers/{dossier_id}", response_class=HTMLResponse)
    def dossier_page(
        request: Request, dossier_id: str, visitor: Viewer, filed: str | None = None
    ) -> Response:
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
            filed=filed,
        )

    # --- summary -------------------------------------------------------------------------

    def current_report() -> Any:
        return build_report(
            metadata.list_documents(),
            registry.ged_entries(),
            registry.requests(),
            generated_at=datetime.now(UTC),
        )

    @app.get("/summary", response_class=HTMLResponse)
    def summary(request: Request, visitor: Viewer) -> Response:
        return page(request, "summary.html", visitor, report=current_report())

    @app.get("/summary/chart.png")
    def summary_chart(visitor: Viewer) -> Response:
        with tempfile.TemporaryDirectory(prefix="mailroom-report-") as tmp:
            path = Path(tmp) / "report.png"
            report_png(current_report(), path)
            return Response(path.read_bytes(), media_type="image/png")

    app.include_router(fraud_router)  # review/fraud_routes.py: fraud evidence, IBAN confirmation
    return app


def build_app(settings: Settings, review: ReviewSettings) -> FastAPI:
    """The application on the stores the settings name."""
    from storage import build_metadata_store, build_object_store
    from storage.dossiers import SqliteDossierRegistry

    return create_app(
        settings,
        review,
        metadata=build_metadata_store(settings.storage),
        objects=build_object_store(settings.storage),
        registry=SqliteDossierRegistry(settings.storage.sqlite_path),
        store=ReviewStore(settings.storage.sqlite_path),
    )
