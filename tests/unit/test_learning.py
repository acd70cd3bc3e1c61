"""Learning from corrections: the fingerprint, what a correction teaches, the learned value
against validators and totals, the import's per-line errors, and the pipeline reading the
next document of a sender or layout right."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from classify.fake import FixedClassifier
from extract.fields import ContractFieldExtractor
from extract.fields.fingerprint import Fingerprint, jaccard, label_word, layout_tokens
from extract.fields.learned import Lesson, apply_lessons, read_value, teach
from extract.reader import ReadResult
from mailroom.learning import import_corrections
from mailroom.models import BBox, DocType, ExtractedField, Page, Status
from mailroom.pipeline import Pipeline
from mailroom.settings import Settings, StorageSettings
from storage.corrections import SqlCorrectionStore
from storage.dossiers import MemoryDossierRegistry
from storage.memory import MemoryMetadataStore, MemoryObjectStore
from storage.sql import sqlite_url
from tests.unit.laid_out import laid_out_page
from tests.unit.learning_pages import SALES, Sale, atelier_invoice, route_invoice, siret

ALL = ["invoice_number", "invoice_date", "total_excl_tax", "vat_amount", "total_incl_tax",
       "customer_name", "supplier_name", "supplier_siret"]


def _truth(sale: Sale) -> dict[str, str]:
    day, month, year = sale.day.split("/")

    def amount(text: str) -> str:
        return text.replace(" ", "").replace(",", ".")

    return {
        "invoice_number": sale.number,
        "invoice_date": f"{year}-{month}-{day}",
        "total_excl_tax": amount(sale.ht),
        "vat_amount": amount(sale.tva),
        "total_incl_tax": amount(sale.ttc),
        "customer_name": sale.customer,
        "supplier_name": sale.company,
    }


# --------------------------------------------------------------------------- fingerprint


def test_label_words_are_words_of_letters_and_values_are_not() -> None:
    assert label_word("Total") == "total"
    assert label_word("Émise") == "emise"
    assert label_word("12,50") is None
    assert label_word("PC-20931") is None
    assert label_word("N°") is None


def test_one_template_printed_for_other_companies_is_near_and_another_template_is_not() -> None:
    same = [Fingerprint.of([atelier_invoice(s)]) for s in SALES]
    other = [Fingerprint.of([route_invoice(s)]) for s in SALES]
    for i in range(len(SALES)):
        for j in range(i + 1, len(SALES)):
            assert same[i].similarity(same[j]) >= 0.7
            assert other[i].similarity(other[j]) >= 0.6
        for j in range(len(SALES)):
            assert same[i].similarity(other[j]) <= 0.2
    first, second = (layout_tokens(atelier_invoice(s)) for s in SALES[:2])
    exact = jaccard(first, second)
    assert abs(exact - same[0].similarity(same[1])) < 0.15  # the MinHash estimates Jaccard


def test_a_page_without_label_words_has_an_empty_fingerprint_alike_to_nothing() -> None:
    blank = Fingerprint.of([laid_out_page((40, 40, "12,50 03/02/2026"))])
    assert blank.empty and blank.similarity(Fingerprint.of([atelier_invoice(SALES[0])])) == 0.0


# --------------------------------------------------------------------------- teaching, reading


def test_a_correction_teaches_the_label_and_place_of_each_value() -> None:
    places = teach([atelier_invoice(SALES[0])], _truth(SALES[0]))
    assert places["invoice_number"].label == ("piece", "comptable")
    assert places["invoice_date"].label == ("emise", "le")
    # the amount printed in a line and in the totals: the totals' printing is the one taught
    assert places["total_excl_tax"].label == ("montant", "hors", "taxes")
    assert places["customer_name"].words == ("Lucie", "Fabregat")


def test_a_value_not_on_the_page_teaches_no_place() -> None:
    places = teach([atelier_invoice(SALES[0])], {"invoice_number": "ZZ-0001"})
    assert places == {}


def test_values_are_read_by_type() -> None:
    assert read_value("total_incl_tax", "1 260,00") == Decimal("1260.00")
    assert read_value("invoice_date", "Émise le 03/02/2026") is None
    assert read_value("invoice_number", "Pièce PC-1") is None
    assert read_value("customer_name", ": Lucie Fabregat") is None


def _lesson(sale: Sale, names: list[str] | None = None, **kw: object) -> Lesson:
    truth = _truth(sale)
    if names is not None:
        truth = {n: truth[n] for n in names}
    places = teach([atelier_invoice(sale)], truth)
    return Lesson(1, tuple(places.values()), document_id="doc-taught", **kw)  # type: ignore[arg-type]


def test_the_learned_value_wins_over_the_extractors_and_says_where_it_came_from() -> None:
    new = atelier_invoice(SALES[1])
    wrong = {"invoice_number": ExtractedField(value="BL-55120", confidence=0.8)}
    out = apply_lessons([new], wrong, [_lesson(SALES[0], sender="SIREN 000871095")], ALL)
    assert out["invoice_number"].value == "PC-77102"
    assert out["invoice_number"].learned is not None
    assert out["invoice_number"].learned.record() == {"corrections": 1, "sender": "SIREN 000871095"}
    assert out["invoice_number"].record()["learned"]["corrections"] == 1
    for name, value in _truth(SALES[1]).items():
        assert str(out[name].value) == value, name


def test_a_learned_identifier_that_fails_its_key_loses() -> None:
    good = siret(21)
    taught = laid_out_page((40, 70, f"Siret : {good}"))
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)  # the Luhn key broken
    new = laid_out_page((40, 70, f"Siret : {bad}"))
    lesson = Lesson(1, tuple(teach([taught], {"supplier_siret": good}).values()))
    kept = {"supplier_siret": ExtractedField(value=siret(22), confidence=0.7)}
    out = apply_lessons([new], kept, [lesson], ["supplier_siret"])
    assert out["supplier_siret"].value == siret(22) and out["supplier_siret"].learned is None


def test_a_learned_total_that_breaks_the_totals_loses() -> None:
    # the new invoice prints, where the net to pay was, a balance after a deposit
    broken = Sale("Garage Verchamp", siret(11), "PC-20999", "04/03/2026", "100,00", "20,00",
                  "70,00", "Paul Ormesson")
    extracted = {
        "total_excl_tax": ExtractedField(value=Decimal("100.00"), confidence=0.9),
        "vat_amount": ExtractedField(value=Decimal("20.00"), confidence=0.9),
        "total_incl_tax": ExtractedField(value=Decimal("120.00"), confidence=0.9),
    }
    lesson = _lesson(SALES[0], ["total_excl_tax", "vat_amount", "total_incl_tax"])
    out = apply_lessons([atelier_invoice(broken)], extracted, [lesson], ALL)
    assert out["total_incl_tax"].value == Decimal("120.00")
    assert out["total_incl_tax"].learned is None
    # the two that add up with it are still taken from what was learned
    assert out["total_excl_tax"].learned is not None


def test_an_implausible_learned_date_loses() -> None:
    taught = laid_out_page((40, 70, "Date : 03/02/2026"))
    new = laid_out_page((40, 70, "Date : 03/02/1926"))
    lesson = Lesson(1, tuple(teach([taught], {"invoice_date": "2026-02-03"}).values()))
    out = apply_lessons([new], {}, [lesson], ["invoice_date"])
    assert "invoice_date" not in out


# --------------------------------------------------------------------------- pipeline, import


def _png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (16 + seed, 16), 255).save(out, format="PNG")
    return out.getvalue()


class PagesReader:
    """Reads each file as the laid-out page its name says."""

    def __init__(self, pages: dict[str, Page]) -> None:
        self.pages = pages

    def read(self, path: Path, media_type: str, *, image_dir: Path | None = None) -> ReadResult:
        return ReadResult(pages=[self.pages[path.stem]])

    def reread(self, path: Path, media_type: str, pages: list[Page], fields: object) -> list[Page]:
        return pages

    def close(self) -> None:
        pass


@pytest.fixture
def learning(tmp_path: Path) -> Iterator[tuple[Pipeline, Path]]:
    same_sender = Sale("Garage Verchamp", SALES[0].siret, "PC-20977", "11/03/2026", "50,00",
                       "10,00", "60,00", "Hugo Lemarchal")
    pages = {
        "a0": atelier_invoice(SALES[0]),
        "a1": atelier_invoice(SALES[1]),
        "a2": atelier_invoice(SALES[2]),
        "b1": route_invoice(SALES[1]),
        "s0": atelier_invoice(same_sender, shift=-60.0),  # the same garage, its header moved
    }
    settings = Settings(storage=StorageSettings(data_dir=tmp_path / "data"))
    settings.ocr.workers = 1
    pipeline = Pipeline(
        settings,
        objects=MemoryObjectStore(),
        metadata=MemoryMetadataStore(),
        reader=PagesReader(pages),  # type: ignore[arg-type]
        classifier=FixedClassifier(DocType.INVOICE, 0.95),
        registry=MemoryDossierRegistry(),
        field_extractor=ContractFieldExtractor(),
        corrections=SqlCorrectionStore(sqlite_url(tmp_path / "learning.sqlite3")),
    )
    folder = tmp_path / "in"
    folder.mkdir()
    for i, name in enumerate(pages):
        (folder / f"{name}.png").write_bytes(_png(i))
    yield pipeline, folder
    pipeline.close()


def _ingest(pipeline: Pipeline, folder: Path, name: str) -> dict[str, ExtractedField]:
    [doc] = pipeline.process_file(folder / f"{name}.png")
    return doc.fields


def _import(pipeline: Pipeline, tmp_path: Path, lines: list[object]) -> tuple[int, list[str]]:
    path = tmp_path / "corrections.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    summary = import_corrections(pipeline, path)
    return summary.recorded, summary.errors


def test_a_correction_imported_makes_the_next_document_of_the_layout_come_out_right(
    learning: tuple[Pipeline, Path], tmp_path: Path
) -> None:
    pipeline, folder = learning
    before = _ingest(pipeline, folder, "a1")
    assert "invoice_number" not in before or before["invoice_number"].value != "PC-77102"
    _ingest(pipeline, folder, "a0")
    docs = pipeline.metadata.list_documents()
    first = next(d for d in docs if d.pages and "Verchamp" in d.pages[0].text)
    recorded, errors = _import(pipeline, tmp_path, [
        {"sha256": first.sha256, "doc_type": "invoice", "fields": _truth(SALES[0])}
    ])
    assert (recorded, errors) == (1, [])
    after = _ingest(pipeline, folder, "a2")  # another company, the same invoicing program
    for name, value in _truth(SALES[2]).items():
        assert str(after[name].value) == value, name
    learned = after["invoice_number"].learned
    assert learned is not None and learned.layout is not None and learned.sender is None
    other = _ingest(pipeline, folder, "b1")  # another program: nothing learned applies
    assert all(f.learned is None for f in other.values())
    mine = _ingest(pipeline, folder, "s0")  # the same sender, found by its SIREN
    assert mine["invoice_number"].value == "PC-20977"
    sender = mine["invoice_number"].learned
    assert sender is not None and sender.sender == f"SIREN {SALES[0].siret[:9]}"
    assert pipeline.corrections is not None
    assert sum(w.fields_served for w in pipeline.corrections.weekly()) >= 8


def test_each_bad_line_of_an_import_is_reported_with_its_number_and_the_others_count(
    learning: tuple[Pipeline, Path], tmp_path: Path
) -> None:
    pipeline, folder = learning
    _ingest(pipeline, folder, "a0")
    [doc] = pipeline.metadata.list_documents()
    recorded, errors = _import(pipeline, tmp_path, [
        {"sha256": "0" * 64, "fields": {"invoice_number": "X-1"}},
        {"document_id": doc.document_id, "fields": {"patient_name": "Léa Roux"}},
        {"document_id": doc.document_id, "fields": {"invoice_date": "31/02/2026"}},
        "{not json",
        {"document_id": doc.document_id, "doc_type": "facture", "fields": {}},
        {"document_id": doc.document_id, "fields": {"invoice_number": "PC-20931"}},
    ])
    assert recorded == 1
    assert [e.split(" :")[0] for e in errors] == [f"ligne {n}" for n in (1, 2, 3, 4, 5)]
    assert "unknown document" in errors[0]
    assert "patient_name" in errors[1] and "unknown field" in errors[1]
    assert "invoice_date" in errors[2] and "malformed value" in errors[2]
    assert "malformed JSON" in errors[3]
    assert "unknown doc_type" in errors[4]


def test_an_import_gives_a_document_in_review_its_fields_and_never_changes_a_filed_one(
    learning: tuple[Pipeline, Path], tmp_path: Path
) -> None:
    pipeline, folder = learning
    _ingest(pipeline, folder, "a0")
    [doc] = pipeline.metadata.list_documents()
    assert doc.status is Status.NEEDS_REVIEW  # no dossier matches
    _import(pipeline, tmp_path, [
        {"document_id": doc.document_id, "fields": {"invoice_number": "PC-20931"}}
    ])
    again = pipeline.metadata.get(doc.document_id)
    assert again is not None
    corrected = again.fields["invoice_number"]
    assert corrected.value == "PC-20931" and corrected.source == "correction"
    assert corrected.bbox == BBox(x0=410.0, y0=125.0, x1=450.0, y1=135.0)
    filed = again.model_copy(update={"status": Status.FILED, "fields": {}})
    pipeline.metadata.save(filed)
    recorded, _ = _import(pipeline, tmp_path, [
        {"document_id": doc.document_id, "fields": {"customer_name": "Lucie Fabregat"}}
    ])
    assert recorded == 1
    unchanged = pipeline.metadata.get(doc.document_id)
    assert unchanged is not None and unchanged.fields == {}
