"""Page layout for field extraction: rows rebuilt from words, with their x positions kept.

A :class:`Row` is a geometric line: words whose vertical extents overlap, whatever line number
the reader gave them (Tesseract numbers lines per block, so a label and its value in two
columns at the same height come from two "lines"). Within a row the words are sorted left to
right and the row's text is their texts joined by one space, with each word's character span
kept, so a value found in the text maps back to the words (and the box) that carry it.
"""

from __future__ import annotations

import logging
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from mailroom.models import BBox, Page, Word

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Row:
    page: int  # 1-based
    index: int  # row index within the page, top to bottom
    words: tuple[Word, ...]
    starts: tuple[int, ...]  # char offset of each word in ``text``
    text: str
    page_width: float
    page_height: float

    @cached_property
    def x0(self) -> float:
        return self.words[0].bbox.x0

    @cached_property
    def x1(self) -> float:
        return max(w.bbox.x1 for w in self.words)

    @cached_property
    def y0(self) -> float:
        return min(w.bbox.y0 for w in self.words)

    @cached_property
    def y1(self) -> float:
        return max(w.bbox.y1 for w in self.words)

    @cached_property
    def height(self) -> float:
        return statistics.median(w.bbox.y1 - w.bbox.y0 for w in self.words)

    def word_range(self, start: int, end: int) -> tuple[int, int]:
        """Indexes [i, j) of the words overlapping the character span [start, end)."""
        i = j = -1
        for k, (s, w) in enumerate(zip(self.starts, self.words, strict=True)):
            e = s + len(w.text)
            if e > start and s < end:
                if i < 0:
                    i = k
                j = k + 1
        return (i, j) if i >= 0 else (0, 0)

    def span_words(self, start: int, end: int) -> tuple[Word, ...]:
        i, j = self.word_range(start, end)
        return self.words[i:j]


@dataclass(frozen=True)
class Layout:
    """The rows of every page, in reading order, and the folded text the matcher reads."""

    rows: tuple[Row, ...]
    page_sizes: dict[int, tuple[float, float]] = field(default_factory=dict)

    def rows_of(self, page: int) -> list[Row]:
        return [r for r in self.rows if r.page == page]


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower case without accents, character for character (same length as ``text``)."""
    out: list[str] = []
    for ch in text:
        if ch in "ºª":
            out.append("°" if ch == "º" else "a")
            continue
        decomposed = unicodedata.normalize("NFD", ch)
        base = decomposed[0] if decomposed else ch
        low = base.lower()
        out.append(low if len(low) == 1 else base)
    return "".join(out)


def _vertical_overlap(a: BBox, b0: float, b1: float) -> float:
    return min(a.y1, b1) - max(a.y0, b0)


def _ocr_speck(word: Word) -> bool:
    """A rule line or a speck that OCR read as letters: flatter than any print (under 1.5
    points) and read with little confidence."""
    return word.bbox.y1 - word.bbox.y0 < 1.5 and word.confidence < 50


def build_rows(page: Page) -> list[Row]:
    """Group a page's words into geometric rows (vertical extents overlapping)."""
    words = [w for w in page.words if w.text.strip() and not _ocr_speck(w)]
    if not words:
        return []
    # Words of one reader line stay together; reader lines at the same height merge.
    by_line: dict[tuple[int, int], list[Word]] = {}
    for w in words:
        by_line.setdefault((w.block, w.line), []).append(w)
    groups = sorted(
        by_line.values(),
        key=lambda ws: (statistics.median((w.bbox.y0 + w.bbox.y1) / 2 for w in ws)),
    )
    clusters: list[list[Word]] = []
    bands: list[tuple[float, float]] = []
    for ws in groups:
        # a reader line may itself span several heights (a page without line numbers)
        for piece in _split_by_height(ws):
            y0 = statistics.median(w.bbox.y0 for w in piece)
            y1 = statistics.median(w.bbox.y1 for w in piece)
            h = max(y1 - y0, 1.0)
            best = -1
            best_overlap = 0.0
            for idx in range(max(0, len(clusters) - 4), len(clusters)):
                b0, b1 = bands[idx]
                ov = min(y1, b1) - max(y0, b0)
                if ov > 0.5 * min(h, b1 - b0) and ov > best_overlap:
                    best, best_overlap = idx, ov
            if best >= 0:
                clusters[best].extend(piece)
                b0, b1 = bands[best]
                bands[best] = ((b0 + y0) / 2, (b1 + y1) / 2)
            else:
                clusters.append(list(piece))
                bands.append((y0, y1))
    order = sorted(range(len(clusters)), key=lambda i: (bands[i][0] + bands[i][1]) / 2)
    rows: list[Row] = []
    for index, ci in enumerate(order):
        ws = _without_echoes(sorted(clusters[ci], key=lambda w: w.bbox.x0))
        starts: list[int] = []
        pos = 0
        for w in ws:
            starts.append(pos)
            pos += len(w.text) + 1
        rows.append(
            Row(
                page=page.number,
                index=index,
                words=tuple(ws),
                starts=tuple(starts),
                text=" ".join(w.text for w in ws),
                page_width=page.width,
                page_height=page.height,
            )
        )
    return rows


def _without_echoes(ws: list[Word]) -> list[Word]:
    """The row's words less a digit or mark read a second time inside the word of letters
    before it ("RIA" and a "4" within its box): a word's print is read once. Letters stay
    (a photographed page's boxes overlap: "Garage" over "du"), and so do a number's cents
    inside its box ("39." over "90")."""
    kept: list[Word] = []
    for w in ws:
        if kept and len(w.text) <= 2 and not any(ch.isalpha() for ch in w.text):
            prev = kept[-1].bbox
            inside = min(prev.x1, w.bbox.x1) - max(prev.x0, w.bbox.x0)
            if inside >= 0.8 * (w.bbox.x1 - w.bbox.x0) and len(kept[-1].text) > len(w.text) \
                    and not any(ch.isdigit() for ch in kept[-1].text):
                continue
        kept.append(w)
    return kept


def _split_by_height(words: list[Word]) -> list[list[Word]]:
    """Split a group of words into runs whose vertical extents overlap."""
    ordered = sorted(words, key=lambda w: (w.bbox.y0 + w.bbox.y1) / 2)
    pieces: list[list[Word]] = []
    for w in ordered:
        if pieces:
            last = pieces[-1]
            y0 = statistics.median(v.bbox.y0 for v in last)
            y1 = statistics.median(v.bbox.y1 for v in last)
            h = min(y1 - y0, w.bbox.y1 - w.bbox.y0)
            if _vertical_overlap(w.bbox, y0, y1) > 0.5 * max(h, 0.1):
                last.append(w)
                continue
        pieces.append([w])
    return pieces


def build_layout(pages: Sequence[Page]) -> Layout:
    rows: list[Row] = []
    for page in pages:
        rows.extend(build_rows(page))
    return Layout(rows=tuple(rows), page_sizes={p.number: (p.width, p.height) for p in pages})


def union_box(words: Sequence[Word]) -> BBox | None:
    return BBox.union([w.bbox for w in words]) if words else None


def mean_confidence(words: Sequence[Word]) -> float:
    """Mean OCR confidence of the words, 0-100 (100 for a text layer)."""
    if not words:
        return 100.0
    return sum(min(max(w.confidence, 0.0), 100.0) for w in words) / len(words)
