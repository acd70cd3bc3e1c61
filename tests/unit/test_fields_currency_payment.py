"""Currency and means of payment on small built pages (words with boxes, no OCR)."""

from __future__ import annotations

import pytest

from extract.fields import LayoutFieldExtractor
from mailroom.models import DocType
from tests.unit.laid_out import laid_out_page


@pytest.fixture(scope="module")
def extractor() -> LayoutFieldExtractor:
    return LayoutFieldExtractor()


def test_a_product_named_like_a_currency_code_is_no_currency(
    extractor: LayoutFieldExtractor,
) -> None:
    page = laid_out_page((60, 40, "PHARMACIE DU CENTRE"),
                         (40, 100, "CREME HYDRATANTE GEL 200ML 8,90"),
                         (40, 115, "TOTAL 8,90"))
    fields = extractor.extract([page], DocType.RECEIPT, language="fr")
    assert fields["currency"].value == "EUR"


def test_a_currency_code_beside_an_amount_is_the_currency(
    extractor: LayoutFieldExtractor,
) -> None:
    page = laid_out_page((60, 40, "HOTEL TBILISI CENTRE"),
                         (40, 100, "Room 2 nights 240.00 GEL"),
                         (40, 115, "TOTAL 240.00 GEL"))
    fields = extractor.extract([page], DocType.RECEIPT, language="en")
    assert fields["currency"].value == "GEL"


def test_a_french_slip_with_no_currency_mark_is_in_euros_at_a_low_confidence(
    extractor: LayoutFieldExtractor,
) -> None:
    page = laid_out_page((60, 40, "BOULANGERIE MARTIN"),
                         (40, 100, "BAGUETTE 1,20"),
                         (40, 115, "TOTAL 1,20"))
    french = extractor.extract([page], DocType.RECEIPT, language="fr")
    assert french["currency"].value == "EUR"
    assert french["currency"].confidence < 0.6
    assert "currency" not in extractor.extract([page], DocType.RECEIPT, language="en")


def test_a_health_insurance_card_is_no_card_payment_and_change_says_cash(
    extractor: LayoutFieldExtractor,
) -> None:
    page = laid_out_page((60, 40, "PHARMACIE DU CENTRE"),
                         (40, 100, "DOLIPRANE 1000MG 2,18"),
                         (40, 115, "TOTAL 2,18 €"),
                         (40, 130, "ESP. 5,00"),
                         (40, 145, "A RENDRE 2,82"),
                         (40, 175, "Pensez à votre carte Vitale"))
    fields = extractor.extract([page], DocType.RECEIPT, language="fr")
    assert fields["payment_method"].value == "cash"


def test_change_alone_says_cash(extractor: LayoutFieldExtractor) -> None:
    page = laid_out_page((60, 40, "TABAC DE LA GARE"),
                         (40, 100, "TOTAL 7,50 €"),
                         (40, 115, "RECU 10,00"),
                         (40, 130, "RENDU 2,50"),
                         (40, 160, "Présentez votre carte de fidélité"))
    fields = extractor.extract([page], DocType.RECEIPT, language="fr")
    assert fields["payment_method"].value == "cash"


def test_a_card_payment_line_still_says_card(extractor: LayoutFieldExtractor) -> None:
    page = laid_out_page((60, 40, "STATION AVIA"),
                         (40, 100, "GAZOLE 45,00 €"),
                         (40, 115, "TOTAL 45,00 €"),
                         (40, 130, "PAIEMENT CB 45,00"),
                         (40, 160, "Carte grise non requise"))
    fields = extractor.extract([page], DocType.RECEIPT, language="fr")
    assert fields["payment_method"].value == "card"


def test_the_assisteurs_reference_on_a_providers_invoice_is_the_dossier_reference(
    extractor: LayoutFieldExtractor,
) -> None:
    page = laid_out_page((60, 40, "GARAGE DES PINS SARL"),
                         (40, 100, "Facture n° F-2291 du 03/02/2026"),
                         (40, 115, "N° de prise en charge : AST-2026-118204"),
                         (40, 160, "Total TTC 240,00 €"))
    fields = extractor.extract([page], DocType.INVOICE, language="fr")
    assert fields["dossier_reference"].value == "AST-2026-118204"
