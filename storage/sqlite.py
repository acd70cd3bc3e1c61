"""The embedded metadata store: one SQLite file, WAL mode, numbered migrations.

``documents`` holds one row per document: the columns the pipeline and the review app query
(status, doc_type, sha256, received_at) and ``record``, the Document's ``model_dump_json()``,
which reads back into an equal Document (field values carry their kind).

Each thread gets its own connection (SQLite connections are not shared across threads); WAL
lets readers go on while one writer writes. The file and its schema are created on first use,
not in the constructor. sqlite3 errors become :class:`~mailroom.errors.StorageError`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from mailroom.errors import StorageError
from mailroom.models import Document, Source, Status
from storage.base import Arrival, StorageConflict

log = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE documents (
            document_id TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            doc_type TEXT,
            received_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            record TEXT NOT NULL
        );
        CREATE INDEX documents_status ON documents (status);
        CREATE INDEX documents_received_at ON documents (received_at);
        CREATE TABLE arrivals (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            arrival_id TEXT NOT NULL UNIQUE,
            document_id TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            source TEXT NOT NULL,
            received_at TEXT NOT NULL,
            status TEXT NOT NULL
        );
        CREATE INDEX arrivals_document_id ON arrivals (document_id);
        CREATE INDEX arrivals_sha256 ON arrivals (sha256);
        """,
    ),
)
"""Numbered schema steps; a database is brought to the last one when opened."""

SCHEMA_VERSION = MIGRATIONS[-1][0]


def _utc_text(value: datetime) -> str:
    """A sortable UTC timestamp (microseconds, fixed width)."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _document(record: str) -> Document:
    return Document.model_validate_json(record)


class SqliteMetadataStore:
    """Documents and arrivals in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path, *, timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._migrated = False
        self._closed = False

    def __repr__(self) -> str:
        return f"SqliteMetadataStore({str(self.path)!r})"

    # --- connections ---------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageError(f"{self!r} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=self.timeout_s, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={int(self.timeout_s * 1000)}")
        except (OSError, sqlite3.Error) as e:
            raise StorageError(f"cannot open the metadata database {self.path}: {e}") from e
        with self._lock:
            self._connections.append(conn)
            if not self._migrated:
                self._migrate(conn)
                self._migrated = True
        self._local.conn = conn
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = row[0] or 0
            if current > SCHEMA_VERSION:
                conn.execute("ROLLBACK")
                raise StorageError(
                    f"{self.path} has schema version {current}, newer than this program's "
                    f"{SCHEMA_VERSION}: upgrade mailroom"
                )
            for version, script in MIGRATIONS:
                if version <= current:
                    continue
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
                log.info("metadata database %s migrated to version %d", self.path, version)
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StorageError(f"cannot migrate the metadata database {self.path}: {e}") from e

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _run(self, what: str, action: Callable[[], T]) -> T:
        try:
            return action()
        except sqlite3.IntegrityError as e:
            raise StorageConflict(f"{what}: {e}") from e
        except sqlite3.Error as e:
            raise StorageError(f"{what} in {self.path}: {e}") from e

    def schema_version(self) -> int:
        def read() -> int:
            row = self._connection().execute("SELECT MAX(version) FROM schema_version")
            return int(row.fetchone()[0] or 0)

        return self._run("reading the schema version", read)

    # --- documents -----------------------------------------------------------------------

    def save(self, doc: Document) -> None:
        row = (
            doc.document_id,
            doc.sha256,
            doc.status.value,
            doc.doc_type.value if doc.doc_type is not None else None,
            _utc_text(doc.received_at),
            _utc_text(datetime.now(UTC)),
            doc.model_dump_json(),
        )

        def write() -> None:
            with self._transaction() as conn:
                conn.execute(
                    """
                    INSERT INTO documents (document_id, sha256, status, doc_type, received_at,
                                           updated_at, record)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (document_id) DO UPDATE SET
                        sha256 = excluded.sha256, status = excluded.status,
                        doc_type = excluded.doc_type, received_at = excluded.received_at,
                        updated_at = excluded.updated_at, record = excluded.record
                    """,
                    row,
                )

        self._run(f"saving {doc.document_id}", write)

    def _documents(self, sql: str, params: tuple[Any, ...]) -> list[Document]:
        def read() -> list[tuple[str]]:
            return self._connection().execute(sql, params).fetchall()

        rows = self._run("reading documents", read)
        return [_document(record) for (record,) in rows]

    def get(self, document_id: str) -> Document | None:
        docs = self._documents(
            "SELECT record FROM documents WHERE document_id = ?", (document_id,)
        )
        return docs[0] if docs else None

    def find_by_sha256(self, sha256: str) -> Document | None:
        docs = self._documents(
            "SELECT record FROM documents WHERE sha256 = ?", (sha256,)
        )
        return docs[0] if docs else None

    def list_documents(
        self, *, status: Status | None = None, limit: int | None = None
    ) -> list[Document]:
        sql = "SELECT record FROM documents"
        params: tuple[Any, ...] = ()
        if status is not None:
            sql += " WHERE status = ?"
            params = (Status(status).value,)
        sql += " ORDER BY received_at DESC, document_id ASC"
        if limit is not None:
            sql += " LIMIT ?"
            params += (max(0, int(limit)),)
        return self._documents(sql, params)

    # --- arrivals ------------------------------------------------------------------------

    def record_arrival(self, arrival: Arrival) -> None:
        row = (
            arrival.arrival_id,
            arrival.document_id,
            arrival.sha256,
            arrival.source.model_dump_json(),
            _utc_text(arrival.received_at),
            Status(arrival.status).value,
        )

        def write() -> None:
            with self._transaction() as conn:
                conn.execute(
                    """
                    INSERT INTO arrivals (arrival_id, document_id, sha256, source, received_at,
                                          status)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (arrival_id) DO UPDATE SET
                        document_id = excluded.document_id, sha256 = excluded.sha256,
                        source = excluded.source, received_at = excluded.received_at,
                        status = excluded.status
                    """,
                    row,
                )

        self._run(f"recording arrival {arrival.arrival_id}", write)

    def arrivals(self, document_id: str | None = None) -> list[Arrival]:
        sql = "SELECT arrival_id, document_id, sha256, source, received_at, status FROM arrivals"
        params: tuple[Any, ...] = ()
        if document_id is not None:
            sql += " WHERE document_id = ?"
            params = (document_id,)
        sql += " ORDER BY received_at ASC, seq ASC"

        def read() -> list[tuple[str, str, str, str, str, str]]:
            return self._connection().execute(sql, params).fetchall()

        return [
            Arrival(
                arrival_id=a_id,
                document_id=doc_id,
                sha256=sha,
                source=Source.model_validate_json(source),
                received_at=datetime.strptime(received, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                    tzinfo=UTC
                ),
                status=Status(status),
            )
            for a_id, doc_id, sha, source, received, status in self._run("reading arrivals", read)
        ]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            try:
                conn.close()
            except sqlite3.Error as e:
                log.warning("closing %s: %s", self.path, e)
