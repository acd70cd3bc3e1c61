"""A scan batch in the review application: its strip of pages, a gestionnaire's new cut
(merge, split, refused on a filed document), the superseded records, the medical restriction
of the batch as a whole, CSRF.

The batch is a PDF built here with invented documents and PATCHT separator sheets (Code 128),
read by a reader that gives each page its invented text and the page's own rendering (so the
separator sheets are found by their barcode, as in production); the pipeline, the stores
(SQLite, filesystem) and the review application are the real ones.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from classify.base import Classification
from extract.fields import ContractFieldExtractor
from extract.reader import ReadResult
from mailroom.batches import segments_from_starts
from mailroom.models import BatchLayout, BBox, DocType, Document, EmailInfo, Page, Status, Word
from mailroom.pipeline import Pipeline
from mailroom.resplit import ResplitRefused, batch_parts, resplit_batch
from mailroom.settings import Settings, StorageSettings
from review.app import create_app
from review.auth import hash_password
from review.settings import ReviewSettings
from review.store import ReviewStore, open_review_store
from storage.dossiers import MemoryDossierRegistry
from storage.filesystem import FilesystemObjectStore
from storage.sql import SqlMetadataStore, sqlite_url
from tests.unit.test_review_app import CHEAP, PASSWORD, login

SHEET = "PATCHT"
# An invented stack: a two-page invoice, a sheet, a RIB, a sheet, a claim letter.
STACK = [
    "FACTURE N° FA-7781\nCarrosserie des Tilleuls\nPage 1/2",
    "FACTURE N° FA-7781 (suite)\nTotal TTC 312,40\nPage 2/2",
    SHEET,
    "Relevé d'identité bancaire\nTitulaire Jeanne ROUSSEL\nIBAN FR76 1027 8060 0000 0201 2345 678",
    SHEET,
    "Objet : demande de remboursement\nMadame, Monsieur, je vous prie de rembourser\n"
    "Cordialement, Jeanne ROUSSEL",
]
# The same with a medical certificate where the RIB was.
MEDICAL_STACK = [
    STACK[0],
    STACK[1],
    SHEET,
    "CERTIFICAT MEDICAL\nLe Dr Paul VERNET certifie avoir examiné Jeanne ROUSSEL",
    SHEET,
    STACK[5],
]


def build_stack(path: Path, texts: Sequence[str]) -> Path:
    """A PDF of ``texts``, one a page; a page whose text is the separator value is a
    separator sheet (its Code 128 barcode, nothing else)."""
    c = canvas.Canvas(str(path), pagesize=A4)
    for text in texts:
        if text == SHEET:
            barcode = code128.Code128(SHEET, barHeight=90, barWidth=1.8)
            barcode.drawOn(c, (A4[0] - barcode.width) / 2, A4[1] / 2)
        else:
            for i, line in enumerate(text.splitlines()):
                c.drawString(72, A4[1] - 90 - 18 * i, line)
        c.showPage()
    c.save()
    return path


def _words(text: str) -> tuple[Word, ...]:
    out = []
    for line_no, line in enumerate(text.splitlines()):
        for i, t in enumerate(line.split()):
            y = 60 + 18 * line_no
            out.append(Word(text=t, bbox=BBox(x0=72 + 60 * i, y0=y, x1=120 + 60 * i, y1=y + 10),
                            confidence=95, line=line_no))
    return tuple(out)


class StackReader:
    """Reads a stack built by :func:`build_stack`: each page's text as written (a sheet has
    none) and its rendering at 150 dpi, as a scanner's reading would give them."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = list(texts)

    def read(self, path: Path, media_type: str, *, image_dir: Path | None = None) -> ReadResult:
        assert image_dir is not None
        image_dir.mkdir(parents=True, exist_ok=True)
        pdf = pdfium.PdfDocument(str(path))
        pages, images = [], {}
        try:
            for n, text in enumerate(self.texts, start=1):
                text = "" if text == SHEET else text
                image = image_dir / f"page-{n:04d}.png"
                pdf[n - 1].render(scale=150 / 72, grayscale=True).to_pil().save(image)
                pages.append(Page(number=n, width=595, height=842, text=text,
                                  words=_words(text), text_source="ocr", ocr_confidence=95))
                images[n] = image
        finally:
            pdf.close()
        return ReadResult(pages=pages, page_images=images)

    def reread(self, path: Path, media_type: str, pages: list[Page], fields: list[object]
               ) -> list[Page]:
        return pages

    def close(self) -> None:
        pass


class WordClassifier:
    """A document's type from a word it carries (the tests' stand-in for the model)."""

    WORDS = (("CERTIFICAT", DocType.MEDICAL_CERTIFICATE), ("FACTURE", DocType.INVOICE),
             ("IBAN", DocType.BANK_DETAILS), ("Objet", DocType.CLAIM_LETTER))

    def classify(self, pages: Sequence[Page]) -> Classification:
        text = " ".join(p.text for p in pages)
        found = next((t for w, t in self.WORDS if w in text), DocType.OTHER)
        scores = {t: (0.95 if t is found else 0.01) for t in DocType}
        return Classification(found, 0.95, scores)


@dataclass
class Batch:
    client: TestClient
    pipeline: Pipeline
    store: ReviewStore
    batch_id: str
    docs: list[Document]  # as the ingest found them

    def parts(self, *, superseded: bool = False) -> list[Document]:
        return batch_parts(self.pipeline.metadata, self.batch_id, superseded=superseded)

    def ranges(self, *, superseded: bool = False) -> list[tuple[int, int] | None]:
        return [d.source.pages for d in self.parts(superseded=superseded)]


def _world(tmp_path: Path, texts: Sequence[str]) -> Iterator[Batch]:
    settings = Settings(storage=StorageSettings(data_dir=tmp_path / "data"))
    settings.ocr.workers = 1
    metadata = SqlMetadataStore(sqlite_url(settings.storage.sqlite_path))
    objects = FilesystemObjectStore(settings.storage.objects_dir)
    registry = MemoryDossierRegistry()
    pipeline = Pipeline(
        settings, objects=objects, metadata=metadata,
        reader=StackReader(texts),  # type: ignore[arg-type]
        classifier=WordClassifier(), registry=registry,
        field_extractor=ContractFieldExtractor(),
    )
    stack = build_stack(tmp_path / "lot-0412.pdf", texts)
    docs = pipeline.process_file(stack, channel="scan")
    batch_id = docs[0].parent_id
    assert batch_id is not None
    store = open_review_store(settings.storage)
    for name, role in (("alice", "gestionnaire"), ("marie", "medical")):
        store.add_user(name, hash_password(PASSWORD, hasher=CHEAP), role)  # type: ignore[arg-type]
    app = create_app(
        settings, ReviewSettings(session_secret="s" * 40),  # type: ignore[arg-type]
        metadata=metadata, objects=objects, registry=registry, store=store,
        rehash_passwords=False, pipeline=lambda: pipeline,
    )
    with TestClient(app) as client:
        yield Batch(client, pipeline, store, batch_id, docs)
    metadata.close()
    store.close()


@pytest.fixture
def batch(tmp_path: Path) -> Iterator[Batch]:
    yield from _world(tmp_path, STACK)


@pytest.fixture
def medical_batch(tmp_path: Path) -> Iterator[Batch]:
    yield from _world(tmp_path, MEDICAL_STACK)


def cut(b: Batch, token: str, starts: Sequence[int]) -> str:
    r = b.client.post(f"/batches/{b.batch_id}/cuts",
                      data={"csrf_token": token, "start": [str(n) for n in starts]})
    assert r.status_code == 200, r.text  # redirected back to the batch page
    return html.unescape(r.text)


# -- the cut as a function ------------------------------------------------------------------


def test_a_persons_cut_keeps_separators_and_blanks_out_and_carries_the_sheets_dossier() -> None:
    layout = BatchLayout(method="separators", separators=(3, 6), blanks=(4,),
                         references={3: "AST-2026-000777"})
    found = segments_from_starts([5, 7], 8, layout)
    assert [(s.first, s.last, s.pages) for s in found] == [(1, 2, (1, 2)), (5, 5, (5,)),
                                                           (7, 8, (7, 8))]
    # the document after sheet 3 (and its blank back 4) gets the sheet's dossier
    assert [s.dossier_reference for s in found] == [None, "AST-2026-000777", None]
    # a start on a sheet begins the document at the next page kept; page 1 always begins one
    assert [(s.first, s.last) for s in segments_from_starts([3], 8, layout)] == [(1, 2), (5, 8)]
    assert [s.pages for s in segments_from_starts([], 8, layout)] == [(1, 2, 5, 7, 8)]


def test_the_ingest_keeps_the_batchs_layout_on_its_record(batch: Batch) -> None:
    assert [d.source.pages for d in batch.docs] == [(1, 2), (4, 4), (6, 6)]
    record = batch.pipeline.metadata.get(batch.batch_id)
    assert record is not None and record.batch is not None
    assert record.batch.separators == (3, 5) and record.batch.method == "separators"


def test_removing_a_boundary_merges_two_documents_and_keeps_the_replaced_ones(
    batch: Batch,
) -> None:
    invoice, rib, letter = batch.docs
    done = resplit_batch(batch.pipeline, batch.batch_id, [1, 4], by="alice")
    assert [d.source.pages for d in done.created] == [(4, 6)]
    [merged] = done.created
    assert merged.page_count == 2  # the separator sheet between them stays out
    assert merged.status is Status.NEEDS_REVIEW and merged.parent_id == batch.batch_id
    assert merged.doc_type is not None  # classified, extracted, matched, checked again
    assert batch.ranges() == [(1, 2), (4, 6)]
    # the invoice, whose pages did not move, is the same record, untouched
    kept = batch.pipeline.metadata.get(invoice.document_id)
    assert kept is not None and kept.status is Status.NEEDS_REVIEW
    assert kept.received_at == invoice.received_at and kept.superseded_by == []
    # the two replaced documents are kept, saying what replaced them
    for old in (rib, letter):
        stored = batch.pipeline.metadata.get(old.document_id)
        assert stored is not None and stored.status is Status.SUPERSEDED
        assert stored.superseded_by == [merged.document_id]
        assert stored.fields == old.fields and stored.pages == old.pages  # nothing lost
    assert batch.ranges(superseded=True) == [(4, 4), (6, 6)]


def test_adding_a_boundary_splits_one_document_in_two(batch: Batch) -> None:
    invoice = batch.docs[0]
    done = resplit_batch(batch.pipeline, batch.batch_id, [1, 2, 4, 6], by="alice")
    assert [d.source.pages for d in done.created] == [(1, 1), (2, 2)]
    assert [d.document_id for d in done.superseded] == [invoice.document_id]
    stored = batch.pipeline.metadata.get(invoice.document_id)
    assert stored is not None and stored.superseded_by == [d.document_id for d in done.created]
    assert batch.ranges() == [(1, 1), (2, 2), (4, 4), (6, 6)]
    # made of the replaced invoice's pages, they are not taken for copies of it
    assert not [c for d in done.created for c in d.checks if c.code.startswith("fraud.")]
    # the original of each new document holds only its page
    for doc in done.created:
        pdf = pdfium.PdfDocument(batch.pipeline.objects.get_bytes(doc.original_key or ""))
        assert len(pdf) == 1
        pdf.close()


def test_cutting_back_brings_the_replaced_records_back(batch: Batch) -> None:
    ids = [d.document_id for d in batch.docs]
    resplit_batch(batch.pipeline, batch.batch_id, [1, 4], by="alice")
    done = resplit_batch(batch.pipeline, batch.batch_id, [1, 4, 6], by="alice")
    assert [d.document_id for d in done.created] == ids[1:]  # same pages, same ids
    assert [d.document_id for d in batch.parts()] == ids
    assert all(d.status is Status.NEEDS_REVIEW for d in batch.parts())


def test_the_same_cut_changes_nothing(batch: Batch) -> None:
    done = resplit_batch(batch.pipeline, batch.batch_id, [1, 4, 6], by="alice")
    assert not done.changed and done.kept == batch.parts()


def test_a_filed_documents_pages_are_not_moved(batch: Batch) -> None:
    invoice = batch.docs[0]
    stored = batch.pipeline.metadata.get(invoice.document_id)
    assert stored is not None
    stored.status, stored.ged_entry_id = Status.FILED, "ged-000123"
    batch.pipeline.metadata.save(stored)
    with pytest.raises(ResplitRefused, match="déjà classé en GED"):
        resplit_batch(batch.pipeline, batch.batch_id, [1, 2, 4, 6], by="alice")
    assert batch.ranges() == [(1, 2), (4, 4), (6, 6)]
    # the other documents can still be cut around it
    done = resplit_batch(batch.pipeline, batch.batch_id, [1, 4], by="alice")
    assert [d.source.pages for d in done.created] == [(4, 6)]


# -- the batch page -------------------------------------------------------------------------


def test_the_batch_page_shows_the_strip_with_sheets_and_documents(batch: Batch) -> None:
    login(batch.client, "alice")
    r = batch.client.get(f"/batches/{batch.batch_id}")
    assert r.status_code == 200
    page = html.unescape(r.text)
    roles = re.findall(r'data-page="(\d+)" data-role="(\w+)"', page)
    assert roles == [("1", "page"), ("2", "page"), ("3", "separator"), ("4", "page"),
                     ("5", "separator"), ("6", "page")]
    assert page.count("intercalaire") >= 2
    # the current boundaries are the ticked starts; page 1 always starts a document
    assert re.findall(r'value="(\d+)" checked', page) == ["4", "6"]
    for doc in batch.docs:
        assert f'href="/documents/{doc.document_id}"' in page
    assert "RIB" in page and "Facture" in page
    thumb = batch.client.get(f"/batches/{batch.batch_id}/pages/3/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"].startswith("image/")


def test_a_batch_document_links_to_its_batch_from_its_page_and_the_queue(batch: Batch) -> None:
    login(batch.client, "alice")
    rib = batch.docs[1]
    page = batch.client.get(f"/documents/{rib.document_id}").text
    assert f'href="/batches/{batch.batch_id}"' in page
    queue = batch.client.get("/").text
    assert queue.count(f'href="/batches/{batch.batch_id}"') == 3  # a "lot" badge per document
    assert "lot · p. 1–2" in html.unescape(queue)


def test_moving_a_boundary_on_the_page_replaces_the_documents_and_is_audited(
    batch: Batch,
) -> None:
    invoice, rib, letter = batch.docs
    token = login(batch.client, "alice")
    page = cut(batch, token, [2, 4, 6])  # a boundary added inside the invoice
    assert "lot redécoupé : 2 nouveau(x) document(s)" in page
    assert batch.ranges() == [(1, 1), (2, 2), (4, 4), (6, 6)]
    new_ids = [d.document_id for d in batch.parts()[:2]]
    for new_id in new_ids:
        assert f'href="/documents/{new_id}"' in page
    # the new documents are in the queue, the replaced one left it and tells what replaced it
    queue = batch.client.get("/").text
    assert all(i in queue for i in new_ids) and invoice.document_id not in queue
    old_page = html.unescape(batch.client.get(f"/documents/{invoice.document_id}").text)
    assert "Remplacé par un nouveau découpage du lot" in old_page
    assert all(i in old_page for i in new_ids)
    [event] = [e for e in batch.store.audit_events(document_id=batch.batch_id)
               if e.action == "resplit"]
    assert event.username == "alice" and event.allowed
    assert any("p. 1-2" in x for x in event.before["documents"])
    assert any("p. 2-2" in x for x in event.after["documents"])
    assert [e.action for e in batch.store.audit_events(document_id=invoice.document_id)] == [
        "superseded"
    ]


def test_moving_a_filed_documents_pages_is_refused_in_french(batch: Batch) -> None:
    stored = batch.pipeline.metadata.get(batch.docs[0].document_id)
    assert stored is not None
    stored.status, stored.ged_entry_id = Status.FILED, "ged-000123"
    batch.pipeline.metadata.save(stored)
    token = login(batch.client, "alice")
    page = cut(batch, token, [2, 4, 6])
    assert "découpage refusé" in page and "ne peuvent pas être déplacées" in page
    assert batch.ranges() == [(1, 2), (4, 4), (6, 6)]
    [event] = batch.store.audit_events(document_id=batch.batch_id)
    assert (event.action, event.allowed) == ("resplit", False)


def test_a_cut_without_the_csrf_token_is_refused_and_changes_nothing(batch: Batch) -> None:
    login(batch.client, "alice")
    r = batch.client.post(f"/batches/{batch.batch_id}/cuts", data={"start": ["2", "4", "6"]})
    assert r.status_code == 403
    r = batch.client.post(f"/batches/{batch.batch_id}/cuts",
                          data={"csrf_token": "x" * 40, "start": ["2", "4", "6"]})
    assert r.status_code == 403
    assert batch.ranges() == [(1, 2), (4, 4), (6, 6)]


def test_a_document_that_is_not_a_batch_has_no_batch_page(batch: Batch) -> None:
    login(batch.client, "alice")
    assert batch.client.get(f"/batches/{batch.docs[0].document_id}").status_code == 404


# -- medical restriction of the batch as a whole --------------------------------------------

BATCH_PATHS = (
    "/batches/{id}",
    "/batches/{id}/pages/4/thumb",
    "/batches/{id}/pages/1/thumb",
    "/documents/{id}",
    "/documents/{id}/original",
    "/documents/{id}/pages/1/screen",
    "/api/documents/{id}",
)


def test_a_batch_holding_a_medical_certificate_is_refused_to_a_gestionnaire_and_audited(
    medical_batch: Batch,
) -> None:
    b = medical_batch
    certificate = b.docs[1]
    assert certificate.doc_type is DocType.MEDICAL_CERTIFICATE
    token = login(b.client, "alice")
    for path in BATCH_PATHS:
        r = b.client.get(path.format(id=b.batch_id))
        assert r.status_code == 403, path
        assert "certificat médical" in html.unescape(r.text)
    r = b.client.post(f"/batches/{b.batch_id}/cuts", data={"csrf_token": token, "start": ["4"]})
    assert r.status_code == 403
    assert b.ranges() == [(1, 2), (4, 4), (6, 6)]  # nothing changed
    events = b.store.audit_events(document_id=b.batch_id)
    assert len(events) == len(BATCH_PATHS) + 1
    assert all(e.username == "alice" and not e.allowed for e in events)
    assert {e.action for e in events} >= {"view_batch", "image", "resplit", "download"}
    assert all(certificate.document_id in (e.detail or "") for e in events)
    # the batch's other documents stay open to the gestionnaire, one by one
    assert b.client.get(f"/documents/{b.docs[0].document_id}").status_code == 200


def test_the_medical_team_sees_and_cuts_a_medical_batch_each_access_audited(
    medical_batch: Batch,
) -> None:
    b = medical_batch
    token = login(b.client, "marie")
    page = html.unescape(b.client.get(f"/batches/{b.batch_id}").text)
    assert "contient un certificat médical" in page
    assert b.client.get(f"/batches/{b.batch_id}/pages/4/thumb").status_code == 200
    cut(b, token, [4])
    assert b.ranges() == [(1, 2), (4, 6)]
    actions = [(e.action, e.allowed) for e in b.store.audit_events(document_id=b.batch_id)]
    assert ("view_batch", True) in actions and ("image", True) in actions
    assert ("resplit", True) in actions
    # the batch still holds the certificate: still refused to the gestionnaire
    login(b.client, "alice")
    assert b.client.get(f"/batches/{b.batch_id}").status_code == 403


def test_a_batch_cut_before_records_kept_its_layout_is_looked_at_again(batch: Batch) -> None:
    record = batch.pipeline.metadata.get(batch.batch_id)
    assert record is not None
    record.batch = None  # as a batch ingested before the layout was kept
    batch.pipeline.metadata.save(record)
    login(batch.client, "alice")
    page = batch.client.get(f"/batches/{batch.batch_id}").text
    assert re.findall(r'data-page="(\d+)" data-role="separator"', page) == ["3", "5"]
    done = resplit_batch(batch.pipeline, batch.batch_id, [1, 4], by="alice")
    assert [d.source.pages for d in done.created] == [(4, 6)]
    assert done.created[0].page_count == 2  # the sheet found again stays out


def test_an_email_part_is_not_taken_for_a_batch_document(batch: Batch) -> None:
    from review.batch_view import batch_of

    rib = batch.docs[1]
    assert batch_of(rib) == batch.batch_id
    mailed = rib.model_copy(update={"source": rib.source.model_copy(
        update={"channel": "email", "email": EmailInfo(subject="RIB")})})
    assert batch_of(mailed) is None


def test_a_sheets_blank_back_is_marked_on_the_strip_and_stays_out_of_a_new_cut(
    tmp_path: Path,
) -> None:
    world = _world(tmp_path, [STACK[5], SHEET, "", STACK[3], STACK[0]])  # "": the sheet's back
    b = next(world)
    try:
        assert b.ranges() == [(1, 1), (4, 5)]
        login(b.client, "alice")
        page = b.client.get(f"/batches/{b.batch_id}").text
        roles = re.findall(r'data-page="(\d+)" data-role="(\w+)"', page)
        assert [r for _, r in roles] == ["page", "separator", "blank", "page", "page"]
        assert "page blanche" in html.unescape(page)
        # a start ticked on the blank back begins the document at the next page kept
        done = resplit_batch(b.pipeline, b.batch_id, [3, 5], by="alice")
        assert [d.source.pages for d in done.created] == [(4, 4), (5, 5)]
        assert b.ranges() == [(1, 1), (4, 4), (5, 5)]
    finally:
        next(world, None)
