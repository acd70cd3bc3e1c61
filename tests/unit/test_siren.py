"""The seller's SIREN on an invoice: read wherever it shows (the RCS line, a SIREN label, the
SIRET's first 9 digits, the French VAT number), checked, and used to find the mission's
provider where no SIRET is printed. Pages are built in the test (words with boxes, no OCR)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from extract.fields import LayoutFieldExtractor
from mailroom.models import DocType, Page
from tests.unit.laid_out import Piece, laid_out_page
from tests.unit.test_validate_checks import _by_code, _invoice
from tests.unit.test_validate_matching import ALL, MARTIN, SETTINGS, _doc
from validate.matching import match_document

SIREN = "732829320"  # valid Luhn; its VAT number is FR44732829320


@pytest.fixture(scope="module")
def extractor() -> LayoutFieldExtractor:
    return LayoutFieldExtractor()


def _page(*footer: Piece) -> Page:
    return laid_out_page(
        (40, 40, "Garage des Alpes"), (40, 52, "12 rue du Lac"), (40, 64, "69003 Lyon"),
        (320, 90, "Client : Aster Assistance"), (320, 102, "8 place Bellecour"),
        (320, 114, "69002 Lyon"),
        (40, 150, "FACTURE N° F-2026-12"), (40, 162, "Date : 12/03/2026"),
        (300, 400, "Total HT 100,00"), (300, 412, "TVA 20 % 20,00"),
        (300, 424, "Total TTC 120,00"),
        *footer,
        confidence=96.0,
    )


def test_siren_in_the_rcs_line_alone_is_the_suppliers(extractor: LayoutFieldExtractor) -> None:
    fields = extractor.extract([_page(
        (40, 800, "Garage des Alpes SARL au capital de 8 000 € - RCS Lyon 732 829 320"),
    )], DocType.INVOICE)
    assert fields["supplier_siren"].value == SIREN
    assert fields["supplier_siren"].confidence >= 0.9
    assert "supplier_siret" not in fields


def test_siren_after_its_own_label(extractor: LayoutFieldExtractor) -> None:
    fields = extractor.extract([_page((40, 800, "N° SIREN : 732829320 - APE 4520A"))],
                               DocType.INVOICE)
    assert fields["supplier_siren"].value == SIREN


def test_siren_from_the_french_vat_number(extractor: LayoutFieldExtractor) -> None:
    fields = extractor.extract([_page((40, 800, "N° TVA intracommunautaire : FR44732829320"))],
                               DocType.INVOICE)
    assert fields["supplier_vat_number"].value == "FR44732829320"
    assert fields["supplier_siren"].value == SIREN


def test_siren_is_the_sirets_first_nine_digits(extractor: LayoutFieldExtractor) -> None:
    fields = extractor.extract([_page((40, 800, "SIRET 732 829 320 00074"))], DocType.INVOICE)
    assert fields["supplier_siret"].value == "73282932000074"
    assert fields["supplier_siren"].value == SIREN


def test_a_siren_whose_key_is_wrong_is_not_taken(extractor: LayoutFieldExtractor) -> None:
    fields = extractor.extract([_page((40, 800, "RCS Lyon 732 829 321"))], DocType.INVOICE)
    assert "supplier_siren" not in fields


def test_no_siren_printed_no_field(extractor: LayoutFieldExtractor) -> None:
    assert "supplier_siren" not in extractor.extract([_page()], DocType.INVOICE)


# ----------------------------------------------------------------------------- checks


def test_siren_check_passes_with_its_siret_and_fails_on_a_bad_key_or_another_siret() -> None:
    assert _by_code(_invoice(supplier_siren=SIREN))["identifiers.siren_valid"].status == "pass"
    bad = _by_code(_invoice(supplier_siren="732829321"))["identifiers.siren_valid"]
    assert bad.status == "fail" and bad.blocking
    other = _by_code(_invoice(supplier_siren="338727183"))["identifiers.siren_valid"]
    assert other.status == "fail" and "73282932000074" in other.message


def test_vat_number_is_checked_against_the_siren_when_no_siret_is_read() -> None:
    checks = _by_code(_invoice(supplier_siret=None, supplier_siren="338727183"))
    assert checks["identifiers.vat_valid"].status == "fail"
    ok = _by_code(_invoice(supplier_siret=None, supplier_siren=SIREN))
    assert ok["identifiers.vat_valid"].status == "pass"


def test_mission_found_by_siren_where_no_siret_is_printed() -> None:
    checks = _by_code(_invoice(supplier_siret=None, supplier_siren=SIREN,
                               total_incl_tax=Decimal("260.00"), vat_amount=Decimal("110.00")))
    assert checks["mission.amount_over_agreed"].status == "fail"


def test_provider_siren_and_agreed_amount_match_the_missions_dossier() -> None:
    fields: dict[str, str | Decimal | date] = {
        "supplier_siren": "599568409",  # MARTIN's mission provider SIRET 59956840900289
        "total_incl_tax": Decimal("141.00"),
        "invoice_date": date(2026, 7, 5),
    }
    m = match_document(_doc(DocType.INVOICE, fields=fields), ALL, SETTINGS)
    assert m.status == "matched" and m.dossier_id == MARTIN.dossier_id
    assert any("SIREN du prestataire" in r for r in m.candidates[0].reasons)
