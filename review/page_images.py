"""Page images for the screen: sized for it and compressed (WebP, or JPEG for a browser that
does not take WebP), and the media type of stored image bytes."""

from __future__ import annotations

import io
from typing import Literal

SCREEN_WIDTH = 1600
SCREEN_BUDGET = 300_000  # bytes a page image for the screen may weigh
GREY_TOLERANCE = 6.0  # mean colour difference (0-255) under which a page is shown grey


def screen_image(
    image_bytes: bytes,
    *,
    width: int = SCREEN_WIDTH,
    budget: int = SCREEN_BUDGET,
    image_format: Literal["WEBP", "JPEG"] = "JPEG",
) -> bytes:
    """A page image for the screen: no wider than ``width``, grey when the page is (most
    scans and photos of paper are), as a WebP or JPEG of at most ``budget`` bytes (quality
    lowered, then size, until it fits); or the image as stored when it is already that narrow
    and smaller (clean born-digital pages compress better as PNG, and stay sharp)."""
    from PIL import Image, ImageChops, ImageStat

    with Image.open(io.BytesIO(image_bytes)) as image:
        image.load()
        kept = image.format == "PNG" and image.width <= width
        out = image.convert("L" if image.mode in ("1", "L", "LA", "I", "I;16") else "RGB")
    if out.mode == "RGB":
        small = out.resize((max(1, out.width // 8), max(1, out.height // 8)))
        grey = small.convert("L").convert("RGB")
        if max(ImageStat.Stat(ImageChops.difference(small, grey)).mean) < GREY_TOLERANCE:
            out = out.convert("L")
    encoded = b""
    for scale, quality in ((1.0, 80), (1.0, 65), (1.0, 50), (0.75, 50), (0.5, 50)):
        target = min(width, out.width) * scale
        sized = out
        if out.width > target:
            size = (round(target), round(out.height * target / out.width))
            sized = out.resize(size, Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        if image_format == "WEBP":
            sized.save(buf, format="WEBP", quality=quality, method=4)
        else:
            sized.save(buf, format="JPEG", quality=quality, optimize=True, progressive=True)
        encoded = buf.getvalue()
        if len(encoded) <= budget:
            break
    return image_bytes if kept and len(image_bytes) <= len(encoded) else encoded


def image_media_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"
