"""The activity summary (tableau de synthèse): volumes, statuses, straight-through rate, delays.

:func:`build_report` is pure; :func:`report_table`, :func:`report_csv` and :func:`report_png`
render it. The straight-through rate is the share of documents in a final status that were
filed without a person touching them (no corrected field); the delay is the median time from
receipt to filing, over the GED entries.
"""

from __future__ import annotations

import csv
import io
import logging
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mailroom.models import FINAL_STATUSES, Document, Status
from mailroom.records import CompletenessRequest, GedEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    generated_at: datetime | None
    total: int
    by_type: dict[str, int]
    by_channel: dict[str, int]
    by_status: dict[str, int]
    final: int
    straight_through: int
    median_filing_delay_hours: float | None
    filed_entries: int
    pending_requests: int
    pending_request_dossiers: tuple[str, ...] = field(default=())

    @property
    def straight_through_rate(self) -> float | None:
        return round(self.straight_through / self.final, 4) if self.final else None


def _touched_by_a_person(doc: Document) -> bool:
    return any(f.source == "correction" for f in doc.fields.values())


def build_report(
    documents: Sequence[Document],
    ged: Sequence[GedEntry],
    requests: Sequence[CompletenessRequest],
    *,
    generated_at: datetime | None = None,
) -> Report:
    """Summarise documents (containers split into parts, and a batch's documents replaced by a
    new cut, are left out), GED entries and completeness requests."""
    docs = [d for d in documents if d.status not in (Status.SPLIT, Status.SUPERSEDED)]
    final = [d for d in docs if d.status in FINAL_STATUSES]
    straight = [d for d in final if d.status is Status.FILED and not _touched_by_a_person(d)]
    delays = [
        (e.filed_at - e.received_at).total_seconds() / 3600.0
        for e in ged
        if e.filed_at >= e.received_at
    ]
    pending = [r for r in requests if r.state in ("pending", "reminded")]
    return Report(
        generated_at=generated_at,
        total=len(docs),
        by_type=dict(
            sorted(Counter(d.doc_type.value if d.doc_type else "non classé" for d in docs).items())
        ),
        by_channel=dict(sorted(Counter(d.source.channel for d in docs).items())),
        by_status=dict(sorted(Counter(d.status.value for d in docs).items())),
        final=len(final),
        straight_through=len(straight),
        median_filing_delay_hours=round(statistics.median(delays), 2) if delays else None,
        filed_entries=len(ged),
        pending_requests=len(pending),
        pending_request_dossiers=tuple(sorted({r.dossier_id for r in pending})),
    )


def _rows(report: Report) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = [("total", "documents", str(report.total))]
    rows += [("type", k, str(v)) for k, v in report.by_type.items()]
    rows += [("canal", k, str(v)) for k, v in report.by_channel.items()]
    rows += [("statut", k, str(v)) for k, v in report.by_status.items()]
    rate = report.straight_through_rate
    rows += [
        ("automatisation", "documents au statut final", str(report.final)),
        ("automatisation", "classés sans intervention", str(report.straight_through)),
        (
            "automatisation",
            "taux de traitement automatique",
            f"{rate * 100:.1f} %" if rate is not None else "—",
        ),
        ("délais", "entrées GED", str(report.filed_entries)),
        (
            "délais",
            "délai médian réception → classement (h)",
            f"{report.median_filing_delay_hours:.2f}"
            if report.median_filing_delay_hours is not None
            else "—",
        ),
        ("demandes de pièces", "en attente", str(report.pending_requests)),
    ]
    return rows


def report_table(report: Report) -> str:
    """A plain-text table for the terminal."""
    rows = _rows(report)
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    lines = [
        f"{'rubrique':<{w0}}  {'élément':<{w1}}  {'valeur':>{w2}}",
        f"{'-' * w0}  {'-' * w1}  {'-' * w2}",
    ]
    lines += [f"{a:<{w0}}  {b:<{w1}}  {c:>{w2}}" for a, b, c in rows]
    if report.pending_request_dossiers:
        lines.append(
            "dossiers en attente de pièces : " + ", ".join(report.pending_request_dossiers)
        )
    return "\n".join(lines) + "\n"


def report_csv(report: Report) -> str:
    """``section,item,value`` rows, one per figure."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["section", "item", "value"])
    writer.writerows(_rows(report))
    for dossier_id in report.pending_request_dossiers:
        writer.writerow(["demandes de pièces", "dossier", dossier_id])
    return buf.getvalue()


def report_png(report: Report, path: Path) -> None:
    """A chart: volumes by type and by status, with the straight-through rate in the title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    try:
        for axis, data, title in (
            (left, report.by_type, "Documents par type"),
            (right, report.by_status, "Documents par statut"),
        ):
            labels = list(data) or ["—"]
            values = list(data.values()) or [0]
            bars = axis.barh(labels, values, color="#3b6ea5")
            axis.bar_label(bars, padding=2)
            axis.set_title(title)
            axis.invert_yaxis()
        rate = report.straight_through_rate
        delay = report.median_filing_delay_hours
        fig.suptitle(
            f"{report.total} documents — traitement automatique {rate * 100:.1f} %"
            if rate is not None
            else f"{report.total} documents",
        )
        fig.text(
            0.5,
            0.01,
            f"Délai médian réception → classement : "
            f"{f'{delay:.1f} h' if delay is not None else '—'} · "
            f"demandes de pièces en attente : {report.pending_requests}",
            ha="center",
        )
        fig.tight_layout(rect=(0, 0.05, 1, 0.95))
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
