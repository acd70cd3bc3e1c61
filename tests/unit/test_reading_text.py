"""The PDF text layer: line grouping, page text, garbage-layer detection."""

from __future__ import annotations

import pickle
from pathlib import Path

from extract.pdf_text import (
    assemble,
    group_lines,
    looks_like_word,
    page_chars,
    text_layer_problem,
)
from mailroom.models import BBox, Word

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "documents"


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


# ---------------------------------------------------------------- the pdfplumber fast path


def _born_digital_pdfs() -> list[Path]:
    return sorted(SAMPLES.glob("*born_digital.pdf"))


def test_the_light_characters_give_pdfplumbers_own_words_on_every_born_digital_sample() -> None:
    """``page_chars`` skips the attributes words never use; the words must not change."""
    import pdfplumber
    from pdfplumber.utils import extract_words

    pdfs = _born_digital_pdfs()
    assert pdfs, "samples/documents holds born-digital PDFs"
    compared = 0
    for pdf_path in pdfs:
        with pdfplumber.open(pdf_path) as pdf:
            for page in pdf.pages:
                theirs = page.extract_words(use_text_flow=True, keep_blank_chars=False)
                ours = extract_words(
                    page_chars(page), use_text_flow=True, keep_blank_chars=False
                )
                key = ("text", "x0", "top", "x1", "bottom")
                assert [tuple(w[k] for k in key) for w in ours] == [
                    tuple(w[k] for k in key) for w in theirs
                ], f"{pdf_path.name} page {page.page_number}"
                compared += len(theirs)
    assert compared > 500


def test_a_shifted_media_box_moves_the_characters_as_pdfplumber_does(tmp_path: Path) -> None:
    import io

    import pdfplumber
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    c.drawString(100, 700, "Total TTC 120,00 EUR")
    c.showPage()
    c.save()
    box = b"/MediaBox [ 0 0 595.2756 841.8898 ]"
    shifted_box = b"/MediaBox [-40 -25 555.28 816.89  ]"  # same length: the xref stays right
    assert len(box) == len(shifted_box) and box in buffer.getvalue()
    shifted = tmp_path / "shifted.pdf"
    shifted.write_bytes(buffer.getvalue().replace(box, shifted_box))
    with pdfplumber.open(shifted) as pdf:
        page = pdf.pages[0]
        assert page.mediabox[0] == -40
        theirs = [(c["text"], c["x0"], c["top"], c["bottom"]) for c in page.chars]
        ours = [(c["text"], c["x0"], c["top"], c["bottom"]) for c in page_chars(page)]
    assert ours == theirs and len(ours) == len("Total TTC 120,00 EUR")


def test_the_pages_without_any_character_are_found_without_pdfplumber(tmp_path: Path) -> None:
    from extract import raster

    scan = next(SAMPLES.glob("*clean_scan.pdf"))
    born = _born_digital_pdfs()[0]
    assert raster.pages_with_text(scan, range(5)) == []
    assert raster.pages_with_text(born, range(5)) == [0]


def test_a_word_crosses_a_process_boundary_unchanged() -> None:
    word = Word(text="Dépannage", bbox=BBox(x0=1.5, y0=2, x1=30.25, y1=12), confidence=87.5,
                line=3, block=1)
    back = pickle.loads(pickle.dumps(word))
    assert back == word and back.bbox == word.bbox
    assert back.model_dump() == word.model_dump()
    assert len(pickle.dumps(word)) < len(pickle.dumps(word.model_dump()))
