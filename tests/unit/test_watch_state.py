"""The watchers' journal, backoff, status files, health and command-line wiring."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from ingest.settings import FolderWatchSettings
from ingest.watch_folder import move_durably
from ingest.watch_state import (
    Journal,
    MessageRecord,
    StatusFile,
    TakenFile,
    WatcherStatus,
    backoff_delay,
    read_statuses,
)
from mailroom.settings import Settings
from mailroom.watch import add_watch_commands, folder_settings, health, imap_settings


def test_backoff_doubles_from_the_base_and_is_capped() -> None:
    delays = [backoff_delay(n, base_s=30, max_s=300) for n in range(0, 7)]
    assert delays == [0.0, 30.0, 60.0, 120.0, 240.0, 300.0, 300.0]


def test_the_journal_survives_a_reopen_and_forgets_released_files(tmp_path: Path) -> None:
    with Journal.under(tmp_path) as journal:
        journal.take_file(TakenFile("a/scan.pdf", 10, 123, "ab" * 32))
        journal.put_message(MessageRecord("box", 1, 5, "failed", "cd" * 32, 2, 99.0, "boom"))
    with Journal.under(tmp_path) as journal:
        assert journal.taken_file("a/scan.pdf") == TakenFile("a/scan.pdf", 10, 123, "ab" * 32)
        [record] = journal.messages("box", state="failed")
        assert (record.uid, record.tries, record.last_error) == (5, 2, "boom")
        journal.release_file("a/scan.pdf")
        journal.forget_message("box", 1, 5)
        assert journal.taken_files() == [] and journal.messages("box") == []


def test_a_status_file_is_rewritten_whole_and_read_back_with_liveness(tmp_path: Path) -> None:
    status = StatusFile(tmp_path, WatcherStatus(name="drop", kind="folder", target="/in"))
    status.update(force=True, state="idle", backlog=3)
    [read] = read_statuses(tmp_path)
    assert read["backlog"] == 3 and read["alive"] is True and read["pid"] == os.getpid()
    status.update(force=True, state="stopped")
    [read] = read_statuses(tmp_path)
    assert read["alive"] is False
    assert not [p for p in (tmp_path / "watch").iterdir() if p.name.endswith(".tmp")]


def test_health_of_a_dead_watcher_says_it_is_not_alive(tmp_path: Path) -> None:
    status = WatcherStatus(name="imap-x", kind="imap", target="u@h/INBOX", pid=2**22 + 12345)
    status.state = "idle"
    (tmp_path / "watch").mkdir()
    (tmp_path / "watch" / "imap-x.status.json").write_text(json.dumps(status.to_json()))
    [read] = health(tmp_path)
    assert read["alive"] is False
    assert read["stale_s"] is not None and read["stale_s"] >= 0


def test_a_move_never_overwrites_a_file_already_processed(tmp_path: Path) -> None:
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "scan.pdf").write_bytes(b"first")
    src = tmp_path / "scan.pdf"
    src.write_bytes(b"second")
    dest = move_durably(src, tmp_path / "done" / "scan.pdf")
    assert dest.name == "scan-1.pdf" and dest.read_bytes() == b"second"
    assert (tmp_path / "done" / "scan.pdf").read_bytes() == b"first"
    assert not src.exists()


def test_watch_sections_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILROOM_WATCH__MODE", "polling")
    monkeypatch.setenv("MAILROOM_WATCH__STABLE_DELAY_S", "12.5")
    monkeypatch.setenv("MAILROOM_WATCH__ROUTES", '{"courriel": {"channel": "email"}}')
    monkeypatch.setenv("MAILROOM_IMAP__HOST", "imap.example")
    monkeypatch.setenv("MAILROOM_IMAP__PASSWORD", "pw")
    monkeypatch.setenv("MAILROOM_IMAP__MARK", "move")
    settings = Settings()
    watch = folder_settings(settings)
    assert isinstance(watch, FolderWatchSettings)
    assert (watch.mode, watch.stable_delay_s) == ("polling", 12.5)
    assert watch.routes["courriel"].channel == "email"
    imap = imap_settings(settings)
    assert (imap.host, imap.mark, imap.password.get_secret_value()) == (
        "imap.example",
        "move",
        "pw",
    )


def test_the_watch_commands_parse_and_point_to_their_functions() -> None:
    parser = argparse.ArgumentParser()
    add_watch_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["watch", "folder", "/srv/scans", "--polling", "--stable-delay", "2"])
    assert (args.dir, args.polling, args.stable_delay) == (Path("/srv/scans"), True, 2.0)
    assert callable(args.func)
    assert parser.parse_args(["watch", "imap"]).func.__name__ == "cmd_watch_imap"
    assert parser.parse_args(["watch", "status", "--json"]).json is True
