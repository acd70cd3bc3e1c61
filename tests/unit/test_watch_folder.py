"""The drop-folder watcher with the real runner over in-memory stores and a fake reader."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from classify.fake import FixedClassifier
from extract.fields.fake import FixedFieldExtractor
from extract.reader import ReadResult
from ingest.settings import FolderRoute, FolderWatchSettings
from ingest.watch_folder import watch_folder
from ingest.watch_state import Journal, TakenFile, read_statuses
from mailroom.errors import StorageError
from mailroom.models import (
    BBox,
    DocType,
    Document,
    Page,
    Source,
    SplitMode,
    Status,
    Word,
    document_id_for,
)
from mailroom.pipeline import Pipeline
from mailroom.settings import Settings
from storage.dossiers import MemoryDossierRegistry
from storage.memory import MemoryMetadataStore, MemoryObjectStore


class TextReader:
    """One page with the file's own text: every file reads, none needs Tesseract."""

    def read(self, path: Path, media_type: str, *, image_dir: Path | None = None) -> ReadResult:
        text = f"Facture {path.stat().st_size} octets"
        words = tuple(
            Word(text=t, bbox=BBox(x0=10 + 40 * i, y0=10, x1=45 + 40 * i, y1=20), confidence=95)
            for i, t in enumerate(text.split()[:20])
        )
        return ReadResult(
            pages=[Page(number=1, width=595, height=842, text=text, words=words, text_source="ocr")]
        )

    def reread(
        self, path: Path, media_type: str, pages: list[Page], fields: list[object]
    ) -> list[Page]:
        return pages  # nothing is doubted

    def close(self) -> None:
        pass


class FlakySink:
    """A pipeline whose storage refuses the first ``failures`` files."""

    def __init__(self, pipeline: Pipeline, failures: int) -> None:
        self.pipeline = pipeline
        self.failures = failures
        self.metadata = pipeline.metadata

    def process_file(
        self,
        path: Path,
        *,
        channel: str = "upload",
        default_type: DocType | None = None,
        split_mode: SplitMode | None = None,
    ) -> list[Document]:
        if self.failures:
            self.failures -= 1
            raise StorageError("object store unreachable")
        return self.pipeline.process_file(
            path, channel=channel, default_type=default_type, split_mode=split_mode
        )


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    # Field extraction is not what these tests are about (and loads models): none found.
    settings = Settings()
    settings.ocr.workers = 1
    return Pipeline(
        settings,
        objects=MemoryObjectStore(),
        metadata=MemoryMetadataStore(),
        reader=TextReader(),  # type: ignore[arg-type]
        classifier=FixedClassifier(DocType.INVOICE, 0.95),
        registry=MemoryDossierRegistry(),
        field_extractor=FixedFieldExtractor(),
    )


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


def _settings(**overrides: object) -> FolderWatchSettings:
    values: dict[str, object] = {"mode": "polling", "poll_interval_s": 0.05, "stable_delay_s": 0.2}
    values.update(overrides)
    return FolderWatchSettings.model_validate(values)


def _png_bytes(text: str) -> bytes:
    """A tiny PNG whose bytes differ with ``text`` (kept in a tEXt chunk)."""
    info = PngInfo()
    info.add_text("Comment", text)
    out = io.BytesIO()
    Image.new("L", (8, 8), 255).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _doc(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_png_bytes(text))
    return path


@pytest.fixture
def run_watcher(
    tmp_path: Path,
) -> Iterator[Callable[..., threading.Event]]:
    threads: list[tuple[threading.Thread, threading.Event]] = []

    def start(sink: object, root: Path, settings: FolderWatchSettings) -> threading.Event:
        stop = threading.Event()
        thread = threading.Thread(
            target=watch_folder,
            args=(root, sink, settings, stop),
            kwargs={"data_dir": tmp_path / "data"},
            daemon=True,
        )
        thread.start()
        threads.append((thread, stop))
        return stop

    yield start
    for thread, stop in threads:
        stop.set()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the watcher did not stop"


def _wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def _processed(root: Path) -> list[Path]:
    return sorted(p for p in (root / "processed").rglob("*") if p.is_file())


def test_files_present_at_start_are_processed_and_moved_to_a_dated_folder(
    pipeline: Pipeline, inbox: Path, run_watcher: Callable[..., threading.Event]
) -> None:
    for i in range(3):
        _doc(inbox / f"scan-{i}.pdf", f"Facture numero {i}")
    run_watcher(pipeline, inbox, _settings())
    _wait_for(lambda: len(_processed(inbox)) == 3)
    day = datetime.now().strftime("%Y/%m/%d")
    assert {p.relative_to(inbox / "processed").as_posix() for p in _processed(inbox)} == {
        f"{day}/scan-{i}.pdf" for i in range(3)
    }
    arrivals = pipeline.metadata.arrivals()
    assert len(arrivals) == 3
    assert {a.status for a in arrivals} == {Status.NEEDS_REVIEW}
    assert {a.source.channel for a in arrivals} == {"scan"}
    assert not [p for p in inbox.iterdir() if p.is_file()]


def test_hidden_and_temporary_names_are_left_alone_until_renamed(
    pipeline: Pipeline, inbox: Path, run_watcher: Callable[..., threading.Event]
) -> None:
    _doc(inbox / ".scan-1.pdf", "hidden")
    part = _doc(inbox / "scan-2.pdf.part", "Facture en cours d'écriture")
    _doc(inbox / "~$lock.pdf", "lock")
    run_watcher(pipeline, inbox, _settings())
    time.sleep(0.8)
    assert pipeline.metadata.arrivals() == []
    part.rename(inbox / "scan-2.pdf")
    _wait_for(lambda: len(_processed(inbox)) == 1)
    assert (inbox / ".scan-1.pdf").exists() and (inbox / "~$lock.pdf").exists()
    [arrival] = pipeline.metadata.arrivals()
    assert arrival.source.filename == "scan-2.pdf"


def test_a_file_still_being_written_is_taken_only_once_stable(
    pipeline: Pipeline, inbox: Path, run_watcher: Callable[..., threading.Event]
) -> None:
    path = inbox / "slow.png"
    data = _png_bytes("une facture écrite lentement " * 50)
    run_watcher(pipeline, inbox, _settings(stable_delay_s=0.5))
    with path.open("wb") as f:
        step = len(data) // 8 + 1
        for i in range(0, len(data), step):  # ~1.2 s of writing, never 0.5 s without a change
            f.write(data[i : i + step])
            f.flush()
            time.sleep(0.15)
            assert pipeline.metadata.arrivals() == []
    _wait_for(lambda: len(_processed(inbox)) == 1)
    [doc] = pipeline.metadata.list_documents()
    assert doc.size == _processed(inbox)[0].stat().st_size


def test_an_empty_file_ends_in_the_quarantine_folder_with_its_record(
    pipeline: Pipeline, inbox: Path, run_watcher: Callable[..., threading.Event]
) -> None:
    (inbox / "empty.pdf").write_bytes(b"")
    run_watcher(pipeline, inbox, _settings())
    _wait_for(lambda: (inbox / "quarantine" / "empty.pdf").exists())
    [doc] = pipeline.metadata.list_documents()
    assert doc.status is Status.QUARANTINED


def test_a_routed_subfolder_gives_its_channel_and_processed_keeps_the_subfolder(
    pipeline: Pipeline, inbox: Path, run_watcher: Callable[..., threading.Event]
) -> None:
    _doc(inbox / "courriel" / "a.pdf", "Facture transmise par courriel")
    _doc(inbox / "agence" / "b.pdf", "Facture de l'agence")
    settings = _settings(routes={"courriel": FolderRoute(channel="email")})
    run_watcher(pipeline, inbox, settings)
    _wait_for(lambda: len(_processed(inbox)) == 2)
    channels = {a.source.filename: a.source.channel for a in pipeline.metadata.arrivals()}
    assert channels == {"a.pdf": "email", "b.pdf": "scan"}
    assert {p.parent.name for p in _processed(inbox)} == {"courriel", "agence"}


def test_a_routed_subfolder_gives_its_default_document_type(
    pipeline: Pipeline, inbox: Path, run_watcher: Callable[..., threading.Event]
) -> None:
    _doc(inbox / "tickets" / "a.pdf", "Ticket de caisse")
    settings = _settings(routes={"tickets": FolderRoute(doc_type=DocType.RECEIPT)})
    run_watcher(pipeline, inbox, settings)
    _wait_for(lambda: len(_processed(inbox)) == 1)
    [doc] = pipeline.metadata.list_documents()
    assert doc.source.default_type is DocType.RECEIPT
    # The fixture's classifier is sure it is an invoice: kept, with a warning.
    assert doc.doc_type is DocType.INVOICE
    assert [c.code for c in doc.checks] == ["classify.default_type_differs"]


def test_a_routed_subfolder_sets_how_its_scan_stacks_are_cut(
    pipeline: Pipeline, inbox: Path, run_watcher: Callable[..., threading.Event]
) -> None:
    _doc(inbox / "unitaires" / "a.pdf", "Facture unitaire")
    _doc(inbox / "b.pdf", "Facture sans route")
    settings = _settings(routes={"unitaires": FolderRoute(split="off")})
    run_watcher(pipeline, inbox, settings)
    _wait_for(lambda: len(_processed(inbox)) == 2)
    modes = {d.source.filename: d.source.split_mode for d in pipeline.metadata.list_documents()}
    assert modes == {"a.pdf": "off", "b.pdf": None}


def test_the_same_bytes_dropped_again_are_a_duplicate_arrival_and_still_moved(
    pipeline: Pipeline, inbox: Path, run_watcher: Callable[..., threading.Event]
) -> None:
    _doc(inbox / "first.pdf", "Facture 77")
    run_watcher(pipeline, inbox, _settings())
    _wait_for(lambda: len(_processed(inbox)) == 1)
    _doc(inbox / "again.pdf", "Facture 77")
    _wait_for(lambda: len(_processed(inbox)) == 2)
    assert [a.status for a in pipeline.metadata.arrivals()] == [
        Status.NEEDS_REVIEW,
        Status.DUPLICATE,
    ]


def test_a_file_stored_before_a_crash_is_only_moved_on_restart(
    pipeline: Pipeline, inbox: Path, tmp_path: Path, run_watcher: Callable[..., threading.Event]
) -> None:
    path = _doc(inbox / "stored.pdf", "Facture stockée avant la panne")
    [doc] = pipeline.process_file(path, channel="scan")  # stored, then the watcher died
    st = path.stat()
    with Journal.under(tmp_path / "data") as journal:
        journal.take_file(TakenFile("stored.pdf", st.st_size, st.st_mtime_ns, doc.sha256))
    run_watcher(pipeline, inbox, _settings())
    with Journal.under(tmp_path / "data") as journal:
        _wait_for(lambda: len(_processed(inbox)) == 1 and journal.taken_files() == [])
    assert [a.status for a in pipeline.metadata.arrivals()] == [Status.NEEDS_REVIEW]


def test_a_file_that_crashed_mid_processing_is_processed_again_not_as_a_duplicate(
    pipeline: Pipeline, inbox: Path, tmp_path: Path, run_watcher: Callable[..., threading.Event]
) -> None:
    path = _doc(inbox / "half.pdf", "Facture interrompue")
    import hashlib

    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    # What a crash after "store the original" leaves: a received record, a journal row.
    pipeline.metadata.save(
        Document(
            document_id=document_id_for(sha),
            sha256=sha,
            source=Source(channel="scan", path=str(path)),
            size=path.stat().st_size,
        )
    )
    st = path.stat()
    with Journal.under(tmp_path / "data") as journal:
        journal.take_file(TakenFile("half.pdf", st.st_size, st.st_mtime_ns, sha))
    run_watcher(pipeline, inbox, _settings())
    _wait_for(lambda: len(_processed(inbox)) == 1)
    assert [a.status for a in pipeline.metadata.arrivals()] == [Status.NEEDS_REVIEW]
    assert pipeline.metadata.find_by_sha256(sha).status is Status.NEEDS_REVIEW  # type: ignore[union-attr]


def test_unreachable_storage_leaves_the_file_in_place_and_it_is_retried(
    pipeline: Pipeline, inbox: Path, tmp_path: Path, run_watcher: Callable[..., threading.Event]
) -> None:
    _doc(inbox / "retry.pdf", "Facture à réessayer")
    sink = FlakySink(pipeline, failures=1)
    run_watcher(sink, inbox, _settings())
    _wait_for(lambda: sink.failures == 0)
    assert (inbox / "retry.pdf").exists()
    _wait_for(lambda: len(_processed(inbox)) == 1, timeout_s=10)
    assert len(pipeline.metadata.arrivals()) == 1
    [status] = read_statuses(tmp_path / "data")
    assert "object store unreachable" in status["last_error"]


def test_file_events_wake_the_watcher_for_a_new_file(
    pipeline: Pipeline, inbox: Path, run_watcher: Callable[..., threading.Event]
) -> None:
    settings = _settings(mode="events", rescan_interval_s=3600)
    run_watcher(pipeline, inbox, settings)
    time.sleep(0.3)
    _doc(inbox / "new.pdf", "Facture arrivée pendant la veille")
    _wait_for(lambda: len(_processed(inbox)) == 1, timeout_s=5)


def test_a_stop_request_ends_the_watcher_and_its_status_says_stopped(
    pipeline: Pipeline, inbox: Path, tmp_path: Path
) -> None:
    stop = threading.Event()
    _doc(inbox / "one.pdf", "Facture unique")
    thread = threading.Thread(
        target=watch_folder,
        args=(inbox, pipeline, _settings(), stop),
        kwargs={"data_dir": tmp_path / "data", "name": "drop"},
    )
    thread.start()
    _wait_for(lambda: len(_processed(inbox)) == 1)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    [status] = read_statuses(tmp_path / "data")
    assert status["name"] == "drop"
    assert status["state"] == "stopped" and status["alive"] is False
    assert status["processed"] == 1
