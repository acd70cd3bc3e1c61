"""Tesseract: the only module that runs it.

The page image is written as an uncompressed 8-bit BMP (a header, a grey palette and the raw
rows, no encoder), so that one call costs little more than a raw ``tesseract`` run: Leptonica
reads a BMP as fast as a PNG and about 0.1 s faster than the same page as a PGM, and writing
it costs a copy. Recognition runs the command pytesseract's ``image_to_data`` runs, started
as a process of its own (:meth:`TesseractEngine.start`) so that the reader can prepare the
page meanwhile; pytesseract checks the installation and runs orientation detection.
Tesseract gets ``OMP_THREAD_LIMIT=1``: pages are parallelised by processes, not threads.
"""

from __future__ import annotations

import logging
import os
import re
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytesseract

from extract.base import OcrWord, Orientation
from mailroom.errors import ConfigurationError, OcrFailed, ReadTimeout

log = logging.getLogger(__name__)

_ROTATE = re.compile(r"Rotate:\s*(\d+)")
_ORIENT_CONF = re.compile(r"Orientation confidence:\s*([\d.]+)")


_GREY_PALETTE = bytes(np.repeat(np.arange(256, dtype=np.uint8), 4).reshape(256, 4)
                      * np.array([1, 1, 1, 0], dtype=np.uint8))


def write_bmp(image: np.ndarray, path: Path, dpi: float = 300.0) -> None:
    """Write a 2-D uint8 array as an 8-bit grey BMP (rows bottom-up, padded to 4 bytes)."""
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ValueError("write_bmp expects a 2-D uint8 array")
    h, w = image.shape
    stride = (w + 3) & ~3
    offset = 14 + 40 + len(_GREY_PALETTE)
    size = offset + stride * h
    ppm = round(dpi / 0.0254)
    header = struct.pack("<2sIHHI", b"BM", size, 0, 0, offset) + struct.pack(
        "<IiiHHIIiiII", 40, w, h, 1, 8, 0, stride * h, ppm, ppm, 256, 0
    )
    rows = image[::-1]
    if stride != w:
        rows = np.pad(rows, ((0, 0), (0, stride - w)), constant_values=255)
    with open(path, "wb") as f:
        f.write(header)
        f.write(_GREY_PALETTE)
        f.write(np.ascontiguousarray(rows).tobytes())


def _single_thread_env() -> None:
    # pytesseract hands os.environ to its subprocess; one OpenMP thread per Tesseract.
    os.environ["OMP_THREAD_LIMIT"] = "1"


@dataclass(frozen=True)
class TesseractEngine:
    """Tesseract 4/5 via pytesseract, ``--psm 3`` by default."""

    languages: str = "fra+eng"
    psm: int = 3
    name: str = "tesseract"

    def single_column(self) -> TesseractEngine:
        return replace(self, psm=6)

    def single_line(self, languages: str) -> TesseractEngine:
        return replace(self, psm=7, languages=languages)

    def check(self) -> None:
        try:
            version = pytesseract.get_tesseract_version()
            installed = set(pytesseract.get_languages(config=""))
        except pytesseract.TesseractNotFoundError as e:
            raise ConfigurationError(
                "the tesseract program is not installed or not on PATH"
            ) from e
        except (OSError, pytesseract.TesseractError) as e:
            raise ConfigurationError(f"tesseract cannot run: {e}") from e
        missing = [lang for lang in self.languages.split("+") if lang not in installed]
        if missing:
            raise ConfigurationError(
                f"tesseract {version} lacks the language packs {', '.join(missing)}"
            )

    def _osd(self, image: np.ndarray, dpi: int, timeout_s: float, config: str) -> str:
        _single_thread_env()
        with tempfile.TemporaryDirectory(prefix="mailroom-osd-") as tmp:
            path = Path(tmp) / "page.bmp"
            write_bmp(image, path, dpi)
            try:
                return str(pytesseract.image_to_osd(str(path), config=config, timeout=timeout_s))
            except pytesseract.TesseractNotFoundError as e:
                raise ConfigurationError(
                    "the tesseract program is not installed or not on PATH"
                ) from e
            except RuntimeError as e:
                # pytesseract raises a bare RuntimeError when it killed the process on timeout;
                # TesseractError is a RuntimeError too and is handled by the caller.
                if isinstance(e, pytesseract.TesseractError):
                    raise
                if "timeout" in str(e).lower():
                    raise ReadTimeout(f"OCR of a page took more than {timeout_s:g} s") from e
                raise OcrFailed(str(e)) from e
            except OSError as e:
                raise OcrFailed(f"tesseract could not be run: {e}") from e

    def recognize(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> list[OcrWord]:
        return self.start(image, dpi=dpi, timeout_s=timeout_s).result()

    def start(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> RunningOcr:
        """Start reading ``image`` in a Tesseract process and return at once: the caller may
        work meanwhile (the reader prepares the page while Tesseract reads it as it came,
        and keeps that reading when the page needed no clean-up). The command is the one
        pytesseract's ``image_to_data`` runs, with the TSV written alone."""
        _single_thread_env()
        tmp = tempfile.TemporaryDirectory(prefix="mailroom-ocr-")
        try:
            path = Path(tmp.name) / "page.bmp"
            write_bmp(image, path, dpi)
            base = Path(tmp.name) / "page"
            command = [
                pytesseract.pytesseract.tesseract_cmd, str(path), str(base),
                "-l", self.languages, "--psm", str(self.psm), "--dpi", str(dpi), "tsv",
            ]
            proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except FileNotFoundError as e:
            tmp.cleanup()
            raise ConfigurationError(
                "the tesseract program is not installed or not on PATH"
            ) from e
        except OSError as e:
            tmp.cleanup()
            raise OcrFailed(f"tesseract could not be run: {e}") from e
        except BaseException:
            tmp.cleanup()
            raise
        return RunningOcr(proc, tmp, base.with_suffix(".tsv"), timeout_s)

    def detect_orientation(
        self, image: np.ndarray, *, dpi: int, timeout_s: float
    ) -> Orientation | None:
        config = f"--psm 0 --dpi {dpi} -c min_characters_to_try=10"
        try:
            out = self._osd(image, dpi, timeout_s, config)
        except pytesseract.TesseractError as e:
            # "Too few characters" and friends: OSD cannot tell, which is not a failure.
            log.debug("orientation detection gave no answer: %s", e.message)
            return None
        return parse_osd(out)


class RunningOcr:
    """A Tesseract process reading one page. :meth:`result` waits for its words (the
    timeout counts from the start), :meth:`cancel` kills it; either removes its files."""

    def __init__(
        self, proc: subprocess.Popen[bytes], tmp: tempfile.TemporaryDirectory[str], tsv: Path,
        timeout_s: float,
    ) -> None:
        self._proc = proc
        self._tmp = tmp
        self._tsv = tsv
        self._timeout_s = timeout_s
        self._deadline = time.monotonic() + timeout_s

    def result(self) -> list[OcrWord]:
        try:
            try:
                _, err = self._proc.communicate(
                    timeout=max(0.0, self._deadline - time.monotonic())
                )
            except subprocess.TimeoutExpired as e:
                self._kill()
                raise ReadTimeout(f"OCR of a page took more than {self._timeout_s:g} s") from e
            if self._proc.returncode:
                message = err.decode("utf-8", errors="replace").strip()
                raise OcrFailed(f"tesseract failed: {message[-500:] or self._proc.returncode}")
            try:
                tsv = self._tsv.read_text(encoding="utf-8", errors="replace")
            except OSError as e:
                raise OcrFailed(f"tesseract wrote no result: {e}") from e
            return parse_tsv(tsv)
        finally:
            self._tmp.cleanup()

    def cancel(self) -> None:
        try:
            self._kill()
        finally:
            self._tmp.cleanup()

    def _kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.communicate()


def parse_osd(out: str) -> Orientation | None:
    rotate = _ROTATE.search(out)
    conf = _ORIENT_CONF.search(out)
    if rotate is None:
        return None
    value = int(rotate.group(1)) % 360
    if value not in (0, 90, 180, 270):
        return None
    return Orientation(rotate=value, confidence=float(conf.group(1)) if conf else 0.0)


def parse_tsv(tsv: str) -> list[OcrWord]:
    """Tesseract's TSV into words: level 5 rows with text and a confidence >= 0."""
    words: list[OcrWord] = []
    lines = tsv.splitlines()
    if not lines:
        return words
    header = lines[0].split("\t")
    try:
        col = {name: header.index(name) for name in (
            "level", "block_num", "par_num", "line_num", "left", "top", "width", "height",
            "conf", "text",
        )}
    except ValueError as e:
        raise OcrFailed("tesseract returned an unexpected TSV header") from e
    for row in lines[1:]:
        cells = row.split("\t")
        if len(cells) < len(header):
            cells += [""] * (len(header) - len(cells))
        if cells[col["level"]] != "5":
            continue
        text = cells[col["text"]].strip()
        try:
            conf = float(cells[col["conf"]])
        except ValueError:
            continue
        if not text or conf < 0:
            continue
        words.append(
            OcrWord(
                text=text,
                left=int(cells[col["left"]]),
                top=int(cells[col["top"]]),
                width=int(cells[col["width"]]),
                height=int(cells[col["height"]]),
                confidence=conf,
                block=int(cells[col["block_num"]]),
                paragraph=int(cells[col["par_num"]]),
                line=int(cells[col["line_num"]]),
            )
        )
    return words
