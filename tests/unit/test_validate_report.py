from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailroom.models import DocType, Document, ExtractedField, Source, Status
from mailroom.records import Beneficiary, Dossier, GedEntry
from validate.completeness import new_request
from validate.report import build_report, report_csv, report_png, report_table

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def _doc(
    i: int, status: Status, doc_type: DocType, channel: str = "scan", corrected: bool = False
) -> Document:
    return Document(
        document_id=f"doc-{i}",
        sha256=f"{i:064d}",
        source=Source(channel=channel),  # type: ignore[arg-type]
        received_at=T0,
        doc_type=doc_type,
        status=status,
        fields={
            "invoice_number": ExtractedField(
                value="F1", confidence=1.0, source="correction" if corrected else "text"
            )
        },
    )


def _entry(i: int, hours: float) -> GedEntry:
    return GedEntry(
        ged_entry_id=f"ged-{i}",
        document_id=f"doc-{i}",
        dossier_id="AST-1",
        doc_type=DocType.INVOICE,
        received_at=T0,
        filed_at=T0 + timedelta(hours=hours),
        channel="scan",
        fields={},
        sha256="0" * 64,
        original_key=None,
        searchable_pdf_key=None,
    )


def _report():  # type: ignore[no-untyped-def]
    docs = [
        _doc(1, Status.FILED, DocType.INVOICE),
        _doc(2, Status.FILED, DocType.RECEIPT, "email"),
        _doc(3, Status.FILED, DocType.INVOICE, corrected=True),  # a person corrected it
        _doc(4, Status.NEEDS_REVIEW, DocType.BANK_DETAILS, "email"),
        _doc(5, Status.SPLIT, DocType.OTHER, "email"),  # the e-mail container: not counted
    ]
    dossier = Dossier(dossier_id="AST-9", beneficiary=Beneficiary(first_name="A", last_name="B"))
    requests = [new_request(dossier, ["invoice"], now=T0)]
    return build_report(docs, [_entry(1, 1), _entry(2, 3), _entry(3, 30)], requests)


def test_report_counts_volumes_and_the_straight_through_rate() -> None:
    r = _report()
    assert r.total == 4
    assert r.by_type == {"bank_details": 1, "invoice": 2, "receipt": 1}
    assert r.by_channel == {"email": 2, "scan": 2}
    assert r.by_status == {"filed": 3, "needs_review": 1}
    assert r.straight_through == 2 and r.straight_through_rate == 0.5
    assert r.median_filing_delay_hours == 3.0
    assert r.pending_requests == 1 and r.pending_request_dossiers == ("AST-9",)


def test_report_renders_as_table_csv_and_png(tmp_path: Path) -> None:
    r = _report()
    table = report_table(r)
    assert "taux de traitement automatique" in table and "50.0 %" in table
    rows = list(csv.reader(io.StringIO(report_csv(r))))
    assert rows[0] == ["section", "item", "value"]
    assert ["statut", "needs_review", "1"] in rows
    out = tmp_path / "report.png"
    report_png(r, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_empty_report_has_no_rate() -> None:
    r = build_report([], [], [])
    assert r.straight_through_rate is None and r.median_filing_delay_hours is None
    assert "—" in report_table(r)
