"""The reading stage: a file of a known media type in, its pages (text, words, boxes) out.

Everything that parses the document runs in a pool of worker processes, created lazily once
per :class:`Reader` and reused across documents: a PDF is first inspected there (page count,
password, text layer of every page), then each page without a usable text layer is rasterised
(or loaded, for images), cleaned up and OCR'd by its own task. A task receives a path and a
page index, never pixels, so the parent holds no page images and memory is bounded by the
number of workers. A hostile file that crashes PDFium or Pillow kills a worker, not the
pipeline: the pool is rebuilt and the document is ``CorruptFile``.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

import numpy as np

from extract import images, pdf_text, preprocess, raster, textdoc
from extract.base import OcrEngine, OcrWord
from extract.tesseract import TesseractEngine
from mailroom.errors import (
    ConfigurationError,
    CorruptFile,
    DocumentError,
    MailroomError,
    ReadTimeout,
    UnsupportedType,
)
from mailroom.models import BBox, Page, Word
from mailroom.settings import LimitSettings, OcrSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/tiff"})
PDF_TYPE = "application/pdf"
TEXT_TYPE = "text/plain"
PREVIEW_DPI = 100  # text pages are rendered for the review application at this resolution
OPEN_TIMEOUT_S = 60.0  # the inspection of a whole document (page count, text layers)
# a page's OCR, orientation detection and second OCR each get ocr.page_timeout_s; the pool
# waits that much plus this margin before it decides a worker hangs and kills it.
GUARD_MARGIN_S = 30.0
# OCR quality below which the page's orientation is checked (OSD) and the page OCR'd again
ORIENTATION_MIN_CONFIDENCE = 65.0
ORIENTATION_MIN_WORD_RATIO = 0.5


def image_name(number: int) -> str:
    return f"page-{number:04d}.png"


@dataclass(frozen=True)
class ReadResult:
    pages: list[Page]
    # page number -> upright PNG written under image_dir (OCR'd pages, and rendered text
    # pages when image_dir is given)
    page_images: dict[int, Path] = field(default_factory=dict)


# ------------------------------------------------------------------- OCR of one page image


@dataclass(frozen=True)
class OcrRead:
    words: list[OcrWord]
    image: np.ndarray  # the upright image that was OCR'd
    rotation: int
    deskew_angle: float
    enhanced: tuple[str, ...]


def ocr_quality(words: list[OcrWord]) -> tuple[float, float, float]:
    """(score, mean confidence, share of word-like tokens). The score, used to choose
    between two readings of a page, counts word-like words weighted by their confidence."""
    if not words:
        return 0.0, 0.0, 0.0
    mean = sum(w.confidence for w in words) / len(words)
    _, ratio = pdf_text.word_like_ratio([w.text for w in words])
    score = sum(w.confidence for w in words if pdf_text.looks_like_word(w.text)) / 100.0
    return score, mean, ratio


def reads_sideways(words: list[OcrWord]) -> bool:
    """Tesseract reads some quarter-turned pages with good confidence, in vertical lines:
    then most words of several letters have boxes taller than wide."""
    long_words = [w for w in words if len(w.text) >= 4]
    if len(long_words) < 3:
        return False
    tall = sum(1 for w in long_words if w.height > w.width)
    return tall > 0.5 * len(long_words)


def needs_orientation_check(words: list[OcrWord]) -> bool:
    _, mean, ratio = ocr_quality(words)
    return (
        mean < ORIENTATION_MIN_CONFIDENCE
        or ratio < ORIENTATION_MIN_WORD_RATIO
        or reads_sideways(words)
    )


def ocr_image(pixels: np.ndarray, dpi: int, engine: OcrEngine, timeout_s: float) -> OcrRead:
    """Clean up and OCR an upright-or-not page; a page read poorly gets its orientation
    detected and, when it is turned, is OCR'd again upright and the better reading kept."""
    prepared = preprocess.prepare(pixels)
    words = engine.recognize(prepared.image, dpi=dpi, timeout_s=timeout_s)
    best = OcrRead(words, prepared.image, 0, prepared.deskew_angle, prepared.enhanced)
    if not needs_orientation_check(words):
        return best
    orientation = engine.detect_orientation(prepared.image, dpi=dpi, timeout_s=timeout_s)
    if orientation is None or orientation.rotate == 0:
        return best
    turned = preprocess.prepare(preprocess.rotate_quarter(pixels, orientation.rotate))
    words2 = engine.recognize(turned.image, dpi=dpi, timeout_s=timeout_s)
    sideways_before = reads_sideways(words) and not reads_sideways(words2)
    if sideways_before or ocr_quality(words2)[0] > ocr_quality(words)[0]:
        log.debug("page turned %d degrees by orientation detection", orientation.rotate)
        return OcrRead(
            words2, turned.image, orientation.rotate, turned.deskew_angle, turned.enhanced
        )
    return best


def page_from_ocr(
    number: int, read: OcrRead, dpi: float
) -> Page:
    """A Page from OCR words: pixels of the upright image to PDF points, lines numbered in
    Tesseract's reading order by (block, paragraph, line)."""
    scale = 72.0 / dpi
    h, w = read.image.shape[:2]
    line_of: dict[tuple[int, int, int], int] = {}
    lines: list[list[str]] = []
    words: list[Word] = []
    for ow in read.words:
        key = (ow.block, ow.paragraph, ow.line)
        if key not in line_of:
            line_of[key] = len(lines)
            lines.append([])
        lines[line_of[key]].append(ow.text)
        words.append(
            Word(
                text=ow.text,
                bbox=BBox(
                    x0=ow.left * scale,
                    y0=ow.top * scale,
                    x1=(ow.left + ow.width) * scale,
                    y1=(ow.top + ow.height) * scale,
                ),
                confidence=float(ow.confidence),
                line=line_of[key],
                block=ow.block,
            )
        )
    mean = round(sum(w.confidence for w in words) / len(words), 1) if words else None
    return Page(
        number=number,
        width=w * scale,
        height=h * scale,
        text="\n".join(" ".join(line) for line in lines),
        words=tuple(words),
        text_source="ocr",
        ocr_confidence=mean,
        rotation=read.rotation,
        deskew_angle=read.deskew_angle,
    )


# ------------------------------------------------------------------- worker-side tasks


@dataclass(frozen=True)
class _Outcome:
    """A task's result or the error it raised, in a form that crosses process boundaries
    (our exceptions do not pickle back with their detail)."""

    value: Any = None
    error: type[MailroomError] | None = None
    detail: str = ""

    def unwrap(self) -> Any:
        if self.error is not None:
            raise self.error(self.detail)
        return self.value


@dataclass(frozen=True)
class _PageTask:
    path: str
    kind: Literal["pdf", "image"]
    index: int  # 0-based
    ocr: OcrSettings
    limits: LimitSettings
    engine: OcrEngine
    image_dir: str | None


@dataclass(frozen=True)
class _PdfPlan:
    page_count: int
    text_pages: tuple[Page, ...]
    ocr_indexes: tuple[int, ...]
    images: dict[int, str]


def _worker_init() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    preprocess.init_worker()


def _guarded(fn: Callable[..., Any], *args: Any) -> _Outcome:
    try:
        return _Outcome(value=fn(*args))
    except (DocumentError, ConfigurationError) as e:
        return _Outcome(error=type(e), detail=e.detail if isinstance(e, DocumentError) else str(e))
    except MemoryError:
        return _Outcome(error=CorruptFile, detail="the document does not fit in memory")
    except RecursionError:
        return _Outcome(error=CorruptFile, detail="the document's structure is nested too deeply")


def _inspect_pdf(path: str, ocr: OcrSettings, limits: LimitSettings, image_dir: str | None
                 ) -> _PdfPlan:
    count = raster.page_count(Path(path), limits)
    try:
        layers = pdf_text.read_text_layers(Path(path), ocr.min_text_chars)
    except CorruptFile as e:
        # PDFium opened it: every page is OCR'd from its rendering instead
        log.info("no usable text layer (%s); the pages are OCR'd", e.detail)
        layers = []
    by_index = {layer.index: layer for layer in layers if layer.index < count}
    text_pages: list[Page] = []
    ocr_indexes: list[int] = []
    written: dict[int, str] = {}
    pdf = raster.open_pdf(Path(path)) if image_dir else None
    try:
        for index in range(count):
            layer = by_index.get(index)
            if layer is None or not layer.usable:
                if layer is not None:
                    log.debug("page %d is OCR'd: %s", index + 1, layer.problem)
                ocr_indexes.append(index)
                continue
            text_pages.append(
                Page(
                    number=index + 1,
                    width=layer.width,
                    height=layer.height,
                    text=layer.text,
                    words=layer.words,
                    text_source="pdf_text",
                )
            )
            if image_dir and pdf is not None:
                pixels = raster.render_page(Path(path), index, PREVIEW_DPI, limits, pdf=pdf)
                target = Path(image_dir) / image_name(index + 1)
                images.save_png(pixels, target, PREVIEW_DPI)
                written[index + 1] = str(target)
    finally:
        if pdf is not None:
            pdf.close()
    return _PdfPlan(count, tuple(text_pages), tuple(ocr_indexes), written)


def _count_frames(path: str, limits: LimitSettings) -> int:
    return images.frame_count(Path(path), limits)


def _read_page(task: _PageTask) -> tuple[Page, str | None]:
    path = Path(task.path)
    if task.kind == "pdf":
        pixels = raster.render_page(path, task.index, task.ocr.dpi, task.limits)
        dpi = float(task.ocr.dpi)
    else:
        loaded = images.load_frame(path, task.index, task.limits)
        pixels, dpi = loaded.pixels, loaded.dpi
    read = ocr_image(pixels, round(dpi), task.engine, task.ocr.page_timeout_s)
    del pixels
    page = page_from_ocr(task.index + 1, read, dpi)
    target: str | None = None
    if task.image_dir:
        target = str(Path(task.image_dir) / image_name(page.number))
        images.save_png(read.image, Path(target), dpi)
    return page, target


# ------------------------------------------------------------------- the reader


class Reader:
    """Reads documents into pages. Reuse one Reader for many documents; close it at the end
    (or use it as a context manager) to stop its worker processes."""

    def __init__(
        self, ocr: OcrSettings, limits: LimitSettings, engine: OcrEngine | None = None
    ) -> None:
        self._ocr = ocr
        self._limits = limits
        self._engine: OcrEngine = engine or TesseractEngine(languages=ocr.languages)
        self._pool: cf.ProcessPoolExecutor | None = None
        self._engine_checked = False
        self._lock = threading.RLock()

    # -- context manager
    def __enter__(self) -> Reader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    # -- pool
    def _executor(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                max_workers=max(1, self._ocr.workers),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
            )
        return self._pool

    def _kill_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())
        for process in processes:
            if process.is_alive():
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def warm_up(self) -> None:
        """Start the worker processes now rather than on the first document."""
        with self._lock:
            pool = self._executor()
            futures = [pool.submit(os.getpid) for _ in range(max(1, self._ocr.workers))]
            for future in futures:
                future.result()

    def _submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future[_Outcome]:
        """Submit to the pool; a pool broken earlier (a worker killed from outside, or by a
        previous document) is rebuilt first: this document is not to blame."""
        try:
            return self._executor().submit(_guarded, fn, *args)
        except BrokenProcessPool:
            self._kill_pool()
            return self._executor().submit(_guarded, fn, *args)

    def _wait(self, future: cf.Future[_Outcome], timeout: float, what: str) -> Any:
        try:
            return future.result(timeout=timeout).unwrap()
        except cf.TimeoutError as e:
            self._kill_pool()
            raise ReadTimeout(f"{what} took more than {timeout:g} s") from e
        except BrokenProcessPool as e:
            self._kill_pool()
            raise CorruptFile(f"a reading process crashed on this document ({what})") from e

    def _page_guard(self) -> float:
        return 3 * self._ocr.page_timeout_s + GUARD_MARGIN_S

    # -- reading
    def read(self, path: Path, media_type: str, *, image_dir: Path | None = None) -> ReadResult:
        media_type = media_type.split(";")[0].strip().lower()
        with self._lock:
            if image_dir is not None:
                image_dir.mkdir(parents=True, exist_ok=True)
            if media_type == PDF_TYPE:
                return self._read_pdf(path, image_dir)
            if media_type in IMAGE_TYPES:
                return self._read_image(path, image_dir)
            if media_type == TEXT_TYPE:
                return self._read_text(path, image_dir)
            raise UnsupportedType(f"media type {media_type!r}")

    def _check_engine(self) -> None:
        if not self._engine_checked:
            self._engine.check()
            self._engine_checked = True

    def _read_text(self, path: Path, image_dir: Path | None) -> ReadResult:
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as e:
            raise CorruptFile(f"cannot read the text: {e}") from e
        with tempfile.TemporaryDirectory(prefix="mailroom-text-") as tmp:
            pdf = textdoc.render_text_pdf(text, Path(tmp) / "body.pdf")
            return self._read_pdf(pdf, image_dir)

    def _read_pdf(self, path: Path, image_dir: Path | None) -> ReadResult:
        plan: _PdfPlan = self._wait(
            self._submit(
                _inspect_pdf, str(path), self._ocr, self._limits,
                str(image_dir) if image_dir else None,
            ),
            max(OPEN_TIMEOUT_S, self._ocr.page_timeout_s),
            "opening the PDF",
        )
        pages = {p.number: p for p in plan.text_pages}
        page_images = {n: Path(p) for n, p in plan.images.items()}
        ocr_pages, ocr_images = self._ocr_pages(path, "pdf", plan.ocr_indexes, image_dir)
        pages.update(ocr_pages)
        page_images.update(ocr_images)
        return ReadResult(pages=[pages[n] for n in sorted(pages)], page_images=page_images)

    def _read_image(self, path: Path, image_dir: Path | None) -> ReadResult:
        count: int = self._wait(
            self._submit(_count_frames, str(path), self._limits),
            OPEN_TIMEOUT_S,
            "opening the image",
        )
        pages, page_images = self._ocr_pages(path, "image", tuple(range(count)), image_dir)
        return ReadResult(pages=[pages[n] for n in sorted(pages)], page_images=page_images)

    def _ocr_pages(
        self,
        path: Path,
        kind: Literal["pdf", "image"],
        indexes: tuple[int, ...],
        image_dir: Path | None,
    ) -> tuple[dict[int, Page], dict[int, Path]]:
        if not indexes:
            return {}, {}
        self._check_engine()
        futures = [
            self._submit(
                _read_page,
                _PageTask(
                    path=str(path),
                    kind=kind,
                    index=index,
                    ocr=self._ocr,
                    limits=self._limits,
                    engine=self._engine,
                    image_dir=str(image_dir) if image_dir else None,
                ),
            )
            for index in indexes
        ]
        pages: dict[int, Page] = {}
        written: dict[int, Path] = {}
        try:
            for index, future in zip(indexes, futures, strict=True):
                page, target = self._wait(future, self._page_guard(), f"page {index + 1}")
                pages[page.number] = page
                if target:
                    written[page.number] = Path(target)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return pages, written
