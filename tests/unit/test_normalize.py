from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from extract.normalize import (
    find_amounts,
    find_dates,
    fold_name,
    normalize_reference,
    parse_amount,
    parse_currency,
    parse_date,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,56 €", "1234.56"),
        ("1\u202f234,56 €", "1234.56"),
        ("1\u00a0234,56\u00a0€", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("€1,234.56", "1234.56"),
        ("1234,56 EUR", "1234.56"),
        ("EUR 15", "15.00"),
        ("-12,00", "-12.00"),
        ("-1 234,56", "-1234.56"),
        ("- 5,00 €", "-5.00"),
        ("12,00-", "-12.00"),
        ("(12,00)", "-12.00"),
        ("12.-", "12.00"),
        ("12,-", "12.00"),
        ("12,5", "12.50"),
        ("0,125", "0.13"),
        ("1'234.50 CHF", "1234.50"),
        ("1.234.567", "1234567.00"),
        ("1 234 567,89", "1234567.89"),
        ("150 €", "150.00"),
        ("RM 12.90", "12.90"),
    ],
)
def test_parse_amount_reads_printed_amounts(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


def test_lone_separator_before_three_digits_is_a_thousands_separator_by_default() -> None:
    assert parse_amount("1.234") == Decimal("1234.00")
    assert parse_amount("1,234") == Decimal("1234.00")


def test_lone_separator_before_three_digits_follows_the_callers_convention() -> None:
    assert parse_amount("1,234", decimal_separator=",") == Decimal("1.23")
    assert parse_amount("1.234", decimal_separator=",") == Decimal("1234.00")


def test_long_integer_part_makes_three_digits_decimals() -> None:
    assert parse_amount("1234,567") == Decimal("1234.57")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "12/03/2026",
        "1.23.45",
        "12 34,56",
        "1,2345.00",
        "1 2345",
        "TVA",
        "12 %",
        "(12,00",
    ],
)
def test_parse_amount_refuses_what_is_not_an_amount(text: str) -> None:
    assert parse_amount(text) is None


def test_parse_amount_returns_cents() -> None:
    value = parse_amount("12,5")
    assert value is not None and value.as_tuple().exponent == -2


def test_find_amounts_gives_values_and_spans_and_skips_percentages_dates_and_ids() -> None:
    line = "Total TTC : 1 234,56 € TVA 20 % 205,76 le 12.03.26 Qté 2 SIRET 732 829 320 00074"
    found = find_amounts(line)
    assert [v for v, _, _ in found] == [Decimal("1234.56"), Decimal("205.76")]
    _, start, end = found[0]
    assert line[start:end] == "1 234,56 €"
    _, start, end = found[1]
    assert line[start:end] == "205,76"


@pytest.mark.parametrize(
    ("line", "value", "printed"),
    [
        ("Total Sales (Inclusive of GST) :- 60.95", Decimal("60.95"), "60.95"),  # a till's
        ("Remise :-5,00", Decimal("-5.00"), "-5,00"),  # a sign glued to its amount stays one
        ("Remise : -5,00", Decimal("-5.00"), "-5,00"),
        ("Acompte - 12.00", Decimal("-12.00"), "- 12.00"),
    ],
)
def test_a_colon_dash_is_a_labels_mark_not_a_minus(line: str, value: Decimal,
                                                   printed: str) -> None:
    ((found, start, end),) = find_amounts(line)
    assert (found, line[start:end]) == (value, printed)


def test_find_amounts_uses_the_lines_decimal_convention_for_ambiguous_numbers() -> None:
    french = find_amounts("Sous-total 1.234 ; remise 12,50")
    assert [v for v, _, _ in french] == [Decimal("1234.00"), Decimal("12.50")]
    english = find_amounts("Unit price 1,234 discount 12.50")
    assert [v for v, _, _ in english] == [Decimal("1234.00"), Decimal("12.50")]
    decimal_comma = find_amounts("Carburant 1,859 total 45,20")
    assert [v for v, _, _ in decimal_comma] == [Decimal("1.86"), Decimal("45.20")]


def test_find_amounts_keeps_negative_and_currency_first_amounts() -> None:
    found = find_amounts("Avoir -45,00 € ; paid $1,250.00")
    assert [v for v, _, _ in found] == [Decimal("-45.00"), Decimal("1250.00")]


def test_find_amounts_ignores_bare_integers() -> None:
    assert find_amounts("Chambre 12, 2 nuits, 75001 Paris") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/03/2026", date(2026, 3, 12)),
        ("12.03.26", date(2026, 3, 12)),
        ("12-03-2026", date(2026, 3, 12)),
        ("2026-03-12", date(2026, 3, 12)),
        ("12 mars 2026", date(2026, 3, 12)),
        ("le 12 mars 2026", date(2026, 3, 12)),
        ("1er mars 2026", date(2026, 3, 1)),
        ("3 févr. 2026", date(2026, 2, 3)),
        ("1 aout 2025", date(2025, 8, 1)),
        ("March 12, 2026", date(2026, 3, 12)),
        ("Sept 3, 2025", date(2025, 9, 3)),
        ("12 Mar 2026", date(2026, 3, 12)),
        ("12-Mar-2026", date(2026, 3, 12)),
        ("12th of March 2026", date(2026, 3, 12)),
        ("12 de marzo de 2026", date(2026, 3, 12)),
        ("5 ene 2026", date(2026, 1, 5)),
        ("12 marzo 2026", date(2026, 3, 12)),
        ("7 settembre 2025", date(2025, 9, 7)),
        ("12. März 2026", date(2026, 3, 12)),
        ("Date : 12/03/2026", date(2026, 3, 12)),
    ],
)
def test_parse_date_reads_numeric_and_worded_dates(text: str, expected: date) -> None:
    assert parse_date(text) == expected


def test_parse_date_reads_day_first_unless_told_otherwise() -> None:
    assert parse_date("03/12/2026") == date(2026, 12, 3)
    assert parse_date("03/12/2026", day_first=False) == date(2026, 3, 12)


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2026",
        "32/01/2026",
        "12/13/2026",
        "le 12 mars",
        "le douze mars 2026",
        "demain",
        "",
        "1234,56",
    ],
)
def test_parse_date_refuses_impossible_partial_or_non_dates(text: str) -> None:
    assert parse_date(text) is None


def test_parse_date_uses_only_the_given_languages() -> None:
    assert parse_date("12 marzo 2026", languages=("fr",)) is None
    assert parse_date("12 marzo 2026", languages=("it",)) == date(2026, 3, 12)


def test_find_dates_gives_every_date_with_its_span() -> None:
    text = "Facture du 12 mars 2026, échéance 12/04/2026 (réf 12.5)"
    found = find_dates(text)
    assert [d for d, _, _ in found] == [date(2026, 3, 12), date(2026, 4, 12)]
    assert text[found[0][1] : found[0][2]] == "12 mars 2026"
    assert text[found[1][1] : found[1][2]] == "12/04/2026"


def test_find_dates_reads_month_first_dates_with_a_space_before_the_comma() -> None:
    assert find_dates("Invoice Date: August 3 , 2014") == [(date(2014, 8, 3), 14, 29)]


def test_find_dates_does_not_split_a_year_into_day_and_year() -> None:
    assert find_dates("mars 2026") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("€", "EUR"),
        ("EUR", "EUR"),
        ("euros", "EUR"),
        ("Montant en euros", "EUR"),
        ("$", "USD"),
        ("USD", "USD"),
        ("£", "GBP"),
        ("GBP", "GBP"),
        ("CHF", "CHF"),
        ("Fr. 12.-", "CHF"),
        ("Total 12,90 RM", "MYR"),
        ("12 SEK", "SEK"),
    ],
)
def test_parse_currency_gives_iso_codes(text: str, expected: str) -> None:
    assert parse_currency(text) == expected


@pytest.mark.parametrize("text", ["", "TOTAL ALL ITEMS", "THE END", "Montant"])
def test_parse_currency_does_not_take_words_for_codes(text: str) -> None:
    assert parse_currency(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Claire   MARTIN, ", "Claire MARTIN"),
        (": Garage Dupuis.", "Garage Dupuis"),
        ("Dupont & Fils S.A.", "Dupont & Fils S.A."),
        ("Dr J.-P. Morel", "Dr J.-P. Morel"),
        ("Hôtel du Lac (Annecy)", "Hôtel du Lac (Annecy)"),
        ("Taxi Bleu)", "Taxi Bleu"),
        ("«\u00a0Claire\tMartin\u00a0»", "Claire Martin"),
    ],
)
def test_fold_name_folds_spaces_and_trims_stray_punctuation(text: str, expected: str) -> None:
    assert fold_name(text) == expected


def test_normalize_reference_is_upper_case_without_spaces() -> None:
    assert normalize_reference(" ast-2026 004217. ") == "AST-2026004217"
    assert normalize_reference("ctr 884 120 77") == "CTR88412077"


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [("Grand Total Rs 1939", "1939.00", "INR"), ("INR 1939", "1939.00", "INR"),
     ("SEK 120", "120.00", "SEK"), ("Total 35 zł", "35.00", "PLN")],
)
def test_integer_amounts_next_to_a_currency_mark_are_amounts(
    text: str, amount: str, currency: str
) -> None:
    assert [a for a, _, _ in find_amounts(text)] == [Decimal(amount)]
    assert parse_currency(text) == currency


@pytest.mark.parametrize(
    ("text", "amount"),
    [("SUBTOTAL RM96. 20", "96.20"), ("CASH RM100. 00 SR", "100.00"),
     ("Total Sales Incl GST@6% RM 8 60", "8.60"), ("- RM 5 20", "-5.20")],
)
def test_cents_read_apart_after_a_currency_mark_are_joined(text: str, amount: str) -> None:
    assert [a for a, _, _ in find_amounts(text)] == [Decimal(amount)]


@pytest.mark.parametrize(
    ("text", "amount"),
    [("EUR 1 234", "1234.00"), ("RM 12 10%", "12.00"), ("EUR 150 12/03", "150.00"),
     ("150 € 30 jours", "150.00"), ("Total 12. 50", None)],
)
def test_what_follows_a_whole_amount_is_not_taken_for_its_cents(
    text: str, amount: str | None
) -> None:
    assert [a for a, _, _ in find_amounts(text)] == ([Decimal(amount)] if amount else [])
