"""A file made of some pages of another: one document of a scanned stack, as its own original.

A PDF keeps its pages as they are (pdfium copies them, text layer and images untouched); a
multi-page TIFF keeps its frames. The result is the same bytes for the same pages of the same
file: PDFium writes a random file identifier and the time of writing, which are replaced by an
identifier derived from the batch's digest and the pages and by the batch's own creation date
(same lengths: the cross-reference offsets stay right), so that a document's id is stable
when its stack is read again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageSequence, UnidentifiedImageError

from mailroom.errors import CorruptFile

_PDF_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]")
_CREATED = re.compile(rb"/CreationDate\(D:(\d{14})")
_NO_DATE = b"19700101000000"


def write_pages(
    source: Path, media_type: str, pages: Sequence[int], target: Path, *, batch_sha256: str
) -> Path:
    """Write the 1-based ``pages`` of ``source`` (a PDF or a TIFF) to ``target``."""
    if media_type == "application/pdf":
        _pdf_pages(source, pages, target, batch_sha256)
    elif media_type == "image/tiff":
        _tiff_pages(source, pages, target)
    else:
        raise CorruptFile(f"cannot cut a {media_type} into pages")
    return target


def _pdf_pages(source: Path, pages: Sequence[int], target: Path, batch_sha256: str) -> None:
    try:
        original = pdfium.PdfDocument(str(source))
        try:
            created = original.get_metadata_value("CreationDate")
            part = pdfium.PdfDocument.new()
            try:
                part.import_pages(original, [n - 1 for n in pages])
                with target.open("wb") as out:
                    part.save(out)
            finally:
                part.close()
        finally:
            original.close()
    except pdfium.PdfiumError as e:
        raise CorruptFile(f"pages {pages[0]}-{pages[-1]} could not be copied: {e}") from e
    seed = f"{batch_sha256}:{','.join(map(str, pages))}".encode()
    stable = hashlib.sha256(seed).hexdigest()[:32].upper().encode()
    data = target.read_bytes()

    def same_length(m: re.Match[bytes]) -> bytes:
        # the identifier keeps its length: the cross-reference offsets stay right
        first = stable[: len(m.group(1))].ljust(len(m.group(1)), b"0")
        second = stable[: len(m.group(2))].ljust(len(m.group(2)), b"0")
        return m.group(0).replace(m.group(1), first, 1).replace(m.group(2), second, 1)

    digits = re.sub(r"\D", "", created)[:14].encode()
    when = digits if len(digits) == 14 else _NO_DATE
    data = _CREATED.sub(lambda m: m.group(0).replace(m.group(1), when), data, count=1)
    target.write_bytes(_PDF_ID.sub(same_length, data))


def _tiff_pages(source: Path, pages: Sequence[int], target: Path) -> None:
    wanted = set(pages)
    try:
        with Image.open(source) as tiff:
            frames = [
                frame.copy()
                for i, frame in enumerate(ImageSequence.Iterator(tiff), start=1)
                if i in wanted
            ]
    except (OSError, UnidentifiedImageError) as e:
        raise CorruptFile(f"pages {pages[0]}-{pages[-1]} could not be copied: {e}") from e
    if not frames:
        raise CorruptFile(f"pages {pages[0]}-{pages[-1]} are not in the TIFF")
    frames[0].save(target, format="TIFF", save_all=True, append_images=frames[1:],
                   compression="tiff_deflate")
