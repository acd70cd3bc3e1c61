"""A document: its pages, fields, type, dossier, checks, decision, requests, history."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from extract.corrected import InvalidCorrection
from extract.fields.base import FIELDS_BY_TYPE
from mailroom.models import BBox, DocType, Document
from mailroom.records import Dossier
from review.access import may_see_medical
from review.errors import ActionError, NeedsConfirmation, NotFound
from review.formats import FIELD_LABELS
from review.labels import EVENT_TYPES
from review.listing import QueueFilters, doc_title
from review.web import (
    Actor,
    Viewer,
    Visitor,
    Web,
    WebDep,
    image_response,
    unchanged,
)
from validate.completeness import piece_label

router = APIRouter()


def neighbours(w: Web, visitor: Visitor, filters: QueueFilters, document_id: str) -> dict[str, Any]:
    ids = w.service.queue_ids(visitor.user, filters)
    if document_id not in ids:
        return {"previous_id": None, "next_id": ids[0] if ids else None, "position": None}
    i = ids.index(document_id)
    return {
        "previous_id": ids[i - 1] if i > 0 else None,
        "next_id": ids[i + 1] if i + 1 < len(ids) else None,
        "position": (i + 1, len(ids)),
    }


def next_after(
    w: Web, visitor: Visitor, filters: QueueFilters, before: list[str], document_id: str
) -> Response:
    """The next document of the queue (its order and filters) once ``document_id`` has
    left it, else the queue itself."""
    now = set(w.service.queue_ids(visitor.user, filters))
    rest = before[before.index(document_id) + 1 :] if document_id in before else before
    target = next((i for i in rest if i in now), None)
    if target is None:
        target = next((i for i in before if i in now), None)
    query = filters.query()
    if target is None:
        w.flash(visitor, "message", "File de travail terminée pour ces filtres.")
        return RedirectResponse(f"/?{query}" if query else "/", status_code=303)
    suffix = f"?{urlencode({'file': query})}" if query else ""
    return RedirectResponse(f"/documents/{quote(target)}{suffix}", status_code=303)


def document_context(w: Web, doc: Document, visitor: Visitor) -> dict[str, Any]:
    names = list(FIELDS_BY_TYPE.get(doc.doc_type, ())) if doc.doc_type else []
    names += [n for n in doc.fields if n not in names]
    dossier_id = doc.match.dossier_id if doc.match else None
    dossier = w.registry.get(dossier_id) if dossier_id else None
    notes = w.store.set_aside_notes()
    doubtful = [n for n in names if n not in doc.fields or doc.fields[n].confidence < 0.9]
    return {
        "doc": doc,
        "title": doc_title(doc),
        "field_names": names,
        "doubtful": doubtful,
        "dossier": dossier,
        "candidates": [
            (c, w.registry.get(c.dossier_id)) for c in (doc.match.candidates if doc.match else ())
        ],
        "threshold": w.settings.dossiers.match_threshold,
        "audit": w.store.audit_events(document_id=doc.document_id),
        "doc_types": [t.value for t in DocType if t is not DocType.MEDICAL_CERTIFICATE]
        + (["medical_certificate"] if may_see_medical(visitor.user) else []),
        "editable": doc.status.value == "needs_review",
        "set_aside": doc.document_id in notes,
        "set_aside_note": notes.get(doc.document_id),
        "failing": [c for c in doc.checks if c.status == "fail"],
    }


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(
    w: WebDep,
    request: Request,
    document_id: str,
    visitor: Viewer,
    q: str | None = None,
    file: str = "",
    confirm: str | None = None,
) -> Response:
    doc = w.service.document(visitor.user, document_id, "view")
    context = document_context(w, doc, visitor)
    found = w.service.search_dossiers(q) if q else []
    filters = QueueFilters.from_query(dict(parse_qsl(file)))
    return w.page(
        request,
        "document.html",
        visitor,
        q=q or "",
        found=found,
        file=filters.query(),
        confirm=confirm,
        **neighbours(w, visitor, filters, document_id),
        **context,
    )


@router.get("/documents/{document_id}/pages/{number}.png")
def page_image(w: WebDep, document_id: str, number: int, visitor: Viewer) -> Response:
    data = w.service.page_image(visitor.user, document_id, number)
    return Response(
        data, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.get("/documents/{document_id}/pages/{number}/screen")
def page_view(
    w: WebDep, request: Request, document_id: str, number: int, visitor: Viewer
) -> Response:
    """The page for the screen (WebP if the browser says it takes it, else JPEG; at most
    1600 pixels wide, 300 KB), made once."""
    webp = "image/webp" in request.headers.get("accept", "")
    data = w.service.page_view(visitor.user, document_id, number, webp=webp)
    return image_response(request, data)


@router.get("/documents/{document_id}/original")
def original(w: WebDep, document_id: str, visitor: Viewer) -> Response:
    doc, data = w.service.original(visitor.user, document_id)
    name = (doc.source.filename or doc.document_id).replace('"', "")
    return Response(
        data,
        media_type=doc.media_type or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{quote(name)}"'},
    )


@router.get("/documents/{document_id}/searchable.pdf")
def searchable_pdf(w: WebDep, document_id: str, visitor: Viewer) -> Response:
    """The searchable PDF copy the GED entry of a filed document points at."""
    doc, data = w.service.searchable_copy(visitor.user, document_id)
    name = f"{(doc.source.filename or doc.document_id).rsplit('.', 1)[0]}-ged.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{quote(name)}"'},
    )


@router.get("/api/documents/{document_id}")
def document_api(w: WebDep, document_id: str, visitor: Viewer) -> JSONResponse:
    doc = w.service.document(visitor.user, document_id, "api")
    return JSONResponse(doc.to_record())


@router.post("/documents/{document_id}/fields")
async def correct_all(w: WebDep, document_id: str, request: Request, visitor: Actor) -> Response:
    """Every changed field at once (one save): each is checked; the good ones are kept,
    the bad ones reported. From the page's script the answer is JSON, else a redirect."""
    form = await request.form()
    doc = w.service.document(visitor.user, document_id, "view")
    changed: list[str] = []
    errors: dict[str, str] = {}
    drawn = _drawn_boxes(form.multi_items(), errors)
    for key, raw in form.multi_items():
        if not key.startswith("field:") or not isinstance(raw, str):
            continue
        name = key.removeprefix("field:")
        old = doc.fields.get(name)
        if not raw.strip() and old is None:
            continue
        if old is not None and unchanged(name, old.value, raw) and name not in drawn:
            continue
        try:
            doc = w.service.correct_field(visitor.user, document_id, name, raw, drawn.get(name))
            changed.append(name)
        except (InvalidCorrection, ActionError) as e:
            errors[name] = f"{FIELD_LABELS.get(name, name)} : {e}"
    wants_json = "application/json" in request.headers.get("accept", "")
    if wants_json:
        return JSONResponse(
            {"changed": changed, "errors": errors, "csrf_token": visitor.session.csrf_token}
        )
    for problem in errors.values():
        w.flash(visitor, "error", problem)
    if changed:
        labels = ", ".join(FIELD_LABELS.get(n, n) for n in changed)
        w.flash(visitor, "message", f"corrigé : {labels}")
    elif not errors:
        w.flash(visitor, "message", "aucun changement")
    return w.back_to_document(document_id, visitor, file=str(form.get("file") or ""))


def _drawn_boxes(
    items: Iterable[tuple[str, Any]], errors: dict[str, str]
) -> dict[str, tuple[int, BBox]]:
    """The boxes drawn on the page (``box:NAME`` = ``page,x0,y0,x1,y1`` in page points, set
    by the page's script); a malformed one is an error of its field."""
    out: dict[str, tuple[int, BBox]] = {}
    for key, raw in items:
        if not key.startswith("box:") or not isinstance(raw, str) or not raw.strip():
            continue
        name = key.removeprefix("box:")
        try:
            number, *corners = raw.split(",")
            x0, y0, x1, y1 = (float(c) for c in corners)
            out[name] = (int(number), BBox(x0=x0, y0=y0, x1=x1, y1=y1))
        except ValueError:
            errors[name] = f"{FIELD_LABELS.get(name, name)} : cadre dessiné illisible"
    return out


@router.post("/documents/{document_id}/fields/{name}")
def correct(
    w: WebDep,
    document_id: str,
    name: str,
    visitor: Actor,
    value: Annotated[str, Form()] = "",
    file: Annotated[str, Form()] = "",
) -> Response:
    label = FIELD_LABELS.get(name, name)
    try:
        w.service.correct_field(visitor.user, document_id, name, value)
    except (InvalidCorrection, ActionError) as e:
        return w.back_to_document(document_id, visitor, error=f"{label} : {e}", file=file)
    return w.back_to_document(document_id, visitor, message=f"{label} corrigé", file=file)


@router.post("/documents/{document_id}/type")
def change_type(
    w: WebDep,
    document_id: str,
    visitor: Actor,
    doc_type: Annotated[str, Form()] = "",
    file: Annotated[str, Form()] = "",
) -> Response:
    try:
        w.service.change_type(visitor.user, document_id, doc_type)
    except ActionError as e:
        return w.back_to_document(document_id, visitor, error=str(e), file=file)
    return w.back_to_document(document_id, visitor, message="type modifié", file=file)


@router.post("/documents/{document_id}/dossier")
def choose_dossier(
    w: WebDep,
    document_id: str,
    visitor: Actor,
    dossier_id: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
    file: Annotated[str, Form()] = "",
) -> Response:
    try:
        w.service.choose_dossier(visitor.user, document_id, dossier_id, confirmed=confirm == "1")
    except NotFound:
        return w.back_to_document(
            document_id, visitor, error=f"dossier introuvable : {dossier_id}", file=file
        )
    except NeedsConfirmation as e:
        return w.back_to_document(
            document_id, visitor, error=str(e), file=file, confirm=e.dossier_id
        )
    except ActionError as e:
        return w.back_to_document(document_id, visitor, error=str(e), file=file)
    return w.back_to_document(
        document_id, visitor, message=f"dossier {dossier_id} choisi", file=file
    )


@router.post("/documents/{document_id}/approve")
def approve(
    w: WebDep,
    document_id: str,
    visitor: Actor,
    reason: Annotated[str, Form()] = "",
    file: Annotated[str, Form()] = "",
) -> Response:
    def act() -> str:
        entry = w.service.approve(visitor.user, document_id, reason=reason)
        return f"{document_id} classé en GED ({entry.ged_entry_id}, dossier {entry.dossier_id})"

    return _decide(w, visitor, document_id, file, act)


@router.post("/documents/{document_id}/set-aside")
def set_aside(
    w: WebDep,
    document_id: str,
    visitor: Actor,
    note: Annotated[str, Form()] = "",
    file: Annotated[str, Form()] = "",
) -> Response:
    def act() -> str:
        w.service.set_aside(visitor.user, document_id, note.strip())
        return f"{document_id} mis de côté"

    return _decide(w, visitor, document_id, file, act)


def _decide(
    w: Web, visitor: Visitor, document_id: str, file: str, act: Callable[[], str]
) -> Response:
    """A decision on a document (``act`` returns what to say), then the next document of the
    queue in the order and filters it was opened from; an ``ActionError`` stays on the page."""
    filters = QueueFilters.from_query(dict(parse_qsl(file)))
    before = w.service.queue_ids(visitor.user, filters)
    try:
        message = act()
    except ActionError as e:
        return w.back_to_document(document_id, visitor, error=str(e), file=file)
    w.flash(visitor, "message", message)
    return next_after(w, visitor, filters, before, document_id)


@router.post("/documents/{document_id}/take-back")
def take_back(
    w: WebDep, document_id: str, visitor: Actor, file: Annotated[str, Form()] = ""
) -> Response:
    w.service.take_back(visitor.user, document_id)
    return w.back_to_document(
        document_id, visitor, message="document repris dans la file", file=file
    )


@router.get("/documents/{document_id}/request", response_class=HTMLResponse)
def request_preview(w: WebDep, request: Request, document_id: str, visitor: Viewer) -> Response:
    doc = w.service.document(visitor.user, document_id, "view")
    if doc.match is None or not doc.match.dossier_id:
        return w.back_to_document(document_id, visitor, error="choisissez d'abord le dossier")
    dossier, missing, rendered = w.service.preview_request(doc.match.dossier_id)
    return w.page(
        request,
        "request_preview.html",
        visitor,
        doc=doc,
        dossier=dossier,
        missing=[piece_label(t, dossier) for t in missing],
        rendered=rendered,
    )


@router.post("/documents/{document_id}/request")
def send_request(w: WebDep, document_id: str, visitor: Actor) -> Response:
    doc = w.service.document(visitor.user, document_id, "request_pieces")
    if doc.match is None or not doc.match.dossier_id:
        return w.back_to_document(document_id, visitor, error="choisissez d'abord le dossier")
    try:
        req = w.service.send_request(visitor.user, doc.match.dossier_id, document_id)
    except ActionError as e:
        return w.back_to_document(document_id, visitor, error=str(e))
    return w.back_to_document(
        document_id, visitor, message=f"demande de pièces {req.request_id} envoyée"
    )


@router.get("/documents/{document_id}/open-dossier", response_class=HTMLResponse)
def open_dossier_form(w: WebDep, request: Request, document_id: str, visitor: Viewer) -> Response:
    doc = w.service.document(visitor.user, document_id, "view")
    return w.page(
        request,
        "open_dossier.html",
        visitor,
        doc=doc,
        draft=w.service.dossier_draft(doc),
        event_types=EVENT_TYPES,
    )


@router.post("/documents/{document_id}/open-dossier")
def open_dossier(
    w: WebDep,
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
        w.flash(visitor, "error", problems)
        return RedirectResponse(f"/documents/{quote(document_id)}/open-dossier", status_code=303)
    try:
        w.service.open_dossier(visitor.user, document_id, dossier)
    except ActionError as e:
        return w.back_to_document(document_id, visitor, error=str(e))
    return w.back_to_document(
        document_id,
        visitor,
        message=f"dossier {dossier.dossier_id} ouvert après coup et choisi",
    )
