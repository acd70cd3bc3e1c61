"""Perceptual hashes of pages: the adapter for imagehash (and Pillow).

A page's *image hash* is the 64-bit DCT perceptual hash (``imagehash.phash``) of the upright
page image the reader made (turned by orientation detection, deskewed), cut to the area its
words cover: a photograph taken again, turned, framed differently or re-encoded gives the
same upright text area, hence a hash a few bits away, whatever its bytes. The four quarter
turns of a page are hashed too, for lookups, in case orientation detection failed on one copy.

A page's *text hash* is a 64-bit SimHash of its words: two readings of the same page share
most words, so their SimHashes are a few bits apart, however the pixels differ.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

WORD = re.compile(r"[^\W_]{2,}")
CONTENT_MARGIN = 0.02  # of the page, around the words' extent
MIN_CONTENT = 0.05  # a crop narrower than this share of the page is not trusted


class HashError(ValueError):
    """A page image that cannot be hashed (the fraud checks then go on without it)."""


def _int(h: object) -> int:
    return int(str(h), 16)


def content_box(
    boxes: Sequence[tuple[float, float, float, float]], width: float, height: float
) -> tuple[float, float, float, float] | None:
    """The share of the page (x0, y0, x1, y1 in 0..1) its words cover, a little margin
    around; the 2 % outermost word edges on each side are left out (specks read as words)."""
    if len(boxes) < 3 or width <= 0 or height <= 0:
        return None

    def cut(values: list[float], q: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]

    x0 = cut([b[0] for b in boxes], 0.02) / width - CONTENT_MARGIN
    y0 = cut([b[1] for b in boxes], 0.02) / height - CONTENT_MARGIN
    x1 = cut([b[2] for b in boxes], 0.98) / width + CONTENT_MARGIN
    y1 = cut([b[3] for b in boxes], 0.98) / height + CONTENT_MARGIN
    x0, y0, x1, y1 = max(0.0, x0), max(0.0, y0), min(1.0, x1), min(1.0, y1)
    if x1 - x0 < MIN_CONTENT or y1 - y0 < MIN_CONTENT:
        return None
    return x0, y0, x1, y1


def image_hashes(
    image: Path, box: tuple[float, float, float, float] | None = None
) -> tuple[int, ...]:
    """The page's perceptual hash upright, then turned by 90, 180 and 270 degrees."""
    import imagehash
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(image) as img:
            gray = img.convert("L")
    except (OSError, UnidentifiedImageError) as e:
        raise HashError(f"image de page illisible pour l'empreinte : {e}") from e
    if box is not None:
        w, h = gray.size
        gray = gray.crop(
            (round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h))
        )
    gray.thumbnail((1024, 1024))
    turns = (
        None,
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_180,
        Image.Transpose.ROTATE_270,
    )
    return tuple(_int(imagehash.phash(gray if t is None else gray.transpose(t))) for t in turns)


def words_of(text: str) -> list[str]:
    """A page's words as compared: letters and digits only, folded, two characters or more."""
    return [w.casefold() for w in WORD.findall(text)]


def simhash(words: Iterable[str]) -> int | None:
    """The 64-bit SimHash of these words (each counted once); None with fewer than 5."""
    unique = set(words)
    if len(unique) < 5:
        return None
    weights = [0] * 64
    for w in unique:
        h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if h >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)
