"""The review tables and the ``mailroom users`` commands."""

from __future__ import annotations

import argparse
import io
import json
import sqlite3
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from mailroom.errors import StorageError
from mailroom.models import Document, Source, document_id_for
from mailroom.settings import Settings
from review.app import build_app
from review.auth import Authenticator, WeakPassword, hash_password
from review.cli import add_review_commands
from review.settings import ReviewSettings
from review.store import Flash, ReviewStore, Session, UnknownUser, UserExists, open_review_store
from storage import sql_database
from storage.settings import StorageSettings
from storage.sql import SqlDossierRegistry, SqlMetadataStore

CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    return open_review_store(StorageSettings(data_dir=tmp_path))


def test_a_user_name_is_unique(store: ReviewStore) -> None:
    store.add_user("alice", hash_password("long enough pw", hasher=CHEAP), "gestionnaire")
    with pytest.raises(UserExists):
        store.add_user("alice", hash_password("long enough pw", hasher=CHEAP), "admin")


def test_unknown_role_is_refused(store: ReviewStore) -> None:
    with pytest.raises(ValueError):
        store.add_user("bob", "hash", "boss")  # type: ignore[arg-type]


def test_short_passwords_are_refused() -> None:
    with pytest.raises(WeakPassword):
        hash_password("short")


def test_expired_session_is_not_found(store: ReviewStore) -> None:
    now = datetime.now(UTC)
    store.add_session(Session("s1", "alice", "tok", now - timedelta(hours=9), now - timedelta(1)))
    assert store.get_session("s1", now=now) is None


def test_changing_a_password_ends_the_users_sessions(store: ReviewStore) -> None:
    auth = Authenticator(store, "k" * 40, max_age_s=3600, rehash=False)
    user = store.add_user("alice", hash_password("first password", hasher=CHEAP), "gestionnaire")
    _, cookie = auth.open_session(user)
    assert auth.session_from_cookie(cookie) is not None
    store.set_password_hash("alice", hash_password("second password", hasher=CHEAP))
    assert auth.session_from_cookie(cookie) is None
    assert auth.authenticate("alice", "first password") is None
    assert auth.authenticate("alice", "second password") is not None


def test_unknown_user_cannot_be_disabled(store: ReviewStore) -> None:
    with pytest.raises(UnknownUser):
        store.set_active("nobody", False)


def test_audit_keeps_before_and_after_in_order(store: ReviewStore) -> None:
    store.audit("alice", "correct_field", document_id="d1", before={"a": 1}, after={"a": 2})
    store.audit("bob", "view", document_id="d1", allowed=False, detail="refusé")
    store.audit("bob", "view", document_id="d2")
    events = store.audit_events(document_id="d1")
    assert [(e.username, e.allowed) for e in events] == [("alice", True), ("bob", False)]
    assert (events[0].before, events[0].after) == ({"a": 1}, {"a": 2})


def test_labelled_examples_are_appended_as_json_lines(store: ReviewStore) -> None:
    store.append_labelled_example("texte un", "invoice", {"total_incl_tax": "1.00"})
    store.append_labelled_example("texte deux", "receipt", {})
    lines = store.labels_path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["doc_type"] for x in lines] == ["invoice", "receipt"]


def _run(argv: list[str], data_dir: Path, stdin: str = "") -> int:
    parser = argparse.ArgumentParser()
    add_review_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    settings = Settings(storage=StorageSettings(data_dir=data_dir))
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return int(args.func(args, settings))
    finally:
        sys.stdin = saved


def test_users_commands_add_list_passwd_disable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ["users", "add", "marie", "--role", "medical", "--password-stdin"]
    assert _run(add, tmp_path, "a good password\n") == 0
    assert _run(add, tmp_path, "a good password\n") == 2  # already there
    assert _run(["users", "add", "x", "--role", "admin", "--password-stdin"], tmp_path, "s\n") == 2
    assert _run(["users", "passwd", "marie", "--password-stdin"], tmp_path, "another pw 123\n") == 0
    assert _run(["users", "disable", "marie"], tmp_path) == 0
    assert _run(["users", "disable", "nobody"], tmp_path) == 2
    capsys.readouterr()
    assert _run(["users", "list"], tmp_path) == 0
    assert capsys.readouterr().out.split("\t")[:3] == ["marie", "medical", "désactivé"]
    store = open_review_store(StorageSettings(data_dir=tmp_path))
    user = store.get_user("marie")
    assert user is not None and not user.active
    assert (
        Authenticator(store, "k" * 40, max_age_s=60).authenticate("marie", "another pw 123") is None
    )


# --- every method of the store, on SQLite here and on PostgreSQL in
# tests/integration/test_review_store_pg.py (which collects these functions) -------------


def test_users_are_added_read_listed_and_changed(store: ReviewStore) -> None:
    added = store.add_user("zoe", "hash-z", "medical")
    store.add_user("adam", "hash-a", "admin")
    assert store.get_user("zoe") == added
    assert added.created_at.tzinfo is not None
    assert store.get_user("nobody") is None
    assert [(u.username, u.role, u.active) for u in store.users()] == [
        ("adam", "admin", True),
        ("zoe", "medical", True),
    ]
    store.set_password_hash("zoe", "hash-z2")
    store.set_active("adam", False)
    zoe, adam = store.get_user("zoe"), store.get_user("adam")
    assert zoe is not None and zoe.password_hash == "hash-z2" and zoe.active
    assert adam is not None and not adam.active
    store.set_active("adam", True)
    assert store.get_user("adam").active  # type: ignore[union-attr]
    with pytest.raises(UnknownUser):
        store.set_password_hash("nobody", "hash")


def test_sessions_are_found_until_they_expire_and_end(store: ReviewStore) -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    paris = timezone(timedelta(hours=1))
    session = Session("s1", "alice", "csrf-1", now, now + timedelta(hours=8))
    store.add_session(session)
    store.add_session(Session("s2", "alice", "csrf-2", now, now + timedelta(hours=8)))
    store.add_session(Session("s3", "bob", "csrf-3", now, now + timedelta(hours=8)))
    assert store.get_session("s1", now=now) == session
    # compared as instants: 17:30 in Paris is 16:30 UTC, before the end at 17:00 UTC
    assert store.get_session("s1", now=datetime(2026, 3, 2, 17, 30, tzinfo=paris)) is not None
    assert store.get_session("s1", now=now + timedelta(hours=8)) is None
    store.end_session("s1")
    assert store.get_session("s1", now=now) is None
    store.end_sessions("alice")
    assert store.get_session("s2", now=now) is None
    assert store.get_session("s3", now=now) is not None


def test_disabling_a_user_or_changing_the_password_ends_the_sessions(
    store: ReviewStore,
) -> None:
    now = datetime.now(UTC)
    for name in ("alice", "bob"):
        store.add_user(name, "hash", "gestionnaire")
        store.add_session(Session(f"s-{name}", name, "t", now, now + timedelta(hours=1)))
    store.set_active("alice", False)
    store.set_password_hash("bob", "hash2")
    assert store.get_session("s-alice", now=now) is None
    assert store.get_session("s-bob", now=now) is None


def test_flash_messages_are_shown_once_in_order_and_per_session(store: ReviewStore) -> None:
    store.flash("s1", "message", "premier")
    store.flash("s2", "error", "autre session")
    store.flash("s1", "error", "second")
    assert store.pop_flashes("s1") == [Flash("message", "premier"), Flash("error", "second")]
    assert store.pop_flashes("s1") == []
    store.flash("s2", "message", "encore")
    store.end_session("s2")  # a closed session's messages go with it
    assert store.pop_flashes("s2") == []


def test_audit_events_are_filtered_limited_and_numbered_in_order(store: ReviewStore) -> None:
    store.audit("alice", "view", document_id="d1", dossier_id="AST-1")
    store.audit("alice", "correct_field", document_id="d1", before=None, after=["x", 2])
    store.audit("bob", "view", dossier_id="AST-1", allowed=False, detail="hors périmètre")
    store.audit("bob", "list")
    events = store.audit_events()
    assert [e.action for e in events] == ["view", "correct_field", "view", "list"]
    assert [e.seq for e in events] == sorted({e.seq for e in events})
    assert all(e.at.tzinfo is not None for e in events)
    assert events[1].before is None and events[1].after == ["x", 2]
    assert [e.username for e in store.audit_events(dossier_id="AST-1")] == ["alice", "bob"]
    assert [e.action for e in store.audit_events(document_id="d1", dossier_id="AST-1")] == [
        "view"
    ]
    assert [e.action for e in store.audit_events(limit=2)] == ["view", "correct_field"]
    refused = store.audit_events(dossier_id="AST-1")[1]
    assert (refused.allowed, refused.detail, refused.document_id) == (
        False,
        "hors périmètre",
        None,
    )


def test_documents_are_set_aside_with_a_note_and_taken_back(store: ReviewStore) -> None:
    store.set_aside("d1", "alice", "attendre le RIB")
    store.set_aside("d2", "bob")
    store.set_aside("d1", "bob", "relancé")  # again: the latest note
    assert store.set_aside_ids() == {"d1", "d2"}
    assert store.set_aside_notes() == {"d1": "relancé", "d2": None}
    store.take_back("d1")
    store.take_back("d-never-set-aside")
    assert store.set_aside_ids() == {"d2"}


def test_a_closed_store_refuses_to_work(store: ReviewStore) -> None:
    store.users()
    store.close()
    with pytest.raises(StorageError):
        store.users()


# --- SQLite only -------------------------------------------------------------------------


def test_the_review_store_and_the_sql_stores_open_one_new_file_from_many_threads(
    tmp_path: Path,
) -> None:
    database = sql_database(StorageSettings(data_dir=tmp_path))
    metadata = SqlMetadataStore(database)
    registry = SqlDossierRegistry(database)
    review = open_review_store(StorageSettings(data_dir=tmp_path), database)
    errors: list[BaseException] = []
    start = threading.Barrier(12)

    def work(i: int) -> None:
        try:
            start.wait()
            sha = f"{i:02x}" + "0" * 62
            metadata.save(Document(document_id=document_id_for(sha), sha256=sha, source=Source()))
            registry.all()
            review.audit(f"user{i}", "list")
            review.flash(f"s{i}", "message", "ok")
            assert review.pop_flashes(f"s{i}") == [Flash("message", "ok")]
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(review.audit_events()) == 12
    assert len(metadata.list_documents()) == 12
    for store in (metadata, registry, review):
        store.close()


def test_the_review_application_shares_the_sql_stores_engine(tmp_path: Path) -> None:
    settings = Settings(storage=StorageSettings(data_dir=tmp_path))
    app = build_app(settings, ReviewSettings(session_secret="s" * 40))
    service = app.state.service
    assert service.store.db is service.metadata.db is service.registry.db
    assert service.corrections.db is service.store.db
    service.store.add_user("alice", "hash", "gestionnaire")
    with sqlite3.connect(tmp_path / "mailroom.sqlite3") as conn:
        [(name,)] = conn.execute("SELECT username FROM review_users").fetchall()
    conn.close()
    assert name == "alice"
