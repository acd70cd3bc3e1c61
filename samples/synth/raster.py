"""Renderings of a born-digital PDF: clean and degraded scans, turned pages, phone photos.

Everything is seeded: the same ``numpy`` generator seed gives the same pixels.
"""

from __future__ import annotations

import io
import random

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from samples.synth.page import STANDARD_FAMILIES, Sheet, render_pdf


def rasterize(pdf: bytes, dpi: int, *, grey: bool = True) -> list[Image.Image]:
    doc = pdfium.PdfDocument(pdf)
    try:
        images = []
        for i in range(len(doc)):
            page = doc[i]
            bitmap = page.render(scale=dpi / 72, grayscale=grey)
            img = bitmap.to_pil()
            images.append(img.convert("L" if grey else "RGB"))
            page.close()
        return images
    finally:
        doc.close()


def _np_rng(rng: random.Random) -> np.random.Generator:
    return np.random.default_rng(rng.randrange(2**32))


def clean_scan(img: Image.Image, rng: random.Random) -> Image.Image:
    """A good office scanner: paper pushed to white, ink a little lighter than printed,
    a faint tilt of the tone curve. No sensor noise (scanners filter it), so lossless
    formats stay small."""
    a = np.asarray(img, dtype=np.float32)
    gamma = rng.uniform(0.9, 1.1)
    a = 255.0 * (a / 255.0) ** gamma
    a = a * rng.uniform(0.97, 1.0) + rng.uniform(0, 18)
    a[a > 232] = 255
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")


def bilevel(img: Image.Image) -> Image.Image:
    """Black and white, as a scanner set to 'text' mode writes its CCITT G4 TIFFs."""
    return img.point(lambda v: 255 if v > 160 else 0).convert("1")


def degraded_scan(img: Image.Image, rng: random.Random) -> Image.Image:
    """An old scanner or a fax: skew, uneven grey paper, noise, blur."""
    g = _np_rng(rng)
    a = np.asarray(img, dtype=np.float32) / 255.0
    h, w = a.shape
    ink = 1.0 - a
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    paper = (
        rng.uniform(0.80, 0.92)
        + rng.uniform(-0.06, 0.06) * xx / w
        + rng.uniform(-0.06, 0.06) * yy / h
    )
    out = paper * (1.0 - ink * rng.uniform(0.80, 0.95))
    angle = rng.choice([-1, 1]) * rng.uniform(0.5, 3.0)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    border = float(np.median(paper))
    out = cv2.warpAffine(
        out, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 0.9))
    out = out * 255 + g.normal(0, rng.uniform(5, 11), out.shape)
    # Salt-and-pepper specks, as on a dusty glass.
    specks = g.random(out.shape) < 0.0006
    out[specks] = g.uniform(0, 90, int(specks.sum()))
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "L")


def turned(img: Image.Image, angle: int) -> Image.Image:
    """The page as stored by a scanner that fed it turned by ``angle`` degrees clockwise."""
    ops = {
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    return img.transpose(ops[angle])


def photo(img: Image.Image, rng: random.Random) -> Image.Image:
    """A phone photo of the page lying on a table: perspective, light, shadow, blur."""
    g = _np_rng(rng)
    page = np.asarray(img.convert("RGB"), dtype=np.float32)
    ph, pw = page.shape[:2]
    out_w = int(pw * rng.uniform(1.08, 1.2))
    out_h = (
        max(int(out_w * 4 / 3), int(ph * rng.uniform(1.06, 1.12)))
        if ph / pw > 1.1
        else int(ph * rng.uniform(1.08, 1.2))
    )
    table = np.array(
        [rng.uniform(60, 140), rng.uniform(50, 110), rng.uniform(30, 90)], dtype=np.float32
    )
    bg = np.ones((out_h, out_w, 3), np.float32) * table
    bg += g.normal(0, 8, (out_h, out_w, 1)).astype(np.float32)
    mx, my = (out_w - pw) / 2, (out_h - ph) / 2

    def jit(v: float) -> float:
        return v + rng.uniform(-0.045, 0.045) * pw

    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], dtype=np.float32)
    dst = np.array(
        [
            [jit(mx), jit(my)],
            [jit(mx + pw), jit(my)],
            [jit(mx + pw), jit(my + ph)],
            [jit(mx), jit(my + ph)],
        ],
        dtype=np.float32,
    )
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(
        page,
        m,
        (out_w, out_h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0),
    )
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), m, (out_w, out_h))
    comp: np.ndarray = warped * mask[..., None] + bg * (1 - mask[..., None])
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * out_w, rng.uniform(0.1, 0.6) * out_h
    dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / max(out_w, out_h)
    light = 1.05 - rng.uniform(0.25, 0.45) * dist
    # The phone's shadow, drawn small and blurred, then scaled up (cheap soft edges).
    sw, sh = out_w // 8, out_h // 8
    shadow: np.ndarray = np.ones((sh, sw), np.float32)
    sx = int(rng.uniform(0.0, 0.5) * sw)
    pts = np.array(
        [[0, sh], [sx, int(sh * rng.uniform(0.5, 0.8))], [int(sx + sw * 0.3), sh]], np.int32
    )
    cv2.fillPoly(shadow, [pts], rng.uniform(0.72, 0.88))
    shadow = cv2.resize(
        cv2.GaussianBlur(shadow, (0, 0), sw / 12), (out_w, out_h), interpolation=cv2.INTER_LINEAR
    )
    cast = np.array([1.0, rng.uniform(0.95, 1.0), rng.uniform(0.85, 0.97)], np.float32)
    comp = comp * (light * shadow)[..., None] * cast
    comp = cv2.GaussianBlur(comp, (0, 0), rng.uniform(0.6, 1.2))
    comp += g.normal(0, 4, comp.shape).astype(np.float32)
    return Image.fromarray(np.clip(comp, 0, 255).astype(np.uint8), "RGB")


EXIF_ORIENTATION_TAG = 0x0112


def jpeg(
    img: Image.Image, quality: int, dpi: int | None = None, exif_orientation: int | None = None
) -> bytes:
    """JPEG bytes; with ``exif_orientation`` the pixels are stored turned and the EXIF
    Orientation tag says how to show them upright (3: 180°, 6: 90° clockwise, 8: 90° anti)."""
    buf = io.BytesIO()
    kwargs: dict[str, object] = {"quality": quality, "optimize": True}
    if dpi:
        kwargs["dpi"] = (dpi, dpi)
    if exif_orientation:
        stored = {
            3: Image.Transpose.ROTATE_180,
            6: Image.Transpose.ROTATE_90,
            8: Image.Transpose.ROTATE_270,
        }[exif_orientation]
        img = img.transpose(stored)
        exif = Image.Exif()
        exif[EXIF_ORIENTATION_TAG] = exif_orientation
        exif[0x010F] = "Samsung"  # Make
        exif[0x0110] = "Galaxy A54"  # Model
        kwargs["exif"] = exif.tobytes()
    img.save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def png(img: Image.Image, dpi: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(dpi, dpi), optimize=False, compress_level=9)
    return buf.getvalue()


def tiff(images: list[Image.Image], dpi: int) -> bytes:
    buf = io.BytesIO()
    compression = "group4" if images[0].mode == "1" else "tiff_deflate"
    images[0].save(
        buf,
        "TIFF",
        save_all=True,
        append_images=images[1:],
        compression=compression,
        dpi=(dpi, dpi),
    )
    return buf.getvalue()


def image_pdf(
    pages: list[tuple[bytes, int, int, int]], text_sheets: dict[int, Sheet] | None = None
) -> bytes:
    """A PDF whose pages are JPEG images ``(jpeg, width_px, height_px, dpi)``; pages listed in
    ``text_sheets`` (0-based) are drawn as vector text instead (a "mixed" PDF)."""
    sheets: list[Sheet] = []
    for i, (data, w, h, dpi) in enumerate(pages):
        if text_sheets and i in text_sheets:
            sheets.append(text_sheets[i])
            continue
        sheets.append(Sheet(w * 72 / dpi, h * 72 / dpi, STANDARD_FAMILIES[0], image=data))
    return render_pdf(sheets)
