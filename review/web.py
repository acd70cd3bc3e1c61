"""What the review application's pages share: the visitor and its dependencies (a session, a
CSRF token), and :class:`Web`, the stores, settings and templates the routers reach through
``request.app.state.web`` (the :data:`WebDep` dependency), with the helpers every page uses
(render with the session's flash messages, keep a message, go back to a document).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from extract.corrected import InvalidCorrection, parse_correction
from mailroom.models import FieldValue
from mailroom.settings import Settings
from review.auth import Authenticator, tokens_equal
from review.formats import display_value
from review.page_images import image_media_type
from review.service import ReviewService
from review.settings import ReviewSettings
from review.store import FlashKind, ReviewStore, Session, User
from review.throttle import LoginThrottle
from storage.base import MetadataStore
from storage.dossiers import DossierRegistry

log = logging.getLogger(__name__)

SESSION_COOKIE = "mailroom_session"
LOGIN_COOKIE = "mailroom_login"  # the nonce the log-in form's token is bound to
CHART_TTL_S = 60
IMAGE_MAX_AGE_S = 86_400


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
    """The text of an input says the value the field already has (as shown, or otherwise).

    The text as shown counts even when it would not be accepted as a correction (a value read
    with markup in it): a field left alone is not a correction, and must not stop the others
    of the same save."""
    if " ".join(typed.split()) == " ".join(display_value(name, value).split()):
        return True
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


@dataclass
class ChartCache:
    png: bytes | None = None
    at: float = 0.0


@dataclass
class Web:
    """The application's stores, settings and templates, for the routers."""

    settings: Settings
    review: ReviewSettings
    service: ReviewService
    store: ReviewStore
    registry: DossierRegistry
    metadata: MetadataStore
    auth: Authenticator
    throttle: LoginThrottle
    templates: Jinja2Templates
    chart_cache: ChartCache = field(default_factory=ChartCache)

    def page(
        self, request: Request, name: str, visitor: Visitor | None, **context: Any
    ) -> Response:
        """A page, with the messages the server kept for this session (shown once)."""
        flashes = self.store.pop_flashes(visitor.session.session_id) if visitor else []
        return self.templates.TemplateResponse(
            request,
            name,
            {
                "visitor": visitor,
                "csrf_token": visitor.session.csrf_token if visitor else None,
                "flashes": flashes,
                **context,
            },
        )

    def flash(self, visitor: Visitor, kind: FlashKind, text: str) -> None:
        """A message for the next page: the only messages pages show (never a link's text)."""
        self.store.flash(visitor.session.session_id, kind, text)

    def back_to_document(
        self,
        document_id: str,
        visitor: Visitor,
        *,
        error: str | None = None,
        message: str | None = None,
        **params: str,
    ) -> RedirectResponse:
        if error:
            self.flash(visitor, "error", error)
        if message:
            self.flash(visitor, "message", message)
        params = {k: v for k, v in params.items() if v}
        query = f"?{urlencode(params)}" if params else ""
        return RedirectResponse(f"/documents/{quote(document_id)}{query}", status_code=303)


def get_web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


WebDep = Annotated[Web, Depends(get_web)]


def image_response(request: Request, data: bytes) -> Response:
    """A page image: kept by the browser (private: behind the log-in) for a day, under a
    validator so that a reload asks only whether it changed (304); ``Vary: Accept`` because
    the format follows what the browser takes (WebP or JPEG)."""
    etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
    headers = {
        "Cache-Control": f"private, max-age={IMAGE_MAX_AGE_S}",
        "ETag": etag,
        "Vary": "Accept",
    }
    if etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=image_media_type(data), headers=headers)
