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
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from classify.base import Classifier
from extract.base import DocumentReader
from extract.fields.base import FieldExtractor
from ingest.email import parse_email
from ingest.pages import write_pages
from ingest.sniff import SUPPORTED, describe, sniff
from ingest.split import Segment, SplitPlan
from mailroom.batches import (
    BatchPart,
    batch_reason,
    layout_of,
    part_of,
    plan_split,
    unsure_check,
)
from mailroom.errors import (
    DocumentError,
    EmptyFile,
    MailroomError,
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
)
from mailroom.settings import Settings
from mailroom.stages import STAGES, Stage, Work, read_text, recheck
from storage.base import Arrival, MetadataStore, ObjectStore, original_key
from storage.dossiers import DossierRegistry
from storage.fraud import FraudStore, MemoryFraudStore
from validate.base import DocumentChecks, FraudChecks, Matcher
from validate.checks import run_checks
from validate.completeness import RequestAction, make_sender, run_completeness
from validate.dossiers import RowError, load_dossiers
from validate.fraud import fraud_checks
from validate.matching import DossierIndex, match_document

if TYPE_CHECKING:
    from mailroom.versions import ModelVersions
    from storage.corrections import CorrectionStore

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024
# a superseded batch document whose pages a new cut gives again comes back to life
_REPROCESSED = frozenset({Status.RECEIVED, Status.QUARANTINED, Status.SUPERSEDED})
BATCH_TYPES = frozenset({"application/pdf", "image/tiff"})  # what a scanner writes a stack as



LOOKAHEAD = 4

class Pipeline:
    """Runs inputs through the stages with one error boundary. Build it with
    :func:`build_pipeline`; close it (or use it as a context manager) to stop the OCR pool.

    Every part a stage calls is given here, through its protocol: the reader
    (``extract.base.DocumentReader``), the classifier (``classify.base.Classifier``), the field
    extractor (``extract.fields.base.FieldExtractor``), the matcher, the checks and the fraud
    checks (``validate.base``), and the stores (``storage.base``, ``storage.dossiers``,
    ``storage.fraud``). The parts without state default to the real functions.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        objects: ObjectStore,
        metadata: MetadataStore,
        reader: DocumentReader,
        classifier: Classifier,
        registry: DossierRegistry,
        field_extractor: FieldExtractor,
        matcher: Matcher = match_document,
        checks: DocumentChecks = run_checks,
        fraud_checks: FraudChecks = fraud_checks,
        stages: tuple[tuple[str, Stage], ...] = STAGES,
        fraud: FraudStore | None = None,
        corrections: CorrectionStore | None = None,
        versions: ModelVersions | None = None,
    ) -> None:
        self.settings = settings
        self.objects = objects
        self.metadata = metadata
        self.reader = reader
        self.classifier = classifier
        self.registry = registry
        self.field_extractor = field_extractor
        self.matcher = matcher
        self.checks = checks
        self.fraud_checks = fraud_checks
        self.stages = stages
        self.fraud: FraudStore = fraud if fraud is not None else MemoryFraudStore()
        self.corrections = corrections  # None: nothing is learned
        self.versions = versions  # None: the parts given read, never swapped
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
        """Run a corrected document's checks again (:func:`mailroom.stages.recheck`)."""
        recheck(doc, self.registry, self.settings, self.checks)

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
        if self.versions is not None:
            self.versions.close()

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
        container.batch = layout_of(plan)
        parts: list[Document] = []
        for segment in plan.segments:
            parts.extend(self.process_batch_part(container, segment, work))
        container.status = Status.SPLIT
        container.reason = batch_reason(plan, len(parts))
        self.metadata.save(container)
        self._record_arrival(container, Status.SPLIT)
        return parts

    def process_batch_part(self, batch: Document, segment: Segment, work: Work) -> list[Document]:
        """One document of a read batch (``work``: the batch file and its page images), its
        pages cut into a file of their own and processed from classification on."""
        sub = _subdir(work.workdir, f"doc-{segment.first}-{segment.last}")
        file = write_pages(
            work.path, work.media_type, segment.pages, sub / "input", batch_sha256=batch.sha256
        )
        part = part_of(batch, segment, work.page_images)
        source = batch.source.model_copy(update={"pages": (segment.first, segment.last)})
        return self._process_input(
            file, source, sub, media_type=work.media_type, parent_id=batch.document_id, part=part
        )

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


def build_pipeline(
    settings: Settings,
    *,
    objects: ObjectStore | None = None,
    metadata: MetadataStore | None = None,
    registry: DossierRegistry | None = None,
) -> Pipeline:
    """Choose every swappable part from the settings; stores already open (the review
    application's) are used as they are."""
    from classify.model import SklearnClassifier
    from extract.fields import ContractFieldExtractor
    from extract.reader import Reader
    from mailroom.versions import ModelVersions
    from storage import (
        build_correction_store,
        build_dossier_registry,
        build_fraud_store,
        build_metadata_store,
        build_model_store,
        build_object_store,
    )

    objects = build_object_store(settings.storage) if objects is None else objects
    return Pipeline(
        settings,
        objects=objects,
        metadata=build_metadata_store(settings.storage) if metadata is None else metadata,
        reader=Reader(settings.ocr, settings.limits, text_layer=settings.ocr.text_layer),
        classifier=SklearnClassifier(settings.classify.model_path),
        registry=build_dossier_registry(settings.storage) if registry is None else registry,
        field_extractor=ContractFieldExtractor(),
        matcher=match_document,
        checks=run_checks,
        fraud_checks=fraud_checks,
        fraud=build_fraud_store(settings.storage),
        corrections=build_correction_store(settings.storage),
        versions=ModelVersions(
            build_model_store(settings.storage), objects, settings.storage.data_dir / "models"
        ),
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
