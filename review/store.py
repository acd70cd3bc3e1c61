"""The review application's own tables: users, sessions, audit trail, documents set aside,
and the messages a session is to show on its next page (flash messages).

They live in the SQL store (:mod:`storage.sql`), beside the records and dossiers: in
``<data_dir>/mailroom.sqlite3`` or on the PostgreSQL server, whichever the storage settings
name, created by the Alembic migration ``0004`` (which keeps the rows of the tables an older
``mailroom.sqlite3`` held by hand). :func:`open_review_store` opens them on the database the
settings name, or on one already open, sharing its engine; on PostgreSQL, the rows an older
``mailroom.sqlite3`` kept by hand are carried over once (:mod:`review.store_carry`).
SQLAlchemy errors become :class:`~mailroom.errors.StorageError`. Labelled examples
(corrections) are appended to a JSON Lines file in the data folder
(:meth:`ReviewStore.append_labelled_example`).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from mailroom.errors import MailroomError, StorageError
from storage import sql_database
from storage.settings import StorageSettings
from storage.sql import SqlDatabase, UtcDateTime, metadata, serial_column

log = logging.getLogger(__name__)

Role = Literal["gestionnaire", "medical", "admin"]
ROLES: tuple[Role, ...] = ("gestionnaire", "medical", "admin")

review_users = sa.Table(
    "review_users",
    metadata,
    sa.Column("username", sa.Text(), primary_key=True),
    sa.Column("password_hash", sa.Text(), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)
review_sessions = sa.Table(
    "review_sessions",
    metadata,
    sa.Column("session_id", sa.String(128), primary_key=True),
    sa.Column("username", sa.Text(), nullable=False),
    sa.Column("csrf_token", sa.String(128), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Index("review_sessions_username", "username"),
)
review_audit = sa.Table(
    "review_audit",
    metadata,
    serial_column("seq"),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("username", sa.Text(), nullable=False),
    sa.Column("action", sa.Text(), nullable=False),
    sa.Column("document_id", sa.String(128)),
    sa.Column("dossier_id", sa.String(128)),
    sa.Column("allowed", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("before", sa.Text()),
    sa.Column("after", sa.Text()),
    sa.Column("detail", sa.Text()),
    sa.Index("review_audit_document", "document_id"),
    sa.Index("review_audit_dossier", "dossier_id"),
    sqlite_autoincrement=True,
)
review_set_aside = sa.Table(
    "review_set_aside",
    metadata,
    sa.Column("document_id", sa.String(128), primary_key=True),
    sa.Column("username", sa.Text(), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("note", sa.Text()),
)
review_flash = sa.Table(
    "review_flash",
    metadata,
    serial_column("seq"),
    sa.Column("session_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Index("review_flash_session", "session_id"),
    sqlite_autoincrement=True,
)


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


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def open_review_store(
    settings: StorageSettings, database: SqlDatabase | None = None
) -> ReviewStore:
    """The review tables in the SQL database the settings name (or ``database``, one already
    open: its engine is shared), the labelled examples in the data folder."""
    store = ReviewStore(
        database if database is not None else sql_database(settings),
        labels_path=settings.data_dir / "labelled-examples.jsonl",
    )
    if store.db.dialect == "postgresql":
        from review.store_carry import carry_over_review_tables

        # the rows an older mailroom.sqlite3 kept by hand, copied once to an empty server
        carry_over_review_tables(settings.sqlite_path, store)
    return store


class ReviewStore:
    """Users, sessions, audit and set-aside documents in the SQL store; thread-safe."""

    def __init__(self, database: SqlDatabase | str, *, labels_path: Path) -> None:
        self.db = SqlDatabase.held(database)
        self.labels_path = Path(labels_path)
        self._labels_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ReviewStore({self.db!r})"

    def _rows(self, query: sa.Select[Any]) -> list[sa.Row[Any]]:
        def read() -> list[sa.Row[Any]]:
            with self.db.connect() as conn:
                return list(conn.execute(query))

        return self.db.run("reading the review tables", read)

    def _write(self, what: str, *statements: sa.Executable) -> int:
        """Run the statements in one transaction; the rows the first one touched."""

        def write() -> int:
            with self.db.transaction() as conn:
                counts = [conn.execute(s).rowcount for s in statements]
            return counts[0]

        return self.db.run(what, write)

    # --- users ---------------------------------------------------------------------------

    def add_user(self, username: str, password_hash: str, role: Role) -> User:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
        now = datetime.now(UTC)
        insert = review_users.insert().values(
            username=username, password_hash=password_hash, role=role, active=True, created_at=now
        )

        def write() -> None:
            try:
                with self.db.transaction() as conn:
                    conn.execute(insert)
            except sa.exc.IntegrityError as e:
                raise UserExists(f"the account {username} already exists") from e

        self.db.run(f"adding user {username}", write)
        return User(username, role, True, password_hash, now)

    def get_user(self, username: str) -> User | None:
        rows = self._rows(sa.select(review_users).where(review_users.c.username == username))
        return self._user(rows[0]) if rows else None

    def users(self) -> list[User]:
        rows = self._rows(sa.select(review_users).order_by(review_users.c.username))
        return [self._user(r) for r in rows]

    @staticmethod
    def _user(row: sa.Row[Any]) -> User:
        return User(row.username, row.role, bool(row.active), row.password_hash, row.created_at)

    def set_password_hash(self, username: str, password_hash: str) -> None:
        if not self._write(
            f"changing the password of {username}",
            review_users.update()
            .where(review_users.c.username == username)
            .values(password_hash=password_hash),
            self._end_sessions(username),
        ):
            raise UnknownUser(username)

    def set_active(self, username: str, active: bool) -> None:
        update = review_users.update().where(review_users.c.username == username)
        ends = () if active else (self._end_sessions(username),)
        if not self._write(f"updating {username}", update.values(active=active), *ends):
            raise UnknownUser(username)

    # --- sessions ------------------------------------------------------------------------

    def add_session(self, session: Session) -> None:
        self._write(
            "opening a session",
            review_sessions.insert().values(
                session_id=session.session_id,
                username=session.username,
                csrf_token=session.csrf_token,
                created_at=session.created_at,
                expires_at=session.expires_at,
            ),
        )

    def get_session(self, session_id: str, *, now: datetime) -> Session | None:
        rows = self._rows(
            sa.select(review_sessions)
            .where(review_sessions.c.session_id == session_id)
            .where(review_sessions.c.expires_at > now)
        )
        if not rows:
            return None
        r = rows[0]
        return Session(r.session_id, r.username, r.csrf_token, r.created_at, r.expires_at)

    def end_session(self, session_id: str) -> None:
        self._write(
            "closing a session",
            review_sessions.delete().where(review_sessions.c.session_id == session_id),
            review_flash.delete().where(review_flash.c.session_id == session_id),
        )

    def end_sessions(self, username: str) -> None:
        self._write(f"closing the sessions of {username}", self._end_sessions(username))

    @staticmethod
    def _end_sessions(username: str) -> sa.Delete:
        return review_sessions.delete().where(review_sessions.c.username == username)

    # --- flash messages ------------------------------------------------------------------

    def flash(self, session_id: str, kind: FlashKind, text: str) -> None:
        """A message for the next page this session shows (the only messages pages show:
        never text from a link)."""
        self._write(
            "keeping a message",
            review_flash.insert().values(session_id=session_id, kind=kind, text=text),
        )

    def pop_flashes(self, session_id: str) -> list[Flash]:
        """This session's waiting messages, oldest first; they are shown once (deleted and
        returned by one statement: two pages asking at once never both show one)."""
        delete = (
            review_flash.delete()
            .where(review_flash.c.session_id == session_id)
            .returning(review_flash.c.seq, review_flash.c.kind, review_flash.c.text)
        )

        def pop() -> list[Flash]:
            with self.db.transaction() as conn:
                rows = sorted(conn.execute(delete))
            return [Flash(kind=kind, text=text) for _, kind, text in rows]

        return self.db.run("reading messages", pop)

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
            review_audit.insert().values(
                at=datetime.now(UTC),
                username=username,
                action=action,
                document_id=document_id,
                dossier_id=dossier_id,
                allowed=allowed,
                before=_json_or_none(before),
                after=_json_or_none(after),
                detail=detail,
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
        query = sa.select(review_audit).order_by(review_audit.c.seq)
        if document_id is not None:
            query = query.where(review_audit.c.document_id == document_id)
        if dossier_id is not None:
            query = query.where(review_audit.c.dossier_id == dossier_id)
        if limit is not None:
            query = query.limit(int(limit))
        return [
            AuditEvent(
                seq=r.seq,
                at=r.at,
                username=r.username,
                action=r.action,
                document_id=r.document_id,
                dossier_id=r.dossier_id,
                allowed=bool(r.allowed),
                before=json.loads(r.before) if r.before is not None else None,
                after=json.loads(r.after) if r.after is not None else None,
                detail=r.detail,
            )
            for r in self._rows(query)
        ]

    # --- set aside -----------------------------------------------------------------------

    def set_aside(self, document_id: str, username: str, note: str | None = None) -> None:
        values = {
            "document_id": document_id,
            "username": username,
            "at": datetime.now(UTC),
            "note": note,
        }
        stmt = self.db.insert(review_set_aside).values(**values)
        self._write(
            f"setting {document_id} aside",
            stmt.on_conflict_do_update(
                index_elements=[review_set_aside.c.document_id],
                set_={k: stmt.excluded[k] for k in values if k != "document_id"},
            ),
        )

    def take_back(self, document_id: str) -> None:
        self._write(
            f"taking {document_id} back",
            review_set_aside.delete().where(review_set_aside.c.document_id == document_id),
        )

    def set_aside_ids(self) -> set[str]:
        return {r.document_id for r in self._rows(sa.select(review_set_aside.c.document_id))}

    def set_aside_notes(self) -> dict[str, str | None]:
        """The note left on each document set aside, by document id."""
        query = sa.select(review_set_aside.c.document_id, review_set_aside.c.note)
        return {r.document_id: r.note for r in self._rows(query)}

    # --- labelled examples ---------------------------------------------------------------

    def append_labelled_example(self, text: str, doc_type: str, fields: dict[str, str]) -> None:
        """One ``{"text", "doc_type", "fields"}`` line for ``mailroom train --labels``, in a
        JSON Lines file (not a table: the training command reads it as it is)."""
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

    def close(self) -> None:
        self.db.release()
