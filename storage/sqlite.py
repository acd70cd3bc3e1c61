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
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from mailroom.models import Document, Source, Status
from storage.base import Arrival, StorageConflict
from storage.sqlite_file import SqliteFile

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


class SqliteMetadataStore(SqliteFile):
    """Documents and arrivals in one SQLite file; safe to share between threads."""

    MIGRATIONS = MIGRATIONS
    VERSION_TABLE = "schema_version"
    WHAT = "the metadata database"
    CONFLICT = StorageConflict

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
        docs = self._documents("SELECT record FROM documents WHERE document_id = ?", (document_id,))
        return docs[0] if docs else None

    def find_by_sha256(self, sha256: str) -> Document | None:
        docs = self._documents("SELECT record FROM documents WHERE sha256 = ?", (sha256,))
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

    def document_versions(self, *, status: Status | None = None) -> dict[str, str]:
        """Each document's id and when its record was last saved (as text), in the order of
        :meth:`list_documents`: a caller keeping parsed documents (the review queue) reads
        again only the records that changed."""
        sql = "SELECT document_id, updated_at FROM documents"
        params: tuple[Any, ...] = ()
        if status is not None:
            sql += " WHERE status = ?"
            params = (Status(status).value,)
        sql += " ORDER BY received_at DESC, document_id ASC"
        rows = self._run(
            "reading document versions",
            lambda: self._connection().execute(sql, params).fetchall(),
        )
        return {document_id: updated_at for document_id, updated_at in rows}

    def get_many(self, document_ids: Sequence[str]) -> list[Document]:
        """The documents with these ids (those that exist), in no particular order."""
        out: list[Document] = []
        ids = list(document_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            out += self._documents(
                f"SELECT record FROM documents WHERE document_id IN ({marks})", tuple(chunk)
            )
        return out

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
