"""Raster images through Pillow: frames, EXIF orientation, resolution, limits, PNG output.

The only module of the reading stage that imports Pillow. Pillow's own decompression-bomb
limit is set to ``limits.max_image_pixels`` and its warning (above the limit) is an error
here, like its error (above twice the limit).
"""

from __future__ import annotations

import logging
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from mailroom.errors import CorruptFile, DecompressionBomb, DocumentError, TooManyPages
from mailroom.settings import LimitSettings

log = logging.getLogger(__name__)

A4_WIDTH_INCHES = 8.27
DEFAULT_DPI = 300
SANE_DPI = (100.0, 1200.0)  # a declared resolution outside this range is not believed
_EXIF_ORIENTATION = 0x0112
# a pixel whose red exceeds its green and blue by this much is a red mark (stamp, pen); the
# page's red marks are dropped when they cover at least this share of it
RED_MARK_MARGIN = 60
RED_MARK_MIN_SHARE = 0.001
RED_EDGE_MARGIN = 15  # from this much redness on, a pixel is lightened in part


@dataclass(frozen=True)
class LoadedImage:
    """One upright grayscale frame and the resolution at which to size it in points."""

    pixels: np.ndarray  # 2-D uint8
    dpi: float
    declared_dpi: bool = True  # False: no believable resolution (a photo, a screenshot)


def choose_dpi(width_px: int, height_px: int, declared: object) -> float:
    """The resolution used to turn pixels into points.

    A declared resolution in a sane range is believed (scanners write it). Otherwise (phone
    photos, screenshots, 72-dpi defaults) the image is taken to be an A4 page: the shorter side
    spans 8.27 inches, which gives a page about A4 wide whatever the image's size.
    """
    dpi = _declared_dpi(declared)
    if dpi is not None:
        return dpi
    if width_px <= 0 or height_px <= 0:
        return float(DEFAULT_DPI)
    return max(1.0, min(width_px, height_px) / A4_WIDTH_INCHES)


def _declared_dpi(declared: object) -> float | None:
    if not isinstance(declared, tuple | list) or not declared:
        return None
    try:
        values = [float(v) for v in declared[:2]]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if any(v != v for v in values):  # NaN
        return None
    if len(values) == 2 and abs(values[0] - values[1]) > 1.0:
        return None  # anisotropic: not believed
    if SANE_DPI[0] <= values[0] <= SANE_DPI[1]:
        return values[0]
    return None


@contextmanager
def _pillow_guard(path: Path, limits: LimitSettings) -> Iterator[None]:
    """Pillow with our pixel limit, its failures translated into our errors."""
    old_limit = Image.MAX_IMAGE_PIXELS
    old_truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's complaints about odd tags
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except DocumentError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise DecompressionBomb(f"{path.name}: {e}") from e
    except UnidentifiedImageError as e:
        raise CorruptFile(f"{path.name}: not a readable image") from e
    except MemoryError as e:
        raise DecompressionBomb(f"{path.name}: the image does not fit in memory") from e
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError, KeyError,
            ZeroDivisionError, struct.error, RuntimeError, AttributeError) as e:
        raise CorruptFile(f"{path.name}: {type(e).__name__}: {e}") from e
    finally:
        Image.MAX_IMAGE_PIXELS = old_limit
        ImageFile.LOAD_TRUNCATED_IMAGES = old_truncated


def _check_pixels(img: Image.Image, limits: LimitSettings, path: Path) -> None:
    w, h = img.size
    if w <= 0 or h <= 0:
        raise CorruptFile(f"{path.name}: empty image ({w}x{h})")
    if w * h > limits.max_image_pixels:
        raise DecompressionBomb(
            f"{path.name}: {w}x{h} pixels, more than {limits.max_image_pixels}"
        )


def frame_count(path: Path, limits: LimitSettings) -> int:
    """How many pages (frames) the image holds; every TIFF frame is a page."""
    with _pillow_guard(path, limits), Image.open(path) as img:
        _check_pixels(img, limits, path)
        count = 1
        # n_frames walks the whole chain of frames (IFDs for TIFF); stop at the page limit.
        while count <= limits.max_pages:
            try:
                img.seek(count)
            except EOFError:
                break
            _check_pixels(img, limits, path)
            count += 1
        if count > limits.max_pages:
            raise TooManyPages(f"more than {limits.max_pages} frames")
        return count


def load_frame(path: Path, index: int, limits: LimitSettings) -> LoadedImage:
    """Frame ``index`` (0-based), turned upright by its EXIF orientation, in grayscale."""
    with _pillow_guard(path, limits), Image.open(path) as img:
        _check_pixels(img, limits, path)
        if index:
            img.seek(index)
            _check_pixels(img, limits, path)
        declared = img.info.get("dpi")
        img.load()
        # exif_transpose copies the image even when there is nothing to turn
        turned = img.getexif().get(_EXIF_ORIENTATION, 1) not in (0, 1)
        upright = (ImageOps.exif_transpose(img) or img) if turned else img
        gray = _to_gray(upright)
        pixels = np.asarray(gray, dtype=np.uint8)
        if pixels.ndim != 2:
            raise CorruptFile(f"{path.name}: unexpected image layout {pixels.shape}")
        return LoadedImage(
            pixels=pixels,
            dpi=choose_dpi(gray.width, gray.height, declared),
            declared_dpi=_declared_dpi(declared) is not None,
        )


def _to_gray(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scaled = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
        return Image.fromarray(scaled.astype(np.uint8))
    if img.mode in ("RGB", "CMYK", "YCbCr", "P"):
        return drop_red(img.convert("RGB"))
    return img if img.mode == "L" else img.convert("L")


def drop_red(img: Image.Image) -> Image.Image:
    """Grayscale, with red marks over the print (a "PAID" stamp, a red pen's circle round
    the total) lightened as a scanner's red dropout does: a red pixel takes its red channel's
    brightness, in which red is paper-light and black or blue print stays dark. Other pixels
    keep their luminance."""
    gray = img.convert("L")
    rgb = np.asarray(img, dtype=np.int16)
    red, rest = rgb[..., 0], np.maximum(rgb[..., 1], rgb[..., 2])
    redness = red - rest
    marks = redness >= RED_MARK_MARGIN
    if np.count_nonzero(marks) < RED_MARK_MIN_SHARE * marks.size:
        return gray
    # the marks' edges, blurred into pinkish grey by JPEG's colour subsampling, fade in
    weight = np.clip((redness - RED_EDGE_MARGIN) / float(RED_MARK_MARGIN - RED_EDGE_MARGIN), 0, 1)
    luma = np.asarray(gray, dtype=np.float32)
    out = luma + weight * (np.maximum(red, luma) - luma)
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8))


def save_png(pixels: np.ndarray, path: Path, dpi: float) -> None:
    """Write a grayscale page image for the review application (fast compression)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(
        path, format="PNG", compress_level=1, dpi=(round(dpi), round(dpi))
    )
