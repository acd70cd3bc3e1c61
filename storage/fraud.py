"""The fraud index: page hashes, the keys of each piece, suppliers' IBANs and the evidence of
each fraud signal, beside the metadata store.

Perceptual hashes are 64-bit integers compared by Hamming distance. An equality lookup would
miss a page photographed again (a few bits differ), a scan of every row would not stay fast
with a million documents, so each hash is cut into four 16-bit *bands*, each band indexed.
Two hashes at distance ``d`` differ in at most ``d`` bits spread over four bands: when
``d <= 3`` one band at least is equal (pigeonhole), and when ``d <= 7`` one band at least
differs by at most one bit. A lookup therefore asks each band's index for the band's value and,
with ``probe_bits=1``, the 16 values one bit away (17 values a band, 68 index probes), then
measures the true distance of the few rows found. Farther matches are still found whenever a
band happens to be equal, without a guarantee.

:class:`SqliteFraudStore` keeps the tables in the metadata store's SQLite file (its own schema
version table), :mod:`storage.fraud_sql` in PostgreSQL (Alembic migration ``0002``), and
:class:`MemoryFraudStore` is the fake for unit tests. All three satisfy :class:`FraudStore`
and obey the same contract test.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from storage.sqlite_file import SqliteFile

BANDS = 4
BAND_BITS = 16
BAND_MASK = (1 << BAND_BITS) - 1
HashKind = Literal["image", "text"]
IbanState = Literal["seen", "pending", "confirmed"]


def bands(value: int) -> tuple[int, ...]:
    """The four 16-bit bands of a 64-bit hash, lowest first."""
    return tuple((value >> (BAND_BITS * i)) & BAND_MASK for i in range(BANDS))


def band_probes(band: int, probe_bits: int) -> list[int]:
    """A band's value and, with ``probe_bits=1``, the 16 values one bit away."""
    values = [band]
    if probe_bits >= 1:
        values.extend(band ^ (1 << bit) for bit in range(BAND_BITS))
    return values


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def to_signed(value: int) -> int:
    """An unsigned 64-bit hash as the signed integer SQL stores."""
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


@dataclass(frozen=True)
class PageHash:
    """One perceptual hash of one page (``image``: the page's pixels, ``text``: its words)."""

    document_id: str
    page: int
    kind: HashKind
    value: int  # unsigned 64 bits
    suspect: bool = False  # the document carried a fraud signal itself


@dataclass(frozen=True)
class PieceKey:
    """What identifies a piece whatever its pixels: ``receipt:<date>:<total>`` or
    ``invoice:<supplier>:<number>``, with the amount and the name to compare."""

    document_id: str
    key: str
    amount: str | None = None
    name: str | None = None
    suspect: bool = False


@dataclass(frozen=True)
class SupplierIban:
    """An IBAN seen on a supplier's document (supplier: its SIREN). ``seen`` on a document with
    no fraud signal, ``pending`` while it differs from the known ones, ``confirmed`` once a
    person confirmed it in the review application."""

    supplier: str
    iban: str
    document_id: str
    state: IbanState
    seen_at: datetime
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None


@dataclass(frozen=True)
class Evidence:
    """What a fraud check rests on, for the review application's side-by-side view."""

    document_id: str
    code: str
    other_document_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class FraudStore(Protocol):
    def add_hashes(self, hashes: Sequence[PageHash]) -> None:
        """Insert or replace (by document, page and kind)."""
        ...

    def near_hashes(
        self, kind: HashKind, value: int, max_distance: int, *, probe_bits: int = 1
    ) -> list[tuple[PageHash, int]]:
        """Stored hashes of this kind within ``max_distance`` bits, nearest first (found
        through the band indexes: see the module's note)."""
        ...

    def add_keys(self, keys: Sequence[PieceKey]) -> None: ...

    def find_keys(self, key: str) -> list[PieceKey]: ...

    def add_iban(self, record: SupplierIban) -> None:
        """Insert or replace (by supplier, IBAN and document)."""
        ...

    def ibans(self, supplier: str) -> list[SupplierIban]:
        """Every IBAN seen for the supplier, oldest first."""
        ...

    def confirm_iban(self, supplier: str, iban: str, username: str, at: datetime) -> int:
        """Mark the supplier's IBAN confirmed (every row of it); how many rows changed."""
        ...

    def add_evidence(self, evidence: Sequence[Evidence]) -> None:
        """Replace the document's evidence with these."""
        ...

    def evidence(self, document_id: str) -> list[Evidence]: ...

    def close(self) -> None: ...


def _nearest(rows: Iterable[PageHash], value: int, max_distance: int) -> list[tuple[PageHash, int]]:
    found = {}
    for row in rows:
        d = hamming(row.value, value)
        if d <= max_distance:
            found[(row.document_id, row.page, row.kind)] = (row, d)
    return sorted(found.values(), key=lambda item: (item[1], item[0].document_id, item[0].page))


# --------------------------------------------------------------------------- in memory


class MemoryFraudStore:
    """The fraud index in dicts, scanned whole: for unit tests."""

    def __init__(self) -> None:
        self._hashes: dict[tuple[str, int, str], PageHash] = {}
        self._keys: dict[tuple[str, str], PieceKey] = {}
        self._ibans: dict[tuple[str, str, str], SupplierIban] = {}
        self._evidence: dict[str, list[Evidence]] = {}
        self._lock = threading.Lock()

    def add_hashes(self, hashes: Sequence[PageHash]) -> None:
        with self._lock:
            for h in hashes:
                self._hashes[(h.document_id, h.page, h.kind)] = h

    def near_hashes(
        self, kind: HashKind, value: int, max_distance: int, *, probe_bits: int = 1
    ) -> list[tuple[PageHash, int]]:
        wanted = [set(band_probes(b, probe_bits)) for b in bands(value)]
        with self._lock:
            rows = [
                h
                for h in self._hashes.values()
                if h.kind == kind
                and any(b in w for b, w in zip(bands(h.value), wanted, strict=True))
            ]
        return _nearest(rows, value, max_distance)

    def add_keys(self, keys: Sequence[PieceKey]) -> None:
        with self._lock:
            for k in keys:
                self._keys[(k.document_id, k.key)] = k

    def find_keys(self, key: str) -> list[PieceKey]:
        with self._lock:
            return sorted(
                (k for k in self._keys.values() if k.key == key), key=lambda k: k.document_id
            )

    def add_iban(self, record: SupplierIban) -> None:
        with self._lock:
            self._ibans[(record.supplier, record.iban, record.document_id)] = record

    def ibans(self, supplier: str) -> list[SupplierIban]:
        with self._lock:
            rows = [r for r in self._ibans.values() if r.supplier == supplier]
        return sorted(rows, key=lambda r: (r.seen_at, r.document_id))

    def confirm_iban(self, supplier: str, iban: str, username: str, at: datetime) -> int:
        with self._lock:
            keys = [k for k, r in self._ibans.items() if r.supplier == supplier and r.iban == iban]
            for k in keys:
                old = self._ibans[k]
                self._ibans[k] = SupplierIban(
                    old.supplier,
                    old.iban,
                    old.document_id,
                    "confirmed",
                    old.seen_at,
                    confirmed_by=username,
                    confirmed_at=at,
                )
        return len(keys)

    def add_evidence(self, evidence: Sequence[Evidence]) -> None:
        with self._lock:
            for document_id in {e.document_id for e in evidence}:
                self._evidence[document_id] = [e for e in evidence if e.document_id == document_id]

    def evidence(self, document_id: str) -> list[Evidence]:
        with self._lock:
            return list(self._evidence.get(document_id, []))

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- SQLite

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE fraud_page_hashes (
            document_id TEXT NOT NULL,
            page INTEGER NOT NULL,
            kind TEXT NOT NULL,
            value INTEGER NOT NULL,
            b0 INTEGER NOT NULL,
            b1 INTEGER NOT NULL,
            b2 INTEGER NOT NULL,
            b3 INTEGER NOT NULL,
            suspect INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (document_id, page, kind)
        );
        CREATE INDEX fraud_page_hashes_b0 ON fraud_page_hashes (kind, b0, value);
        CREATE INDEX fraud_page_hashes_b1 ON fraud_page_hashes (kind, b1, value);
        CREATE INDEX fraud_page_hashes_b2 ON fraud_page_hashes (kind, b2, value);
        CREATE INDEX fraud_page_hashes_b3 ON fraud_page_hashes (kind, b3, value);
        CREATE TABLE fraud_piece_keys (
            document_id TEXT NOT NULL,
            key TEXT NOT NULL,
            amount TEXT,
            name TEXT,
            suspect INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (document_id, key)
        );
        CREATE INDEX fraud_piece_keys_key ON fraud_piece_keys (key);
        CREATE TABLE fraud_supplier_ibans (
            supplier TEXT NOT NULL,
            iban TEXT NOT NULL,
            document_id TEXT NOT NULL,
            state TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            confirmed_by TEXT,
            confirmed_at TEXT,
            PRIMARY KEY (supplier, iban, document_id)
        );
        CREATE TABLE fraud_evidence (
            document_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            code TEXT NOT NULL,
            other_document_id TEXT,
            detail TEXT NOT NULL,
            PRIMARY KEY (document_id, seq)
        );
        """,
    ),
)


def _utc_text(value: datetime) -> str:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_utc(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def hash_row(h: PageHash) -> tuple[Any, ...]:
    return (h.document_id, h.page, h.kind, to_signed(h.value), *bands(h.value), int(h.suspect))


def _signed_hamming(a: int, b: int) -> int:
    return hamming(to_unsigned(a), to_unsigned(b))


class SqliteFraudStore(SqliteFile):
    """The fraud index in the metadata store's SQLite file; safe to share between threads.

    Each band index holds the hash itself, ``(kind, bN, value)``: a lookup measures the
    distance of the candidates in the index (``fraud_hamming``, a function registered on each
    connection) and reads from the table only the rows near enough.
    """

    MIGRATIONS = MIGRATIONS
    VERSION_TABLE = "fraud_schema_version"
    WHAT = "the fraud index"

    def _connection(self) -> sqlite3.Connection:
        conn = super()._connection()
        if not getattr(self._local, "fraud_functions", False):
            conn.create_function("fraud_hamming", 2, _signed_hamming, deterministic=True)
            self._local.fraud_functions = True
        return conn

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        def read() -> list[tuple[Any, ...]]:
            return self._connection().execute(sql, tuple(params)).fetchall()

        return self._run("reading the fraud index", read)

    def _write_many(self, what: str, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return

        def write() -> None:
            with self._transaction() as conn:
                conn.executemany(sql, rows)

        self._run(what, write)

    def add_hashes(self, hashes: Sequence[PageHash]) -> None:
        self._write_many(
            "saving page hashes",
            "INSERT OR REPLACE INTO fraud_page_hashes "
            "(document_id, page, kind, value, b0, b1, b2, b3, suspect) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [hash_row(h) for h in hashes],
        )

    def near_hashes(
        self, kind: HashKind, value: int, max_distance: int, *, probe_bits: int = 1
    ) -> list[tuple[PageHash, int]]:
        parts: list[str] = []
        params: list[Any] = []
        for i, band in enumerate(bands(value)):
            probes = band_probes(band, probe_bits)
            parts.append(
                f"SELECT rowid FROM fraud_page_hashes INDEXED BY fraud_page_hashes_b{i} "
                f"WHERE kind = ? AND b{i} IN ({', '.join('?' for _ in probes)}) "
                "AND fraud_hamming(value, ?) <= ?"
            )
            params.extend([kind, *probes, to_signed(value), max_distance])
        near = [row[0] for row in self._rows(" UNION ".join(parts), params)]
        if not near:
            return []
        rows = self._rows(
            "SELECT document_id, page, kind, value, suspect FROM fraud_page_hashes "
            f"WHERE rowid IN ({', '.join('?' for _ in near)})",
            near,
        )
        found = [PageHash(d, p, k, to_unsigned(v), bool(s)) for d, p, k, v, s in rows]
        return _nearest(found, value, max_distance)

    def add_keys(self, keys: Sequence[PieceKey]) -> None:
        self._write_many(
            "saving piece keys",
            "INSERT OR REPLACE INTO fraud_piece_keys (document_id, key, amount, name, suspect) "
            "VALUES (?, ?, ?, ?, ?)",
            [(k.document_id, k.key, k.amount, k.name, int(k.suspect)) for k in keys],
        )

    def find_keys(self, key: str) -> list[PieceKey]:
        rows = self._rows(
            "SELECT document_id, key, amount, name, suspect FROM fraud_piece_keys WHERE key = ? "
            "ORDER BY document_id",
            (key,),
        )
        return [PieceKey(d, k, a, n, bool(s)) for d, k, a, n, s in rows]

    def add_iban(self, record: SupplierIban) -> None:
        self._write_many(
            "saving a supplier's IBAN",
            "INSERT OR REPLACE INTO fraud_supplier_ibans (supplier, iban, document_id, state, "
            "seen_at, confirmed_by, confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    record.supplier,
                    record.iban,
                    record.document_id,
                    record.state,
                    _utc_text(record.seen_at),
                    record.confirmed_by,
                    _utc_text(record.confirmed_at) if record.confirmed_at else None,
                )
            ],
        )

    def ibans(self, supplier: str) -> list[SupplierIban]:
        rows = self._rows(
            "SELECT supplier, iban, document_id, state, seen_at, confirmed_by, confirmed_at "
            "FROM fraud_supplier_ibans WHERE supplier = ? ORDER BY seen_at, document_id",
            (supplier,),
        )
        return [
            SupplierIban(s, i, d, st, _parse_utc(seen) or datetime.now(UTC), by, _parse_utc(at))
            for s, i, d, st, seen, by, at in rows
        ]

    def confirm_iban(self, supplier: str, iban: str, username: str, at: datetime) -> int:
        def write() -> int:
            with self._transaction() as conn:
                cursor = conn.execute(
                    "UPDATE fraud_supplier_ibans SET state = 'confirmed', confirmed_by = ?, "
                    "confirmed_at = ? WHERE supplier = ? AND iban = ?",
                    (username, _utc_text(at), supplier, iban),
                )
                return int(cursor.rowcount)

        return self._run("confirming an IBAN", write)

    def add_evidence(self, evidence: Sequence[Evidence]) -> None:
        def write() -> None:
            with self._transaction() as conn:
                for document_id in sorted({e.document_id for e in evidence}):
                    conn.execute("DELETE FROM fraud_evidence WHERE document_id = ?", (document_id,))
                conn.executemany(
                    "INSERT INTO fraud_evidence (document_id, seq, code, other_document_id, "
                    "detail) VALUES (?, ?, ?, ?, ?)",
                    [
                        (e.document_id, n, e.code, e.other_document_id, json.dumps(e.detail))
                        for n, e in enumerate(evidence)
                    ],
                )

        if evidence:
            self._run("saving fraud evidence", write)

    def evidence(self, document_id: str) -> list[Evidence]:
        rows = self._rows(
            "SELECT document_id, code, other_document_id, detail FROM fraud_evidence "
            "WHERE document_id = ? ORDER BY seq",
            (document_id,),
        )
        return [Evidence(d, c, o, json.loads(detail)) for d, c, o, detail in rows]
