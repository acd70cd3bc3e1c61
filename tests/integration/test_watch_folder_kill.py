"""The folder watcher as a real process, killed with SIGKILL in the middle of a 40-file batch
written the way scanners write, then restarted: every file is processed exactly once."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mailroom.models import FINAL_STATUSES, Status
from storage.sql import SqlMetadataStore, sqlite_url

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow]


def _pdf(index: int) -> bytes:
    """A one-page born-digital PDF with a text layer (no OCR needed), different each time."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(72, 760, f"Garage Dupuis - Facture n° F-2026-{index:05d}")
    c.drawString(72, 740, f"Réparation du véhicule, dossier AST-2026-{index:06d}")
    c.drawString(72, 720, f"Total TTC : {100 + index},00 EUR")
    c.save()
    return out.getvalue()


def _write_like_a_scanner(inbox: Path, index: int, data: bytes) -> None:
    """Even files: a temporary name written in chunks, then renamed. Odd files: written in
    place, slowly, in chunks (the watcher must wait until they are stable)."""
    name = f"scan-{index:03d}.pdf"
    chunk = max(1, len(data) // 4)
    if index % 2 == 0:
        tmp = inbox / f".{name}.part"
        with tmp.open("wb") as f:
            for i in range(0, len(data), chunk):
                f.write(data[i : i + chunk])
                f.flush()
                time.sleep(0.01)
        tmp.rename(inbox / name)
    else:
        with (inbox / name).open("wb") as f:
            for i in range(0, len(data), chunk):
                f.write(data[i : i + chunk])
                f.flush()
                time.sleep(0.08)


def _start(inbox: Path, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MAILROOM_STORAGE__DATA_DIR": str(data_dir),
        "MAILROOM_OCR__WORKERS": "1",
        "MAILROOM_WATCH__STABLE_DELAY_S": "0.5",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailroom.watch",
            "--log-level",
            "INFO",
            "watch",
            "folder",
            str(inbox),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


def _status(data_dir: Path) -> dict[str, Any]:
    for path in (data_dir / "watch").glob("*.status.json"):
        try:
            return dict(json.loads(path.read_text()))
        except ValueError:
            return {}
    return {}


def _in_flight(data_dir: Path) -> int:
    """How many records are ``received``: stored, not yet finished."""
    db = data_dir / "mailroom.sqlite3"
    if not db.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT count(*) FROM documents WHERE status = 'received'")
            return int(row.fetchone()[0])
    except sqlite3.Error:
        return 0


def _wait_for(condition: Callable[[], bool], timeout_s: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError(f"{what} not reached in {timeout_s} s; log:\n{log.read_text()[-3000:]}")


def _inbox_files(inbox: Path) -> list[Path]:
    return [p for p in inbox.iterdir() if p.is_file()]


def _processed(inbox: Path) -> list[Path]:
    """Files moved out of the drop folder: to processed/ or (a bad document) quarantine/."""
    return [
        p
        for folder in (inbox / "processed", inbox / "quarantine")
        if folder.exists()
        for p in folder.rglob("*")
        if p.is_file()
    ]


def test_sigkill_mid_batch_then_restart_processes_every_file_exactly_once(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data_dir = tmp_path / "data"
    log = tmp_path / "watcher.log"
    files = {index: _pdf(index) for index in range(40)}
    digests = {hashlib.sha256(data).hexdigest() for data in files.values()}
    assert len(digests) == 40

    first = _start(inbox, data_dir, log)

    def write_all() -> None:
        for index, data in files.items():
            _write_like_a_scanner(inbox, index, data)

    writer = threading.Thread(target=write_all)
    writer.start()
    try:
        # Kill while a document is in the pipeline (its original stored, its record still
        # ``received``), a few files into the batch.
        _wait_for(
            lambda: int(_status(data_dir).get("processed") or 0) >= 5 and _in_flight(data_dir) > 0,
            timeout_s=90,
            what="the watcher busy with its sixth file",
            log=log,
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
    finally:
        writer.join(timeout=60)
        if first.poll() is None:
            first.kill()
    killed_after = len(_processed(inbox))
    assert 0 < killed_after < 40, "the kill must fall in the middle of the batch"

    second = _start(inbox, data_dir, log)
    try:
        _wait_for(
            lambda: len(_processed(inbox)) == 40 and not _inbox_files(inbox),
            timeout_s=120,
            what="all 40 files moved out of the drop folder",
            log=log,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert second.returncode == 0, log.read_text()[-3000:]

    store = SqlMetadataStore(sqlite_url(data_dir / "mailroom.sqlite3"))
    try:
        arrivals = store.arrivals()
        assert not [a for a in arrivals if a.status is Status.DUPLICATE]
        assert len(arrivals) == 40
        for sha in digests:
            doc = store.find_by_sha256(sha)
            assert doc is not None and doc.status in FINAL_STATUSES
            [arrival] = store.arrivals(doc.document_id)
            assert arrival.status is not Status.DUPLICATE
    finally:
        store.close()
    moved = {hashlib.sha256(p.read_bytes()).hexdigest() for p in _processed(inbox)}
    assert moved == digests
    assert _status(data_dir).get("state") == "stopped"
