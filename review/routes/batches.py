"""A scan batch: its strip of pages with the documents found, and a new cut of it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from review.batch_view import ReviewBatches
from review.service import ActionError
from review.web import Actor, Viewer, WebDep

router = APIRouter()


def get_batches(request: Request) -> ReviewBatches:
    batches: ReviewBatches = request.app.state.batches
    return batches


BatchesDep = Annotated[ReviewBatches, Depends(get_batches)]


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(
    w: WebDep, batches: BatchesDep, request: Request, batch_id: str, visitor: Viewer
) -> Response:
    view = batches.view(visitor.user, batch_id)
    return w.page(request, "batch.html", visitor, view=view, title=f"Lot {batch_id}")


@router.get("/batches/{batch_id}/pages/{number}/thumb")
def thumbnail(batches: BatchesDep, batch_id: str, number: int, visitor: Viewer) -> Response:
    data = batches.thumbnail(visitor.user, batch_id, number)
    media_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return Response(data, media_type=media_type,
                    headers={"Cache-Control": "private, max-age=3600"})


@router.post("/batches/{batch_id}/cuts")
async def cut(
    w: WebDep, batches: BatchesDep, request: Request, batch_id: str, visitor: Actor
) -> Response:
    """The new cut: ``start`` once per page that begins a document (the first page of the
    batch always does)."""
    form = await request.form()
    starts: list[int] = []
    for value in form.getlist("start"):
        if isinstance(value, str) and value.strip().isdigit():
            starts.append(int(value))
    back = RedirectResponse(f"/batches/{quote(batch_id)}", status_code=303)
    try:
        done = batches.resplit(visitor.user, batch_id, starts)
    except ActionError as e:
        w.flash(visitor, "error", f"découpage refusé : {e}")
        return back
    if not done.changed:
        w.flash(visitor, "message", "découpage inchangé")
    else:
        w.flash(
            visitor,
            "message",
            f"lot redécoupé : {len(done.created)} nouveau(x) document(s) envoyé(s) en lecture, "
            f"{len(done.superseded)} remplacé(s), {len(done.kept)} inchangé(s)",
        )
    return back
