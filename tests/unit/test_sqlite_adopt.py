"""A ``mailroom.sqlite3`` written by the hand-written SQLite stores (before #24) is read by the
SQL store: its records, dossiers, GED entries, requests and fraud index stay (its review
tables: ``tests/unit/test_review_adopt.py``)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from mailroom.models import Document, Source, Status, document_id_for
from mailroom.records import Beneficiary, Dossier
from storage import build_dossier_registry, build_fraud_store, build_metadata_store
from storage.settings import StorageSettings

# The tables as the hand-written stores created them, with their own version tables.
OLD_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE documents (
    document_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
    doc_type TEXT, received_at TEXT NOT NULL, updated_at TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX documents_status ON documents (status);
CREATE INDEX documents_received_at ON documents (received_at);
CREATE TABLE arrivals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, arrival_id TEXT NOT NULL UNIQUE,
    document_id TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT NOT NULL,
    received_at TEXT NOT NULL, status TEXT NOT NULL);
CREATE INDEX arrivals_document_id ON arrivals (document_id);
CREATE INDEX arrivals_sha256 ON arrivals (sha256);
CREATE TABLE dossier_schema_version (version INTEGER NOT NULL);
INSERT INTO dossier_schema_version VALUES (1);
INSERT INTO dossier_schema_version VALUES (2);
CREATE TABLE dossiers (
    dossier_id TEXT PRIMARY KEY, status TEXT NOT NULL, record TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE INDEX dossiers_status ON dossiers (status);
CREATE TABLE ged_entries (
    document_id TEXT PRIMARY KEY, ged_entry_id TEXT NOT NULL UNIQUE, dossier_id TEXT NOT NULL,
    supplier_key TEXT, supplier_name_key TEXT, invoice_number TEXT, filed_at TEXT NOT NULL,
    record TEXT NOT NULL);
CREATE TABLE completeness_requests (
    request_id TEXT PRIMARY KEY, dossier_id TEXT NOT NULL, state TEXT NOT NULL,
    created_at TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE dossier_revision (n INTEGER NOT NULL);
INSERT INTO dossier_revision VALUES (1);
CREATE TABLE fraud_schema_version (version INTEGER NOT NULL);
INSERT INTO fraud_schema_version VALUES (1);
CREATE TABLE fraud_page_hashes (
    document_id TEXT NOT NULL, page INTEGER NOT NULL, kind TEXT NOT NULL, value INTEGER NOT NULL,
    b0 INTEGER NOT NULL, b1 INTEGER NOT NULL, b2 INTEGER NOT NULL, b3 INTEGER NOT NULL,
    suspect INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (document_id, page, kind));
CREATE INDEX fraud_page_hashes_b0 ON fraud_page_hashes (kind, b0, value);
CREATE TABLE fraud_piece_keys (
    document_id TEXT NOT NULL, key TEXT NOT NULL, amount TEXT, name TEXT,
    suspect INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (document_id, key));
CREATE TABLE fraud_supplier_ibans (
    supplier TEXT NOT NULL, iban TEXT NOT NULL, document_id TEXT NOT NULL, state TEXT NOT NULL,
    seen_at TEXT NOT NULL, confirmed_by TEXT, confirmed_at TEXT,
    PRIMARY KEY (supplier, iban, document_id));
CREATE TABLE fraud_evidence (
    document_id TEXT NOT NULL, seq INTEGER NOT NULL, code TEXT NOT NULL,
    other_document_id TEXT, detail TEXT NOT NULL, PRIMARY KEY (document_id, seq));
"""
SHA = "ab" * 32
RECEIVED = datetime(2026, 2, 3, 8, 30, 15, 123456, tzinfo=UTC)


def _old_file(path: Path) -> tuple[Document, Dossier]:
    doc = Document(
        document_id=document_id_for(SHA),
        sha256=SHA,
        source=Source(),
        received_at=RECEIVED,
        status=Status.NEEDS_REVIEW,
    )
    dossier = Dossier(
        dossier_id="AST-2026-000042",
        beneficiary=Beneficiary(first_name="Léa", last_name="FONTAINE"),
    )
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute(
            "INSERT INTO documents VALUES (?, ?, 'needs_review', NULL, ?, ?, ?)",
            (
                doc.document_id,
                SHA,
                "2026-02-03T08:30:15.123456Z",
                "2026-02-03T08:31:00.000001Z",
                doc.model_dump_json(),
            ),
        )
        conn.execute(
            "INSERT INTO dossiers (dossier_id, status, record, updated_at) "
            "VALUES (?, 'open', ?, '2026-02-01T10:00:00.250Z')",
            (dossier.dossier_id, dossier.model_dump_json()),
        )
        conn.execute(
            "INSERT INTO fraud_supplier_ibans VALUES ('siren:000000000', 'FR76 0000', ?, "
            "'seen', '2026-02-03T08:30:16.000000Z', NULL, NULL)",
            (doc.document_id,),
        )
    conn.close()
    return doc, dossier


def test_an_old_file_is_brought_under_alembic_and_read_whole(tmp_path: Path) -> None:
    settings = StorageSettings(data_dir=tmp_path / "data")
    doc, dossier = _old_file(settings.sqlite_path)

    metadata = build_metadata_store(settings)
    registry = build_dossier_registry(settings)
    fraud = build_fraud_store(settings)
    assert metadata.get(doc.document_id) == doc
    assert [d.document_id for d in metadata.list_documents()] == [doc.document_id]
    assert registry.get(dossier.dossier_id) == dossier
    assert registry.upsert(dossier) == "unchanged"
    [iban] = fraud.ibans("siren:000000000")
    assert iban.seen_at == datetime(2026, 2, 3, 8, 30, 16, tzinfo=UTC)
    before = registry.revision()
    registry.upsert(dossier.model_copy(update={"status": "closed"}))
    assert registry.revision() != before
    for store in (metadata, registry, fraud):
        store.close()

    with sqlite3.connect(settings.sqlite_path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        times = conn.execute("SELECT received_at, updated_at FROM documents").fetchone()
        updated = conn.execute("SELECT updated_at FROM dossiers").fetchone()[0]
    conn.close()
    assert "alembic_version" in tables and "review_users" in tables  # created by 0004
    assert not tables & {"schema_version", "dossier_schema_version", "fraud_schema_version"}
    assert times == ("2026-02-03 08:30:15.123456", "2026-02-03 08:31:00.000001")
    assert not updated.endswith("Z")


def test_a_new_file_and_an_adopted_one_end_at_the_same_revision(tmp_path: Path) -> None:
    old = StorageSettings(data_dir=tmp_path / "old")
    _old_file(old.sqlite_path)
    new = StorageSettings(data_dir=tmp_path / "new")
    revisions = []
    for settings in (old, new):
        store = build_metadata_store(settings)
        revisions.append(store.schema_revision())  # type: ignore[attr-defined]
        store.close()
    assert revisions[0] == revisions[1] is not None
