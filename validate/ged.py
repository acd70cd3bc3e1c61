"""GED entries: a filed document with its metadata, and its searchable PDF copy.

A GED entry points at the original bytes and at a searchable PDF copy in the object store; it
carries the fields in the contract's record form and a confidentiality level (medical
certificates are ``medical``: secret médical, seen only by the medical team).

:func:`make_searchable_pdf` draws each page's image and writes the words read on it as
invisible text (reportlab text render mode 3) at their boxes, so the copy can be searched and
selected. For born-digital PDFs the caller reuses the original, which already has its text.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from mailroom.errors import StorageError
from mailroom.models import DocType, Document, Page
from mailroom.records import GedEntry

log = logging.getLogger(__name__)


def ged_entry_id_for(document_id: str) -> str:
    """One GED entry per document: its id is derived from the document's."""
    return "ged-" + hashlib.sha256(document_id.encode()).hexdigest()[:16]


def make_ged_entry(
    doc: Document, dossier_id: str, *, searchable_pdf_key: str | None, filed_at: datetime
) -> GedEntry:
    """The GED entry of a filed document. Medical certificates are ``medical``."""
    if doc.doc_type is None:
        raise ValueError(f"{doc.document_id} has no doc_type: classify it before filing")
    return GedEntry(
        ged_entry_id=ged_entry_id_for(doc.document_id),
        document_id=doc.document_id,
        dossier_id=dossier_id,
        doc_type=doc.doc_type,
        received_at=doc.received_at,
        filed_at=filed_at,
        channel=doc.source.channel,
        fields={name: f.record() for name, f in doc.fields.items()},
        sha256=doc.sha256,
        original_key=doc.original_key,
        searchable_pdf_key=searchable_pdf_key,
        confidentiality="medical" if doc.doc_type is DocType.MEDICAL_CERTIFICATE else "standard",
    )


def make_searchable_pdf(
    pages: Sequence[Page], page_images: Sequence[Path | None], out: Path
) -> None:
    """Write a PDF with one page per ``pages``: its image (when given) and an invisible text
    layer placed from the words' boxes (PDF points from the top-left corner)."""
    if len(page_images) != len(pages):
        raise ValueError("one image (or None) per page is needed")
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = "Helvetica"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        pdf = canvas.Canvas(str(out), pageCompression=1)
        for page, image in zip(pages, page_images, strict=True):
            width, height = page.width, page.height
            pdf.setPageSize((width, height))
            if image is not None:
                pdf.drawImage(ImageReader(str(image)), 0, 0, width=width, height=height)
            words = [w for w in page.words if w.text.strip()]
            for index, word in enumerate(words):
                text = word.text.strip()
                follower = words[index + 1] if index + 1 < len(words) else None
                # A space after each word but a line's last, so that text extraction and
                # search see words, not one run of letters.
                same_line = follower is not None and (follower.block, follower.line) == (
                    word.block,
                    word.line,
                )
                box = word.bbox
                box_h = max(box.y1 - box.y0, 1.0)
                size = max(box_h * 0.85, 1.0)
                natural = stringWidth(text, font, size) or 1.0
                obj = pdf.beginText()
                obj.setTextRenderMode(3)  # invisible: searchable, not drawn
                obj.setFont(font, size)
                obj.setHorizScale(100.0 * max(box.x1 - box.x0, 1.0) / natural)
                # PDF's origin is bottom-left; the baseline sits a little above the box bottom.
                obj.setTextOrigin(box.x0, height - box.y1 + box_h * 0.15)
                obj.textOut(text + (" " if same_line else ""))
                pdf.drawText(obj)
            if not page.words and page.text.strip():
                # No word boxes (a text document): keep the text findable, line by line.
                obj = pdf.beginText()
                obj.setTextRenderMode(3)
                obj.setFont(font, 10)
                obj.setTextOrigin(36, height - 48)
                for line in page.text.splitlines():
                    obj.textLine(line)
                pdf.drawText(obj)
            pdf.showPage()
        pdf.save()
    except OSError as e:
        raise StorageError(f"cannot write the searchable PDF {out}: {e}") from e
