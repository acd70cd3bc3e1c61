from __future__ import annotations

import pytest

from extract.identifiers import (
    adeli_valid,
    bic_valid,
    fr_vat_from_siren,
    iban_valid,
    luhn_ok,
    normalize_iban,
    normalize_plate,
    normalize_siret,
    normalize_vat,
    repair_ocr,
    rpps_valid,
    siren_valid,
    siret_valid,
    vat_valid,
)

VALID_SIRET = "73282932000074"
VALID_IBAN = "FR7630006000011234567890189"


def test_luhn_accepts_the_classic_example_and_refuses_a_changed_digit() -> None:
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")
    assert not luhn_ok("")
    assert not luhn_ok("7992739871a")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("732 829 320 00074", VALID_SIRET),
        ("732.829.320.00074", VALID_SIRET),
        ("732\u00a0829\u00a0320\u00a000074", VALID_SIRET),
        ("7328293200007", None),
        ("73282932000074 5", None),
        ("73282932O00074", None),
    ],
)
def test_normalize_siret_keeps_fourteen_digits(text: str, expected: str | None) -> None:
    assert normalize_siret(text) == expected


def test_siret_and_siren_checksums() -> None:
    assert siret_valid(VALID_SIRET)
    assert not siret_valid("73282932000075")
    assert siren_valid("732829320")
    assert not siren_valid("732829321")
    assert not siret_valid("7328293200007")


def test_la_poste_sirets_follow_their_own_rule() -> None:
    assert siret_valid("35600000000048")  # head office, Luhn too
    # digit sum 15, a multiple of 5, although the Luhn key fails
    assert not luhn_ok("35600000010000")
    assert siret_valid("35600000010000")
    # digit sum 16, Luhn fails too
    assert not siret_valid("35600000010001")
    # the digit-sum rule is La Poste's only
    assert not siret_valid("73282932000070")


def test_french_vat_key_from_siren() -> None:
    assert fr_vat_from_siren("732829320") == "FR44732829320"
    assert fr_vat_from_siren("404833048") == "FR83404833048"
    with pytest.raises(ValueError):
        fr_vat_from_siren("12345")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fr 44 732 829 320", "FR44732829320"),
        ("FR44.732.829.320", "FR44732829320"),
        ("DE 123456789", "DE123456789"),
        ("GR123456789", "EL123456789"),
        ("NL123456789B01", "NL123456789B01"),
        ("ESX1234567R", "ESX1234567R"),
        ("FR4473282932", None),
        ("XX123456789", None),
        ("DE12345678", None),
    ],
)
def test_normalize_vat_checks_the_countrys_shape(text: str, expected: str | None) -> None:
    assert normalize_vat(text) == expected


def test_vat_valid_checks_the_french_key_and_other_shapes() -> None:
    assert vat_valid("FR44732829320")
    assert not vat_valid("FR45732829320")
    assert vat_valid("DE123456789")
    assert not vat_valid("DE1234567")
    assert not vat_valid("ZZ123456789")


def test_iban_with_spaces_is_normalised_and_checked_mod_97() -> None:
    iban = normalize_iban("IBAN : fr76 3000 6000 0112 3456 7890 189")
    assert iban == VALID_IBAN
    assert iban_valid(VALID_IBAN)
    assert not iban_valid("FR7630006000011234567890188")
    assert not iban_valid("FR763000600001123456789018")  # French IBANs have 27 characters
    assert normalize_iban("not an iban") is None
    assert iban_valid("DE89370400440532013000")


@pytest.mark.parametrize(
    ("bic", "ok"),
    [
        ("AGRIFRPP", True),
        ("DEUTDEFF500", True),
        ("BNPAFRPPXXX", True),
        ("AGRIXXPP", False),  # no such country
        ("AGRIFRP", False),
        ("AGRIFRPPXX", False),
        ("1GRIFRPP", False),
        ("agrifrpp", False),
    ],
)
def test_bic_shape(bic: str, ok: bool) -> None:
    assert bic_valid(bic) is ok


def test_rpps_is_eleven_digits_with_a_luhn_key() -> None:
    assert rpps_valid("79927398713")
    assert not rpps_valid("79927398712")
    assert not rpps_valid("7992739871")


def test_adeli_is_nine_digits_with_a_luhn_key_and_a_departement_prefix() -> None:
    assert adeli_valid("751234568")
    assert adeli_valid("971234562")
    assert not adeli_valid("751234567")  # key wrong
    assert not adeli_valid("961234564")  # Luhn fine, no département 96
    assert not adeli_valid("75123456")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AB 123 CD", "AB-123-CD"),
        ("ab123cd", "AB-123-CD"),
        ("GH-412-KL", "GH-412-KL"),
        ("123  abc 75", "123 ABC 75"),
        ("4567 AB 2A", "4567 AB 2A"),
        ("AO-123-CD", None),  # O is not used in SIV plates
        ("AB-000-CD", None),
        ("hello", None),
    ],
)
def test_normalize_plate(text: str, expected: str | None) -> None:
    assert normalize_plate(text) == expected


def test_repair_ocr_keeps_a_valid_value() -> None:
    assert repair_ocr(VALID_SIRET, siret_valid, kind="digits") == (VALID_SIRET, False)


def test_repair_ocr_fixes_one_confused_character_in_a_siret() -> None:
    assert repair_ocr("73282932O00074", siret_valid, kind="digits") == (VALID_SIRET, True)
    assert repair_ocr("7328293200007l", siret_valid, kind="digits") is None  # key 1 is wrong
    assert repair_ocr("73282S3200007A", siret_valid, kind="digits") is None


def test_repair_ocr_refuses_two_confusions() -> None:
    assert repair_ocr("7328293200OO74", siret_valid, kind="digits") is None


def test_repair_ocr_refuses_when_two_repairs_are_valid() -> None:
    valid = {"50B", "S08"}
    assert repair_ocr("S0B", valid.__contains__, kind="alnum") is None
    assert repair_ocr("S0B", {"50B"}.__contains__, kind="alnum") == ("50B", True)


def test_repair_ocr_fixes_an_iban_letter_read_for_a_digit() -> None:
    assert repair_ocr("FR7630006000011234567B90189", iban_valid, kind="alnum") == (
        VALID_IBAN,
        True,
    )
    assert repair_ocr("FR763OOO6000011234567890189", iban_valid, kind="alnum") is None


def test_repair_ocr_alnum_turns_digits_into_letters_too() -> None:
    assert repair_ocr("FR44732829320", vat_valid, kind="alnum") == ("FR44732829320", False)
    assert repair_ocr("AB-I23-CD", lambda v: normalize_plate(v) == v, kind="alnum") == (
        "AB-123-CD",
        True,
    )
    assert repair_ocr("A8-123-CD", lambda v: normalize_plate(v) == v, kind="alnum") == (
        "AB-123-CD",
        True,
    )
