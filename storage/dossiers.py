"""The dossier registry: dossiers, GED entries and completeness requests.

:class:`storage.sql.SqlDossierRegistry` keeps them beside the metadata store, through
SQLAlchemy (``mailroom.sqlite3`` or PostgreSQL); :class:`MemoryDossierRegistry` is the fake for
unit tests. Both satisfy :class:`DossierRegistry`.

A re-import updates a dossier in place and never duplicates it; a closed dossier stays for
history. A GED entry is written once per document (idempotent by ``document_id``).
"""

from __future__ import annotations

import logging
from typing import Literal, Protocol, TypeVar

from mailroom.records import CompletenessRequest, Dossier, GedEntry, RequestState

log = logging.getLogger(__name__)

T = TypeVar("T")
UpsertResult = Literal["created", "updated", "unchanged"]
DossierStatus = Literal["open", "closed"]


class DossierRegistry(Protocol):
    def upsert(self, dossier: Dossier) -> UpsertResult: ...

    def get(self, dossier_id: str) -> Dossier | None: ...

    def all(self, *, status: DossierStatus | None = None) -> list[Dossier]: ...

    def revision(self) -> str:
        """A token that changes when a dossier is created or updated (by any process): a
        long-running worker or watcher indexes the dossiers again when it changes."""
        ...

    def add_ged_entry(self, entry: GedEntry) -> None: ...

    def ged_entries(self, dossier_id: str | None = None) -> list[GedEntry]: ...

    def find_filed_invoice(self, supplier_key: str, invoice_number: str) -> GedEntry | None: ...

    def save_request(self, request: CompletenessRequest) -> None: ...

    def requests(
        self, dossier_id: str | None = None, *, state: RequestState | None = None
    ) -> list[CompletenessRequest]: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- in memory


class MemoryDossierRegistry:
    """The registry in a few dicts; for tests and dry runs."""

    def __init__(self) -> None:
        self._dossiers: dict[str, Dossier] = {}
        self._ged: dict[str, GedEntry] = {}
        self._requests: dict[str, CompletenessRequest] = {}
        self._revision = 0

    def upsert(self, dossier: Dossier) -> UpsertResult:
        old = self._dossiers.get(dossier.dossier_id)
        self._dossiers[dossier.dossier_id] = dossier
        if old == dossier:
            return "unchanged"
        self._revision += 1
        return "created" if old is None else "updated"

    def revision(self) -> str:
        return str(self._revision)

    def get(self, dossier_id: str) -> Dossier | None:
        return self._dossiers.get(dossier_id)

    def all(self, *, status: DossierStatus | None = None) -> list[Dossier]:
        return sorted(
            (d for d in self._dossiers.values() if status is None or d.status == status),
            key=lambda d: d.dossier_id,
        )

    def add_ged_entry(self, entry: GedEntry) -> None:
        self._ged.setdefault(entry.document_id, entry)

    def ged_entries(self, dossier_id: str | None = None) -> list[GedEntry]:
        return sorted(
            (e for e in self._ged.values() if dossier_id is None or e.dossier_id == dossier_id),
            key=lambda e: (e.filed_at, e.ged_entry_id),
        )

    def find_filed_invoice(self, supplier_key: str, invoice_number: str) -> GedEntry | None:
        from mailroom.records import normalize_invoice_number

        wanted = normalize_invoice_number(invoice_number)
        for entry in self.ged_entries():
            if supplier_key in entry.supplier_keys and entry.invoice_number == wanted:
                return entry
        return None

    def save_request(self, request: CompletenessRequest) -> None:
        self._requests[request.request_id] = request

    def requests(
        self, dossier_id: str | None = None, *, state: RequestState | None = None
    ) -> list[CompletenessRequest]:
        return sorted(
            (
                r
                for r in self._requests.values()
                if (dossier_id is None or r.dossier_id == dossier_id)
                and (state is None or r.state == state)
            ),
            key=lambda r: (r.created_at, r.request_id),
        )

    def close(self) -> None:
        pass
