"""The MetadataStore contract, run on every backend."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from mailroom.errors import QuarantineReason, StorageError
from mailroom.models import (
    BBox,
    Check,
    DocType,
    Document,
    EmailInfo,
    ExtractedField,
    Match,
    MatchCandidate,
    Page,
    Source,
    Status,
    Word,
    document_id_for,
    sha256_hex,
)
from storage import build_metadata_store
from storage.base import Arrival, MetadataStore, StorageConflict
from storage.memory import MemoryMetadataStore
from storage.settings import StorageSettings
from storage.sql import SqlMetadataStore, sqlite_url

BACKENDS: dict[str, Callable[[Path], MetadataStore]] = {
    "memory": lambda tmp: MemoryMetadataStore(),
    "sqlite": lambda tmp: _sql_store(sqlite_url(tmp / "db" / "mailroom.sqlite3")),
}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _sql_store(url: str) -> MetadataStore:
    return SqlMetadataStore(url)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    from tests.integration.services import postgres_database

    with postgres_database() as url:
        yield url


def _empty_postgres(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=[*sorted(BACKENDS), pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetadataStore]:
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        _empty_postgres(url)  # each test starts from a freshly migrated database
        s = _sql_store(url)
    else:
        s = BACKENDS[request.param](tmp_path)
    yield s
    s.close()


def _doc(content: bytes, *, status: Status = Status.FILED, at: datetime = T0) -> Document:
    sha = sha256_hex(content)
    return Document(
        document_id=document_id_for(sha),
        sha256=sha,
        source=Source(channel="scan", path=f"/in/{content.decode()}.pdf"),
        media_type="application/pdf",
        size=len(content),
        received_at=at,
        status=status,
    )


def _full_doc() -> Document:
    doc = _doc(b"facture-complete", status=Status.NEEDS_REVIEW)
    box = BBox(x0=10.5, y0=20.25, x1=110.0, y1=32.0)
    doc.source = Source(
        channel="email",
        path="/mail/42.eml#2.1",
        filename="facture hôtel.pdf",
        email=EmailInfo.model_validate(
            {
                "message_id": "<m1@example.fr>",
                "from": "Claire Martin <claire@example.fr>",
                "subject": "Frais d'hôtel",
                "date": datetime(2026, 3, 1, 18, 5, tzinfo=timezone(timedelta(hours=1))),
            }
        ),
    )
    doc.page_count = 1
    doc.pages = [
        Page(
            number=1,
            width=595.28,
            height=841.89,
            text="FACTURE F2026-0042\nTotal TTC 1 234,50 €",
            words=(
                Word(text="FACTURE", bbox=box, confidence=96.5, line=0, block=0),
                Word(text="F2026-0042", bbox=box, confidence=88.0, line=0, block=0),
            ),
            text_source="ocr",
            ocr_confidence=92.25,
            rotation=90,
            deskew_angle=-1.5,
            image_key="derived/x/pages/1.png",
        )
    ]
    doc.doc_type = DocType.INVOICE
    doc.doc_type_confidence = 0.97
    doc.fields = {
        "invoice_number": ExtractedField(value="F2026-0042", confidence=0.93, page=1, bbox=box),
        "invoice_date": ExtractedField(value=date(2026, 3, 12), confidence=0.9, page=1),
        "total_incl_tax": ExtractedField(value=Decimal("1234.5"), confidence=0.8),
        "vat_amount": ExtractedField(value=Decimal("205.75"), confidence=0.8, source="facturx"),
        "supplier_siret": ExtractedField(value="73282932000074", confidence=0.99),
        "dossier_reference": ExtractedField(value="20260312", confidence=0.5),
    }
    doc.match = Match(
        status="ambiguous",
        candidates=(
            MatchCandidate(dossier_id="AST-2026-004217", score=0.7, reasons=("plate",)),
            MatchCandidate(dossier_id="AST-2026-004218", score=0.69),
        ),
    )
    doc.checks = [
        Check(code="invoice.totals_consistent", status="pass", message="ok"),
        Check(code="invoice.iban_valid", status="fail", message="IBAN invalide", blocking=True),
    ]
    doc.reason = "type incertain"
    doc.timings = {"ocr": 1.25, "classify": 0.01}
    return doc


def test_backends_satisfy_the_protocol(store: MetadataStore) -> None:
    assert isinstance(store, MetadataStore)


def test_a_full_document_round_trips_exactly(store: MetadataStore) -> None:
    doc = _full_doc()
    store.save(doc)
    back = store.get(doc.document_id)
    assert back == doc
    assert back is not None
    assert back.fields["total_incl_tax"].value == Decimal("1234.5")
    assert isinstance(back.fields["total_incl_tax"].value, Decimal)
    assert isinstance(back.fields["invoice_date"].value, date)
    assert isinstance(back.fields["dossier_reference"].value, str)
    assert back.to_record() == doc.to_record()
    assert back.model_dump_json() == doc.model_dump_json()


def test_quarantined_document_keeps_its_reason(store: MetadataStore) -> None:
    doc = _doc(b"broken", status=Status.QUARANTINED)
    doc.quarantine_reason = QuarantineReason.ENCRYPTED_PDF
    doc.reason = "Le PDF est protégé par un mot de passe"
    doc.original_key = "originals/aa/bb/x"
    store.save(doc)
    assert store.get(doc.document_id) == doc


def test_save_is_an_upsert_by_document_id(store: MetadataStore) -> None:
    doc = _doc(b"a", status=Status.RECEIVED)
    store.save(doc)
    doc.status = Status.FILED
    doc.ged_entry_id = "GED-1"
    store.save(doc)
    assert len(store.list_documents()) == 1
    back = store.get(doc.document_id)
    assert back is not None and back.status is Status.FILED and back.ged_entry_id == "GED-1"


def test_saved_copy_is_not_changed_by_later_edits(store: MetadataStore) -> None:
    doc = _doc(b"a")
    store.save(doc)
    doc.status = Status.QUARANTINED
    back = store.get(doc.document_id)
    assert back is not None and back.status is Status.FILED


def test_another_document_with_the_same_bytes_is_a_conflict(store: MetadataStore) -> None:
    doc = _doc(b"a")
    store.save(doc)
    twin = doc.model_copy(update={"document_id": "doc-other"})
    with pytest.raises(StorageConflict):
        store.save(twin)


def test_find_by_sha256(store: MetadataStore) -> None:
    a, b = _doc(b"a"), _doc(b"b")
    store.save(a)
    store.save(b)
    assert store.find_by_sha256(b.sha256) == b
    assert store.find_by_sha256(sha256_hex(b"c")) is None
    assert store.get("doc-missing") is None


def test_list_by_status_newest_first_with_limit(store: MetadataStore) -> None:
    docs = [
        _doc(b"a", status=Status.FILED, at=T0),
        _doc(b"b", status=Status.NEEDS_REVIEW, at=T0 + timedelta(minutes=1)),
        _doc(b"c", status=Status.FILED, at=T0 + timedelta(minutes=2)),
        _doc(b"d", status=Status.QUARANTINED, at=T0 + timedelta(minutes=3)),
        _doc(b"e", status=Status.FILED, at=T0 + timedelta(minutes=2)),
    ]
    for d in docs:
        store.save(d)
    filed = store.list_documents(status=Status.FILED)
    tie = sorted([docs[2].document_id, docs[4].document_id])
    assert [d.document_id for d in filed] == [*tie, docs[0].document_id]
    assert [d.document_id for d in store.list_documents(limit=2)] == [
        docs[3].document_id,
        tie[0],
    ]
    assert store.list_documents(status=Status.DUPLICATE) == []
    assert len(store.list_documents()) == 5


def test_received_at_in_other_time_zones_sorts_by_instant(store: MetadataStore) -> None:
    paris = timezone(timedelta(hours=1))
    early = _doc(b"early", at=datetime(2026, 3, 2, 10, 30, tzinfo=paris))  # 09:30 UTC
    late = _doc(b"late", at=datetime(2026, 3, 2, 9, 45, tzinfo=UTC))
    store.save(late)
    store.save(early)
    assert [d.document_id for d in store.list_documents()] == [
        late.document_id,
        early.document_id,
    ]


def test_arrivals_are_recorded_per_receipt_oldest_first(store: MetadataStore) -> None:
    doc = _doc(b"a")
    store.save(doc)
    email = EmailInfo.model_validate({"message_id": "<m@x>", "from": "a@b.fr"})
    first = Arrival(
        arrival_id="arr-1",
        document_id=doc.document_id,
        sha256=doc.sha256,
        source=Source(channel="scan", path="/in/a.pdf"),
        received_at=T0,
        status=Status.FILED,
    )
    again = Arrival(
        arrival_id="arr-2",
        document_id=doc.document_id,
        sha256=doc.sha256,
        source=Source(channel="email", path="/mail/1.eml#2", email=email, filename="a.pdf"),
        received_at=T0 + timedelta(hours=1),
        status=Status.DUPLICATE,
    )
    other = Arrival(
        arrival_id="arr-3",
        document_id="doc-other",
        sha256=sha256_hex(b"other"),
        source=Source(),
        received_at=T0 + timedelta(minutes=30),
        status=Status.QUARANTINED,
    )
    for a in (again, other, first):
        store.record_arrival(a)
    assert store.arrivals(doc.document_id) == [first, again]
    assert store.arrivals() == [first, other, again]
    assert store.arrivals("doc-none") == []
    store.record_arrival(first)  # the same arrival recorded twice stays one
    assert len(store.arrivals()) == 3


# --- sqlite specifics ----------------------------------------------------------------------


def test_sqlite_constructor_touches_nothing(tmp_path: Path) -> None:
    SqlMetadataStore(sqlite_url(tmp_path / "later" / "db.sqlite3"))
    assert not (tmp_path / "later").exists()


def test_sqlite_schema_is_migrated_once_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    store = SqlMetadataStore(sqlite_url(path))
    doc = _full_doc()
    store.save(doc)
    head = store.schema_revision()
    assert head is not None
    store.close()
    reopened = SqlMetadataStore(sqlite_url(path))
    assert reopened.get(doc.document_id) == doc
    assert reopened.schema_revision() == head
    reopened.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"documents_status", "arrivals_sha256"} <= indexes
        row = conn.execute("SELECT status, doc_type FROM documents").fetchone()
        assert row == ("needs_review", "invoice")
    conn.close()


def test_sqlite_refuses_a_database_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999')")
    conn.close()
    with pytest.raises(StorageError, match="newer"):
        SqlMetadataStore(sqlite_url(path)).get("doc-x")


def test_concurrent_writers_lose_nothing(store: MetadataStore) -> None:
    """Several threads (a worker's document threads, the review app's requests) share one
    store: every save is kept and read back whole."""
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(10):
                doc = _doc(f"t{i}-{j}".encode())
                store.save(doc)
                assert store.get(doc.document_id) == doc
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.list_documents()) == 60


def test_sqlite_closed_store_raises_storage_error(tmp_path: Path) -> None:
    store = SqlMetadataStore(sqlite_url(tmp_path / "m.sqlite3"))
    store.close()
    with pytest.raises(StorageError):
        store.get("doc-x")


def test_sqlite_unreachable_database_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError):
        SqlMetadataStore(sqlite_url(blocker / "m.sqlite3")).get("doc-x")


def test_build_metadata_store_follows_the_settings(tmp_path: Path) -> None:
    store = build_metadata_store(StorageSettings(data_dir=tmp_path))
    assert isinstance(store, SqlMetadataStore)
    assert store.db.url.database == str((tmp_path / "mailroom.sqlite3").resolve())


def test_document_versions_tell_which_records_changed(store: MetadataStore) -> None:
    """The SQL stores say when each record was saved, so a reader keeping parsed documents
    (the review queue) reads again only those that changed."""
    if not hasattr(store, "document_versions"):
        pytest.skip("this store keeps no save times (the in-memory store is read whole)")
    a = _doc(b"a", status=Status.NEEDS_REVIEW, at=T0)
    b = _doc(b"b", status=Status.NEEDS_REVIEW, at=T0 + timedelta(minutes=1))
    c = _doc(b"c", status=Status.FILED, at=T0 + timedelta(minutes=2))
    for doc in (a, b, c):
        store.save(doc)
    first = store.document_versions(status=Status.NEEDS_REVIEW)  # type: ignore[attr-defined]
    assert list(first) == [b.document_id, a.document_id]  # as list_documents: newest first
    a.reason = "changé"
    store.save(a)
    second = store.document_versions(status=Status.NEEDS_REVIEW)  # type: ignore[attr-defined]
    assert second[a.document_id] != first[a.document_id]
    assert second[b.document_id] == first[b.document_id]
    got = store.get_many([a.document_id, c.document_id, "doc-none"])  # type: ignore[attr-defined]
    assert sorted(d.document_id for d in got) == sorted([a.document_id, c.document_id])
    assert next(d for d in got if d.document_id == a.document_id).reason == "changé"
