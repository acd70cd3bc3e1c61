"""Corrections typed by a gestionnaire are read into the contract's formats, or refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from extract.corrected import InvalidCorrection, parse_correction
from review.formats import split_person_name


@pytest.mark.parametrize(
    ("name", "typed", "expected"),
    [
        ("invoice_date", "12/03/2026", date(2026, 3, 12)),
        ("invoice_date", "2026-03-12", date(2026, 3, 12)),
        ("issue_date", "12 mars 2026", date(2026, 3, 12)),
        ("total_incl_tax", "1 234,56 €", Decimal("1234.56")),
        ("requested_amount", "93.3", Decimal("93.30")),
        ("currency", "eur", "EUR"),
        ("supplier_siret", "732 829 320 00074", "73282932000074"),
        ("supplier_vat_number", "fr 44 732829320", "FR44732829320"),
        ("iban", "fr76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
        ("bic", "agrifrpp", "AGRIFRPP"),
        ("vehicle_registration", "gh 412 kl", "GH-412-KL"),
        ("payment_method", "CB", "card"),
        ("payment_method", "espèces", "cash"),
        ("dossier_reference", "ast-2026-004217 ", "AST-2026-004217"),
        ("supplier_name", "  Garage   Dupuis ", "Garage Dupuis"),
    ],
)
def test_typed_values_are_normalised_to_the_contract_format(
    name: str, typed: str, expected: object
) -> None:
    assert parse_correction(name, typed) == expected


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("invoice_date", "bientôt"),
        ("total_incl_tax", "douze euros"),
        ("total_incl_tax", "-5,00"),
        ("currency", "euro"),
        ("supplier_siret", "73282932000075"),  # bad Luhn key
        ("iban", "FR7630006000011234567890188"),  # bad mod-97 key
        ("bic", "AGRI"),
        ("practitioner_id", "12345"),
        ("vehicle_registration", "ABC"),
        ("payment_method", "bitcoin"),
        ("supplier_name", "   "),
        ("no_such_field", "x"),
    ],
)
def test_values_outside_the_format_are_refused(name: str, typed: str) -> None:
    with pytest.raises(InvalidCorrection):
        parse_correction(name, typed)


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("Océane MARTIN", "Océane", "MARTIN"),
        ("MARTIN Océane", "Océane", "MARTIN"),
        ("Jean-Pierre DE LA TOUR", "Jean-Pierre", "DE LA TOUR"),
        ("Claire Martin", "Claire", "Martin"),
        ("", "", ""),
    ],
)
def test_person_names_split_into_first_and_family_name(name: str, first: str, last: str) -> None:
    assert split_person_name(name) == (first, last)
