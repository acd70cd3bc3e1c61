"""A ``mailroom.sqlite3`` where the review application kept its tables by hand (``review_*``
with ``review_schema_version``, before the Alembic migration ``0004``) keeps its users,
sessions, audit trail, documents set aside and waiting messages once the review store runs
on the SQL store: whether the file's other tables were already under Alembic (``0003``) or
were themselves written by hand. The old files are built here with raw sqlite3 and the DDL
the review store used."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from review.store import Flash, ReviewStore, open_review_store
from storage import build_metadata_store
from storage.settings import StorageSettings
from storage.sql import MIGRATIONS_DIR, sqlite_url
from tests.unit.test_sqlite_adopt import OLD_SCHEMA

# the review store's own migrations, as it applied them (version 1, then 2)
OLD_REVIEW_V1 = """
CREATE TABLE review_schema_version (version INTEGER NOT NULL);
INSERT INTO review_schema_version (version) VALUES (1);
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
"""
OLD_REVIEW_V2 = """
CREATE TABLE review_flash (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX review_flash_session ON review_flash (session_id);
INSERT INTO review_schema_version (version) VALUES (2);
"""

CREATED = datetime(2026, 2, 3, 8, 30, 15, 123456, tzinfo=UTC)
LATER = datetime(2026, 2, 3, 9, 0, 0, 1, tzinfo=UTC)
NOW = datetime(2026, 2, 3, 12, 0, tzinfo=UTC)


def _write_old_review_tables(path: Path, *, version: int = 2) -> None:
    """The review tables as the hand-written store left them, with rows in each."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript(OLD_REVIEW_V1 + (OLD_REVIEW_V2 if version >= 2 else ""))
        conn.executemany(
            "INSERT INTO review_users VALUES (?, ?, ?, ?, ?)",
            [
                ("gestion", "hash-g", "gestionnaire", 1, "2026-02-03T08:30:15.123456Z"),
                ("ancien", "hash-a", "admin", 0, "2026-01-05T07:00:00.000000Z"),
            ],
        )
        conn.executemany(
            "INSERT INTO review_sessions VALUES (?, ?, ?, ?, ?)",
            [
                ("live", "gestion", "csrf-l", "2026-02-03T08:30:15.123456Z",
                 "2026-02-03T16:30:15.123456Z"),
                # ended an hour before NOW, the same day: found only if the times were
                # compared as text in two forms ("T" sorts after " ")
                ("gone", "gestion", "csrf-g", "2026-02-03T03:00:00.000000Z",
                 "2026-02-03T11:00:00.000000Z"),
            ],
        )
        conn.executemany(
            "INSERT INTO review_audit (at, username, action, document_id, dossier_id, allowed, "
            "before, after, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("2026-02-03T08:30:15.123456Z", "gestion", "correct_field", "doc-1", None, 1,
                 '{"total": "10.00"}', '{"total": "12.00"}', None),
                ("2026-02-03T09:00:00.000001Z", "ancien", "view", "doc-2", "AST-9", 0, None,
                 None, "refusé"),
            ],
        )
        conn.execute(
            "INSERT INTO review_set_aside VALUES "
            "('doc-3', 'gestion', '2026-02-03T09:00:00.000001Z', 'attendre le courrier')"
        )
        if version >= 2:
            conn.execute(
                "INSERT INTO review_flash (session_id, kind, text) VALUES ('live', 'message', "
                "'enregistré')"
            )
    conn.close()


def _file_at_0003(path: Path) -> None:
    """A file whose SQL store's tables are already under Alembic, at ``0003``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(sqlite_url(path))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
    engine.dispose()


def _file_written_by_hand(path: Path) -> None:
    """A file from before #24's SQL store: every table written by hand."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
    conn.close()


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    return names


def _check_kept(store: ReviewStore) -> None:
    users = {u.username: u for u in store.users()}
    assert sorted(users) == ["ancien", "gestion"]
    assert users["gestion"].created_at == CREATED
    assert (users["gestion"].role, users["gestion"].active) == ("gestionnaire", True)
    assert (users["ancien"].role, users["ancien"].active) == ("admin", False)
    session = store.get_session("live", now=NOW)
    assert session is not None
    assert (session.username, session.csrf_token) == ("gestion", "csrf-l")
    assert (session.created_at, session.expires_at) == (CREATED, datetime(
        2026, 2, 3, 16, 30, 15, 123456, tzinfo=UTC))
    assert store.get_session("gone", now=NOW) is None  # expired, compared as an instant
    events = store.audit_events()
    assert [(e.username, e.action, e.allowed, e.at) for e in events] == [
        ("gestion", "correct_field", True, CREATED),
        ("ancien", "view", False, LATER),
    ]
    assert (events[0].before, events[0].after) == ({"total": "10.00"}, {"total": "12.00"})
    assert (events[1].dossier_id, events[1].detail) == ("AST-9", "refusé")
    assert store.set_aside_notes() == {"doc-3": "attendre le courrier"}
    # the tables go on: a new event after the old ones, the old users still unique
    store.audit("gestion", "list")
    assert [e.seq for e in store.audit_events()][-1] > events[-1].seq
    store.set_aside("doc-3", "gestion", None)
    assert store.set_aside_notes() == {"doc-3": None}


@pytest.mark.parametrize("before", [_file_at_0003, _file_written_by_hand])
def test_the_review_rows_of_an_old_file_are_kept(tmp_path: Path, before: object) -> None:
    settings = StorageSettings(data_dir=tmp_path / "data")
    before(settings.sqlite_path)  # type: ignore[operator]
    _write_old_review_tables(settings.sqlite_path)

    store = open_review_store(settings)
    _check_kept(store)
    assert store.pop_flashes("live") == [Flash("message", "enregistré")]
    store.close()

    tables = _tables(settings.sqlite_path)
    assert "review_schema_version" not in tables and "alembic_version" in tables
    metadata = build_metadata_store(settings)
    assert metadata.schema_revision() == "0005"  # type: ignore[attr-defined]
    metadata.close()
    again = open_review_store(settings)  # a second opening adopts nothing twice
    assert [u.username for u in again.users()] == ["ancien", "gestion"]
    again.close()


def test_a_file_at_the_review_tables_first_version_gets_the_messages_table(
    tmp_path: Path,
) -> None:
    settings = StorageSettings(data_dir=tmp_path / "data")
    _file_at_0003(settings.sqlite_path)
    _write_old_review_tables(settings.sqlite_path, version=1)
    store = open_review_store(settings)
    _check_kept(store)
    store.flash("live", "error", "à revoir")
    assert store.pop_flashes("live") == [Flash("error", "à revoir")]
    store.close()
