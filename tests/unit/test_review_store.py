"""The review tables and the ``mailroom users`` commands."""

from __future__ import annotations

import argparse
import io
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from mailroom.settings import Settings
from review.auth import Authenticator, WeakPassword, hash_password
from review.cli import add_review_commands
from review.store import ReviewStore, Session, UnknownUser, UserExists
from storage.settings import StorageSettings

CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    return ReviewStore(tmp_path / "mailroom.sqlite3")


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
    store = ReviewStore(tmp_path / "mailroom.sqlite3")
    user = store.get_user("marie")
    assert user is not None and not user.active
    assert (
        Authenticator(store, "k" * 40, max_age_s=60).authenticate("marie", "another pw 123") is None
    )
