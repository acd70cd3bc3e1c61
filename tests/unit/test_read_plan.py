"""The read plan's budget (at most two full-page recognitions a page) and the second readings
of the date fields the extractor chose and doubts (Reader.reread)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from extract.base import FakeOcrEngine, OcrWord
from extract.page_ocr import MAX_RECOGNITIONS, ocr_image
from extract.reader import Reader
from extract.second_opinion import SCALES, doubted_words
from extract.settings import OcrSettings
from mailroom.models import BBox, ExtractedField, Page, Word
from mailroom.settings import LimitSettings


def _page_with_mark(h: int = 1200, w: int = 900) -> np.ndarray:
    page = np.full((h, w), 255, dtype=np.uint8)
    page[h // 10: h // 4, w // 10: w // 4] = 0
    return page


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
@pytest.mark.parametrize("camera", [False, True])
def test_a_page_that_reads_poorly_every_way_is_recognised_twice_at_most(
    turns: int, camera: bool, tmp_path: Path
) -> None:
    log = tmp_path / "calls"
    engine = FakeOcrEngine(confidence=20.0, calls_log=str(log))  # poor even upright
    page = np.rot90(_page_with_mark(), turns).copy()
    read = ocr_image(page, 300, engine, timeout_s=5, camera=camera, start_early=False)
    calls = log.read_text().split()
    assert calls.count("recognize") == read.recognitions <= MAX_RECOGNITIONS
    assert calls.count("osd") == read.orientation_checks == 1


def test_a_page_read_well_is_recognised_once_without_orientation_detection(
    tmp_path: Path,
) -> None:
    log = tmp_path / "calls"
    read = ocr_image(_page_with_mark(), 300, FakeOcrEngine(calls_log=str(log)), timeout_s=5,
                     start_early=False)
    assert log.read_text().split() == ["recognize"]
    assert (read.recognitions, read.orientation_checks) == (1, 0)


def _word(text: str, x0: float, confidence: float, line: int = 0) -> Word:
    return Word(text=text, bbox=BBox(x0=x0, y0=100, x1=x0 + 60, y1=112),
                confidence=confidence, line=line, block=1)


def _ocr_page(*words: Word) -> Page:
    return Page(number=1, width=595, height=842, text=" ".join(w.text for w in words),
                words=words, text_source="ocr")


def _date_field(x0: float) -> ExtractedField:
    return ExtractedField(value=date(2018, 3, 1), confidence=0.8, page=1,
                          bbox=BBox(x0=x0, y0=100, x1=x0 + 60, y1=112))


def test_only_the_doubtful_words_of_a_chosen_date_are_read_again() -> None:
    page = _ocr_page(
        _word("61/03/18", 50, 80.0), _word("02/08/2018", 200, 80.0),
        _word("12/04/2018", 350, 99.0), _word("Total", 450, 50.0),
    )
    assert doubted_words([page], [_date_field(50)]) == {1: [0]}
    assert doubted_words([page], [_date_field(350)]) == {}  # chosen, but read surely
    assert doubted_words([page], [_date_field(450)]) == {}  # not a date-shaped word
    amount = ExtractedField(value="61/03/18", confidence=0.5, page=1, bbox=page.words[0].bbox)
    assert doubted_words([page], [amount]) == {}  # not a date field
    text_page = page.model_copy(update={"text_source": "pdf_text"})
    assert doubted_words([text_page], [_date_field(50)]) == {}


@dataclass(frozen=True)
class _OneWordLine(FakeOcrEngine):
    """Reads any crop as one word spanning it."""

    def recognize(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> list[OcrWord]:
        self._note("line")
        h, w = image.shape[:2]
        return [OcrWord(self.text, 0, 0, w, h, 93.0)]


@dataclass(frozen=True)
class _LineEngine(FakeOcrEngine):
    line_text: str = "01/03/18"

    def single_line(self, languages: str) -> _OneWordLine:
        return _OneWordLine(text=self.line_text, calls_log=self.calls_log)


def test_a_chosen_doubtful_date_read_otherwise_at_every_size_is_replaced(
    tmp_path: Path,
) -> None:
    scan = tmp_path / "scan.png"
    Image.fromarray(np.full((842 * 2, 595 * 2), 255, np.uint8)).save(scan, dpi=(144, 144))
    log = tmp_path / "calls"
    page = _ocr_page(_word("Le", 10, 95.0, line=2), _word("61/03/18", 80, 80.0),
                     _word("09/09/18", 300, 80.0, line=1))
    settings = OcrSettings(workers=1, page_timeout_s=20)
    with Reader(settings, LimitSettings(), _LineEngine(calls_log=str(log))) as reader:
        unchanged = [page]
        assert reader.reread(scan, "image/png", unchanged, [_date_field(500)]) is unchanged
        pages = reader.reread(scan, "image/png", [page], [_date_field(80)])
    assert [w.text for w in pages[0].words] == ["Le", "01/03/18", "09/09/18"]
    assert pages[0].words[1].confidence == 93.0
    assert pages[0].text == "01/03/18\n09/09/18\nLe"
    assert pages[0].other_readings == len(SCALES)
    assert log.read_text().split() == ["line"] * len(SCALES)


def test_tesserocr_is_the_engine_and_the_program_the_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from extract import tesseract_api
    from extract.reader import make_engine
    from extract.tesseract import TesseractEngine
    from extract.tesseract_api import TesseractApiEngine

    monkeypatch.setattr(tesseract_api, "available", lambda: True)
    assert isinstance(make_engine(OcrSettings()), TesseractApiEngine)
    assert isinstance(make_engine(OcrSettings(engine="tesseract")), TesseractEngine)
    monkeypatch.setattr(tesseract_api, "available", lambda: False)
    assert isinstance(make_engine(OcrSettings()), TesseractEngine)


def test_the_models_folder_is_the_setting_then_tessdata_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from extract.tesseract_api import TesseractApiEngine, find_tessdata
    from mailroom.errors import ConfigurationError

    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path / "prefix"))
    assert find_tessdata(tmp_path / "set") == tmp_path / "set"
    assert find_tessdata() == tmp_path / "prefix"
    (tmp_path / "prefix").mkdir()
    (tmp_path / "prefix" / "eng.traineddata").write_bytes(b"")
    with pytest.raises(ConfigurationError, match="fra"):
        TesseractApiEngine(languages="fra+eng").check()
