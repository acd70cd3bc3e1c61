"""Both Tesseract engines, in-process (tesserocr) and one process per reading (pytesseract's
command), read the same words on the sample pages, and agree on orientation and lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract import images, preprocess
from extract.base import OcrEngine
from extract.tesseract import TesseractEngine
from extract.tesseract_api import TesseractApiEngine
from mailroom.settings import LimitSettings

pytestmark = pytest.mark.tesseract

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "documents"
PAGES = [
    "claim_letter-02-formal-fr-clean_scan.png",
    "invoice-02-hotel-fr-degraded_scan.jpg",
    "receipt-05-restaurant-en-clean_scan.png",
    "bank_details-06-single-fr-photo.jpg",
]


def _prepared(name: str) -> tuple[preprocess.Prepared, int]:
    loaded = images.load_frame(SAMPLES / name, 0, LimitSettings())
    prepared = preprocess.prepare(loaded.pixels, camera=not loaded.declared_dpi)
    return prepared, round(loaded.dpi * prepared.scale)


def _texts(engine: OcrEngine, name: str) -> list[str]:
    prepared, dpi = _prepared(name)
    return [w.text for w in engine.recognize(prepared.image, dpi=dpi, timeout_s=120)]


@pytest.mark.parametrize("name", PAGES)
def test_both_engines_read_the_same_words_on_a_sample_page(name: str) -> None:
    in_process = _texts(TesseractApiEngine(), name)
    assert len(in_process) > 20
    assert in_process == _texts(TesseractEngine(), name)


def test_both_engines_read_the_same_words_on_a_page_as_one_column() -> None:
    name = "receipt-05-restaurant-en-clean_scan.png"
    assert _texts(TesseractApiEngine().single_column(), name) == _texts(
        TesseractEngine().single_column(), name
    )


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_both_engines_find_how_a_turned_page_is_put_upright(turn: int) -> None:
    prepared, dpi = _prepared(PAGES[0])
    turned = preprocess.rotate_quarter(prepared.image, turn)
    found = [e.detect_orientation(turned, dpi=dpi, timeout_s=60)
             for e in (TesseractApiEngine(), TesseractEngine())]
    assert [o.rotate if o else None for o in found] == [(360 - turn) % 360] * 2


def test_a_line_read_as_a_rectangle_of_the_page_reads_as_the_line_cut_out() -> None:
    prepared, dpi = _prepared(PAGES[0])
    engine = TesseractApiEngine().single_line("eng")
    page_words = TesseractApiEngine().recognize(prepared.image, dpi=dpi, timeout_s=120)
    first = page_words[0]
    line = [w for w in page_words if (w.block, w.paragraph, w.line) ==
            (first.block, first.paragraph, first.line)]
    left, top = min(w.left for w in line) - 10, min(w.top for w in line) - 10
    right = max(w.left + w.width for w in line) + 10
    bottom = max(w.top + w.height for w in line) + 10
    (by_rectangle,) = engine.recognize_lines(
        prepared.image, [(left, top, right - left, bottom - top)], dpi=dpi, timeout_s=60
    )
    cut = engine.recognize(prepared.image[top:bottom, left:right], dpi=dpi, timeout_s=60)
    assert [w.text for w in by_rectangle] == [w.text for w in cut] == [w.text for w in line]
    assert by_rectangle[0].left >= left  # boxes in the page's pixels
