"""The dossier registry: dossiers, GED entries and completeness requests.

:class:`SqliteDossierRegistry` keeps them in one SQLite file (by default the metadata store's
``mailroom.sqlite3``, in tables of its own with their own schema version), WAL mode, one
connection per thread, in the style of :mod:`storage.sqlite`. :class:`MemoryDossierRegistry`
is the fake for unit tests. Both satisfy :class:`DossierRegistry`.

A re-import updates a dossier in place and never duplicates it; a closed dossier stays for
history. A GED entry is written once per document (idempotent by ``document_id``).
"""

from __future__ import annotations

import logging
from typing import Literal, Protocol, TypeVar

from mailroom.records import CompletenessRequest, Dossier, GedEntry, RequestState
from storage.sqlite_file import SqliteFile

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


# --------------------------------------------------------------------------- SQLite

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE dossiers (
            dossier_id TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            record TEXT NOT NULL,
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        CREATE INDEX dossiers_status ON dossiers (status);
        CREATE TABLE ged_entries (
            document_id TEXT PRIMARY KEY,
            ged_entry_id TEXT NOT NULL UNIQUE,
            dossier_id TEXT NOT NULL,
            supplier_key TEXT,
            supplier_name_key TEXT,
            invoice_number TEXT,
            filed_at TEXT NOT NULL,
            record TEXT NOT NULL
        );
        CREATE INDEX ged_entries_dossier ON ged_entries (dossier_id);
        CREATE INDEX ged_entries_invoice ON ged_entries (invoice_number);
        CREATE TABLE completeness_requests (
            request_id TEXT PRIMARY KEY,
            dossier_id TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at TEXT NOT NULL,
            record TEXT NOT NULL
        );
        CREATE INDEX completeness_requests_dossier ON completeness_requests (dossier_id);
        """,
    ),
    (
        2,
        # bumped by every write of a dossier, in its transaction: updated_at has millisecond
        # resolution and two imports' writes can share a millisecond
        """
        CREATE TABLE dossier_revision (n INTEGER NOT NULL);
        INSERT INTO dossier_revision (n) SELECT count(*) FROM dossiers;
        """,
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


class SqliteDossierRegistry(SqliteFile):
    """The registry in SQLite; safe to share between threads."""

    MIGRATIONS = MIGRATIONS
    VERSION_TABLE = "dossier_schema_version"
    WHAT = "the dossier registry"

    def _select(self, sql: str, params: tuple[object, ...]) -> list[str]:
        def read() -> list[str]:
            return [row[0] for row in self._connection().execute(sql, params).fetchall()]

        return self._run("reading the dossier registry", read)

    # --- dossiers ------------------------------------------------------------------------

    def upsert(self, dossier: Dossier) -> UpsertResult:
        record = dossier.model_dump_json()

        def write() -> UpsertResult:
            with self._transaction() as conn:
                row = conn.execute(
                    "SELECT record FROM dossiers WHERE dossier_id = ?", (dossier.dossier_id,)
                ).fetchone()
                if row is not None and Dossier.model_validate_json(row[0]) == dossier:
                    return "unchanged"
                conn.execute(
                    """
                    INSERT INTO dossiers (dossier_id, status, record) VALUES (?, ?, ?)
                    ON CONFLICT (dossier_id) DO UPDATE SET
                        status = excluded.status, record = excluded.record,
                        updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                    """,
                    (dossier.dossier_id, dossier.status, record),
                )
                conn.execute("UPDATE dossier_revision SET n = n + 1")
                return "created" if row is None else "updated"

        return self._run(f"saving dossier {dossier.dossier_id}", write)

    def get(self, dossier_id: str) -> Dossier | None:
        rows = self._select("SELECT record FROM dossiers WHERE dossier_id = ?", (dossier_id,))
        return Dossier.model_validate_json(rows[0]) if rows else None

    def all(self, *, status: DossierStatus | None = None) -> list[Dossier]:
        if status is None:
            rows = self._select("SELECT record FROM dossiers ORDER BY dossier_id", ())
        else:
            rows = self._select(
                "SELECT record FROM dossiers WHERE status = ? ORDER BY dossier_id", (status,)
            )
        return [Dossier.model_validate_json(r) for r in rows]

    def revision(self) -> str:
        def read() -> str:
            (n,) = self._connection().execute("SELECT n FROM dossier_revision").fetchone()
            return str(n)

        return self._run("reading the dossier registry", read)

    # --- GED -----------------------------------------------------------------------------

    def add_ged_entry(self, entry: GedEntry) -> None:
        row = (
            entry.document_id,
            entry.ged_entry_id,
            entry.dossier_id,
            next((k for k in entry.supplier_keys if k.startswith("siret:")), None),
            next((k for k in entry.supplier_keys if k.startswith("name:")), None),
            entry.invoice_number,
            entry.filed_at.isoformat(),
            entry.model_dump_json(),
        )

        def write() -> None:
            with self._transaction() as conn:
                conn.execute(
                    """
                    INSERT INTO ged_entries (document_id, ged_entry_id, dossier_id, supplier_key,
                                             supplier_name_key, invoice_number, filed_at, record)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (document_id) DO NOTHING
                    """,
                    row,
                )

        self._run(f"filing {entry.document_id}", write)

    def ged_entries(self, dossier_id: str | None = None) -> list[GedEntry]:
        if dossier_id is None:
            rows = self._select(
                "SELECT record FROM ged_entries ORDER BY filed_at, ged_entry_id", ()
            )
        else:
            rows = self._select(
                "SELECT record FROM ged_entries WHERE dossier_id = ? "
                "ORDER BY filed_at, ged_entry_id",
                (dossier_id,),
            )
        return [GedEntry.model_validate_json(r) for r in rows]

    def find_filed_invoice(self, supplier_key: str, invoice_number: str) -> GedEntry | None:
        from mailroom.records import normalize_invoice_number

        rows = self._select(
            "SELECT record FROM ged_entries WHERE invoice_number = ? "
            "AND (supplier_key = ? OR supplier_name_key = ?) ORDER BY filed_at LIMIT 1",
            (normalize_invoice_number(invoice_number), supplier_key, supplier_key),
        )
        return GedEntry.model_validate_json(rows[0]) if rows else None

    # --- completeness requests -----------------------------------------------------------

    def save_request(self, request: CompletenessRequest) -> None:
        row = (
            request.request_id,
            request.dossier_id,
            request.state,
            request.created_at.isoformat(),
            request.model_dump_json(),
        )

        def write() -> None:
            with self._transaction() as conn:
                conn.execute(
                    """
                    INSERT INTO completeness_requests (request_id, dossier_id, state, created_at,
                                                       record)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (request_id) DO UPDATE SET
                        dossier_id = excluded.dossier_id, state = excluded.state,
                        record = excluded.record
                    """,
                    row,
                )

        self._run(f"saving request {request.request_id}", write)

    def requests(
        self, dossier_id: str | None = None, *, state: RequestState | None = None
    ) -> list[CompletenessRequest]:
        clauses: list[str] = []
        params: list[object] = []
        if dossier_id is not None:
            clauses.append("dossier_id = ?")
            params.append(dossier_id)
        if state is not None:
            clauses.append("state = ?")
            params.append(state)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._select(
            f"SELECT record FROM completeness_requests{where} ORDER BY created_at, request_id",
            tuple(params),
        )
        return [CompletenessRequest.model_validate_json(r) for r in rows]
