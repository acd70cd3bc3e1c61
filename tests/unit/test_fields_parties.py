"""Who is who on an invoice (the seller, not the buyer), OCR slips in names and BICs: each rule
on a small page built in the test (words with boxes and confidences, no OCR)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extract.fields import LayoutFieldExtractor
from extract.fields.layout import build_rows
from extract.fields.layout_parties import _clean_company
from extract.identifiers import read_bic
from mailroom.models import BBox, DocType, Page, Word
from tests.unit.laid_out import LINE_H, Piece, laid_out_page


def page(*lines: Piece, height: float = LINE_H) -> Page:
    """Pieces read by OCR, at 96 % unless a piece says otherwise."""
    return laid_out_page(*lines, line_height=height, confidence=96.0, text_source="ocr")


@pytest.fixture(scope="module")
def extractor() -> LayoutFieldExtractor:
    return LayoutFieldExtractor()


# ----------------------------------------------------------------------------- the seller


def test_seller_words_inside_the_letterhead_are_not_labels(
    extractor: LayoutFieldExtractor,
) -> None:
    # "LE FOURNISSEUR", "SELLER TRADE NAME", "Seller line 2": the words name the party, they
    # do not label the buyer's block printed on their right
    p = page((40, 40, "LE FOURNISSEUR"), (300, 40, "FACTURE N° : F20260023"),
             (300, 55, "Date : 31/01/2026"),
             (40, 70, "SELLER TRADE NAME"), (300, 70, "CLIENT :"),
             (40, 82, "LE FOURNISSEUR"), (300, 82, "Buyer contact name"),
             (40, 94, "35 rue d'ici, Seller line 2"), (300, 94, "LE CLIENT"),
             (40, 106, "75018 PARIS, FR"), (300, 106, "MON ADRESSE LIGNE 1"),
             (40, 118, "SIRET : 12345678200077"), (300, 118, "06000 MA VILLE, FR"),
             (150, 790, "FOURNISSEUR F SARL au capital de 50 000 EUR - RCS MAVILLE"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["supplier_name"].value == "LE FOURNISSEUR"


def test_a_seller_label_with_a_colon_still_names_the_seller(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((40, 40, "FACTURE N° 2026-118"),
             (40, 70, "Fournisseur : Garage Martin"), (300, 70, "Client : Jean DUPONT"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["supplier_name"].value == "Garage Martin"


def test_logo_placeholder_is_not_part_of_the_name() -> None:
    assert _clean_company("LOGO LE FOURNISSEUR") == "LE FOURNISSEUR"
    assert _clean_company("Logo: Acme Conseil") == "Acme Conseil"
    assert _clean_company("Logomatic SARL") == "Logomatic SARL"


def test_legal_mention_name_with_a_particle_names_the_seller(
    extractor: LayoutFieldExtractor,
) -> None:
    # "du" is also a date label ("du 12/03"): inside a company name it is a word
    p = page((175, 50, "Facture"), (175, 70, "Réf. facture : RDP261126"),
             (20, 110, "Tél. 05 34 55 13 46"),
             (80, 780, "Remorquage du Parc - SASU au capital de 50 000 € - RCS Strasbourg"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["supplier_name"].value == "Remorquage du Parc"


def test_letterhead_sharing_a_row_with_the_addressee_block_is_the_seller(
    extractor: LayoutFieldExtractor,
) -> None:
    # the seller's name on the left stands on a row of the buyer's block on the right, and
    # runs into the "Date :" label of the middle column without a column gap
    p = page((175, 40, "Facture", 0.0),
             (175, 70, "Réf. facture : RDP261126"), (360, 70, "Mme Fatima LE GALL"),
             (20, 85, "Remorquage du Parc Date : 12/08/2026"),
             (360, 85, "142 bis place de la République"),
             (175, 100, "Échéance : à réception"), (360, 100, "26000 Valence"),
             (20, 115, "18 boulevard de la Liberté"), (20, 127, "67000 Strasbourg"),
             (20, 139, "Tél. 05 34 55 13 46"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["supplier_name"].value == "Remorquage du Parc"
    assert fields["customer_name"].value == "Fatima LE GALL"


def test_vat_number_in_the_customer_block_is_not_the_suppliers(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((40, 60, "Société Hôtelière du Pacano"), (40, 75, "2, rue de la Paix"),
             (40, 90, "75000 Paris"),
             (400, 200, "Securibox SARL"), (400, 215, "27, Rue de Bassano"),
             (400, 230, "75008 Paris"), (400, 245, "France"),
             (400, 265, "TVA : FR38500003710"), (400, 280, "SIRET : 50000371000034"),
             (40, 780, "SASU au capital de 200000€ - SIRET 73282932000074 - "
                       "R.C.S Paris 732 829 320 - TVA FR44732829320"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["supplier_vat_number"].value == "FR44732829320"
    assert fields["supplier_siret"].value == "73282932000074"


# ----------------------------------------------------------------------------- totals


def test_net_total_is_the_total_before_tax_when_the_sums_say_so(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((40, 40, "Invoice FA-2017-0008"),
             (380, 500, "Net total 2,076.76 €"),
             (380, 515, "Tax Total 0.00 €"),
             (380, 530, "Total 2,076.76 €"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["total_excl_tax"].value == Decimal("2076.76")
    assert fields["total_incl_tax"].value == Decimal("2076.76")
    assert fields["vat_amount"].value == Decimal("0.00")


# ----------------------------------------------------------------------------- OCR slips


def test_flat_low_confidence_specks_are_not_words() -> None:
    speck = Word(text="oe", bbox=BBox(x0=390, y0=81.7, x1=440, y1=82.4), confidence=20)
    word = Word(text="Aster", bbox=BBox(x0=390, y0=80, x1=420, y1=90), confidence=97)
    rows = build_rows(Page(number=1, width=595, height=842, text="", words=(speck, word),
                           text_source="ocr"))
    assert [r.text for r in rows] == ["Aster"]


def test_a_rule_line_read_as_letters_does_not_hide_the_addressee(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((175, 40, "Facture"),
             (393, 70, "oe oe", 20.0),
             (175, 80, "Numéro : FA2606-4481"), (393, 80, "Aster Assistance"),
             (175, 95, "Emise le : 23-06-2026"), (393, 95, "Service Prestataires"),
             (393, 110, "14 rue de la Villette"), (393, 125, "69003 Lyon"))
    flat = [w.model_copy(update={"bbox": BBox(x0=w.bbox.x0, y0=70, x1=w.bbox.x1, y1=70.7)})
            if w.text == "oe" else w for w in p.words]
    p = p.model_copy(update={"words": tuple(flat)})
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["customer_name"].value == "Aster Assistance"
    assert fields["invoice_number"].value == "FA2606-4481"


def test_doubtful_word_of_a_name_is_read_from_its_surer_reading_elsewhere(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((20, 100, "Hôtel de la Gare", 96.0), (105, 100, "Toulousg", 62.0),
             (20, 115, "142 rue de la Gare"), (20, 127, "31500 Toulouse"),
             (20, 140, "Tél. 05 96 30 12 91"),
             (78, 780, "Hôtel de la Gare Toulouse - SARL au capital de 100 000 €", 93.0))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["supplier_name"].value == "Hôtel de la Gare Toulouse"


def test_a_surely_read_name_is_not_changed_by_a_near_spelling(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((20, 60, "Claire MARTIN"), (20, 75, "12 rue des Lilas"), (20, 90, "69003 Lyon"),
             (20, 120, "Titulaire du compte : Claire MARTIN"),
             (20, 135, "Claire MARTINE", 99.0),
             (20, 160, "IBAN : FR76 3000 6000 0112 3456 7890 189"))
    fields = extractor.extract([p], DocType.BANK_DETAILS)
    assert fields["account_holder"].value == "Claire MARTIN"


@pytest.mark.parametrize(
    ("read", "bic", "repaired"),
    [
        ("QNTOFRP1XXX", "QNTOFRP1XXX", False),  # registered: kept
        ("QNTOFRPIXXX", "QNTOFRP1XXX", True),  # I for 1: only the repair is registered
        ("QNT0FRP1XXX", "QNTOFRP1XXX", True),  # 0 for O in the bank code: wrong shape
        ("8NPAFRPP", "BNPAFRPP", True),
        ("ABCDFRPI", "ABCDFRPI", False),  # a bank the registry does not list: as read
    ],
)
def test_bic_read_through_one_ocr_confusion(read: str, bic: str, repaired: bool) -> None:
    assert read_bic(read) == (bic, repaired)


def test_bic_with_too_many_digits_is_no_bic() -> None:
    assert read_bic("12345678") is None


def test_bank_details_bic_misread_is_repaired(extractor: LayoutFieldExtractor) -> None:
    p = page((60, 90, "Titulaire du compte MME ÉMILIE PERRIN"),
             (60, 190, "IBAN (International Bank Account Number)"),
             (60, 200, "FR76 1695 8442 3976 9114 6778 528"),
             (60, 220, "BIC : QNTOFRPIXXX"))
    fields = extractor.extract([p], DocType.BANK_DETAILS)
    assert fields["bic"].value == "QNTOFRP1XXX"
    assert fields["bic"].confidence < 0.9  # a repaired read is less sure


# ----------------------------------------------------------------------------- letters


def test_letter_sender_is_the_name_signed_after_the_closing_formula(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((56, 48, "Bonjour,"),
             (56, 76, "Suite à la panne de mon véhicule, je vous adresse les justificatifs."),
             (56, 104, "Merci de me tenir informé(e) du remboursement."),
             (56, 132, "Cordialement,"),
             (56, 146, "Fatima LE GALL"),
             (56, 160, "06 91 59 72 39"))
    fields = extractor.extract([p], DocType.CLAIM_LETTER)
    assert fields["sender_name"].value == "Fatima LE GALL"


def test_reference_after_a_label_ending_the_line_of_running_text(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((56, 48, "Bonjour,"),
             (56, 76, "Suite à l'accident dont j'ai été victime le 15 septembre 2026 (dossier"),
             (56, 90, "AST-2026-006564), je vous adresse les justificatifs des frais avancés."))
    fields = extractor.extract([p], DocType.CLAIM_LETTER)
    assert fields["dossier_reference"].value == "AST-2026-006564"


def test_postcode_starting_the_next_line_is_no_reference(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((56, 48, "Madame, je vous écris au sujet de mon dossier"),
             (56, 62, "75008 Paris est mon adresse depuis le mois dernier."))
    fields = extractor.extract([p], DocType.CLAIM_LETTER)
    assert "dossier_reference" not in fields


# ----------------------------------------------------------------------------- the buyer


def test_phrase_under_the_client_label_is_not_the_customer_name(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((40, 40, "FACTURE N° : F20260023"),
             (300, 70, "CLIENT :"),
             (300, 82, "Buyer contact name"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert "customer_name" not in fields


def test_bare_client_word_inside_a_block_line_is_not_the_blocks_label(
    extractor: LayoutFieldExtractor,
) -> None:
    # "LE CLIENT" heads the block; "CLIENT NOM COMMERCIAL" below it is its second line
    p = page((40, 40, "FACTURE N° : F20260025"),
             (300, 94, "LE CLIENT"), (300, 106, "CLIENT NOM COMMERCIAL"),
             (300, 118, "58 rue de la mer"), (300, 130, "06000 NICE, FR"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert fields["customer_name"].value == "LE CLIENT"


def test_delivery_address_block_is_not_the_customer(extractor: LayoutFieldExtractor) -> None:
    p = page((40, 40, "FACTURE N° : F20260023"),
             (300, 200, "Livraison : adresse"),
             (300, 212, "Dépôt Martin"), (300, 224, "12 rue du Port"),
             (300, 236, "06000 NICE"))
    fields = extractor.extract([p], DocType.INVOICE)
    assert "customer_name" not in fields
