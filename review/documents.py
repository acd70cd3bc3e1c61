"""The documents in review, parsed once and kept: the queue with a thousand documents must
not read and validate every record at each page.

When the metadata store can say when each record was last saved (``document_versions``,
``get_many``: the SQLite and SQL stores), only the records saved since the last look are read
again; otherwise every look reads them all (the in-memory store of the tests).
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

from mailroom.models import Document, Status
from storage.base import MetadataStore


@runtime_checkable
class VersionedStore(Protocol):
    def document_versions(self, *, status: Status | None = None) -> dict[str, str]: ...

    def get_many(self, document_ids: list[str]) -> list[Document]: ...


class ReviewDocuments:
    """The documents in ``needs_review``, newest first, as the store has them now."""

    def __init__(self, metadata: MetadataStore) -> None:
        self.metadata = metadata
        self._lock = threading.Lock()
        self._docs: dict[str, tuple[str, Document]] = {}

    def in_review(self) -> list[Document]:
        """Shared, parsed copies: read them, never change them (``metadata.get`` for that)."""
        if not isinstance(self.metadata, VersionedStore):
            return self.metadata.list_documents(status=Status.NEEDS_REVIEW)
        versions = self.metadata.document_versions(status=Status.NEEDS_REVIEW)
        with self._lock:
            stale = [i for i, v in versions.items() if self._docs.get(i, ("",))[0] != v]
        fresh = self.metadata.get_many(stale) if stale else []
        with self._lock:
            for doc in fresh:
                if doc.document_id in versions:
                    self._docs[doc.document_id] = (versions[doc.document_id], doc)
            for gone in set(self._docs) - set(versions):
                del self._docs[gone]
            return [
                self._docs[i][1]
                for i in versions
                if i in self._docs and self._docs[i][1].status is Status.NEEDS_REVIEW
            ]
