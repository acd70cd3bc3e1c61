"""A searchable PDF made from a real OCR read: the invisible words sit where they were read."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest

from extract.reader import Reader
from extract.settings import OcrSettings
from mailroom.settings import LimitSettings
from validate.ged import make_searchable_pdf

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "samples"
    / "documents"
    / "bank_details-00-letter-fr-rotated.jpg"
)


@pytest.mark.tesseract
@pytest.mark.slow
def test_searchable_copy_of_an_ocr_page_finds_the_words_at_their_boxes(tmp_path: Path) -> None:
    with Reader(OcrSettings(workers=1, page_timeout_s=120), LimitSettings()) as reader:
        result = reader.read(SAMPLE, "image/jpeg", image_dir=tmp_path / "images")
    (page,) = result.pages
    assert page.words, "OCR read nothing"
    out = tmp_path / "searchable.pdf"
    make_searchable_pdf(result.pages, [result.page_images.get(page.number)], out)
    with pdfplumber.open(out) as pdf:
        (pdf_page,) = pdf.pages
        assert abs(pdf_page.width - page.width) < 1 and abs(pdf_page.height - page.height) < 1
        assert len(pdf_page.images) == 1
        text = pdf_page.extract_text() or ""
        assert "IBAN" in text
        found = pdf_page.extract_words()
    long_words = [w for w in page.words if len(w.text) >= 6 and w.text.isalpha()][:10]
    assert long_words
    for word in long_words:
        same = [f for f in found if f["text"] == word.text]
        assert same, word.text
        best = min(same, key=lambda f: abs(f["x0"] - word.bbox.x0) + abs(f["top"] - word.bbox.y0))
        assert abs(best["x0"] - word.bbox.x0) < 3
        assert abs(best["x1"] - word.bbox.x1) < 3
        assert abs(best["bottom"] - word.bbox.y1) < 0.5 * (word.bbox.y1 - word.bbox.y0) + 2
