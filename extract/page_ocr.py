"""OCR of one page image: cleaned up, recognised, turned upright, read as a column when it
is a till roll, and its words converted into the page's :class:`~mailroom.models.Word` boxes.

Runs inside the reader's worker processes (:mod:`extract.reader` submits the tasks); nothing
here knows of the pool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from extract import pdf_text, preprocess
from extract.base import BackgroundOcr, ColumnOcr, OcrEngine, OcrWord
from extract.fusion import fuse_lines
from extract.line_reader import LineRecognizer
from mailroom.models import (
    BBox,
    Page,
    Word,
    chars_per_line,
    prints_as_till_roll,
)

log = logging.getLogger(__name__)

# full-page recognitions of one page at most: the first, and one of the page turned upright,
# smoothed (dotted print) or, for a till receipt, read as one column
MAX_RECOGNITIONS = 2
# ... except a till receipt whose two were spent on turning it upright (a photographed slip):
# its one-column reading is the one that finds a column of amounts the page layout analysis
# drops (a re-photographed receipt lost its total without it), and a narrow page costs little
MAX_TILL_RECOGNITIONS = 3
# OCR quality below which the page's orientation is checked (OSD) and the page OCR'd again
ORIENTATION_MIN_CONFIDENCE = 65.0
ORIENTATION_MIN_WORD_RATIO = 0.5
# a page whose lines hold no more than a till roll's (models.prints_as_till_roll) is read a
# second time as one column
COLUMN_REREAD_BELOW = 95.0  # mean confidence from which a till roll's first reading is kept
MISSED_MIN_CONFIDENCE = 60.0  # a word only one of a till roll's two readings has, taken
MISSED_LINE_MIN_CONFIDENCE = 30.0  # ... or, in a line the other reading lacks, beside such a word


@dataclass(frozen=True)
class OcrRead:
    words: list[OcrWord]
    image: np.ndarray  # the upright image that was OCR'd
    rotation: int
    deskew_angle: float
    enhanced: tuple[str, ...]
    scale: float = 1.0  # pixels of ``image`` per pixel of the page as loaded (upscaling)
    recognitions: int = 1  # full-page Tesseract recognitions made for it, this one included
    orientation_checks: int = 0


def ocr_quality(words: list[OcrWord]) -> tuple[float, float, float]:
    """(score, mean confidence, share of word-like tokens). The score, used to choose
    between two readings of a page, counts word-like words weighted by their confidence."""
    if not words:
        return 0.0, 0.0, 0.0
    mean = sum(w.confidence for w in words) / len(words)
    _, ratio = pdf_text.word_like_ratio([w.text for w in words])
    score = sum(w.confidence for w in words if pdf_text.looks_like_word(w.text)) / 100.0
    return score, mean, ratio


def reads_sideways(words: list[OcrWord]) -> bool:
    """Tesseract reads some quarter-turned pages with good confidence, in vertical lines:
    then most words of several letters have boxes taller than wide."""
    long_words = [w for w in words if len(w.text) >= 4]
    if len(long_words) < 3:
        return False
    tall = sum(1 for w in long_words if w.height > w.width)
    return tall > 0.5 * len(long_words)


def needs_orientation_check(words: list[OcrWord]) -> bool:
    _, mean, ratio = ocr_quality(words)
    return (
        mean < ORIENTATION_MIN_CONFIDENCE
        or ratio < ORIENTATION_MIN_WORD_RATIO
        or reads_sideways(words)
    )


def line_capacity(words: list[OcrWord]) -> float | None:
    """How many characters the page's lines hold (``models.chars_per_line``)."""
    return chars_per_line((w.text, w.left, w.left + w.width) for w in words)


def reads_as_till_roll(words: list[OcrWord]) -> bool:
    return prints_as_till_roll((w.text, w.left, w.left + w.width) for w in words)


def ocr_image(
    pixels: np.ndarray, dpi: int, engine: OcrEngine, timeout_s: float, *, camera: bool = False,
    start_early: bool = True,
    line_reader: LineRecognizer | Callable[[], LineRecognizer | None] | None = None,
) -> OcrRead:
    """Clean up and OCR an upright-or-not page, within a budget of ``MAX_RECOGNITIONS``
    full-page recognitions (see :func:`_upright_reading` for the plan). A till receipt read
    once only is then read again as one column (see :func:`_as_column`), and its lines read
    again by the PP-OCR line reader when there is one. Second readings of doubtful values
    are not made here but after extraction, for the values chosen (:meth:`Reader.reread`).
    ``camera``: a photograph (see ``preprocess.prepare``). ``start_early``: a core is idle,
    so Tesseract may start before the clean-up (below). ``line_reader``: the PP-OCR line
    reader, or what loads it (only a till receipt needs it: 60 MB a worker)."""
    read = _upright_reading(pixels, dpi, engine, timeout_s, camera=camera,
                            start_early=start_early)
    if read.recognitions < MAX_RECOGNITIONS or (
        read.rotation and read.recognitions < MAX_TILL_RECOGNITIONS
    ):
        read = _as_column(read, dpi, engine, timeout_s)
    if line_reader is None or not reads_as_till_roll(read.words):
        return read
    if not isinstance(line_reader, LineRecognizer):
        line_reader = line_reader()  # loaded on the first till receipt a worker reads
    if line_reader is not None:
        view = _plain_view(pixels, read)
        read = replace(read, words=fuse_lines(
            read.words, read.image if view is None else view, line_reader))
    return read


def _plain_view(pixels: np.ndarray, read: OcrRead) -> np.ndarray | None:
    """The page as it came, turned, enlarged and deskewed as ``read.image`` was but not
    cleaned up: second readings of doubtful words are made on it, where the clean-up's own
    mistakes (a stroke thinned away, a speck kept) are not. None for a photographed page
    that was cut out and flattened (its words' places are not those of the original)."""
    if "page" in read.enhanced:
        return None
    view = preprocess.plain_view(pixels, read.rotation, read.scale, read.deskew_angle)
    return view if view.shape[:2] == read.image.shape[:2] else None


def _as_column(read: OcrRead, dpi: int, engine: OcrEngine, timeout_s: float) -> OcrRead:
    """A till receipt's page read again as one column of lines, the better reading kept.
    Tesseract's page layout analysis cuts a receipt into blocks in the wrong places (a
    price away from its label, the shop's name in pieces, a total lost); read as a column,
    the same page gives more of its words right (on SROIE's receipts, three more totals and
    three more dates in a hundred). Only pages with the short lines of a till roll are read
    twice: an A4 page's columns are real."""
    if not isinstance(engine, ColumnOcr) or not reads_as_till_roll(read.words):
        return read
    score, mean, _ = ocr_quality(read.words)
    if mean >= COLUMN_REREAD_BELOW:
        return read
    words = engine.single_column().recognize(
        read.image, dpi=round(dpi * read.scale), timeout_s=timeout_s
    )
    read = replace(read, recognitions=read.recognitions + 1)
    if reads_sideways(words):
        return read
    if ocr_quality(words)[0] > score:
        log.debug("till receipt read again as one column")
        return replace(read, words=with_missed_words(words, read.words))
    return replace(read, words=with_missed_words(read.words, words))


def with_missed_words(kept: list[OcrWord], other: list[OcrWord]) -> list[OcrWord]:
    """``kept`` with the words of ``other`` that stand where ``kept`` has none, read with
    confidence: Tesseract's layout analysis drops a block now and then (a receipt's column of
    amounts under a dotted rule: "Net Total (MYR) :" and no 19.01; the shop's name in tall
    print over its registration number), which the other reading of the page has. A line of
    ``other`` that ``kept`` lacks altogether comes whole once one of its words is sure
    ("TAN WEI PAPER & BOOKS", its first and last words read with less confidence than
    the middle ones); elsewhere only sure words are taken. The added words keep their lines,
    numbered apart."""
    if not kept:
        return other
    boxes = np.array([(w.left, w.top, w.left + w.width, w.top + w.height) for w in kept])
    offset = max(w.block for w in kept) + 1
    lines: dict[tuple[int, int, int], list[tuple[OcrWord, bool]]] = {}
    for w in other:
        if not w.text.strip():
            continue
        overlaps = (np.minimum(boxes[:, 2], w.left + w.width) > np.maximum(boxes[:, 0], w.left)) \
            & (np.minimum(boxes[:, 3], w.top + w.height) > np.maximum(boxes[:, 1], w.top))
        lines.setdefault((w.block, w.paragraph, w.line), []).append((w, bool(overlaps.any())))
    added: list[OcrWord] = []
    for line in lines.values():
        missing = not any(overlapping for _, overlapping in line)
        sure = [w for w, _ in line if w.confidence >= MISSED_MIN_CONFIDENCE
                and any(ch.isalnum() for ch in w.text)]
        for w, overlapping in line:
            if overlapping or not (any(ch.isalnum() for ch in w.text) or w.text == "&"):
                continue
            if (missing and sure and w.confidence >= MISSED_LINE_MIN_CONFIDENCE) or w in sure:
                added.append(replace(w, block=w.block + offset))
    if added:
        log.debug("%d words read only by the other reading added", len(added))
    return kept + added


def _upright_reading(
    pixels: np.ndarray, dpi: int, engine: OcrEngine, timeout_s: float, *, camera: bool,
    start_early: bool,
) -> OcrRead:
    # A scan from an office scanner usually needs no clean-up at all: Tesseract starts on the
    # page as it came while the page is measured, and that reading is kept when the page
    # comes back untouched (the latency of one page is then Tesseract's alone). A photo
    # always needs work, so it is not started early; a page that needs clean-up costs the
    # first tenth of a second of a Tesseract run, killed: the reader asks for it only while
    # fewer pages are being read than the machine has cores (an idle core does the work).
    early = engine.start(pixels, dpi=dpi, timeout_s=timeout_s) if (
        start_early and not camera and isinstance(engine, BackgroundOcr)
    ) else None
    try:
        prepared = preprocess.prepare(pixels, camera=camera)
    except BaseException:
        if early is not None:
            early.cancel()
        raise
    if early is not None and prepared.image is pixels:
        best = _as_read(early.result(), prepared)
    else:
        if early is not None:
            early.cancel()
        best = _recognized(engine, prepared, dpi, timeout_s)
    if not needs_orientation_check(best.words):
        return best
    # The page reads poorly. One more recognition is allowed: of the page turned upright
    # when orientation detection says it is turned, else (a page that needed cleaning up, or
    # where nothing was read) of the page prepared for faint print made of dots (faded
    # thermal paper), which reads once smoothed. The better reading is kept.
    orientation = engine.detect_orientation(
        best.image, dpi=round(dpi * best.scale), timeout_s=timeout_s
    )
    best = replace(best, orientation_checks=1)
    if orientation is not None and orientation.rotate != 0:
        turned = _recognized(
            engine,
            preprocess.prepare(
                preprocess.rotate_quarter(pixels, orientation.rotate), camera=camera
            ),
            dpi, timeout_s, rotation=orientation.rotate,
        )
        turned = replace(turned, recognitions=2, orientation_checks=1)
        sideways_before = reads_sideways(best.words) and not reads_sideways(turned.words)
        if sideways_before or ocr_quality(turned.words)[0] > ocr_quality(best.words)[0]:
            log.debug("page turned %d degrees by orientation detection", orientation.rotate)
            return turned
        return replace(best, recognitions=2)
    if best.enhanced or not best.words:
        dotted = _recognized(
            engine, preprocess.prepare(pixels, camera=camera, dotted=True), dpi, timeout_s
        )
        dotted = replace(dotted, recognitions=2, orientation_checks=1)
        if ocr_quality(dotted.words)[0] > ocr_quality(best.words)[0] and \
                not reads_sideways(dotted.words):
            log.debug("page read again smoothed (dotted print)")
            return dotted
        return replace(best, recognitions=2)
    return best


def _as_read(words: list[OcrWord], prepared: preprocess.Prepared, rotation: int = 0) -> OcrRead:
    return OcrRead(
        words, prepared.image, rotation, prepared.deskew_angle, prepared.enhanced,
        prepared.scale,
    )


def _recognized(
    engine: OcrEngine, prepared: preprocess.Prepared, dpi: int, timeout_s: float,
    rotation: int = 0,
) -> OcrRead:
    """The prepared page read (its resolution is the loaded page's times its upscaling)."""
    words = engine.recognize(
        prepared.image, dpi=round(dpi * prepared.scale), timeout_s=timeout_s
    )
    return _as_read(words, prepared, rotation)


def page_from_ocr(
    number: int, read: OcrRead, dpi: float
) -> Page:
    """A Page from OCR words: pixels of the upright image to PDF points, lines numbered in
    Tesseract's reading order by (block, paragraph, line). ``dpi``: of the page as loaded,
    before any upscaling (``read.scale``)."""
    scale = 72.0 / (dpi * read.scale)
    h, w = read.image.shape[:2]
    line_of: dict[tuple[int, int, int], int] = {}
    lines: list[list[str]] = []
    words: list[Word] = []
    for ow in read.words:
        key = (ow.block, ow.paragraph, ow.line)
        if key not in line_of:
            line_of[key] = len(lines)
            lines.append([])
        lines[line_of[key]].append(ow.text)
        words.append(
            Word(
                text=ow.text,
                bbox=BBox(
                    x0=ow.left * scale,
                    y0=ow.top * scale,
                    x1=(ow.left + ow.width) * scale,
                    y1=(ow.top + ow.height) * scale,
                ),
                confidence=float(ow.confidence),
                line=line_of[key],
                block=ow.block,
            )
        )
    mean = round(sum(w.confidence for w in words) / len(words), 1) if words else None
    return Page(
        number=number,
        width=w * scale,
        height=h * scale,
        text="\n".join(" ".join(line) for line in lines),
        words=tuple(words),
        text_source="ocr",
        ocr_confidence=mean,
        rotation=read.rotation,
        deskew_angle=read.deskew_angle,
        recognitions=read.recognitions,
        other_readings=read.orientation_checks,
    )
