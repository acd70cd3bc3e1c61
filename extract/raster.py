"""PDF pages through pypdfium2 (the only module of the stage that imports it): pixels, and
the text layer's words with their boxes (a fast alternative to pdfplumber's).

Runs in the reader's worker processes: a crash of PDFium on a hostile file kills a worker,
which the reader turns into ``CorruptFile``, never the pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from mailroom.errors import CorruptFile, DecompressionBomb, EncryptedPdf, TooManyPages
from mailroom.settings import LimitSettings

T = TypeVar("T")

log = logging.getLogger(__name__)


def open_pdf(path: Path) -> pdfium.PdfDocument:
    """Open with the empty user password (owner-only protection opens fine)."""
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        if getattr(e, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedPdf("the PDF needs a password to open") from e
        if getattr(e, "err_code", None) == pdfium_c.FPDF_ERR_SECURITY:
            raise EncryptedPdf("unsupported PDF security handler") from e
        raise CorruptFile(f"PDFium cannot open the PDF: {e}") from e
    except (OSError, ValueError, MemoryError) as e:
        raise CorruptFile(f"PDFium cannot open the PDF: {e}") from e


def page_count(path: Path, limits: LimitSettings) -> int:
    pdf = open_pdf(path)
    try:
        try:
            count = len(pdf)
        except (pdfium.PdfiumError, ValueError) as e:
            raise CorruptFile(f"cannot count the PDF's pages: {e}") from e
    finally:
        pdf.close()
    if count <= 0:
        raise CorruptFile("the PDF has no pages")
    if count > limits.max_pages:
        raise TooManyPages(f"{count} pages, more than {limits.max_pages}")
    return count


def render_page(
    path: Path, index: int, dpi: float, limits: LimitSettings, pdf: pdfium.PdfDocument | None = None
) -> np.ndarray:
    """Page ``index`` (0-based) as a grayscale 2-D uint8 array at ``dpi``, as displayed
    (the page's own /Rotate applied). ``pdf``: an already open document, else ``path`` is opened.
    """
    own = pdf is None
    doc = open_pdf(path) if pdf is None else pdf
    try:
        try:
            page = doc[index]
            width_pt, height_pt = page.get_size()
            scale = dpi / 72.0
            pixels = float(width_pt) * scale * float(height_pt) * scale
            if not (pixels == pixels) or width_pt <= 0 or height_pt <= 0:
                raise CorruptFile(f"page {index + 1} has no usable size")
            if pixels > limits.max_image_pixels:
                raise DecompressionBomb(
                    f"page {index + 1} would be {pixels:.0f} pixels at {dpi:g} dpi"
                )
            bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=True)
            array = bitmap.to_numpy()
        except (pdfium.PdfiumError, ValueError, IndexError, OverflowError) as e:
            raise CorruptFile(f"PDFium cannot render page {index + 1}: {e}") from e
        except MemoryError as e:
            raise DecompressionBomb(f"page {index + 1} does not fit in memory") from e
        if array.ndim == 3:
            array = array[:, :, 0]
        return np.ascontiguousarray(array, dtype=np.uint8)
    finally:
        if own:
            doc.close()


@dataclass(frozen=True)
class LayerWord:
    """A word of a PDF text layer, in points from the page's top-left corner."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class LayerPage:
    index: int  # 0-based
    width: float
    height: float
    words: tuple[LayerWord, ...]


_BREAKS = frozenset(" \t\r\n\u00a0\ufffe\uffff")


def _page_words(page: pdfium.PdfPage) -> tuple[LayerWord, ...]:
    left, _, _, top_edge = page.get_cropbox()
    textpage = page.get_textpage()
    try:
        words: list[LayerWord] = []
        chars: list[str] = []
        box: list[float] = []
        last_right = 0.0

        def flush() -> None:
            if chars:
                words.append(LayerWord("".join(chars), box[0], box[1], box[2], box[3]))
                chars.clear()
                box.clear()

        for i in range(textpage.count_chars()):
            code = pdfium_c.FPDFText_GetUnicode(textpage.raw, i)
            ch = chr(code) if 0 < code < 0x110000 else "\ufffd"
            if ch in _BREAKS or pdfium_c.FPDFText_IsGenerated(textpage.raw, i) == 1:
                flush()
                continue
            x0, y0, x1, y1 = textpage.get_charbox(i, loose=True)
            c_left, c_top, c_right, c_bottom = x0 - left, top_edge - y1, x1 - left, top_edge - y0
            if box:
                height = box[3] - box[1]
                same_line = c_top < box[3] and c_bottom > box[1]
                if not same_line or c_left - last_right > 0.3 * height or c_left < box[0]:
                    flush()
            if not box:
                box.extend((c_left, c_top, c_right, c_bottom))
            else:
                box[1], box[2], box[3] = min(box[1], c_top), max(box[2], c_right), max(
                    box[3], c_bottom
                )
            chars.append(ch)
            last_right = c_right
        flush()
        return tuple(words)
    finally:
        textpage.close()


def _each_page_text(
    path: Path, pages: Iterable[int], read: Callable[[pdfium.PdfPage], T]
) -> list[tuple[int, T]]:
    """``read`` applied to each page of ``pages`` (0-based; those past the end skipped), the
    document opened once; PDFium's failures on a page's text become CorruptFile."""
    pdf = open_pdf(path)
    try:
        out: list[tuple[int, T]] = []
        for index in pages:
            if not 0 <= index < len(pdf):
                continue
            try:
                out.append((index, read(pdf[index])))
            except (pdfium.PdfiumError, ValueError, OverflowError) as e:
                raise CorruptFile(f"PDFium cannot read page {index + 1}'s text: {e}") from e
        return out
    finally:
        pdf.close()


def _char_count(page: pdfium.PdfPage) -> int:
    textpage = page.get_textpage()
    try:
        return int(textpage.count_chars())
    finally:
        textpage.close()


def pages_with_text(path: Path, pages: range) -> list[int]:
    """The 0-based indexes among ``pages`` whose content draws at least one character: the
    others (scans, photos) have no text layer to read. Raises CorruptFile or EncryptedPdf."""
    return [index for index, count in _each_page_text(path, pages, _char_count) if count > 0]


def _layer_page(page: pdfium.PdfPage) -> tuple[float, float, tuple[LayerWord, ...]]:
    width, height = page.get_size()
    return float(width), float(height), _page_words(page)


def text_layer_words(path: Path, pages: range) -> list[LayerPage]:
    """The words of the text layer of pages ``pages`` (0-based), through PDFium's text API
    (several times faster than pdfplumber). Raises CorruptFile or EncryptedPdf."""
    return [
        LayerPage(index, width, height, words)
        for index, (width, height, words) in _each_page_text(path, pages, _layer_page)
    ]
