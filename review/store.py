"""The review application's own tables: users, sessions, audit trail, documents set aside,
and the messages a session is to show on its next page (flash messages).

They live in the metadata store's SQLite file (``<data_dir>/mailroom.sqlite3``) with their
own schema version (``review_schema_version``), WAL mode and one connection per thread
(:mod:`storage.sqlite_file`), beside the SQL store's tables. sqlite3 errors become
:class:`~mailroom.errors.StorageError`. Labelled examples (corrections) are appended to a
JSON Lines file beside it (:meth:`ReviewStore.append_labelled_example`).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from mailroom.errors import MailroomError, StorageError
from storage.sqlite_file import SqliteFile

log = logging.getLogger(__name__)

T = TypeVar("T")
Role = Literal["gestionnaire", "medical", "admin"]
ROLES: tuple[Role, ...] = ("gestionnaire", "medical", "admin")

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE review_users (
            username TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE TABLE review_sessions (
            session_id TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            csrf_token TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX review_sessions_username ON review_sessions (username);
        CREATE TABLE review_audit (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            username TEXT NOT NULL,
            action TEXT NOT NULL,
            document_id TEXT,
            dossier_id TEXT,
            allowed INTEGER NOT NULL DEFAULT 1,
            before TEXT,
            after TEXT,
            detail TEXT
        );
        CREATE INDEX review_audit_document ON review_audit (document_id);
        CREATE INDEX review_audit_dossier ON review_audit (dossier_id);
        CREATE TABLE review_set_aside (
            document_id TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            at TEXT NOT NULL,
            note TEXT
        );
        """,
    ),
    (
        2,
        """
        CREATE TABLE review_flash (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL
        );
        CREATE INDEX review_flash_session ON review_flash (session_id);
        """,
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


class UserExists(MailroomError, ValueError):
    """An account with this name already exists."""


class UnknownUser(MailroomError, KeyError):
    """No account with this name."""


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    active: bool
    password_hash: str
    created_at: datetime


@dataclass(frozen=True)
class Session:
    session_id: str
    username: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime


FlashKind = Literal["message", "error"]


@dataclass(frozen=True)
class Flash:
    kind: FlashKind
    text: str


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    at: datetime
    username: str
    action: str
    document_id: str | None
    dossier_id: str | None
    allowed: bool
    before: Any
    after: Any
    detail: str | None


def _utc_text(value: datetime) -> str:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


class ReviewStore(SqliteFile):
    """Users, sessions, audit and set-aside documents in one SQLite file; thread-safe."""

    MIGRATIONS = MIGRATIONS
    VERSION_TABLE = "review_schema_version"
    WHAT = "the review tables"
    CONFLICT = UserExists

    def __init__(
        self, path: Path, *, labels_path: Path | None = None, timeout_s: float = 30.0
    ) -> None:
        self.path = Path(path)
        self.labels_path = (
            Path(labels_path) if labels_path else self.path.parent / "labelled-examples.jsonl"
        )
        super().__init__(path, timeout_s=timeout_s)
        self._labels_lock = threading.Lock()

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._run("reading", lambda: self._connection().execute(sql, params).fetchall())

    def _write(self, what: str, sql: str, params: tuple[Any, ...]) -> int:
        def write() -> int:
            with self._transaction() as conn:
                return conn.execute(sql, params).rowcount

        return self._run(what, write)

    # --- users ---------------------------------------------------------------------------

    def add_user(self, username: str, password_hash: str, role: Role) -> User:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
        now = datetime.now(UTC)
        self._write(
            f"adding user {username}",
            "INSERT INTO review_users (username, password_hash, role, active, created_at) "
            "VALUES (?, ?, ?, 1, ?)",
            (username, password_hash, role, _utc_text(now)),
        )
        return User(username, role, True, password_hash, now)

    def get_user(self, username: str) -> User | None:
        rows = self._rows(
            "SELECT username, role, active, password_hash, created_at FROM review_users "
            "WHERE username = ?",
            (username,),
        )
        return self._user(rows[0]) if rows else None

    def users(self) -> list[User]:
        rows = self._rows(
            "SELECT username, role, active, password_hash, created_at FROM review_users "
            "ORDER BY username"
        )
        return [self._user(r) for r in rows]

    @staticmethod
    def _user(row: tuple[Any, ...]) -> User:
        username, role, active, password_hash, created_at = row
        return User(username, role, bool(active), password_hash, _parse_utc(created_at))

    def set_password_hash(self, username: str, password_hash: str) -> None:
        if not self._write(
            f"changing the password of {username}",
            "UPDATE review_users SET password_hash = ? WHERE username = ?",
            (password_hash, username),
        ):
            raise UnknownUser(username)
        self.end_sessions(username)

    def set_active(self, username: str, active: bool) -> None:
        if not self._write(
            f"updating {username}",
            "UPDATE review_users SET active = ? WHERE username = ?",
            (1 if active else 0, username),
        ):
            raise UnknownUser(username)
        if not active:
            self.end_sessions(username)

    # --- sessions ------------------------------------------------------------------------

    def add_session(self, session: Session) -> None:
        self._write(
            "opening a session",
            "INSERT INTO review_sessions (session_id, username, csrf_token, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?)",
            (
                session.session_id,
                session.username,
                session.csrf_token,
                _utc_text(session.created_at),
                _utc_text(session.expires_at),
            ),
        )

    def get_session(self, session_id: str, *, now: datetime) -> Session | None:
        rows = self._rows(
            "SELECT session_id, username, csrf_token, created_at, expires_at "
            "FROM review_sessions WHERE session_id = ? AND expires_at > ?",
            (session_id, _utc_text(now)),
        )
        if not rows:
            return None
        sid, username, csrf, created, expires = rows[0]
        return Session(sid, username, csrf, _parse_utc(created), _parse_utc(expires))

    def end_session(self, session_id: str) -> None:
        self._write(
            "closing a session", "DELETE FROM review_sessions WHERE session_id = ?", (session_id,)
        )
        self._write(
            "dropping messages", "DELETE FROM review_flash WHERE session_id = ?", (session_id,)
        )

    def end_sessions(self, username: str) -> None:
        self._write(
            f"closing the sessions of {username}",
            "DELETE FROM review_sessions WHERE username = ?",
            (username,),
        )

    # --- flash messages ------------------------------------------------------------------

    def flash(self, session_id: str, kind: FlashKind, text: str) -> None:
        """A message for the next page this session shows (the only messages pages show:
        never text from a link)."""
        self._write(
            "keeping a message",
            "INSERT INTO review_flash (session_id, kind, text) VALUES (?, ?, ?)",
            (session_id, kind, text),
        )

    def pop_flashes(self, session_id: str) -> list[Flash]:
        """This session's waiting messages, oldest first; they are shown once."""

        def pop() -> list[Flash]:
            with self._transaction() as conn:
                rows = conn.execute(
                    "SELECT seq, kind, text FROM review_flash WHERE session_id = ? ORDER BY seq",
                    (session_id,),
                ).fetchall()
                if rows:
                    conn.execute(
                        "DELETE FROM review_flash WHERE session_id = ? AND seq <= ?",
                        (session_id, rows[-1][0]),
                    )
                return [Flash(kind=kind, text=text) for _, kind, text in rows]

        return self._run("reading messages", pop)

    # --- audit ---------------------------------------------------------------------------

    def audit(
        self,
        username: str,
        action: str,
        *,
        document_id: str | None = None,
        dossier_id: str | None = None,
        allowed: bool = True,
        before: Any = None,
        after: Any = None,
        detail: str | None = None,
    ) -> None:
        """Record who did (or tried) what, when, with the values before and after."""
        self._write(
            f"auditing {action}",
            "INSERT INTO review_audit (at, username, action, document_id, dossier_id, allowed, "
            "before, after, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _utc_text(datetime.now(UTC)),
                username,
                action,
                document_id,
                dossier_id,
                1 if allowed else 0,
                _json_or_none(before),
                _json_or_none(after),
                detail,
            ),
        )

    def audit_events(
        self,
        *,
        document_id: str | None = None,
        dossier_id: str | None = None,
        limit: int | None = None,
    ) -> list[AuditEvent]:
        """Events, oldest first; all of them, or one document's, or one dossier's."""
        clauses: list[str] = []
        params: list[Any] = []
        if document_id is not None:
            clauses.append("document_id = ?")
            params.append(document_id)
        if dossier_id is not None:
            clauses.append("dossier_id = ?")
            params.append(dossier_id)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = (
            "SELECT seq, at, username, action, document_id, dossier_id, allowed, before, after, "
            f"detail FROM review_audit{where} ORDER BY seq"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [
            AuditEvent(
                seq=seq,
                at=_parse_utc(at),
                username=user,
                action=action,
                document_id=doc,
                dossier_id=dossier,
                allowed=bool(allowed),
                before=json.loads(before) if before is not None else None,
                after=json.loads(after) if after is not None else None,
                detail=detail,
            )
            for seq, at, user, action, doc, dossier, allowed, before, after, detail in self._rows(
                sql, tuple(params)
            )
        ]

    # --- set aside -----------------------------------------------------------------------

    def set_aside(self, document_id: str, username: str, note: str | None = None) -> None:
        self._write(
            f"setting {document_id} aside",
            "INSERT INTO review_set_aside (document_id, username, at, note) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (document_id) DO UPDATE SET username = excluded.username, "
            "at = excluded.at, note = excluded.note",
            (document_id, username, _utc_text(datetime.now(UTC)), note),
        )

    def take_back(self, document_id: str) -> None:
        self._write(
            f"taking {document_id} back",
            "DELETE FROM review_set_aside WHERE document_id = ?",
            (document_id,),
        )

    def set_aside_ids(self) -> set[str]:
        return {r[0] for r in self._rows("SELECT document_id FROM review_set_aside")}

    def set_aside_notes(self) -> dict[str, str | None]:
        """The note left on each document set aside, by document id."""
        return {r[0]: r[1] for r in self._rows("SELECT document_id, note FROM review_set_aside")}

    # --- labelled examples ---------------------------------------------------------------

    def append_labelled_example(self, text: str, doc_type: str, fields: dict[str, str]) -> None:
        """One ``{"text", "doc_type", "fields"}`` line for ``mailroom train --labels``."""
        line = json.dumps(
            {"text": text, "doc_type": doc_type, "fields": fields}, ensure_ascii=False
        )
        try:
            with self._labels_lock:
                self.labels_path.parent.mkdir(parents=True, exist_ok=True)
                with self.labels_path.open("a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
        except OSError as e:
            raise StorageError(f"cannot append to {self.labels_path}: {e}") from e
