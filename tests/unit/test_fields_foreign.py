"""Invoices from abroad (EN 16931, German, Dutch, English): the number under or in the title,
totals under the country's own labels with its number format, and the parties' blocks whose
"Name:" row names the seller or the buyer. Each page is built in the test (words with
boxes, no OCR)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extract.fields import LayoutFieldExtractor
from extract.fields.party_blocks import heading_party
from mailroom.models import DocType, Page
from tests.unit.laid_out import Piece, laid_out_page


@pytest.fixture(scope="module")
def extractor() -> LayoutFieldExtractor:
    return LayoutFieldExtractor()


def _page(*pieces: Piece) -> Page:
    return laid_out_page(*pieces, confidence=96.0, text_source="pdf_text")


_LETTERHEAD: tuple[Piece, ...] = (
    (40, 40, "Weberei Sommer GmbH"), (40, 52, "Am Kanal 7"), (40, 64, "04109 Leipzig"),
    (40, 110, "Hotel Seeblick KG"), (40, 122, "Uferweg 3"), (40, 134, "24103 Kiel"),
)
_TOTALS: tuple[Piece, ...] = (
    (300, 500, "Summe netto 2.140,00"), (300, 512, "USt. 19 % 406,60"),
    (300, 524, "Gesamtbetrag 2.546,60"),
)


def test_number_alone_under_a_title_alone(extractor: LayoutFieldExtractor) -> None:
    fields = extractor.extract([_page(*_LETTERHEAD, (300, 180, "RECHNUNG"),
                                      (300, 192, "2024-117"), *_TOTALS)], DocType.INVOICE)
    assert fields["invoice_number"].value == "2024-117"


def test_a_label_word_is_not_glued_to_the_number(extractor: LayoutFieldExtractor) -> None:
    # the title's bare word owns what follows on its line: the number, not the label with it
    for label in ("Belegnummer:", "Re.-Nr."):
        fields = extractor.extract([_page(*_LETTERHEAD, (40, 200, "Rechnung"),
                                          (300, 200, f"{label} 88213"), *_TOTALS)],
                                   DocType.INVOICE)
        assert fields["invoice_number"].value == "88213", label


def test_german_totals_labels_and_number_format(extractor: LayoutFieldExtractor) -> None:
    fields = extractor.extract([_page(
        *_LETTERHEAD, (40, 200, "Rechnung Nr. 2024-88"),
        (300, 500, "Gesamtsumme netto 1.473,00"), (300, 512, "Steuerbetrag 279,87"),
        (300, 524, "Zahlbetrag 1.752,87"),
    )], DocType.INVOICE)
    assert fields["total_excl_tax"].value == Decimal("1473.00")
    assert fields["vat_amount"].value == Decimal("279.87")
    assert fields["total_incl_tax"].value == Decimal("1752.87")


def test_dutch_totals_labels(extractor: LayoutFieldExtractor) -> None:
    fields = extractor.extract([_page(
        *_LETTERHEAD, (40, 200, "Factuurnr. 2024-0042"),
        (300, 500, "Netto bedrag 100,00"), (300, 512, "Bedrag btw 21,00"),
        (300, 524, "Factuurbedrag 121,00"),
    )], DocType.INVOICE)
    assert fields["total_excl_tax"].value == Decimal("100.00")
    assert fields["vat_amount"].value == Decimal("21.00")
    assert fields["total_incl_tax"].value == Decimal("121.00")


def _blocks(left: str, right: str, left_name: str, right_name: str) -> Page:
    return _page(
        (40, 40, "Rechnung 471102"), (400, 40, "Datum: 12.03.2024"),
        (40, 80, left), (300, 80, right),
        (40, 92, f"Name: {left_name}"), (300, 92, f"Name: {right_name}"),
        (40, 104, "Straße: Hafenstraße 20"), (300, 104, "Straße: Ringweg 15"),
        (40, 116, "PLZ/Ort: 20095 Hamburg"), (300, 116, "PLZ/Ort: 50667 Köln"),
        *_TOTALS,
    )


def test_name_row_under_the_seller_heading_is_the_supplier(
    extractor: LayoutFieldExtractor,
) -> None:
    fields = extractor.extract([_blocks("Verkäufer", "Käufer", "Nordlicht Handel GmbH",
                                        "Kanzlei Brandt")], DocType.INVOICE)
    assert fields["supplier_name"].value == "Nordlicht Handel GmbH"
    assert fields["customer_name"].value == "Kanzlei Brandt"


def test_name_row_under_the_buyer_heading_is_never_the_supplier(
    extractor: LayoutFieldExtractor,
) -> None:
    # the buyer's block on the left, where a letterhead would be
    fields = extractor.extract([_blocks("Rechnungsempfänger", "Rechnungssteller",
                                        "Kanzlei Brandt GmbH", "Nordlicht Handel GmbH")],
                               DocType.INVOICE)
    assert fields["supplier_name"].value == "Nordlicht Handel GmbH"
    assert fields["customer_name"].value == "Kanzlei Brandt GmbH"


def test_block_headings_in_several_languages() -> None:
    assert heading_party("Verkäufer") == "seller"
    assert heading_party("Angaben zum Verkäufer:") == "seller"
    assert heading_party("SELLER") == "seller"
    assert heading_party("Leverancier") == "seller"
    assert heading_party("Käufer") == "buyer"
    assert heading_party("Acheteur") == "buyer"
    assert heading_party("Bill to") == "buyer"
    assert heading_party("Client : Dupont") is None  # a label with its value
    assert heading_party("Lieferant 12") is None


def test_vat_printed_per_rate_without_its_total_is_their_sum(
    extractor: LayoutFieldExtractor,
) -> None:
    fields = extractor.extract([_page(
        *_LETTERHEAD, (40, 200, "Rechnung Nr. 2024-88"),
        (300, 500, "Nettobetrag 473,00"), (300, 512, "USt. 7 % auf 198,00 13,86"),
        (300, 524, "USt. 19 % auf 275,00 52,25"), (300, 536, "Rechnungsbetrag 539,11"),
    )], DocType.INVOICE)
    assert fields["total_excl_tax"].value == Decimal("473.00")
    assert fields["vat_amount"].value == Decimal("66.11")
    assert fields["total_incl_tax"].value == Decimal("539.11")
