"""The stages a document goes through, in order (``STAGES``), each a function of the document,
what it needs besides (``Work``) and the pipeline that runs it (:mod:`mailroom.pipeline`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from extract.facturx import InvalidFacturX, cross_check, read_facturx
from mailroom.batches import (
    with_separator_dossier,
)
from mailroom.errors import (
    NoText,
)
from mailroom.models import (
    Check,
    DocType,
    Document,
    Status,
    format_value,
)
from mailroom.records import Dossier
from mailroom.settings import Settings
from storage.base import derived_key
from validate.base import DocumentChecks
from validate.checks import run_checks
from validate.fraud import FraudInputs
from validate.ged import make_ged_entry, make_searchable_pdf

if TYPE_CHECKING:
    from mailroom.pipeline import Pipeline
    from storage.dossiers import DossierRegistry

log = logging.getLogger(__name__)

@dataclass
class Work:
    """What the stages need besides the Document: where its bytes are, what they are."""

    path: Path
    media_type: str
    workdir: Path
    page_images: dict[int, Path] = field(default_factory=dict)
    dossier: Dossier | None = None  # the matched dossier, as read when the match stood
    dossier_reference: str | None = None  # given by the separator sheet before it (a batch)


class Stage(Protocol):
    def __call__(self, doc: Document, work: Work, pipeline: Pipeline, /) -> None: ...


def read_text(doc: Document, work: Work, pipeline: Pipeline) -> None:
    if doc.pages:  # a document of a scan batch comes with its pages read
        return require_words(doc)
    image_dir = work.workdir / "pages"
    result = pipeline.reader.read(work.path, work.media_type, image_dir=image_dir)
    work.page_images = dict(result.page_images)
    pages = []
    for page in result.pages:
        image = result.page_images.get(page.number)
        if image is not None:
            key = derived_key(doc.sha256, f"page-{page.number:04d}.png")
            pipeline.objects.put_file(key, image, content_type="image/png")
            page = page.model_copy(update={"image_key": key})
        pages.append(page)
    doc.pages = pages
    require_words(doc)


def require_words(doc: Document) -> None:
    doc.page_count = len(doc.pages)
    if doc.source.pages is None and doc.pages:
        doc.source = doc.source.model_copy(update={"pages": (1, len(doc.pages))})
    if not any(p.words for p in doc.pages):
        raise NoText(f"{len(doc.pages)} page(s) sans mot lisible")


def classify_document(doc: Document, work: Work, pipeline: Pipeline) -> None:
    if pipeline.versions is not None:
        # the newest promoted models (a refit in any process), and which read this document
        doc.models = pipeline.versions.refresh(pipeline)
    result = pipeline.classifier.classify(doc.pages)
    doc.doc_type = result.doc_type
    doc.doc_type_confidence = round(result.confidence, 3)
    default = doc.source.default_type
    if default is None or default is result.doc_type:
        return
    if result.confidence < pipeline.settings.classify.review_threshold:
        # The folder it was dropped in says what it is, and the reading does not say otherwise
        # with confidence: take the folder's type, with the classifier's score for it.
        doc.doc_type = default
        doc.doc_type_confidence = round(max(result.scores.get(default, 0.0), result.confidence), 3)
        return
    doc.checks = [
        *doc.checks,
        Check(
            code="classify.default_type_differs",
            status="warn",
            message=(
                f"Déposé comme « {default.value} », lu comme « {result.doc_type.value} » "
                f"(confiance {result.confidence:.2f})."
            ),
        ),
    ]


def extract_document_fields(doc: Document, work: Work, pipeline: Pipeline) -> None:
    assert doc.doc_type is not None
    fields = pipeline.field_extractor.extract(doc.pages, doc.doc_type)
    # the dates chosen that the reading doubts are read again, and the fields extracted again
    pages = pipeline.reader.reread(work.path, work.media_type, doc.pages, list(fields.values()))
    if pages is not doc.pages:
        doc.pages = pages
        fields = pipeline.field_extractor.extract(pages, doc.doc_type)
    if work.media_type == "application/pdf":
        try:
            invoice = read_facturx(work.path)
        except InvalidFacturX as e:
            invoice = None
            doc.checks = [
                *doc.checks,
                Check(
                    code="facturx.unreadable",
                    status="warn",
                    message=f"XML Factur-X présent mais illisible, facture lue sur le texte : {e}",
                ),
            ]
        if invoice is not None:
            # The XML is the invoice's legal content: its values win, the visible text is
            # cross-checked against it (a disagreement is a check, never a silent override),
            # and where both agree the field keeps its place on the page.
            xml_fields = invoice.to_fields()
            doc.checks = [*doc.checks, *cross_check(xml_fields, fields)]
            for name, xml_field in xml_fields.items():
                seen = fields.get(name)
                if seen is not None and format_value(seen.value) == format_value(xml_field.value):
                    xml_field = xml_field.model_copy(update={"page": seen.page, "bbox": seen.bbox})
                fields[name] = xml_field
            if doc.doc_type is not DocType.INVOICE:
                doc.checks = [
                    *doc.checks,
                    Check(
                        code="facturx.type_mismatch",
                        status="warn",
                        message=(
                            f"Le PDF contient une facture Factur-X mais a été classé "
                            f"« {doc.doc_type.value} »."
                        ),
                        blocking=True,
                    ),
                ]
    doc.fields = fields


def learn_from_corrections(doc: Document, work: Work, pipeline: Pipeline) -> None:
    """What corrections of the same sender or layout taught: read at the taught places, strong
    evidence that still loses to a failing validator or broken totals (mailroom/learning.py)."""
    if pipeline.corrections is None or not pipeline.settings.learning.enabled:
        return
    from mailroom.learning import learn

    learn(doc, pipeline.corrections, pipeline.settings.learning)


def match_dossier(doc: Document, work: Work, pipeline: Pipeline) -> None:
    for force in (False, True):
        doc.match = pipeline.matcher(
            doc, pipeline.dossier_index(force=force), pipeline.settings.dossiers
        )
        work.dossier = None
        if work.dossier_reference is not None:  # named by a separator sheet
            given = pipeline.registry.get(work.dossier_reference)
            doc.match = with_separator_dossier(doc.match, given)
        if doc.match.status != "matched" or not doc.match.dossier_id:
            return
        # the index may predate the dossier's closing by a few milliseconds (or another
        # process's import): a document is never matched automatically to a closed dossier
        work.dossier = pipeline.registry.get(doc.match.dossier_id)
        if work.dossier is not None and work.dossier.status == "open":
            return


def check_document(doc: Document, work: Work, pipeline: Pipeline) -> None:
    doc.checks = [
        *doc.checks,
        *pipeline.checks(
            doc,
            work.dossier,
            registry=pipeline.registry,
            settings=pipeline.settings.dossiers,
            today=datetime.now(UTC).date(),
        ),
    ]


def look_for_fraud(doc: Document, work: Work, pipeline: Pipeline) -> None:
    """The fraud signals (``fraud.*`` checks, all blocking): ``validate/fraud.py``."""
    inputs = FraudInputs(work.path, work.media_type, dict(work.page_images), work.dossier)
    found = pipeline.fraud_checks(
        doc, inputs, pipeline.fraud, pipeline.metadata, pipeline.settings.fraud
    )
    doc.checks = [*doc.checks, *found]


def review_reasons(doc: Document, settings: Settings) -> list[str]:
    """Why a person must look at this document; empty when it can be filed as it is."""
    reasons: list[str] = []
    threshold = settings.classify.review_threshold
    if doc.doc_type_confidence is not None and doc.doc_type_confidence < threshold:
        reasons.append(
            f"type de document incertain ({doc.doc_type}, confiance {doc.doc_type_confidence:.2f})"
        )
    weak = sorted(
        n for n, f in doc.fields.items() if f.confidence < settings.extract.review_threshold
    )
    if weak:
        reasons.append("champs à vérifier : " + ", ".join(weak))
    reasons.extend(c.message for c in doc.checks if c.blocking and c.status != "pass")
    match = doc.match
    if match is None or match.status == "unmatched":
        reasons.append("aucun dossier correspondant")
    elif match.status == "ambiguous":
        ranked = ", ".join(c.dossier_id for c in match.candidates[:3])
        reasons.append(f"dossier à choisir parmi : {ranked}")
    return reasons


# checks made on a document's input (Factur-X, e-mail, type, fraud): kept when it is checked again
INPUT_CHECK_PREFIXES = ("facturx.", "email.", "classify.", "fraud.")


def recheck(
    doc: Document,
    registry: DossierRegistry,
    settings: Settings,
    checks: DocumentChecks = run_checks,
) -> None:
    """Run a corrected document's checks again and say again why it is in review ("dossier à
    choisir" goes once a dossier is chosen, a corrected field leaves "champs à vérifier"); the
    checks made on its input stay."""
    dossier = None
    if doc.match is not None and doc.match.status == "matched" and doc.match.dossier_id:
        dossier = registry.get(doc.match.dossier_id)
    kept = [c for c in doc.checks if c.code.startswith(INPUT_CHECK_PREFIXES)]
    if doc.doc_type is not None:
        today = datetime.now(UTC).date()
        found = checks(doc, dossier, registry=registry, settings=settings.dossiers, today=today)
        doc.checks = [*kept, *found]
    if doc.status is Status.NEEDS_REVIEW:
        doc.reason = " ; ".join(review_reasons(doc, settings)) or None


def file_document(doc: Document, work: Work, pipeline: Pipeline) -> None:
    """File in the GED what nothing is uncertain about; send the rest to review."""
    reasons = review_reasons(doc, pipeline.settings)
    if reasons:
        doc.status = Status.NEEDS_REVIEW
        doc.reason = " ; ".join(reasons)
        return
    assert doc.match is not None and doc.match.dossier_id is not None
    entry = make_ged_entry(
        doc,
        doc.match.dossier_id,
        searchable_pdf_key=_searchable_copy(doc, work, pipeline),
        filed_at=datetime.now(UTC),
    )
    pipeline.registry.add_ged_entry(entry)
    doc.ged_entry_id = entry.ged_entry_id
    doc.status = Status.FILED
    doc.reason = None


def _searchable_copy(doc: Document, work: Work, pipeline: Pipeline) -> str | None:
    """The original when it is a PDF with its own text; otherwise a PDF made of the page
    images with an invisible text layer from the words read."""
    if work.media_type == "application/pdf" and doc.text_source == "pdf_text":
        return doc.original_key
    out = work.workdir / "searchable.pdf"
    images = [work.page_images.get(p.number) for p in doc.pages]
    make_searchable_pdf(doc.pages, images, out)
    key = derived_key(doc.sha256, "searchable.pdf")
    pipeline.objects.put_file(key, out, content_type="application/pdf")
    return key


STAGES: tuple[tuple[str, Stage], ...] = (
    ("read", read_text),
    ("classify", classify_document),
    ("extract", extract_document_fields),
    ("learn", learn_from_corrections),
    ("match", match_dossier),
    ("check", check_document),
    ("fraud", look_for_fraud),
    ("file", file_document),
)


# files finished ahead of a long one that process_paths keeps, per OCR worker
