"""General rules of how invoices, receipts and certificates are written, each on a small page
built in the test (words with boxes, no OCR)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from extract.fields import LayoutFieldExtractor
from extract.fields.layout_parties import _clean_company
from mailroom.models import DocType, Page
from tests.unit.laid_out import LINE_H, Piece, laid_out_page


def page(*lines: Piece, height: float = LINE_H) -> Page:
    return laid_out_page(*lines, line_height=height)


@pytest.fixture(scope="module")
def extractor() -> LayoutFieldExtractor:
    return LayoutFieldExtractor()


# ----------------------------------------------------------------------------- receipts


def test_total_qualified_by_its_tax_is_the_total_not_the_tax(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((60, 80, "MIRABEL GROCERY ENTERPRISE"),
             (40, 400, "TOTAL SALES (EXCLUDING GST) : 20.00"),
             (40, 415, "GST 6% : 1.20"),
             (40, 430, "TOTAL INCL. OF GST : 21.20"))
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["total_incl_tax"].value == Decimal("21.20")


def test_receipt_total_is_tendered_less_change_not_the_tax_summary(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((60, 80, "VERDANT CORNER MART SDN BHD"),
             (40, 400, "SUB-TOTAL 24.60"),
             (40, 415, "TOTAL SALES 24.60"),
             (40, 430, "CASH 30.00"),
             (40, 445, "CHANGE 5.40"),
             (40, 480, "GST SUMMARY AMOUNT TAX"),
             (40, 495, "TOTAL 23.21 1.39"))
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["total_incl_tax"].value == Decimal("24.60")


def test_receipt_total_is_the_amount_after_the_rounding_line(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((60, 80, "CAFE SELERA SDN BHD"),
             (40, 400, "TOTAL (EXCLUDING GST): 21.30"),
             (40, 415, "GST PAYABLE (6%): 1.31"),
             (40, 430, "TOTAL (INCLUSIVE OF GST): 23.26"),
             (40, 445, "ROUNDING ADJ: -0.01"),
             (40, 460, "TOTAL: 23.25"))
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["total_incl_tax"].value == Decimal("23.25")


def test_unlabelled_amount_equal_to_subtotal_plus_tax_is_the_total(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((60, 80, "LAMPU JAYA SDN BHD"),
             (40, 400, "SUB TOTAL :"), (200, 400, "RM 68.87"),
             (40, 415, "GST/TAX 6% :"), (200, 415, "RM 4.13"),
             (40, 430, "TO :"), (200, 430, "RM 73.00"),
             (40, 445, "CHANGE:"), (200, 445, "RM 0.00"))
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["total_incl_tax"].value == Decimal("73.00")


def test_merchant_name_drops_its_registration_number_and_joins_its_legal_form_line(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((100, 60, "MIRABEL WHOLESALE MART"), (120, 71, "SDN BHD (123456-X)"),
             (90, 90, "NO 19, LAKE ROAD 4"), (90, 105, "56000 PORT CALDER"),
             (40, 400, "TOTAL 8.20"))
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["merchant_name"].value == "MIRABEL WHOLESALE MART SDN BHD"


def test_company_registration_label_is_not_a_merchant_name(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((40, 60, "LENWOOD HEALTH SDN BHD"), (40, 75, "NEWFORD MALL"),
             (40, 90, "COMPANY REG #1101083-T"), (40, 400, "TOTAL 12.00"))
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["merchant_name"].value == "LENWOOD HEALTH SDN BHD"


@pytest.mark.parametrize(
    ("printed", "name"),
    [("KORVAL IDEA SDN BHD (417940-M),", "KORVAL IDEA SDN BHD"),
     ("OWN BY: CHEF TAVELLO SDN BHD", "CHEF TAVELLO SDN BHD"),
     ("MIRABEL CAFE SDN BHD 1110644-W", "MIRABEL CAFE SDN BHD"),
     ("Garage du Lac", "Garage du Lac"),
     # a legal form misread by OCR is a closed list: put right
     ("K&T VENTURE SON BHD", "K&T VENTURE SDN BHD"),
     ("M.K. TOOLS (LENWOOD) SDN BHO", "M.K. TOOLS (LENWOOD) SDN BHD"),
     ("Dépannage Dupuis S4RL", "Dépannage Dupuis SARL"),
     ("Velmont Properties Sd BHD", "Velmont Properties SDN BHD"),  # its N lost
     ("mirabel cafe son bhd", "mirabel cafe SDN BHD"),  # in lower case
     ("SONIA BOND", "SONIA BOND")],
)
def test_company_name_cleaning(printed: str, name: str) -> None:
    assert _clean_company(printed) == name


# ----------------------------------------------------------------------------- invoices


def test_equally_long_labels_the_one_next_to_the_value_wins(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((40, 80, "Facture FA-2017-0010"),
             (80, 420, "Taxe Base Montant Total HT 624,90 €"),
             (400, 435, "Total taxes 46,25 €"),
             (400, 450, "Total TTC 671,15 €"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["total_excl_tax"].value == Decimal("624.90")
    assert fields["total_incl_tax"].value == Decimal("671.15")


def test_credit_note_number_and_not_the_related_invoice(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((40, 80, "Avoir AV-2017-0005"),
             (40, 120, "Date de facture 16/11/2017"),
             (40, 135, "Facture liée FA-2017-0010"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["invoice_number"].value == "AV-2017-0005"


def test_service_period_is_not_the_invoice_date(extractor: LayoutFieldExtractor) -> None:
    p = page((470, 60, "FACTURE"), (500, 80, "20/09/2023"),
             (60, 300, "Chambre du 09/08/2023 au 15/08/2023 6 205,90 €"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["invoice_date"].value == date(2023, 9, 20)


def test_a_law_dated_years_before_is_not_the_invoice_date(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((470, 60, "FACTURE"), (500, 80, "20/09/2023"),
             (40, 300, "Échéance : 19/10/2023"),
             (40, 650, "La loi n°92/1442 du 31 décembre 1992 nous oblige"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["invoice_date"].value == date(2023, 9, 20)


def test_related_invoice_date_is_not_the_invoice_date(extractor: LayoutFieldExtractor) -> None:
    p = page((40, 60, "FACTURE N° : F20260023"), (300, 75, "Date : 31/01/2026"),
             (40, 300, "DATE DE FACTURE ASSOCIÉE : 01/01/2026"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["invoice_date"].value == date(2026, 1, 31)


def test_number_under_the_title_after_a_number_sign(extractor: LayoutFieldExtractor) -> None:
    p = page((470, 60, "FACTURE"), (500, 80, "20/09/2023"), (492, 95, "nº 2023-6013"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["invoice_number"].value == "2023-6013"


def test_supplier_named_by_the_legal_mentions(extractor: LayoutFieldExtractor) -> None:
    p = page((175, 50, "FACTURE N° F2026-3340"), (20, 100, "Police : PA2885069"),
             (20, 112, "41 rue de l'Église"), (20, 124, "69003 Lyon"),
             (20, 140, "Roche Automobiles"),
             (80, 780, "Roche Automobiles - SARL au capital de 7 500 € - RCS Lyon B 338 727 183"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["supplier_name"].value == "Roche Automobiles"


def test_customer_is_the_first_line_of_the_addressee_block_on_the_right(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((40, 60, "Hôtel du Pacano SARL"), (40, 75, "2, rue de la Paix"),
             (40, 90, "75000 Paris"),
             (400, 250, "Securibox SARL"), (400, 265, "27, Rue de Bassano"),
             (400, 280, "75008 Paris"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["customer_name"].value == "Securibox SARL"
    assert fields["supplier_name"].value == "Hôtel du Pacano SARL"


def test_bare_client_word_without_separator_labels_nothing(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((40, 60, "Facture n° 12"), (300, 100, "CLIENT NOM COMMERCIAL"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert "customer_name" not in fields


def test_year_of_a_date_is_not_an_amount(extractor: LayoutFieldExtractor) -> None:
    p = page((40, 60, "Factuurnummer: 993548900"),
             (400, 600, "Totaal € 717,97"),
             (90, 612, "Totaal € 717,97 iDEAL op 21 april 2015 € 717,97"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["total_incl_tax"].value == Decimal("717.97")


def test_month_first_date_beside_an_ambiguous_one(extractor: LayoutFieldExtractor) -> None:
    p = page((30, 60, "Invoice INV/2023/03/0008"),
             (30, 250, "Invoice Date: Due Date: Reference:"),
             (30, 265, "03/20/2023 04/04/2023 CUSTREF123"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["invoice_date"].value == date(2023, 3, 20)


# ----------------------------------------------------------------------------- certificates


def test_patient_named_in_running_text_across_the_line_break(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((50, 50, "Docteur Rémi TRAN"), (50, 65, "Chirurgien orthopédiste"),
             (50, 240, "Je soussigné(e), Docteur Rémi TRAN, certifie avoir examiné ce jour "
                       "Madame Camille"),
             (50, 252, "VIDAL, né(e) le 09/08/1967, demeurant 49 rue Victor Hugo."))
    fields = extractor.extract([p], DocType.MEDICAL_CERTIFICATE)
    assert fields["practitioner_name"].value == "Rémi TRAN"
    assert fields["patient_name"].value == "Camille VIDAL"


def test_issue_date_is_the_signature_date_not_the_accident_date(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((50, 50, "Dr Amélie LE GALL"),
             (50, 280, "Le patient déclare avoir été victime d'un accident le 9 avril 2026."),
             (340, 440, "Fait à Rennes, le 12 avril 2026"))
    fields = extractor.extract([p], DocType.MEDICAL_CERTIFICATE)
    assert fields["issue_date"].value == date(2026, 4, 12)
    assert fields["practitioner_name"].value == "Amélie LE GALL"


def test_reference_read_in_groups_is_joined(extractor: LayoutFieldExtractor) -> None:
    p = page((40, 60, "Facture n° 2026-77"),
             (40, 200, "N° contrat : CTR 218 69940"),
             (40, 215, "Votre référence : _AST-2026-003753"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["policy_number"].value == "CTR21869940"
    assert fields["dossier_reference"].value == "AST-2026-003753"


def test_merchant_is_in_the_header_above_its_phone_not_the_billed_shop(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((40, 70, "VELMONT BAKERIES (NF) SDN BHD (139386 X)"),
             (170, 95, "LOT 3, JALAN MERBAU 14/2,"),
             (120, 140, "TEL: 03- 55423228 FAX:03- 55423213"),
             (140, 208, "TAX INVOICE / ADJUSTMENT NOTE"),
             (26, 334, "SERAYU FRESH GROCER SDN BHD", ),
             (30, 375, "GROUND FLOOR, NO. 4 & 6,"),
             (190, 608, "TOTAL : 53.14"))
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["merchant_name"].value == "VELMONT BAKERIES (NF) SDN BHD"


def test_name_cut_inside_brackets_is_completed_from_the_lines_around(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((80, 200, "KORVAL HARDWARE"), (83, 212, "ENTERPRISE (BRAMLEY"),
             (129, 224, "VALE) SDN BHD"), (240, 240, "822737-X"),
             (40, 600, "TOTAL 16.00"))
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["merchant_name"].value == "KORVAL HARDWARE ENTERPRISE (BRAMLEY VALE) SDN BHD"


def test_a_name_with_place_words_is_still_a_name(extractor: LayoutFieldExtractor) -> None:
    p = page((43, 16, "LE BISTROT DE LA PLACE"), (48, 31, "28 Aire de Montélimar Est"),
             (10, 99, "Ticket 38964 Caisse 8"), (10, 160, "TOTAL 40,56"))
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["merchant_name"].value == "LE BISTROT DE LA PLACE"


def test_document_title_is_not_the_supplier(extractor: LayoutFieldExtractor) -> None:
    p = page((176, 55, "Facture"), (20, 90, "Hôtel de la Gare"),
             (20, 102, "142 rue de la Gare"), (20, 114, "31000 Toulouse"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["supplier_name"].value == "Hôtel de la Gare"


def test_tax_total_label_and_currency_inside_the_total_label(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((40, 60, "Invoice 4711"),
             (90, 450, "Net total"), (400, 450, "2,076.76 €"),
             (90, 465, "Tax Total"), (400, 465, "0.00 €"),
             (350, 485, "Total EUR 2,076.76"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["vat_amount"].value == Decimal("0.00")
    assert fields["total_incl_tax"].value == Decimal("2076.76")


def test_a_document_writing_dates_month_first_reads_its_ambiguous_dates_month_first() -> None:
    from extract.fields.candidates import date_candidates, document_is_month_first
    from extract.fields.layout import build_rows

    rows = build_rows(page((40, 100, "Invoice Date 11/03/2017"), (40, 130, "Paid 11/17/2017")))
    assert document_is_month_first(rows)
    dates = sorted(c.value.isoformat() for c in date_candidates(rows, ("en",)))
    assert dates == ["2017-11-03", "2017-11-17"]


def test_a_day_first_document_keeps_reading_day_first() -> None:
    from extract.fields.candidates import date_candidates, document_is_month_first
    from extract.fields.layout import build_rows

    rows = build_rows(
        page((40, 100, "Date de facture 11/03/2017"), (40, 130, "Échéance 25/03/2017"))
    )
    assert not document_is_month_first(rows)
    dates = sorted(c.value.isoformat() for c in date_candidates(rows, ("fr",)))
    assert dates == ["2017-03-11", "2017-03-25"]


def test_a_credit_note_gives_positive_totals_as_en16931_states_them(
    extractor: LayoutFieldExtractor,
) -> None:
    from extract.fields import extract_fields, is_credit_note

    p = page(
        (40, 60, "AVOIR"),
        (40, 80, "Avoir n° AV-2026-0012"),
        (300, 600, "Total HT -100,00 €"),
        (300, 620, "TVA 20 % -20,00 €"),
        (300, 640, "Total TTC -120,00 €"),
    )
    assert is_credit_note([p])
    fields = extract_fields([p], DocType.INVOICE)
    assert fields["total_incl_tax"].value == Decimal("120.00")
    assert fields["total_excl_tax"].value == Decimal("100.00")


def test_a_certificate_sentence_with_avoir_is_not_a_credit_note() -> None:
    from extract.fields import is_credit_note

    assert not is_credit_note([page((40, 60, "avoir examiné ce jour Madame Claire MARTIN"))])


def test_a_bare_invoice_word_heading_a_table_column_owns_the_value_below_it() -> None:
    page = laid_out_page(
        (40, 40, "Strategic Corp"),
        (40, 60, "Kopie factuur"),
        (44, 283, "Klant"), (144, 283, "Order"), (315, 283, "Factuur datum"),
        (432, 283, "Factuur"), (500, 283, "Vervaldatum"),
        (44, 295, "SCONL0303006280999"), (144, 295, "SCONL000000444"), (338, 295, "8-9-2022"),
        (409, 295, "VF1005193039"), (512, 295, "22-9-2022"),
        (40, 400, "Factuur totaal EUR 49,99"),
    )
    fields = LayoutFieldExtractor().extract([page], DocType.INVOICE)
    assert fields["invoice_number"].value == "VF1005193039"
    assert fields["invoice_date"].value == date(2022, 9, 8)


def test_a_bare_invoice_title_still_owns_nothing_below_it() -> None:
    page = laid_out_page(
        (40, 40, "Garage du Lac"),
        (250, 80, "FACTURE"),
        (250, 92, "AST-2026-0042"),  # the dossier's reference under the title, no "N°"
        (40, 120, "Réparation 120,00"),
    )
    fields = LayoutFieldExtractor().extract([page], DocType.INVOICE)
    assert "invoice_number" not in fields



def test_total_label_on_its_own_skewed_row_owns_the_amount_beside_it(
    extractor: LayoutFieldExtractor,
) -> None:
    # the till printed "TOTAL" a little lower than its amount: two rows, one printed line
    p = laid_out_page(
        (120, 90, "STATION DU PLATEAU"),
        (96, 146, "09/11/2025 18:02"),
        (90, 168, "GAZOLE 31,20 L x 1,79"),
        (252, 204, "55,85 €"),
        (95, 211, "TOTAL"),
        (96, 230, "CARTE BANCAIRE"),
        line_height=8.6,
    )
    fields = extractor.extract([p], DocType.RECEIPT)
    assert fields["total_incl_tax"].value == Decimal("55.85")


def test_a_payer_labels_a_receipts_total(extractor: LayoutFieldExtractor) -> None:
    from extract.fields.layout import build_layout
    from extract.fields.nlp import SpacyNlp

    p = page((60, 14, "RELAIS DU COL"), (14, 155, "A PAYER 81,20 EUR"),
             (14, 170, "Montant débité 81,20"))
    hits = SpacyNlp().find_labels(build_layout([p]).rows)
    assert [h.row.index for h in hits if "total_incl_tax" in h.kinds] == [1, 2]


def test_a_tax_amount_column_beside_the_tax_base_column_stays_the_tax(
    extractor: LayoutFieldExtractor,
) -> None:
    # a VAT breakdown's header cells, close together: "Montant TVA" is a label of its own
    # (the tax), not a word qualifying the base's label, and the base is the total HT
    p = page((60, 80, "ATELIER VERNIER SARL"),
             (40, 120, "Facture F-2291 du 12/03/2026"),
             (40, 400, "Désignation"), (330, 400, "Montant"),
             (40, 415, "Remorquage véhicule"), (330, 415, "120,00"),
             (250, 470, "Taux"), (290, 470, "Base HT"), (331, 470, "Montant TVA"),
             (392, 470, "Total"),
             (250, 485, "20 %"), (295, 485, "120,00"), (350, 485, "24,00"), (395, 485, "144,00"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["vat_amount"].value == Decimal("24.00")
    assert fields["total_excl_tax"].value == Decimal("120.00")
    assert fields["total_incl_tax"].value == Decimal("144.00")


@pytest.mark.parametrize("line", [
    "UStId DE 232 446 240",
    "Steuer-Nr. 044 241 601 03   UStId DE 232 446 240",
    "BTW-id DE 232 446 240",
])
def test_a_vat_number_in_groups_after_its_label_written_as_one_word(
    extractor: LayoutFieldExtractor, line: str,
) -> None:
    p = page((60, 80, "ATELIER VERNIER GMBH"),
             (40, 120, "Rechnung R-2291 vom 12.03.2026"),
             (40, 400, "Gesamtbetrag 144,00 EUR"),
             (40, 700, line))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["supplier_vat_number"].value == "DE232446240"


@pytest.mark.parametrize("title", [
    "FACTURE ACQUITTÉE N° TXV-40213",
    "Facture originale n° TXV-40213",
    "FACTURE DUPLICATA N° TXV-40213",
])
def test_an_invoice_title_qualified_before_its_number_still_introduces_it(
    extractor: LayoutFieldExtractor, title: str,
) -> None:
    p = page((40, 40, "Taxis du Val Exemple"),
             (40, 55, "8 chemin des Saules 21000 Dijon"),
             (40, 160, title),
             (40, 175, "Date d'émission 24 mars 2026"),
             (40, 300, "Total HT 90,00"), (40, 315, "Total TVA 9,00"),
             (40, 330, "Total à régler 99,00 EUR"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["invoice_number"].value == "TXV-40213"


def test_an_abbreviation_read_with_commas_for_its_points_is_still_its_label(
    extractor: LayoutFieldExtractor,
) -> None:
    # OCR reads the points of "T.V.A." as commas now and then
    p = page((40, 40, "Remorquage Exemple"),
             (40, 160, "FACTURE RX-311"),
             (300, 300, "Total H,T, 250,00 €"),
             (300, 315, "T,V,A, (20%) 50,00 €"),
             (300, 330, "Net à payer 300,00 €"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["vat_amount"].value == Decimal("50.00")
    assert fields["total_excl_tax"].value == Decimal("250.00")


def test_a_tax_free_extra_line_is_not_added_to_the_printed_vat_total(
    extractor: LayoutFieldExtractor,
) -> None:
    # a hotel's tourist tax is outside VAT: TTC is not HT + TVA, and the printed VAT total
    # stays the VAT (not TTC - HT, made up of the VAT and that line)
    p = page((40, 40, "Hôtel des Remparts Exemple"),
             (40, 160, "Facture FH-7781"),
             (40, 240, "Nuitée chambre simple 2 75,00 10 % 150,00"),
             (40, 255, "Taxe de séjour (1,50 x 2 nuits) - non soumise à TVA 3,00"),
             (300, 300, "Total H.T. 150,00"),
             (300, 315, "Total TVA 15,00"),
             (300, 330, "Taxe de séjour 3,00"),
             (300, 345, "Total TTC 168,00 €"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["vat_amount"].value == Decimal("15.00")
    assert fields["total_incl_tax"].value == Decimal("168.00")


def test_a_bic_printed_above_its_label_is_taken_when_the_bank_registry_knows_it(
    extractor: LayoutFieldExtractor,
) -> None:
    # a neo-bank's RIB prints each value over its caption; a capital word of the page is no
    # BIC, a BIC the bank registry knows is one
    p = page((40, 40, "Banque Exemple"), (40, 55, "Relevé d'identité bancaire"),
             (40, 80, "M. ANTOINE EXEMPLE"),
             (40, 120, "FR76 3000 4000 0312 3456 7890 143"), (400, 120, "BANQUE EXEMPLE NORD"),
             (40, 135, "IBAN"), (40, 160, "BNPAFRPP"), (40, 175, "BIC"),
             (40, 220, "Communiquez ce RIB pour recevoir des VIREMENTS"))
    fields = extractor.extract([p], DocType.BANK_DETAILS)
    assert fields["bic"].value == "BNPAFRPP"
    alone = page((40, 40, "Banque Exemple"), (40, 120, "FR76 3000 4000 0312 3456 7890 143"),
                 (40, 220, "VIREMENT SEPA RECU"))
    assert "bic" not in extractor.extract([alone], DocType.BANK_DETAILS)


@pytest.mark.parametrize("first, second", [
    ("Incapacité totale de travail : 8 jours, sauf complications. Arrêt de travail du",
     "29/09/2026 au 06/10/2026 inclus."),
    ("Arrêt de travail du 29/09/2026 au 06/10/2026 inclus.", ""),
])
def test_a_period_wrapped_after_its_opening_word_keeps_its_start(
    extractor: LayoutFieldExtractor, first: str, second: str,
) -> None:
    # the sentence wraps between "du" and the first date: the date starts the next line
    p = page((40, 40, "CENTRE HOSPITALIER EXEMPLE"), (400, 40, "Dr Yvon Exemple"),
             (40, 120, "CERTIFICAT MÉDICAL INITIAL"),
             (40, 140, "Nom : LE BRAS Mathis"),
             (40, 220, "Je soussigné, Docteur Yvon Exemple, certifie avoir examiné le patient"),
             (40, 250, first), (40, 260, second), (300, 320, "Lyon, le 29/09/2026"))
    fields = extractor.extract([p], DocType.MEDICAL_CERTIFICATE)
    assert fields["incapacity_start"].value == date(2026, 9, 29)
    assert fields["incapacity_end"].value == date(2026, 10, 6)


def test_an_accounting_pieces_number_and_the_clients_reference_are_read_by_their_labels(
    extractor: LayoutFieldExtractor,
) -> None:
    # invoicing software that names the invoice a « pièce » and cites the client's file
    # as « Vos réf. »
    p = page((40, 40, "Remorquage du Lac Exemple"),
             (40, 160, "Facture"),
             (40, 175, "N° pièce : RL2026-0917"),
             (40, 190, "Date de facture : 17/03/2026"),
             (40, 205, "Vos réf.: DOS-2026-551203"),
             (300, 300, "TOTAL HORS TAXES 100,00 €"), (300, 315, "TVA (20%) 20,00 €"),
             (300, 330, "TOTAL T.T.C. 120,00 €"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["invoice_number"].value == "RL2026-0917"
    assert fields["dossier_reference"].value == "DOS-2026-551203"
