"""Signs that a PDF was changed after it was issued: the adapter for pikepdf (structure and
dates) and pdfplumber (what is drawn where).

- **Revisions.** A PDF saved by incremental update keeps every earlier revision: each ends
  with its own ``startxref`` / ``%%EOF``. A linearized file has one ``%%EOF`` more (its first
  page's section), which is not a revision. The earliest revision is read again by truncating
  the file just after its ``%%EOF``, and its words are compared with the last revision's: the
  words that differ are what was changed (an IBAN, an amount).
- **Dates and software.** A modification date later than the creation date, and a producer or
  creator that is a PDF editor rather than invoicing software.
- **What is drawn.** Text drawn over a white filled rectangle that hides other text (the
  classic white-out), and one line set in a font family no other line uses.

Nothing here decides: :mod:`validate.fraud` weighs these findings into checks.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

EOF_MARK = re.compile(rb"%%EOF[ \t]*(\r\n|\r|\n)?")
MAX_PAGES = 10  # pages read for words, fonts and rectangles (an invoice's or a RIB's)
MAX_WORDS_SHOWN = 12
WHITE_TOLERANCE = 0.02


@dataclass(frozen=True)
class OddLine:
    page: int
    text: str
    font: str


@dataclass(frozen=True)
class WhiteOut:
    page: int
    hidden: str  # the text under the rectangle
    shown: str  # the text drawn over it


@dataclass(frozen=True)
class PdfForensics:
    revisions: int = 1
    linearized: bool = False
    producer: str | None = None
    creator: str | None = None
    created: datetime | None = None
    modified: datetime | None = None
    removed_words: tuple[str, ...] = ()  # in the first revision, not in the last
    added_words: tuple[str, ...] = ()  # in the last revision, not in the first
    earlier_text: str | None = None  # the first revision's text, when there are several
    later_text: str | None = None
    white_outs: tuple[WhiteOut, ...] = ()
    odd_lines: tuple[OddLine, ...] = ()
    problems: tuple[str, ...] = field(default_factory=tuple)  # parts that could not be read

    @property
    def words_changed(self) -> bool:
        return bool(self.removed_words or self.added_words)


def revision_ends(data: bytes) -> list[int]:
    """Byte offsets just after each ``%%EOF`` (and its end of line), in file order."""
    return [m.end() for m in EOF_MARK.finditer(data)]


def inspect_pdf(path: Path) -> PdfForensics:
    """Everything this module can tell about a PDF; parts it cannot read are named in
    ``problems`` rather than raised (a PDF the reader could read is never quarantined here)."""
    import pikepdf

    data = Path(path).read_bytes()
    problems: list[str] = []
    producer = creator = None
    created = modified = None
    linearized = False
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            linearized = bool(pdf.is_linearized)
            info = pdf.docinfo
            producer = _info_text(info, "/Producer")
            creator = _info_text(info, "/Creator")
            created = _info_date(info, "/CreationDate")
            modified = _info_date(info, "/ModDate")
    except (pikepdf.PdfError, ValueError, OSError) as e:
        problems.append(f"structure illisible ({e})")
    ends = revision_ends(data)
    if linearized and len(ends) >= 2:
        ends = ends[1:]  # the linearized first page's section is not a revision
    revisions = max(1, len(ends))
    later_words, white_outs, odd_lines = _page_findings(data, problems)
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    earlier_text = later_text = None
    if revisions > 1 and later_words is not None:
        earlier_words = _first_readable_revision(data, ends[:-1])
        if earlier_words is None:
            problems.append("révision antérieure illisible")
        else:
            before, after = Counter(earlier_words), Counter(later_words)
            removed = tuple(_ordered(earlier_words, before - after))
            added = tuple(_ordered(later_words, after - before))
            earlier_text = " ".join(earlier_words)
            later_text = " ".join(later_words)
    return PdfForensics(
        revisions=revisions,
        linearized=linearized,
        producer=producer,
        creator=creator,
        created=created,
        modified=modified,
        removed_words=removed,
        added_words=added,
        earlier_text=earlier_text,
        later_text=later_text,
        white_outs=tuple(white_outs),
        odd_lines=tuple(odd_lines),
        problems=tuple(problems),
    )


def _info_text(info: Any, key: str) -> str | None:
    try:
        value = info.get(key)
        return str(value).strip() or None if value is not None else None
    except (ValueError, UnicodeDecodeError):
        return None


def _info_date(info: Any, key: str) -> datetime | None:
    from pikepdf.models.metadata import decode_pdf_date

    text = _info_text(info, key)
    if not text:
        return None
    try:
        return decode_pdf_date(text)
    except (ValueError, TypeError):
        return None


def _ordered(words: Sequence[str], wanted: Counter[str]) -> list[str]:
    """The words of ``wanted`` in the order they appear in ``words``."""
    left = Counter(wanted)
    out: list[str] = []
    for w in words:
        if left[w] > 0:
            out.append(w)
            left[w] -= 1
    return out


def _words_of(data: bytes) -> list[str]:
    import pdfplumber

    words: list[str] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages[:MAX_PAGES]:
            words.extend(w["text"] for w in page.extract_words(keep_blank_chars=False))
    return words


def _first_readable_revision(data: bytes, ends: Iterable[int]) -> list[str] | None:
    for end in ends:
        try:
            return _words_of(data[:end])
        except Exception as e:  # noqa: BLE001 - pdfminer raises many kinds on a cut file
            log.debug("revision ending at %d unreadable: %s", end, e)
    return None


def _page_findings(
    data: bytes, problems: list[str]
) -> tuple[list[str] | None, list[WhiteOut], list[OddLine]]:
    import pdfplumber

    words: list[str] = []
    white_outs: list[WhiteOut] = []
    lines: list[tuple[int, str, str, float]] = []  # page, text, font family, size
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages[:MAX_PAGES]:
                words.extend(w["text"] for w in page.extract_words(keep_blank_chars=False))
                chars = [c for c in page.chars if c.get("text", "").strip()]
                area = float(page.width) * float(page.height)
                white_outs.extend(_white_outs(page.page_number, chars, page.rects, area))
                lines.extend(_lines(page.page_number, chars))
    except Exception as e:  # noqa: BLE001 - pdfminer's errors have no common base
        problems.append(f"contenu illisible ({type(e).__name__})")
        return None, [], []
    return words, white_outs, _odd_lines(lines)


def _is_white(color: Any) -> bool:
    if color is None:
        return False
    values = list(color) if isinstance(color, list | tuple) else [color]
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        return False
    if len(numbers) == 4:  # CMYK: no ink at all
        return all(v <= WHITE_TOLERANCE for v in numbers)
    return bool(numbers) and all(v >= 1 - WHITE_TOLERANCE for v in numbers)


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> float:
    w = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
    h = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min(
        (a["x1"] - a["x0"]) * (a["bottom"] - a["top"]),
        (b["x1"] - b["x0"]) * (b["bottom"] - b["top"]),
    )
    return w * h / smaller if smaller > 0 else 0.0


def _white_outs(
    page_number: int, chars: list[dict[str, Any]], rects: list[dict[str, Any]], page_area: float
) -> list[WhiteOut]:
    """White filled rectangles under which two different characters share one place: one
    text hidden, another drawn over it."""
    found: list[WhiteOut] = []
    for rect in rects:
        if not rect.get("fill") or not _is_white(rect.get("non_stroking_color")):
            continue
        if (rect["x1"] - rect["x0"]) * (rect["bottom"] - rect["top"]) > page_area / 2:
            continue  # a page background
        inside = [
            c
            for c in chars
            if rect["x0"] - 1 <= (c["x0"] + c["x1"]) / 2 <= rect["x1"] + 1
            and rect["top"] - 1 <= (c["top"] + c["bottom"]) / 2 <= rect["bottom"] + 1
        ]
        hidden: list[dict[str, Any]] = []
        shown: list[dict[str, Any]] = []
        for i, a in enumerate(inside):
            for b in inside[i + 1 :]:
                if a["text"] != b["text"] and _overlap(a, b) > 0.3:
                    hidden.append(a)
                    shown.append(b)
        if hidden:
            found.append(
                WhiteOut(
                    page_number,
                    hidden="".join(dict.fromkeys(c["text"] for c in _first_run(inside, hidden))),
                    shown="".join(c["text"] for c in _first_run(inside, shown)),
                )
            )
    return found


def _first_run(inside: list[dict[str, Any]], picked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The characters drawn with the same font as the first picked one, in drawing order."""
    font = picked[0].get("fontname")
    return [c for c in inside if c.get("fontname") == font][:60]


def _family(fontname: str) -> str:
    name = fontname.split("+", 1)[-1]
    return re.split(r"[-,]", name, maxsplit=1)[0].lower()


def _lines(page_number: int, chars: list[dict[str, Any]]) -> list[tuple[int, str, str, float]]:
    rows: dict[int, list[dict[str, Any]]] = {}
    for c in chars:
        rows.setdefault(round(float(c["top"]) / 2), []).append(c)
    out = []
    for row in rows.values():
        row.sort(key=lambda c: c["x0"])
        family = Counter(_family(str(c.get("fontname", ""))) for c in row).most_common(1)[0][0]
        size = Counter(round(float(c.get("size", 0)), 1) for c in row).most_common(1)[0][0]
        out.append((page_number, "".join(c["text"] for c in row), family, size))
    return out


def _odd_lines(lines: list[tuple[int, str, str, float]]) -> list[OddLine]:
    """A line with figures in a font family no other line uses, at the body's size, in a
    document whose lines mostly share one family."""
    if len(lines) < 6:
        return []
    families = Counter(family for _, _, family, _ in lines)
    dominant, count = families.most_common(1)[0]
    if count < len(lines) / 2:
        return []
    sizes = sorted(size for _, _, family, size in lines if family == dominant)
    body = sizes[len(sizes) // 2]
    return [
        OddLine(page, text, family)
        for page, text, family, size in lines
        if families[family] == 1
        and family != dominant
        and len(text) >= 6
        and any(ch.isdigit() for ch in text)
        and body > 0
        and abs(size - body) <= 0.2 * body
    ]
