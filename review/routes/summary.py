"""The tableau de synthèse and its chart."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from review.labels import DOC_TYPE_LABELS, STATUS_LABELS
from review.web import (
    CHART_TTL_S,
    Viewer,
    Web,
    WebDep,
)
from validate.report import build_report, report_png

router = APIRouter()


def current_report(
    w: Web,
) -> Any:
    return build_report(
        w.metadata.list_documents(),
        w.registry.ged_entries(),
        w.registry.requests(),
        generated_at=datetime.now(UTC),
    )


@router.get("/summary", response_class=HTMLResponse)
def summary(w: WebDep, request: Request, visitor: Viewer) -> Response:
    return w.page(
        request,
        "summary.html",
        visitor,
        report=current_report(
            w,
        ),
    )


@router.get("/summary/chart.png")
def summary_chart(w: WebDep, visitor: Viewer) -> Response:
    """The chart, drawn at most once a minute (matplotlib takes a second or so)."""
    now = time.monotonic()
    if w.chart_cache.png is None or now - w.chart_cache.at > CHART_TTL_S:
        with tempfile.TemporaryDirectory(prefix="mailroom-report-") as tmp:
            path = Path(tmp) / "report.png"
            report = current_report(
                w,
            )
            report_png(  # the bars named in French, as on the page
                dataclasses.replace(
                    report,
                    by_type={DOC_TYPE_LABELS.get(k, k): v for k, v in report.by_type.items()},
                    by_status={STATUS_LABELS.get(k, k): v for k, v in report.by_status.items()},
                ),
                path,
            )
            w.chart_cache.png, w.chart_cache.at = path.read_bytes(), now
    return Response(
        w.chart_cache.png,
        media_type="image/png",
        headers={"Cache-Control": f"private, max-age={CHART_TTL_S}"},
    )
