"""The drop-folder watcher: scanner output taken once each, moved out only once stored.

A file is *taken* when it has been stable (same size and mtime) for ``stable_delay_s``; hidden
and temporary names (:func:`ingest.files.is_skipped_name`) are never taken, so a scanner that
writes ``scan.pdf.part`` and renames it is seen once, under its final name. Native file events
(watchdog: inotify, FSEvents, ReadDirectoryChangesW) wake the watcher; ``mode="polling"`` scans
the tree instead, for network shares that miss events. In both modes the tree is scanned at
start (files already there are taken) and rescanned now and then as a safety net.

Exactly once, across ``kill -9``: before processing, the file's path, size, mtime and SHA-256
go into the journal (:class:`ingest.watch_state.Journal`). The pipeline stores the original and
a ``received`` record before any processing and the final record after. The file is moved to
``processed/YYYY/MM/DD/`` (or ``quarantine/``) only once that final record is committed, then
its journal row is deleted. On restart a file still in the drop folder is handled by what is
durable:

- journal row with the same SHA-256 and a final record: crashed after storing, before moving:
  it is only moved (no second arrival, no duplicate record);
- a ``received`` record, or no record: crashed while processing: it is processed again (the
  pipeline takes a ``received`` record up again, never calling it a duplicate);
- no journal row: a new arrival, even if the same bytes came before (then it is a duplicate).

Memory stays flat: the watcher holds only the files currently in the drop folder, never the
history of files seen.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import shutil
import stat
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ingest.files import is_skipped_name, walk_folder
from ingest.settings import FolderRoute, FolderWatchSettings
from ingest.watch_state import (
    Journal,
    StatusFile,
    TakenFile,
    WatcherStatus,
    backoff_delay,
    ensure_arrival,
    iter_chunks,
)
from mailroom.errors import MailroomError
from mailroom.logs import document_context
from mailroom.models import DocType, Document, SplitMode, Status, document_id_for

if TYPE_CHECKING:
    from watchdog.observers.api import BaseObserver

    from storage.base import MetadataStore

log = logging.getLogger(__name__)


class FileSink(Protocol):
    """What the watcher needs from the pipeline (``mailroom.pipeline.Pipeline`` is one)."""

    @property
    def metadata(self) -> MetadataStore: ...

    def process_file(
        self,
        path: Path,
        *,
        channel: str = ...,
        default_type: DocType | None = ...,
        split_mode: SplitMode | None = ...,
    ) -> list[Document]: ...


@dataclass
class _Candidate:
    size: int
    mtime_ns: int
    since: float  # monotonic time it was first seen with this size and mtime
    not_before: float = 0.0  # backoff after a failure
    tries: int = 0


@dataclass(frozen=True)
class FolderLayout:
    root: Path
    processed: Path
    quarantine: Path

    @classmethod
    def of(cls, root: Path, settings: FolderWatchSettings) -> FolderLayout:
        root = Path(root).resolve()
        return cls(
            root=root,
            processed=Path(settings.processed_dir or root / "processed").resolve(),
            quarantine=Path(settings.quarantine_dir or root / "quarantine").resolve(),
        )

    def excluded(self, folder: Path) -> bool:
        return folder in (self.processed, self.quarantine)


class FolderWatcher:
    """One drop folder; :meth:`run` until ``stop_event`` is set (see :func:`watch_folder`)."""

    def __init__(
        self,
        root: Path,
        sink: FileSink,
        settings: FolderWatchSettings,
        stop_event: threading.Event,
        *,
        data_dir: Path,
        name: str | None = None,
    ) -> None:
        self.layout = FolderLayout.of(root, settings)
        self.sink = sink
        self.settings = settings
        self.stop_event = stop_event
        self.data_dir = Path(data_dir)
        self.name = name or f"folder-{_short_hash(str(self.layout.root))}"
        self._events: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._candidates: dict[Path, _Candidate] = {}
        self.processed = 0

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> int:
        """Watch until stopped; returns how many files were moved out of the drop folder."""
        if not self.layout.root.is_dir():
            raise MailroomError(f"drop folder not found: {self.layout.root}")
        status = StatusFile(
            self.data_dir,
            WatcherStatus(name=self.name, kind="folder", target=str(self.layout.root)),
        )
        journal = Journal.under(self.data_dir)
        observer = self._start_observer() if self.settings.mode == "events" else None
        scan_every = (
            self.settings.poll_interval_s if observer is None else self.settings.rescan_interval_s
        )
        tick = max(0.05, min(0.5, self.settings.stable_delay_s / 2, scan_every))
        log.info(
            "watching %s (%s), stable after %.1f s",
            self.layout.root,
            "events" if observer else "polling",
            self.settings.stable_delay_s,
        )
        try:
            self._forget_vanished(journal)
            next_scan = 0.0
            while not self.stop_event.is_set():
                now = time.monotonic()
                if now >= next_scan:
                    self._scan()
                    next_scan = now + scan_every
                self._drain_events()
                ready = self._ready(time.monotonic())
                status.update(
                    state="processing" if ready else "idle",
                    last_poll=_utc_now(),
                    backlog=len(self._candidates),
                    oldest_waiting_s=self._oldest_wait(),
                )
                for path in ready:
                    if self.stop_event.is_set():
                        break
                    status.update(force=True, current=str(path), state="processing")
                    self._take(path, journal, status)
                    status.update(
                        force=True,
                        current=None,
                        backlog=len(self._candidates),
                        processed=self.processed,
                    )
                if not ready:
                    self._wake.wait(tick)
                    self._wake.clear()
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)
            status.update(force=True, state="stopped", current=None)
            journal.close()
        log.info("stopped watching %s after %d file(s)", self.layout.root, self.processed)
        return self.processed

    def _start_observer(self) -> BaseObserver | None:
        try:
            from watchdog.events import FileSystemEvent, FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:  # pragma: no cover - watchdog is a dependency
            log.warning("watchdog is not installed: polling %s instead", self.layout.root)
            return None

        events = self._events
        wake = self._wake

        class _Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.is_directory:
                    return
                for path in (event.src_path, getattr(event, "dest_path", "")):
                    if path:
                        events.put(os.fsdecode(path))
                wake.set()

        observer = Observer()
        try:
            observer.schedule(_Handler(), str(self.layout.root), recursive=True)
            observer.start()
        except OSError as e:  # inotify watch limit, a file system without events
            log.warning("no file events on %s (%s): polling instead", self.layout.root, e)
            return None
        return observer

    # -- finding files --------------------------------------------------------------------

    def _scan(self) -> None:
        layout = self.layout
        for path in walk_folder(layout.root, follow_links=False, excluded=layout.excluded):
            self._consider(path)

    def _drain_events(self) -> None:
        while True:
            try:
                raw = self._events.get_nowait()
            except queue.Empty:
                return
            self._consider(Path(raw))

    def _watched(self, path: Path) -> bool:
        try:
            rel = path.relative_to(self.layout.root)
        except ValueError:
            return False
        if any(is_skipped_name(part) for part in rel.parts):
            return False
        return not any(self.layout.excluded(parent) for parent in path.parents)

    def _consider(self, path: Path) -> None:
        if not self._watched(path):
            return
        try:
            st = path.lstat()
        except OSError:
            self._candidates.pop(path, None)
            return
        if not stat.S_ISREG(st.st_mode):
            return
        known = self._candidates.get(path)
        if known is None:
            self._candidates[path] = _Candidate(st.st_size, st.st_mtime_ns, time.monotonic())

    def _ready(self, now: float) -> list[Path]:
        """Re-stat every candidate; those unchanged for the stable delay, in name order."""
        ready: list[Path] = []
        for path, cand in list(self._candidates.items()):
            try:
                st = path.lstat()
            except OSError:
                del self._candidates[path]  # renamed or removed meanwhile
                continue
            if (st.st_size, st.st_mtime_ns) != (cand.size, cand.mtime_ns):
                cand.size, cand.mtime_ns, cand.since = st.st_size, st.st_mtime_ns, now
                continue
            if now - cand.since >= self.settings.stable_delay_s and now >= cand.not_before:
                ready.append(path)
        return sorted(ready)

    def _oldest_wait(self) -> float | None:
        if not self._candidates:
            return None
        return round(time.monotonic() - min(c.since for c in self._candidates.values()), 1)

    # -- one file -------------------------------------------------------------------------

    def _take(self, path: Path, journal: Journal, status: StatusFile) -> None:
        cand = self._candidates[path]
        try:
            self._process(path, cand, journal)
        except MailroomError as e:  # storage unreachable: retried, never quarantined
            self._retry_later(path, cand, f"{type(e).__name__}: {e}", status)
        except OSError as e:
            if not path.exists():
                log.info("%s disappeared before it was taken", path)
                self._candidates.pop(path, None)
                return
            self._retry_later(path, cand, f"{type(e).__name__}: {e}", status)
        except Exception as e:  # noqa: BLE001 - a bug must not stop the other files
            log.exception("unexpected error on %s", path)
            self._retry_later(path, cand, f"{type(e).__name__}: {e}", status)

    def _retry_later(self, path: Path, cand: _Candidate, message: str, status: StatusFile) -> None:
        cand.tries += 1
        delay = backoff_delay(cand.tries, base_s=1.0, max_s=self.settings.retry_max_s)
        cand.not_before = time.monotonic() + delay
        log.error(
            "%s not processed (try %d, again in %.0f s): %s", path, cand.tries, delay, message
        )
        status.error(f"{path.name}: {message}")

    def _process(self, path: Path, cand: _Candidate, journal: Journal) -> None:
        rel = path.relative_to(self.layout.root).as_posix()
        sha256, size, mtime_ns = _digest_stable(path)
        if (size, mtime_ns) != (cand.size, cand.mtime_ns):
            # Written to again while we read it: not stable after all.
            cand.size, cand.mtime_ns, cand.since = size, mtime_ns, time.monotonic()
            return
        metadata = self.sink.metadata
        taken = journal.taken_file(rel)
        with document_context(document_id_for(sha256)):
            if taken is not None and taken.sha256 == sha256:
                existing = metadata.find_by_sha256(sha256)
                if existing is not None and existing.status is not Status.RECEIVED:
                    log.info("%s was stored before a restart (%s): moving it", rel, existing.status)
                    ensure_arrival(metadata, existing)
                    self._finish(path, rel, existing.status, journal)
                    return
                log.info("%s was being processed when the watcher stopped: again", rel)
            journal.take_file(TakenFile(rel, size, mtime_ns, sha256))
            route = self._route(rel)
            channel = route.channel if route else self.settings.default_channel
            default_type = route.doc_type if route else None
            docs = self.sink.process_file(
                path,
                channel=channel,
                default_type=default_type,
                split_mode=route.split if route else None,
            )
            own = next((d for d in docs if d.sha256 == sha256), None)
            final = own.status if own is not None else Status.SPLIT
            self._finish(path, rel, final, journal)

    def _finish(self, path: Path, rel: str, final: Status, journal: Journal) -> None:
        target_root = (
            self.layout.quarantine if final is Status.QUARANTINED else self.layout.processed
        )
        if target_root == self.layout.processed:
            target_root = target_root / datetime.now().strftime("%Y/%m/%d")
        dest = move_durably(path, target_root / rel)
        journal.release_file(rel)
        self._candidates.pop(path, None)
        self.processed += 1
        log.info("%s -> %s (%s)", rel, dest, final.value)

    def _route(self, rel: str) -> FolderRoute | None:
        top = rel.split("/", 1)[0] if "/" in rel else None
        return self.settings.routes.get(top) if top else None

    def _forget_vanished(self, journal: Journal) -> None:
        """Journal rows whose file is gone: moved just before a crash, or removed by someone."""
        for taken in journal.taken_files():
            if not (self.layout.root / taken.path).exists():
                journal.release_file(taken.path)


def watch_folder(
    root: Path,
    pipeline: FileSink,
    settings: FolderWatchSettings,
    stop_event: threading.Event,
    *,
    data_dir: Path,
    name: str | None = None,
) -> int:
    """Watch ``root`` until ``stop_event`` is set; the current file is finished first.

    Returns the number of files moved out of the drop folder.
    """
    return FolderWatcher(root, pipeline, settings, stop_event, data_dir=data_dir, name=name).run()


def move_durably(src: Path, dest: Path) -> Path:
    """Move ``src`` to ``dest`` (a free name beside it if taken), fsyncing both folders."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest = _free_name(dest)
    try:
        os.replace(src, dest)
    except OSError as e:
        if e.errno != 18:  # EXDEV: another file system; copy then remove
            raise
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        shutil.copy2(src, tmp)
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
        src.unlink()
    _fsync_dir(dest.parent)
    _fsync_dir(src.parent)
    return dest


def _free_name(dest: Path) -> Path:
    if not dest.exists():
        return dest
    stem, suffix = dest.stem, dest.suffix
    for n in range(1, 10_000):
        other = dest.with_name(f"{stem}-{n}{suffix}")
        if not other.exists():
            return other
    return dest.with_name(f"{stem}-{uuid.uuid4().hex[:8]}{suffix}")


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _digest_stable(path: Path) -> tuple[str, int, int]:
    """SHA-256 of the file, with its size and mtime as they were after reading it."""
    sha = hashlib.sha256()
    for chunk in iter_chunks(path):
        sha.update(chunk)
    st = path.stat()
    return sha.hexdigest(), st.st_size, st.st_mtime_ns


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
