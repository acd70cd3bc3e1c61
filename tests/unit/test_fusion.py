"""The second reader's characters put back into Tesseract's words (extract.fusion), with a
scripted line reader; and the real PP-OCR model on a line drawn here."""

from __future__ import annotations

import os

import numpy as np
import pytest

from extract.base import OcrWord
from extract.fusion import fuse_lines
from extract.line_reader import LineChar, LineReading, LineRecognizer, default_model_path


def _word(text: str, left: int, conf: float = 80.0) -> OcrWord:
    return OcrWord(text, left, 10, 10 * len(text), 20, conf, 1, 1, 1)


class Scripted:
    """Reads every crop as the given characters, placed at the given x (crop pixels)."""

    def __init__(self, chars: list[tuple[str, float, float]]) -> None:
        self.chars = chars
        self.crops: list[np.ndarray] = []

    def read(self, crops: list[np.ndarray]) -> list[LineReading]:
        self.crops.extend(crops)
        return [LineReading(tuple(LineChar(t, x, p) for t, x, p in self.chars)) for _ in crops]


PAGE = np.full((60, 400), 255, dtype=np.uint8)


def _spell(text: str, start: float, prob: float = 0.99) -> list[tuple[str, float, float]]:
    return [(ch, start + 10 * i + 5, prob) for i, ch in enumerate(text)]


def test_misread_letter_is_replaced_by_place_without_the_second_readers_spaces():
    words = [_word("KORVO", 20), _word("SHOP", 90)]
    # crop starts at x = 20 - 10 (PAD_X * height): the chars stand where the words do
    reader = Scripted(_spell("KORVU", 10) + _spell("SHOP", 80))
    out = fuse_lines(words, PAGE, reader)  # type: ignore[arg-type]
    assert [w.text for w in out] == ["KORVU", "SHOP"]
    assert out[0].left == 20 and out[0].confidence == 99.0
    assert out[1] is words[1]


def test_unsure_characters_keep_the_first_reading():
    words = [_word("KORVO", 20)]
    out = fuse_lines(words, PAGE, Scripted(_spell("KORVU", 10, prob=0.6)))  # type: ignore[arg-type]
    assert out[0].text == "KORVO"


def test_another_word_or_a_chinese_character_is_refused():
    words = [_word("TOTAL", 20)]
    assert fuse_lines(words, PAGE, Scripted(_spell("XQ9ZK", 10)))[0].text == "TOTAL"  # type: ignore[arg-type]
    assert fuse_lines(words, PAGE, Scripted(_spell("TOTA米", 10)))[0].text == "TOTAL"  # type: ignore[arg-type]


def test_accents_and_currency_signs_stay_the_first_readers():
    words = [_word("Réglé", 20), _word("12,50€", 90)]
    out = fuse_lines(words, PAGE, Scripted(_spell("Regle", 10) + _spell("12,50C", 80)))  # type: ignore[arg-type]
    assert [w.text for w in out] == ["Réglé", "12,50€"]


def test_a_currency_sign_among_letters_is_a_misread_letter():
    words = [_word("D.I.¥.", 20), _word("¥12", 90)]
    out = fuse_lines(words, PAGE, Scripted(_spell("D.I.Y.", 10) + _spell("Y12", 80)))  # type: ignore[arg-type]
    assert [w.text for w in out] == ["D.I.Y.", "¥12"]


def test_a_rule_read_as_a_tall_mark_does_not_make_the_lines_crop_tall():
    page = np.full((300, 400), 255, dtype=np.uint8)
    words = [OcrWord("Alaf", 40, 100, 40, 20, 90.0, 1, 1, 1),
             OcrWord("Bhd", 100, 101, 30, 19, 90.0, 1, 1, 1),
             OcrWord("|", 380, 0, 4, 200, 90.0, 1, 1, 1)]
    reader = Scripted([])
    fuse_lines(words, page, reader)  # type: ignore[arg-type]
    (crop,) = reader.crops
    assert crop.shape[0] <= 20 * 1.5  # the words' band and its margins, not the rule's 200


def test_one_crop_per_line():
    words = [_word("A1", 20), OcrWord("B2", 20, 40, 20, 15, 80.0, 1, 1, 2)]
    reader = Scripted([])
    fuse_lines(words, PAGE, reader)  # type: ignore[arg-type]
    assert len(reader.crops) == 2


@pytest.mark.skipif(
    default_model_path() is None and not os.environ.get("CI"),
    reason="rapidocr-onnxruntime not installed (scripts/setup.sh installs it; CI requires it)",
)
def test_the_real_model_reads_a_drawn_line_and_places_its_characters():
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (420, 60), 255)
    font = ImageFont.load_default(size=32)
    ImageDraw.Draw(img).text((20, 10), "TOTAL 18.50", fill=0, font=font)
    model = default_model_path()
    assert model is not None
    reading = LineRecognizer(model).read([np.asarray(img)])[0]
    assert reading.text.replace(" ", "") == "TOTAL18.50"
    xs = [c.x for c in reading.chars if not c.text.isspace()]
    assert xs == sorted(xs) and 10 < xs[0] < 60 and 180 < xs[-1] < 420


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [
        ("STATIONERY", "STATONERY", True),  # a letter dropped
        ("BANH", "banh", True),  # only the case
        ("CO.", "C0.", True),  # a digit for a letter in a word of letters
        ("D.1.V.", "D.I.Y.", False),  # now all letters
        ("8.09", "8.00", False),
        ("208", "2018", False),  # a digit added
        ("BANDAR", "KIBANDAR", True),  # letters added at an end: a mark beside the word
        ("19.70", "219.70", True),
        ("50.88", "50.88-", True),  # a dash after an amount would make it negative
        ("7", "7.", False),  # a point at an end is no letter, digit or sign
    ],
)
def test_only_plausible_mends_are_taken(first: str, second: str, kept: bool):
    words = [_word(first, 20)]
    out = fuse_lines(words, PAGE, Scripted(_spell(second, 10)))  # type: ignore[arg-type]
    assert out[0].text == (first if kept else second)
