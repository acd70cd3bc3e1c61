"""The IMAP channel: the adapter over :mod:`imaplib` and the watcher loop.

Adapter (:class:`ImapMailbox`): SSL or STARTTLS (or plain, for loopback only), login with the
password from a ``SecretStr`` (never logged), IDLE when the server has it (imaplib has no IDLE:
it is sent by hand, and the socket is watched with ``select`` so a stop or a timeout ends it),
polling otherwise. Every imaplib or socket error becomes :class:`MailboxUnavailable`.

Watcher (:class:`ImapWatcher`), per message, in UID order:

1. fetch ``BODY.PEEK[]`` (the message stays unseen), hash it, journal ``taken`` + SHA-256;
2. ``pipeline.process_bytes(raw, Source(channel="email", path="imap://...;UIDVALIDITY=..;
   UID=.."))``: the raw message is stored as the original with a ``received`` record, then its
   body and attachments become documents;
3. only then mark it done on the server (``\\Seen``, a keyword or a move, per ``mark``) and
   delete the journal row.

A restart after a crash between 2 and 3 finds the journal row and a final record for that
SHA-256: the message is only marked, never processed twice. A message the pipeline fails on
(anything but the server or storage being unreachable) is retried with exponential backoff and
set aside after ``max_tries`` (keyword ``$MailroomFailed``, and a move to ``failed_folder`` when
set), with its reason in the journal and the logs. A dropped connection blames no message: the
watcher reconnects with backoff and starts again from the server's list of pending UIDs.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import logging
import re
import select
import ssl
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from ingest.mailbox import Mailbox, MailboxUnavailable
from ingest.settings import ImapSettings
from ingest.watch_state import (
    Journal,
    MessageRecord,
    StatusFile,
    WatcherStatus,
    backoff_delay,
    ensure_arrival,
)
from mailroom.errors import MailroomError
from mailroom.logs import document_context
from mailroom.models import Document, Source, Status, document_id_for

if TYPE_CHECKING:
    from storage.base import MetadataStore

log = logging.getLogger(__name__)

_EXISTS = re.compile(rb"^\* \d+ (EXISTS|RECENT)", re.IGNORECASE)
HEARTBEAT_S = 30.0  # an idle watcher still says it is alive (status file) this often


def _quote_mailbox(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapMailbox:
    """:class:`~ingest.mailbox.Mailbox` over imaplib."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self._conn: imaplib.IMAP4 | None = None
        self._capabilities: frozenset[str] = frozenset()

    @property
    def port(self) -> int:
        return self.settings.port or (993 if self.settings.security == "ssl" else 143)

    @property
    def label(self) -> str:
        s = self.settings
        return f"{s.user}@{s.host}:{self.port}/{s.folder}"

    def source_path(self, uidvalidity: int, uid: int) -> str:
        s = self.settings
        return (
            f"imap://{quote(s.user, safe='')}@{s.host}:{self.port}/{quote(s.folder)}"
            f";UIDVALIDITY={uidvalidity};UID={uid}"
        )

    def _ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(
            cafile=str(self.settings.ca_file) if self.settings.ca_file else None
        )
        if not self.settings.verify_tls:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _call(self, what: str, action: Callable[[imaplib.IMAP4], tuple[str, list]]) -> list:
        conn = self._conn
        if conn is None:
            raise MailboxUnavailable(f"{what}: not connected to {self.label}")
        try:
            typ, data = action(conn)
        except (imaplib.IMAP4.error, OSError, EOFError) as e:
            raise MailboxUnavailable(f"{what} on {self.label}: {e}") from e
        if typ != "OK":
            raise MailboxUnavailable(f"{what} on {self.label}: {typ} {_text(data)}")
        return data

    def open(self) -> int:
        self.close()
        s = self.settings
        try:
            if s.security == "ssl":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    s.host, self.port, ssl_context=self._ssl_context(), timeout=s.timeout_s
                )
            else:
                conn = imaplib.IMAP4(s.host, self.port, timeout=s.timeout_s)
                if s.security == "starttls":
                    conn.starttls(self._ssl_context())
            conn.login(s.user, s.password.get_secret_value())
        except (imaplib.IMAP4.error, OSError, EOFError) as e:
            # imaplib's messages carry the server's answer, never the password.
            raise MailboxUnavailable(f"cannot log in to {self.label}: {e}") from e
        self._conn = conn
        data = self._call("CAPABILITY", lambda c: c.capability())
        self._capabilities = frozenset(_text(data).upper().split())
        folders = [s.done_folder] if s.mark == "move" else []
        folders += [s.failed_folder] if s.failed_folder else []
        for folder in folders:
            quoted = _quote_mailbox(folder)
            with contextlib.suppress(MailboxUnavailable):  # already there: fine
                self._call("CREATE", lambda c: c.create(quoted))  # noqa: B023
        self._call("SELECT", lambda c: c.select(_quote_mailbox(s.folder)))
        validity = conn.untagged_responses.get("UIDVALIDITY") or []
        if not validity:
            raise MailboxUnavailable(f"{self.label}: the server gave no UIDVALIDITY")
        log.info("connected to %s (idle: %s)", self.label, self.has_idle)
        last = validity[-1]
        return int(last[0] if isinstance(last, tuple) else last)

    @property
    def has_idle(self) -> bool:
        return "IDLE" in self._capabilities

    def pending_uids(self) -> list[int]:
        s = self.settings
        criteria = ["UNKEYWORD", s.failed_keyword]
        if s.mark == "keyword":
            criteria += ["UNKEYWORD", s.done_keyword]
        elif s.mark == "seen":
            criteria += ["UNSEEN"]
        data = self._call("SEARCH", lambda c: c.uid("SEARCH", *criteria))
        return sorted(int(u) for u in _text(data).split())

    def fetch(self, uid: int) -> bytes | None:
        data = self._call("FETCH", lambda c: c.uid("FETCH", str(uid), "(BODY.PEEK[])"))
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return None  # expunged meanwhile

    def _store(self, uid: int, flag: str) -> None:
        self._call("STORE", lambda c: c.uid("STORE", str(uid), "+FLAGS.SILENT", f"({flag})"))

    def _move(self, uid: int, folder: str) -> None:
        target = _quote_mailbox(folder)
        if "MOVE" in self._capabilities:
            self._call("MOVE", lambda c: c.uid("MOVE", str(uid), target))
            return
        self._call("COPY", lambda c: c.uid("COPY", str(uid), target))
        self._store(uid, "\\Deleted")
        if "UIDPLUS" in self._capabilities:
            self._call("EXPUNGE", lambda c: c.uid("EXPUNGE", str(uid)))
        else:
            self._call("EXPUNGE", lambda c: c.expunge())

    def mark_done(self, uid: int) -> None:
        s = self.settings
        if s.mark == "seen":
            self._store(uid, "\\Seen")
        elif s.mark == "keyword":
            self._store(uid, s.done_keyword)
        else:
            self._move(uid, s.done_folder)

    def set_aside(self, uid: int, reason: str) -> None:
        self._store(uid, self.settings.failed_keyword)
        if self.settings.failed_folder:
            self._move(uid, self.settings.failed_folder)

    def wait(self, timeout_s: float, stop_event: threading.Event) -> bool:
        if not (self.settings.idle and self.has_idle):
            stop_event.wait(min(timeout_s, self.settings.poll_interval_s))
            return False
        conn = self._conn
        if conn is None:
            raise MailboxUnavailable(f"IDLE: not connected to {self.label}")
        try:
            return self._idle(conn, timeout_s, stop_event)
        except (imaplib.IMAP4.error, OSError, EOFError) as e:
            raise MailboxUnavailable(f"IDLE on {self.label}: {e}") from e

    def _idle(self, conn: imaplib.IMAP4, timeout_s: float, stop_event: threading.Event) -> bool:
        tag = conn._new_tag()  # type: ignore[attr-defined]  # imaplib has no IDLE of its own
        conn.send(tag + b" IDLE\r\n")
        line = _readline(conn)
        if not line.startswith(b"+"):
            raise MailboxUnavailable(f"IDLE refused by {self.label}: {line!r}")
        deadline = time.monotonic() + timeout_s
        news = False
        while not stop_event.is_set() and not news:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if not _readable(conn, min(1.0, remaining)):
                continue
            line = _readline(conn)
            if line.startswith(b"* BYE"):
                raise MailboxUnavailable(f"{self.label} closed the connection: {line!r}")
            news = bool(_EXISTS.match(line))
        conn.send(b"DONE\r\n")
        while True:
            line = _readline(conn)
            if line.startswith(tag):
                if not line[len(tag) :].strip().upper().startswith(b"OK"):
                    raise MailboxUnavailable(f"IDLE ended badly on {self.label}: {line!r}")
                return news
            news = news or bool(_EXISTS.match(line))

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            conn.logout()
        with contextlib.suppress(Exception):
            conn.shutdown()


def _readline(conn: imaplib.IMAP4) -> bytes:
    line: bytes = conn.readline()
    if not line:
        raise MailboxUnavailable("the server closed the connection")
    return line


def _readable(conn: imaplib.IMAP4, timeout_s: float) -> bool:
    sock = conn.sock
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    try:
        ready, _, _ = select.select([sock], [], [], timeout_s)
    except (OSError, ValueError) as e:
        raise MailboxUnavailable(f"connection lost: {e}") from e
    return bool(ready)


def _text(data: list) -> str:
    parts = []
    for item in data or []:
        if isinstance(item, tuple):
            item = item[0]
        if isinstance(item, bytes):
            parts.append(item.decode("utf-8", "replace"))
        elif item is not None:
            parts.append(str(item))
    return " ".join(parts)


class BytesSink(Protocol):
    """What the watcher needs from the pipeline (``mailroom.pipeline.Pipeline`` is one)."""

    @property
    def metadata(self) -> MetadataStore: ...

    def process_bytes(self, data: bytes, source: Source) -> list[Document]: ...


class ImapWatcher:
    """Reads one mailbox until ``stop_event`` is set (see :func:`watch_imap`)."""

    def __init__(
        self,
        sink: BytesSink,
        settings: ImapSettings,
        stop_event: threading.Event,
        *,
        data_dir: Path,
        mailbox: Mailbox | None = None,
        name: str | None = None,
    ) -> None:
        self.sink = sink
        self.settings = settings
        self.stop_event = stop_event
        self.data_dir = Path(data_dir)
        self.mailbox: Mailbox = mailbox or ImapMailbox(settings)
        self.name = name or "imap-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", self.mailbox.label)
        self.processed = 0
        self.set_aside = 0

    def run(self) -> int:
        """Watch until stopped; returns how many messages were stored and marked done."""
        journal = Journal.under(self.data_dir)
        status = StatusFile(
            self.data_dir, WatcherStatus(name=self.name, kind="imap", target=self.mailbox.label)
        )
        drops = 0
        try:
            while not self.stop_event.is_set():
                try:
                    status.update(force=True, state="connecting")
                    uidvalidity = self.mailbox.open()
                    drops = 0
                    self._serve(uidvalidity, journal, status)
                except MailboxUnavailable as e:
                    drops += 1
                    delay = backoff_delay(drops, base_s=1.0, max_s=self.settings.reconnect_max_s)
                    log.warning("%s; reconnecting in %.0f s", e, delay)
                    status.error(str(e))
                    status.update(force=True, state="reconnecting", current=None)
                    self.stop_event.wait(delay)
                except MailroomError as e:  # the journal or the stores: wait, then again
                    drops += 1
                    delay = backoff_delay(drops, base_s=1.0, max_s=self.settings.reconnect_max_s)
                    log.error("%s; trying again in %.0f s", e, delay)
                    status.error(f"{type(e).__name__}: {e}")
                    self.stop_event.wait(delay)
                finally:
                    self.mailbox.close()
        finally:
            status.update(force=True, state="stopped", current=None)
            journal.close()
        log.info("stopped watching %s after %d message(s)", self.mailbox.label, self.processed)
        return self.processed

    def _serve(self, uidvalidity: int, journal: Journal, status: StatusFile) -> None:
        label = self.mailbox.label
        while not self.stop_event.is_set():
            uids = self.mailbox.pending_uids()
            now = time.time()
            status.update(force=True, state="idle", last_poll=_utc_now(), backlog=len(uids))
            storage_down = False
            for index, uid in enumerate(uids):
                if self.stop_event.is_set():
                    return
                record = journal.message(label, uidvalidity, uid)
                if record is not None and record.state == "set_aside":
                    # Set aside before a crash or a drop, not yet marked on the server.
                    self.mailbox.set_aside(uid, record.last_error or "")
                    continue
                if record is not None and record.next_attempt > now:
                    continue
                status.update(
                    force=True,
                    state="processing",
                    current=self.mailbox.source_path(uidvalidity, uid),
                    backlog=len(uids) - index,
                )
                if not self._one(uidvalidity, uid, record, journal, status):
                    storage_down = True
                    break
                status.update(force=True, current=None, processed=self.processed)
            if storage_down:
                self.stop_event.wait(min(self.settings.retry_max_s, 30.0))
                continue
            status.update(force=True, state="idle", current=None, backlog=0)
            self.mailbox.wait(self._wait_for(journal, uidvalidity), self.stop_event)

    def _wait_for(self, journal: Journal, uidvalidity: int) -> float:
        """IDLE until new mail, or until the next failed message is due."""
        due = [
            r.next_attempt
            for r in journal.messages(self.mailbox.label, state="failed")
            if r.uidvalidity == uidvalidity
        ]
        wait = min(self.settings.idle_timeout_s, HEARTBEAT_S)
        if due:
            wait = min(wait, max(0.5, min(due) - time.time()))
        return wait

    def _one(
        self,
        uidvalidity: int,
        uid: int,
        record: MessageRecord | None,
        journal: Journal,
        status: StatusFile,
    ) -> bool:
        """Store then mark one message; False when storage is unreachable (nothing blamed)."""
        label = self.mailbox.label
        metadata = self.sink.metadata
        if record is not None and record.sha256:
            existing = metadata.find_by_sha256(record.sha256)
            if existing is not None and existing.status is not Status.RECEIVED:
                with document_context(existing.document_id):
                    log.info("UID %d was stored before a restart: marking it done", uid)
                    ensure_arrival(metadata, existing)
                    self.mailbox.mark_done(uid)
                journal.forget_message(label, uidvalidity, uid)
                self.processed += 1
                return True
        raw = self.mailbox.fetch(uid)
        if raw is None:
            log.warning("UID %d vanished from %s before it was read", uid, label)
            journal.forget_message(label, uidvalidity, uid)
            return True
        sha256 = hashlib.sha256(raw).hexdigest()
        tries = record.tries if record is not None else 0
        if record is not None and record.state == "taken" and tries >= self.settings.max_tries:
            # Every attempt so far ended with the watcher itself dying (OOM, kill): stop trying.
            reason = f"the watcher stopped {tries} times while processing this message"
            self._set_aside(uidvalidity, uid, sha256, tries, reason, journal, status)
            return True
        # The attempt is counted before it starts, so a message that kills the process is
        # set aside after max_tries restarts instead of crashing the watcher forever.
        journal.put_message(
            MessageRecord(label, uidvalidity, uid, "taken", sha256, tries + 1, 0.0, None)
        )
        source = Source(channel="email", path=self.mailbox.source_path(uidvalidity, uid))
        with document_context(document_id_for(sha256)):
            try:
                docs = self.sink.process_bytes(raw, source)
            except MailboxUnavailable:
                raise
            except MailroomError as e:  # storage or installation: retried, nobody blamed
                log.error("UID %d not stored, storage unavailable: %s", uid, e)
                status.error(f"UID {uid}: {type(e).__name__}: {e}")
                journal.put_message(  # not the message's fault: the attempt does not count
                    MessageRecord(label, uidvalidity, uid, "taken", sha256, tries, 0.0, None)
                )
                return False
            except Exception as e:  # noqa: BLE001 - a message the pipeline cannot take
                self._failed(uidvalidity, uid, sha256, tries + 1, e, journal, status)
                return True
            self.mailbox.mark_done(uid)
            journal.forget_message(label, uidvalidity, uid)
            self.processed += 1
            log.info(
                "UID %d stored (%d document(s)) and marked done (%s)",
                uid,
                len(docs),
                self.settings.mark,
            )
        return True

    def _failed(
        self,
        uidvalidity: int,
        uid: int,
        sha256: str,
        tries: int,
        error: Exception,
        journal: Journal,
        status: StatusFile,
    ) -> None:
        label = self.mailbox.label
        reason = f"{type(error).__name__}: {error}"
        if tries >= self.settings.max_tries:
            self._set_aside(uidvalidity, uid, sha256, tries, reason, journal, status)
            return
        delay = backoff_delay(
            tries, base_s=self.settings.retry_base_s, max_s=self.settings.retry_max_s
        )
        log.warning("UID %d failed (try %d), again in %.0f s: %s", uid, tries, delay, reason)
        journal.put_message(
            MessageRecord(
                label, uidvalidity, uid, "failed", sha256, tries, time.time() + delay, reason
            )
        )
        status.error(f"UID {uid} try {tries}: {reason}")

    def _set_aside(
        self,
        uidvalidity: int,
        uid: int,
        sha256: str,
        tries: int,
        reason: str,
        journal: Journal,
        status: StatusFile,
    ) -> None:
        log.error("UID %d set aside after %d tries: %s", uid, tries, reason)
        journal.put_message(
            MessageRecord(
                self.mailbox.label, uidvalidity, uid, "set_aside", sha256, tries, 0.0, reason
            )
        )
        self.mailbox.set_aside(uid, reason)
        self.set_aside += 1
        status.update(force=True, failed=self.set_aside)
        status.error(f"UID {uid} set aside after {tries} tries: {reason}")


def watch_imap(
    pipeline: BytesSink,
    settings: ImapSettings,
    stop_event: threading.Event,
    *,
    data_dir: Path,
    mailbox: Mailbox | None = None,
) -> int:
    """Watch the mailbox until ``stop_event`` is set (the current message is finished first).

    Returns the number of messages stored and marked done.
    """
    return ImapWatcher(pipeline, settings, stop_event, data_dir=data_dir, mailbox=mailbox).run()


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


__all__ = [
    "ImapMailbox",
    "ImapSettings",
    "ImapWatcher",
    "MailboxUnavailable",
    "watch_imap",
]
