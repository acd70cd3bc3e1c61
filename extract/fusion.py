"""Two readers, one reading: a till receipt's lines read again by PP-OCR, its characters put
back into Tesseract's words.

Tesseract's page reading is kept for what it does well — the words, their boxes and lines,
the layout that extraction works from — and each of its lines is cut out of the page as it
came (before clean-up) and read again by the second reader (:mod:`extract.line_reader`).
Each character the second reader reads has its place along the line, so it goes to the
Tesseract word it stands on (or the nearest one, when it stands in a gap): the second
reading needs no word spacing of its own (PP-OCR often reads "KORVUSTATIONERYSHOP" as one)
and no string alignment that a dropped or added character could shift.

A word takes the second reading's characters only when:

- they are read with confidence (``MIN_CHAR_PROBABILITY`` for each, ``MIN_MEAN_PROBABILITY``
  on average), with no character outside the Latin script (the model also reads Chinese:
  a smudge read as an ideogram says the second reading is unsure there);
- they are close to the word as Tesseract read it (:func:`_plausible_edit`: at most half its
  characters changed, none of its letters or digits dropped, its case kept, a letter read as
  a digit only where that makes the word all letters or all digits): a misread letter or
  digit mended, not another word that a misplaced character made up;
- the word has no accented letter of its own, and no currency sign by an amount: the French
  model reads those, the second reader's character set has few (no "€"); a currency sign
  among letters ("D.I.¥.") is a misread letter, and may be mended.

Only till receipts are read twice (``reader.reads_as_till_roll``): on an A4 page Tesseract's
reading is good, on a till roll's small worn print it is where the misreadings are.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from rapidfuzz.distance import Levenshtein

from extract.base import OcrWord
from extract.line_reader import LineChar, LineRecognizer

log = logging.getLogger(__name__)

MIN_CHAR_PROBABILITY = 0.5
MIN_MEAN_PROBABILITY = 0.85
PAD_X = 0.5  # white kept left and right of a line, in line heights
PAD_Y = 0.2  # ... above and below
OUTLIER_HEIGHT = 1.6  # a word this many times the line's median height is not its print


def fuse_lines(
    words: Sequence[OcrWord], image: np.ndarray, recognizer: LineRecognizer
) -> list[OcrWord]:
    """``words`` (read from ``image``'s pixels, boxes in its pixels) with the words that the
    second reader reads otherwise, and surely, replaced (box and line kept)."""
    lines: dict[tuple[int, int, int], list[int]] = {}
    for i, w in enumerate(words):
        lines.setdefault((w.block, w.paragraph, w.line), []).append(i)
    crops: list[np.ndarray] = []
    lefts: list[int] = []
    members = list(lines.values())
    for indexes in members:
        line = [words[i] for i in indexes]
        top, bottom = _band(line)
        height = max(1, bottom - top)
        x0 = max(0, min(w.left for w in line) - round(height * PAD_X))
        x1 = max(w.left + w.width for w in line) + round(height * PAD_X)
        y0 = max(0, top - round(height * PAD_Y))
        crops.append(np.ascontiguousarray(image[y0:bottom + round(height * PAD_Y), x0:x1]))
        lefts.append(x0)
    readings = recognizer.read(crops)
    out = list(words)
    for indexes, x0, reading in zip(members, lefts, readings, strict=True):
        placed = _place([words[i] for i in indexes], reading.chars, x0)
        for i, chars in zip(indexes, placed, strict=True):
            better = _better(words[i], chars)
            if better is not None:
                log.debug("second reader: %r read as %r", words[i].text, better.text)
                out[i] = better
    return out


def _band(line: list[OcrWord]) -> tuple[int, int]:
    """The line's top and bottom from its words of ordinary height: a table's rule read as
    "|" or a logo read as a letter stands far above and below the line's print, and a crop
    that tall leaves the second reader a line too small to read once scaled to its input."""
    heights = sorted(w.height for w in line)
    ceiling = OUTLIER_HEIGHT * heights[(len(heights) - 1) // 2]
    kept = [w for w in line if w.height <= ceiling] or line
    return min(w.top for w in kept), max(w.top + w.height for w in kept)


def _place(line: list[OcrWord], chars: Sequence[LineChar], x0: int) -> list[list[LineChar]]:
    """Each word's characters of the second reading: those standing on it, and those in a
    gap going to the nearer word."""
    placed: list[list[LineChar]] = [[] for _ in line]
    for c in chars:
        if c.text.isspace():
            continue
        x = x0 + c.x
        nearest = min(
            range(len(line)),
            key=lambda k: max(line[k].left - x, 0, x - (line[k].left + line[k].width)),
        )
        placed[nearest].append(c)
    return placed


def _better(word: OcrWord, chars: list[LineChar]) -> OcrWord | None:
    if not chars:
        return None
    text = unicodedata.normalize("NFKC", "".join(c.text for c in chars)).replace(" ", "")
    if text == word.text or not text or not all(_latin(ch) for ch in text):
        return None
    if any(_own_sign(ch, word.text) for ch in word.text):
        return None
    probabilities = [c.probability for c in chars]
    mean = sum(probabilities) / len(probabilities)
    if min(probabilities) < MIN_CHAR_PROBABILITY or mean < MIN_MEAN_PROBABILITY:
        return None
    if text.casefold() == word.text.casefold() or not _plausible_edit(word.text, text):
        return None
    return replace(word, text=text, confidence=round(100 * mean, 2))


def _plausible_edit(first: str, second: str) -> bool:
    """A misreading mended, not another word: at most half the characters changed, no
    letter or digit of the first reading dropped (the second reader skips thin letters:
    "STATONERY"), none added at its ends (a neighbouring mark read into it: "KIBANDAR",
    "219.70", "50.88-"), case kept, and a letter read as a digit (or back) only where it makes
    the word all letters or all digits ("K.1.T." -> "K.I.T.", not "CO." -> "C0.")."""
    if Levenshtein.distance(first, second) > max(1, len(first) // 2):
        return False
    alnum = [ch for ch in second if ch.isalnum()]
    uniform = all(ch.isalpha() for ch in alnum) or all(ch.isdigit() for ch in alnum)
    inner = [k for k, ch in enumerate(first) if ch.isalnum()]
    for edit in Levenshtein.editops(first, second):
        op, i, j = edit.tag, edit.src_pos, edit.dest_pos
        if op == "delete" and first[i].isalnum():
            return False
        if op == "insert" and (second[j].isalnum() or second[j] in "-−") and \
                (not inner or i <= inner[0] or i > inner[-1]):
            return False  # a letter, digit or sign added at an end: a neighbouring mark
        if op == "replace":
            a, b = first[i], second[j]
            if a.isalpha() and b.isalpha() and a.isupper() != b.isupper() \
                    and a.casefold() == b.casefold():
                return False
            if (a.isalpha() and b.isdigit() or a.isdigit() and b.isalpha()) and not uniform:
                return False
    return True


def _latin(ch: str) -> bool:
    return ch.isascii() or unicodedata.name(ch, "").startswith("LATIN")


def _own_sign(ch: str, word: str) -> bool:
    """An accented letter, or a currency sign by an amount: the first reader's, kept (a
    currency sign among letters, "D.I.¥.", is a letter misread)."""
    if ch.isascii():
        return False
    if unicodedata.category(ch) == "Sc":
        return any(c.isdigit() for c in word) or not any(c.isalpha() for c in word)
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")
