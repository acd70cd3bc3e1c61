"""The barcodes printed on a page image: the zxing-cpp adapter (the library Paperless-ngx chose
for its separator sheets).

Only the symbologies a separator sheet or a cover sheet carries are looked for: Code 128 (the
patch-T sheets), QR and Data Matrix. A page image is first read at about 150 dpi, upright
only (a separator's bars are wide, and a reduced image is read ten times faster); a page with
little text on it (a separator sheet, whose OCR found few words) is read again for turned
codes, then at full size, when the quick reading gave nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import zxingcpp
from PIL import Image

from mailroom.errors import CorruptFile

log = logging.getLogger(__name__)

FORMATS = zxingcpp.BarcodeFormats(
    [
        zxingcpp.BarcodeFormat.Code128,
        zxingcpp.BarcodeFormat.QRCode,
        zxingcpp.BarcodeFormat.DataMatrix,
    ]
)
READ_WIDTH_PX = 1300  # about 150 dpi across an A4 page


@dataclass(frozen=True)
class Barcode:
    symbology: str  # "Code128", "QRCode", "DataMatrix"
    text: str


def read_barcodes(image: Image.Image, *, thorough: bool = False) -> list[Barcode]:
    """The Code 128, QR and Data Matrix codes on one upright page image (grey), top to
    bottom. ``thorough`` (a page with little text: maybe a separator sheet): when the quick
    reading finds nothing, look for turned codes too, then at full size."""
    reduced = _reduced(image)
    found = _decode(reduced, try_rotate=False)
    if found or not thorough:
        return found
    found = _decode(reduced, try_rotate=True)
    if not found and reduced is not image:
        found = _decode(image, try_rotate=True)
    return found


def _reduced(image: Image.Image) -> Image.Image:
    factor = round(image.width / READ_WIDTH_PX)
    return image.reduce(factor) if factor >= 2 else image


def _decode(image: Image.Image, *, try_rotate: bool) -> list[Barcode]:
    try:
        results = zxingcpp.read_barcodes(
            image, formats=FORMATS, try_rotate=try_rotate, try_invert=False
        )
    except (ValueError, RuntimeError) as e:
        raise CorruptFile(f"page image unreadable for barcodes: {e}") from e
    ordered = sorted(results, key=lambda r: (r.position.top_left.y, r.position.top_left.x))
    return [Barcode(r.format.name, r.text.strip()) for r in ordered if r.valid and r.text]
