"""Scan batches: where the documents of a scanned stack begin and end.

A mailroom scanner writes one image-only PDF (or one multi-page TIFF) per stack of
envelopes' contents. This module decides, from the pages as they were read (their words, never
a second OCR) and their upright images, which pages make which document:

* **Separator sheets.** A page whose barcode (Code 128, QR or Data Matrix) reads the separator
  value (``PATCHT`` by default), or starts with it, ends the document before it and belongs
  to no document. The rest of the value (``PATCHT AST-2026-004217``), or a second barcode on
  the sheet, is a dossier reference given to the next document.
* **Blank pages** (a separator's blank back, a duplex scan's empty verso) belong to no
  document either.
* **Evidence, without separators.** Each page gets a "starts a new document" score from what
  is on it (a title or letterhead at its top, page numbering, identifiers that change, the
  previous page ending with totals or a signature, a change of layout); each run of pages
  gets a score as one document (its pages' types agree, its page numbering is complete). The
  boundaries are chosen jointly for the batch by dynamic programming over those scores, and
  a boundary whose opposite decision scores nearly as well is marked unsure: the documents
  then go to review ("découpage à vérifier").

The evidence split is for scans: a PDF whose pages carry their own text layer came out of
software, not out of a scanner's feeder, and is split only on separator sheets.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PIL import Image, UnidentifiedImageError
from rapidfuzz import fuzz

from ingest.barcodes import Barcode, read_barcodes
from ingest.settings import SplitSettings
from mailroom.models import DocType, Page, SplitMode

Method = Literal["none", "separators", "evidence"]

# words a page's top says it is the first page of a document (folded: lower case, no accents)
TITLES = (
    "facture",
    "avoir",
    "note d'honoraires",
    "avis d'arret de travail",
    "arret de travail",
    "certificat medical",
    "certificat",
    "releve d'identite bancaire",
    "identite bancaire",
    "rib",
    "recu",
    "ticket",
    "scontrino",
    "recibo",
    "quittung",
    "devis",
    "constat amiable",
    "attestation",
    "ordonnance",
    "objet",
    "madame, monsieur",
    "quittance",
    "bon de commande",
    "declaration de sinistre",
    "invoice",
    "receipt",
    "factura",
    "fattura",
    "rechnung",
    "medical certificate",
)
CONTINUED = ("(suite)", "suite de la", "suite page", "continued", "a reporter", "report")
TOTALS = (
    "total ttc", "net a payer", "montant ttc", "total a payer", "reste a payer", "total",
    "totale", "importe", "amount due", "summe",
)
SIGNATURES = (
    "signature",
    "cordialement",
    "salutations",
    "cachet",
    "fait a ",
    "le medecin",
    "bien a vous",
)

_PAGE_OF = re.compile(r"\b(?:page|p\.)\s*(\d{1,2})\s*(?:/|sur|of|de|di)\s*(\d{1,2})\b")
_BARE_PAGE_OF = re.compile(r"^\s*-?\s*(\d{1,2})\s*/\s*(\d{1,2})\s*-?\s*$")
_SIRET = re.compile(r"(?<!\d)(\d{14})(?!\d)")
_IBAN = re.compile(r"(FR\d{12}[0-9A-Z]{11}\d{2})")  # a French IBAN: 27 characters
_REFERENCE = re.compile(r"\b([A-Z]{2,5}-\d{4}-\d{3,8})\b")

TOP_SHARE = 0.40  # a title or a letterhead is in the top 40 % of a page
BOTTOM_SHARE = 0.30  # totals and signatures end a page: its last 30 %


@dataclass(frozen=True)
class PageFeatures:
    """What one page says about where documents begin; built from a read page (or by hand in
    tests)."""

    number: int  # 1-based page of the batch file
    separator: bool = False
    dossier_reference: str | None = None  # carried by a separator sheet
    blank: bool = False
    title: bool = False  # a document title or letterhead word at the page's top
    continued: bool = False  # "(suite)", "à reporter" ...: the page carries a document on
    page_of: tuple[int, int] | None = None  # "page 2 sur 3" -> (2, 3)
    identifiers: frozenset[str] = frozenset()  # SIRET, IBAN, dossier references
    header: str = ""  # the page's first line, folded
    ends_with_totals: bool = False
    ends_with_signature: bool = False
    doc_type: DocType | None = None
    type_confidence: float = 0.0
    till_roll: bool = False
    has_text: bool = True


@dataclass(frozen=True)
class Segment:
    first: int  # 1-based pages of the batch file
    last: int
    pages: tuple[int, ...]  # the pages it holds (blank pages inside it left out)
    dossier_reference: str | None = None
    unsure: bool = False


@dataclass(frozen=True)
class SplitPlan:
    method: Method
    segments: tuple[Segment, ...]
    dropped: tuple[int, ...] = ()  # separator sheets and blank pages
    unsure: tuple[int, ...] = ()  # pages whose boundary (or its absence) is unsure
    scores: dict[int, float] = field(default_factory=dict)  # page -> "starts a document" score
    separators: dict[int, str | None] = field(default_factory=dict)  # sheet -> its dossier

    def is_whole(self, page_count: int) -> bool:
        """The file is one document: every page in one segment."""
        return (
            len(self.segments) == 1
            and not self.dropped
            and self.segments[0].pages == tuple(range(1, page_count + 1))
        )


# -- page features --------------------------------------------------------------------------


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def page_features(
    page: Page,
    image: Path | None,
    settings: SplitSettings,
    *,
    doc_type: DocType | None = None,
    type_confidence: float = 0.0,
    look_for_separators: bool = True,
) -> PageFeatures:
    """The features of one read page: its words as read and, when it has one, its image (for
    barcodes and ink). Reads no text again."""
    words = [w for w in page.words if any(c.isalnum() for c in w.text)]
    pixels = _load(image) if image is not None else None
    separator, reference = False, None
    if pixels is not None and look_for_separators:
        barcodes = read_barcodes(pixels, thorough=len(words) < 40)
        separator, reference = separator_value(barcodes, settings.separator)
    blank = not separator and _is_blank(len(words), pixels, settings)
    top, bottom, first_line = _zones(page)
    top_f, bottom_f = fold(top), fold(bottom)
    return PageFeatures(
        number=page.number,
        separator=separator,
        dossier_reference=reference,
        blank=blank,
        title=any(_has_phrase(top_f, t) for t in TITLES),
        continued=any(c in top_f for c in CONTINUED[:3]) or "(suite)" in fold(page.text),
        page_of=page_numbering(page.text),
        identifiers=identifiers(page.text),
        header=fold(first_line),
        ends_with_totals=any(_has_phrase(bottom_f, t) for t in TOTALS),
        ends_with_signature=any(_has_phrase(bottom_f, s) for s in SIGNATURES),
        doc_type=doc_type,
        type_confidence=type_confidence,
        till_roll=page.prints_as_till_roll(),
        has_text=bool(words),
    )


def separator_value(barcodes: Sequence[Barcode], separator: str) -> tuple[bool, str | None]:
    """Whether these barcodes make a separator sheet, and the dossier reference it carries
    (the separator value's remainder, or another barcode on the sheet)."""
    wanted = separator.strip().upper()
    is_separator = False
    reference: str | None = None
    others: list[str] = []
    for code in barcodes:
        value = code.text.strip()
        if value.upper().startswith(wanted):
            is_separator = True
            rest = value[len(wanted):].strip(" :-_/")
            if rest and reference is None:
                reference = _reference(rest)
        else:
            others.append(value)
    if is_separator and reference is None and others:
        reference = _reference(others[0])
    return is_separator, reference if is_separator else None


def _reference(text: str) -> str | None:
    compact = "".join(text.split()).upper()
    return compact or None


def page_numbering(text: str) -> tuple[int, int] | None:
    """"Page 2/3", "page 2 sur 3", or a line that is only "2/3": (2, 3)."""
    folded = fold(text)
    m = _PAGE_OF.search(folded)
    if m is None:
        for line in text.splitlines():
            m = _BARE_PAGE_OF.match(line)
            if m is not None:
                break
    if m is None:
        return None
    k, n = int(m.group(1)), int(m.group(2))
    return (k, n) if 1 <= k <= n <= 50 else None


def identifiers(text: str) -> frozenset[str]:
    """SIRET, IBAN and dossier references printed on a page (spaces removed)."""
    compact_lines = ["".join(line.split()) for line in text.upper().splitlines()]
    found: set[str] = set()
    for line in compact_lines:
        found.update(m.group(1) for m in _SIRET.finditer(line))
        found.update(m.group(1) for m in _IBAN.finditer(line))
    found.update(m.group(1) for m in _REFERENCE.finditer(text.upper()))
    return frozenset(found)


def _has_phrase(text: str, phrase: str) -> bool:
    return re.search(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", text) is not None


def _zones(page: Page) -> tuple[str, str, str]:
    """The text of the page's top and bottom, and its first line, from its words' boxes."""
    if not page.words:
        lines = page.text.splitlines()
        cut = max(1, len(lines) // 3)
        return "\n".join(lines[:cut]), "\n".join(lines[-cut:]), lines[0] if lines else ""
    height = page.height or max(w.bbox.y1 for w in page.words)
    ys = [w.bbox.y0 for w in page.words]
    top_y, bottom_y = min(ys), max(ys)
    extent = max(bottom_y - top_y, 1.0)
    # the page's own extent when the text fills it; the text's extent on a small slip
    span_top = top_y + TOP_SHARE * max(extent, height * 0.5)
    span_bottom = bottom_y - BOTTOM_SHARE * extent
    top = " ".join(w.text for w in page.words if w.bbox.y0 <= span_top)
    bottom = " ".join(w.text for w in page.words if w.bbox.y0 >= span_bottom)
    first_line = page.words[0].line
    first = " ".join(w.text for w in page.words if w.line == first_line)
    return top, bottom, first


def _load(path: Path) -> Image.Image | None:
    try:
        with Image.open(path) as opened:
            return opened.convert("L")
    except (OSError, UnidentifiedImageError):
        return None  # no image to look at: the page is judged on its words alone


def _is_blank(word_count: int, pixels: Image.Image | None, settings: SplitSettings) -> bool:
    if word_count > settings.blank_max_words:
        return False
    if pixels is None:
        return word_count == 0
    small = pixels.reduce(max(1, pixels.width // 400))
    histogram = small.histogram()
    dark = sum(histogram[:128])
    # a scanner's margins and punch holes are dark at the very edges: look inside them
    return dark / max(1, small.width * small.height) <= settings.blank_max_ink or _inner_blank(
        small, settings
    )


def _inner_blank(small: Image.Image, settings: SplitSettings) -> bool:
    w, h = small.size
    inner = small.crop((w // 10, h // 10, w - w // 10, h - h // 10))
    dark = sum(inner.histogram()[:128])
    return dark / max(1, inner.width * inner.height) <= settings.blank_max_ink


# -- the decision ---------------------------------------------------------------------------


def start_score(page: PageFeatures, previous: PageFeatures) -> float:
    """How strongly the page's own evidence says it starts a new document (log-odds-like)."""
    score = 0.0
    if page.title:
        score += 2.0
    if page.continued:
        score -= 4.0
    if page.page_of is not None:
        k, n = page.page_of
        score += 3.0 if k == 1 else -4.0
        if previous.page_of is not None and previous.page_of == (k - 1, n):
            score -= 1.0
    if previous.page_of is not None:
        k, n = previous.page_of
        score += 1.5 if k == n else -3.0
    if page.identifiers and previous.identifiers:
        score += -1.5 if page.identifiers & previous.identifiers else 1.5
    same_header = bool(page.header and previous.header) and (
        fuzz.ratio(page.header, previous.header) >= 85
    )
    if same_header and not page.title:
        score -= 0.5
    if previous.ends_with_totals:
        score += 1.0
    if previous.ends_with_signature:
        score += 1.0
    if page.till_roll != previous.till_roll:
        score += 1.0
    elif page.till_roll:
        score += 1.0  # a till slip is a document of its own, rarely longer than a page
    if not page.has_text:
        score -= 1.0  # a page nothing could be read on: rather the back of the one before
    return score


def segment_score(pages: Sequence[PageFeatures], confident: float = 0.6) -> float:
    """How well a run of pages holds together as one document (besides its first page's
    start score): its pages' types agree, its page numbering is whole, it is not very long."""
    score = 0.0
    typed = [p.doc_type for p in pages if p.doc_type is not None and p.type_confidence >= confident]
    if len(typed) > 1:
        majority, count = Counter(typed).most_common(1)[0]
        score -= 1.5 * (len(typed) - count)
    numbered = [p.page_of for p in pages if p.page_of is not None]
    if numbered:
        first = pages[0].page_of
        if first is not None and first[0] == 1 and first[1] == len(pages):
            score += 1.0
        totals = {n for _, n in numbered}
        if len(totals) > 1 or max(totals) < len(pages):
            score -= 2.0
    if len(pages) > 3:
        score -= 0.3 * (len(pages) - 3)
    return score


def decide_boundaries(
    pages: Sequence[PageFeatures], settings: SplitSettings
) -> tuple[list[tuple[int, int]], list[int], dict[int, float]]:
    """Cut a run of content pages into documents by dynamic programming: the segmentation
    with the best total of segment scores, where a segment starting at page ``a`` (not the
    first) scores ``start_score(a) - new_document_cost + segment_score(a..b)``.

    Returns the segments as index ranges ``(a, b)`` (inclusive, into ``pages``), the indexes
    whose decision is unsure, and each page's start score."""
    m = len(pages)
    if m == 0:
        return [], [], {}
    longest = settings.max_document_pages
    starts = [0.0] + [
        start_score(pages[i], pages[i - 1]) - settings.new_document_cost for i in range(1, m)
    ]

    def seg(a: int, b: int) -> float:
        return starts[a] + segment_score(pages[a : b + 1])

    neg = float("-inf")
    # forward[b + 1]: best score of pages[0..b] cut so that a document ends at b
    forward = [0.0] + [neg] * m
    back = [0] * (m + 1)
    for b in range(m):
        for a in range(max(0, b - longest + 1), b + 1):
            value = forward[a] + seg(a, b)
            if value > forward[b + 1]:
                forward[b + 1], back[b + 1] = value, a
    # backward[a]: best score of pages[a..] when a document starts at a
    backward = [neg] * m + [0.0]
    for a in range(m - 1, -1, -1):
        for b in range(a, min(m, a + longest)):
            backward[a] = max(backward[a], seg(a, b) + backward[b + 1])
    segments: list[tuple[int, int]] = []
    end = m
    while end > 0:
        a = back[end]
        segments.append((a, end - 1))
        end = a
    segments.reverse()
    best = forward[m]
    cut_at = {a for a, _ in segments}
    unsure: list[int] = []
    for i in range(1, m):
        with_cut = forward[i] + backward[i]
        without = max(
            (
                forward[a] + seg(a, b) + backward[b + 1]
                for a in range(max(0, i - longest + 1), i)
                for b in range(i, min(m, a + longest))
            ),
            default=neg,
        )
        chosen, other = (with_cut, without) if i in cut_at else (without, with_cut)
        assert chosen <= best + 1e-9
        if chosen - other < settings.unsure_margin:
            unsure.append(i)
    return segments, unsure, {pages[i].number: round(starts[i], 2) for i in range(1, m)}


def plan_batch(
    features: Sequence[PageFeatures], mode: SplitMode, settings: SplitSettings, *,
    evidence: bool = True,
) -> SplitPlan:
    """Which pages make which document. ``evidence``: whether the pages may be split on their
    evidence when the stack has no separator sheet (a scan; not a PDF with a text layer)."""
    everything = tuple(p.number for p in features)
    if not everything:
        return SplitPlan("none", ())
    whole = SplitPlan("none", (Segment(everything[0], everything[-1], everything),))
    if mode == "off" or len(features) < 2:
        return whole
    if any(p.separator for p in features):
        return _by_separators(features)
    if mode == "separators" or not evidence:
        return whole
    content = [p for p in features if not p.blank]
    dropped = tuple(p.number for p in features if p.blank)
    if not content:
        return whole
    cuts, unsure_idx, scores = decide_boundaries(content, settings)
    unsure_pages = {content[i].number for i in unsure_idx}
    segments = []
    for a, b in cuts:
        numbers = tuple(p.number for p in content[a : b + 1])
        touches = any(n in unsure_pages for n in numbers) or (
            b + 1 < len(content) and content[b + 1].number in unsure_pages
        )
        segments.append(Segment(numbers[0], numbers[-1], numbers, unsure=touches))
    return SplitPlan(
        "evidence", tuple(segments), dropped, tuple(sorted(unsure_pages)), scores
    )


def _by_separators(features: Sequence[PageFeatures]) -> SplitPlan:
    segments: list[Segment] = []
    dropped: list[int] = []
    sheets: dict[int, str | None] = {}
    current: list[int] = []
    reference: str | None = None
    next_reference: str | None = None

    def close() -> None:
        nonlocal current, reference
        if current:
            segments.append(Segment(current[0], current[-1], tuple(current), reference))
        current, reference = [], None

    for page in features:
        if page.separator:
            close()
            dropped.append(page.number)
            sheets[page.number] = next_reference = page.dossier_reference
            continue
        if page.blank:
            dropped.append(page.number)
            continue
        if not current:
            reference, next_reference = next_reference, None
        current.append(page.number)
    close()
    return SplitPlan("separators", tuple(segments), tuple(dropped), separators=sheets)
