"""The ObjectStore contract, run on every backend."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailroom.errors import StorageError
from storage import build_object_store
from storage.base import (
    InvalidKey,
    KeyNotFound,
    ObjectStore,
    derived_key,
    original_key,
    validate_key,
)
from storage.filesystem import FilesystemObjectStore
from storage.memory import MemoryObjectStore
from storage.settings import StorageSettings

SHA = hashlib.sha256(b"facture").hexdigest()

BACKENDS: dict[str, Callable[[Path], ObjectStore]] = {
    "memory": lambda tmp: MemoryObjectStore(),
    "filesystem": lambda tmp: FilesystemObjectStore(tmp / "objects"),
}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[object]:
    from tests.integration.services import s3_service

    with s3_service() as service:
        yield service


def _s3_store(service: object) -> ObjectStore:
    from storage.s3 import MIN_PART_SIZE, S3ObjectStore

    return S3ObjectStore(
        service.endpoint,  # type: ignore[attr-defined]
        f"contract-{secrets.token_hex(6)}",  # a fresh bucket per test, created on first use
        access_key=service.access_key,  # type: ignore[attr-defined]
        secret_key=service.secret_key,  # type: ignore[attr-defined]
        secure=False,
        part_size=MIN_PART_SIZE,
        backoff_s=0.05,
    )


@pytest.fixture(params=[*sorted(BACKENDS), pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "s3":
        return _s3_store(request.getfixturevalue("s3_endpoint"))
    return BACKENDS[request.param](tmp_path)


def test_backends_satisfy_the_protocol(store: ObjectStore) -> None:
    assert isinstance(store, ObjectStore)


def test_put_then_get_returns_the_same_bytes(store: ObjectStore) -> None:
    key = original_key(SHA)
    store.put_bytes(key, b"%PDF-1.4 facture", content_type="application/pdf")
    assert store.exists(key)
    assert store.get_bytes(key) == b"%PDF-1.4 facture"
    with store.open(key) as f:
        assert f.read(4) == b"%PDF"
        assert f.read() == b"-1.4 facture"


def test_metadata_is_kept_with_the_content_type(store: ObjectStore) -> None:
    key = derived_key(SHA, "pages/1.png")
    store.put_bytes(key, b"png", content_type="image/png", metadata={"page": "1", "nom": "é"})
    assert store.metadata(key) == {"page": "1", "nom": "é", "content_type": "image/png"}
    store.put_bytes(key, b"png")
    assert store.metadata(key) == {}


def test_same_bytes_under_same_key_is_a_no_op(store: ObjectStore) -> None:
    key = original_key(SHA)
    store.put_bytes(key, b"abc", metadata={"a": "1"})
    store.put_bytes(key, b"abc", metadata={"a": "1"})
    assert list(store.list()) == [key]
    assert store.get_bytes(key) == b"abc"


def test_new_bytes_under_a_key_replace_the_old(store: ObjectStore) -> None:
    key = derived_key(SHA, "ged.json")
    store.put_bytes(key, b"old")
    store.put_bytes(key, b"new!")
    assert store.get_bytes(key) == b"new!"


def test_missing_keys_raise_key_not_found(store: ObjectStore) -> None:
    key = original_key(SHA)
    assert not store.exists(key)
    with pytest.raises(KeyNotFound):
        store.get_bytes(key)
    with pytest.raises(KeyNotFound):
        store.open(key)
    with pytest.raises(KeyNotFound):
        store.metadata(key)


def test_delete_removes_and_is_idempotent(store: ObjectStore) -> None:
    key = original_key(SHA)
    store.put_bytes(key, b"x", metadata={"a": "b"})
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)
    assert list(store.list()) == []


def test_list_filters_by_prefix_in_sorted_order(store: ObjectStore) -> None:
    other = hashlib.sha256(b"autre").hexdigest()
    keys = [
        original_key(other),
        original_key(SHA),
        derived_key(SHA, "pages/2.png"),
        derived_key(SHA, "pages/1.png"),
        "exports/2026/03.csv",
    ]
    for key in keys:
        store.put_bytes(key, key.encode())
    assert list(store.list()) == sorted(keys)
    assert list(store.list("originals/")) == sorted([original_key(other), original_key(SHA)])
    assert list(store.list(f"derived/{SHA}/pages/")) == [
        derived_key(SHA, "pages/1.png"),
        derived_key(SHA, "pages/2.png"),
    ]
    assert list(store.list("exp")) == ["exports/2026/03.csv"]
    assert list(store.list("nothing/")) == []


@pytest.mark.parametrize(
    "key",
    ["", "/etc/passwd", "../x", "a/../b", "a//b", "a/", "a\\b", "a/./b", ".meta/x", "a\nb"],
)
def test_bad_keys_are_refused_everywhere(store: ObjectStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        store.put_bytes(key, b"x")
    with pytest.raises(InvalidKey):
        store.get_bytes(key)
    with pytest.raises(InvalidKey):
        store.exists(key)
    with pytest.raises(InvalidKey):
        store.delete(key)


def test_key_helpers_build_the_documented_layout() -> None:
    assert original_key(SHA) == f"originals/{SHA[:2]}/{SHA[2:4]}/{SHA}"
    assert derived_key(SHA, "pages/1.png") == f"derived/{SHA}/pages/1.png"
    assert validate_key("a/b.c") == "a/b.c"
    with pytest.raises(InvalidKey):
        original_key("ABC")
    with pytest.raises(InvalidKey):
        derived_key(SHA, "../../originals/x")


def test_put_file_streams_a_30_mb_file_without_loading_it_whole(
    store: ObjectStore, tmp_path: Path
) -> None:
    size = 30 * 1024 * 1024
    big = tmp_path / "big.pdf"
    block = os.urandom(1024 * 1024)
    with big.open("wb") as f:
        for _ in range(size // len(block)):
            f.write(block)
    key = original_key(hashlib.sha256(b"big").hexdigest())
    kept_in_memory = size if isinstance(store, MemoryObjectStore) else 0
    tracemalloc.start()
    try:
        store.put_file(key, big, content_type="application/pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - kept_in_memory < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    with store.open(key) as f:
        digest = hashlib.sha256()
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(big.read_bytes()).hexdigest()
    assert store.metadata(key) == {"content_type": "application/pdf"}


def test_concurrent_puts_of_the_same_key_leave_one_whole_object(store: ObjectStore) -> None:
    key = original_key(SHA)
    payloads = [bytes([i]) * 200_000 for i in range(8)]
    threads = [threading.Thread(target=store.put_bytes, args=(key, p)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get_bytes(key) in payloads
    assert list(store.list()) == [key]


# --- filesystem specifics ------------------------------------------------------------------


def test_filesystem_layout_is_readable_by_people(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path)
    store.put_bytes(original_key(SHA), b"x", content_type="application/pdf")
    assert (tmp_path / "originals" / SHA[:2] / SHA[2:4] / SHA).read_bytes() == b"x"
    leftovers = [p for p in tmp_path.rglob("*.tmp")]
    assert leftovers == []


def test_filesystem_constructor_touches_nothing(tmp_path: Path) -> None:
    FilesystemObjectStore(tmp_path / "later")
    assert not (tmp_path / "later").exists()


def test_filesystem_os_errors_become_storage_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"not a folder")
    store = FilesystemObjectStore(blocker)
    with pytest.raises(StorageError):
        store.put_bytes(original_key(SHA), b"x")


def test_filesystem_failed_write_keeps_the_old_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FilesystemObjectStore(tmp_path)
    key = original_key(SHA)
    store.put_bytes(key, b"old")

    def boom(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(StorageError):
        store.put_bytes(key, b"new")
    monkeypatch.undo()
    assert store.get_bytes(key) == b"old"
    assert [p.name for p in tmp_path.rglob("*.tmp")] == []


def test_build_object_store_follows_the_settings(tmp_path: Path) -> None:
    store = build_object_store(StorageSettings(data_dir=tmp_path))
    assert isinstance(store, FilesystemObjectStore)
    assert store.root == tmp_path / "objects"
