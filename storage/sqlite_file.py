"""A hand-written SQLite store: one connection per thread, WAL, numbered migrations.

The review application's tables (:mod:`review.store`) live this way in ``mailroom.sqlite3``,
beside the SQL store's (:mod:`storage.sql`, Alembic), with their own schema-version table. A
subclass names its migrations, its version table and what it is (for messages); the file and
its schema are created on first use, never in the constructor. sqlite3 errors become
:class:`~mailroom.errors.StorageError` (an integrity error becomes ``conflict``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar, TypeVar

from mailroom.errors import StorageError

log = logging.getLogger(__name__)

T = TypeVar("T")


class SqliteFile:
    """Thread-safe access to one SQLite file with migrations applied on first use."""

    MIGRATIONS: ClassVar[tuple[tuple[int, str], ...]] = ()
    VERSION_TABLE: ClassVar[str] = "schema_version"
    WHAT: ClassVar[str] = "database"  # "the metadata database", for messages
    CONFLICT: ClassVar[type[Exception]] = StorageError  # what an integrity error becomes

    def __init__(self, path: Path, *, timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._migrated = False
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    @property
    def schema_target(self) -> int:
        return self.MIGRATIONS[-1][0] if self.MIGRATIONS else 0

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
            conn.execute(f"PRAGMA busy_timeout={int(self.timeout_s * 1000)}")
            self._use_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
        except (OSError, sqlite3.Error) as e:
            raise StorageError(f"cannot open {self.WHAT} {self.path}: {e}") from e
        with self._lock:
            self._connections.append(conn)
            if not self._migrated:
                self._migrate(conn)
                self._migrated = True
        self._local.conn = conn
        return conn

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL once. Changing the journal mode does not wait on the busy
        timeout: while another connection (another store on the same file, another thread)
        holds a write lock it fails at once with "database is locked", so it is retried."""
        deadline = time.monotonic() + self.timeout_s
        while conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            try:
                conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        table = self.VERSION_TABLE
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (version INTEGER NOT NULL)")
            current = conn.execute(f"SELECT MAX(version) FROM {table}").fetchone()[0] or 0
            if current > self.schema_target:
                conn.execute("ROLLBACK")
                raise StorageError(
                    f"{self.path}: schema of {self.WHAT} is at version {current}, newer than "
                    f"this program's {self.schema_target}: upgrade mailroom"
                )
            for version, script in self.MIGRATIONS:
                if version <= current:
                    continue
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"INSERT INTO {table} (version) VALUES (?)", (version,))
                log.info("%s %s migrated to version %d", self.WHAT, self.path, version)
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StorageError(f"cannot migrate {self.WHAT} {self.path}: {e}") from e

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
            raise self.CONFLICT(f"{what}: {e}") from e
        except sqlite3.Error as e:
            raise StorageError(f"{what} in {self.path}: {e}") from e

    def schema_version(self) -> int:
        def read() -> int:
            row = self._connection().execute(f"SELECT MAX(version) FROM {self.VERSION_TABLE}")
            return int(row.fetchone()[0] or 0)

        return self._run("reading the schema version", read)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            try:
                conn.close()
            except sqlite3.Error as e:
                log.warning("closing %s: %s", self.path, e)
