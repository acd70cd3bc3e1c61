"""The review tables on PostgreSQL: every method of the review store (the tests of
``tests/unit/test_review_store.py``, collected against this module's ``store``), and, with
PostgreSQL settings, nothing of the review application written to ``mailroom.sqlite3``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from pydantic import SecretStr

from mailroom.settings import Settings
from review.app import build_app
from review.auth import Authenticator, hash_password
from review.settings import ReviewSettings
from review.store import ReviewStore, open_review_store
from storage.settings import StorageSettings
from tests.integration.services import postgres_database

# The review store's tests, collected here against this module's ``store`` fixture.
from tests.unit.test_review_store import (  # noqa: F401
    test_a_closed_store_refuses_to_work,
    test_a_user_name_is_unique,
    test_audit_events_are_filtered_limited_and_numbered_in_order,
    test_audit_keeps_before_and_after_in_order,
    test_changing_a_password_ends_the_users_sessions,
    test_disabling_a_user_or_changing_the_password_ends_the_sessions,
    test_documents_are_set_aside_with_a_note_and_taken_back,
    test_expired_session_is_not_found,
    test_flash_messages_are_shown_once_in_order_and_per_session,
    test_labelled_examples_are_appended_as_json_lines,
    test_sessions_are_found_until_they_expire_and_end,
    test_unknown_role_is_refused,
    test_unknown_user_cannot_be_disabled,
    test_users_are_added_read_listed_and_changed,
)

pytestmark = pytest.mark.postgres

CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture
def pg_settings(pg_url: str, tmp_path: Path) -> StorageSettings:
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return StorageSettings(
        data_dir=tmp_path / "data",
        metadata_backend="postgresql",
        database_url=SecretStr(pg_url),
    )


@pytest.fixture
def store(pg_settings: StorageSettings) -> Iterator[ReviewStore]:
    review = open_review_store(pg_settings)
    yield review
    review.close()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_the_migrations_create_the_tables_as_the_stores_declare_them(store: ReviewStore) -> None:
    """Alembic's comparison of the migrated server with the tables the stores declare (the
    review store's included): no difference."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import storage.corrections
    import storage.fraud_sql  # noqa: F401 - their tables join the metadata
    from storage.sql import metadata

    store.users()  # migrated on first use
    with store.db.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_with_postgresql_settings_the_review_tables_are_on_the_server_only(
    pg_settings: StorageSettings,
) -> None:
    settings = Settings(storage=pg_settings)
    app = build_app(settings, ReviewSettings(session_secret="s" * 40))
    service = app.state.service
    assert service.store.db is service.metadata.db  # one engine, the server's
    store: ReviewStore = service.store
    user = store.add_user("alice", hash_password("a long password", hasher=CHEAP), "medical")
    auth = Authenticator(store, "k" * 40, max_age_s=3600, rehash=False)
    session, cookie = auth.open_session(user)
    assert auth.session_from_cookie(cookie) is not None
    store.audit("alice", "view", document_id="doc-1")
    store.set_aside("doc-1", "alice", "note")
    store.flash(session.session_id, "message", "ok")

    url = pg_settings.database_url.get_secret_value()  # type: ignore[union-attr]
    assert {"review_users", "review_sessions", "review_audit", "review_set_aside",
            "review_flash"} <= _tables(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT username FROM review_users")).all() == [("alice",)]
        assert conn.execute(sa.text("SELECT count(*) FROM review_audit")).scalar() == 1
    engine.dispose()
    sqlite_path = pg_settings.sqlite_path
    if sqlite_path.exists():
        with sqlite3.connect(sqlite_path) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
        conn.close()
        assert not [n for n in names if n.startswith("review_")], names
    for name in ("metadata", "registry", "store", "corrections"):
        getattr(service, name).close()


def test_an_older_files_review_rows_are_carried_over_to_an_empty_server_once(
    pg_settings: StorageSettings,
) -> None:
    """A deployment on PostgreSQL whose review application kept its tables in
    ``mailroom.sqlite3`` by hand (before ``0004``): the first open copies its users, sessions,
    audit trail, set-aside documents and messages to the server, the audit numbers kept and
    the next event numbered after them; the file keeps its rows; a second open copies
    nothing again."""
    from datetime import UTC, datetime

    from review.store_carry import carry_over_review_tables
    from tests.unit.test_review_adopt import _write_old_review_tables

    _write_old_review_tables(pg_settings.sqlite_path)
    store = open_review_store(pg_settings)
    try:
        users = {u.username: u for u in store.users()}
        assert set(users) == {"gestion", "ancien"}
        assert users["gestion"].password_hash == "hash-g" and users["gestion"].active
        assert not users["ancien"].active
        now = datetime(2026, 2, 3, 12, 0, tzinfo=UTC)
        live = store.get_session("live", now=now)
        assert live is not None and live.username == "gestion"
        assert store.get_session("gone", now=now) is None  # ended at 11:00 that day
        events = store.audit_events()
        assert sorted((e.seq, e.action, e.allowed) for e in events) == [
            (1, "correct_field", True), (2, "view", False)]
        assert store.set_aside_notes() == {"doc-3": "attendre le courrier"}
        assert [f.text for f in store.pop_flashes("live")] == ["enregistré"]
        store.audit("gestion", "approve", document_id="doc-4")
        assert max(e.seq for e in store.audit_events()) == 3
        # opened again (another process, a restart): nothing copied twice
        assert carry_over_review_tables(pg_settings.sqlite_path, store) == {}
        assert len(store.audit_events()) == 3
    finally:
        store.close()
    with sqlite3.connect(pg_settings.sqlite_path) as conn:
        assert conn.execute("SELECT count(*) FROM review_audit").fetchone() == (2,)
    conn.close()
