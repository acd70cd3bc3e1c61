"""Dossiers: search, and a dossier's pieces, requests, missions and GED entries."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from review.access import is_medical, may_see_medical
from review.web import (
    Viewer,
    WebDep,
)
from validate.completeness import piece_label

router = APIRouter()


@router.get("/dossiers", response_class=HTMLResponse)
def dossiers(w: WebDep, request: Request, visitor: Viewer, q: str = "") -> Response:
    found = w.service.search_dossiers(q) if q.strip() else w.registry.all(status="open")[:50]
    return w.page(request, "dossiers.html", visitor, q=q, found=found)


@router.get("/dossiers/{dossier_id}", response_class=HTMLResponse)
def dossier_page(w: WebDep, request: Request, dossier_id: str, visitor: Viewer) -> Response:
    dossier = w.service.dossier(dossier_id)
    entries = w.service.ged_entries(dossier.dossier_id)
    medical_ok = may_see_medical(visitor.user)
    in_review = [
        d
        for d in w.service.dossier_documents(dossier.dossier_id)
        if medical_ok or not is_medical(d)
    ]
    return w.page(
        request,
        "dossier.html",
        visitor,
        dossier=dossier,
        entries=entries,
        medical_ok=medical_ok,
        missing=[(t, piece_label(t, dossier)) for t in w.service.missing_pieces(dossier)],
        requests=w.registry.requests(dossier.dossier_id),
        in_review=in_review,
    )
