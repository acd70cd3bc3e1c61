"""The corrections store's contract, on SQLite here (``tests/integration/test_corrections_pg.py``
runs the same tests on the real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from extract.fields.fingerprint import Fingerprint
from extract.fields.learned import Place
from mailroom.models import BBox
from storage.corrections import Correction, SqlCorrectionStore
from storage.sql import sqlite_url
from tests.unit.learning_pages import SALES, atelier_invoice, route_invoice


@pytest.fixture
def corrections(tmp_path: Path) -> Iterator[SqlCorrectionStore]:
    store = SqlCorrectionStore(sqlite_url(tmp_path / "learning.sqlite3"))
    yield store
    store.close()


def _place(name: str = "invoice_number", value: str = "PC-20931") -> Place:
    return Place(name, value, 1, BBox(x0=410, y0=125, x1=450, y1=135), (value,),
                 ("piece", "comptable"), BBox(x0=330, y0=125, x1=405, y1=135), 595.0, 842.0)


def correction(
    document_id: str,
    *,
    doc_type: str = "invoice",
    keys: tuple[str, ...] = ("siren:000871095",),
    template: str = "atelier",
    sale: int = 0,
    created_at: datetime | None = None,
) -> Correction:
    page = (atelier_invoice if template == "atelier" else route_invoice)(SALES[sale])
    return Correction(
        document_id=document_id,
        sha256=document_id.ljust(64, "0"),
        doc_type=doc_type,
        username="gest1",
        values={"invoice_number": "PC-20931"},
        places=(_place(),),
        sender_keys=keys,
        signature=Fingerprint.of([page]).signature,
        created_at=created_at or datetime.now(UTC),
    )


def test_a_correction_reads_back_equal_with_its_places(corrections: SqlCorrectionStore) -> None:
    saved = correction("doc-a")
    new_id = corrections.add(saved)
    back = corrections.get("doc-a")
    assert back is not None and back.correction_id == new_id
    assert back.places == saved.places and back.values == saved.values
    assert back.sender_keys == saved.sender_keys and back.signature == saved.signature


def test_corrections_are_found_by_sender_key_of_the_same_type_only(
    corrections: SqlCorrectionStore,
) -> None:
    corrections.add(correction("doc-a", keys=("siren:000871095", "domain:verchamp.fr")))
    corrections.add(correction("doc-b", keys=("siren:999999999",)))
    corrections.add(correction("doc-c", doc_type="receipt", keys=("siren:000871095",)))
    found = corrections.by_keys("invoice", ["domain:verchamp.fr", "iban:FR00"])
    assert [(c.document_id, key) for c, key in found] == [("doc-a", "domain:verchamp.fr")]
    assert corrections.by_keys("invoice", []) == []


def test_corrections_are_found_by_a_similar_layout_and_not_by_another(
    corrections: SqlCorrectionStore,
) -> None:
    corrections.add(correction("doc-a", template="atelier", sale=0))
    corrections.add(correction("doc-b", template="route", sale=0))
    other_company = Fingerprint.of([atelier_invoice(SALES[2])])
    found = corrections.by_layout("invoice", other_company, 0.5)
    assert [c.document_id for c, _ in found] == ["doc-a"]
    assert found[0][1] >= 0.5
    assert corrections.by_layout("receipt", other_company, 0.5) == []


def test_a_document_corrected_again_replaces_its_correction_and_moves_the_revision(
    corrections: SqlCorrectionStore,
) -> None:
    before = corrections.revision()
    first = corrections.add(correction("doc-a"))
    after_one = corrections.revision()
    second = corrections.add(correction("doc-a", keys=("siren:111111111",)))
    assert second != first and corrections.count() == 1
    assert len({before, after_one, corrections.revision()}) == 3
    assert corrections.by_keys("invoice", ["siren:000871095"]) == []
    assert [c.correction_id for c, _ in corrections.by_keys("invoice", ["siren:111111111"])] == [
        second
    ]


def test_a_medical_correction_serves_only_medical_certificates(
    corrections: SqlCorrectionStore,
) -> None:
    corrections.add(correction("doc-m", doc_type="medical_certificate", keys=("practitioner:1",)))
    assert corrections.by_keys("invoice", ["practitioner:1"]) == []
    found = corrections.by_keys("medical_certificate", ["practitioner:1"])
    assert [c.document_id for c, _ in found] == ["doc-m"] and found[0][0].medical


def test_weekly_figures_count_corrections_and_the_fields_they_served(
    corrections: SqlCorrectionStore,
) -> None:
    monday = datetime(2026, 11, 30, 9, tzinfo=UTC)
    corrections.add(correction("doc-a", created_at=monday))
    corrections.add(correction("doc-b", created_at=monday + timedelta(days=8)))
    corrections.record_uses("doc-x", [("doc-a", "invoice_number"), ("doc-a", "invoice_date")])
    corrections.record_uses("doc-x", [("doc-a", "invoice_number")])  # counted once
    corrections.record_uses("doc-y", [("doc-b", "invoice_number")])
    weeks = corrections.weekly()
    assert [(w.week.isoformat(), w.corrections, w.fields_served) for w in weeks] == [
        ("2026-11-30", 1, 2),
        ("2026-12-07", 1, 1),
    ]
    assert [c.document_id for c in corrections.all()] == ["doc-a", "doc-b"]
