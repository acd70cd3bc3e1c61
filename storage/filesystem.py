"""The embedded object store: a folder tree, one file per key.

The key is the path under ``root`` (``originals/ab/cd/<sha256>``), so an operator can find an
original with ``ls``. Metadata lives in a sidecar JSON under ``root/.meta/<key>.json``; keys
never have dot-segments, so sidecars and temporary files cannot collide with objects.

Every write goes to a temporary file in the destination folder, is fsynced and then renamed
over the destination with :func:`os.replace`, so a reader sees the old object or the new one,
never half of one, even across a crash. Putting the same bytes again under the same key is a
no-op (compared by size then SHA-256, streamed). OS errors become
:class:`~mailroom.errors.StorageError`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from mailroom.errors import StorageError
from storage.base import KeyNotFound, validate_key

log = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
_META_DIR = ".meta"


class FilesystemObjectStore:
    """Objects as files under ``root``; nothing is touched on disk until the first call."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FilesystemObjectStore({str(self.root)!r})"

    # --- paths ---------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def _meta_path(self, key: str) -> Path:
        parts = validate_key(key).split("/")
        return self.root.joinpath(_META_DIR, *parts[:-1], parts[-1] + ".json")

    # --- writes --------------------------------------------------------------------------

    def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        path = self._path(key)
        sidecar = _sidecar(content_type, metadata)
        try:
            if not self._same_content(path, len(data), lambda: _hash_bytes(data)):
                _atomic_write(path, lambda out: out.write(data))
            self._write_sidecar(key, sidecar)
        except OSError as e:
            raise StorageError(f"cannot store {key!r} under {self.root}: {e}") from e

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        target = self._path(key)
        sidecar = _sidecar(content_type, metadata)
        source = Path(path)
        try:
            size = source.stat().st_size
            if not self._same_content(target, size, lambda: _hash_file(source)):

                def copy(out: BinaryIO) -> None:
                    with source.open("rb") as src:
                        shutil.copyfileobj(src, out, CHUNK_SIZE)

                _atomic_write(target, copy)
            self._write_sidecar(key, sidecar)
        except OSError as e:
            raise StorageError(f"cannot store {source} as {key!r} under {self.root}: {e}") from e

    def _same_content(self, path: Path, size: int, digest: Callable[[], str]) -> bool:
        try:
            if path.stat().st_size != size:
                return False
        except FileNotFoundError:
            return False
        return _hash_file(path) == digest()

    def _write_sidecar(self, key: str, sidecar: dict[str, object]) -> None:
        meta_path = self._meta_path(key)
        payload = json.dumps(sidecar, sort_keys=True, ensure_ascii=False).encode("utf-8")
        try:
            if meta_path.read_bytes() == payload:
                return
        except FileNotFoundError:
            pass
        _atomic_write(meta_path, lambda out: out.write(payload))

    def delete(self, key: str) -> None:
        path = self._path(key)
        meta_path = self._meta_path(key)
        try:
            for p in (path, meta_path):
                try:
                    p.unlink()
                except FileNotFoundError:
                    continue
                self._prune(p.parent)
        except OSError as e:
            raise StorageError(f"cannot delete {key!r} under {self.root}: {e}") from e

    def _prune(self, folder: Path) -> None:
        """Remove folders left empty, up to (not including) the root."""
        root = self.root.resolve()
        while folder.resolve() != root and root in folder.resolve().parents:
            try:
                folder.rmdir()
            except OSError:  # not empty, or gone: stop
                return
            folder = folder.parent

    # --- reads ---------------------------------------------------------------------------

    def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as e:
            raise KeyNotFound(key) from e
        except OSError as e:
            raise StorageError(f"cannot read {key!r} under {self.root}: {e}") from e

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            if not path.is_file():
                raise KeyNotFound(key)
            return path.open("rb")
        except FileNotFoundError as e:
            raise KeyNotFound(key) from e
        except OSError as e:
            raise StorageError(f"cannot open {key!r} under {self.root}: {e}") from e

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except OSError as e:
            raise StorageError(f"cannot check {key!r} under {self.root}: {e}") from e

    def metadata(self, key: str) -> dict[str, str]:
        if not self.exists(key):
            raise KeyNotFound(key)
        try:
            raw = json.loads(self._meta_path(key).read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            raise StorageError(f"cannot read the metadata of {key!r}: {e}") from e
        result = {str(k): str(v) for k, v in (raw.get("metadata") or {}).items()}
        if raw.get("content_type"):
            result["content_type"] = str(raw["content_type"])
        return result

    def list(self, prefix: str = "") -> Iterator[str]:
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self._path(folder) if folder else self.root
        keys: list[str] = []
        try:
            for dirpath, dirnames, filenames in os.walk(start):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                rel = Path(dirpath).relative_to(self.root).as_posix()
                for name in filenames:
                    if name.startswith("."):
                        continue
                    key = name if rel == "." else f"{rel}/{name}"
                    if key.startswith(prefix):
                        keys.append(key)
        except OSError as e:
            raise StorageError(f"cannot list {prefix!r} under {self.root}: {e}") from e
        yield from sorted(keys)


def _sidecar(content_type: str | None, metadata: dict[str, str] | None) -> dict[str, object]:
    return {"content_type": content_type, "metadata": dict(metadata or {})}


def _hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write via a temporary file in the same folder, fsync, rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some filesystems do not open folders; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
