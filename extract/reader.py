"""The reading stage: a file of a known media type in, its pages (text, words, boxes) out.

Everything that parses the document runs in a pool of worker processes, created lazily once
per :class:`Reader` and reused across documents: a PDF's page count is read there, then its
text layers by runs of pages (one run per worker, each parsing the document once), then each
page without a usable text layer is rasterised (or loaded, for images), cleaned up and OCR'd
by its own task. A task receives a path and a page index, never pixels, so the parent holds
no page images and memory is bounded by the number of workers.

Several threads may read documents at once: their tasks share the pool, so two document
threads keep two workers busy. A hostile file that crashes PDFium or Pillow kills a worker,
not the pipeline: the pool is rebuilt, the tasks lost with it are tried once more (the crash
may have been another document's) and a document whose task crashes twice is
``CorruptFile``. A page that hangs past its timeout has the pool killed; the other documents'
tasks lost with it are resubmitted to the fresh pool, not failed.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import functools
import logging
import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

from extract import images, pdf_text, preprocess, raster, tesseract_api, textdoc
from extract.base import LineOcr, OcrEngine, OcrWord
from extract.line_reader import LineRecognizer, default_model_path
from extract.page_ocr import ocr_image, page_from_ocr
from extract.second_opinion import SCALES, doubted_words, second_opinion
from extract.settings import OcrSettings
from extract.tesseract import TesseractEngine
from mailroom.errors import (
    ConfigurationError,
    CorruptFile,
    DocumentError,
    MailroomError,
    ReadTimeout,
    UnsupportedType,
)
from mailroom.models import (
    ExtractedField,
    Page,
)
from mailroom.settings import LimitSettings

log = logging.getLogger(__name__)

T = TypeVar("T")
# which library reads PDF text layers: pdfplumber (the reference, pure Python) or PDFium's
# text API (C, about ten times faster, same words and lines on ordinary PDFs)
TextLayerReader = Literal["pdfplumber", "pdfium"]

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/tiff"})
PDF_TYPE = "application/pdf"
TEXT_TYPE = "text/plain"
PREVIEW_DPI = 100  # text pages are rendered for the review application at this resolution
OPEN_TIMEOUT_S = 60.0  # the inspection of a whole document (page count, text layers)
# a page's OCR, orientation detection and second OCR each get ocr.page_timeout_s; the pool
# waits that much plus this margin before it decides a worker hangs and kills it.
GUARD_MARGIN_S = 30.0
QUEUE_POLL_S = 0.25  # how often a queued task is checked for having started
MAX_RESUBMITS = 4  # tries of one task across pool replacements
# a PDF's text layers are read by runs of pages, one run per worker, no shorter than this
MIN_PAGES_PER_TASK = 4


def image_name(number: int) -> str:
    return f"page-{number:04d}.png"


@dataclass(frozen=True)
class ReadResult:
    pages: list[Page]
    # page number -> upright PNG written under image_dir (OCR'd pages, and rendered text
    # pages when image_dir is given)
    page_images: dict[int, Path] = field(default_factory=dict)


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
class _Task:
    """A submitted task, with what it takes to submit it again."""

    future: cf.Future[_Outcome]
    generation: int  # of the pool it was submitted to
    fn: Callable[..., Any]
    args: tuple[Any, ...]


@dataclass(frozen=True)
class _PageTask:
    path: str
    kind: Literal["pdf", "image"]
    index: int  # 0-based
    ocr: OcrSettings
    limits: LimitSettings
    engine: OcrEngine
    image_dir: str | None
    start_early: bool = False  # Tesseract may start before the clean-up (a core is idle)


@dataclass(frozen=True)
class _PdfPlan:
    page_count: int
    text_pages: tuple[Page, ...]
    ocr_indexes: tuple[int, ...]
    images: dict[int, str]


# glibc's malloc raises its mmap threshold to the size of the last freed block, so after the
# first page a worker serves its 10-30 MB page arrays from the heap and keeps them resident
# between pages. A fixed threshold gives every page-sized array back to the system when freed.
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 1 << 20


def _worker_init() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    preprocess.init_worker()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: its own policy stands
        ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)


def _guarded(fn: Callable[..., Any], *args: Any) -> _Outcome:
    try:
        return _Outcome(value=fn(*args))
    except (DocumentError, ConfigurationError) as e:
        return _Outcome(error=type(e), detail=e.detail if isinstance(e, DocumentError) else str(e))
    except MemoryError:
        return _Outcome(error=CorruptFile, detail="the document does not fit in memory")
    except RecursionError:
        return _Outcome(error=CorruptFile, detail="the document's structure is nested too deeply")


def _pdf_page_count(path: str, limits: LimitSettings) -> int:
    return raster.page_count(Path(path), limits)


def _read_layers(
    path: str, pages: range, min_text_chars: int, text_layer: TextLayerReader
) -> list[pdf_text.TextLayerPage]:
    if text_layer == "pdfium":
        return [
            pdf_text.from_layer_words(
                page.index, page.width, page.height,
                [(w.text, w.x0, w.top, w.x1, w.bottom) for w in page.words], min_text_chars,
            )
            for page in raster.text_layer_words(Path(path), pages)
        ]
    # pages that draw no character at all (scans) are not handed to pdfplumber: PDFium tells
    # that in microseconds, and a worker that reads only scans never imports pdfminer
    with_text = raster.pages_with_text(Path(path), pages)
    if not with_text:
        return []
    return pdf_text.read_text_layers(Path(path), min_text_chars, with_text)


def _inspect_pages(
    path: str, pages: range, ocr: OcrSettings, limits: LimitSettings, image_dir: str | None,
    text_layer: TextLayerReader = "pdfplumber",
) -> _PdfPlan:
    """The text layers of a run of pages: which are text pages, which must be OCR'd, and the
    preview images of the text pages when ``image_dir`` is given (none are rendered
    otherwise). The document is parsed once for the whole run."""
    try:
        layers = _read_layers(path, pages, ocr.min_text_chars, text_layer)
    except CorruptFile as e:
        # PDFium opened it: every page is OCR'd from its rendering instead
        log.info("no usable text layer (%s); the pages are OCR'd", e.detail)
        layers = []
    by_index = {layer.index: layer for layer in layers}
    text_pages: list[Page] = []
    ocr_indexes: list[int] = []
    written: dict[int, str] = {}
    pdf = raster.open_pdf(Path(path)) if image_dir else None
    try:
        for index in pages:
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
    return _PdfPlan(len(pages), tuple(text_pages), tuple(ocr_indexes), written)


def page_runs(count: int, workers: int, min_run: int = MIN_PAGES_PER_TASK) -> list[range]:
    """Split ``count`` pages into at most ``workers`` contiguous runs of at least
    ``min_run`` pages (one run for a short document: opening costs more than a page)."""
    runs = max(1, min(workers, count // max(1, min_run)))
    size = -(-count // runs)
    return [range(start, min(count, start + size)) for start in range(0, count, size)]


def _count_frames(path: str, limits: LimitSettings) -> int:
    return images.frame_count(Path(path), limits)


@functools.lru_cache(maxsize=2)
def _load_line_reader(path: str) -> LineRecognizer:
    return LineRecognizer(Path(path))


def _line_reader(ocr: OcrSettings) -> LineRecognizer | None:
    """The second reader of till receipts' lines (one per worker process), or None when it
    is turned off or its model is not installed (then Tesseract's reading stands alone)."""
    if not ocr.second_reader:
        return None
    path = ocr.line_model or default_model_path()
    if path is None:
        _warn_once("no PP-OCR line model installed (rapidocr-onnxruntime): till receipts are "
                   "read by Tesseract alone")
        return None
    return _load_line_reader(str(path))


@functools.cache
def _warn_once(message: str) -> None:
    log.warning(message)


def _read_page(task: _PageTask) -> tuple[Page, str | None]:
    path = Path(task.path)
    if task.kind == "pdf":
        pixels = raster.render_page(path, task.index, task.ocr.dpi, task.limits)
        dpi = float(task.ocr.dpi)
        camera = False
    else:
        loaded = images.load_frame(path, task.index, task.limits)
        pixels, dpi, camera = loaded.pixels, loaded.dpi, not loaded.declared_dpi
    read = ocr_image(
        pixels, round(dpi), task.engine, task.ocr.page_timeout_s, camera=camera,
        start_early=task.start_early,
        line_reader=functools.partial(_line_reader, task.ocr),
    )
    del pixels
    page = page_from_ocr(task.index + 1, read, dpi)
    target: str | None = None
    if task.image_dir:
        target = str(Path(task.image_dir) / image_name(page.number))
        images.save_png(read.image, Path(target), dpi * read.scale)
    return page, target


@dataclass(frozen=True)
class _RereadTask:
    path: str
    kind: Literal["pdf", "image"]
    page: Page
    indexes: tuple[int, ...]  # of the page's words to read again
    ocr: OcrSettings
    limits: LimitSettings
    engine: OcrEngine


def _reread_words(task: _RereadTask) -> dict[int, tuple[str, float]]:
    """Word index -> (text, confidence) of the words of ``task.page`` that second readings
    read otherwise (:func:`extract.second_opinion.second_opinion`). The page is loaded
    again and turned and deskewed as its reading was, not cleaned up; a photograph that was
    cut out and flattened is prepared again (its words' places are those of that image)."""
    path, page = Path(task.path), task.page
    if task.kind == "pdf":
        pixels = raster.render_page(path, page.number - 1, task.ocr.dpi, task.limits)
        dpi, camera = float(task.ocr.dpi), False
    else:
        loaded = images.load_frame(path, page.number - 1, task.limits)
        pixels, dpi, camera = loaded.pixels, loaded.dpi, not loaded.declared_dpi
    view, scale = None, 1.0
    if camera:
        prepared = preprocess.prepare(
            preprocess.rotate_quarter(pixels, page.rotation), camera=True
        )
        if "page" in prepared.enhanced:
            view, scale = prepared.image, prepared.scale
    if view is None:
        view = preprocess.plain_view(pixels, page.rotation, 1.0, page.deskew_angle)
    del pixels
    to_pixels = dpi * scale / 72.0
    words = [
        OcrWord(
            text=w.text, left=round(w.bbox.x0 * to_pixels), top=round(w.bbox.y0 * to_pixels),
            width=max(1, round((w.bbox.x1 - w.bbox.x0) * to_pixels)),
            height=max(1, round((w.bbox.y1 - w.bbox.y0) * to_pixels)),
            confidence=w.confidence, block=w.block, paragraph=0, line=w.line,
        )
        for w in page.words
    ]
    again = second_opinion(
        words, view, round(dpi * scale), task.engine, task.ocr.page_timeout_s,
        loaded_scale=scale, only=task.indexes,
    )
    return {
        i: (new.text, new.confidence)
        for i, (old, new) in enumerate(zip(words, again, strict=True)) if new != old
    }


def with_words_read_again(
    page: Page, changed: dict[int, tuple[str, float]], readings: int
) -> Page:
    """``page`` with the words read otherwise replaced and its text rebuilt from its lines
    (as :func:`page_from_ocr` builds it); ``readings``: the one-line readings made."""
    words = tuple(
        w.model_copy(update={"text": changed[i][0], "confidence": changed[i][1]})
        if i in changed else w
        for i, w in enumerate(page.words)
    )
    update: dict[str, Any] = {"other_readings": page.other_readings + readings}
    if changed:
        lines: dict[int, list[str]] = {}
        for w in words:
            lines.setdefault(w.line, []).append(w.text)
        update.update(words=words, text="\n".join(" ".join(lines[n]) for n in sorted(lines)))
    return page.model_copy(update=update)


# ------------------------------------------------------------------- the reader


def make_engine(ocr: OcrSettings) -> OcrEngine:
    """The OCR engine ``ocr.engine`` names; the process-per-call one when tesserocr is asked
    for but not installed (said once)."""
    if ocr.engine == "tesserocr":
        if tesseract_api.available():
            return tesseract_api.TesseractApiEngine(
                languages=ocr.languages, tessdata=ocr.tessdata_dir
            )
        _warn_once("tesserocr is not installed: Tesseract runs as one process per reading")
    return TesseractEngine(languages=ocr.languages)


class Reader:
    """Reads documents into pages. Reuse one Reader for many documents; close it at the end
    (or use it as a context manager) to stop its worker processes."""

    def __init__(
        self,
        ocr: OcrSettings,
        limits: LimitSettings,
        engine: OcrEngine | None = None,
        *,
        text_layer: TextLayerReader = "pdfplumber",
    ) -> None:
        self._ocr = ocr
        self._text_layer: TextLayerReader = text_layer
        self._limits = limits
        self._engine: OcrEngine = engine or make_engine(ocr)
        self._pool: cf.ProcessPoolExecutor | None = None
        self._engine_checked = False
        self._lock = threading.Lock()
        self._generation = 0
        self._timed_out: set[int] = set()  # pool generations killed for a hung task
        self._pages_in_flight = 0  # OCR pages submitted and not yet read, all reads together

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
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    # -- pool (shared by concurrent reads; the lock guards only its replacement)
    def _executor(self) -> tuple[cf.ProcessPoolExecutor, int]:
        with self._lock:
            if self._pool is None:
                self._pool = cf.ProcessPoolExecutor(
                    max_workers=max(1, self._ocr.workers),
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_init,
                )
                self._generation += 1
            return self._pool, self._generation

    def _kill_pool(self, generation: int, *, timed_out: bool = False) -> None:
        """Kill the pool of ``generation`` unless it was replaced already (another read got
        there first). ``timed_out``: killed for a hung task, so the other reads' tasks that
        die with it are innocent and resubmitted."""
        with self._lock:
            if timed_out:
                self._timed_out.add(generation)
            if generation != self._generation or self._pool is None:
                return
            pool, self._pool = self._pool, None
        processes = list(getattr(pool, "_processes", {}).values())
        for process in processes:
            if process.is_alive():
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def warm_up(self) -> None:
        """Start the worker processes now rather than on the first document."""
        pool, _ = self._executor()
        futures = [pool.submit(os.getpid) for _ in range(max(1, self._ocr.workers))]
        for future in futures:
            future.result()

    def _submit(self, fn: Callable[..., Any], *args: Any) -> _Task:
        """Submit to the pool; a pool broken earlier (a worker killed from outside, or by a
        previous document) is rebuilt first: this document is not to blame."""
        for _ in range(3):
            pool, generation = self._executor()
            try:
                return _Task(pool.submit(_guarded, fn, *args), generation, fn, args)
            except (BrokenProcessPool, RuntimeError):
                # broken, or shut down by another read's kill between the two lines above
                self._kill_pool(generation)
        raise CorruptFile("the reading processes cannot be started")

    def _wait(self, task: _Task, timeout: float, what: str) -> Any:
        """The task's value. ``timeout`` counts from when the task starts running, not from
        when it was queued behind other documents' pages. A task lost with a pool killed for
        another read's hung page is resubmitted; a task whose worker crashed is given one
        more try on a fresh pool (the crash may have been another document's), and a second
        crash makes the document ``CorruptFile``."""
        crashes = 0
        for _ in range(MAX_RESUBMITS):
            deadline: float | None = None
            try:
                while True:
                    now = time.monotonic()
                    try:
                        outcome = task.future.result(
                            timeout=QUEUE_POLL_S if deadline is None else max(0.0, deadline - now)
                        )
                        return outcome.unwrap()
                    except cf.TimeoutError as e:
                        if deadline is None:
                            if task.future.running():
                                deadline = now + timeout
                            continue
                        self._kill_pool(task.generation, timed_out=True)
                        raise ReadTimeout(f"{what} took more than {timeout:g} s") from e
            except (BrokenProcessPool, cf.CancelledError) as e:
                self._kill_pool(task.generation)
                with self._lock:
                    innocent = task.generation in self._timed_out
                if not innocent:
                    crashes += 1
                    if crashes >= 2:
                        raise CorruptFile(
                            f"a reading process crashed on this document ({what})"
                        ) from e
                log.debug("resubmitting %s on a fresh pool", what)
                task = self._submit(task.fn, *task.args)
        raise CorruptFile(f"the reading processes kept failing ({what})")

    def _page_guard(self) -> float:
        return 3 * self._ocr.page_timeout_s + GUARD_MARGIN_S

    # -- reading
    def read(self, path: Path, media_type: str, *, image_dir: Path | None = None) -> ReadResult:
        """Read one document. Safe to call from several threads at once: their pages share
        the worker pool."""
        media_type = media_type.split(";")[0].strip().lower()
        if image_dir is not None:
            image_dir.mkdir(parents=True, exist_ok=True)
        if media_type == PDF_TYPE:
            return self._read_pdf(path, image_dir)
        if media_type in IMAGE_TYPES:
            return self._read_image(path, image_dir)
        if media_type == TEXT_TYPE:
            return self._read_text(path, image_dir)
        raise UnsupportedType(f"media type {media_type!r}")

    def reread(
        self, path: Path, media_type: str, pages: list[Page], fields: list[ExtractedField]
    ) -> list[Page]:
        """``pages`` with the doubtful words of the date fields the extractor chose read
        again (:func:`extract.second_opinion.doubted_words`): the same list when there are
        none, new pages otherwise (extract the fields again from them). A second reading
        that fails leaves the first standing."""
        media_type = media_type.split(";")[0].strip().lower()
        if media_type == PDF_TYPE:
            kind: Literal["pdf", "image"] = "pdf"
        elif media_type in IMAGE_TYPES:
            kind = "image"
        else:
            return pages
        if not isinstance(self._engine, LineOcr):
            return pages
        wanted = doubted_words(pages, fields)
        if not wanted:
            return pages
        by_number = {p.number: p for p in pages}
        tasks = {
            number: self._submit(_reread_words, _RereadTask(
                str(path), kind, by_number[number], tuple(indexes), self._ocr, self._limits,
                self._engine,
            ))
            for number, indexes in wanted.items()
        }
        out = dict(by_number)
        for number, task in tasks.items():
            try:
                changed = self._wait(task, self._page_guard(), f"page {number} read again")
            except DocumentError as e:
                log.warning("second reading of page %d failed: %s", number, e.detail)
                continue
            readings = len(wanted[number]) * len(SCALES)
            out[number] = with_words_read_again(by_number[number], changed, readings)
        return [out[p.number] for p in pages]

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
        guard = max(OPEN_TIMEOUT_S, self._ocr.page_timeout_s)
        count: int = self._wait(
            self._submit(_pdf_page_count, str(path), self._limits), guard, "opening the PDF"
        )
        futures = [
            self._submit(
                _inspect_pages, str(path), run, self._ocr, self._limits,
                str(image_dir) if image_dir else None, self._text_layer,
            )
            for run in page_runs(count, max(1, self._ocr.workers))
        ]
        pages: dict[int, Page] = {}
        page_images: dict[int, Path] = {}
        ocr_indexes: list[int] = []
        try:
            for future in futures:
                plan: _PdfPlan = self._wait(future, guard, "reading the PDF's text")
                pages.update((p.number, p) for p in plan.text_pages)
                page_images.update((n, Path(p)) for n, p in plan.images.items())
                ocr_indexes.extend(plan.ocr_indexes)
        except BaseException:
            for task in futures:
                task.future.cancel()
            raise
        ocr_pages, ocr_images = self._ocr_pages(path, "pdf", tuple(ocr_indexes), image_dir)
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
        with self._lock:
            # Tesseract starts before a page's clean-up only while cores would idle: a
            # document with as many pages as cores (or several documents) keeps them busy,
            # and the early start would only waste the runs killed for pages needing work
            start_early = self._pages_in_flight + len(indexes) < (os.cpu_count() or 1)
            self._pages_in_flight += len(indexes)
        try:
            return self._ocr_tasks(path, kind, indexes, image_dir, start_early)
        finally:
            with self._lock:
                self._pages_in_flight -= len(indexes)

    def _ocr_tasks(
        self,
        path: Path,
        kind: Literal["pdf", "image"],
        indexes: tuple[int, ...],
        image_dir: Path | None,
        start_early: bool,
    ) -> tuple[dict[int, Page], dict[int, Path]]:
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
                    start_early=start_early,
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
            for task in futures:
                task.future.cancel()
            raise
        return pages, written
