"""A second opinion on the dates the extractor chose and the page's reading is not sure of.

Tesseract misreads a digit of a date in ways no rule can undo afterwards ("19/02/2016" for
2018, "02/08/2018" for 02/03, "61/03/18" for 01): each reading is plausible on its own. Cut
out of the page as it came (before clean-up) and read again alone as one line, at ``SCALES``
sizes, the same date often comes back right, and a misreading does not come back the same way
at every size. So each date-shaped word read with less than full confidence is read again so,
and replaced only when every second reading agrees on another date-shaped text: an agreement of
independent readings, not a guess. On SROIE's receipts (``mailroom eval sroie``) dates went
from 90 to 92 right in a hundred (compared offline, miss by miss, the rule lost none); measured
on crops of the original images, a majority instead of unanimity gained one more and lost one,
the French+English model instead of the English one (digits) lost one, and stacking the
doubtful lines of a page into one sheet read as a column (one run per size) lost more than it
gained.

Second readings cost a Tesseract run per size on a crop of one line. They were made of every
date-shaped word under full confidence of every page (eight one-line readings a page, at four
sizes: 192 Tesseract runs on 24 scans); they are now made after extraction, of the words of the
date fields the extractor chose (:func:`doubted_words`), through :meth:`Reader.reread
<extract.reader.Reader.reread>`, and the fields extracted again when a word changed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from extract import preprocess
from extract.base import LineOcr, OcrEngine, OcrWord
from mailroom.errors import OcrFailed, ReadTimeout
from mailroom.models import ExtractedField, Page

log = logging.getLogger(__name__)

DOUBT_BELOW = 97.0  # Tesseract reports 95-96 for some misread dates
SCALES = (1.0, 1.5, 2.0, 3.0)  # sizes of the second readings, relative to the page as loaded
LANGUAGES = "eng"  # the model whose digits read best (measured on SROIE, see above)
MAX_WORDS = 8  # date-shaped words read again on one page
PAD = 0.6  # white kept around the line, in line heights
DATE_SHAPE = re.compile(r"\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}")


def is_doubtful(word: OcrWord) -> bool:
    return word.confidence < DOUBT_BELOW and DATE_SHAPE.search(word.text) is not None



def doubted_words(pages: Iterable[Page], fields: Iterable[ExtractedField]) -> dict[int, list[int]]:
    """Page number -> indexes of the words to read again: the doubtful date-shaped words
    (``is_doubtful``) under the box of a date field the extractor chose on an OCR page, at
    most ``MAX_WORDS`` a page."""
    by_number = {p.number: p for p in pages}
    wanted: dict[int, list[int]] = {}
    for found in fields:
        if found.kind != "date" or found.page is None or found.bbox is None:
            continue
        page = by_number.get(found.page)
        if page is None or page.text_source != "ocr":
            continue
        chosen = wanted.setdefault(page.number, [])
        for index, word in enumerate(page.words):
            if index in chosen or len(chosen) >= MAX_WORDS:
                continue
            if word.confidence < DOUBT_BELOW and DATE_SHAPE.search(word.text) \
                    and word.bbox.overlaps(found.bbox):
                chosen.append(index)
    return {number: indexes for number, indexes in wanted.items() if indexes}


def second_opinion(
    words: list[OcrWord], image: np.ndarray, dpi: int, engine: OcrEngine, timeout_s: float,
    *, loaded_scale: float = 1.0, only: Iterable[int] | None = None,
) -> list[OcrWord]:
    """``words`` with the doubtful dates that every second reading reads otherwise replaced
    (box kept, confidence the second readings' lowest). ``image``: the page the words' boxes
    refer to, at ``dpi``; ``loaded_scale``: its enlargement over the page as loaded (the
    second readings' sizes are the loaded page's). ``only``: the indexes of the words to
    consider (all the page's doubtful dates when None)."""
    if not isinstance(engine, LineOcr):
        return words
    candidates = range(len(words)) if only is None else sorted(set(only))
    doubtful = [i for i in candidates if is_doubtful(words[i])][:MAX_WORDS]
    if not doubtful:
        return words
    reader = engine.single_line(LANGUAGES)
    out = list(words)
    for index in doubtful:
        word = words[index]
        crop, x0 = _line_crop(words, word, image)
        if crop.size == 0:
            continue
        readings = [
            _read_again(crop, x0, word, reader, round(dpi * s / loaded_scale), timeout_s,
                        s / loaded_scale)
            for s in SCALES
        ]
        texts = {text for text, _ in readings}
        if len(texts) != 1:
            continue
        text = texts.pop()
        if not text or text == word.text or not DATE_SHAPE.search(text):
            continue
        conf = min(c for _, c in readings)
        log.debug("second opinion: %r read again as %r", word.text, text)
        out[index] = replace(word, text=text, confidence=round(conf, 2))
    return out


def _line_crop(
    words: list[OcrWord], word: OcrWord, image: np.ndarray
) -> tuple[np.ndarray, int]:
    """``word``'s line cut out of ``image`` with white around it, and the cut's left edge."""
    key = (word.block, word.paragraph, word.line)
    line = [w for w in words if (w.block, w.paragraph, w.line) == key]
    top = min(w.top for w in line)
    bottom = max(w.top + w.height for w in line)
    pad = round((bottom - top) * PAD)
    x0 = max(0, min(w.left for w in line) - pad)
    right = max(w.left + w.width for w in line) + pad
    return image[max(0, top - pad):bottom + pad, x0:right], x0


def _read_again(
    crop: np.ndarray, x0: int, word: OcrWord, reader: OcrEngine, dpi: int, timeout_s: float,
    factor: float,
) -> tuple[str, float]:
    """What a reading of ``crop`` (``word``'s line, cut at ``x0``) enlarged by ``factor``
    reads on the word's span: its words whose centres fall there, joined."""
    scaled = np.ascontiguousarray(preprocess.resized(crop, factor))
    try:
        found = reader.recognize(scaled, dpi=max(dpi, 1), timeout_s=timeout_s)
    except (OcrFailed, ReadTimeout) as e:  # a second opinion is optional: the first stands
        log.warning("second reading of %r failed: %s", word.text, e)
        return "", 0.0
    left, right = word.left, word.left + word.width
    inside = sorted(
        (f for f in found if left <= x0 + (f.left + f.width / 2) / factor < right),
        key=lambda f: f.left,
    )
    if not inside:
        return "", 0.0
    return "".join(f.text for f in inside), min(f.confidence for f in inside)
