"""OCR results to pages, orientation handling, TSV/OSD parsing, with the fake engine."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from extract.base import FakeOcrEngine, OcrWord
from extract.page_ocr import (
    OcrRead,
    line_capacity,
    ocr_image,
    page_from_ocr,
    reads_as_till_roll,
    reads_sideways,
)
from extract.preprocess import estimate_skew, prepare, rotate_small_angle
from extract.tesseract import TesseractEngine, parse_osd, parse_tsv, write_bmp


def _page_with_mark(h: int = 400, w: int = 300) -> np.ndarray:
    img = np.full((h, w), 255, dtype=np.uint8)
    img[20:80, 20:80] = 0  # the fake engine's "upright" mark, top-left
    return img


def test_pixel_boxes_become_points_from_top_left() -> None:
    words = [
        OcrWord(
            "Total",
            left=300,
            top=600,
            width=150,
            height=50,
            confidence=90.0,
            block=1,
            paragraph=1,
            line=1,
        )
    ]
    image = np.zeros((3508, 2480), dtype=np.uint8)
    page = page_from_ocr(1, OcrRead(words, image, 0, 0.0, ()), dpi=300)
    box = page.words[0].bbox
    assert (box.x0, box.y0, box.x1, box.y1) == pytest.approx((72.0, 144.0, 108.0, 156.0))
    assert page.width == pytest.approx(595.2) and page.height == pytest.approx(841.92)
    assert page.text_source == "ocr" and page.ocr_confidence == 90.0


def test_ocr_lines_follow_block_paragraph_line() -> None:
    def w(text: str, block: int, par: int, line: int, conf: float = 80.0) -> OcrWord:
        return OcrWord(text, 0, 0, 10, 10, conf, block, par, line)

    words = [
        w("Facture", 1, 1, 1),
        w("42", 1, 1, 1),
        w("Total", 2, 1, 1, 60.0),
        w("TTC", 2, 1, 1),
        w("Merci", 2, 2, 1),
    ]
    page = page_from_ocr(3, OcrRead(words, np.zeros((10, 10), np.uint8), 90, 1.5, ()), dpi=72)
    assert page.text == "Facture 42\nTotal TTC\nMerci"
    assert [x.line for x in page.words] == [0, 0, 1, 1, 2]
    assert page.ocr_confidence == 76.0
    assert page.rotation == 90 and page.deskew_angle == 1.5 and page.number == 3


def test_page_without_words_has_no_confidence() -> None:
    page = page_from_ocr(1, OcrRead([], np.zeros((10, 10), np.uint8), 0, 0.0, ()), dpi=300)
    assert page.text == "" and page.ocr_confidence is None


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_turned_page_is_read_upright_and_rotation_recorded(turns: int, tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    engine = FakeOcrEngine(calls_log=str(log))
    # np.rot90 turns counter-clockwise; the page needs (90 * turns) clockwise to come back
    turned = np.rot90(_page_with_mark(), turns).copy()
    read = ocr_image(turned, 300, engine, timeout_s=5)
    assert read.rotation == 90 * turns
    assert read.words[0].text == "Facture"
    assert FakeOcrEngine._dark_quadrant(read.image) == 0
    assert log.read_text().split() == ["recognize", "osd", "recognize"]


def test_upright_page_good_reading_skips_orientation_detection(tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    read = ocr_image(_page_with_mark(), 300, FakeOcrEngine(calls_log=str(log)), timeout_s=5)
    assert read.rotation == 0
    assert log.read_text().split() == ["recognize"]


def test_words_read_in_vertical_lines_mean_a_sideways_page() -> None:
    tall = [OcrWord("Facture", 0, 0, 30, 200, 95.0) for _ in range(5)]
    wide = [OcrWord("Facture", 0, 0, 200, 30, 95.0) for _ in range(5)]
    assert reads_sideways(tall) and not reads_sideways(wide)


def test_skew_is_measured_and_corrected() -> None:
    img = np.full((1200, 900), 255, dtype=np.uint8)
    for y in range(100, 1100, 40):
        for x in range(80, 820, 60):
            img[y : y + 14, x : x + 45] = 0  # words on lines
    skewed = rotate_small_angle(img, 3.0)
    angle = estimate_skew(skewed)
    assert angle == pytest.approx(-3.0, abs=0.3)
    assert estimate_skew(img) == 0.0
    prepared = prepare(skewed)
    assert prepared.deskew_angle == pytest.approx(-3.0, abs=0.3)
    assert abs(estimate_skew(prepared.image)) < 0.3


def test_clean_page_is_left_untouched() -> None:
    img = np.full((1800, 900), 250, dtype=np.uint8)
    for y in range(100, 1700, 60):
        for x in range(80, 820, 20):
            img[y : y + 26, x : x + 12] = 10  # 26-px characters: large enough for OCR
    prepared = prepare(img)
    assert prepared.enhanced == () and prepared.deskew_angle == 0.0
    assert prepared.image is img


def test_uneven_lighting_of_a_photo_is_flattened() -> None:
    img = np.full((1200, 900), 245, dtype=np.float64)
    img *= np.linspace(0.45, 1.0, 900)[None, :]  # a shadow over the left of the page
    for y in range(100, 1100, 40):
        img[y : y + 14, 80:820:3] *= 0.25
    before = img.astype(np.uint8)[60:90, :]
    prepared = prepare(img.astype(np.uint8), camera=True)
    assert "flatten" in prepared.enhanced
    paper = prepared.image[60:90, :]  # a band of paper between lines
    assert float(paper[:, 150:250].mean()) == pytest.approx(
        float(paper[:, -100:].mean()), abs=25
    )
    # the outermost strip is brightened too, if less (the light there is extrapolated)
    assert float(paper[:, :100].mean()) > float(before[:, :100].mean()) + 60


def test_tesseract_tsv_keeps_words_with_confidence() -> None:
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t\n"
        "5\t1\t1\t1\t1\t1\t10\t20\t30\t40\t96.5\tFacture\n"
        "5\t1\t1\t1\t1\t2\t50\t20\t30\t40\t-1\t \n"
        "5\t1\t2\t1\t1\t1\t10\t90\t30\t40\t0\t€\n"
    )
    words = parse_tsv(tsv)
    assert [(w.text, w.confidence, w.block) for w in words] == [("Facture", 96.5, 1), ("€", 0.0, 2)]


def test_osd_output_is_parsed() -> None:
    out = "Page number: 0\nOrientation in degrees: 270\nRotate: 90\nOrientation confidence: 7.2\n"
    osd = parse_osd(out)
    assert osd is not None and osd.rotate == 90 and osd.confidence == 7.2
    assert parse_osd("nonsense") is None


@pytest.mark.parametrize("width", [333, 336])  # rows padded to 4 bytes, or not
def test_bmp_for_tesseract_is_read_back_pixel_exact(width: int, tmp_path: Path) -> None:
    from PIL import Image

    img = np.random.default_rng(3).integers(0, 256, (101, width), dtype=np.uint8)
    path = tmp_path / "page.bmp"
    write_bmp(img, path, dpi=300)
    with Image.open(path) as back:
        assert back.size == (width, 101)
        assert round(back.info["dpi"][0]) == 300
        assert np.array_equal(np.asarray(back.convert("L")), img)


# ------------------------------------------------------------ Tesseract started early


class _EarlyEngine(FakeOcrEngine):
    """The fake, able to start a reading in the background, noting what happens to it."""

    def start(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> _Started:
        self._note("start")
        return _Started(self, image, dpi, timeout_s)


class _Started:
    def __init__(self, engine: _EarlyEngine, image: np.ndarray, dpi: int, timeout_s: float):
        self.engine, self.image, self.dpi, self.timeout_s = engine, image, dpi, timeout_s

    def result(self) -> list[OcrWord]:
        self.engine._note("early-result")
        quiet = FakeOcrEngine(self.engine.text, self.engine.confidence)  # logs nothing
        return quiet.recognize(self.image, dpi=self.dpi, timeout_s=self.timeout_s)

    def cancel(self) -> None:
        self.engine._note("early-cancel")


def _clean_page() -> np.ndarray:
    img = np.full((1800, 900), 250, dtype=np.uint8)
    img[20:200, 20:200] = 0  # the fake's upright mark
    for y in range(300, 1700, 60):
        for x in range(80, 820, 20):
            img[y : y + 26, x : x + 12] = 10
    return img


def test_a_clean_scan_keeps_the_reading_started_before_its_clean_up(tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    page = _clean_page()
    read = ocr_image(page, 300, _EarlyEngine(calls_log=str(log)), timeout_s=5)
    assert log.read_text().split() == ["start", "early-result"]
    assert read.image is page and read.words[0].text == "Facture"


def test_a_page_that_needs_clean_up_is_read_again_once_prepared(tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    page = rotate_small_angle(_clean_page(), 3.0)  # skewed: deskewed before OCR
    read = ocr_image(page, 300, _EarlyEngine(calls_log=str(log)), timeout_s=5)
    assert log.read_text().split()[:3] == ["start", "early-cancel", "recognize"]
    assert read.deskew_angle != 0.0 and read.image is not page


def test_a_photo_is_not_read_before_its_clean_up(tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    ocr_image(_clean_page(), 300, _EarlyEngine(calls_log=str(log)), timeout_s=5, camera=True)
    assert "start" not in log.read_text().split()


def test_the_early_reading_is_cancelled_when_the_clean_up_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import extract.reader as reader_module

    def broken(*args: object, **kwargs: object) -> None:
        raise MemoryError("no room for the page")

    monkeypatch.setattr(reader_module.preprocess, "prepare", broken)
    log = tmp_path / "calls.txt"
    with pytest.raises(MemoryError):
        ocr_image(_clean_page(), 300, _EarlyEngine(calls_log=str(log)), timeout_s=5)
    assert log.read_text().split() == ["start", "early-cancel"]


# -- a till receipt is read a second time as one column


def _words(text: str) -> list[OcrWord]:
    return FakeOcrEngine(text=text).recognize(_page_with_mark(), dpi=300, timeout_s=5)


def test_line_capacity_tells_a_till_roll_from_an_a4_page() -> None:
    till = _words("KORVU STATIONERY SHOP\nTOTAL INCL GST 12.50\nCASH 20.00 CHANGE 7.50\n" * 3)
    a4 = _words("Facture numero 2026-0042 du 12 mars 2026 pour le remorquage du vehicule "
                "immatricule AB-123-CD sur autoroute A6 entre Lyon et Paris\n" * 4)
    assert reads_as_till_roll(till) and line_capacity(till) < 30
    assert not reads_as_till_roll(a4) and line_capacity(a4) > 100
    assert line_capacity(till[:3]) is None  # too few words to tell


@dataclass(frozen=True)
class _ColumnEngine(FakeOcrEngine):
    """Reads its text poorly in blocks and well as one column."""

    column: bool = False

    def single_column(self) -> _ColumnEngine:
        return replace(self, column=True, confidence=90.0)

    def recognize(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> list[OcrWord]:
        self._note("column" if self.column else "blocks")
        return super().recognize(image, dpi=dpi, timeout_s=timeout_s)


def _modes(log: Path) -> list[str]:
    return [c for c in log.read_text().split() if c in ("blocks", "column")]


_TILL = "KORVU STATIONERY SHOP\nTOTAL INCL GST 12.50\nCASH 20.00\nCHANGE 7.50\nTHANK YOU"


def test_a_till_receipt_is_read_again_as_one_column_and_the_better_reading_kept(
    tmp_path: Path,
) -> None:
    log = tmp_path / "calls"
    engine = _ColumnEngine(text=_TILL, confidence=70.0, calls_log=str(log))
    read = ocr_image(_page_with_mark(800, 300), 300, engine, timeout_s=5, start_early=False)
    assert _modes(log) == ["blocks", "column"]
    assert {w.confidence for w in read.words} == {90.0}


def test_a_well_read_receipt_and_an_a4_page_are_read_once(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    sure = _ColumnEngine(text=_TILL, confidence=96.0, calls_log=str(log))
    ocr_image(_page_with_mark(800, 300), 300, sure, timeout_s=5, start_early=False)
    assert _modes(log) == ["blocks"]
    log.unlink()
    letter = _ColumnEngine(text="Madame, Monsieur, nous accusons reception de votre "
                           "declaration de sinistre du 12 mars et vous prions de nous "
                           "adresser la facture du depanneur\n" * 3,
                           confidence=70.0, calls_log=str(log))
    ocr_image(_page_with_mark(), 300, letter, timeout_s=5, start_early=False)
    assert _modes(log) == ["blocks"]


def test_tesseract_reads_one_column_in_psm_6() -> None:
    assert TesseractEngine().single_column().psm == 6
    assert TesseractEngine().psm == 3
