"""In-memory stores for unit tests. They obey the same contract tests as the real backends."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from mailroom.models import Document, Status
from storage.base import Arrival, KeyNotFound, StorageConflict, validate_key


@dataclass(frozen=True)
class _Object:
    data: bytes | bytearray
    content_type: str | None
    metadata: dict[str, str]


class MemoryObjectStore:
    def __init__(self) -> None:
        self._objects: dict[str, _Object] = {}
        self._lock = threading.Lock()

    def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        validate_key(key)
        with self._lock:
            self._objects[key] = _Object(bytes(data), content_type, dict(metadata or {}))

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        validate_key(key)
        # Read into one preallocated buffer: the object is kept whole anyway, but the file is
        # never held twice.
        with Path(path).open("rb") as f:
            size = Path(path).stat().st_size
            buffer = bytearray(size)
            view = memoryview(buffer)
            filled = 0
            while filled < size:
                n = f.readinto(view[filled:])
                if not n:
                    break
                filled += n
            view.release()
            del buffer[filled:]
        with self._lock:
            self._objects[key] = _Object(buffer, content_type, dict(metadata or {}))

    def _get(self, key: str) -> _Object:
        validate_key(key)
        try:
            return self._objects[key]
        except KeyError as e:
            raise KeyNotFound(key) from e

    def get_bytes(self, key: str) -> bytes:
        return bytes(self._get(key).data)

    def open(self, key: str) -> BinaryIO:
        return io.BytesIO(self._get(key).data)

    def exists(self, key: str) -> bool:
        validate_key(key)
        return key in self._objects

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._lock:
            self._objects.pop(key, None)

    def list(self, prefix: str = "") -> Iterator[str]:
        with self._lock:
            keys = sorted(k for k in self._objects if k.startswith(prefix))
        yield from keys

    def metadata(self, key: str) -> dict[str, str]:
        obj = self._get(key)
        result = dict(obj.metadata)
        if obj.content_type:
            result["content_type"] = obj.content_type
        return result


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MemoryMetadataStore:
    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}
        self._arrivals: dict[str, Arrival] = {}
        self._lock = threading.Lock()

    def save(self, doc: Document) -> None:
        with self._lock:
            for other in self._docs.values():
                if other.sha256 == doc.sha256 and other.document_id != doc.document_id:
                    raise StorageConflict(
                        f"{doc.document_id}: sha256 already stored as {other.document_id}"
                    )
            self._docs[doc.document_id] = doc.model_copy(deep=True)

    def get(self, document_id: str) -> Document | None:
        doc = self._docs.get(document_id)
        return None if doc is None else doc.model_copy(deep=True)

    def find_by_sha256(self, sha256: str) -> Document | None:
        for doc in self._docs.values():
            if doc.sha256 == sha256:
                return doc.model_copy(deep=True)
        return None

    def list_documents(
        self, *, status: Status | None = None, limit: int | None = None
    ) -> list[Document]:
        docs = [d for d in self._docs.values() if status is None or d.status == status]
        docs.sort(key=lambda d: d.document_id)
        docs.sort(key=lambda d: _utc(d.received_at), reverse=True)
        if limit is not None:
            docs = docs[: max(0, limit)]
        return [d.model_copy(deep=True) for d in docs]

    def record_arrival(self, arrival: Arrival) -> None:
        with self._lock:
            self._arrivals[arrival.arrival_id] = arrival

    def arrivals(self, document_id: str | None = None) -> list[Arrival]:
        found = [
            a
            for a in self._arrivals.values()
            if document_id is None or a.document_id == document_id
        ]
        return sorted(found, key=lambda a: _utc(a.received_at))

    def close(self) -> None:
        return None
