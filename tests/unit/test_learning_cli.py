"""``mailroom corrections export`` and the report's corrections per week, on the embedded
stores of a data folder."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from mailroom.learning_cli import cmd_corrections_export, print_weekly
from mailroom.models import DocType, Document, Source, Status, document_id_for
from mailroom.settings import Settings, StorageSettings
from storage import build_correction_store, build_metadata_store
from storage.corrections import Correction
from tests.unit.learning_pages import SALES, atelier_invoice


def _saved(settings: Settings, n: int, doc_type: DocType) -> Document:
    sha = f"{n:02x}".ljust(64, "0")
    doc = Document(document_id=document_id_for(sha), sha256=sha, source=Source(channel="scan"),
                   pages=[atelier_invoice(SALES[n])], doc_type=doc_type,
                   status=Status.NEEDS_REVIEW)
    metadata = build_metadata_store(settings.storage)
    metadata.save(doc)
    metadata.close()
    return doc


def test_export_writes_labelled_examples_and_keeps_medical_ones_out(tmp_path: Path) -> None:
    settings = Settings(storage=StorageSettings(data_dir=tmp_path / "data"))
    invoice = _saved(settings, 1, DocType.INVOICE)
    certificate = _saved(settings, 2, DocType.MEDICAL_CERTIFICATE)
    store = build_correction_store(settings.storage)
    when = datetime(2026, 12, 7, 10, tzinfo=UTC)
    store.add(Correction(invoice.document_id, invoice.sha256, "invoice", "gest1",
                         {"invoice_number": "PC-77102"}, created_at=when))
    store.add(Correction(certificate.document_id, certificate.sha256, "medical_certificate",
                         "med1", {"patient_name": "Oriane Pelletaz"}, created_at=when))
    store.record_uses("doc-later", [(invoice.document_id, "invoice_number")])
    store.close()

    out = tmp_path / "labels.jsonl"
    cmd_corrections_export(argparse.Namespace(file=out, medical=False), settings)
    [line] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert line["doc_type"] == "invoice" and line["fields"] == {"invoice_number": "PC-77102"}
    assert "Carrosserie Ombrelle" in line["text"]
    cmd_corrections_export(argparse.Namespace(file=out, medical=True), settings)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2

    report = io.StringIO()
    print_weekly(settings, report)
    rows = [line.split() for line in report.getvalue().splitlines()]
    assert ["2026-12-07", "2", "1"] in rows and ["total", "2", "1"] in rows
