"""The fraud index contract, on every backend: banded near-hash lookups, piece keys, suppliers'
IBANs, evidence."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.fraud import (
    Evidence,
    FraudStore,
    MemoryFraudStore,
    PageHash,
    PieceKey,
    SupplierIban,
    bands,
    hamming,
)
from storage.sql import sqlite_url

BACKENDS: dict[str, Callable[[Path], FraudStore]] = {
    "memory": lambda tmp: MemoryFraudStore(),
    "sqlite": lambda tmp: _sql(sqlite_url(tmp / "fraud.sqlite3")),
}


def _sql(url: str) -> FraudStore:
    from storage.fraud_sql import SqlFraudStore

    return SqlFraudStore(url)


@pytest.fixture(params=[*sorted(BACKENDS), pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FraudStore]:
    if request.param == "postgresql":
        from tests.unit.test_metadata_store_contract import _empty_postgres

        url = request.getfixturevalue("postgres_url")
        _empty_postgres(url)
        s = _sql(url)
    else:
        s = BACKENDS[request.param](tmp_path)
    yield s
    s.close()


from tests.unit.test_metadata_store_contract import postgres_url  # noqa: E402, F401


def _flip(value: int, bits: list[int]) -> int:
    for b in bits:
        value ^= 1 << b
    return value


def test_bands_cut_a_hash_in_four_16_bit_pieces() -> None:
    assert bands(0x0123_4567_89AB_CDEF) == (0xCDEF, 0x89AB, 0x4567, 0x0123)


def test_a_hash_a_few_bits_away_is_found_with_its_distance(store: FraudStore) -> None:
    rng = random.Random(7)
    base = rng.getrandbits(64)
    store.add_hashes([PageHash("doc-a", 1, "image", base)])
    store.add_hashes([PageHash("doc-noise", n, "image", rng.getrandbits(64)) for n in range(200)])
    # 7 bits spread over the four bands: no band is equal, one differs by one bit
    near = _flip(base, [0, 1, 16, 17, 32, 33, 48])
    found = store.near_hashes("image", near, 8, probe_bits=1)
    assert [(h.document_id, d) for h, d in found] == [("doc-a", 7)]
    assert store.near_hashes("image", near, 6, probe_bits=1) == []  # farther than asked


def test_without_probes_the_pigeonhole_guarantee_is_three_bits(store: FraudStore) -> None:
    base = 0x0F0F_F0F0_1234_8765
    store.add_hashes([PageHash("doc-a", 1, "image", base)])
    three = _flip(base, [0, 16, 32])  # one band untouched
    assert [h.document_id for h, _ in store.near_hashes("image", three, 3, probe_bits=0)] == [
        "doc-a"
    ]
    four = _flip(base, [0, 16, 32, 48])  # every band changed: only probes find it
    assert store.near_hashes("image", four, 4, probe_bits=0) == []
    assert [h.document_id for h, _ in store.near_hashes("image", four, 4, probe_bits=1)] == [
        "doc-a"
    ]


def test_hashes_are_kept_by_kind_and_replaced_by_document_page_and_kind(
    store: FraudStore,
) -> None:
    value = (1 << 63) | 12345  # the top bit set: stored as a negative 64-bit integer
    store.add_hashes([PageHash("doc-a", 1, "image", value), PageHash("doc-a", 1, "text", value)])
    store.add_hashes([PageHash("doc-a", 1, "image", value, suspect=True)])
    image = store.near_hashes("image", value, 0)
    assert [(h.value, h.suspect) for h, _ in image] == [(value, True)]
    assert [h.kind for h, _ in store.near_hashes("text", value, 0)] == ["text"]


def test_piece_keys_are_found_by_key(store: FraudStore) -> None:
    store.add_keys(
        [
            PieceKey("doc-a", "invoice:siren:732829320:F20260042", "228.00", "Dupuis"),
            PieceKey("doc-b", "receipt:2026-03-12:23.50", "23.50", "TAXI"),
        ]
    )
    store.add_keys([PieceKey("doc-c", "invoice:siren:732829320:F20260042", "328.00", None, True)])
    found = store.find_keys("invoice:siren:732829320:F20260042")
    assert [(k.document_id, k.amount, k.suspect) for k in found] == [
        ("doc-a", "228.00", False),
        ("doc-c", "328.00", True),
    ]
    assert store.find_keys("receipt:2026-03-13:23.50") == []


def test_a_confirmed_iban_is_marked_with_who_and_when(store: FraudStore) -> None:
    t0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    store.add_iban(SupplierIban("siren:732829320", "FR76AAA", "doc-a", "seen", t0))
    store.add_iban(
        SupplierIban("siren:732829320", "FR76BBB", "doc-b", "pending", t0.replace(hour=10))
    )
    store.add_iban(SupplierIban("siren:111111111", "FR76CCC", "doc-c", "seen", t0))
    assert [r.state for r in store.ibans("siren:732829320")] == ["seen", "pending"]
    at = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert store.confirm_iban("siren:732829320", "FR76BBB", "alice", at) == 1
    confirmed = store.ibans("siren:732829320")[1]
    assert (confirmed.state, confirmed.confirmed_by, confirmed.confirmed_at) == (
        "confirmed",
        "alice",
        at,
    )
    assert store.ibans("siren:000000000") == []


def test_evidence_is_replaced_per_document(store: FraudStore) -> None:
    store.add_evidence([Evidence("doc-b", "fraud.same_content", "doc-a", {"similarity": 0.9})])
    store.add_evidence(
        [
            Evidence("doc-b", "fraud.edited_pdf", None, {"removed": ["FR76"]}),
            Evidence("doc-b", "fraud.iban_changed", "doc-a", {"iban": "FR76BBB"}),
        ]
    )
    assert [(e.code, e.other_document_id, e.detail) for e in store.evidence("doc-b")] == [
        ("fraud.edited_pdf", None, {"removed": ["FR76"]}),
        ("fraud.iban_changed", "doc-a", {"iban": "FR76BBB"}),
    ]
    assert store.evidence("doc-a") == []


def test_hamming_counts_differing_bits() -> None:
    assert hamming(0b1011, 0b0001) == 2
