"""Till receipts as shops print them abroad: a "TAX INVOICE" heading over cash and change, a
red "PAID" stamp, faded thermal print made of dots, OCR slips in the header and the totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import cv2
import numpy as np
import pytest
from PIL import Image

from classify.model import MIN_TILL_MARKS, SklearnClassifier, looks_like_a_till_slip, till_marks
from extract.base import OcrWord, Orientation
from extract.fields import LayoutFieldExtractor
from extract.images import drop_red
from extract.page_ocr import ocr_image
from extract.preprocess import prepare, stretch, text_height
from mailroom.models import DocType, Page
from tests.unit.laid_out import Piece, laid_out_page

TILL_TAX_INVOICE = "\n".join([
    "BORVALE STATIONERS",
    "Company Reg. No. : 725186-V",
    "NO 4&6, Harbour Lane 9,",
    "60210 Port Calder",
    "GST Reg: 001658445824",
    "TAX INVOICE",
    "Invoice No: CBH 289720 Date: 17/01/2018",
    "Cashier: C2000",
    "Qty Description Price Total",
    "1 UNICORE 20CM RULER 0.80 0.80 SR",
    "1 CBE 7 SCISSORS 6.20 6.20 SR",
    "Total Inclusive GST: 7.00",
    "CASH 50.00",
    "CHANGE 43.00",
    "GST Summary Amount(RM) Tax(RM)",
    "SR @ 6% 6.60 0.40",
])

SUPPLIER_INVOICE = "\n".join([
    "ACME Industrial Supplies Ltd",
    "12 Harbour Road, Leeds LS1 4AB",
    "TAX INVOICE",
    "Invoice No: INV-2023-0192",
    "Invoice date: 14/03/2023",
    "Bill to: Northern Garage Services",
    "Description Qty Unit price Amount",
    "Brake pads (set) 2 45.00 90.00",
    "Subtotal 90.00",
    "VAT 20% 18.00",
    "Total due 108.00",
    "Payment terms: 30 days. Please pay by bank transfer.",
    "IBAN GB29 NWBK 6016 1331 9268 19",
])


def _page(text: str, width: float = 595.0, height: float = 842.0) -> list[Page]:
    return [Page(number=1, width=width, height=height, text=text, text_source="ocr")]


# -------------------------------------------------------------------- classification


def test_a_till_slip_headed_tax_invoice_is_a_receipt_even_on_a_wide_page() -> None:
    classifier = SklearnClassifier()
    assert classifier.classify_text(TILL_TAX_INVOICE).doc_type is DocType.INVOICE  # text alone
    assert len(till_marks(TILL_TAX_INVOICE)) >= MIN_TILL_MARKS
    assert classifier.classify(_page(TILL_TAX_INVOICE)).doc_type is DocType.RECEIPT


def test_a_supplier_tax_invoice_stays_an_invoice() -> None:
    assert len(till_marks(SUPPLIER_INVOICE)) < MIN_TILL_MARKS
    result = SklearnClassifier().classify(_page(SUPPLIER_INVOICE))
    assert result.doc_type is DocType.INVOICE


def test_till_marks_need_an_amount_for_cash_and_change() -> None:
    assert till_marks("Cash 20.00\nChange 7.28") == {"tendered", "change"}
    assert till_marks("Payment in cash or by cheque\nChange of address") == set()
    assert "cashier" in till_marks("Cashier : USER")
    assert "card" in till_marks("Master Card 63.80")


def test_a_hotel_folio_naming_its_cashier_and_card_is_not_taken_for_a_till_slip() -> None:
    folio = "\n".join([
        "GRAND HOTEL DU LAC",
        "INVOICE No 88123",
        "Guest: Claire MARTIN Room 214",
        "Arrival 02/03/2026 Departure 04/03/2026",
        "Room 2 nights 2 x 95.00 190.00",
        "Cashier: NADIA",
        "VISA 190.00",
        "Balance 0.00",
    ])
    assert till_marks(folio) == {"cashier", "card"}
    assert not looks_like_a_till_slip(folio)
    assert looks_like_a_till_slip("Cashier: NADIA\nCASH 200.00\nCHANGE 10.00")


# -------------------------------------------------------------------- images


def test_a_red_stamp_is_dropped_and_black_or_blue_print_kept() -> None:
    rgb = np.full((100, 100, 3), 245, dtype=np.uint8)
    rgb[10:20, 10:90] = (20, 20, 20)  # black print
    rgb[30:40, 10:90] = (40, 40, 150)  # blue print
    rgb[50:90, 10:90] = (210, 40, 50)  # a red stamp
    gray = np.asarray(drop_red(Image.fromarray(rgb, "RGB")))
    assert gray[15, 50] < 40 and gray[35, 50] < 90  # print stays dark
    assert gray[70, 50] > 200  # the stamp becomes paper
    plain = np.asarray(Image.fromarray(rgb, "RGB").convert("L"))
    assert plain[70, 50] < 110  # where a plain grey conversion leaves it dark


def test_a_page_without_red_marks_is_plain_grey() -> None:
    rgb = np.full((60, 60, 3), 240, dtype=np.uint8)
    rgb[20:30, 5:55] = (30, 30, 90)
    img = Image.fromarray(rgb, "RGB")
    assert np.array_equal(np.asarray(drop_red(img)), np.asarray(img.convert("L")))


# -------------------------------------------------------------------- dotted print


def _dotted_text_page() -> np.ndarray:
    """Characters 16 px tall drawn in dots two pixels apart, as faded thermal print."""
    page = np.full((400, 600), 255, dtype=np.uint8)
    solid = np.full_like(page, 255)
    for row in range(6):
        cv2.putText(solid, "TOTAL 130.00 CASH", (20, 50 + 55 * row), cv2.FONT_HERSHEY_SIMPLEX,
                    0.6, 0, 2)
    dots = np.zeros_like(page, dtype=bool)
    dots[::2, ::2] = True
    page[(solid < 128) & dots] = 0
    return page


def test_dotted_print_is_smoothed_into_strokes_and_not_despeckled() -> None:
    page = _dotted_text_page()
    plain = prepare(page)
    dotted = prepare(page, dotted=True)
    assert "smooth" in dotted.enhanced and "despeckle" not in dotted.enhanced
    assert "smooth" not in plain.enhanced
    before = cv2.connectedComponents((page < 128).astype(np.uint8))[0]
    smoothed = cv2.GaussianBlur(page, (0, 0), 1.0)
    after = cv2.connectedComponents((smoothed < 200).astype(np.uint8))[0]
    assert after < before / 5  # the dots join into characters
    height = text_height(smoothed)
    assert height is not None and height >= 10


class _SmoothOnlyEngine:
    """Reads well only an image whose dots were blurred into grey strokes; orientation
    detection finds the page upright."""

    name = "smooth-only"
    turn = 0

    def check(self) -> None:
        pass

    def recognize(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> list[OcrWord]:
        strokes = np.count_nonzero((image > 60) & (image < 200))  # the dots blurred together
        conf = 92.0 if strokes > 2000 else 20.0
        return [OcrWord(t, 10 * i, 10, 40, 12, conf, 1, 1, 1)
                for i, t in enumerate(("TOTAL", "130.00", "CASH", "CHANGE"))]

    def detect_orientation(
        self, image: np.ndarray, *, dpi: int, timeout_s: float
    ) -> Orientation | None:
        return Orientation(rotate=self.turn, confidence=1.0)


def test_a_poorly_read_upright_page_is_read_again_smoothed() -> None:
    read = ocr_image(_dotted_text_page(), 150, _SmoothOnlyEngine(), 10.0)
    assert "smooth" in read.enhanced
    assert read.rotation == 0 and read.recognitions == 2
    assert min(w.confidence for w in read.words) > 90


class _SmoothOnlyTurnedEngine(_SmoothOnlyEngine):
    """... and orientation detection wrongly says the page is upside down."""

    turn = 180


def test_a_page_said_turned_is_read_turned_and_not_smoothed_too() -> None:
    # the budget: two full-page recognitions, the first and the page turned upright; the
    # turned reading is no better, so the first stands and the page is not read a third time
    read = ocr_image(_dotted_text_page(), 150, _SmoothOnlyTurnedEngine(), 10.0)
    assert read.recognitions == 2 and read.rotation == 0
    assert "smooth" not in read.enhanced


# -------------------------------------------------------------------- fields



def _laid_out(*lines: Piece, confidence: float = 95.0,
              low: dict[str, float] | None = None) -> Page:
    """A till slip read by OCR: narrow and long."""
    return laid_out_page(*lines, width=230.0, height=700.0, confidence=confidence, low=low,
                         text_source="ocr")


@pytest.fixture(scope="module")
def extractor() -> LayoutFieldExtractor:
    return LayoutFieldExtractor()


def test_a_receipt_date_under_the_shops_phone_line_is_its_date(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "KBW TOOL CENTRE (M) SDN BHD"),
        (20, 35, "Petaling Jaya, Selangor"),
        (20, 50, "TEL. 03-7832 6929"),
        (20, 62, "14/04/2018 Tax Invoice"),
        (20, 80, "Item Qty Price RM"),
        (20, 95, "HOSE CLIP 2 78.00 156.00"),
        (20, 110, "Total Amt Payable : 156.00"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["receipt_date"].value == date(2018, 4, 14)


def test_a_receipt_total_including_tax_beats_the_tax_label_beside_it(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "NORVELL MARKETING SDN BHD"),
        (20, 40, "11.02.18 14:08"),
        (20, 60, "CANON CART PG-47BK 2 * 29.00 58.00"),
        (20, 80, "Total Incl.0f GST 58.00"),
        (20, 95, "UOB Terminal RM 58.00"),
        (20, 110, "GST Inclusive Amount(RM) Tax (RM)"),
        (20, 125, "S6 = 6.00 % of 58.00 3.28"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["total_incl_tax"].value == Decimal("58.00")


def test_the_merchant_is_the_top_name_not_the_customer_under_the_header(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "VELMONT BAKERIES (NF) SDN BHD (204517 K)"),
        (20, 35, "Lot 3, Jalan Merbau 14/2,"),
        (20, 50, "Tel: 03-41235567"),
        (20, 65, "TAX INVOICE"),
        (20, 80, "SERAYU FRESH GROCER SDN BHD"),
        (20, 95, "GROUND FLOOR, NO. 4 & 6"),
        (20, 300, "Total Payable: 36.36"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["merchant_name"].value == "VELMONT BAKERIES (NF) SDN BHD"


def test_the_slips_number_ends_the_merchants_header_when_its_tax_id_is_misread(
    extractor: LayoutFieldExtractor,
) -> None:
    # "GST ID" read as "GST LD": the slip's number is then where the shop's header ends, and
    # the company named under it, in taller print, is the customer
    p = _laid_out(
        (20, 20, "VELMONT BAKERIES (NF) SDN BHD (204517 K)"),
        (20, 35, "Lot 3, Jalan Merbau 14/2,"),
        (20, 50, "GST LD (0071 2283615"),
        (20, 65, "TAX INVOICE / ADJUSTMENT NOTE"),
        (20, 80, "Cash Inv No.: 5512A408"),
        (20, 95, "VE05 14 Date: 03/09/2017"),
        (20, 110, "SERAYU FRESH GROCER SDN BHD"),
        (20, 128, "GROUND FLOOR, NO. 4 & 6,"),
        (20, 300, "Total Payable: 36.36"),
    )
    big = p.model_copy(update={"words": tuple(
        w.model_copy(update={"bbox": w.bbox.model_copy(update={"y1": w.bbox.y1 + 6})})
        if 110 <= w.bbox.y0 < 120 else w for w in p.words)})
    fields = extractor.extract([big], DocType.RECEIPT)
    assert fields["merchant_name"].value == "VELMONT BAKERIES (NF) SDN BHD"


def test_a_name_set_on_two_lines_over_its_registration_number_is_joined(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (40, 20, "KESTAURANT TAVELLO"),
        (50, 35, "TAVELLO HOUSE"),
        (50, 50, "002693074-K"),
        (20, 65, "13, LAKE ROAD 8 MARKET SQUARE"),
        (20, 300, "Total 12.00"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["merchant_name"].value == "RESTAURANT TAVELLO TAVELLO HOUSE"
    # the operator named under the shop's sign is a line of its own
    p = _laid_out(
        (40, 20, "HARBOUR TAP"),
        (20, 35, "Dwner by Korval Blue S/B"),
        (50, 50, "(1035683-T)"),
        (20, 65, "GST No : 002108047360"),
        (20, 300, "Total 12.00"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["merchant_name"].value != "HARBOUR TAP Owner by Korval Blue S/B"
    assert "Korval Blue" in fields["merchant_name"].value


def test_a_name_is_mended_from_its_address_and_its_legal_form_from_two_letters(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "KORVAL HAKDWARE"),
        (20, 35, "ENTERPRISE (BRAMLEY"),
        (20, 50, "VAIE) SUM BHU"),
        (20, 65, "822737-X"),
        (20, 80, "NO. 17-G, BRAMLEY VALE ROAD BRAMLEY VALE"),
        (20, 95, "SECTOR 13, 40170 NEWFORD,"),
        (20, 110, "GST NO: 000394528768"),
        (20, 300, "Total 12.00"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["merchant_name"].value == \
        "KORVAL HARDWARE ENTERPRISE (BRAMLEY VALE) SDN BHD"


def test_a_misread_s_slash_b_is_put_right_and_a_logo_read_as_letters_is_no_name(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 10, "d'A dt"),
        (20, 30, "99 SPEED MART 5/8 {519537-X)"),
        (20, 45, "LOT P.T. 2811, JALAN ANGSA"),
        (20, 60, "GST ID. NO : 000181747712"),
        (20, 300, "Total Sales Inclusive GST 2.50"),
        (20, 315, "CASH 5.00"),
        (20, 330, "CHANGE 2.50"),
        low={"d'A": 25.0, "dt": 32.0},
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["merchant_name"].value == "99 SPEED MART S/B"


def test_faint_grey_print_beside_a_dark_smudge_is_stretched_to_black() -> None:
    page = np.full((300, 400), 240, dtype=np.uint8)
    for row in range(5):
        cv2.putText(page, "TOTAL 13.30", (20, 40 + 50 * row), cv2.FONT_HERSHEY_SIMPLEX, 0.7,
                    185, 2)
    page[5:15, 380:390] = 30  # a smudge: what Otsu's split takes for the ink
    stretched = stretch(page)
    assert int(stretched[page == 185].mean()) < 60  # the print is dark now
    assert int(stretched[page == 240].mean()) == 255  # the paper white


def test_a_page_where_nothing_was_read_is_read_again_prepared_for_faint_print() -> None:
    page = np.full((300, 400), 240, dtype=np.uint8)
    for row in range(5):
        cv2.putText(page, "TOTAL 13.30", (20, 40 + 50 * row), cv2.FONT_HERSHEY_SIMPLEX, 0.7,
                    185, 2)
    page[:2, :] = 30  # a dark edge: the faint print passes for paper, nothing is cleaned up
    assert prepare(page).enhanced == ()

    class _DarkPrintOnly(_SmoothOnlyEngine):
        def recognize(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> list[OcrWord]:
            if np.count_nonzero(image[5:] < 100) < 500:
                return []  # the faint print is not seen at all
            return [OcrWord("TOTAL", 0, 0, 40, 12, 90.0, 1, 1, 1)]

    read = ocr_image(page, 300, _DarkPrintOnly(), 10.0)
    assert "smooth" in read.enhanced and [w.text for w in read.words] == ["TOTAL"]


def test_a_receipt_date_cut_by_ocr_spaces_is_still_read(extractor: LayoutFieldExtractor) -> None:
    p = _laid_out(
        (20, 20, "KEDRA NOODLE HOUSE"),
        (20, 40, "Date : 09- 06 2018 16: 00:43"),
        (20, 60, "Teh O Ais 2 1.20 2.40"),
        (20, 80, "Total 2.40"),
        (20, 95, "Cash 5.00"),
        (20, 110, "Change 2.60"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["receipt_date"].value == date(2018, 6, 9)
    # amounts are no dates, spaced or not
    assert _spaced_dates_of("1 X 2.10 2.10") == [] and _spaced_dates_of("26- 03-18") != []
    assert _spaced_dates_of("0Z05 - 5/60") == []  # an item code
    assert _spaced_dates_of("10Mar201818:24") == [date(2018, 3, 10)]
    assert _spaced_dates_of("19. 04-18 18:04 SHO ZJ86") == [date(2018, 4, 19)]


def _spaced_dates_of(text: str) -> list[object]:
    from extract.fields.layout_dates import _spaced_dates

    p = _laid_out((20, 20, text))
    from extract.fields.layout import build_layout

    return [c.value for c in _spaced_dates(build_layout([p]).rows, [])]


def test_a_total_whose_decimal_point_ocr_read_apart_is_still_the_total(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "LUMIERE COSMETIQUES"),
        (20, 40, "SALES DATE : 14/02/2026 18:42:05"),
        (20, 60, "HAND CREAM LAVENDER 1 * 39.90 39.90"),
        (20, 80, "Rounding Adjustment 0.00"),
        (20, 95, "Total After Rounding 39. 90"),
        (20, 110, "Item Count 1"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["total_incl_tax"].value == Decimal("39.90")


def test_a_receipt_paid_exactly_has_the_paid_amount_for_total(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "FOUR WINDS HARBOUR RESTAURANT SDN BHD"),
        (20, 40, "28-05-2018 20:11"),
        (20, 60, "Total (Inclusive of GST): 112,36"),
        (20, 75, "Rounding Adj: -0,01"),
        (20, 90, "TOTAL: 112. 35"),
        (20, 105, "CASH : 112.35"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["total_incl_tax"].value == Decimal("112.35")


def test_the_tax_summary_total_below_is_not_the_receipts_total(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "CAFE MIRABEL"),
        (20, 40, "03/04/2018 12:01"),
        (20, 60, "NASI LEMAK 2 5.60"),
        (20, 75, "(Excluded GST) Sub Total 10 94"),
        (20, 90, "Total GST 0.66"),
        (20, 105, "TOTAL 11.60"),
        (20, 125, "Tax Code % Amount GST"),
        (20, 140, "SR 6 10.94 0.66"),
        (20, 155, "Total : 10.94 0.66"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["total_incl_tax"].value == Decimal("11.60")


def test_a_british_till_balance_is_its_total_and_a_change_balance_is_not(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 10, "LLOYDS PHARMACY"),
        (20, 20, "31 Broadway"),
        (20, 35, "Date: 2026-08-23 19:32"),
        (20, 50, "Plasters 4.24"),
        (20, 65, "2 x Ibuprofen 200mg 8.80"),
        (20, 80, "BALANCE £37.31"),
        (20, 95, "Paid by: Card"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["total_incl_tax"].value == Decimal("37.31")
    p = _laid_out((20, 10, "PHARMACY LENWOOD S/B"), (20, 80, "TOTAL 79.35"),
                  (20, 95, "CASH 100.00"), (20, 110, "CHANGE/BALANCE 20.65"))
    assert extractor.extract([p], DocType.RECEIPT)["total_incl_tax"].value == Decimal("79.35")


def test_an_italian_street_line_is_not_the_merchant(extractor: LayoutFieldExtractor) -> None:
    p = _laid_out(
        (20, 10, "A"),
        (20, 20, "ENI STATION"),
        (20, 35, "71 Corso Italia"),
        (20, 50, "Milano"),
        (20, 65, "P.IVA 51110268812"),
        (20, 80, "Data: 01/06/2026 07:29"),
        (20, 200, "TOTALE EURO 79,13 EUR"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["merchant_name"].value == "ENI STATION"


@pytest.mark.parametrize("area", ["Lotissement Les Pins", "RIVERSIDE ESTATE",
                                  "Poligono Las Arenas"])
def test_the_area_line_of_an_address_is_never_the_merchant(
    extractor: LayoutFieldExtractor, area: str,
) -> None:
    """A housing estate, an industrial zone or a village named on a line of its own, with no
    number, is address (lexicon.AREA_WORDS), even where the shop's name is a logo OCR did
    not read and that line is the first on the slip."""
    p = _laid_out(
        (20, 20, area),
        (20, 35, "29200 Newford"),
        (20, 50, "Tel 04 12 34 56 78"),
        (20, 200, "TOTAL 5.00"),
    )
    merchant = extractor.extract([p], DocType.RECEIPT).get("merchant_name")
    assert merchant is None or area.split()[0] not in str(merchant.value)


@pytest.mark.parametrize("area", ["HILLCREST GARDENS", "Les Hauts de Kerlann",
                                  "Quartier Sainte-Odile", "VALE OF ORCHARDS"])
def test_a_line_between_the_street_and_the_postcode_is_address_in_any_language(
    extractor: LayoutFieldExtractor, area: str,
) -> None:
    """No word list names every district or estate: a line between a street line and the
    postcode-and-town line is part of the address by its place, whatever its words, and is
    not taken for the shop when the shop's name is a logo nobody read."""
    p = _laid_out(
        (20, 20, "14 Hawthorn Row"),
        (20, 35, area),
        (20, 50, "29200 Newford"),
        (20, 65, "Tel 04 12 34 56 78"),
        (20, 200, "TOTAL 5.00"),
    )
    merchant = extractor.extract([p], DocType.RECEIPT).get("merchant_name")
    assert merchant is None or area.split()[0] not in str(merchant.value)


def test_a_shop_name_above_its_street_and_postcode_stays_the_merchant(
    extractor: LayoutFieldExtractor,
) -> None:
    """The place that makes an area line address does not take the name printed above the
    street line."""
    p = _laid_out(
        (20, 20, "LA FROMAGERIE DU PORT"),
        (20, 35, "14 Hawthorn Row"),
        (20, 50, "29200 Newford"),
        (20, 200, "TOTAL 5.00"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["merchant_name"].value == \
        "LA FROMAGERIE DU PORT"


def test_a_total_read_with_one_digit_wrong_is_put_right_by_cash_less_change(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "BOULANGERIE DU MARCHE"),
        (20, 40, "12/03/2026 09:14"),
        (20, 60, "BAGUETTE 2 2.40"),
        (20, 75, "Total TTC 55.20"),
        (20, 90, "Espèces 100.20"),
        (20, 105, "Rendu 47.00"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["total_incl_tax"].value == Decimal("53.20")


def test_a_total_printed_twice_is_not_put_right_by_a_misread_payment(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "FERRETERIA LOPEZ"),
        (20, 40, "12/03/2026 09:14"),
        (20, 60, "SUBTOTAL 38.37"),
        (20, 75, "TOTAL (IVA INCL) 38.37"),
        (20, 90, "CASH 40.35"),
        (20, 105, "CHANGE DUE 2.00"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["total_incl_tax"].value == Decimal("38.37")


def test_a_receipt_whose_total_line_is_unreadable_has_cash_less_change_for_total(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "CORNER SHOP LTD"),
        (20, 40, "12/03/2026 09:14"),
        (20, 60, "MILK 1L 1.10"),
        (20, 75, "> Tota1 Incl. VAT CRM_34,80 \\"),
        (20, 90, "CASH 100.00"),
        (20, 105, "CHANGE 65.20"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["total_incl_tax"].value == Decimal("34.80")


def test_a_till_total_is_taken_after_its_cash_rounding(extractor: LayoutFieldExtractor) -> None:
    p = _laid_out(
        (20, 20, "TRATTORIA DA MARIO"),
        (20, 40, "12/03/2026 21:14"),
        (20, 60, "PIZZA MARGHERITA 1 21.30"),
        (20, 75, "Total (Inclusive of GST): 23.26"),
        (20, 90, "Rounding -0.01"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["total_incl_tax"].value == Decimal("23.25")
    p = _laid_out(
        (20, 20, "TRATTORIA DA MARIO"),
        (20, 40, "12/03/2026 21:14"),
        (20, 75, "Total Sales (Inclusive GST) 72.74"),
        (20, 90, "Rounding Adjustment Oi"),
        (20, 105, "Rounding 72.75"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["total_incl_tax"].value == Decimal("72.75")


def test_a_total_printed_twice_outweighs_cash_less_change_read_one_digit_apart(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "EPICERIE CENTRALE"),
        (20, 40, "19/02/2026 16:45"),
        (20, 60, "Sub-total 17.70"),
        (20, 75, "Total Sales Incl VAT 17.70"),
        (20, 90, "Total After Adj Incl VAT 17.10"),
        (20, 105, "CASH 50.10"),
        (20, 120, "Change 33.00"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["total_incl_tax"].value == Decimal("17.70")


def test_a_rounding_adjustment_printed_without_its_zero_is_applied(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "TRATTORIA DA MARIO"),
        (20, 40, "12/03/2026 21:14"),
        (20, 75, "Total Sales (Inclusive GST) RM 177,22"),
        (20, 90, "Rounding Adjustment RH -,02"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["total_incl_tax"].value == Decimal("177.20")


def test_amounts_whose_cents_ocr_read_apart_are_joined_again(
    extractor: LayoutFieldExtractor,
) -> None:
    """"RM3. 80" is 3.80, not 3.00: the total is the cash less that change, and the subtotal
    above the payment lines agrees."""
    p = _laid_out(
        (20, 20, "CORNER SHOP LTD"),
        (20, 40, "12/03/2026 09:14"),
        (20, 60, "GST TA AMI RM9U. 75"),
        (20, 75, "SUBTOTAL RM96. 20"),
        (20, 90, "CASH RM100. 00"),
        (20, 105, "YOUR CHANGE RM3. 80"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["total_incl_tax"].value == Decimal("96.20")


def test_no_total_is_made_from_a_change_misread_alone(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "CORNER SHOP LTD"),
        (20, 40, "12/03/2026 09:14"),
        (20, 60, "GST TA AMI RM9U. 75"),
        (20, 90, "CASH RM100.00"),
        (20, 105, "YOUR CHANGE RM3. 8O"),
    )
    assert "total_incl_tax" not in extractor.extract([p], DocType.RECEIPT)


def test_change_is_taken_from_the_payment_line_just_above_it(
    extractor: LayoutFieldExtractor,
) -> None:
    """"Cash 8.60" names the payment method with the total; "Tendered 9.00" is what the
    change 0.40 was given from. The total read one digit wrong is put right by 9.00 - 0.40."""
    p = _laid_out(
        (20, 20, "LEAF & CUP LENWOOD"),
        (20, 40, "Date: 21/01/2018 15 46 09"),
        (20, 60, "Hazelnut Coco -L 1 7.50 SR"),
        (20, 75, "Total Sales Incl GST@6% RM 8.00"),
        (20, 90, "Cash 8.60"),
        (20, 105, "Tendered 9.00"),
        (20, 120, "Change 0.40"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["total_incl_tax"].value == Decimal("8.60")


def test_a_receipt_with_only_its_subtotal_readable_gives_it_with_little_confidence(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "AIK HUAT HARDWARE ENTERPRISE"),
        (20, 40, "TOTAL QUANTITY 2"),
        (20, 55, "SUB-TOTAL (GST) 2.50"),
        (20, 70, "ROUNDING 0.00"),
        (20, 85, "TOTAL 2 350"),
    )
    total = extractor.extract([p], DocType.RECEIPT)["total_incl_tax"]
    assert total.value == Decimal("2.50")
    assert total.confidence < 0.7


def test_payment_less_change_is_the_total_when_the_totals_label_is_misread(
    extractor: LayoutFieldExtractor,
) -> None:
    """"Payment" labels a payment method for the lexicon, yet opens a payment line."""
    p = _laid_out(
        (20, 20, "ONG KAH WEE TOOLS TRADING"),
        (20, 40, "Date 29/12/2017 1141"),
        (20, 60, "3 00 x 2.00 6.00 SR"),
        (20, 75, "Total ! of GST 6 0O"),
        (20, 90, "Payment 6.00"),
        (20, 105, "Change Due 0.00 |"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["total_incl_tax"].value == Decimal("6.00")


def test_a_misread_payment_gives_way_to_the_subtotal_printed_twice(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "RM CRAFTWORK & SEWING"),
        (20, 40, "1000PKTS x 1300 130.00 SR"),
        (20, 55, "Subtotal : 130.00"),
        (20, 70, "Total Incl. of GST 86"),
        (20, 85, "Payment : 430.00"),
        (20, 100, "Change Due : 0.00"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["total_incl_tax"].value == Decimal("130.00")


def test_a_total_whose_point_ocr_lost_is_taken_where_cash_less_change_says_it(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "OLIVA PHARMACY SDN BHD"),
        (20, 40, "RECEIPT #: CS00168420 DATE: 31/03/2017"),
        (20, 60, "2555060603117 1 4.90 0.00 4.90"),
        (20, 75, "SUB-TOTAL (GST) 12.19"),
        (20, 90, "TOTAL 1215"),
        (20, 105, "CASH 50.15"),
        (20, 120, "CHANGE 38. 00"),  # its cents read apart
    )
    total = extractor.extract([p], DocType.RECEIPT)["total_incl_tax"]
    assert total.value == Decimal("12.15")
    assert total.bbox is not None and total.bbox.y0 == 90  # shown on the total's line


def test_a_bare_number_on_a_total_line_is_no_total_without_a_witness(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "OLIVA PHARMACY SDN BHD"),
        (20, 60, "ITEM 2555060603117 4.90"),
        (20, 90, "TOTAL 1215"),
        (20, 105, "CASH 50.00"),
        (20, 120, "CHANGE 38.00"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["total_incl_tax"].value != Decimal("12.15")


def test_an_unreadable_grand_total_is_the_sum_of_the_partial_totals_above_it(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "SUNRISE BAKERY (M) SDN BHD"),
        (20, 40, "Date: 06/08/2017"),
        (20, 60, "WHOLEMEAL 2.78 5 13.90"),
        (20, 75, "Total 6% supplies (excl. GST): 13.30"),
        (20, 90, "GST: 0.80"),
        (20, 105, "Total 6% supplies (Inc. GST): 14.10"),
        (20, 120, "Total 0% supplies: 54.31"),
        (20, 135, "Total Payable: En 4"),
    )
    total = extractor.extract([p], DocType.RECEIPT)["total_incl_tax"]
    assert total.value == Decimal("68.41")
    assert total.confidence < 0.8  # a sum made, not a total read


def test_no_grand_total_is_summed_where_one_of_the_lines_is_the_total_already(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "CORNER SHOP LTD"),
        (20, 60, "Total excl. VAT 100.00"),
        (20, 75, "Total VAT 20.00"),
        (20, 90, "Total incl. VAT 120.00"),
        (20, 105, "Total to pay: ~~~"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["total_incl_tax"].value == Decimal("120.00")


def test_paid_less_change_is_the_total_where_subtotal_tax_and_rounding_agree(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "LEONG TOOLS SDN BHD"),
        (20, 40, "Date : 04-05-18 12:50:51 PM"),
        (20, 60, "1 11.53 11.53 SR"),
        (20, 75, "2 Item(s) Total (MYR): 17.93"),
        (20, 90, "GST @ 6% : 1.08"),
        (20, 105, "Net Total (MYR) :"),
        (20, 120, "Rounding Adj. : -0.01"),
        (20, 135, "Net Total Rounded (MYR) :"),
        (20, 150, "Cash : 19.00"),
        (20, 165, "Change : 0.00"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["total_incl_tax"].value == Decimal("19.00")


def test_a_date_whose_separator_before_the_year_was_lost_is_read(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "GIN KEE HARDWARE"),
        (20, 40, "Doc No : CS00013118 Date: 03/022018"),
        (20, 60, "Total Sales (Inclusive of GST) :- 60.95"),
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["receipt_date"].value == date(2018, 2, 3)
    assert fields["total_incl_tax"].value == Decimal("60.95")  # ":-" is no minus sign


def test_a_name_over_its_legal_form_is_joined_without_the_logos_specks(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 10, "Fe MERIDIAN BOOKS à"),
        (20, 25, "CO. (M) SDN BHD"),
        (20, 40, "(Co. No. 524117-P)"),
        (20, 55, "Tel : 03-61234570"),
        (20, 300, "Total 12.00"),
        low={"Fe": 40.0, "à": 30.0},
    )
    p2 = _laid_out(
        (20, 10, "MERIDIAN | BOOKS"),
        (20, 25, "CO. (M) SDN BHD"),
        (20, 55, "Tel : 03-61234570"),
    )
    for page in (p, p2):
        fields = extractor.extract([page], DocType.RECEIPT)
        assert fields["merchant_name"].value == "MERIDIAN BOOKS CO. (M) SDN BHD"


def test_a_lower_case_legal_form_misread_is_put_right(extractor: LayoutFieldExtractor) -> None:
    p = _laid_out(
        (20, 10, "Dimiliki: mirabel cafe son bhd 1110644-H"),
        (20, 25, "No. 1 Jalan Puteri 7/10"),
        (20, 40, "(GST Reg. No : 000306700288)"),
    )
    assert extractor.extract([p], DocType.RECEIPT)["merchant_name"].value == \
        "mirabel cafe SDN BHD"


def test_a_mark_read_again_inside_a_words_box_is_left_out_of_the_name(
    extractor: LayoutFieldExtractor,
) -> None:
    page = _laid_out(
        (20, 10, "TRADING SOLVI RIA"),
        (20, 25, "NO7, UERO ROAD, NEWFORD"),
        (20, 300, "TOTAL 22.60"),
    )
    ria = next(w for w in page.words if w.text == "RIA")
    echo = ria.model_copy(update={"text": "4", "bbox": ria.bbox.model_copy(
        update={"x0": ria.bbox.x1 - 5.0})})
    # a number's cents inside its box stay: "39." over "90"
    amount = next(w for w in page.words if w.text == "22.60")
    cents = amount.model_copy(update={"text": "60", "bbox": amount.bbox.model_copy(
        update={"x0": amount.bbox.x1 - 10.0})})
    split = amount.model_copy(update={"text": "22."})
    words = [w for w in page.words if w is not amount] + [echo, split, cents]
    page = page.model_copy(update={"words": words})
    fields = extractor.extract([page], DocType.RECEIPT)
    assert fields["merchant_name"].value == "TRADING SOLVI RIA"
    assert fields["total_incl_tax"].value == Decimal("22.60")


def test_a_subtotal_whose_cents_ocr_read_apart_is_the_guess_left_when_nothing_else_reads(
    extractor: LayoutFieldExtractor,
) -> None:
    p = _laid_out(
        (20, 20, "GHEE HOCK DISTRIBUTOR SDN BHD"),
        (20, 40, "Date : 13/04/2018"),
        (20, 60, "2 TAU SAR PNEAH 24PCS @12.50 25.00 SR"),
        (20, 75, "2 SubTotal"), (170, 75, "25. .00"),  # the point read twice
        (20, 90, "Net Total"), (170, 90, "25. 3"),
        (20, 105, "C"), (170, 105, "50.00"),  # "Cash", its label worn away
    )
    total = extractor.extract([p], DocType.RECEIPT)["total_incl_tax"]
    assert total.value == Decimal("25.00")
    assert total.bbox is not None and total.bbox.y0 == 75
    assert total.confidence < 0.5  # a guess for a person to check


def test_a_short_word_inside_a_photographed_words_box_stays(
    extractor: LayoutFieldExtractor,
) -> None:
    page = laid_out_page((20, 10, "Garage du Lac"), (20, 25, "148 rue Pasteur 37000 Tours"),
                         (20, 40, "FACTURE"), text_source="ocr")
    garage = next(w for w in page.words if w.text == "Garage")
    wide = garage.model_copy(update={"bbox": garage.bbox.model_copy(update={"x1": 95.0})})
    page = page.model_copy(update={"words": [wide if w is garage else w for w in page.words]})
    fields = extractor.extract([page], DocType.INVOICE)
    assert fields["supplier_name"].value == "Garage du Lac"
