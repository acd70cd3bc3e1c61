"""The file de travail: filters, sorting, paging, search, bulk actions."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mailroom.models import DocType
from review.errors import ActionError, NotFound, Refused
from review.listing import QueueFilters
from review.web import (
    Actor,
    Viewer,
    WebDep,
)

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def queue(
    w: WebDep, request: Request, visitor: Viewer, page_number: int = Query(1, alias="page")
) -> Response:
    filters = QueueFilters.from_query(request.query_params)
    result = w.service.queue(visitor.user, filters, page=page_number)
    return w.page(request, "queue.html", visitor, queue=result, filters=filters)


@router.post("/bulk")
async def bulk(w: WebDep, request: Request, visitor: Actor) -> Response:
    """Set aside, or file as ``other``, the documents ticked in the queue."""
    form = await request.form()
    action = str(form.get("action") or "")
    ids = [str(v) for v in form.getlist("document_id")]
    back = QueueFilters.from_query(dict(parse_qsl(str(form.get("file") or "")))).query()
    done, failed = 0, []
    for document_id in ids:
        try:
            if action == "set_aside":
                w.service.set_aside(visitor.user, document_id, str(form.get("note") or ""))
            elif action == "other":
                w.service.change_type(visitor.user, document_id, DocType.OTHER.value)
            else:
                w.flash(visitor, "error", "action groupée inconnue")
                break
            done += 1
        except (ActionError, NotFound, Refused) as e:
            failed.append(f"{document_id} : {e}")
    if done:
        what = "mis de côté" if action == "set_aside" else "passés en « Autre »"
        w.flash(visitor, "message", f"{done} document(s) {what}")
    for problem in failed:
        w.flash(visitor, "error", problem)
    return RedirectResponse(f"/?{back}" if back else "/", status_code=303)
