"""A plain-text document (an e-mail body) rendered as a born-digital A4 PDF with reportlab.

The PDF is then read like any other through its text layer, so an e-mail body gets pages,
words and boxes like a scanned letter. ``invariant=1``: the same text gives the same bytes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from mailroom.errors import CorruptFile

log = logging.getLogger(__name__)

_TTF_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/Library/Fonts/DejaVuSans.ttf"),
)
FONT_SIZE = 10.5
LEADING = 14.0
MARGIN = 56.0  # points (about 2 cm)


def _font() -> str:
    """A Unicode TrueType font when one is installed (accents, €, œ), else Helvetica."""
    for path in _TTF_CANDIDATES:
        if path.is_file():
            if "MailroomSans" not in pdfmetrics.getRegisteredFontNames():
                try:
                    pdfmetrics.registerFont(TTFont("MailroomSans", str(path)))
                except Exception as e:  # noqa: BLE001 - a broken font file: fall back
                    log.debug("cannot use %s: %s", path, e)
                    continue
            return "MailroomSans"
    return "Helvetica"


def _printable(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return "".join(ch for ch in text if ch == "\n" or ch.isprintable())


def render_text_pdf(text: str, out: Path, *, title: str = "") -> Path:
    """Lay ``text`` out on A4 pages (wrapped, paginated) and write the PDF to ``out``."""
    font = _font()
    width, height = A4
    usable = width - 2 * MARGIN
    try:
        pdf = canvas.Canvas(str(out), pagesize=A4, invariant=1, pageCompression=1)
        if title:
            pdf.setTitle(title)
        y = height - MARGIN
        pdf.setFont(font, FONT_SIZE)
        for paragraph in _printable(text).split("\n"):
            pieces = simpleSplit(paragraph, font, FONT_SIZE, usable) if paragraph.strip() else [""]
            for piece in pieces:
                if y < MARGIN:
                    pdf.showPage()
                    pdf.setFont(font, FONT_SIZE)
                    y = height - MARGIN
                if piece:
                    pdf.drawString(MARGIN, y, piece)
                y -= LEADING
        pdf.showPage()
        pdf.save()
    except (OSError, ValueError, UnicodeError) as e:
        raise CorruptFile(f"the text could not be laid out as a page: {e}") from e
    return out
