from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pdfplumber
from PIL import Image

from mailroom.models import BBox, DocType, Document, ExtractedField, Page, Source, Word
from validate.ged import ged_entry_id_for, make_ged_entry, make_searchable_pdf

FILED = datetime(2026, 7, 3, 10, 0, tzinfo=UTC)


def _doc(doc_type: DocType) -> Document:
    return Document(
        document_id="doc-abc",
        sha256="a" * 64,
        source=Source(channel="email"),
        received_at=datetime(2026, 7, 3, 9, 0, tzinfo=UTC),
        original_key="originals/aa/aa/" + "a" * 64,
        doc_type=doc_type,
        fields={
            "total_incl_tax": ExtractedField(
                value=Decimal("12.5"), confidence=0.9, page=1, bbox=BBox(x0=1, y0=2, x1=3, y1=4)
            )
        },
    )


def test_ged_entry_carries_the_contract_fields_and_checksum() -> None:
    entry = make_ged_entry(
        _doc(DocType.INVOICE), "AST-1", searchable_pdf_key="derived/x.pdf", filed_at=FILED
    )
    assert entry.ged_entry_id == ged_entry_id_for("doc-abc")
    assert entry.channel == "email" and entry.sha256 == "a" * 64
    assert entry.fields["total_incl_tax"] == {
        "value": "12.50",
        "confidence": 0.9,
        "page": 1,
        "bbox": [1.0, 2.0, 3.0, 4.0],
    }
    assert entry.confidentiality == "standard"


def test_medical_certificates_are_medical() -> None:
    entry = make_ged_entry(
        _doc(DocType.MEDICAL_CERTIFICATE), "AST-1", searchable_pdf_key=None, filed_at=FILED
    )
    assert entry.confidentiality == "medical"


def test_searchable_pdf_has_the_image_and_an_invisible_text_layer_at_the_boxes(
    tmp_path: Path,
) -> None:
    image = tmp_path / "page.png"
    Image.new("RGB", (1240, 1754), "white").save(image)
    words = (
        Word(text="Facture", bbox=BBox(x0=72, y0=100, x1=140, y1=114)),
        Word(text="Montant", bbox=BBox(x0=72, y0=300, x1=130, y1=312)),
        Word(text="1 234,56 €", bbox=BBox(x0=140, y0=300, x1=210, y1=312)),
    )
    page = Page(
        number=1,
        width=595,
        height=842,
        text="Facture\nMontant 1 234,56 €",
        words=words,
        text_source="ocr",
    )
    text_page = Page(
        number=2, width=595, height=842, text="Réf. dossier AST-1", text_source="pdf_text"
    )
    out = tmp_path / "searchable.pdf"
    make_searchable_pdf([page, text_page], [image, None], out)
    with pdfplumber.open(out) as pdf:
        assert len(pdf.pages) == 2
        first = pdf.pages[0]
        assert len(first.images) == 1
        found = {w["text"]: w for w in first.extract_words()}
        assert "Facture" in found and "Montant" in found
        assert abs(found["Facture"]["x0"] - 72) < 2 and abs(found["Facture"]["top"] - 100) < 6
        assert "AST-1" in (pdf.pages[1].extract_text() or "")
