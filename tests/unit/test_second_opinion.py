"""Second readings of doubtful dates (extract.second_opinion): replaced only on unanimity."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from extract.base import OcrWord
from extract.second_opinion import SCALES, second_opinion
from mailroom.errors import OcrFailed


@dataclass
class LineReader:
    """Reads each crop as one word spanning it, its texts taken in turn (one per size)."""

    texts: list[str]
    calls: list[tuple[int, int]] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    name: str = "lines"

    def check(self) -> None:
        return None

    def single_line(self, languages: str) -> LineReader:
        self.languages.append(languages)
        return self

    def recognize(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> list[OcrWord]:
        h, w = image.shape[:2]
        self.calls.append((h, w))
        text = self.texts[(len(self.calls) - 1) % len(self.texts)]
        return [OcrWord(text, 0, 0, w, h, 90.0)]


def _page() -> np.ndarray:
    return np.full((400, 600), 255, dtype=np.uint8)


def _date(text: str, confidence: float = 83.0) -> OcrWord:
    return OcrWord(text, 100, 200, 120, 20, confidence, block=1, paragraph=1, line=3)


def test_a_date_every_second_reading_reads_otherwise_is_replaced_in_place() -> None:
    word = _date("19/02/2016")
    other = OcrWord("TOTAL", 100, 100, 80, 20, 60.0, block=1, paragraph=1, line=1)
    reader = LineReader(["19/02/2018"])
    out = second_opinion([other, word], _page(), 300, reader, 10.0)
    assert out[1].text == "19/02/2018"
    assert (out[1].left, out[1].top, out[1].width, out[1].height) == (100, 200, 120, 20)
    assert out[0] == other
    assert len(reader.calls) == len(SCALES)
    assert reader.languages == ["eng"]
    # the crops grow with the sizes asked for
    assert [c[1] for c in reader.calls] == sorted(c[1] for c in reader.calls)


def test_second_readings_that_disagree_leave_the_first_reading() -> None:
    reader = LineReader(["02/03/2018", "02/03/2018", "02/08/2018", "02/03/2018"])
    out = second_opinion([_date("02/08/2018")], _page(), 300, reader, 10.0)
    assert out[0].text == "02/08/2018"


def test_a_confident_date_or_a_word_without_a_date_is_not_read_again() -> None:
    reader = LineReader(["01/03/18"])
    words = [_date("61/03/18", confidence=98.0), _date("Merci", confidence=40.0)]
    assert second_opinion(words, _page(), 300, reader, 10.0) == words
    assert reader.calls == []


def test_a_unanimous_reading_that_is_no_date_is_not_taken() -> None:
    reader = LineReader(["Slip"])
    out = second_opinion([_date("61/03/18")], _page(), 300, reader, 10.0)
    assert out[0].text == "61/03/18"


def test_the_sizes_are_the_loaded_pages_when_the_page_was_enlarged() -> None:
    reader = LineReader(["01/03/18"])
    second_opinion([_date("61/03/18")], _page(), 600, reader, 10.0, loaded_scale=2.0)
    widths = [c[1] for c in reader.calls]
    # the line's crop (word plus padding) at half, three quarters, one and one and a half
    assert widths[2] == widths[0] * 2


@dataclass
class FailingReader(LineReader):
    def recognize(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> list[OcrWord]:
        raise OcrFailed("tesseract failed: Failed loading language 'eng'")


def test_a_second_reading_that_fails_leaves_the_first_reading() -> None:
    reader = FailingReader(["01/03/18"])
    out = second_opinion([_date("61/03/18")], _page(), 300, reader, 10.0)
    assert out[0].text == "61/03/18"
