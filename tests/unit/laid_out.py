"""Pages laid out in a test, for the field extractor: words with boxes, no OCR."""

from __future__ import annotations

from mailroom.models import BBox, Page, Word

CHAR_W = 5.0  # points per character
LINE_H = 10.0  # points per line

# (x, y, text) or (x, y, text, OCR confidence of its words)
Piece = tuple[float, float, str] | tuple[float, float, str, float]


def laid_out_page(
    *pieces: Piece,
    number: int = 1,
    width: float = 595.0,
    height: float = 842.0,
    line_height: float = LINE_H,
    confidence: float = 100.0,
    low: dict[str, float] | None = None,
    text_source: str = "pdf_text",
) -> Page:
    """A page from pieces of text at (x, y) points; each space-separated token becomes a word
    ``CHAR_W`` points a character wide, each piece a line of its own. ``low``: confidences
    of given tokens, over the piece's or ``confidence``."""
    words: list[Word] = []
    for n, piece in enumerate(pieces):
        x, y, text = piece[0], piece[1], piece[2]
        piece_confidence = piece[3] if len(piece) > 3 else confidence  # type: ignore[misc]
        pos = x
        for tok in text.split(" "):
            if tok:
                words.append(Word(
                    text=tok,
                    bbox=BBox(x0=pos, y0=y, x1=pos + CHAR_W * len(tok), y1=y + line_height),
                    confidence=(low or {}).get(tok, piece_confidence), line=n, block=n,
                ))
            pos += CHAR_W * (len(tok) + 1)
    return Page(
        number=number, width=width, height=height, text="\n".join(p[2] for p in pieces),
        words=tuple(words), text_source=text_source,  # type: ignore[arg-type]
    )
