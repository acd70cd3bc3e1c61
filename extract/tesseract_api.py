"""Tesseract in-process, through the tesserocr binding: the only module that imports it.

The process-per-call engine (:mod:`extract.tesseract`) starts a ``tesseract`` program for each
reading: it writes the page to a file and loads the language models again every time (about
0.5 s of a 3 s page, and most of a one-line re-reading). Here each worker process keeps one
``PyTessBaseAPI`` per language set, created on its first page: the models are loaded once per
process, a page is handed over as raw pixels (``SetImageBytes``, no file), the page
segmentation mode is set per reading (``SetPageSegMode``) and a reading has a time limit
(``Recognize(timeout=...)``). Orientation detection runs on an API of its own loaded with the
``osd`` model (the text model's API aborts the process when asked, Tesseract 5.5).

The binding is built from source against the system's libtesseract (``scripts/setup.sh``):
its PyPI wheel carries a Tesseract 5.5 of its own, which reads some words otherwise than
Debian 12's 5.3 (the order of a photographed RIB's blocks, noise on a degraded scan). Built so,
both engines give the same words on the sample pages
(``tests/integration/test_tesseract_engines.py``). ``ocr.engine=tesseract`` is the
process-per-call engine, kept as the reference and used when the binding is missing.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import glob
import logging
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from extract.base import OcrWord, Orientation
from extract.tesseract import parse_tsv
from mailroom.errors import ConfigurationError, OcrFailed, ReadTimeout

log = logging.getLogger(__name__)

# GetTSVText gives the rows without the header line the program writes
TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight" \
    "\tconf\ttext\n"
TESSDATA_GLOBS = (
    "/usr/share/tesseract-ocr/*/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
OSD_MIN_CHARACTERS = 10  # as the process-per-call engine's ``-c min_characters_to_try=10``
LEPTONICA_LIBRARIES = ("liblept.so.5", "libleptonica.so.6", "libleptonica.so")
L_SEVERITY_NONE = 6


def available() -> bool:
    """Whether the tesserocr binding can be imported here."""
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return False
    return True


def find_tessdata(configured: Path | None = None) -> Path | None:
    """The folder of Tesseract's language models: the setting, ``TESSDATA_PREFIX``, or the
    first usual place that holds an ``eng.traineddata``."""
    if configured is not None:
        return configured
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        return Path(prefix)
    for pattern in TESSDATA_GLOBS:
        for folder in sorted(glob.glob(pattern), reverse=True):
            if (Path(folder) / "eng.traineddata").exists():
                return Path(folder)
    return None


@functools.cache
def _quiet_leptonica() -> None:
    """Leptonica writes its complaints about a page ("Error in boxClipToRectangle: box
    outside rectangle") to the worker's stderr; the program engine captured them with the
    program's stderr, and both read on. Silenced the same way here."""
    for name in LEPTONICA_LIBRARIES:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(name).setMsgSeverity(L_SEVERITY_NONE)
            return


class _Api:
    """One ``PyTessBaseAPI`` and the lock that keeps it to one reading at a time."""

    def __init__(self, tessdata: Path, languages: str, osd: bool) -> None:
        try:
            import tesserocr
        except ImportError as e:
            raise ConfigurationError("the tesserocr binding is not installed") from e
        self.tesserocr = tesserocr
        _quiet_leptonica()
        psm = tesserocr.PSM.OSD_ONLY if osd else tesserocr.PSM.AUTO
        try:
            # the binding wants the folder with its trailing separator
            self.api = tesserocr.PyTessBaseAPI(
                path=str(tessdata).rstrip("/") + "/", lang=languages, psm=psm
            )
        except RuntimeError as e:
            raise ConfigurationError(
                f"tesseract cannot load the models {languages!r} from {tessdata}: {e}"
            ) from e
        if osd:
            self.api.SetVariable("min_characters_to_try", str(OSD_MIN_CHARACTERS))
        self.lock = threading.Lock()

    def set_image(self, image: np.ndarray, dpi: int) -> None:
        if image.ndim != 2 or image.dtype != np.uint8:
            raise OcrFailed("the page image is not 8-bit grey")
        pixels = np.ascontiguousarray(image)
        h, w = pixels.shape
        self.api.SetImageBytes(pixels.tobytes(), w, h, 1, w)
        self.api.SetSourceResolution(max(1, dpi))


# one API per (models folder, languages, osd) in each process: models loaded once
_APIS: dict[tuple[str, str, bool], _Api] = {}
_APIS_LOCK = threading.Lock()


def _api(tessdata: Path, languages: str, *, osd: bool = False) -> _Api:
    key = (str(tessdata), languages, osd)
    with _APIS_LOCK:
        api = _APIS.get(key)
        if api is None:
            api = _APIS[key] = _Api(tessdata, languages, osd)
            log.debug("tesseract models %s loaded in process %d", languages, os.getpid())
        return api


@dataclass(frozen=True)
class TesseractApiEngine:
    """Tesseract in-process (tesserocr), ``--psm 3`` by default; picklable, its API lives
    in the process that uses it."""

    languages: str = "fra+eng"
    psm: int = 3
    tessdata: Path | None = None
    name: str = "tesserocr"

    def single_column(self) -> TesseractApiEngine:
        return replace(self, psm=6)

    def single_line(self, languages: str) -> TesseractApiEngine:
        return replace(self, psm=7, languages=languages)

    def _tessdata(self) -> Path:
        folder = find_tessdata(self.tessdata)
        if folder is None:
            raise ConfigurationError(
                "no Tesseract language models found (set MAILROOM_OCR__TESSDATA_DIR)"
            )
        return folder

    def check(self) -> None:
        """The binding and the language models are there (cheap: nothing is loaded)."""
        folder = self._tessdata()
        missing = [
            lang for lang in self.languages.split("+")
            if not (folder / f"{lang}.traineddata").exists()
        ]
        if missing:
            raise ConfigurationError(
                f"{folder} lacks the Tesseract language models {', '.join(missing)}"
            )
        if not available():
            raise ConfigurationError("the tesserocr binding is not installed")
        # the models are loaded by the processes that read, not by the one that checks

    def recognize(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> list[OcrWord]:
        api = _api(self._tessdata(), self.languages)
        with api.lock:
            try:
                api.set_image(image, dpi)
                api.api.SetPageSegMode(self.psm)
                return _read(api, timeout_s)
            finally:
                _done(api)

    def recognize_lines(
        self, image: np.ndarray, boxes: list[tuple[int, int, int, int]], *, dpi: int,
        timeout_s: float,
    ) -> list[list[OcrWord]]:
        """Each box (left, top, width, height) of ``image`` read as one line: the image is
        handed over once and each line is a rectangle of it (``SetRectangle``); the words'
        boxes are in pixels of ``image``."""
        api = _api(self._tessdata(), self.languages)
        out: list[list[OcrWord]] = []
        with api.lock:
            try:
                api.set_image(image, dpi)
                api.api.SetPageSegMode(self.psm)
                for left, top, width, height in boxes:
                    api.api.SetRectangle(left, top, width, height)
                    out.append(_read(api, timeout_s))
            finally:
                _done(api)
        return out

    def detect_orientation(
        self, image: np.ndarray, *, dpi: int, timeout_s: float
    ) -> Orientation | None:
        api = _api(self._tessdata(), "osd", osd=True)
        with api.lock:
            try:
                api.set_image(image, dpi)
                found: dict[str, Any] | None = api.api.DetectOrientationScript()
            finally:
                _done(api)
        if not found:
            log.debug("orientation detection gave no answer")
            return None
        # orient_deg is how far the page is turned clockwise; the program's "Rotate:" (what
        # the reader wants) is the turn that puts it back
        rotate = (360 - int(found["orient_deg"])) % 360
        if rotate not in (0, 90, 180, 270):
            return None
        return Orientation(rotate=rotate, confidence=round(float(found["orient_conf"]), 2))


def _read(api: _Api, timeout_s: float) -> list[OcrWord]:
    try:
        done = api.api.Recognize(timeout=max(1, round(timeout_s * 1000)))
    except RuntimeError as e:
        raise OcrFailed(f"tesseract failed: {e}") from e
    if not done:
        raise ReadTimeout(f"OCR of a page took more than {timeout_s:g} s")
    return parse_tsv(TSV_HEADER + (api.api.GetTSVText(0) or ""))


def _done(api: _Api) -> None:
    """Free the page's image and recognition results (kept until the next page otherwise:
    tens of megabytes a worker between pages). The models stay loaded."""
    api.api.Clear()
