"""Company names' words mended where OCR took a glyph for a look-alike (extract/fields/spelling)."""

from __future__ import annotations

import pytest

from extract.fields.spelling import known, mend_name, mend_word, plain_words, vocabulary


def test_the_dictionaries_are_loaded() -> None:
    # pyspellchecker is a dependency: without its word lists no name would ever be mended
    assert len(vocabulary().known) > 100_000
    assert known("RESTAURANT") and known("dépannage") and known("DEPANNAGE")


@pytest.mark.parametrize(("read", "printed"), [
    ("KESTAURANT", "RESTAURANT"),  # R read as K
    ("HAKDWARE", "HARDWARE"),
    ("Dwner", "Owner"),  # O read as D, the capital kept
    ("Heauty", "Beauty"),
    ("HOTEI", "HOTEL"),  # l read as I
    ("AMBULANCFS", "AMBULANCES"),
    ("Arnbulances", "Ambulances"),  # m read as rn
])
def test_a_common_word_misread_by_one_look_alike_glyph_is_put_right(read: str,
                                                                   printed: str) -> None:
    assert mend_word(read) == printed


@pytest.mark.parametrize("word", [
    "NIKOM",  # one glyph from the brand "NIKON", which is no common word
    "KORVAL", "TAVELLO", "BRAMVIK", "LENWOOD",  # names nobody knows
    "Payet", "Lattre",  # French surnames one letter from "payer" and "lettre"
    "Pacano",  # one letter from the Italian "pagano", on a French document
    "HENG",  # too short: look-alikes everywhere
    "MART1N",  # not all letters
    "Garage",  # known as it is
])
def test_proper_names_and_known_words_are_left_as_read(word: str) -> None:
    assert mend_word(word) == word


def test_a_word_printed_twice_on_the_document_is_left_as_read() -> None:
    # "HOTEI" could be a misread "HOTEL"; the menu above prints it the same way
    assert mend_name("BISTROT HOTEI SARL", {"hotei"}) == "BISTROT HOTEI SARL"
    assert mend_name("KESTAURANT TAVELLO", {"kestaurant"}) == "KESTAURANT TAVELLO"


def test_a_name_word_takes_the_spelling_the_document_prints_twice_elsewhere() -> None:
    address = "NO. 17-G, KORLAM VALE ROAD KORLAM VALE SECTOR 13, 40170 NEWFORD,"
    seen = {w for w in plain_words(address) if plain_words(address).count(w) > 1}
    assert "korlam" in seen
    assert mend_name("ENTERPRISE (KORLAN VALE)", seen) == "ENTERPRISE (KORLAM VALE)"


def test_a_word_cut_in_two_is_joined_only_when_a_piece_is_no_word() -> None:
    assert mend_name("VELMONT BAKE RIES SDN BHD") == "VELMONT BAKERIES SDN BHD"
    assert mend_name("FARMACIA DEL MAR") == "FARMACIA DEL MAR"  # "delmar" is a word too
    assert mend_name("LA POSTE") == "LA POSTE"


def test_punctuation_and_spacing_are_kept() -> None:
    assert mend_name("  (KESTAURANT),  TAVELLO ") == "  (RESTAURANT),  TAVELLO "
