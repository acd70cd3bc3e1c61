"""A tiny layout language: pages are lists of drawing operations in points from the top-left.

The same operations are replayed onto a reportlab canvas (the born-digital PDF) and read back
as the page's true text (text runs grouped into lines, top to bottom, left to right), so the
ground truth is exactly what is printed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

A4 = (595.28, 841.89)
Color = tuple[float, float, float]
BLACK: Color = (0.0, 0.0, 0.0)

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_TTF = {
    "DejaVuSans": "DejaVuSans.ttf",
    "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
    "DejaVuSerif": "DejaVuSerif.ttf",
    "DejaVuSerif-Bold": "DejaVuSerif-Bold.ttf",
    "DejaVuSansCondensed": "DejaVuSansCondensed.ttf",
    "DejaVuSansCondensed-Bold": "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSansMono": "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold": "DejaVuSansMono-Bold.ttf",
}


@dataclass(frozen=True)
class FontFamily:
    regular: str
    bold: str
    italic: str


STANDARD_FAMILIES = [
    FontFamily("Helvetica", "Helvetica-Bold", "Helvetica-Oblique"),
    FontFamily("Times-Roman", "Times-Bold", "Times-Italic"),
]
STANDARD_MONO = [FontFamily("Courier", "Courier-Bold", "Courier-Oblique")]
_registered = False


def register_fonts() -> tuple[list[FontFamily], list[FontFamily]]:
    """Proportional and monospace families available here (DejaVu when installed)."""
    global _registered
    families = list(STANDARD_FAMILIES)
    monos = list(STANDARD_MONO)
    if all((_DEJAVU / f).exists() for f in _TTF.values()):
        if not _registered:
            for name, file in _TTF.items():
                pdfmetrics.registerFont(TTFont(name, str(_DEJAVU / file)))
            _registered = True
        families += [
            FontFamily("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans"),
            FontFamily("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif"),
            FontFamily("DejaVuSansCondensed", "DejaVuSansCondensed-Bold", "DejaVuSansCondensed"),
        ]
        monos.append(FontFamily("DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono"))
    return families, monos


def text_width(s: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(s, font, size)


@dataclass
class Sheet:
    """One page being laid out. Coordinates are points from the top-left corner."""

    width: float
    height: float
    family: FontFamily
    ops: list[tuple[Any, ...]] = field(default_factory=list)
    image: bytes | None = None  # a raster that replaces the ops when the PDF is drawn

    def font(self, bold: bool = False, italic: bool = False, mono: FontFamily | None = None) -> str:
        fam = mono or self.family
        return fam.bold if bold else fam.italic if italic else fam.regular

    def text(
        self,
        x: float,
        y: float,
        s: str,
        size: float = 10,
        *,
        bold: bool = False,
        italic: bool = False,
        align: str = "left",
        color: Color = BLACK,
        font: str | None = None,
    ) -> float:
        """Draw ``s`` with its baseline at ``y``; returns its width."""
        name = font or self.font(bold, italic)
        w = text_width(s, name, size)
        if align == "right":
            x -= w
        elif align == "center":
            x -= w / 2
        if s.strip():
            self.ops.append(("text", x, y, s, name, size, color))
        return w

    def wrap(
        self,
        x: float,
        y: float,
        width: float,
        s: str,
        size: float = 10,
        *,
        leading: float | None = None,
        bold: bool = False,
        italic: bool = False,
        font: str | None = None,
        color: Color = BLACK,
    ) -> float:
        """Word-wrapped paragraph from baseline ``y``; returns the next free baseline."""
        name = font or self.font(bold, italic)
        leading = leading or size * 1.35
        line = ""
        for word in s.split():
            trial = f"{line} {word}".strip()
            if line and text_width(trial, name, size) > width:
                self.text(x, y, line, size, font=name, color=color)
                y += leading
                line = word
            else:
                line = trial
        if line:
            self.text(x, y, line, size, font=name, color=color)
            y += leading
        return y

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        stroke: Color | None = BLACK,
        fill: Color | None = None,
        width: float = 0.6,
    ) -> None:
        self.ops.append(("rect", x, y, w, h, stroke, fill, width))

    def line(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        *,
        color: Color = BLACK,
        width: float = 0.6,
        dash: tuple[float, float] | None = None,
    ) -> None:
        self.ops.append(("line", x0, y0, x1, y1, color, width, dash))

    def circle(
        self,
        cx: float,
        cy: float,
        r: float,
        *,
        stroke: Color | None = BLACK,
        fill: Color | None = None,
        width: float = 1.0,
    ) -> None:
        self.ops.append(("circle", cx, cy, r, stroke, fill, width))

    def poly(
        self,
        points: list[tuple[float, float]],
        *,
        stroke: Color | None = None,
        fill: Color | None = BLACK,
        width: float = 1.0,
    ) -> None:
        self.ops.append(("poly", points, stroke, fill, width))

    def curve(
        self, points: list[tuple[float, float]], *, color: Color = BLACK, width: float = 1.2
    ) -> None:
        """A smooth pen stroke through ``points`` (signatures)."""
        self.ops.append(("curve", points, color, width))

    def true_text(self) -> str:
        """What is printed, line by line, top to bottom and left to right."""
        runs = sorted((op[2], op[1], op[3]) for op in self.ops if op[0] == "text")
        lines: list[list[tuple[float, str]]] = []
        last_y: float | None = None
        for y, x, s in runs:
            if last_y is None or abs(y - last_y) > 2.5:
                lines.append([])
                last_y = y
            lines[-1].append((x, s))
        return "\n".join(" ".join(" ".join(s.split()) for _, s in sorted(ln)) for ln in lines)


def _draw_ops(c: canvas.Canvas, sheet: Sheet) -> None:
    h = sheet.height
    for op in sheet.ops:
        kind = op[0]
        if kind == "text":
            _, x, y, s, font, size, color = op
            c.setFillColorRGB(*color)
            c.setFont(font, size)
            c.drawString(x, h - y, s)
        elif kind == "rect":
            _, x, y, w, hh, stroke, fill, width = op
            c.setLineWidth(width)
            if stroke:
                c.setStrokeColorRGB(*stroke)
            if fill:
                c.setFillColorRGB(*fill)
            c.rect(x, h - y - hh, w, hh, stroke=1 if stroke else 0, fill=1 if fill else 0)
        elif kind == "line":
            _, x0, y0, x1, y1, color, width, dash = op
            c.setStrokeColorRGB(*color)
            c.setLineWidth(width)
            c.setDash(*dash) if dash else c.setDash()
            c.line(x0, h - y0, x1, h - y1)
            c.setDash()
        elif kind == "circle":
            _, cx, cy, r, stroke, fill, width = op
            c.setLineWidth(width)
            if stroke:
                c.setStrokeColorRGB(*stroke)
            if fill:
                c.setFillColorRGB(*fill)
            c.circle(cx, h - cy, r, stroke=1 if stroke else 0, fill=1 if fill else 0)
        elif kind == "poly":
            _, pts, stroke, fill, width = op
            p = c.beginPath()
            p.moveTo(pts[0][0], h - pts[0][1])
            for x, y in pts[1:]:
                p.lineTo(x, h - y)
            p.close()
            c.setLineWidth(width)
            if stroke:
                c.setStrokeColorRGB(*stroke)
            if fill:
                c.setFillColorRGB(*fill)
            c.drawPath(p, stroke=1 if stroke else 0, fill=1 if fill else 0)
        elif kind == "curve":
            _, pts, color, width = op
            p = c.beginPath()
            p.moveTo(pts[0][0], h - pts[0][1])
            for i in range(1, len(pts) - 2, 3):
                (ax, ay), (bx, by), (cx_, cy_) = pts[i], pts[i + 1], pts[i + 2]
                p.curveTo(ax, h - ay, bx, h - by, cx_, h - cy_)
            c.setStrokeColorRGB(*color)
            c.setLineWidth(width)
            c.setLineCap(1)
            c.drawPath(p, stroke=1, fill=0)


def render_pdf(sheets: list[Sheet], *, title: str = "", author: str = "") -> bytes:
    """A PDF of the sheets: vector text where a sheet has ops, the raster where it has one.

    ``invariant=1`` makes the bytes reproducible for the same input.
    """
    buf = io.BytesIO()
    previous = rl_config.useA85
    rl_config.useA85 = 0  # images as binary streams: smaller files; restored below
    try:
        return _render(buf, sheets, title=title, author=author)
    finally:
        rl_config.useA85 = previous


def _render(buf: io.BytesIO, sheets: list[Sheet], *, title: str, author: str) -> bytes:
    c = canvas.Canvas(
        buf, pagesize=(sheets[0].width, sheets[0].height), invariant=1, pageCompression=1
    )
    if title:
        c.setTitle(title)
    if author:
        c.setAuthor(author)
    for sheet in sheets:
        c.setPageSize((sheet.width, sheet.height))
        if sheet.image is not None:
            c.drawImage(ImageReader(io.BytesIO(sheet.image)), 0, 0, sheet.width, sheet.height)
        else:
            _draw_ops(c, sheet)
        c.showPage()
    c.save()
    return buf.getvalue()
