"""What the watchers remember across crashes, and what they tell the health command.

Two small things live under ``<data_dir>/watch/``:

- ``journal.sqlite3``: the inputs a watcher has *taken* but not yet *acted on* (a file not yet
  moved out of the drop folder, a message not yet flagged or moved on the server), each with the
  SHA-256 of its bytes. On restart a taken input whose record is already final is only acted on
  (moved, flagged): it is never processed a second time. Rows are deleted once the input is
  acted on, so the table holds the in-flight inputs only (plus the IMAP messages set aside, with
  their reason): it does not grow with the number of inputs seen.
- ``<watcher>.status.json``: what each watcher is doing (last poll, current document, backlog,
  last error), rewritten atomically by the watcher and read by :func:`read_statuses`.

Every write to the journal is committed with ``synchronous=FULL`` before the watcher goes on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mailroom.errors import StorageError
from mailroom.models import Document

if TYPE_CHECKING:
    from storage.base import MetadataStore

log = logging.getLogger(__name__)

WATCH_DIR = "watch"
JOURNAL_NAME = "journal.sqlite3"

MessageState = Literal["taken", "failed", "set_aside"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS folder_taken (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    taken_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS imap_message (
    mailbox TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    state TEXT NOT NULL,
    sha256 TEXT,
    tries INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (mailbox, uidvalidity, uid)
);
"""


def watch_dir(data_dir: Path) -> Path:
    return Path(data_dir) / WATCH_DIR


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class TakenFile:
    path: str
    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True)
class MessageRecord:
    mailbox: str
    uidvalidity: int
    uid: int
    state: MessageState
    sha256: str | None
    tries: int
    next_attempt: float
    last_error: str | None


class Journal:
    """The watchers' crash journal (one SQLite file, one connection, one thread)."""

    def __init__(self, path: Path, *, timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise StorageError(f"cannot open the watch journal {self.path}: {e}") from e

    @classmethod
    def under(cls, data_dir: Path) -> Journal:
        return cls(watch_dir(data_dir) / JOURNAL_NAME)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as e:
            raise StorageError(f"watch journal {self.path}: {e}") from e

    # -- folder ---------------------------------------------------------------------------

    def take_file(self, taken: TakenFile) -> None:
        self._execute(
            "INSERT OR REPLACE INTO folder_taken (path, size, mtime_ns, sha256, taken_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (taken.path, taken.size, taken.mtime_ns, taken.sha256, _now()),
        )

    def taken_file(self, path: str) -> TakenFile | None:
        rows = self._execute(
            "SELECT path, size, mtime_ns, sha256 FROM folder_taken WHERE path = ?", (path,)
        )
        return TakenFile(*rows[0]) if rows else None

    def taken_files(self) -> list[TakenFile]:
        return [
            TakenFile(*row)
            for row in self._execute("SELECT path, size, mtime_ns, sha256 FROM folder_taken")
        ]

    def release_file(self, path: str) -> None:
        self._execute("DELETE FROM folder_taken WHERE path = ?", (path,))

    # -- imap -----------------------------------------------------------------------------

    def message(self, mailbox: str, uidvalidity: int, uid: int) -> MessageRecord | None:
        rows = self._execute(
            "SELECT mailbox, uidvalidity, uid, state, sha256, tries, next_attempt, last_error "
            "FROM imap_message WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
            (mailbox, uidvalidity, uid),
        )
        return MessageRecord(*rows[0]) if rows else None

    def put_message(self, record: MessageRecord) -> None:
        self._execute(
            "INSERT OR REPLACE INTO imap_message (mailbox, uidvalidity, uid, state, sha256, "
            "tries, next_attempt, last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.mailbox,
                record.uidvalidity,
                record.uid,
                record.state,
                record.sha256,
                record.tries,
                record.next_attempt,
                record.last_error,
                _now(),
            ),
        )

    def forget_message(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        self._execute(
            "DELETE FROM imap_message WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
            (mailbox, uidvalidity, uid),
        )

    def messages(self, mailbox: str, *, state: MessageState | None = None) -> list[MessageRecord]:
        sql = (
            "SELECT mailbox, uidvalidity, uid, state, sha256, tries, next_attempt, last_error "
            "FROM imap_message WHERE mailbox = ?"
        )
        params: tuple[Any, ...] = (mailbox,)
        if state is not None:
            sql += " AND state = ?"
            params = (mailbox, state)
        return [MessageRecord(*row) for row in self._execute(sql + " ORDER BY uid", params)]


def backoff_delay(tries: int, *, base_s: float, max_s: float) -> float:
    """Seconds to wait before attempt ``tries + 1``: base, 2×base, 4×base... capped."""
    if tries <= 0:
        return 0.0
    return float(min(max_s, base_s * (2 ** (tries - 1))))


@dataclass
class WatcherStatus:
    """What one watcher says about itself in its status file."""

    name: str
    kind: Literal["folder", "imap"]
    target: str
    pid: int = field(default_factory=os.getpid)
    state: str = "starting"  # starting, idle, processing, reconnecting, stopped
    started_at: str = field(default_factory=_now)
    last_poll: str | None = None
    current: str | None = None
    backlog: int = 0
    processed: int = 0
    failed: int = 0
    last_error: str | None = None
    last_error_at: str | None = None
    oldest_waiting_s: float | None = None
    updated_at: str = field(default_factory=_now)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class StatusFile:
    """A watcher's status, rewritten atomically (``os.replace``) at most every ``min_interval_s``
    unless forced, so a busy watcher does not spend its time writing it."""

    def __init__(self, data_dir: Path, status: WatcherStatus, *, min_interval_s: float = 1.0):
        self.path = watch_dir(data_dir) / f"{_safe(status.name)}.status.json"
        self.status = status
        self.min_interval_s = min_interval_s
        self._written = 0.0

    def update(self, *, force: bool = False, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(self.status, key, value)
        now = time.monotonic()
        if not force and now - self._written < self.min_interval_s:
            return
        self._written = now
        self.status.updated_at = _now()
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self.status.to_json(), ensure_ascii=False), "utf-8")
            os.replace(tmp, self.path)
        except OSError as e:  # health is best effort: never stop the watcher for it
            log.warning("cannot write watcher status %s: %s", self.path, e)

    def error(self, message: str) -> None:
        self.update(force=True, last_error=message, last_error_at=_now(), failed=self.status.failed)


def read_statuses(data_dir: Path) -> list[dict[str, Any]]:
    """Every watcher status under ``data_dir``, each with ``alive`` (its process still runs)."""
    folder = watch_dir(data_dir)
    found: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.status.json")) if folder.is_dir() else []:
        try:
            status = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as e:
            log.warning("unreadable watcher status %s: %s", path, e)
            continue
        status["alive"] = status.get("state") != "stopped" and _pid_alive(int(status.get("pid", 0)))
        found.append(status)
    return found


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        # A zombie (killed, not yet reaped by its parent) is not running.
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def ensure_arrival(metadata: MetadataStore, existing: Document) -> bool:
    """Record the arrival of a document found final after a restart, when it has none.

    A crash between the pipeline's final record and its arrival leaves a document without any
    arrival; the restart that finds it only moves or marks the input, so it writes the missing
    arrival here. Returns whether one was written.
    """
    if metadata.arrivals(existing.document_id):
        return False
    from storage.base import Arrival

    metadata.record_arrival(
        Arrival(
            arrival_id=uuid.uuid4().hex,
            document_id=existing.document_id,
            sha256=existing.sha256,
            source=existing.source,
            received_at=datetime.now(UTC),
            status=existing.status,
        )
    )
    log.info("arrival recorded after a restart")
    return True


def iter_chunks(path: Path, size: int = 1024 * 1024) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(size):
            yield chunk


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".") or "watcher"
