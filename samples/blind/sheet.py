"""Drawing pages (reportlab, millimetres from the top-left corner) and turning them into scans.

A ``Sheet`` draws what a document's software or a person would put on paper: text, ruled boxes,
digit boxes of forms, handwriting-like lines, signatures and stamps. ``scan`` rasterises the PDF
(pypdfium2) and adds what scanners and fax machines add: rotation, noise, blur, low contrast,
speckles, JPEG artefacts, an office's "reçu le" stamp.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_TTF = {
    "Sans": "DejaVuSans.ttf",
    "Sans-Bold": "DejaVuSans-Bold.ttf",
    "Sans-Oblique": "DejaVuSans-Oblique.ttf",
    "Serif": "DejaVuSerif.ttf",
    "Serif-Bold": "DejaVuSerif-Bold.ttf",
    "Serif-Italic": "DejaVuSerif-Italic.ttf",
    "Cond": "DejaVuSansCondensed.ttf",
    "Cond-Bold": "DejaVuSansCondensed-Bold.ttf",
    "Cond-Oblique": "DejaVuSansCondensed-Oblique.ttf",
    "Mono": "DejaVuSansMono.ttf",
    "Mono-Bold": "DejaVuSansMono-Bold.ttf",
}
_registered = False


def register_fonts() -> None:
    global _registered
    if _registered:
        return
    for name, file in _TTF.items():
        if (DEJAVU / file).exists():
            pdfmetrics.registerFont(TTFont(name, str(DEJAVU / file)))
    _registered = True


def font(name: str) -> str:
    """A TrueType face when the machine has DejaVu, else the nearest PDF standard face."""
    register_fonts()
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    fallback = {"Serif": "Times-Roman", "Mono": "Courier"}
    for prefix, std in fallback.items():
        if name.startswith(prefix):
            return std
    return "Helvetica-Bold" if "Bold" in name else "Helvetica"


INK = (0.08, 0.08, 0.1)
BLUE_INK = (0.1, 0.15, 0.55)


@dataclass
class Sheet:
    """One document being drawn; pages in millimetres, origin at the top-left corner."""

    width: float = 210.0
    height: float = 297.0
    pages: int = 1
    _buf: io.BytesIO = field(default_factory=io.BytesIO)

    def __post_init__(self) -> None:
        register_fonts()
        self.c = Canvas(self._buf, pagesize=(self.width * mm, self.height * mm), invariant=1)
        self.c.setTitle("")
        self.c.setAuthor("")
        self.c.setCreator("")
        self.c.setProducer("")

    # -- text ----------------------------------------------------------------------------
    def text(
        self,
        x: float,
        y: float,
        s: str,
        face: str = "Sans",
        size: float = 9.5,
        align: str = "left",
        color: tuple[float, float, float] = INK,
    ) -> float:
        """Draws one line with its baseline at ``y`` mm; returns its width in mm."""
        f = font(face)
        self.c.setFillColorRGB(*color)
        self.c.setFont(f, size)
        px, py = x * mm, (self.height - y) * mm
        if align == "right":
            self.c.drawRightString(px, py, s)
        elif align == "center":
            self.c.drawCentredString(px, py, s)
        else:
            self.c.drawString(px, py, s)
        return pdfmetrics.stringWidth(s, f, size) / mm

    def width_of(self, s: str, face: str = "Sans", size: float = 9.5) -> float:
        return pdfmetrics.stringWidth(s, font(face), size) / mm

    def lines(
        self, x: float, y: float, rows: list[str], face: str = "Sans", size: float = 9.5,
        leading: float | None = None, align: str = "left",
        color: tuple[float, float, float] = INK,
    ) -> float:
        """Draws several lines; returns the y below the last one."""
        step = leading or size * 0.45
        for row in rows:
            self.text(x, y, row, face, size, align, color)
            y += step
        return y

    def paragraph(
        self, x: float, y: float, width: float, s: str, face: str = "Serif", size: float = 10.5,
        leading: float | None = None, color: tuple[float, float, float] = INK,
    ) -> float:
        rows = simpleSplit(s, font(face), size, width * mm)
        return self.lines(x, y, rows, face, size, leading, color=color)

    def handwriting(
        self, rng: random.Random, x: float, y: float, s: str, size: float = 13,
        face: str = "Cond-Oblique", color: tuple[float, float, float] = BLUE_INK,
    ) -> float:
        """A line written by hand: letters that wander up and down and vary in size."""
        f = font(face)
        self.c.setFillColorRGB(*color)
        cx = x * mm
        drift = rng.uniform(-0.6, 0.6)
        for i, ch in enumerate(s):
            sz = size * rng.uniform(0.93, 1.07)
            self.c.setFont(f, sz)
            dy = rng.uniform(-0.35, 0.35) + drift * i / max(len(s), 1)
            self.c.drawString(cx, (self.height - y - dy) * mm, ch)
            cx += pdfmetrics.stringWidth(ch, f, sz) * rng.uniform(0.97, 1.06)
        return cx / mm - x

    # -- shapes --------------------------------------------------------------------------
    def rect(
        self, x: float, y: float, w: float, h: float, width: float = 0.6,
        fill: float | None = None, stroke: bool = True,
    ) -> None:
        self.c.setLineWidth(width)
        self.c.setStrokeColorRGB(*INK)
        if fill is not None:
            self.c.setFillColorRGB(fill, fill, fill)
        self.c.rect(
            x * mm, (self.height - y - h) * mm, w * mm, h * mm,
            stroke=int(stroke), fill=int(fill is not None),
        )
        self.c.setFillColorRGB(*INK)

    def hline(self, x0: float, x1: float, y: float, width: float = 0.5, dash: bool = False) -> None:
        self.c.setLineWidth(width)
        self.c.setStrokeColorRGB(*INK)
        self.c.setDash(2, 2) if dash else self.c.setDash()
        self.c.line(x0 * mm, (self.height - y) * mm, x1 * mm, (self.height - y) * mm)
        self.c.setDash()

    def vline(self, x: float, y0: float, y1: float, width: float = 0.5) -> None:
        self.c.setLineWidth(width)
        self.c.line(x * mm, (self.height - y0) * mm, x * mm, (self.height - y1) * mm)

    def digit_boxes(
        self, x: float, y: float, chars: str, cell: float = 4.6, size: float = 10,
        face: str = "Mono", rng: random.Random | None = None,
    ) -> float:
        """A form's row of one-character boxes, filled in (by hand when ``rng`` is given)."""
        for i, ch in enumerate(chars):
            self.rect(x + i * cell, y - cell + 1, cell, cell, width=0.4)
            if ch.strip():
                if rng is not None:
                    self.handwriting(rng, x + i * cell + 1.0, y - 0.2, ch, size=size + 1)
                else:
                    self.text(x + i * cell + cell / 2, y - 0.3, ch, face, size, "center")
        return x + len(chars) * cell

    def scribble(self, rng: random.Random, x: float, y: float, w: float, h: float) -> None:
        """A signature: one looping stroke of ink."""
        self.c.setStrokeColorRGB(*BLUE_INK)
        self.c.setLineWidth(rng.uniform(0.7, 1.2))
        p = self.c.beginPath()
        px, py = x, y + h / 2
        p.moveTo(px * mm, (self.height - py) * mm)
        for i in range(rng.randint(5, 9)):
            nx = x + w * (i + 1) / 9
            p.curveTo(
                (px + rng.uniform(-4, 8)) * mm, (self.height - y - rng.uniform(0, h)) * mm,
                (nx + rng.uniform(-8, 4)) * mm, (self.height - y - rng.uniform(0, h)) * mm,
                nx * mm, (self.height - y - rng.uniform(h * 0.2, h * 0.8)) * mm,
            )
            px = nx
        self.c.drawPath(p, stroke=1, fill=0)
        self.c.setStrokeColorRGB(*INK)

    def stamp(
        self, x: float, y: float, rows: list[str], angle: float = 0.0,
        color: tuple[float, float, float] = (0.15, 0.25, 0.7), size: float = 8,
    ) -> None:
        """A rubber stamp (a doctor's, a company's): framed rows of text, a little askew."""
        w = max(self.width_of(r, "Sans-Bold", size) for r in rows) + 6
        h = len(rows) * size * 0.45 + 4
        self.c.saveState()
        self.c.translate(x * mm, (self.height - y) * mm)
        self.c.rotate(angle)
        self.c.setStrokeColorRGB(*color)
        self.c.setFillColorRGB(*color)
        self.c.setLineWidth(1.1)
        self.c.roundRect(0, -h * mm, w * mm, h * mm, 2 * mm, stroke=1, fill=0)
        self.c.setFont(font("Sans-Bold"), size)
        for i, row in enumerate(rows):
            self.c.drawCentredString(w / 2 * mm, (-3.5 - i * size * 0.45) * mm, row)
        self.c.restoreState()

    def new_page(self) -> None:
        self.c.showPage()
        self.pages += 1

    def finish(self) -> bytes:
        self.c.showPage()
        self.c.save()
        return self._buf.getvalue()


# -- scans --------------------------------------------------------------------------------


def rasterise(pdf: bytes, dpi: int) -> list[Image.Image]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in doc]
    finally:
        doc.close()


@dataclass(frozen=True)
class Defects:
    dpi: int
    angle: float
    noise: float
    blur: int
    paper: int
    ink_lift: int
    jpeg_quality: int | None
    speckles: int
    received_stamp: str | None
    bilevel: bool = False

    def describe(self) -> list[str]:
        out = [f"{self.dpi} dpi"]
        if abs(self.angle) >= 0.05:
            out.append(f"rotated {self.angle:+.1f}°")
        if self.noise:
            out.append(f"noise σ{self.noise:.0f}")
        if self.blur:
            out.append(f"blur {self.blur}px")
        if self.ink_lift or self.paper < 250:
            out.append("low contrast")
        if self.jpeg_quality:
            out.append(f"JPEG q{self.jpeg_quality}")
        if self.speckles:
            out.append("speckles")
        if self.received_stamp:
            out.append("received stamp")
        if self.bilevel:
            out.append("fax-like 1-bit")
        return out


def clean_defects(rng: random.Random, stamp: str | None) -> Defects:
    return Defects(
        dpi=rng.choice([300, 300, 250]), angle=rng.uniform(-0.4, 0.4), noise=rng.uniform(1.5, 3),
        blur=0, paper=rng.randint(246, 252), ink_lift=rng.randint(0, 15), jpeg_quality=None,
        speckles=0, received_stamp=stamp,
    )


def degraded_defects(rng: random.Random, stamp: str | None, bilevel: bool) -> Defects:
    return Defects(
        dpi=rng.choice([200, 200, 240]), angle=rng.choice([-1, 1]) * rng.uniform(0.7, 2.2),
        noise=rng.uniform(7, 13), blur=rng.choice([0, 1, 1]), paper=rng.randint(215, 238),
        ink_lift=rng.randint(35, 70), jpeg_quality=None if bilevel else rng.randint(35, 55),
        speckles=rng.randint(150, 600), received_stamp=stamp, bilevel=bilevel,
    )


def _stamp_overlay(img: Image.Image, rng: random.Random, label: str, dpi: int) -> Image.Image:
    """The mail room's red "reçu le" stamp, put down somewhere in the upper half, askew."""
    px = dpi / 25.4
    size = int(4.2 * px)
    path = DEJAVU / "DejaVuSans-Bold.ttf"
    fnt = ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default()
    rows = label.split("\n")
    w = int(max(fnt.getlength(r) for r in rows) + 6 * px)
    h = int(len(rows) * size * 1.35 + 5 * px)
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    red = (190, 30, 40, rng.randint(150, 210))
    d.rounded_rectangle([2, 2, w - 3, h - 3], radius=int(2 * px), outline=red, width=int(0.6 * px))
    for i, row in enumerate(rows):
        d.text((3 * px, 2.5 * px + i * size * 1.35), row, font=fnt, fill=red)
    layer = layer.rotate(rng.uniform(-12, 12), expand=True, resample=Image.Resampling.BICUBIC)
    # in the top margin, right of centre: where the mail room finds blank paper
    x = int(img.width * rng.uniform(0.64, 0.7))
    y = int(img.height * rng.uniform(0.008, 0.02))
    base = img.convert("RGBA")
    base.alpha_composite(layer, (min(x, img.width - layer.width), y))
    return base.convert("RGB")


def on_scanner_bed(page: Image.Image, rng: random.Random, dpi: int) -> Image.Image:
    """A small paper (a till receipt) laid on an A4 scanner bed, not quite straight."""
    bed = Image.new("RGB", (int(210 / 25.4 * dpi), int(297 / 25.4 * dpi)), (228, 228, 226))
    page = page.rotate(rng.uniform(-3, 3), expand=True, fillcolor=(228, 228, 226))
    x = int(rng.uniform(0.05, 0.4) * bed.width)
    y = int(rng.uniform(0.03, 0.12) * bed.height)
    bed.paste(page, (x, y))
    return bed


def scan(
    pdf: bytes, rng: random.Random, defects: Defects, on_bed: bool = False
) -> list[Image.Image]:
    """The pages as a scanner gives them back with these defects."""
    import cv2

    out = []
    for page in rasterise(pdf, defects.dpi):
        if on_bed:
            page = on_scanner_bed(page, rng, defects.dpi)
        if defects.received_stamp:
            page = _stamp_overlay(page, rng, defects.received_stamp, defects.dpi)
        colour = defects.received_stamp is not None or rng.random() < 0.25
        if not colour:
            page = page.convert("L")
        a: np.ndarray = np.asarray(page).astype(np.float32)
        # paper tone and ink that is not quite black
        a = defects.ink_lift + a * (defects.paper - defects.ink_lift) / 255.0
        h, w = a.shape[:2]
        if abs(defects.angle) >= 0.05:
            m = cv2.getRotationMatrix2D((w / 2, h / 2), defects.angle, 1.0)
            a = cv2.warpAffine(
                a, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                borderValue=(defects.paper,) * 3,
            )
        if defects.blur:
            k = 2 * defects.blur + 1
            a = cv2.GaussianBlur(a, (k, k), 0)
        nrng = np.random.default_rng(rng.randrange(2**32))
        if defects.noise:
            noise = nrng.normal(0, defects.noise, (h, w)).astype(np.float32)
            a = a + (noise[..., None] if a.ndim == 3 else noise)
        if defects.speckles:
            ys = nrng.integers(0, h, defects.speckles)
            xs = nrng.integers(0, w, defects.speckles)
            dots = nrng.integers(20, 90, defects.speckles)
            a[ys, xs] = dots[:, None] if a.ndim == 3 else dots
        if defects.jpeg_quality is None and not defects.bilevel and defects.noise < 4:
            # a clean scanner's background suppression: the paper comes out flat
            a[a > defects.paper - 8] = defects.paper
        img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGB" if colour else "L")
        if defects.bilevel:
            img = img.convert("L").point(lambda v: 255 if v > 165 else 0).convert("1")
        if defects.jpeg_quality:
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=defects.jpeg_quality)
            img = Image.open(io.BytesIO(buf.getvalue()))
            img.load()
        out.append(img)
    return out


def save_images(images: list[Image.Image], path: Path, dpi: int, jpeg_quality: int | None) -> None:
    """Writes the pages in the file's format (PDF image-only, PNG, JPEG, multi-page TIFF)."""
    fmt = path.suffix.lower()
    res = (dpi, dpi)
    if fmt == ".pdf":
        rgbish = [im if im.mode in ("L", "RGB", "1") else im.convert("RGB") for im in images]
        rgbish[0].save(
            path, "PDF", resolution=float(dpi), save_all=True, append_images=rgbish[1:],
            title="scan", author="scanner", creationDate=None, modDate=None,
        )
    elif fmt in (".tif", ".tiff"):
        compression = "group4" if images[0].mode == "1" else "deflate"
        images[0].save(
            path, "TIFF", dpi=res, save_all=True, append_images=images[1:],
            compression=compression if compression == "group4" else "tiff_adobe_deflate",
        )
    elif fmt in (".jpg", ".jpeg"):
        images[0].convert("RGB" if images[0].mode == "RGB" else "L").save(
            path, "JPEG", quality=jpeg_quality or 85, dpi=res
        )
    else:
        images[0].save(path, "PNG", dpi=res, compress_level=3)
