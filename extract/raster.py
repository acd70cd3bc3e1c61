"""PDF pages to pixels through pypdfium2: the only module of the stage that imports it.

Runs in the reader's worker processes: a crash of PDFium on a hostile file kills a worker,
which the reader turns into ``CorruptFile``, never the pipeline.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from mailroom.errors import CorruptFile, DecompressionBomb, EncryptedPdf, TooManyPages
from mailroom.settings import LimitSettings

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
