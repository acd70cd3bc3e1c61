"""The fraud signals with built inputs: the same piece again (hashes, keys, words), a PDF edited
after issue (a real incremental update made here), a supplier's IBAN that changed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from extract.page_hash import content_box, image_hashes, simhash, words_of
from extract.pdf_forensics import PdfForensics, inspect_pdf, revision_ends
from mailroom.models import BBox, DocType, Document, ExtractedField, Match, Page, Source, Word
from mailroom.records import Dossier
from mailroom.settings import Settings
from mailroom.stages import review_reasons
from samples.synth.tamper import invoice_pdf, rephotograph, swap_text_incrementally
from storage.fraud import MemoryFraudStore, SupplierIban, hamming
from storage.memory import MemoryMetadataStore
from validate.fraud import (
    FraudInputs,
    edited_pdf_findings,
    fraud_checks,
    supplier_id,
)
from validate.settings import FraudSettings

SETTINGS = FraudSettings()
OLD_IBAN = "FR76 3000 6000 0112 3456 7890 189"
NEW_IBAN = "FR76 1027 8060 4100 0205 8790 128"

RECEIPT_TEXT = (
    "TAXI BLEU PARIS\nCourse du 12/03/2026 14:05\nDépart Gare de Lyon\nArrivée Hôpital "
    "Cochin\nDistance 7,4 km\nTarif B\nTotal TTC 23,50 EUR\nPayé par carte\nMerci de votre visite"
)


def _doc(
    n: int,
    doc_type: DocType,
    text: str,
    fields: dict[str, object],
    *,
    dossier_id: str | None = None,
    channel: str = "scan",
) -> Document:
    words = tuple(
        Word(
            text=t,
            bbox=BBox(
                x0=10 + 30 * (i % 10),
                y0=10 + 12 * (i // 10),
                x1=35 + 30 * (i % 10),
                y1=20 + 12 * (i // 10),
            ),
        )
        for i, t in enumerate(text.split())
    )
    page = Page(number=1, width=400, height=600, text=text, words=words, text_source="ocr")
    return Document(
        document_id=f"doc-{n:020x}",
        sha256=f"{n:064x}",
        source=Source(channel=channel, filename=f"piece-{n}.jpg"),  # type: ignore[arg-type]
        received_at=datetime(2026, 3, 14, 9, n, tzinfo=UTC),
        pages=[page],
        doc_type=doc_type,
        doc_type_confidence=0.97,
        fields={k: ExtractedField(value=v, confidence=0.95) for k, v in fields.items()},  # type: ignore[arg-type]
        match=Match(status="matched", dossier_id=dossier_id) if dossier_id else None,
    )


def _receipt(
    n: int,
    text: str = RECEIPT_TEXT,
    when: date = date(2026, 3, 12),
    total: str = "23.50",
    **kw: object,
) -> Document:
    return _doc(
        n,
        DocType.RECEIPT,
        text,
        {
            "merchant_name": "TAXI BLEU PARIS",
            "receipt_date": when,
            "total_incl_tax": Decimal(total),
        },
        **kw,  # type: ignore[arg-type]
    )


class World:
    def __init__(self) -> None:
        self.store = MemoryFraudStore()
        self.documents = MemoryMetadataStore()

    def ingest(self, doc: Document, inputs: FraudInputs | None = None) -> list[str]:
        checks = fraud_checks(doc, inputs or FraudInputs(), self.store, self.documents, SETTINGS)
        doc.checks = [*doc.checks, *checks]
        self.documents.save(doc)
        return [f"{c.code}:{c.status}" for c in checks]


# --------------------------------------------------------------------------- same content


def test_the_same_receipt_read_again_is_the_same_content_across_dossiers_and_channels() -> None:
    world = World()
    assert world.ingest(_receipt(1, dossier_id="AST-2026-000001")) == []
    again = _receipt(
        2,
        text=RECEIPT_TEXT.replace("Cochin", "Coch1n").replace("Merci de votre visite", ""),
        dossier_id="AST-2026-000002",
        channel="email",
    )
    assert world.ingest(again) == ["fraud.same_content:fail"]
    message = again.checks[-1].message
    assert "piece-1.jpg" in message and "AST-2026-000001" in message and "par scan" in message
    assert "même total 23,50 €" in message
    assert again.checks[-1].blocking
    assert world.store.evidence(again.document_id)[0].other_document_id == _receipt(1).document_id


def test_another_ride_on_the_same_form_is_not_the_same_content() -> None:
    world = World()
    world.ingest(_receipt(1))
    other_ride = RECEIPT_TEXT.replace("12/03/2026 14:05", "15/03/2026 09:12").replace(
        "23,50", "31,20"
    )
    assert world.ingest(_receipt(2, text=other_ride, when=date(2026, 3, 15), total="31.20")) == []


def test_the_same_invoice_number_from_the_same_supplier_with_another_amount_fails() -> None:
    world = World()
    fields = {
        "supplier_siret": "73282932000074",
        "invoice_number": "F2026-0042",
        "invoice_date": date(2026, 3, 12),
        "total_incl_tax": Decimal("228.00"),
    }
    first = _doc(
        1,
        DocType.INVOICE,
        "Facture F2026-0042 Dépannage Dupuis",
        fields,
        dossier_id="AST-2026-000001",
    )
    assert world.ingest(first) == []
    changed = _doc(
        2,
        DocType.INVOICE,
        "Facture F2026/0042 remorquage total 328,00",
        {**fields, "invoice_number": "F2026/0042", "total_incl_tax": Decimal("328.00")},
    )
    assert world.ingest(changed) == ["fraud.same_content:fail"]
    assert "autre montant" in changed.checks[-1].message
    assert "AST-2026-000001" in changed.checks[-1].message


def test_a_suspect_document_never_becomes_the_reference() -> None:
    world = World()
    world.ingest(_receipt(1))
    world.ingest(_receipt(2))  # flagged: kept as suspect
    third = _receipt(3)
    assert world.ingest(third) == ["fraud.same_content:fail"]
    assert world.store.evidence(third.document_id)[0].other_document_id == _receipt(1).document_id


def test_a_fraud_check_sends_the_document_to_review_with_its_message() -> None:
    world = World()
    world.ingest(_receipt(1, dossier_id="AST-2026-000001"))
    again = _receipt(2, dossier_id="AST-2026-000001")
    world.ingest(again)
    reasons = review_reasons(again, Settings())
    assert any("Même pièce que" in r for r in reasons)


# --------------------------------------------------------------------------- page hashes


def _page_image(
    path: Path, lines: list[str]
) -> tuple[Path, list[tuple[float, float, float, float]]]:
    img = Image.new("L", (800, 1100), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=28)
    boxes = []
    for i, line in enumerate(lines):
        y = 150 + 48 * i
        draw.text((140, y), line, fill=0, font=font)
        x0, y0, x1, y1 = draw.textbbox((140, y), line, font=font)
        boxes.append((float(x0), float(y0), float(x1), float(y1)))
    img.save(path)
    return path, boxes


def test_a_page_photographed_again_hashes_close_and_another_page_far(tmp_path: Path) -> None:
    lines = RECEIPT_TEXT.split("\n")
    page, boxes = _page_image(tmp_path / "page.png", lines)
    original = image_hashes(page, content_box(boxes, 800, 1100))[0]
    # cropped margins, re-encoded, blurred, not turned (the reader makes pages upright)
    again = rephotograph(page, tmp_path / "again.jpg", angle=0, quality=60)
    with Image.open(again) as img:
        w, h = img.size
    # the same text, found where it now is: the crop moved it by 4 % and shrank it to 85 %
    moved = [
        ((x0 - 32) * 0.85, (y0 - 33) * 0.85, (x1 - 32) * 0.85, (y1 - 33) * 0.85)
        for x0, y0, x1, y1 in boxes
    ]
    close = image_hashes(again, content_box(moved, w, h))[0]
    other, other_boxes = _page_image(
        tmp_path / "other.png", ["HOTEL DU PORT", "Chambre 12", "2 nuits", "Total 180,00"]
    )
    far = image_hashes(other, content_box(other_boxes, 800, 1100))[0]
    assert hamming(original, close) <= SETTINGS.image_max_distance
    assert hamming(original, far) > SETTINGS.image_max_distance


def test_a_page_turned_a_quarter_is_found_through_its_turned_hashes(tmp_path: Path) -> None:
    page, _ = _page_image(tmp_path / "page.png", RECEIPT_TEXT.split("\n"))
    upright = image_hashes(page)[0]
    with Image.open(page) as img:
        img.transpose(Image.Transpose.ROTATE_270).save(tmp_path / "turned.png")
    turned = image_hashes(tmp_path / "turned.png")
    assert min(hamming(upright, t) for t in turned) <= 2


def test_two_readings_of_one_page_have_close_simhashes() -> None:
    a = simhash(words_of(RECEIPT_TEXT))
    b = simhash(words_of(RECEIPT_TEXT.replace("Cochin", "Coch1n")))
    c = simhash(words_of("HOTEL DU PORT Chambre 12 deux nuits petit déjeuner Total 180,00 EUR"))
    assert a is not None and b is not None and c is not None
    assert hamming(a, b) <= SETTINGS.text_max_distance < hamming(a, c)


# --------------------------------------------------------------------------- edited PDF


def test_an_incremental_update_that_swaps_the_iban_is_an_edited_pdf(tmp_path: Path) -> None:
    honest = invoice_pdf(tmp_path / "honest.pdf", iban=OLD_IBAN)
    edited = swap_text_incrementally(honest, tmp_path / "edited.pdf", OLD_IBAN, NEW_IBAN)
    assert len(revision_ends(edited.read_bytes())) == 2
    found = inspect_pdf(edited)
    assert found.revisions == 2
    assert found.removed_words == ("3000", "6000", "0112", "3456", "7890", "189")
    assert found.added_words == ("1027", "8060", "4100", "0205", "8790", "128")
    [finding] = edited_pdf_findings("doc-x", found, SETTINGS)
    assert (finding.check.code, finding.check.status, finding.check.blocking) == (
        "fraud.edited_pdf",
        "fail",
        True,
    )
    assert "« 3000 6000 0112 3456 7890 189 » est devenu « 1027 8060" in finding.check.message
    assert OLD_IBAN in (finding.evidence.detail["earlier_text"] or "")  # type: ignore[operator]


def test_an_honest_invoice_pdf_has_no_sign_of_editing(tmp_path: Path) -> None:
    found = inspect_pdf(invoice_pdf(tmp_path / "honest.pdf"))
    assert found.revisions == 1 and not found.words_changed
    assert edited_pdf_findings("doc-x", found, SETTINGS) == []


def test_text_drawn_over_a_white_rectangle_that_hides_text_is_found(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "whiteout.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("Helvetica", 10)
    for i in range(8):
        c.drawString(50, 700 - 14 * i, f"Ligne de facture {i} : 10,00 €")
    c.drawString(50, 500, f"IBAN : {OLD_IBAN}")
    c.setFillColorRGB(1, 1, 1)
    c.rect(48, 496, 300, 14, fill=1, stroke=0)
    c.setFillColorRGB(0, 0, 0)
    c.drawString(50, 500, f"IBAN : {NEW_IBAN}")
    c.save()
    found = inspect_pdf(path)
    assert found.white_outs and found.white_outs[0].page == 1
    [finding] = edited_pdf_findings("doc-x", found, SETTINGS)
    assert finding.check.status == "warn" and "rectangle blanc" in finding.check.message


def test_weak_signs_of_editing_warn_only_together() -> None:
    created = datetime(2026, 3, 1, 10, tzinfo=UTC)
    later = PdfForensics(created=created, modified=datetime(2026, 3, 20, tzinfo=UTC))
    assert edited_pdf_findings("doc-x", later, SETTINGS) == []
    both = PdfForensics(
        created=created,
        modified=datetime(2026, 3, 20, tzinfo=UTC),
        producer="PDF-XChange Editor 9.5",
    )
    [finding] = edited_pdf_findings("doc-x", both, SETTINGS)
    assert finding.check.status == "warn"
    assert "PDF-XChange Editor" in finding.check.message and "20/03/2026" in finding.check.message
    software = PdfForensics(created=created, modified=created, producer="Sage 100 Gestion")
    assert edited_pdf_findings("doc-x", software, SETTINGS) == []


def test_the_edited_pdf_check_runs_on_the_document_file(tmp_path: Path) -> None:
    honest = invoice_pdf(tmp_path / "honest.pdf", iban=OLD_IBAN)
    edited = swap_text_incrementally(honest, tmp_path / "edited.pdf", OLD_IBAN, NEW_IBAN)
    world = World()
    doc = _doc(1, DocType.INVOICE, "Facture", {})
    assert world.ingest(doc, FraudInputs(edited, "application/pdf")) == ["fraud.edited_pdf:fail"]


# --------------------------------------------------------------------------- IBAN


def _invoice(n: int, iban: str, **fields: object) -> Document:
    values: dict[str, object] = {"supplier_siret": "73282932000074", "iban": iban, **fields}
    return _doc(n, DocType.INVOICE, f"Facture {n}", values)


GOOD = "FR7630006000011234567890189"
OTHER = "FR7610278060410002058790128"


def test_a_known_supplier_with_another_iban_fails_until_confirmed() -> None:
    world = World()
    assert world.ingest(_invoice(1, GOOD)) == []
    changed = _invoice(2, OTHER)
    assert world.ingest(changed) == ["fraud.iban_changed:fail"]
    assert "SIREN 732829320" in changed.checks[-1].message
    assert (
        "FR76 … 0189" in changed.checks[-1].message and "piece-1.jpg" in changed.checks[-1].message
    )
    assert world.ingest(_invoice(3, OTHER)) == ["fraud.iban_changed:fail"]  # still unconfirmed
    world.store.confirm_iban("siren:732829320", OTHER, "alice", datetime.now(UTC))
    assert world.ingest(_invoice(4, OTHER)) == []
    assert world.ingest(_invoice(5, GOOD)) == []


def test_the_supplier_is_known_by_its_vat_number_too() -> None:
    world = World()
    world.ingest(_invoice(1, GOOD))
    by_vat = _doc(
        2, DocType.INVOICE, "Facture", {"supplier_vat_number": "FR44732829320", "iban": OTHER}
    )
    assert world.ingest(by_vat) == ["fraud.iban_changed:fail"]


def test_the_supplier_is_known_from_the_dossier_mission() -> None:
    dossier = Dossier.model_validate(
        {
            "dossier_id": "AST-2026-000001",
            "status": "open",
            "opened_on": "2026-03-02",
            "beneficiary": {"first_name": "Claire", "last_name": "MARTIN"},
            "missions": [
                {
                    "mission_id": "M-1",
                    "provider_name": "Dépannage Dupuis",
                    "provider_siret": "73282932000074",
                    "agreed_amount": "180.00",
                }
            ],
        }
    )
    doc = _doc(2, DocType.INVOICE, "Facture", {"supplier_name": "DEPANNAGE DUPUIS", "iban": OTHER})
    assert supplier_id(doc, dossier) == "siren:732829320"
    world = World()
    world.ingest(_invoice(1, GOOD))
    assert world.ingest(doc, FraudInputs(dossier=dossier)) == ["fraud.iban_changed:fail"]


def test_an_iban_first_seen_on_a_suspect_document_never_becomes_known() -> None:
    world = World()
    world.store.add_iban(
        SupplierIban("siren:732829320", OTHER, "doc-old", "pending", datetime.now(UTC))
    )
    # the only IBAN seen came from a suspect document: the honest one is not compared to it
    assert world.ingest(_invoice(1, GOOD)) == []


def test_an_invalid_iban_reading_is_not_a_changed_iban() -> None:
    world = World()
    world.ingest(_invoice(1, GOOD))
    assert world.ingest(_invoice(2, "FR7630006000011234567890188")) == []


@pytest.mark.parametrize("enabled", [False])
def test_the_signals_can_be_turned_off(enabled: bool) -> None:
    world = World()
    settings = FraudSettings(enabled=enabled)
    world.ingest(_receipt(1))
    again = _receipt(2)
    assert fraud_checks(again, FraudInputs(), world.store, world.documents, settings) == []


def test_every_fraud_code_is_documented_and_every_setting_described() -> None:
    from validate.fraud import CODES

    checks_md = (Path(__file__).resolve().parents[2] / "docs" / "checks.md").read_text()
    assert all(f"| `{code}` |" in checks_md for code in CODES)
    assert all(f.description for f in FraudSettings.model_fields.values())
