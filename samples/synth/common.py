"""What every document builder shares: the built document, logos, signatures, footers."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from samples.synth.page import Color, FontFamily, Sheet


@dataclass
class Built:
    """A document laid out, with the normalised values of the fields printed on it."""

    doc_type: str
    variant: str
    language: str
    sheets: list[Sheet]
    fields: dict[str, str]
    dossier_id: str | None
    title: str = ""
    author: str = ""
    notes: list[str] = field(default_factory=list)  # hard cases this document carries

    def pages_text(self) -> list[str]:
        return [s.true_text() for s in self.sheets]


PALETTE: list[Color] = [
    (0.10, 0.25, 0.55),
    (0.60, 0.10, 0.12),
    (0.05, 0.45, 0.30),
    (0.85, 0.45, 0.05),
    (0.25, 0.25, 0.30),
    (0.40, 0.15, 0.50),
    (0.00, 0.50, 0.65),
    (0.55, 0.40, 0.10),
]


def pick_color(rng: random.Random) -> Color:
    return rng.choice(PALETTE)


def light(c: Color, amount: float = 0.85) -> Color:
    return (c[0] + (1 - c[0]) * amount, c[1] + (1 - c[1]) * amount, c[2] + (1 - c[2]) * amount)


def logo(sheet: Sheet, x: float, y: float, size: float, rng: random.Random, color: Color) -> None:
    """A logo made of shapes only, its top-left corner at (x, y)."""
    kind = rng.randrange(6)
    s = size
    other = light(color, 0.45)
    if kind == 0:  # overlapping circles
        sheet.circle(x + s * 0.35, y + s * 0.5, s * 0.33, stroke=None, fill=color)
        sheet.circle(x + s * 0.65, y + s * 0.5, s * 0.33, stroke=None, fill=other)
    elif kind == 1:  # triangle in a square
        sheet.rect(x, y, s, s, stroke=color, fill=None, width=2)
        sheet.poly(
            [
                (x + s * 0.5, y + s * 0.15),
                (x + s * 0.85, y + s * 0.85),
                (x + s * 0.15, y + s * 0.85),
            ],
            fill=color,
        )
    elif kind == 2:  # bars
        for i, hgt in enumerate((0.5, 0.8, 0.65, 1.0)):
            sheet.rect(
                x + i * s * 0.25,
                y + s * (1 - hgt),
                s * 0.2,
                s * hgt,
                stroke=None,
                fill=color if i % 2 else other,
            )
    elif kind == 3:  # hexagon with a dot
        pts = [
            (x + s / 2 + s / 2 * math.cos(a), y + s / 2 + s / 2 * math.sin(a))
            for a in (math.pi / 3 * k + math.pi / 6 for k in range(6))
        ]
        sheet.poly(pts, fill=color)
        sheet.circle(x + s / 2, y + s / 2, s * 0.15, stroke=None, fill=(1, 1, 1))
    elif kind == 4:  # wheel (garage / tow)
        sheet.circle(x + s / 2, y + s / 2, s * 0.48, stroke=color, fill=None, width=s * 0.12)
        for k in range(5):
            a = 2 * math.pi * k / 5
            sheet.line(
                x + s / 2,
                y + s / 2,
                x + s / 2 + s * 0.42 * math.cos(a),
                y + s / 2 + s * 0.42 * math.sin(a),
                color=color,
                width=s * 0.06,
            )
    else:  # cross (medical) / plus
        t = s * 0.3
        sheet.rect(x + (s - t) / 2, y, t, s, stroke=None, fill=color)
        sheet.rect(x, y + (s - t) / 2, s, t, stroke=None, fill=color)


def signature(sheet: Sheet, x: float, y: float, rng: random.Random, width: float = 90) -> None:
    """A handwritten-looking stroke (no text)."""
    pts = [(x, y)]
    cx = x
    for _ in range(rng.randint(3, 5)):
        for _ in range(3):
            cx += width / 15 * rng.uniform(0.6, 1.6)
            pts.append((cx, y + rng.uniform(-14, 10)))
    sheet.curve(pts, color=(0.1, 0.1, 0.35), width=rng.uniform(0.9, 1.6))


def stamp(sheet: Sheet, cx: float, cy: float, r: float, color: Color) -> None:
    sheet.circle(cx, cy, r, stroke=color, fill=None, width=1.6)
    sheet.circle(cx, cy, r * 0.78, stroke=color, fill=None, width=0.8)


def hr(
    sheet: Sheet,
    x0: float,
    x1: float,
    y: float,
    color: Color = (0.3, 0.3, 0.3),
    width: float = 0.6,
    dash: tuple[float, float] | None = None,
) -> None:
    sheet.line(x0, y, x1, y, color=color, width=width, dash=dash)


def new_sheet(family: FontFamily, size: tuple[float, float]) -> Sheet:
    return Sheet(size[0], size[1], family)
