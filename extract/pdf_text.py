"""The PDF text layer through pdfplumber, and whether it is real text worth trusting.

pdfplumber gives words in points from the page's top-left (``x0``, ``top``, ``x1``,
``bottom``). Words are grouped into lines by vertical overlap and lines ordered top to bottom,
words left to right. A layer is used only when it is real text: enough letters and digits,
few ``(cid:NN)`` glyphs or unprintable characters, and words that look like words. Otherwise
the page is OCR'd.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.errors import CorruptFile, EncryptedPdf
from mailroom.models import BBox, Word

if TYPE_CHECKING:
    import pdfplumber
    from pdfminer.layout import LTComponent

# pdfplumber (with pdfminer, ~20 MB resident) is imported by the functions that read a text
# layer, not here: a reading worker that only meets scans never loads it.

log = logging.getLogger(__name__)

_CID = re.compile(r"\(cid:\d+\)")
_VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüÿæœ")
_EDGE_PUNCT = ".,;:!?()[]{}\"'«»“”‘’*"
_INNER_OK = "-'’"


@dataclass(frozen=True)
class TextLayerPage:
    """One page's text layer: its words (points), text, and whether it can be trusted."""

    index: int  # 0-based
    width: float
    height: float
    words: tuple[Word, ...]
    text: str
    problem: str | None  # why the layer is not used; None when it is real text

    @property
    def usable(self) -> bool:
        return self.problem is None


# ---------------------------------------------------------------------------- pure helpers


def looks_like_word(token: str) -> bool:
    """A token a French or English dictionary could hold (a cheap letter-shape test)."""
    core = token.strip(_EDGE_PUNCT)
    if len(core) < 2:
        return False
    letters = "".join(ch for ch in core if ch not in _INNER_OK)
    if not letters or not letters.isalpha():
        return False
    if not (letters.islower() or letters.isupper() or letters[1:].islower()):
        return False  # wEiRd case mixes are typical of broken encodings
    lower = letters.lower()
    vowels = sum(1 for ch in lower if ch in _VOWELS)
    if vowels == 0 or (len(lower) >= 4 and not 0.15 <= vowels / len(lower) <= 0.85):
        return False
    run = longest = 0
    for ch in lower:
        run = 0 if ch in _VOWELS else run + 1
        longest = max(longest, run)
    if longest > 4:
        return False
    return all(not (a == b == c) for a, b, c in zip(lower, lower[1:], lower[2:], strict=False))


def word_like_ratio(tokens: Sequence[str]) -> tuple[int, float]:
    """(number of tokens with letters, share of them that look like words)."""
    alpha = [t for t in tokens if any(ch.isalpha() for ch in t)]
    if not alpha:
        return 0, 0.0
    return len(alpha), sum(1 for t in alpha if looks_like_word(t)) / len(alpha)


def text_layer_problem(text: str, min_text_chars: int) -> str | None:
    """Why this text layer is not real text, or None when it can be used as is."""
    cids = len(_CID.findall(text))
    plain = _CID.sub("", text)
    alnum = sum(1 for ch in plain if ch.isalnum())
    if cids >= 3 and cids > 0.1 * (alnum + cids):
        return f"{cids} undecodable (cid:NN) glyphs"
    if alnum < min_text_chars:
        return f"only {alnum} letters or digits in the text layer"
    visible = [ch for ch in plain if not ch.isspace()]
    bad = sum(
        1
        for ch in visible
        if ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cn", "Cs")
    )
    if bad > 0.1 * len(visible):
        return f"{bad} of {len(visible)} characters unprintable or unknown"
    count, ratio = word_like_ratio(plain.split())
    if count >= 8 and ratio < 0.4:
        return f"only {ratio:.0%} of {count} tokens look like words"
    return None


def group_lines(words: Sequence[Word]) -> list[list[Word]]:
    """Group words into lines by vertical overlap; lines top to bottom, words left to right.

    A word joins a line when their vertical extents overlap by at least 40 % of the smaller
    height. The line's extent is that of its first word, so lines do not creep downwards.
    """
    ordered = sorted(words, key=lambda w: (w.bbox.y0, w.bbox.x0))
    lines: list[tuple[float, float, list[Word]]] = []
    for word in ordered:
        top, bottom = word.bbox.y0, word.bbox.y1
        height = max(bottom - top, 1e-6)
        placed = False
        for i in range(len(lines) - 1, max(-1, len(lines) - 4), -1):
            l_top, l_bottom, members = lines[i]
            overlap = min(bottom, l_bottom) - max(top, l_top)
            if overlap >= 0.4 * min(height, max(l_bottom - l_top, 1e-6)):
                members.append(word)
                placed = True
                break
        if not placed:
            lines.append((top, bottom, [word]))
    lines.sort(key=lambda item: item[0])
    return [sorted(members, key=lambda w: w.bbox.x0) for _, _, members in lines]


def assemble(words: Sequence[Word]) -> tuple[tuple[Word, ...], str]:
    """Number words by line and build the page text: lines joined by \\n, words by spaces."""
    numbered: list[Word] = []
    text_lines: list[str] = []
    for line_no, members in enumerate(group_lines(words)):
        numbered.extend(w.model_copy(update={"line": line_no}) for w in members)
        text_lines.append(" ".join(w.text for w in members))
    return tuple(numbered), "\n".join(text_lines)


# ---------------------------------------------------------------------------- pdfplumber


def read_text_layers(
    path: Path, min_text_chars: int, pages: Sequence[int] | None = None
) -> list[TextLayerPage]:
    """The text layer of every page, or of the pages whose 0-based indexes are in ``pages``
    (the reader gives each worker a run of pages). Raises EncryptedPdf or CorruptFile."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        with pdfplumber.open(path) as pdf:
            wanted = range(len(pdf.pages)) if pages is None else pages
            return [
                _read_page(pdf.pages[i], i, min_text_chars)
                for i in wanted
                if 0 <= i < len(pdf.pages)
            ]
    except (EncryptedPdf, CorruptFile):
        raise
    except PdfminerException as e:
        cause = e.args[0] if e.args else e
        if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError) or isinstance(
            e.__cause__, PDFPasswordIncorrect | PDFEncryptionError
        ):
            raise EncryptedPdf("the PDF needs a password to open") from e
        raise CorruptFile(f"pdfminer cannot read the PDF: {cause}") from e
    except (PDFPasswordIncorrect, PDFEncryptionError) as e:
        raise EncryptedPdf("the PDF needs a password to open") from e
    except RecursionError as e:
        raise CorruptFile("the PDF's structure is nested too deeply") from e
    except MemoryError as e:
        raise CorruptFile("the PDF's text layer does not fit in memory") from e
    except Exception as e:  # noqa: BLE001 - pdfminer raises anything on hostile input
        raise CorruptFile(f"pdfminer cannot read the PDF: {type(e).__name__}: {e}") from e


def from_layer_words(
    index: int, width: float, height: float, raw: Sequence[tuple[str, float, float, float, float]],
    min_text_chars: int,
) -> TextLayerPage:
    """A TextLayerPage from words found by another reader of the text layer (PDFium):
    (text, x0, top, x1, bottom) in points from the page's top-left."""
    words = [
        Word(text=t, bbox=BBox(x0=x0, y0=top, x1=x1, y1=bottom), confidence=100.0)
        for t, x0, top, x1, bottom in raw
        if t.strip()
    ]
    numbered, text = assemble(words)
    return TextLayerPage(
        index=index, width=width, height=height, words=numbered, text=text,
        problem=text_layer_problem(text, min_text_chars),
    )


def page_chars(page: pdfplumber.page.Page) -> list[dict[str, Any]]:
    """The page's characters as pdfplumber's word extractor needs them, in content-stream order.

    ``page.chars`` resolves some twenty attributes of every character (colours, colour spaces,
    graphic state) that words never use; on a text-dense page that costs more than parsing the
    page itself. This walks the same pdfminer layout pdfplumber built and keeps what word
    grouping reads, with pdfplumber's coordinates: points from the page's top-left, shifted by
    the MediaBox's origin as ``Page.process_object`` does."""
    from pdfminer.layout import LTChar, LTContainer

    height = float(page.height)
    mb_x0, mb_top = (float(v) for v in page.mediabox[:2])
    doctop = float(page.initial_doctop)
    chars: list[dict[str, Any]] = []

    def walk(objects: Iterable[LTComponent]) -> None:
        for obj in objects:
            if isinstance(obj, LTChar):
                top = height - obj.y1 + mb_top
                chars.append({
                    "text": obj.get_text(),
                    "x0": obj.x0 + mb_x0,
                    "x1": obj.x1 + mb_x0,
                    "top": top,
                    "bottom": height - obj.y0 + mb_top,
                    "doctop": doctop + top,
                    "upright": obj.upright,
                    "size": obj.size,
                })
            elif isinstance(obj, LTContainer):
                walk(obj)

    walk(page.layout)
    return chars


def _read_page(page: pdfplumber.page.Page, index: int, min_text_chars: int) -> TextLayerPage:
    from pdfplumber.utils import extract_words

    raw = extract_words(page_chars(page), use_text_flow=True, keep_blank_chars=False)
    # a page's origin may not be (0, 0); pdfplumber's top/bottom are relative to it already
    words = [
        Word(
            text=str(w["text"]),
            bbox=BBox(
                x0=float(w["x0"]), y0=float(w["top"]), x1=float(w["x1"]), y1=float(w["bottom"])
            ),
            confidence=100.0,
        )
        for w in raw
        if str(w["text"]).strip()
    ]
    numbered, text = assemble(words)
    return TextLayerPage(
        index=index,
        width=float(page.width),
        height=float(page.height),
        words=numbered,
        text=text,
        problem=text_layer_problem(text, min_text_chars),
    )
