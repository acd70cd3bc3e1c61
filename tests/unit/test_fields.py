"""Field extraction on laid-out pages built in the test (words with boxes, no OCR)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from extract.fields import FieldExtractor, LayoutFieldExtractor, extract_fields
from mailroom.models import DocType, Page
from tests.unit.laid_out import CHAR_W, Piece, laid_out_page


def page(*lines: Piece, number: int = 1, confidence: float = 100.0,
         low: dict[str, float] | None = None) -> Page:
    return laid_out_page(*lines, number=number, confidence=confidence, low=low)


@pytest.fixture(scope="module")
def extractor() -> LayoutFieldExtractor:
    return LayoutFieldExtractor()


def test_extractor_implements_the_protocol(extractor: LayoutFieldExtractor) -> None:
    assert isinstance(extractor, FieldExtractor)


def test_invoice_number_to_the_right_of_its_label(extractor: LayoutFieldExtractor) -> None:
    p = page((40, 100, "Facture n° F2026-0042"), (40, 120, "Date : 12/03/2026"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["invoice_number"].value == "F2026-0042"
    assert fields["invoice_date"].value == date(2026, 3, 12)


def test_value_below_its_label(extractor: LayoutFieldExtractor) -> None:
    p = page((40, 100, "N° de facture"), (40, 112, "A-77812"),
             (300, 100, "Date de facture"), (300, 112, "05/01/2026"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["invoice_number"].value == "A-77812"
    assert fields["invoice_date"].value == date(2026, 1, 5)


def test_totals_read_from_table_columns(extractor: LayoutFieldExtractor) -> None:
    p = page(
        (40, 80, "Facture n° 9001"),
        (300, 600, "Total HT"), (380, 600, "TVA"), (440, 600, "Total TTC"),
        (300, 615, "150,00"), (380, 615, "30,00"), (440, 615, "180,00"),
    )
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["total_excl_tax"].value == Decimal("150.00")
    assert fields["vat_amount"].value == Decimal("30.00")
    assert fields["total_incl_tax"].value == Decimal("180.00")


def test_totals_block_with_deposit_keeps_ttc_not_net_to_pay(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page(
        (40, 80, "Facture n° 2026-118"),
        (40, 300, "Remorquage 1 200,00 200,00"),
        (350, 600, "Total HT 200,00 €"),
        (350, 615, "TVA 20 % 40,00 €"),
        (350, 630, "Total TTC 240,00 €"),
        (350, 645, "Acompte versé 100,00 €"),
        (350, 660, "Net à payer 140,00 €"),
    )
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["total_incl_tax"].value == Decimal("240.00")
    assert fields["total_excl_tax"].value == Decimal("200.00")
    assert fields["vat_amount"].value == Decimal("40.00")
    assert fields["currency"].value == "EUR"
    assert fields["total_incl_tax"].confidence > 0.8


def test_net_to_pay_is_the_total_when_there_is_no_deposit(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((40, 80, "Facture n° 55"), (350, 600, "Total HT 100,00"),
             (350, 615, "TVA 20,00"), (350, 630, "Net à payer 120,00"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["total_incl_tax"].value == Decimal("120.00")


def test_phone_and_postcode_are_not_taken_for_values(extractor: LayoutFieldExtractor) -> None:
    p = page(
        (40, 40, "Dépannage Dupuis SARL"),
        (40, 55, "12 rue des Lilas 69100 Villeurbanne"),
        (40, 70, "Tél : 04 78 12 34 56"),
        (40, 100, "Facture n° FA-1203"),
        (350, 600, "Total TTC 180,00 €"),
    )
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["invoice_number"].value == "FA-1203"
    assert fields["total_incl_tax"].value == Decimal("180.00")
    assert fields["supplier_name"].value == "Dépannage Dupuis SARL"


def test_due_date_is_not_the_invoice_date(extractor: LayoutFieldExtractor) -> None:
    p = page((40, 80, "Échéance : 30/04/2026"), (40, 95, "Date de facture : 31/03/2026"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["invoice_date"].value == date(2026, 3, 31)


def test_order_number_is_not_the_invoice_number(extractor: LayoutFieldExtractor) -> None:
    p = page((40, 80, "N° de commande : 445566"), (40, 95, "Facture n° 2026-001"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["invoice_number"].value == "2026-001"


def test_iban_printed_with_spaces_is_normalised(extractor: LayoutFieldExtractor) -> None:
    p = page((40, 80, "Titulaire du compte : Claire MARTIN"),
             (40, 95, "IBAN : FR76 3000 6000 0112 3456 7890 189"),
             (40, 110, "BIC : AGRIFRPP"))
    fields = extractor.extract([p], DocType.BANK_DETAILS)
    assert fields["iban"].value == "FR7630006000011234567890189"
    assert fields["bic"].value == "AGRIFRPP"
    assert fields["account_holder"].value == "Claire MARTIN"


def test_ocr_confused_siret_is_repaired_with_lower_confidence(
    extractor: LayoutFieldExtractor,
) -> None:
    clean = page((40, 80, "SIRET : 732 829 320 00074"), (40, 95, "Facture n° 12"))
    confused = page((40, 80, "SIRET : 732 829 320 O0074"), (40, 95, "Facture n° 12"))
    good = extractor.extract([clean], DocType.INVOICE)["supplier_siret"]
    fixed = extractor.extract([confused], DocType.INVOICE)["supplier_siret"]
    assert good.value == fixed.value == "73282932000074"
    assert fixed.confidence < good.confidence


def test_siret_failing_its_checksum_gets_a_low_confidence(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((40, 80, "SIRET : 732 829 320 00075"))
    f = extractor.extract([p], DocType.INVOICE)["supplier_siret"]
    assert f.confidence <= 0.3


def test_fields_not_on_the_document_are_absent(extractor: LayoutFieldExtractor) -> None:
    p = page((40, 80, "Facture n° 77"), (350, 600, "Total TTC 50,00 €"))
    fields = extractor.extract([p], DocType.INVOICE)
    for absent in ("supplier_siret", "supplier_vat_number", "iban", "invoice_date",
                   "dossier_reference", "policy_number", "vehicle_registration",
                   "total_excl_tax", "vat_amount"):
        assert absent not in fields
    assert all(str(f.value) for f in fields.values())


def test_bbox_is_the_union_of_the_value_words(extractor: LayoutFieldExtractor) -> None:
    p = page((350, 600, "Total TTC 1 234,56 €"))
    f = extractor.extract([p], DocType.INVOICE)["total_incl_tax"]
    assert f.value == Decimal("1234.56")
    assert f.page == 1
    assert f.bbox is not None
    # "1", "234,56" and "€" start after "Total TTC " (10 chars)
    assert f.bbox.x0 == pytest.approx(350 + 10 * CHAR_W)
    assert f.bbox.x1 == pytest.approx(350 + 20 * CHAR_W)
    assert (f.bbox.y0, f.bbox.y1) == (600, 610)


def test_low_ocr_confidence_lowers_the_field_confidence(
    extractor: LayoutFieldExtractor,
) -> None:
    sharp = page((40, 80, "Facture n° 4411"))
    blurred = page((40, 80, "Facture n° 4411"), low={"4411": 35.0})
    a = extractor.extract([sharp], DocType.INVOICE)["invoice_number"]
    b = extractor.extract([blurred], DocType.INVOICE)["invoice_number"]
    assert a.value == b.value
    assert b.confidence < a.confidence


def test_medical_certificate_fields(extractor: LayoutFieldExtractor) -> None:
    p = page(
        (40, 40, "Docteur Jean DUPONT"),
        (40, 55, "RPPS : 10003456789"),
        (40, 120, "Je soussigné certifie avoir examiné Claire MARTIN"),
        (40, 135, "et prescris un arrêt de travail du 12/03/2026 au 20/03/2026 inclus."),
        (40, 200, "Fait à Lyon, le 12/03/2026"),
    )
    fields = extractor.extract([p], DocType.MEDICAL_CERTIFICATE)
    assert fields["practitioner_name"].value == "Jean DUPONT"
    assert fields["patient_name"].value == "Claire MARTIN"
    assert fields["incapacity_start"].value == date(2026, 3, 12)
    assert fields["incapacity_end"].value == date(2026, 3, 20)
    assert fields["issue_date"].value == date(2026, 3, 12)


def test_references_are_upper_case_without_spaces(extractor: LayoutFieldExtractor) -> None:
    p = page((40, 80, "N° de dossier : ast-2026-004217"),
             (40, 95, "N° de contrat : CTR88412077"),
             (40, 110, "Immatriculation : GH 412 KL"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["dossier_reference"].value == "AST-2026-004217"
    assert fields["policy_number"].value == "CTR88412077"
    assert fields["vehicle_registration"].value == "GH-412-KL"


def test_receipt_total_date_and_payment(extractor: LayoutFieldExtractor) -> None:
    p = page(
        (40, 30, "PHARMACIE DU CENTRE"),
        (40, 60, "12/03/2026 14:32"),
        (40, 100, "DOLIPRANE 1000 2,18"),
        (40, 130, "TOTAL 12,40 EUR"),
        (40, 145, "CB 12,40"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["total_incl_tax"].value == Decimal("12.40")
    assert fields["receipt_date"].value == date(2026, 3, 12)
    assert fields["payment_method"].value == "card"
    assert fields["merchant_name"].value == "PHARMACIE DU CENTRE"


def test_english_labels(extractor: LayoutFieldExtractor) -> None:
    p = page((40, 80, "Invoice number: INV-2231"), (40, 95, "Invoice date: 03/20/2023"),
             (350, 600, "Subtotal $ 100.00"), (350, 615, "Tax $ 15.00"),
             (350, 630, "Amount due $ 115.00"))
    fields = extractor.extract([p], DocType.INVOICE, language="en")
    assert fields["invoice_number"].value == "INV-2231"
    assert fields["invoice_date"].value == date(2023, 3, 20)
    assert fields["total_incl_tax"].value == Decimal("115.00")
    assert fields["currency"].value == "USD"


def test_empty_pages_give_no_fields() -> None:
    empty = Page(number=1, width=595, height=842, text="", text_source="ocr")
    assert extract_fields([empty], DocType.INVOICE) == {}
