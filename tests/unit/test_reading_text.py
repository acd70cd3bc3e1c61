"""The PDF text layer: line grouping, page text, garbage-layer detection."""

from __future__ import annotations

from extract.pdf_text import assemble, group_lines, looks_like_word, text_layer_problem
from mailroom.models import BBox, Word


def _w(text: str, x0: float, top: float, height: float = 10.0) -> Word:
    return Word(text=text, bbox=BBox(x0=x0, y0=top, x1=x0 + 8 * len(text), y1=top + height))


def test_words_on_the_same_baseline_form_one_line_left_to_right() -> None:
    words = [_w("TTC", 200, 101), _w("Total", 50, 100), _w("180,00", 300, 99.5)]
    lines = group_lines(words)
    assert [[w.text for w in line] for line in lines] == [["Total", "TTC", "180,00"]]


def test_lines_are_ordered_top_to_bottom_and_numbered() -> None:
    words = [_w("deux", 50, 130), _w("un", 50, 100), _w("trois", 50, 160), _w("bis", 120, 131)]
    numbered, text = assemble(words)
    assert text == "un\ndeux bis\ntrois"
    assert [(w.text, w.line) for w in numbered] == [
        ("un", 0),
        ("deux", 1),
        ("bis", 1),
        ("trois", 2),
    ]


def test_a_tall_word_does_not_merge_two_lines() -> None:
    # a big title spanning two small lines belongs with the one it overlaps most
    words = [_w("a", 50, 100), _w("b", 50, 112), _w("Titre", 200, 99, height=8)]
    lines = group_lines(words)
    assert [[w.text for w in line] for line in lines] == [["a", "Titre"], ["b"]]


def test_superscript_slightly_higher_stays_on_its_line() -> None:
    words = [_w("1er", 50, 100), _w("er", 75, 96, height=7), _w("mars", 100, 100)]
    assert len(group_lines(words)) == 1


def test_real_french_text_layer_is_used() -> None:
    text = (
        "Facture n° F2026-0042\nDépannage Dupuis SARL\n"
        "Total TTC : 180,00 EUR\nMerci de votre confiance"
    )
    assert text_layer_problem(text, 20) is None


def test_number_heavy_invoice_layer_is_used() -> None:
    text = "Qté PU Total\n2 15,00 30,00\n1 150,00 150,00\nTVA 20 % 30,00\nTotal TTC 180,00"
    assert text_layer_problem(text, 20) is None


def test_layer_with_too_few_characters_is_ocrd() -> None:
    assert text_layer_problem("Page 1", 20) is not None
    assert text_layer_problem("   \n  ", 20) is not None


def test_cid_glyph_layer_is_garbage() -> None:
    text = " ".join(f"(cid:{n})" for n in range(40, 120)) + " Total"
    problem = text_layer_problem(text, 20)
    assert problem is not None and "cid" in problem


def test_unprintable_layer_is_garbage() -> None:
    text = "\ufffd\ufffd\ufffd \x01\x02\x03\x04 " * 20 + "Facture"
    assert text_layer_problem(text, 5) is not None


def test_shifted_font_encoding_gibberish_is_garbage() -> None:
    text = "Xqzkrp bfpwtk qsdfgh, mnbvcxz wxcvbn. Qsdfghjk pxkzvt rtzpq. Kjhgfd zxcvbnm trklmp."
    assert text_layer_problem(text, 20) is not None


def test_word_shapes() -> None:
    for word in ["facture", "Dépannage", "TOTAL", "l'assuré", "aujourd'hui", "de", "véhicule,"]:
        assert looks_like_word(word), word
    for token in ["xqzkrp", "fAcTuRe", "aaaa", "12345", "€", "bcdfgh", "x"]:
        assert not looks_like_word(token), token
