"""The IMAP watcher against a real Dovecot started by the test (see ``dovecot.py``).

Messages go in with IMAP APPEND. The pipeline is the real runner over the real embedded stores
(SQLite + filesystem); reading and classification are faked so these tests stay quick, except
in the one test marked ``tesseract`` that runs the whole pipeline on sample files.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image
from pydantic import SecretStr

from classify.fake import FixedClassifier
from extract.fields.fake import FixedFieldExtractor
from extract.reader import ReadResult
from ingest.imap import ImapMailbox, watch_imap
from ingest.mailbox import MailboxUnavailable
from ingest.settings import ImapSettings
from ingest.watch_state import Journal, read_statuses
from mailroom.models import BBox, DocType, Document, Page, Source, Status, Word
from mailroom.pipeline import Pipeline, build_pipeline
from mailroom.settings import Settings
from storage.base import MetadataStore, original_key
from storage.dossiers import MemoryDossierRegistry
from storage.filesystem import FilesystemObjectStore
from storage.settings import StorageSettings
from storage.sql import SqlMetadataStore, sqlite_url
from tests.integration.dovecot import Dovecot, start_dovecot

IN_CI = os.environ.get("CI", "").lower() == "true"
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "documents"
DONE = "$MailroomDone"
FAILED = "$MailroomFailed"


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[Dovecot]:
    try:
        server = start_dovecot(tmp_path / "dovecot")
    except RuntimeError as e:
        if IN_CI or "not installed" not in str(e):
            raise  # a server that is there but does not start is a failure, in CI always
        pytest.skip(str(e))
    try:
        yield server
    finally:
        server.stop()


class TextReader:
    def read(self, path: Path, media_type: str, *, image_dir: Path | None = None) -> ReadResult:
        if media_type == "text/plain":
            text = path.read_text(encoding="utf-8")
        else:
            text = f"Pièce jointe de {path.stat().st_size} octets"
        words = tuple(
            Word(text=t, bbox=BBox(x0=10 + 40 * i, y0=10, x1=45 + 40 * i, y1=20), confidence=95)
            for i, t in enumerate(text.split()[:30])
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


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def pipeline(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    settings = Settings(storage=StorageSettings(data_dir=data_dir))
    settings.ocr.workers = 1
    with Pipeline(
        settings,
        objects=FilesystemObjectStore(settings.storage.objects_dir),
        metadata=SqlMetadataStore(sqlite_url(settings.storage.sqlite_path)),
        reader=TextReader(),  # type: ignore[arg-type]
        classifier=FixedClassifier(DocType.INVOICE, 0.95),
        registry=MemoryDossierRegistry(),
        field_extractor=FixedFieldExtractor(),
    ) as p:
        yield p


def _imap_settings(server: Dovecot, **overrides: object) -> ImapSettings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": server.port,
        "security": "none",
        "user": server.user,
        "password": SecretStr(server.password),
        "idle_timeout_s": 30,
        "poll_interval_s": 0.5,
        "retry_base_s": 0.2,
        "retry_max_s": 1.0,
        "reconnect_max_s": 1.0,
        "timeout_s": 20,
    }
    values.update(overrides)
    return ImapSettings.model_validate(values)


def _png(seed: int, size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("L", (size, size), seed % 256).save(out, format="PNG")
    return out.getvalue()


def _jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), (seed % 256, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


def _message(
    subject: str,
    body: str | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Claire Martin <claire.martin@example.fr>"
    msg["To"] = "remboursements@assistance.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{hashlib.sha1(subject.encode()).hexdigest()}@example.fr>"
    msg.set_content(
        body
        if body is not None
        else (
            f"Bonjour, veuillez trouver ci-joint le document « {subject} » pour mon dossier "
            "de remboursement. Merci."
        )
    )
    for name, data, media_type in attachments or []:
        maintype, subtype = media_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def _pdf_bytes(text: str) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(72, 750, text)
    c.save()
    return out.getvalue()


MALFORMED = (
    b"From: =?utf-8?q?Jean_Dupr=C3=A9?= <jean@example.fr>\r\n"
    b"Subject: facture sans fin\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n'
    b"--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Bonjour, voici la facture du garage pour mon dossier de remorquage.\r\n"
    b"--XYZ\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="scan.png"\r\n\r\n'
    b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg"
    # the closing boundary never comes
)


class Running:
    """A watcher in a thread, stopped (and checked stopped) at the end of the test."""

    def __init__(self) -> None:
        self.threads: list[tuple[threading.Thread, threading.Event]] = []

    def start(self, sink: object, settings: ImapSettings, data_dir: Path, **kw: object) -> None:
        stop = threading.Event()
        thread = threading.Thread(
            target=watch_imap,
            args=(sink, settings, stop),
            kwargs={"data_dir": data_dir, **kw},
            daemon=True,
        )
        thread.start()
        self.threads.append((thread, stop))

    def stop(self) -> None:
        for thread, stop in self.threads:
            stop.set()
            thread.join(timeout=20)
            assert not thread.is_alive(), "the IMAP watcher did not stop"
        self.threads.clear()


@pytest.fixture
def running() -> Iterator[Running]:
    r = Running()
    try:
        yield r
    finally:
        r.stop()


def _wait_for(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def _containers(store: MetadataStore) -> list[Document]:
    return [d for d in store.list_documents() if d.parent_id is None]


def test_messages_become_documents_and_are_marked_done(
    dovecot: Dovecot, pipeline: Pipeline, data_dir: Path, running: Running
) -> None:
    big = os.urandom(20 * 1024 * 1024)
    dovecot.append(
        _message(
            "Facture et photo",
            attachments=[
                ("facture_été_n°42.pdf", _pdf_bytes("Facture 42"), "application/pdf"),
                ("photo.jpg", _jpeg(1), "image/jpeg"),
            ],
        )
    )
    dovecot.append(_message("Gros scan", attachments=[("gros.tiff", big, "image/tiff")]))
    dovecot.append(
        _message(
            "Sans pièce jointe",
            body="Bonjour, je souhaite être remboursée des frais d'hôtel du 3 au 5 mars "
            "pour mon dossier, merci de me dire quels justificatifs envoyer.",
        )
    )
    dovecot.append(MALFORMED)
    running.start(pipeline, _imap_settings(dovecot), data_dir)
    _wait_for(lambda: len(dovecot.uids(criteria=f"KEYWORD {DONE}")) == 4, timeout_s=60)

    docs = pipeline.metadata.list_documents()
    containers = [d for d in docs if d.parent_id is None]
    assert len(containers) == 4
    assert all(d.status is Status.SPLIT for d in containers)
    assert all(
        d.source.path is not None
        and d.source.path.startswith(f"imap://{dovecot.user}@127.0.0.1:{dovecot.port}/INBOX;")
        for d in containers
    )
    # the raw message is the original of the container
    for d in containers:
        assert pipeline.objects.exists(original_key(d.sha256))
    names = {d.source.filename for d in docs if d.parent_id is not None}
    assert {"facture_été_n°42.pdf", "photo.jpg", "gros.tiff", "scan.png"} <= names
    [tiff] = [d for d in docs if d.source.filename == "gros.tiff"]
    assert tiff.size == len(big)
    assert pipeline.objects.get_bytes(original_key(tiff.sha256)) == big
    bodies = [d for d in docs if d.source.path and d.source.path.endswith("#body")]
    assert len(bodies) == 4  # every message's body says something, the malformed one's too
    malformed_parts = [
        d for d in docs if d.parent_id and any(c.code == "email.malformed_mime" for c in d.checks)
    ]
    assert malformed_parts, "the malformed message's parts carry the defect"
    # nothing read by the watcher: \Seen is left to people
    assert dovecot.uids(criteria="SEEN") == []


def test_a_message_is_marked_only_after_its_documents_are_stored(
    dovecot: Dovecot, pipeline: Pipeline, data_dir: Path, running: Running
) -> None:
    dovecot.append(_message("Un", attachments=[("a.png", _png(1), "image/png")]))
    dovecot.append(_message("Deux", attachments=[("b.png", _png(2), "image/png")]))
    seen_at_mark: list[tuple[int, Status | None]] = []

    class Watching(ImapMailbox):
        def mark_done(self, uid: int) -> None:
            raw = self.fetch(uid)
            assert raw is not None
            found = pipeline.metadata.find_by_sha256(hashlib.sha256(raw).hexdigest())
            seen_at_mark.append((uid, found.status if found else None))
            assert DONE not in dovecot.flags(uid)
            super().mark_done(uid)

    settings = _imap_settings(dovecot)
    running.start(pipeline, settings, data_dir, mailbox=Watching(settings))
    _wait_for(lambda: len(dovecot.uids(criteria=f"KEYWORD {DONE}")) == 2)
    assert seen_at_mark == [(1, Status.SPLIT), (2, Status.SPLIT)]


def test_a_connection_dropped_mid_fetch_or_before_marking_loses_nothing(
    dovecot: Dovecot, pipeline: Pipeline, data_dir: Path, running: Running
) -> None:
    for i in range(4):
        dovecot.append(_message(f"Message {i}", attachments=[(f"p{i}.png", _png(i), "image/png")]))
    drops = {"fetch": 0, "kill": 0}

    class Dropping(ImapMailbox):
        def fetch(self, uid: int) -> bytes | None:
            if uid == 2 and drops["fetch"] == 0:
                drops["fetch"] += 1
                assert self._conn is not None
                self._conn.sock.shutdown(socket.SHUT_RDWR)  # the network goes away mid-fetch
            return super().fetch(uid)

    class KillingServer:
        """After message 3 is stored, the server's imap process dies before the marking."""

        def __init__(self, inner: Pipeline) -> None:
            self.inner = inner
            self.metadata = inner.metadata

        def process_bytes(self, data: bytes, source: Source) -> list[Document]:
            docs = self.inner.process_bytes(data, source)
            if source.path and source.path.endswith("UID=3") and drops["kill"] == 0:
                drops["kill"] += 1
                for pid in dovecot.imap_children():
                    os.kill(pid, signal.SIGKILL)
            return docs

    settings = _imap_settings(dovecot)
    running.start(KillingServer(pipeline), settings, data_dir, mailbox=Dropping(settings))
    _wait_for(lambda: len(dovecot.uids(criteria=f"KEYWORD {DONE}")) == 4, timeout_s=60)
    assert drops == {"fetch": 1, "kill": 1}
    containers = _containers(pipeline.metadata)
    assert len(containers) == 4
    assert not [a for a in pipeline.metadata.arrivals() if a.status is Status.DUPLICATE]
    for c in containers:
        assert len(pipeline.metadata.arrivals(c.document_id)) == 1
    [status] = read_statuses(data_dir)
    assert status["last_error"]  # the drops were seen and said


def test_a_restart_after_storing_but_before_marking_does_not_process_again(
    dovecot: Dovecot, pipeline: Pipeline, data_dir: Path, running: Running
) -> None:
    dovecot.append(_message("Avant la panne", attachments=[("x.png", _png(9), "image/png")]))
    crashed = threading.Event()

    class Crash(BaseException):
        """The process dies here: nothing after it runs, no handler catches it."""

    class CrashBeforeMark(ImapMailbox):
        def mark_done(self, uid: int) -> None:
            crashed.set()
            raise Crash

    settings = _imap_settings(dovecot)

    def first_run() -> None:
        with contextlib.suppress(Crash):
            watch_imap(
                pipeline,
                settings,
                threading.Event(),
                data_dir=data_dir,
                mailbox=CrashBeforeMark(settings),
            )

    thread = threading.Thread(target=first_run)
    thread.start()
    thread.join(timeout=30)
    assert crashed.is_set()
    assert DONE not in dovecot.flags(1)
    before = pipeline.metadata.arrivals()

    running.start(pipeline, settings, data_dir)  # the restart
    _wait_for(lambda: DONE in dovecot.flags(1))
    running.stop()
    assert pipeline.metadata.arrivals() == before
    with Journal.under(data_dir) as journal:
        assert journal.messages(ImapMailbox(settings).label) == []

    running.start(pipeline, settings, data_dir)  # and again: nothing to do
    time.sleep(1.5)
    running.stop()
    assert pipeline.metadata.arrivals() == before


def test_a_poison_message_is_retried_with_backoff_then_set_aside(
    dovecot: Dovecot, pipeline: Pipeline, data_dir: Path, running: Running
) -> None:
    dovecot.append(_message("POISON", attachments=[("p.png", _png(3), "image/png")]))
    dovecot.append(_message("Normal", attachments=[("n.png", _png(4), "image/png")]))
    calls: list[float] = []

    class Poisoned:
        def __init__(self, inner: Pipeline) -> None:
            self.inner = inner
            self.metadata = inner.metadata

        def process_bytes(self, data: bytes, source: Source) -> list[Document]:
            if b"Subject: POISON" in data:
                calls.append(time.monotonic())
                raise RuntimeError("parser exploded")
            return self.inner.process_bytes(data, source)

    settings = _imap_settings(
        dovecot, max_tries=3, retry_base_s=0.3, failed_folder="Mailroom/Failed"
    )
    running.start(Poisoned(pipeline), settings, data_dir)
    _wait_for(lambda: dovecot.uids("Mailroom/Failed") != [], timeout_s=30)
    assert len(calls) == 3
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert gaps[0] >= 0.25 and gaps[1] >= 0.55  # 0.3 s then 0.6 s
    assert FAILED in dovecot.flags(dovecot.uids("Mailroom/Failed")[0], "Mailroom/Failed")
    _wait_for(lambda: len(dovecot.uids(criteria=f"KEYWORD {DONE}")) == 1)
    with Journal.under(data_dir) as journal:
        [aside] = journal.messages(ImapMailbox(settings).label, state="set_aside")
    assert aside.tries == 3 and "parser exploded" in (aside.last_error or "")
    assert len(_containers(pipeline.metadata)) == 1


def test_move_mode_moves_the_stored_message_to_the_done_folder(
    dovecot: Dovecot, pipeline: Pipeline, data_dir: Path, running: Running
) -> None:
    dovecot.append(_message("À déplacer", attachments=[("m.png", _png(5), "image/png")]))
    settings = _imap_settings(dovecot, mark="move", done_folder="Traite")
    running.start(pipeline, settings, data_dir)
    _wait_for(lambda: dovecot.uids("Traite") != [])
    assert dovecot.uids("INBOX") == []
    assert len(_containers(pipeline.metadata)) == 1


def test_idle_picks_up_a_message_appended_while_waiting(
    dovecot: Dovecot, pipeline: Pipeline, data_dir: Path, running: Running
) -> None:
    settings = _imap_settings(dovecot, poll_interval_s=120, idle_timeout_s=120)
    running.start(pipeline, settings, data_dir)
    _wait_for(lambda: any(s.get("state") == "idle" for s in read_statuses(data_dir)))
    time.sleep(0.5)
    started = time.monotonic()
    dovecot.append(_message("Pendant l'IDLE", attachments=[("i.png", _png(6), "image/png")]))
    _wait_for(lambda: DONE in dovecot.flags(1), timeout_s=15)
    assert time.monotonic() - started < 15  # far below the 120 s of polling or IDLE renewal


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_the_watcher_logs_in_over_tls_and_checks_the_certificate(
    security: str, tmp_path: Path, pipeline: Pipeline, data_dir: Path, running: Running
) -> None:
    try:
        server = start_dovecot(tmp_path / "dovecot-tls", tls=True)
    except RuntimeError as e:
        if IN_CI or "not installed" not in str(e):
            raise
        pytest.skip(str(e))
    try:
        assert server.tls_port is not None and server.ca_file is not None
        server.append(_message("Par TLS", attachments=[("t.png", _png(7), "image/png")]))
        port = server.tls_port if security == "ssl" else server.port
        untrusted = _imap_settings(server, host="localhost", port=port, security=security)
        with pytest.raises(MailboxUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            ImapMailbox(untrusted).open()
        trusted = untrusted.model_copy(update={"ca_file": server.ca_file})
        running.start(pipeline, trusted, data_dir)
        _wait_for(lambda: DONE in server.flags(1))
        assert server.password not in server.log
    finally:
        running.stop()
        server.stop()


@pytest.mark.tesseract
@pytest.mark.slow
def test_sample_attachments_go_through_the_whole_pipeline(
    dovecot: Dovecot, data_dir: Path, running: Running
) -> None:
    pdf = next(SAMPLES.glob("invoice-*born_digital.pdf"))
    jpg = next(SAMPLES.glob("*-photo.jpg"))
    dovecot.append(
        _message(
            "Facture et justificatif",
            attachments=[
                (pdf.name, pdf.read_bytes(), "application/pdf"),
                (jpg.name, jpg.read_bytes(), "image/jpeg"),
            ],
        )
    )
    settings = Settings(storage=StorageSettings(data_dir=data_dir))
    with build_pipeline(settings) as pipeline:
        running.start(pipeline, _imap_settings(dovecot), data_dir)
        _wait_for(lambda: DONE in dovecot.flags(1), timeout_s=180)
        running.stop()
        parts = [d for d in pipeline.metadata.list_documents() if d.parent_id]
    by_name = {d.source.filename: d for d in parts}
    assert by_name[pdf.name].doc_type is DocType.INVOICE
    assert by_name[pdf.name].status in {Status.NEEDS_REVIEW, Status.FILED}
    assert by_name[jpg.name].page_count == 1
    assert all(d.source.channel == "email" for d in parts)


@pytest.mark.slow
def test_the_imap_command_runs_from_the_environment_and_stops_cleanly_on_sigterm(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    import subprocess
    import sys

    dovecot.append(_message("Par la commande", attachments=[("c.png", _png(8), "image/png")]))
    data = tmp_path / "cli-data"
    log = tmp_path / "imap-watcher.log"
    env = {
        **os.environ,
        "MAILROOM_STORAGE__DATA_DIR": str(data),
        "MAILROOM_OCR__WORKERS": "1",
        "MAILROOM_IMAP__HOST": "127.0.0.1",
        "MAILROOM_IMAP__PORT": str(dovecot.port),
        "MAILROOM_IMAP__SECURITY": "none",
        "MAILROOM_IMAP__USER": dovecot.user,
        "MAILROOM_IMAP__PASSWORD": dovecot.password,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "mailroom.watch", "--log-level", "DEBUG", "watch", "imap"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        _wait_for(lambda: DONE in dovecot.flags(1), timeout_s=120)
        _wait_for(lambda: any(s["state"] == "idle" for s in read_statuses(data)), timeout_s=30)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert process.returncode == 0, log.read_text()[-3000:]
    [status] = read_statuses(data)
    assert status["state"] == "stopped" and status["processed"] == 1
    assert dovecot.password not in log.read_text()
