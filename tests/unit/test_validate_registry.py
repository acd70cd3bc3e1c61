"""One contract test for the DossierRegistry Protocol, run against the fake and the SQL store on
SQLite (PostgreSQL: tests/integration/test_postgres_store.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailroom.models import DocType
from mailroom.records import Beneficiary, Dossier, GedEntry, supplier_key
from storage.dossiers import DossierRegistry, MemoryDossierRegistry
from storage.sql import SqlDossierRegistry, sqlite_url
from validate.completeness import new_request

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _dossier(dossier_id: str = "AST-2026-000001", **changes: object) -> Dossier:
    base = Dossier(
        dossier_id=dossier_id,
        beneficiary=Beneficiary(first_name="Claire", last_name="MARTIN", email="c@example.fr"),
        required_documents=(DocType.INVOICE, DocType.BANK_DETAILS),
    )
    return base.model_copy(update=changes)


def _entry(document_id: str, dossier_id: str, number: str = "F-1", at: int = 0) -> GedEntry:
    return GedEntry(
        ged_entry_id=f"ged-{document_id}",
        document_id=document_id,
        dossier_id=dossier_id,
        doc_type=DocType.INVOICE,
        received_at=NOW,
        filed_at=NOW + timedelta(minutes=at),
        channel="scan",
        fields={
            "supplier_siret": {"value": "73282932000074", "confidence": 0.9},
            "invoice_number": {"value": number, "confidence": 0.9},
        },
        sha256="0" * 64,
        original_key=f"originals/{document_id}",
        searchable_pdf_key=None,
    )


@pytest.fixture(params=["memory", "sqlite"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DossierRegistry]:
    reg: DossierRegistry = (
        MemoryDossierRegistry()
        if request.param == "memory"
        else SqlDossierRegistry(sqlite_url(tmp_path / "mailroom.sqlite3"))
    )
    yield reg
    reg.close()


def test_reimport_updates_and_never_duplicates(registry: DossierRegistry) -> None:
    assert registry.upsert(_dossier()) == "created"
    assert registry.upsert(_dossier()) == "unchanged"
    assert registry.upsert(_dossier(policy_number="CTR9")) == "updated"
    assert len(registry.all()) == 1
    got = registry.get("AST-2026-000001")
    assert got is not None and got.policy_number == "CTR9"


def test_the_revision_moves_with_every_created_or_updated_dossier(
    registry: DossierRegistry,
) -> None:
    seen = [registry.revision()]
    registry.upsert(_dossier())
    seen.append(registry.revision())
    registry.upsert(_dossier())  # unchanged: nothing for a running pipeline to re-index
    assert registry.revision() == seen[-1]
    registry.upsert(_dossier("AST-2026-000002"))
    seen.append(registry.revision())
    registry.upsert(_dossier(status="closed"))
    seen.append(registry.revision())
    assert len(set(seen)) == len(seen), seen


def test_a_closed_dossier_stays_for_history(registry: DossierRegistry) -> None:
    registry.upsert(_dossier())
    registry.upsert(_dossier("AST-2026-000002"))
    registry.upsert(_dossier(status="closed"))
    assert [d.dossier_id for d in registry.all(status="open")] == ["AST-2026-000002"]
    assert [d.dossier_id for d in registry.all(status="closed")] == ["AST-2026-000001"]
    assert registry.get("AST-2026-000001") is not None
    assert registry.get("AST-UNKNOWN") is None


def test_ged_entries_are_idempotent_by_document(registry: DossierRegistry) -> None:
    registry.add_ged_entry(_entry("doc-1", "AST-2026-000001"))
    registry.add_ged_entry(_entry("doc-1", "AST-2026-000001"))
    registry.add_ged_entry(_entry("doc-2", "AST-2026-000002", number="F-2", at=1))
    assert [e.document_id for e in registry.ged_entries()] == ["doc-1", "doc-2"]
    assert [e.document_id for e in registry.ged_entries("AST-2026-000002")] == ["doc-2"]


def test_a_filed_invoice_is_found_by_supplier_and_number_anywhere(
    registry: DossierRegistry,
) -> None:
    registry.add_ged_entry(_entry("doc-1", "AST-2026-000001", number="F 2026-0042"))
    key = supplier_key("73282932000074", "Dépannage Dupuis")
    assert key is not None
    found = registry.find_filed_invoice(key, "F2026/0042")
    assert found is not None and found.document_id == "doc-1"
    assert registry.find_filed_invoice(key, "F2026-0043") is None
    other = supplier_key("55210055400013", None)
    assert other is not None and registry.find_filed_invoice(other, "F2026-0042") is None


def test_requests_are_saved_updated_and_filtered(registry: DossierRegistry) -> None:
    first = new_request(_dossier(), ["invoice", "bank_details"], now=NOW)
    second = new_request(_dossier("AST-2026-000002"), ["invoice"], now=NOW + timedelta(hours=1))
    registry.save_request(first)
    registry.save_request(second)
    registry.save_request(first.model_copy(update={"state": "closed", "closed_at": NOW}))
    assert len(registry.requests()) == 2
    assert [r.request_id for r in registry.requests(state="pending")] == [second.request_id]
    (closed,) = registry.requests("AST-2026-000001")
    assert closed.state == "closed" and closed.missing == ("invoice", "bank_details")


def test_sqlite_registry_persists_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "mailroom.sqlite3"
    reg = SqlDossierRegistry(sqlite_url(path))
    reg.upsert(_dossier())
    reg.close()
    again = SqlDossierRegistry(sqlite_url(path))
    assert again.upsert(_dossier()) == "unchanged"
    again.close()
