"""The two stores every pipeline needs, as Protocols, and the key rules they share.

The object store holds bytes: originals, content-addressed under ``originals/ab/cd/<sha256>``,
and derived artefacts (page images, GED exports) under ``derived/<sha256>/<name>``. The
metadata store holds the :class:`~mailroom.models.Document` records and every arrival of
bytes (the same file received twice is one document and two arrivals).

Backends translate their library's or the OS's errors into
:class:`~mailroom.errors.StorageError`; a missing key is :class:`KeyNotFound`, a bad key
:class:`InvalidKey`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from mailroom.errors import MailroomError
from mailroom.models import Document, Source, Status

_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAX_KEY_LENGTH = 1024


class InvalidKey(MailroomError, ValueError):
    """A key that could escape the store or is not portable across backends."""


class StorageConflict(MailroomError, ValueError):
    """A record that contradicts one already stored (another document with the same bytes)."""


class KeyNotFound(MailroomError, KeyError):
    """No object under this key."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)

    def __str__(self) -> str:
        return f"no object under key {self.key!r}"


def validate_key(key: str) -> str:
    """The key itself if it is a relative, slash-separated path with no empty or dot segment."""
    if not isinstance(key, str) or not key:
        raise InvalidKey("empty key")
    if len(key) > _MAX_KEY_LENGTH:
        raise InvalidKey(f"key longer than {_MAX_KEY_LENGTH} characters")
    if key.startswith("/"):
        raise InvalidKey(f"absolute key: {key!r}")
    if "\\" in key:
        raise InvalidKey(f"backslash in key: {key!r}")
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise InvalidKey(f"control character in key: {key!r}")
    for segment in key.split("/"):
        if segment == "":
            raise InvalidKey(f"empty segment in key: {key!r}")
        if segment.startswith("."):
            # ".", ".." and hidden names: backends keep their own temporary and sidecar
            # files under dot-names, so keys never use them.
            raise InvalidKey(f"segment starting with a dot in key: {key!r}")
    return key


def _check_sha256(sha256: str) -> str:
    if not _SHA256.fullmatch(sha256):
        raise InvalidKey(f"not a lower-case hex SHA-256: {sha256!r}")
    return sha256


def original_key(sha256: str) -> str:
    """Where the original bytes with this digest live: ``originals/ab/cd/<sha256>``."""
    _check_sha256(sha256)
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def derived_key(sha256: str, name: str) -> str:
    """Where an artefact derived from a document lives: ``derived/<sha256>/<name>``.

    ``name`` may have sub-folders (``pages/1.png``) but obeys the key rules.
    """
    _check_sha256(sha256)
    return validate_key(f"derived/{sha256}/{validate_key(name)}")


@runtime_checkable
class ObjectStore(Protocol):
    def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None: ...

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        """Store a file's content, streamed: never read whole into memory."""
        ...

    def get_bytes(self, key: str) -> bytes: ...

    def open(self, key: str) -> BinaryIO:
        """A streaming reader; the caller closes it (it is a context manager)."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove an object; deleting a missing key is not an error."""
        ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with ``prefix`` (a plain string prefix), in sorted order."""
        ...

    def metadata(self, key: str) -> dict[str, str]:
        """The metadata given at put time, plus ``content_type`` when one was given."""
        ...


@dataclass(frozen=True)
class Arrival:
    """One receipt of bytes: the same document received twice is two arrivals."""

    arrival_id: str
    document_id: str
    sha256: str
    source: Source
    received_at: datetime
    status: Status  # what this arrival ended as: the document's status, or DUPLICATE


@runtime_checkable
class MetadataStore(Protocol):
    def save(self, doc: Document) -> None:
        """Insert or replace the record with this ``document_id``.

        Raises :class:`StorageConflict` when another document already has this ``sha256``.
        """
        ...

    def get(self, document_id: str) -> Document | None: ...

    def find_by_sha256(self, sha256: str) -> Document | None: ...

    def list_documents(
        self, *, status: Status | None = None, limit: int | None = None
    ) -> list[Document]:
        """Documents, most recently received first."""
        ...

    def record_arrival(self, arrival: Arrival) -> None: ...

    def arrivals(self, document_id: str | None = None) -> list[Arrival]:
        """Arrivals, oldest first; all of them or one document's."""
        ...

    def close(self) -> None: ...
