"""What the pipeline needs from the reading stage (:class:`DocumentReader`), what the reader
needs from an OCR engine (:class:`OcrEngine`), and a small fake engine for tests.

An engine works on an upright-ish grayscale page image (a 2-D ``uint8`` numpy array, pixels)
and returns :class:`OcrWord` boxes in pixels of that image; the reader converts them into
:class:`mailroom.models.Word` in PDF points. Engines are sent to worker processes, so they
must be picklable (small frozen dataclasses).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from extract.reader import ReadResult
    from mailroom.models import ExtractedField, Page

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OcrWord:
    """One recognised word, its box in pixels of the image it was read from."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float  # 0-100
    block: int = 0
    paragraph: int = 0
    line: int = 0


@dataclass(frozen=True)
class Orientation:
    """Clockwise rotation (0/90/180/270) that makes the page upright, and its confidence."""

    rotate: int
    confidence: float


@runtime_checkable
class DocumentReader(Protocol):
    """The reading stage as the pipeline uses it: a document's bytes in, its pages out.

    Real: :class:`extract.reader.Reader` (text layers, OpenCV, Tesseract in worker processes).
    """

    def read(self, path: Path, media_type: str, *, image_dir: Path | None = None) -> ReadResult:
        """Every page's words; the upright page images written under ``image_dir``."""
        ...

    def reread(
        self, path: Path, media_type: str, pages: list[Page], fields: list[ExtractedField]
    ) -> list[Page]:
        """``pages`` with the words the chosen fields doubt read again (the same list when
        there is nothing to read again)."""
        ...

    def warm_up(self) -> None:
        """Start now what the first document would otherwise wait for."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class OcrEngine(Protocol):
    """An OCR engine as the reader uses it (real: :class:`extract.tesseract.TesseractEngine`)."""

    @property
    def name(self) -> str: ...

    def check(self) -> None:
        """Raise ``ConfigurationError`` when the engine cannot run on this machine."""
        ...

    def recognize(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> list[OcrWord]:
        """Words of the page image. Raises ``ReadTimeout`` or ``OcrFailed``."""
        ...

    def detect_orientation(
        self, image: np.ndarray, *, dpi: int, timeout_s: float
    ) -> Orientation | None:
        """The rotation that makes the page upright, or None when it cannot tell."""
        ...


class RunningRecognition(Protocol):
    def result(self) -> list[OcrWord]:
        """The words, once the engine is done. Raises ``ReadTimeout`` or ``OcrFailed``."""
        ...

    def cancel(self) -> None:
        """Stop the engine; its result is not wanted."""
        ...


@runtime_checkable
class BackgroundOcr(Protocol):
    """An engine that can read a page in the background while its caller works."""

    def start(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> RunningRecognition:
        ...


@runtime_checkable
class ColumnOcr(Protocol):
    """An engine that can also read a page as one column of lines, without looking for
    blocks first (Tesseract's ``--psm 6``): a till receipt reads better so, its blocks
    being found in the wrong places (a price cut from its label, a heading split)."""

    def single_column(self) -> OcrEngine:
        """The same engine, reading each page as one column of lines."""
        ...


@runtime_checkable
class LineOcr(Protocol):
    """An engine that can also read an image as one line of text (Tesseract's ``--psm 7``),
    with another language model: second readings of a doubtful word's line use it."""

    def single_line(self, languages: str) -> OcrEngine:
        """The same engine reading one line with ``languages``."""
        ...


@dataclass(frozen=True)
class FakeOcrEngine:
    """A deterministic engine for unit tests, with no OCR at all.

    It "reads" ``text`` (one line per ``\\n``) laid out from the top-left of the image, with
    ``confidence``. An upright page is recognised by a dark mark in its top-left quadrant (the
    tests draw one): when the mark is in another quadrant the page is sideways or upside down,
    the fake returns low-confidence garbage, and ``detect_orientation`` says which clockwise
    rotation brings the mark back to the top-left.
    """

    text: str = "Facture numéro 42\nMontant total 120,00 EUR"
    confidence: float = 91.0
    name: str = "fake"
    calls_log: str | None = None  # a file where each call appends a line (to count calls)

    def check(self) -> None:
        return None

    def _note(self, what: str) -> None:
        if self.calls_log:
            with open(self.calls_log, "a", encoding="utf-8") as f:
                f.write(what + "\n")

    @staticmethod
    def _dark_quadrant(image: np.ndarray) -> int:
        """0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left (clockwise)."""
        h, w = image.shape[:2]
        quads = [
            image[: h // 2, : w // 2],
            image[: h // 2, w // 2 :],
            image[h // 2 :, w // 2 :],
            image[h // 2 :, : w // 2],
        ]
        means = [float(q.mean()) if q.size else 255.0 for q in quads]
        return int(np.argmin(means))

    def recognize(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> list[OcrWord]:
        self._note("recognize")
        h, w = image.shape[:2]
        upright = self._dark_quadrant(image) == 0
        words: list[OcrWord] = []
        line_h = max(1, h // 40)
        for line_no, line in enumerate(self.text.splitlines()):
            x = max(1, w // 20)
            for token in line.split():
                text = token if upright else "".join(reversed(token)).swapcase() + "~"
                width = max(1, len(token) * line_h // 2)
                words.append(
                    OcrWord(
                        text=text,
                        left=x,
                        top=line_h * (line_no + 2),
                        width=width,
                        height=line_h,
                        confidence=self.confidence if upright else 20.0,
                        block=1,
                        paragraph=1,
                        line=line_no + 1,
                    )
                )
                x += width + line_h // 2
        return words

    def detect_orientation(
        self, image: np.ndarray, *, dpi: int, timeout_s: float
    ) -> Orientation | None:
        self._note("osd")
        quadrant = self._dark_quadrant(image)
        # rotating the image clockwise by 90 moves the top-left quadrant to the top-right:
        # a mark in quadrant q comes back to 0 after (4 - q) clockwise quarter turns.
        return Orientation(rotate=((4 - quadrant) % 4) * 90, confidence=10.0)
