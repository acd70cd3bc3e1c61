"""The review application records what a gestionnaire corrects, to learn from it; a medical
certificate's correction is the medical team's, and stays with medical certificates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailroom.models import DocType, Document, Source, Status, document_id_for
from mailroom.settings import Settings, StorageSettings
from review.service import Refused, ReviewService
from review.store import User, open_review_store
from storage.corrections import SqlCorrectionStore
from storage.dossiers import MemoryDossierRegistry
from storage.memory import MemoryMetadataStore, MemoryObjectStore
from storage.sql import sqlite_url
from tests.unit.laid_out import laid_out_page
from tests.unit.learning_pages import SALES, atelier_invoice, luhn_complete

RPPS = luhn_complete("1010101010")

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
CLERK = User("gest1", "gestionnaire", True, "", NOW)
DOCTOR = User("med1", "medical", True, "", NOW)


def _doc(n: int, doc_type: DocType, page: object) -> Document:
    sha = f"{n:02x}".ljust(64, "0")
    return Document(
        document_id=document_id_for(sha),
        sha256=sha,
        source=Source(channel="scan"),
        pages=[page],  # type: ignore[list-item]
        page_count=1,
        doc_type=doc_type,
        doc_type_confidence=0.95,
        status=Status.NEEDS_REVIEW,
    )


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[ReviewService, SqlCorrectionStore]]:
    settings = Settings(storage=StorageSettings(data_dir=tmp_path / "data"))
    metadata = MemoryMetadataStore()
    metadata.save(_doc(1, DocType.INVOICE, atelier_invoice(SALES[0])))
    certificate = laid_out_page(
        (40, 40, "Docteur Anselme Vidrac"),
        (40, 55, f"RPPS {RPPS}"),
        (40, 120, "Je soussigné certifie avoir examiné Mme Oriane Pelletaz"),
    )
    metadata.save(_doc(2, DocType.MEDICAL_CERTIFICATE, certificate))
    corrections = SqlCorrectionStore(sqlite_url(tmp_path / "learning.sqlite3"))
    store = open_review_store(settings.storage)
    yield (
        ReviewService(
            settings,
            metadata=metadata,
            objects=MemoryObjectStore(),
            registry=MemoryDossierRegistry(),
            store=store,
            corrections=corrections,
        ),
        corrections,
    )
    store.close()
    corrections.close()


def test_a_field_corrected_in_review_is_recorded_with_its_place_and_sender(
    service: tuple[ReviewService, SqlCorrectionStore],
) -> None:
    review, corrections = service
    doc_id = document_id_for(f"{1:02x}".ljust(64, "0"))
    review.correct_field(CLERK, doc_id, "invoice_number", "PC-20931")
    review.correct_field(CLERK, doc_id, "supplier_siret", SALES[0].siret)
    saved = corrections.get(doc_id)
    assert saved is not None and saved.username == "gest1" and saved.doc_type == "invoice"
    assert saved.values == {"invoice_number": "PC-20931", "supplier_siret": SALES[0].siret}
    place = next(p for p in saved.places if p.name == "invoice_number")
    assert place.label == ("piece", "comptable") and place.words == ("PC-20931",)
    assert f"siren:{SALES[0].siret[:9]}" in saved.sender_keys
    assert corrections.count() == 1  # one correction per document, the latest


def test_a_medical_correction_is_the_medical_teams_and_serves_only_certificates(
    service: tuple[ReviewService, SqlCorrectionStore],
) -> None:
    review, corrections = service
    doc_id = document_id_for(f"{2:02x}".ljust(64, "0"))
    with pytest.raises(Refused):
        review.correct_field(CLERK, doc_id, "patient_name", "Oriane Pelletaz")
    assert corrections.count() == 0
    review.correct_field(DOCTOR, doc_id, "practitioner_id", RPPS)
    saved = corrections.get(doc_id)
    assert saved is not None and saved.medical
    assert corrections.by_keys("invoice", list(saved.sender_keys)) == []
    assert [c.document_id for c, _ in corrections.by_keys(
        "medical_certificate", list(saved.sender_keys)
    )] == [doc_id]


def test_a_box_drawn_around_a_misread_value_is_its_place_and_what_the_correction_teaches(
    tmp_path: Path,
) -> None:
    """The reading misread the invoice number (letters for digits): typed right, it is printed
    nowhere, so only the box the gestionnaire draws around it says where it sits. The box is
    the field's place, the correction's place (drawn, with the label before it), and stays
    when another field is saved later; a box off the page is refused."""
    from decimal import Decimal

    from mailroom.models import BBox
    from review.errors import ActionError

    sale = SALES[0]
    misread = laid_out_page(
        (40, 40, sale.company),
        (40, 70, f"SIRET {sale.siret}"),
        (330, 92, "FACTURE"),
        (330, 125, "Pièce comptable PC-2O93l"),
        (330, 140, f"Émise le {sale.day}"),
        (330, 630, f"Net à payer {sale.ttc}"),
    )
    settings = Settings(storage=StorageSettings(data_dir=tmp_path / "data"))
    metadata = MemoryMetadataStore()
    metadata.save(_doc(3, DocType.INVOICE, misread))
    doc_id = document_id_for(f"{3:02x}".ljust(64, "0"))
    corrections = SqlCorrectionStore(sqlite_url(tmp_path / "learning.sqlite3"))
    store = open_review_store(settings.storage)
    review = ReviewService(settings, metadata=metadata, objects=MemoryObjectStore(),
                           registry=MemoryDossierRegistry(), store=store,
                           corrections=corrections)
    try:
        drawn = BBox(x0=400.0, y0=123.0, x1=450.0, y1=136.0)
        doc = review.correct_field(CLERK, doc_id, "invoice_number", "PC-20931", (1, drawn))
        assert (doc.fields["invoice_number"].page, doc.fields["invoice_number"].bbox) == (
            1, drawn)
        saved = corrections.get(doc_id)
        assert saved is not None
        place = next(p for p in saved.places if p.name == "invoice_number")
        assert place.drawn and place.box == drawn and place.value == "PC-20931"
        assert place.words == ("PC-2O93l",) and place.label == ("piece", "comptable")

        review.correct_field(CLERK, doc_id, "total_incl_tax", "240,00")
        saved = corrections.get(doc_id)
        assert saved is not None and saved.values["total_incl_tax"] == format(Decimal("240.00"))
        kept = [p for p in saved.places if p.name == "invoice_number"]
        assert len(kept) == 1 and kept[0].drawn and kept[0].box == drawn

        with pytest.raises(ActionError):
            review.correct_field(CLERK, doc_id, "invoice_number", "PC-20931",
                                 (1, BBox(x0=900.0, y0=900.0, x1=950.0, y1=950.0)))
        with pytest.raises(ActionError):
            review.correct_field(CLERK, doc_id, "invoice_number", "PC-20931", (7, drawn))
    finally:
        store.close()
        corrections.close()
