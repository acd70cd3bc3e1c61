"""The review application's fraud pages: the evidence of a document's ``fraud.*`` checks side
by side, and the confirmation of a supplier's new IBAN.

``GET /documents/{id}/fraud`` shows, for each signal, both documents' pages (same content),
the two revisions' texts with the words that changed (edited PDF), or the known and the new
IBAN (IBAN changed). ``POST /documents/{id}/fraud/confirm-iban`` records that a person
confirmed the new IBAN (by a channel they trust): the supplier's IBAN becomes known, the
document's ``fraud.iban_changed`` check becomes a ``pass`` naming who and when, and the
review audit trail keeps the action with the values before and after. Registered in
:func:`review.app.create_app` with ``include_router``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mailroom.models import Document, Status
from review.errors import ActionError
from review.service import ReviewService
from storage.fraud import Evidence, FraudStore
from validate.fraud import IBAN_CHANGED, confirmed_check

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
router = APIRouter()
templates = Jinja2Templates(directory=HERE / "templates")


def _visitor(request: Request) -> Any:
    from review.app import current_visitor

    return current_visitor(request)


async def _actor(request: Request) -> Any:
    from review.app import csrf_checked_visitor

    return await csrf_checked_visitor(request)


def fraud_store(request: Request) -> FraudStore:
    """The fraud index beside the application's stores, opened once on first use."""
    state = request.app.state
    store: FraudStore | None = getattr(state, "fraud_store", None)
    if store is None:
        from storage import build_fraud_store

        service: ReviewService = state.service
        store = build_fraud_store(service.settings.storage)
        state.fraud_store = store
    return store


def _page_numbers(doc: Document) -> list[int]:
    return [p.number for p in doc.pages if p.image_key]


def evidence_view(
    service: ReviewService, user: Any, doc: Document, evidence: list[Evidence]
) -> list[dict[str, Any]]:
    """What the template shows for each piece of evidence (the other document only when this
    user may see it)."""
    views: list[dict[str, Any]] = []
    for e in evidence:
        other: Document | None = None
        if e.other_document_id:
            try:
                other = service.document(user, e.other_document_id, "view")
            except Exception as exc:  # noqa: BLE001 - refused or gone: shown as such
                log.info("fraud evidence: %s not shown (%s)", e.other_document_id, exc)
        check = next((c for c in doc.checks if c.code == e.code), None)
        views.append(
            {
                "evidence": e,
                "check": check,
                "other": other,
                "my_pages": _page_numbers(doc),
                "other_pages": _page_numbers(other) if other is not None else [],
            }
        )
    return views


Viewer = Annotated[Any, Depends(_visitor)]
Actor = Annotated[Any, Depends(_actor)]


@router.get("/documents/{document_id}/fraud", response_class=HTMLResponse)
def fraud_evidence(request: Request, document_id: str, visitor: Viewer) -> Response:
    service: ReviewService = request.app.state.service
    doc = service.document(visitor.user, document_id, "view")
    views = evidence_view(service, visitor.user, doc, fraud_store(request).evidence(document_id))
    return templates.TemplateResponse(
        request,
        "fraud.html",
        {
            "visitor": visitor,
            "csrf_token": visitor.session.csrf_token,
            "doc": doc,
            "views": views,
            "editable": doc.status is Status.NEEDS_REVIEW,
            "message": request.query_params.get("message"),
            "error": request.query_params.get("error"),
        },
    )


@router.post("/documents/{document_id}/fraud/confirm-iban")
def confirm_iban(request: Request, document_id: str, visitor: Actor) -> Response:
    service: ReviewService = request.app.state.service
    store = fraud_store(request)
    try:
        doc = service.document(visitor.user, document_id, "confirm_iban")
        if doc.status is not Status.NEEDS_REVIEW:
            raise ActionError(f"le document n'est plus à revoir (statut : {doc.status.value})")
        check = next((c for c in doc.checks if c.code == IBAN_CHANGED and c.status == "fail"), None)
        proof = next((e for e in store.evidence(document_id) if e.code == IBAN_CHANGED), None)
        if check is None or proof is None:
            raise ActionError("aucun changement d'IBAN à confirmer sur ce document")
    except ActionError as e:
        return _back(document_id, error=str(e))
    supplier, iban = str(proof.detail["supplier"]), str(proof.detail["iban"])
    now = datetime.now(UTC)
    store.confirm_iban(supplier, iban, visitor.user.username, now)
    before = {"check": check.model_dump(mode="json"), "known": proof.detail.get("known")}
    doc.checks = [
        confirmed_check(c, visitor.user.username, now) if c is check else c for c in doc.checks
    ]
    service.metadata.save(doc)
    service.store.audit(
        visitor.user.username,
        "confirm_iban",
        document_id=document_id,
        dossier_id=doc.match.dossier_id if doc.match else None,
        before=before,
        after={"supplier": supplier, "iban": iban, "state": "confirmed"},
        detail=f"nouvel IBAN {iban} confirmé pour {supplier}",
    )
    log.info("IBAN confirmed for %s by %s", supplier, visitor.user.username)
    return _back(document_id, message="nouvel IBAN confirmé")


def _back(document_id: str, **params: str) -> RedirectResponse:
    return RedirectResponse(
        f"/documents/{quote(document_id)}/fraud?{urlencode(params)}", status_code=303
    )
