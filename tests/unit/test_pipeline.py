"""The runner: originals kept, duplicates spotted, e-mails split, one error boundary."""

from __future__ import annotations

import io
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image

from classify.fake import FixedClassifier
from extract.fields.fake import FixedFieldExtractor
from extract.reader import ReadResult
from mailroom.errors import CorruptFile, QuarantineReason, StorageError
from mailroom.models import BBox, DocType, ExtractedField, Page, Status, Word
from mailroom.pipeline import Pipeline
from mailroom.records import Dossier
from mailroom.settings import LimitSettings, Settings
from storage.base import original_key
from storage.dossiers import MemoryDossierRegistry
from storage.memory import MemoryMetadataStore, MemoryObjectStore
from storage.settings import StorageSettings

CONTRACT_KEYS = {
    "document_id", "sha256", "source", "page_count", "doc_type", "doc_type_confidence",
    "text_source", "fields", "status", "reason", "ged_entry_id", "completeness_request_id",
}


def _png(colour: int = 255, size: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("L", (size, size), colour).save(out, format="PNG")
    return out.getvalue()


class FakeReader:
    """Gives one page saying 'Facture F-42' for any input; raises what it is told to."""

    def __init__(self, failures: dict[str, Exception] | None = None) -> None:
        self.failures = failures or {}
        self.calls: list[tuple[Path, str]] = []

    def read(self, path: Path, media_type: str, *, image_dir: Path | None = None) -> ReadResult:
        self.calls.append((path, media_type))
        if path.name in self.failures:
            raise self.failures[path.name]
        if media_type == "text/plain":
            text = path.read_text(encoding="utf-8")
        else:
            text = "Facture F-42"
        words = tuple(
            Word(text=t, bbox=BBox(x0=10 + 40 * i, y0=10, x1=45 + 40 * i, y1=20), confidence=95)
            for i, t in enumerate(text.split())
        )
        page = Page(number=1, width=595, height=842, text=text, words=words, text_source="ocr")
        return ReadResult(pages=[page])

    def reread(
        self, path: Path, media_type: str, pages: list[Page], fields: list[object]
    ) -> list[Page]:
        return pages  # nothing is doubted

    def close(self) -> None:
        pass


@pytest.fixture
def fake_fields() -> FixedFieldExtractor:
    return FixedFieldExtractor(
        {
            "invoice_number": ExtractedField(
                value="F-42", confidence=0.93, page=1, bbox=BBox(x0=50, y0=10, x1=85, y1=20)
            ),
            "total_incl_tax": ExtractedField(value=Decimal("120"), confidence=0.9, page=1),
        }
    )


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader()


@pytest.fixture
def pipeline(tmp_path: Path, reader: FakeReader, fake_fields: FixedFieldExtractor) -> Pipeline:
    settings = Settings(
        limits=LimitSettings(max_file_bytes=100_000),
        storage=StorageSettings(data_dir=tmp_path / "data"),
    )
    settings.ocr.workers = 1
    return Pipeline(
        settings,
        objects=MemoryObjectStore(),
        metadata=MemoryMetadataStore(),
        reader=reader,  # type: ignore[arg-type]
        classifier=FixedClassifier(DocType.INVOICE, 0.95),
        registry=MemoryDossierRegistry(),
        field_extractor=fake_fields,
    )


def test_a_read_document_gives_a_contract_record_with_fields(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(_png())
    [doc] = pipeline.process_file(path, channel="scan")
    record = doc.to_record()
    assert set(record) >= CONTRACT_KEYS
    assert record["doc_type"] == "invoice"
    assert record["fields"]["invoice_number"] == {
        "value": "F-42", "confidence": 0.93, "page": 1, "bbox": [50.0, 10.0, 85.0, 20.0]
    }
    assert record["fields"]["total_incl_tax"]["value"] == "120.00"
    assert record["source"]["channel"] == "scan"
    assert record["status"] == "needs_review"  # no dossier in the registry: a person files
    assert record["match"] == {"status": "unmatched", "candidates": []}
    assert set(doc.timings) == {
        "read", "classify", "extract", "learn", "match", "check", "fraud", "file"
    }


def test_original_is_stored_before_processing(pipeline: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(_png())
    [doc] = pipeline.process_file(path)
    assert pipeline.objects.get_bytes(original_key(doc.sha256)) == path.read_bytes()
    assert pipeline.metadata.get(doc.document_id) == doc


def test_same_bytes_twice_give_one_document_and_a_duplicate_record(
    pipeline: Pipeline, tmp_path: Path, reader: FakeReader
) -> None:
    first, second = tmp_path / "a.png", tmp_path / "copy-of-a.png"
    first.write_bytes(_png())
    second.write_bytes(_png())
    [a] = pipeline.process_file(first)
    [b] = pipeline.process_file(second)
    assert b.status is Status.DUPLICATE
    assert b.document_id == a.document_id and b.duplicate_of == a.document_id
    assert len(reader.calls) == 1  # the duplicate was not read again
    assert len(pipeline.metadata.list_documents()) == 1
    arrivals = pipeline.metadata.arrivals(a.document_id)
    assert [x.status for x in arrivals] == [Status.NEEDS_REVIEW, Status.DUPLICATE]


def test_bad_document_is_quarantined_and_the_batch_goes_on(
    pipeline: Pipeline, tmp_path: Path, reader: FakeReader
) -> None:
    paths = []
    for i, colour in enumerate((10, 128, 250)):
        p = tmp_path / f"doc{i}.png"
        p.write_bytes(_png(colour))
        paths.append(p)
    reader.failures["doc1.png"] = CorruptFile("truncated")
    docs = list(pipeline.process_paths(paths))
    assert [d.status for d in docs] == [Status.NEEDS_REVIEW, Status.QUARANTINED, Status.NEEDS_REVIEW]
    bad = docs[1]
    assert bad.quarantine_reason is QuarantineReason.CORRUPT_FILE
    assert "endommagé" in (bad.reason or "")
    assert pipeline.objects.exists(original_key(bad.sha256))  # the original is kept


def test_a_bug_becomes_an_internal_error_quarantine_not_a_crash(
    pipeline: Pipeline, tmp_path: Path, reader: FakeReader
) -> None:
    p = tmp_path / "x.png"
    p.write_bytes(_png())
    reader.failures["x.png"] = ZeroDivisionError("boom")
    [doc] = pipeline.process_file(p)
    assert doc.status is Status.QUARANTINED
    assert doc.quarantine_reason is QuarantineReason.INTERNAL_ERROR
    assert "ZeroDivisionError" in (doc.reason or "")


def test_unreachable_storage_stops_the_run_instead_of_quarantining(
    pipeline: Pipeline, tmp_path: Path, reader: FakeReader
) -> None:
    p = tmp_path / "x.png"
    p.write_bytes(_png())
    reader.failures["x.png"] = StorageError("disk gone")
    with pytest.raises(StorageError):
        pipeline.process_file(p)


def test_unsupported_and_too_large_inputs_are_quarantined_with_reasons(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    zip_file = tmp_path / "lettre.pdf"
    zip_file.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    big = tmp_path / "big.png"
    big.write_bytes(_png(size=16) + b"\x00" * 200_000)
    [z] = pipeline.process_file(zip_file)
    [b] = pipeline.process_file(big)
    assert z.quarantine_reason is QuarantineReason.UNSUPPORTED_TYPE
    assert b.quarantine_reason is QuarantineReason.TOO_LARGE


def test_a_quarantined_document_is_processed_again_when_it_comes_back(
    pipeline: Pipeline, tmp_path: Path, reader: FakeReader
) -> None:
    p = tmp_path / "x.png"
    p.write_bytes(_png())
    reader.failures["x.png"] = CorruptFile("flaky")
    [first] = pipeline.process_file(p)
    del reader.failures["x.png"]
    [second] = pipeline.process_file(p)
    assert first.status is Status.QUARANTINED
    assert second.status is Status.NEEDS_REVIEW and second.document_id == first.document_id


def _email(tmp_path: Path) -> Path:
    msg = EmailMessage()
    msg["From"] = "Claire Martin <claire.martin@example.fr>"
    msg["To"] = "remboursements@assistance.example"
    msg["Subject"] = "Demande de remboursement — dossier AST-2026-004217"
    msg["Message-ID"] = "<abc@example.fr>"
    msg.set_content(
        "Bonjour, suite à la panne de mon véhicule je vous prie de bien vouloir me rembourser "
        "la facture du dépanneur ci-jointe, pour le dossier AST-2026-004217.\nClaire Martin"
    )
    msg.add_attachment(_png(30), maintype="image", subtype="png", filename="facture dépannage.png")
    msg.add_attachment(_png(200), maintype="image", subtype="png", filename="../../rib.png")
    path = tmp_path / "message.eml"
    path.write_bytes(bytes(msg))
    return path


def test_an_email_body_and_each_attachment_become_documents(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    path = _email(tmp_path)
    docs = pipeline.process_file(path, channel="email")
    assert len(docs) == 3
    body, *attachments = docs
    assert body.source.path is not None and body.source.path.endswith("#body")
    assert body.media_type == "text/plain"
    assert "AST-2026-004217" in body.pages[0].text
    assert [a.source.filename for a in attachments] == ["facture dépannage.png", "../../rib.png"]
    container = pipeline.metadata.get(docs[0].parent_id or "")
    assert container is not None and container.status is Status.SPLIT
    for doc in docs:
        assert doc.source.channel == "email"
        assert doc.source.email is not None
        assert doc.source.email.subject == "Demande de remboursement — dossier AST-2026-004217"
        assert doc.to_record()["source"]["email"]["from"].startswith("Claire Martin")
    # The same e-mail again is one duplicate record, not three new documents.
    [again] = pipeline.process_file(path, channel="email")
    assert again.status is Status.DUPLICATE


def _dossier(status: str = "open") -> Dossier:
    return Dossier.model_validate(
        {
            "dossier_id": "AST-2026-004217",
            "status": status,
            "event_date": "2026-03-01",
            "policy_number": "CTR88412077",
            "beneficiary": {"first_name": "Claire", "last_name": "MARTIN"},
            "required_documents": ["invoice", "bank_details"],
        }
    )


def _cited(tmp_path: Path, reader: FakeReader) -> Path:
    p = tmp_path / "facture.png"
    p.write_bytes(_png())
    original = reader.read

    def read(path: Path, media_type: str, *, image_dir: Path | None = None) -> ReadResult:
        result = original(path, media_type, image_dir=image_dir)
        page = result.pages[0]
        text = "Facture F-42 dossier AST-2026-004217"
        words = (*page.words, Word(text="AST-2026-004217", bbox=BBox(x0=10, y0=40, x1=90, y1=50)))
        return ReadResult(pages=[page.model_copy(update={"text": text, "words": words})])

    reader.read = read  # type: ignore[method-assign]
    return p


def test_a_document_citing_an_open_dossier_is_matched_and_filed_in_the_ged(
    pipeline: Pipeline, tmp_path: Path, reader: FakeReader
) -> None:
    pipeline.registry.upsert(_dossier())
    [doc] = pipeline.process_file(_cited(tmp_path, reader))
    assert doc.match is not None and doc.match.status == "matched", doc.match
    assert doc.match.dossier_id == "AST-2026-004217"
    assert doc.status is Status.FILED, doc.reason
    [entry] = pipeline.registry.ged_entries("AST-2026-004217")
    assert doc.ged_entry_id == entry.ged_entry_id and entry.document_id == doc.document_id
    assert entry.searchable_pdf_key and pipeline.objects.exists(entry.searchable_pdf_key)
    # The dossier still lacks its RIB: one completeness request, and only one.
    actions = pipeline.request_missing_pieces()
    assert [(a.action, a.request.missing) for a in actions] == [("send", ("bank_details",))]
    assert pipeline.request_missing_pieces() == []


def test_a_document_citing_a_closed_dossier_goes_to_review(
    pipeline: Pipeline, tmp_path: Path, reader: FakeReader
) -> None:
    pipeline.registry.upsert(_dossier("closed"))
    [doc] = pipeline.process_file(_cited(tmp_path, reader))
    assert doc.match is not None and doc.match.status != "matched"
    assert doc.status is Status.NEEDS_REVIEW
    assert pipeline.registry.ged_entries() == []


def test_a_default_type_from_the_channel_wins_only_over_an_unsure_classifier(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    p = tmp_path / "ticket.png"
    p.write_bytes(_png())
    pipeline.classifier = FixedClassifier(DocType.INVOICE, 0.55)
    [doc] = pipeline.process_file(p, default_type=DocType.RECEIPT)
    assert doc.doc_type is DocType.RECEIPT
    assert doc.source.default_type is DocType.RECEIPT


def _cited_file(tmp_path: Path, reader: FakeReader, name: str) -> Path:
    """A different file (new bytes, not a duplicate) citing the same dossier."""
    p = _cited(tmp_path, reader)
    target = tmp_path / name
    target.write_bytes(p.read_bytes() + name.encode())
    return target


@pytest.mark.parametrize("registry_kind", ["memory", "sqlite-from-another-process"])
def test_a_running_pipeline_sees_dossiers_closed_or_created_after_its_first_document(
    pipeline: Pipeline, tmp_path: Path, reader: FakeReader, registry_kind: str
) -> None:
    """A worker or a watcher runs for days while gestionnaires import dossiers: its index of
    the dossiers must follow the registry, whoever writes to it."""
    from storage.sql import SqlDossierRegistry, sqlite_url

    if registry_kind == "memory":
        other = pipeline.registry
    else:
        pipeline.registry = SqlDossierRegistry(sqlite_url(tmp_path / "dossiers.sqlite3"))
        other = SqlDossierRegistry(sqlite_url(tmp_path / "dossiers.sqlite3"))  # another process's
    # no dossier yet: the first document is indexed against an empty registry
    [first] = pipeline.process_file(_cited_file(tmp_path, reader, "a.png"))
    assert first.match is not None and first.match.status != "matched"
    other.upsert(_dossier())
    [second] = pipeline.process_file(_cited_file(tmp_path, reader, "b.png"))
    assert second.match is not None and second.match.status == "matched", second.match
    other.upsert(_dossier("closed"))
    [third] = pipeline.process_file(_cited_file(tmp_path, reader, "c.png"))
    assert third.match is not None and third.match.status != "matched", third.match
    assert third.status is Status.NEEDS_REVIEW


def test_a_dossier_closed_since_the_index_was_built_is_never_matched_automatically(
    pipeline: Pipeline, tmp_path: Path, reader: FakeReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even when the registry's revision does not move (two writes in one millisecond), the
    dossier a document is about to be matched to is read again before the match stands."""
    pipeline.registry.upsert(_dossier())
    pipeline.dossier_index()  # built while the dossier is open
    frozen = pipeline.registry.revision()
    pipeline.registry.upsert(_dossier("closed"))
    monkeypatch.setattr(pipeline.registry, "revision", lambda: frozen)
    [doc] = pipeline.process_file(_cited_file(tmp_path, reader, "d.png"))
    assert doc.match is not None and doc.match.status != "matched", doc.match
    assert pipeline.registry.ged_entries() == []


def test_a_long_document_does_not_hold_back_the_files_after_it(
    pipeline: Pipeline, tmp_path: Path, reader: FakeReader
) -> None:
    """Two OCR workers: while the first file is still being read, the second finishes and
    the third starts; the results still come in the order of the files."""
    import threading

    pipeline.settings.ocr.workers = 2
    third_started = threading.Event()
    original = reader.read

    def read(path: Path, media_type: str, *, image_dir: Path | None = None) -> ReadResult:
        if path.name == "c.png":
            third_started.set()
        if path.name == "a.png":
            assert third_started.wait(timeout=20), "c.png waited for a.png to be read"
        return original(path, media_type, image_dir=image_dir)

    reader.read = read  # type: ignore[method-assign]
    paths = []
    for i, name in enumerate(["a.png", "b.png", "c.png"]):
        p = tmp_path / name
        p.write_bytes(_png(i))
        paths.append(p)
    finished: list[str] = []
    docs = list(pipeline.process_paths(paths, on_done=lambda p, _: finished.append(p.name)))
    assert [d.source.filename for d in docs] == ["a.png", "b.png", "c.png"]
    assert finished == ["a.png", "b.png", "c.png"]
    assert all(d.status is not Status.QUARANTINED for d in docs), [d.reason for d in docs]


def test_every_stage_part_is_the_one_the_pipeline_was_given(
    tmp_path: Path, reader: FakeReader
) -> None:
    """Reader, classifier, field extractor, matcher, checks and fraud checks are swapped for
    fakes through the constructor: what each fake answers is what the record says."""
    from mailroom.models import Check, Match

    seen: list[str] = []

    def matcher(doc: object, dossiers: object, settings: object, /) -> Match:
        seen.append("match")
        return Match(status="matched", dossier_id="AST-2031-000777", score=0.99)

    def checks(doc: object, dossier: Dossier | None, /, **_: object) -> list[Check]:
        seen.append(f"check:{dossier.dossier_id if dossier else None}")
        return [Check(code="fake.check", status="pass", message="vu")]

    def fraud(*_: object) -> list[Check]:
        seen.append("fraud")
        return [Check(code="fraud.fake", status="pass", message="rien")]

    registry = MemoryDossierRegistry()
    registry.upsert(
        Dossier.model_validate(
            {
                "dossier_id": "AST-2031-000777",
                "beneficiary": {"first_name": "Ilse", "last_name": "VARGO"},
            }
        )
    )
    fields = FixedFieldExtractor(
        {"patient_name": ExtractedField(value="Ilse VARGO", confidence=0.99, page=1)}
    )
    settings = Settings(storage=StorageSettings(data_dir=tmp_path / "data"))
    settings.ocr.workers = 1
    pipeline = Pipeline(
        settings,
        objects=MemoryObjectStore(),
        metadata=MemoryMetadataStore(),
        reader=reader,  # type: ignore[arg-type]
        classifier=FixedClassifier(DocType.MEDICAL_CERTIFICATE, 0.97),
        registry=registry,
        field_extractor=fields,
        matcher=matcher,
        checks=checks,  # type: ignore[arg-type]
        fraud_checks=fraud,
    )
    path = tmp_path / "arret.png"
    path.write_bytes(_png())
    [doc] = pipeline.process_file(path, channel="scan")
    assert reader.calls == [(path, "image/png")]
    assert fields.calls == 1
    assert doc.doc_type is DocType.MEDICAL_CERTIFICATE and doc.doc_type_confidence == 0.97
    assert doc.fields["patient_name"].value == "Ilse VARGO"
    assert doc.match is not None and doc.match.dossier_id == "AST-2031-000777"
    assert [c.code for c in doc.checks] == ["fake.check", "fraud.fake"]
    assert seen == ["match", "check:AST-2031-000777", "fraud"]


def test_build_pipeline_assembles_the_real_parts_through_their_protocols(tmp_path: Path) -> None:
    from classify.base import Classifier
    from extract.base import DocumentReader
    from extract.fields.base import FieldExtractor
    from mailroom.pipeline import build_pipeline
    from validate.checks import run_checks
    from validate.fraud import fraud_checks
    from validate.matching import match_document

    settings = Settings(storage=StorageSettings(data_dir=tmp_path / "data"))
    settings.ocr.workers = 1
    with build_pipeline(settings) as pipeline:
        assert isinstance(pipeline.reader, DocumentReader)
        assert isinstance(pipeline.classifier, Classifier)
        assert isinstance(pipeline.field_extractor, FieldExtractor)
        assert pipeline.matcher is match_document
        assert pipeline.checks is run_checks
        assert pipeline.fraud_checks is fraud_checks
