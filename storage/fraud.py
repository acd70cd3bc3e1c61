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

:class:`storage.fraud_sql.SqlFraudStore` keeps the tables through SQLAlchemy, on PostgreSQL or
SQLite (Alembic migration ``0002``), and :class:`MemoryFraudStore` is the fake for unit tests.
Both satisfy :class:`FraudStore` and obey the same contract test.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

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


def hash_row(h: PageHash) -> tuple[Any, ...]:
    """A page hash as the row the index keeps: the signed value, its four bands, suspect."""
    return (h.document_id, h.page, h.kind, to_signed(h.value), *bands(h.value), int(h.suspect))
