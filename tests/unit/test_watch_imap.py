"""The IMAP watcher's bookkeeping with an in-memory mailbox: order, marking, retries, drops."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest

from classify.fake import FixedClassifier
from extract.fields.fake import FixedFieldExtractor
from extract.reader import ReadResult
from ingest.imap import ImapMailbox, ImapWatcher
from ingest.mailbox import MailboxUnavailable
from ingest.settings import ImapSettings
from ingest.watch_state import Journal, MessageRecord, read_statuses
from mailroom.errors import StorageError
from mailroom.models import BBox, DocType, Document, Page, Source, Status, Word
from mailroom.pipeline import Pipeline
from mailroom.settings import Settings
from storage.dossiers import MemoryDossierRegistry
from storage.memory import MemoryMetadataStore, MemoryObjectStore


class TextReader:
    def read(self, path: Path, media_type: str, *, image_dir: Path | None = None) -> ReadResult:
        text = path.read_text("utf-8") if media_type == "text/plain" else "Pièce jointe lue"
        words = tuple(
            Word(text=t, bbox=BBox(x0=1 + 40 * i, y0=1, x1=30 + 40 * i, y1=9), confidence=95)
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


class FakeMailbox:
    """A mailbox in memory; ``drop_on`` makes the named calls lose the connection once."""

    label = "user@fake:993/INBOX"

    def __init__(self, messages: dict[int, bytes], uidvalidity: int = 7) -> None:
        self.messages = dict(messages)
        self.uidvalidity = uidvalidity
        self.done: list[int] = []
        self.aside: dict[int, str] = {}
        self.opened = 0
        self.connected = False
        self.drop_on: set[str] = set()
        self.events: list[str] = []

    def _maybe_drop(self, call: str) -> None:
        if not self.connected:
            raise MailboxUnavailable(f"{call}: not connected")
        if call in self.drop_on:
            self.drop_on.discard(call)
            self.connected = False
            raise MailboxUnavailable(f"{call}: connection reset by peer")

    def open(self) -> int:
        self.opened += 1
        self.connected = True
        return self.uidvalidity

    def pending_uids(self) -> list[int]:
        self._maybe_drop("search")
        return sorted(u for u in self.messages if u not in self.done and u not in self.aside)

    def fetch(self, uid: int) -> bytes | None:
        self._maybe_drop("fetch")
        self.events.append(f"fetch {uid}")
        return self.messages.get(uid)

    def mark_done(self, uid: int) -> None:
        self._maybe_drop("mark")
        self.events.append(f"mark {uid}")
        self.done.append(uid)

    def set_aside(self, uid: int, reason: str) -> None:
        self._maybe_drop("aside")
        self.aside[uid] = reason

    def wait(self, timeout_s: float, stop_event: threading.Event) -> bool:
        stop_event.wait(min(timeout_s, 0.05))
        return False

    def source_path(self, uidvalidity: int, uid: int) -> str:
        return f"imap://user@fake/INBOX;UIDVALIDITY={uidvalidity};UID={uid}"

    def close(self) -> None:
        self.connected = False


def _raw(subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "claire@example.fr"
    msg["Subject"] = subject
    msg.set_content(f"Bonjour, voici le justificatif « {subject} » pour mon dossier, merci.")
    msg.add_attachment(subject.encode() * 10, maintype="image", subtype="png", filename="x.png")
    return msg.as_bytes()


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Pipeline:
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


SETTINGS = ImapSettings(
    user="user", retry_base_s=0.05, retry_max_s=0.2, reconnect_max_s=0.05, max_tries=3
)


def _run_until(
    watcher: ImapWatcher, condition: Callable[[], bool], timeout_s: float = 10.0
) -> None:
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    try:
        while not condition():
            assert time.monotonic() < deadline, "condition not reached in time"
            time.sleep(0.01)
    finally:
        watcher.stop_event.set()
        thread.join(timeout=5)
    assert not thread.is_alive()


def _watcher(sink: object, mailbox: FakeMailbox, tmp_path: Path, **kw: object) -> ImapWatcher:
    settings = SETTINGS.model_copy(update=kw)
    return ImapWatcher(
        sink,  # type: ignore[arg-type]
        settings,
        threading.Event(),
        data_dir=tmp_path / "data",
        mailbox=mailbox,  # type: ignore[arg-type]
    )


def test_messages_are_stored_in_uid_order_then_marked(pipeline: Pipeline, tmp_path: Path) -> None:
    box = FakeMailbox({3: _raw("trois"), 1: _raw("un"), 2: _raw("deux")})
    watcher = _watcher(pipeline, box, tmp_path)
    _run_until(watcher, lambda: len(box.done) == 3)
    assert box.events == ["fetch 1", "mark 1", "fetch 2", "mark 2", "fetch 3", "mark 3"]
    containers = [d for d in pipeline.metadata.list_documents() if d.parent_id is None]
    assert sorted(d.source.path or "" for d in containers) == [
        f"imap://user@fake/INBOX;UIDVALIDITY=7;UID={u}" for u in (1, 2, 3)
    ]
    assert all(d.source.channel == "email" for d in pipeline.metadata.list_documents())


def test_a_drop_during_fetch_or_marking_reconnects_and_loses_nothing(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    box = FakeMailbox({1: _raw("un"), 2: _raw("deux")})
    box.drop_on = {"fetch", "mark"}
    watcher = _watcher(pipeline, box, tmp_path)
    _run_until(watcher, lambda: len(box.done) == 2)
    assert box.opened >= 3
    assert box.done == [1, 2]
    assert not [a for a in pipeline.metadata.arrivals() if a.status is Status.DUPLICATE]
    containers = [d for d in pipeline.metadata.list_documents() if d.parent_id is None]
    assert len(containers) == 2
    assert all(len(pipeline.metadata.arrivals(d.document_id)) == 1 for d in containers)


def test_a_failing_message_is_retried_then_set_aside_with_its_reason(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    calls: list[str] = []

    class Poisoned:
        metadata = pipeline.metadata

        def process_bytes(self, data: bytes, source: Source) -> list[Document]:
            if b"poison" in data:
                calls.append(source.path or "")
                raise ValueError("cannot parse this")
            return pipeline.process_bytes(data, source)

    box = FakeMailbox({1: _raw("poison"), 2: _raw("sain")})
    watcher = _watcher(Poisoned(), box, tmp_path)
    _run_until(watcher, lambda: 1 in box.aside and box.done == [2])
    assert len(calls) == 3
    assert "ValueError: cannot parse this" in box.aside[1]
    with Journal.under(tmp_path / "data") as journal:
        [record] = journal.messages(box.label)
    assert (record.uid, record.state, record.tries) == (1, "set_aside", 3)
    [status] = read_statuses(tmp_path / "data")
    assert "set aside" in status["last_error"]


def test_unreachable_storage_blames_no_message_and_retries(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    failures = [StorageError("disk full") for _ in range(5)]  # more than max_tries

    class Flaky:
        metadata = pipeline.metadata

        def process_bytes(self, data: bytes, source: Source) -> list[Document]:
            if failures:
                raise failures.pop()
            return pipeline.process_bytes(data, source)

    box = FakeMailbox({1: _raw("un")})
    watcher = _watcher(Flaky(), box, tmp_path, retry_max_s=0.05)
    _run_until(watcher, lambda: box.done == [1])
    assert box.aside == {}
    with Journal.under(tmp_path / "data") as journal:
        assert journal.messages(box.label) == []


def test_a_message_stored_before_a_crash_is_only_marked(pipeline: Pipeline, tmp_path: Path) -> None:
    raw = _raw("déjà là")
    source = Source(channel="email", path="imap://user@fake/INBOX;UIDVALIDITY=7;UID=1")
    pipeline.process_bytes(raw, source)  # stored; the watcher died before marking
    before = pipeline.metadata.arrivals()
    with Journal.under(tmp_path / "data") as journal:
        journal.put_message(
            MessageRecord(
                FakeMailbox.label, 7, 1, "taken", hashlib.sha256(raw).hexdigest(), 0, 0.0, None
            )
        )
    box = FakeMailbox({1: raw})
    _run_until(_watcher(pipeline, box, tmp_path), lambda: box.done == [1])
    assert box.events == ["mark 1"]  # not even fetched again
    assert pipeline.metadata.arrivals() == before


def test_a_message_the_watcher_died_on_max_tries_times_is_set_aside(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    raw = _raw("tueur")
    with Journal.under(tmp_path / "data") as journal:
        # three attempts counted, each ended by the process dying (state still "taken")
        journal.put_message(MessageRecord(FakeMailbox.label, 7, 1, "taken", None, 3, 0.0, None))
    box = FakeMailbox({1: raw, 2: _raw("sain")})
    _run_until(_watcher(pipeline, box, tmp_path), lambda: 1 in box.aside and box.done == [2])
    assert "stopped 3 times" in box.aside[1]
    assert [d.source.path for d in pipeline.metadata.list_documents() if d.parent_id is None] == [
        "imap://user@fake/INBOX;UIDVALIDITY=7;UID=2"
    ]


def test_a_new_uidvalidity_does_not_reuse_old_progress(pipeline: Pipeline, tmp_path: Path) -> None:
    raw = _raw("un")
    with Journal.under(tmp_path / "data") as journal:
        journal.put_message(
            MessageRecord(FakeMailbox.label, 6, 1, "set_aside", "0" * 64, 3, 0.0, "old")
        )
    box = FakeMailbox({1: raw}, uidvalidity=7)
    _run_until(_watcher(pipeline, box, tmp_path), lambda: box.done == [1])
    assert box.aside == {}


def test_the_password_never_appears_in_settings_output_or_the_source_path() -> None:
    settings = ImapSettings(user="gestion", password="tres-secret", host="imap.example")  # type: ignore[arg-type]
    mailbox = ImapMailbox(settings)
    assert "tres-secret" not in repr(settings)
    assert "tres-secret" not in settings.model_dump_json()
    assert "tres-secret" not in mailbox.source_path(42, 7)
    assert (
        mailbox.source_path(42, 7) == "imap://gestion@imap.example:993/INBOX;UIDVALIDITY=42;UID=7"
    )


def test_a_server_that_cannot_be_reached_is_a_mailbox_error_not_a_crash() -> None:
    settings = ImapSettings(host="127.0.0.1", port=1, security="none", timeout_s=2)
    with pytest.raises(MailboxUnavailable, match="cannot log in"):
        ImapMailbox(settings).open()
