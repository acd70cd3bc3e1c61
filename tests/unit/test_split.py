"""Scan batches: separator sheets read, boundaries decided jointly, one record per document."""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from classify.fake import FixedClassifier
from extract.fields.fake import FixedFieldExtractor
from extract.reader import ReadResult
from ingest.barcodes import read_barcodes
from ingest.settings import SplitSettings
from ingest.split import (
    PageFeatures,
    decide_boundaries,
    identifiers,
    page_features,
    page_numbering,
    plan_batch,
    separator_value,
)
from mailroom.models import BBox, DocType, ExtractedField, Page, Status, Word
from mailroom.pipeline import Pipeline
from mailroom.records import Dossier
from mailroom.settings import Settings
from storage.dossiers import MemoryDossierRegistry
from storage.memory import MemoryMetadataStore, MemoryObjectStore
from storage.settings import StorageSettings

SETTINGS = SplitSettings()


# -- pages built by hand ---------------------------------------------------------------------


def first_page(n: int, **kw: object) -> PageFeatures:
    """A page that looks like the start of a document: a title at its top."""
    return PageFeatures(number=n, title=True, **kw)  # type: ignore[arg-type]


def plain_page(n: int, **kw: object) -> PageFeatures:
    return PageFeatures(number=n, **kw)  # type: ignore[arg-type]


def ranges(plan_segments: object) -> list[tuple[int, int]]:
    return [(s.first, s.last) for s in plan_segments]  # type: ignore[attr-defined]


def test_numbered_pages_stay_together_and_titled_pages_start_documents() -> None:
    pages = [
        first_page(1, page_of=(1, 2), doc_type=DocType.INVOICE, type_confidence=0.9),
        first_page(2, page_of=(2, 2), continued=True, doc_type=DocType.INVOICE,
                   type_confidence=0.9),
        first_page(3, doc_type=DocType.BANK_DETAILS, type_confidence=0.9),
        first_page(4, doc_type=DocType.MEDICAL_CERTIFICATE, type_confidence=0.9),
    ]
    plan = plan_batch(pages, "auto", SETTINGS)
    assert plan.method == "evidence"
    assert ranges(plan.segments) == [(1, 2), (3, 3), (4, 4)]
    assert plan.unsure == ()


def test_the_documents_types_decide_a_boundary_the_page_alone_would_not() -> None:
    # Page 2 has nothing of a first page (no title, no numbering): on its own evidence it
    # continues page 1. But it reads as a medical certificate, page 1 as an invoice: as one
    # document they would disagree, so the joint decision cuts between them.
    invoice = plain_page(1, title=True, doc_type=DocType.INVOICE, type_confidence=0.95)
    certificate = plain_page(2, doc_type=DocType.MEDICAL_CERTIFICATE, type_confidence=0.95)
    assert decide_boundaries([invoice, certificate], SETTINGS)[0] == [(0, 0), (1, 1)]
    same_type = replace(certificate, doc_type=DocType.INVOICE)
    assert decide_boundaries([invoice, same_type], SETTINGS)[0] == [(0, 1)]


def test_incomplete_page_numbering_keeps_the_document_whole() -> None:
    # "page 1 sur 3", a page whose number was not read, "page 3 sur 3": one document of three
    # pages, though the middle page has a title-like word at its top
    pages = [
        first_page(1, page_of=(1, 3)),
        first_page(2),
        plain_page(3, page_of=(3, 3)),
        first_page(4, page_of=(1, 1)),
    ]
    plan = plan_batch(pages, "auto", SETTINGS)
    assert ranges(plan.segments) == [(1, 3), (4, 4)]


def test_two_invoices_of_one_supplier_back_to_back_are_two_documents() -> None:
    a = first_page(1, header="garage du lac", identifiers=frozenset({"F-1", "73282932000074"}),
                   ends_with_totals=True, doc_type=DocType.INVOICE, type_confidence=0.9)
    b = first_page(2, header="garage du lac", identifiers=frozenset({"F-2", "73282932000074",
                   "AST-2026-000002"}), doc_type=DocType.INVOICE, type_confidence=0.9)
    plan = plan_batch([a, b], "auto", SETTINGS)
    assert ranges(plan.segments) == [(1, 1), (2, 2)]


def test_a_boundary_without_evidence_either_way_is_unsure() -> None:
    pages = [first_page(1), plain_page(2)]
    plan = plan_batch(pages, "auto", SETTINGS)
    assert plan.unsure == (2,)
    assert all(s.unsure for s in plan.segments)


def test_separator_sheets_and_blank_backs_belong_to_no_document() -> None:
    pages = [
        first_page(1),
        plain_page(2),  # a second page: with separators, only the sheets cut
        plain_page(3, separator=True, dossier_reference="AST-2026-004217"),
        plain_page(4, blank=True),
        first_page(5),
        plain_page(6, separator=True),
        first_page(7),
    ]
    plan = plan_batch(pages, "auto", SETTINGS)
    assert plan.method == "separators"
    assert ranges(plan.segments) == [(1, 2), (5, 5), (7, 7)]
    assert plan.dropped == (3, 4, 6)
    assert [s.dossier_reference for s in plan.segments] == [None, "AST-2026-004217", None]


def test_modes_off_and_separators_keep_a_stack_without_sheets_whole() -> None:
    pages = [first_page(1), first_page(2, page_of=(1, 1))]
    assert plan_batch(pages, "off", SETTINGS).is_whole(2)
    assert plan_batch(pages, "separators", SETTINGS).is_whole(2)
    assert plan_batch(pages, "auto", SETTINGS, evidence=False).is_whole(2)
    assert not plan_batch(pages, "auto", SETTINGS).is_whole(2)


def test_page_numbering_and_identifiers_are_read_from_the_text() -> None:
    assert page_numbering("Total 12,00\nPage 2 sur 3") == (2, 3)
    assert page_numbering("Garage\nPage 1/2") == (1, 2)
    assert page_numbering("Facture\n2/3\n") == (2, 3)
    assert page_numbering("Date : 12/06/2026") is None
    assert page_numbering("page 4/3") is None
    found = identifiers("SIRET 732 829 320 00074\nIBAN FR76 3000 6000 0112 3456 7890 189 BIC X")
    assert found == {"73282932000074", "FR7630006000011234567890189"}


# -- separator sheets as images --------------------------------------------------------------


def sheet_image(*, code: str | None, second: str | None = None) -> Image.Image:
    """A page at 200 dpi with a Code 128 of ``code`` and a QR code of ``second``."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    if code is not None:
        barcode = code128.Code128(code, barHeight=80, barWidth=1.6)
        barcode.drawOn(c, 150, 500)
    if second is not None:
        drawing = Drawing(110, 110)
        drawing.add(qr.QrCodeWidget(second))
        renderPDF.draw(drawing, c, 150, 300)
    c.showPage()
    c.save()
    pdf = pdfium.PdfDocument(buf.getvalue())
    try:
        image = pdf[0].render(scale=200 / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()
    return image


def test_a_code128_separator_with_a_qr_dossier_reference_is_read() -> None:
    codes = read_barcodes(sheet_image(code="PATCHT", second="AST-2026-004217"))
    assert [(c.symbology, c.text) for c in codes] == [
        ("Code128", "PATCHT"), ("QRCode", "AST-2026-004217")
    ]
    assert separator_value(codes, "PATCHT") == (True, "AST-2026-004217")


def test_the_separator_value_may_carry_the_reference_and_is_settable() -> None:
    codes = read_barcodes(sheet_image(code="PATCHT AST-2026-004217"))
    assert separator_value(codes, "PATCHT") == (True, "AST-2026-004217")
    assert separator_value(codes, "SEPARATEUR") == (False, None)
    assert separator_value(read_barcodes(sheet_image(code="X-12")), "PATCHT") == (False, None)


def test_a_page_image_gives_its_separator_or_its_blankness(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.png"
    sheet_image(code="PATCHT").save(sheet)
    blank = tmp_path / "blank.png"
    Image.new("L", (1654, 2339), 255).save(blank)
    empty = Page(number=1, width=595, height=842, text="", text_source="ocr")
    assert page_features(empty, sheet, SETTINGS).separator
    assert not page_features(empty, sheet, SETTINGS).blank
    assert page_features(empty, blank, SETTINGS).blank
    assert not page_features(empty, blank, SETTINGS).separator


# -- records ---------------------------------------------------------------------------------

BATCH_TEXTS = [
    "Facture F-1 Garage du Lac\nPage 1/2",
    "Garage du Lac Facture F-1 (suite)\nTotal TTC 120,00\nPage 2/2",
    "",  # the separator sheet
    "Relevé d'identité bancaire\nIBAN FR76 3000 6000 0112 3456 7890 189",
]


def _words(text: str) -> tuple[Word, ...]:
    out = []
    for line_no, line in enumerate(text.splitlines()):
        for i, t in enumerate(line.split()):
            y = 40 + 700 * line_no / max(1, len(text.splitlines()) - 1)
            out.append(Word(text=t, bbox=BBox(x0=40 + 50 * i, y0=y, x1=85 + 50 * i, y1=y + 10),
                            confidence=95, line=line_no))
    return tuple(out)


class BatchReader:
    """Reads any file as the four pages of BATCH_TEXTS, page 3 a PATCHT sheet (its image
    carries the barcode; the others are plain paper)."""

    def __init__(self, texts: list[str], sheet: str = "PATCHT AST-2026-004217") -> None:
        self.texts = texts
        self.sheet = sheet
        self.calls = 0

    def read(self, path: Path, media_type: str, *, image_dir: Path | None = None) -> ReadResult:
        self.calls += 1
        assert image_dir is not None
        image_dir.mkdir(parents=True, exist_ok=True)
        pages, images = [], {}
        for n, text in enumerate(self.texts, start=1):
            pages.append(Page(number=n, width=595, height=842, text=text, words=_words(text),
                              text_source="ocr"))
            image = image_dir / f"page-{n:04d}.png"
            if text:
                Image.new("L", (400, 566), 200).save(image)
            else:
                sheet_image(code=self.sheet).save(image)
            images[n] = image
        return ReadResult(pages=pages, page_images=images)

    def reread(
        self, path: Path, media_type: str, pages: list[Page], fields: list[object]
    ) -> list[Page]:
        return pages  # nothing is doubted

    def close(self) -> None:
        pass


def _pdf(path: Path, pages: int) -> Path:
    c = canvas.Canvas(str(path), pagesize=A4)
    for n in range(pages):
        c.drawString(100, 700, f"page {n + 1}")
        c.showPage()
    c.save()
    return path


FIELDS = FixedFieldExtractor(
    {"total_incl_tax": ExtractedField(value=Decimal("120"), confidence=0.9, page=1)}
)


@pytest.fixture
def batch_pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    settings = Settings(storage=StorageSettings(data_dir=tmp_path / "data"))
    settings.ocr.workers = 1
    return Pipeline(
        settings,
        objects=MemoryObjectStore(),
        metadata=MemoryMetadataStore(),
        reader=BatchReader(BATCH_TEXTS),  # type: ignore[arg-type]
        classifier=FixedClassifier(DocType.INVOICE, 0.95),
        registry=MemoryDossierRegistry(),
        field_extractor=FIELDS,
    )


def test_each_document_of_a_batch_is_its_own_record(
    batch_pipeline: Pipeline, tmp_path: Path
) -> None:
    batch = _pdf(tmp_path / "lot.pdf", 4)
    docs = batch_pipeline.process_file(batch, channel="scan")
    assert batch_pipeline.reader.calls == 1  # type: ignore[attr-defined]  # read once
    assert [d.source.pages for d in docs] == [(1, 2), (4, 4)]
    container = batch_pipeline.metadata.find_by_sha256(_sha(batch))
    assert container is not None and container.status is Status.SPLIT
    # the batch's reason is in the gestionnaire's words, not the splitter's
    assert container.reason is not None and container.reason.startswith("2 document(s)")
    assert "intercalaires" in container.reason and "separators" not in container.reason
    for doc in docs:
        record = doc.to_record()
        assert record["parent_id"] == container.document_id
        assert record["source"]["path"] == str(batch)
        assert record["source"]["pages"] == list(doc.source.pages or ())
        assert doc.document_id != container.document_id
    assert [d.page_count for d in docs] == [2, 1]
    assert "IBAN" in docs[1].pages[0].text and docs[1].pages[0].number == 1
    # the document's original holds only its pages
    stored = batch_pipeline.objects.get_bytes(docs[0].original_key or "")
    pdf = pdfium.PdfDocument(stored)
    assert len(pdf) == 2
    pdf.close()


def test_a_separator_naming_a_dossier_assigns_the_next_document(
    batch_pipeline: Pipeline, tmp_path: Path
) -> None:
    batch_pipeline.registry.upsert(
        Dossier.model_validate({"dossier_id": "AST-2026-004217", "status": "open",
                                "beneficiary": {"first_name": "Claire", "last_name": "MARTIN"}})
    )
    docs = batch_pipeline.process_file(_pdf(tmp_path / "lot.pdf", 4), channel="scan")
    assert docs[0].match is not None and docs[0].match.status == "unmatched"
    assert docs[1].match is not None and docs[1].match.dossier_id == "AST-2026-004217"
    assert docs[1].match.status == "matched"


def test_the_same_batch_gives_the_same_document_ids(tmp_path: Path, batch_pipeline: Pipeline
                                                     ) -> None:
    batch = _pdf(tmp_path / "a.pdf", 4)
    first = [d.document_id for d in batch_pipeline.process_file(batch)]
    other = Pipeline(
        batch_pipeline.settings,
        objects=MemoryObjectStore(),
        metadata=MemoryMetadataStore(),
        reader=BatchReader(BATCH_TEXTS),  # type: ignore[arg-type]
        classifier=FixedClassifier(DocType.INVOICE, 0.95),
        registry=MemoryDossierRegistry(),
        field_extractor=FIELDS,
    )
    again = [d.document_id for d in other.process_file(batch)]
    assert first == again


def test_a_file_of_one_document_gives_one_record_with_all_its_pages(
    batch_pipeline: Pipeline, tmp_path: Path
) -> None:
    batch_pipeline.reader = BatchReader([BATCH_TEXTS[0], BATCH_TEXTS[1]])  # type: ignore[assignment]
    [doc] = batch_pipeline.process_file(_pdf(tmp_path / "facture.pdf", 2))
    assert doc.source.pages == (1, 2)
    assert doc.parent_id is None and doc.page_count == 2
    assert doc.to_record()["source"]["pages"] == [1, 2]


def test_an_unsure_cut_sends_the_documents_to_review(
    batch_pipeline: Pipeline, tmp_path: Path
) -> None:
    batch_pipeline.reader = BatchReader(  # type: ignore[assignment]
        ["Facture F-9 Hôtel du Port\nTotal TTC 80,00", "Nuitée du 12 au 13 petit déjeuner"]
    )
    docs = batch_pipeline.process_file(_pdf(tmp_path / "lot.pdf", 2), channel="scan")
    assert docs and all(d.status is Status.NEEDS_REVIEW for d in docs)
    assert all("découpage à vérifier" in (d.reason or "") for d in docs)


def test_a_route_or_setting_turns_splitting_off(batch_pipeline: Pipeline, tmp_path: Path) -> None:
    [doc] = batch_pipeline.process_file(_pdf(tmp_path / "lot.pdf", 4), split_mode="off")
    assert doc.page_count == 4 and doc.source.pages == (1, 4)


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_same_pages_cut_a_second_later_are_the_same_bytes(tmp_path: Path) -> None:
    # PDFium stamps the time of writing and a random identifier: both are made stable
    import time

    from ingest.pages import write_pages

    batch = _pdf(tmp_path / "lot.pdf", 3)
    first = write_pages(batch, "application/pdf", [2, 3], tmp_path / "a.pdf", batch_sha256="x")
    time.sleep(1.1)
    second = write_pages(batch, "application/pdf", [2, 3], tmp_path / "b.pdf", batch_sha256="x")
    assert first.read_bytes() == second.read_bytes()
    pdf = pdfium.PdfDocument(str(second))
    assert len(pdf) == 2
    pdf.close()
