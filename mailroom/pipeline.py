"""The pipeline: the ordered stages a document goes through, and the runner with the one error
boundary.

    ingest (sniff, store the original, spot duplicates, split e-mails and scan batches)
      -> read (text layer or OCR) -> classify -> extract -> match -> check -> file

Every stage is timed into ``Document.timings``. A bad document ends ``quarantined`` with its
reason and its original kept, and the batch goes on; storage that cannot be reached is not a
document problem and stops the run (it is retried by the caller, never quarantined).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from classify.base import Classifier
from extract.facturx import InvalidFacturX, cross_check, read_facturx
from extract.fields import extract_fields
from extract.reader import Reader
from ingest.email import parse_email
from ingest.pages import write_pages
from ingest.sniff import SUPPORTED, describe, sniff
from ingest.split import SplitPlan
from mailroom.batches import BatchPart, part_of, plan_split, unsure_check, with_separator_dossier
from mailroom.errors import (
    DocumentError,
    EmptyFile,
    MailroomError,
    NoText,
    QuarantineReason,
    TooLarge,
    UnsupportedType,
)
from mailroom.logs import document_context
from mailroom.models import (
    Channel,
    Check,
    DocType,
    Document,
    EmailInfo,
    Source,
    SplitMode,
    Status,
    document_id_for,
    format_value,
)
from mailroom.settings import Settings
from storage.base import Arrival, MetadataStore, ObjectStore, derived_key, original_key
from storage.dossiers import DossierRegistry
from storage.fraud import FraudStore, MemoryFraudStore
from validate.checks import run_checks
from validate.completeness import RequestAction, make_sender, run_completeness
from validate.dossiers import Dossier, RowError, load_dossiers
from validate.fraud import FraudInputs, fraud_checks
from validate.ged import make_ged_entry, make_searchable_pdf
from validate.matching import DossierIndex, match_document

if TYPE_CHECKING:
    from storage.corrections import CorrectionStore

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024
_REPROCESSED = frozenset({Status.RECEIVED, Status.QUARANTINED})
INPUT_CHECK_PREFIXES = ("facturx.", "email.", "classify.", "fraud.")  # kept by a recheck
BATCH_TYPES = frozenset({"application/pdf", "image/tiff"})  # what a scanner writes a stack as


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
    fields = extract_fields(doc.pages, doc.doc_type)
    # the dates chosen that the reading doubts are read again, and the fields extracted again
    pages = pipeline.reader.reread(work.path, work.media_type, doc.pages, list(fields.values()))
    if pages is not doc.pages:
        doc.pages = pages
        fields = extract_fields(pages, doc.doc_type)
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
        doc.match = match_document(
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
        *run_checks(
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
    found = fraud_checks(doc, inputs, pipeline.fraud, pipeline.metadata, pipeline.settings.fraud)
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
LOOKAHEAD = 4

class Pipeline:
    """Runs inputs through the stages with one error boundary. Build it with
    :func:`build_pipeline`; close it (or use it as a context manager) to stop the OCR pool."""

    def __init__(
        self,
        settings: Settings,
        *,
        objects: ObjectStore,
        metadata: MetadataStore,
        reader: Reader,
        classifier: Classifier,
        registry: DossierRegistry,
        stages: tuple[tuple[str, Stage], ...] = STAGES,
        fraud: FraudStore | None = None,
        corrections: CorrectionStore | None = None,
    ) -> None:
        self.settings = settings
        self.objects = objects
        self.metadata = metadata
        self.reader = reader
        self.classifier = classifier
        self.registry = registry
        self.stages = stages
        self.fraud: FraudStore = fraud if fraud is not None else MemoryFraudStore()
        self.corrections = corrections  # None: nothing is learned
        self._index: DossierIndex | None = None
        self._index_revision: str | None = None
        self._index_lock = threading.Lock()

    def dossier_index(self, *, force: bool = False) -> DossierIndex:
        """The dossiers to match against, indexed again whenever the registry's revision
        changes (an import or a closing by any process: workers and watchers run for days)
        or when ``force``d."""
        # read before the dossiers: a write in between only makes the next call index again
        revision = self.registry.revision()
        with self._index_lock:
            if force or self._index is None or revision != self._index_revision:
                self._index_revision = revision
                self._index = DossierIndex(self.registry.all())
            return self._index

    def import_dossiers(self, path: Path) -> tuple[Counter[str], list[RowError]]:
        """Load a dossier file into the registry: created / updated / unchanged counts."""
        dossiers, errors = load_dossiers(path)
        counts: Counter[str] = Counter(self.registry.upsert(d) for d in dossiers)
        return counts, errors  # the registry's revision moved: the next match re-indexes

    def request_missing_pieces(self) -> list[RequestAction]:
        """Compare open dossiers with what they received; send, remind or close requests."""
        sender = make_sender(self.settings.requests, self.settings.storage.data_dir)
        return run_completeness(
            self.registry, sender, now=datetime.now(UTC), settings=self.settings.requests
        )

    def recheck(self, doc: Document) -> None:
        """Run a corrected document's checks again and say again why it is in review; the
        checks made on its input (Factur-X, e-mail, type, fraud) stay."""
        dossier = None
        if doc.match is not None and doc.match.status == "matched" and doc.match.dossier_id:
            dossier = self.registry.get(doc.match.dossier_id)
        kept = [c for c in doc.checks if c.code.startswith(INPUT_CHECK_PREFIXES)]
        if doc.doc_type is not None:
            doc.checks = [
                *kept,
                *run_checks(
                    doc,
                    dossier,
                    registry=self.registry,
                    settings=self.settings.dossiers,
                    today=datetime.now(UTC).date(),
                ),
            ]
        if doc.status is Status.NEEDS_REVIEW:
            doc.reason = " ; ".join(review_reasons(doc, self.settings)) or None

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.reader.close()
        self.metadata.close()
        self.registry.close()
        self.fraud.close()
        if self.corrections is not None:
            self.corrections.close()

    # -- inputs -------------------------------------------------------------------------

    def process_paths(
        self,
        paths: Iterable[Path],
        *,
        channel: Channel = "upload",
        on_done: Callable[[Path, list[Document]], None] | None = None,
    ) -> Iterator[Document]:
        """Process files several at a time (their pages go to the OCR pool meanwhile) and give
        the results, and call ``on_done``, in the order of ``paths``.

        As many files are in progress as the OCR pool has workers; a long document does not
        hold the others back: while it is read, the files after it are started as others
        finish, and their results wait (at most ``LOOKAHEAD`` times the pool) for their turn.
        """
        window = max(1, self.settings.ocr.workers)
        ahead = LOOKAHEAD * window
        todo = iter(paths)
        exhausted = False
        pending: deque[tuple[Path, Future[list[Document]]]] = deque()
        with ThreadPoolExecutor(max_workers=window, thread_name_prefix="doc") as pool:
            while True:
                running = [f for _, f in pending if not f.done()]
                while not exhausted and len(running) < window and len(pending) < ahead:
                    path = next(todo, None)
                    if path is None:
                        exhausted = True
                        break
                    future = pool.submit(self.process_file, path, channel=channel)
                    pending.append((path, future))
                    running.append(future)
                if not pending:
                    return
                if pending[0][1].done() or exhausted or len(pending) >= ahead:
                    yield from self._finish(pending.popleft(), on_done)
                else:
                    wait(running, return_when=FIRST_COMPLETED)

    @staticmethod
    def _finish(
        item: tuple[Path, Future[list[Document]]],
        on_done: Callable[[Path, list[Document]], None] | None,
    ) -> list[Document]:
        path, future = item
        docs = future.result()
        if on_done is not None:
            on_done(path, docs)
        return docs

    def process_file(
        self,
        path: Path,
        *,
        channel: Channel = "upload",
        default_type: DocType | None = None,
        split_mode: SplitMode | None = None,
    ) -> list[Document]:
        source = Source(
            channel=channel,
            path=str(path),
            filename=path.name,
            default_type=default_type,
            split_mode=split_mode,
        )
        with tempfile.TemporaryDirectory(prefix="mailroom-") as tmp:
            return self._process_input(path, source, Path(tmp))

    def process_bytes(self, data: bytes, source: Source) -> list[Document]:
        with tempfile.TemporaryDirectory(prefix="mailroom-") as tmp:
            path = Path(tmp) / "input"
            path.write_bytes(data)
            return self._process_input(path, source, Path(tmp))

    # -- one input ----------------------------------------------------------------------

    def _process_input(
        self,
        path: Path,
        source: Source,
        workdir: Path,
        *,
        media_type: str | None = None,
        parent_id: str | None = None,
        part: BatchPart | None = None,
    ) -> list[Document]:
        sha256, size, head = _digest(path)
        doc = Document(
            document_id=document_id_for(sha256),
            sha256=sha256,
            source=source,
            size=size,
            parent_id=parent_id,
        )
        with document_context(doc.document_id):
            existing = self.metadata.find_by_sha256(sha256)
            # An unfinished (crashed) or quarantined document is processed again; anything
            # else seen before is a duplicate.
            if existing is not None and existing.status not in _REPROCESSED:
                return [self._duplicate(doc, existing)]
            if media_type is None:
                media_type = sniff(head)
            doc.media_type = media_type
            doc.original_key = original_key(sha256)
            self.objects.put_file(
                doc.original_key, path, content_type=media_type, metadata=_object_metadata(source)
            )
            self.metadata.save(doc)  # durable before any processing: nothing is ever lost
            if media_type == "message/rfc822":
                docs = self._split_email(doc, path, workdir)
            elif part is not None:
                doc.pages, doc.checks = part.pages, list(part.checks)
                work = Work(path, media_type, workdir, page_images=dict(part.page_images))
                work.dossier_reference = part.dossier_reference
                docs = [self._run_stages(doc, work)]
            elif media_type in BATCH_TYPES and self._split_mode(source) != "off":
                docs = self._split_batch(doc, Work(path, media_type, workdir))
            else:
                docs = [self._run_stages(doc, Work(path, media_type, workdir))]
            return docs

    def _run_stages(self, doc: Document, work: Work) -> Document:
        """The error boundary: a bad document is quarantined, the batch goes on."""
        try:
            self._check_input(doc, work.media_type)
            for name, stage in self.stages:
                started = time.perf_counter()
                try:
                    stage(doc, work, self)
                finally:
                    # added to: a batch's document arrives with its reading timed
                    spent = doc.timings.get(name, 0.0) + time.perf_counter() - started
                    doc.timings = {**doc.timings, name: round(spent, 4)}
        except DocumentError as e:
            self._quarantine(doc, e.reason, e.message)
        except MailroomError:
            raise  # storage unreachable, installation broken: not the document's fault
        except Exception as e:  # noqa: BLE001 - the one boundary that turns bugs into records
            log.exception("internal error while processing")
            self._quarantine(doc, QuarantineReason.INTERNAL_ERROR, f"{type(e).__name__}: {e}")
        self.metadata.save(doc)
        self._record_arrival(doc, doc.status)
        log.info("%s: %s", doc.status.value, doc.reason or doc.doc_type)
        return doc

    def _check_input(self, doc: Document, media_type: str) -> None:
        if doc.size == 0:
            raise EmptyFile("0 octet")
        if doc.size > self.settings.limits.max_file_bytes:
            raise TooLarge(
                f"{doc.size / 1e6:.1f} Mo pour {self.settings.limits.max_file_bytes / 1e6:.0f} Mo"
            )
        if media_type not in SUPPORTED and media_type != "text/plain":
            raise UnsupportedType(describe(media_type))

    def _split_email(self, container: Document, path: Path, workdir: Path) -> list[Document]:
        try:
            self._check_input(container, "message/rfc822")
            parsed = parse_email(path.read_bytes())
        except DocumentError as e:
            self._quarantine(container, e.reason, e.message)
            self.metadata.save(container)
            self._record_arrival(container, container.status)
            return [container]
        info: EmailInfo = parsed.info
        channel: Channel = "email"
        parts: list[Document] = []
        defects = (
            [
                Check(
                    code="email.malformed_mime",
                    status="warn",
                    message="E-mail mal formé, parties récupérées au mieux : "
                    + "; ".join(parsed.defects),
                )
            ]
            if parsed.defects
            else []
        )
        base = container.source.path or container.document_id
        if parsed.body_text is not None:
            body = workdir / "body.txt"
            body.write_text(parsed.body_text, encoding="utf-8")
            source = Source(channel=channel, path=f"{base}#body", email=info)
            parts.extend(
                self._process_input(
                    body,
                    source,
                    _subdir(workdir, "body"),
                    media_type="text/plain",
                    parent_id=container.document_id,
                )
            )
        for attachment in parsed.attachments:
            sub = _subdir(workdir, f"part-{attachment.part_path}")
            file = sub / "input"
            file.write_bytes(attachment.data)
            source = Source(
                channel=channel,
                path=f"{base}#{attachment.part_path}",
                email=info,
                filename=attachment.filename,
            )
            parts.extend(
                self._process_input(
                    file,
                    source,
                    sub,
                    media_type=attachment.media_type,
                    parent_id=container.document_id,
                )
            )
        if parts:
            for part in parts:
                if defects and part.status is not Status.DUPLICATE:
                    part.checks = [*part.checks, *defects]
                    self.metadata.save(part)
            container.checks = defects
            container.status = Status.SPLIT
            container.reason = f"{len(parts)} document(s) extrait(s) de l'e-mail"
            self.metadata.save(container)
            self._record_arrival(container, Status.SPLIT)
            return parts
        self._quarantine(
            container,
            QuarantineReason.NO_TEXT,
            "L'e-mail ne contient ni texte ni pièce jointe exploitable.",
        )
        self.metadata.save(container)
        self._record_arrival(container, container.status)
        return [container]

    def _split_mode(self, source: Source) -> SplitMode:
        return source.split_mode or self.settings.split.mode

    def _split_batch(self, container: Document, work: Work) -> list[Document]:
        """A scanned stack: read once, cut into its documents (ingest/split.py), each
        processed on its own as an e-mail's parts are; one document is processed as it is."""
        try:
            self._check_input(container, work.media_type)
            started = time.perf_counter()
            try:
                read_text(container, work, self)
            finally:
                container.timings = {"read": round(time.perf_counter() - started, 4)}
            started = time.perf_counter()
            plan = self._plan_batch(container, work)
            container.timings = {
                **container.timings, "split": round(time.perf_counter() - started, 4)
            }
        except DocumentError as e:
            self._quarantine(container, e.reason, e.message)
        except MailroomError:
            raise
        except Exception as e:  # noqa: BLE001 - the error boundary, as in _run_stages
            log.exception("internal error while reading a batch")
            self._quarantine(container, QuarantineReason.INTERNAL_ERROR, f"{type(e).__name__}: {e}")
        if container.status is Status.QUARANTINED:
            self.metadata.save(container)
            self._record_arrival(container, container.status)
            return [container]
        assert container.page_count is not None
        if plan.is_whole(container.page_count):
            container.checks = [*container.checks, *unsure_check(plan.segments[0], container)]
            return [self._run_stages(container, work)]  # its pages are read: not again
        if not plan.segments:
            self._quarantine(
                container,
                QuarantineReason.NO_TEXT,
                "Le lot ne contient que des intercalaires ou des pages blanches.",
            )
            self.metadata.save(container)
            self._record_arrival(container, container.status)
            return [container]
        parts: list[Document] = []
        for i, segment in enumerate(plan.segments, start=1):
            sub = _subdir(work.workdir, f"doc-{i}")
            file = write_pages(
                work.path, work.media_type, segment.pages, sub / "input",
                batch_sha256=container.sha256,
            )
            part = part_of(container, segment, work.page_images)
            source = container.source.model_copy(update={"pages": (segment.first, segment.last)})
            parts.extend(
                self._process_input(
                    file, source, sub, media_type=work.media_type,
                    parent_id=container.document_id, part=part,
                )
            )
        container.status = Status.SPLIT
        container.reason = (
            f"{len(parts)} document(s) trouvé(s) dans le lot ({plan.method}"
            + (f", pages écartées : {', '.join(map(str, plan.dropped))}" if plan.dropped else "")
            + ")"
        )
        self.metadata.save(container)
        self._record_arrival(container, Status.SPLIT)
        return parts

    def _plan_batch(self, container: Document, work: Work) -> SplitPlan:
        return plan_split(
            container.pages,
            work.page_images,
            self.classifier,
            self.settings.split,
            self._split_mode(container.source),
            workers=self.settings.ocr.workers,
        )

    def _duplicate(self, doc: Document, existing: Document) -> Document:
        doc.status = Status.DUPLICATE
        doc.duplicate_of = existing.document_id
        doc.media_type = existing.media_type
        doc.original_key = existing.original_key
        doc.page_count = existing.page_count
        doc.reason = (
            f"Document déjà reçu le {existing.received_at:%d/%m/%Y à %H:%M} "
            f"(statut : {existing.status.value})"
        )
        self._record_arrival(doc, Status.DUPLICATE)
        log.info("duplicate of %s", existing.document_id)
        return doc

    def _quarantine(self, doc: Document, reason: QuarantineReason, message: str) -> None:
        doc.status = Status.QUARANTINED
        doc.quarantine_reason = reason
        doc.reason = message
        log.warning("quarantined (%s): %s", reason.value, message)

    def _record_arrival(self, doc: Document, status: Status) -> None:
        self.metadata.record_arrival(
            Arrival(
                arrival_id=uuid.uuid4().hex,
                received_at=datetime.now(UTC),
                document_id=doc.document_id,
                sha256=doc.sha256,
                source=doc.source,
                status=status,
            )
        )


def build_pipeline(settings: Settings) -> Pipeline:
    """Choose every swappable part from the settings."""
    from classify.model import SklearnClassifier
    from storage import (
        build_correction_store,
        build_dossier_registry,
        build_fraud_store,
        build_metadata_store,
        build_object_store,
    )

    return Pipeline(
        settings,
        objects=build_object_store(settings.storage),
        metadata=build_metadata_store(settings.storage),
        reader=Reader(settings.ocr, settings.limits, text_layer=settings.ocr.text_layer),
        classifier=SklearnClassifier(settings.classify.model_path),
        registry=build_dossier_registry(settings.storage),
        fraud=build_fraud_store(settings.storage),
        corrections=build_correction_store(settings.storage),
    )


def _digest(path: Path) -> tuple[str, int, bytes]:
    sha = hashlib.sha256()
    size = 0
    head = b""
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            if not head:
                head = chunk[:4096]
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size, head


def _subdir(workdir: Path, name: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    path = workdir / safe
    with contextlib.suppress(FileExistsError):
        path.mkdir(parents=True)
    return path


def _object_metadata(source: Source) -> dict[str, str]:
    meta: dict[str, str] = {"channel": source.channel}
    if source.filename:
        meta["filename"] = source.filename
    return meta
