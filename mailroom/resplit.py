"""A person's cut of a scan batch: the boundaries a gestionnaire moved, added or removed on the
batch's strip of pages, applied.

The person's cut wins: no evidence is scored. Each start page begins a document; separator
sheets and blank pages stay out of every document (``segments_from_starts``). A document
whose pages do not change keeps its record, untouched. The others are replaced: the new
documents are cut from the batch file and go through classification, extraction, matching
and the checks (their pages are not read again: the batch's reading is kept on its record),
and land in the queue or the GED as any document; the old ones stay in the store with the
status ``superseded`` and ``superseded_by`` naming the documents that took their pages, so
that nothing is lost and their history stays readable. A filed document's pages are never
moved: the cut is refused, in French, before anything changes.

The review application calls :func:`resplit_batch`; a command line can call it the same way.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.settings import SplitSettings
from ingest.split import Segment, page_features
from mailroom.batches import segments_from_starts
from mailroom.errors import MailroomError
from mailroom.models import BatchLayout, Document, Status
from storage.base import KeyNotFound, MetadataStore, ObjectStore

if TYPE_CHECKING:  # the pipeline (and its readers) is loaded when a batch is cut, not before
    from mailroom.pipeline import Pipeline

log = logging.getLogger(__name__)


class ResplitRefused(MailroomError, ValueError):
    """A cut that cannot be applied; the message is for the gestionnaire (French)."""


@dataclass(frozen=True)
class Resplit:
    """What a new cut did: the documents kept as they were, made, and replaced."""

    batch: Document
    kept: list[Document]
    created: list[Document]
    superseded: list[Document]

    @property
    def changed(self) -> bool:
        return bool(self.created or self.superseded)


def is_batch(doc: Document) -> bool:
    """A scan batch cut into documents (not an e-mail, not a one-document file)."""
    return doc.status is Status.SPLIT and doc.media_type != "message/rfc822" and bool(doc.pages)


def batch_parts(metadata: MetadataStore, batch_id: str, *, superseded: bool = False
                ) -> list[Document]:
    """The batch's documents in page order: those that stand, or (``superseded``) those a
    new cut replaced."""
    found = [
        d
        for d in metadata.list_documents()
        if d.parent_id == batch_id
        and d.source.pages is not None
        and (d.status is Status.SUPERSEDED) == superseded
    ]
    return sorted(found, key=lambda d: (d.source.pages or (0, 0), d.received_at))


def batch_layout(batch: Document, objects: ObjectStore, settings: SplitSettings) -> BatchLayout:
    """How the batch was cut: as its record keeps it, or, for a batch cut before records kept
    it, its pages' separator sheets and blankness looked at again (the barcodes and ink of
    the stored page images; no reading)."""
    if batch.batch is not None:
        return batch.batch
    separators: list[int] = []
    blanks: list[int] = []
    references: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="mailroom-layout-") as tmp:
        for page in batch.pages:
            image = _fetch(objects, page.image_key, Path(tmp) / f"page-{page.number:04d}.png")
            features = page_features(page, image, settings)
            if features.separator:
                separators.append(page.number)
                if features.dossier_reference:
                    references[page.number] = features.dossier_reference
            elif features.blank:
                blanks.append(page.number)
    return BatchLayout(
        method="separators" if separators else "evidence",
        separators=tuple(separators),
        blanks=tuple(blanks),
        references=references,
    )


def resplit_batch(
    pipeline: Pipeline, batch_id: str, starts: Iterable[int], *, by: str
) -> Resplit:
    """Cut the batch ``batch_id`` so that a document begins at each page of ``starts`` (1-based
    pages of the batch file), on behalf of ``by``; see the module's docstring."""
    metadata = pipeline.metadata
    batch = metadata.get(batch_id)
    if batch is None or not is_batch(batch):
        raise ResplitRefused(f"{batch_id} n'est pas un lot de documents numérisés")
    layout = batch_layout(batch, pipeline.objects, pipeline.settings.split)
    segments = segments_from_starts(starts, len(batch.pages), layout)
    if not segments:
        raise ResplitRefused("le lot ne contient que des intercalaires ou des pages blanches")
    parts = batch_parts(metadata, batch_id)
    wanted = {(s.first, s.last) for s in segments}
    kept = [d for d in parts if d.source.pages in wanted]
    gone = [d for d in parts if d.source.pages not in wanted]
    filed = [d for d in gone if d.status is Status.FILED]
    if filed:
        raise ResplitRefused(
            " ; ".join(
                f"les pages {_pages(d)} forment le document {d.document_id}, déjà classé en GED "
                f"({d.ged_entry_id}) : elles ne peuvent pas être déplacées"
                for d in filed
            )
        )
    standing = {d.source.pages for d in kept}
    todo = [s for s in segments if (s.first, s.last) not in standing]
    if not todo and not gone:
        return Resplit(batch, kept, [], [])
    if batch.original_key is None or batch.media_type is None:
        raise ResplitRefused(f"l'original du lot {batch_id} n'est plus disponible")
    # The replaced documents leave first: the new ones, made of their pages, must not be
    # taken for copies of them (fraud.same_content looks past superseded documents).
    for old in gone:
        metadata.save(old.model_copy(update={
            "status": Status.SUPERSEDED,
            "reason": f"remplacé par le découpage du lot corrigé par {by}",
        }))
    try:
        created = _process(pipeline, batch, todo)
    except BaseException:
        for old in gone:  # storage failed midway: the batch stays as it was cut
            metadata.save(old)
        raise
    superseded = []
    for old in gone:
        first, last = old.source.pages or (0, 0)
        after = [
            d.document_id
            for d in created
            if d.source.pages is not None
            and d.source.pages[0] <= last
            and d.source.pages[1] >= first
        ]
        replaced = old.model_copy(update={
            "status": Status.SUPERSEDED,
            "superseded_by": after,
            "reason": f"remplacé par le découpage du lot corrigé par {by} : "
            + (", ".join(after) if after else "pages écartées"),
        })
        metadata.save(replaced)
        superseded.append(replaced)
    batch.batch = layout.model_copy(update={"method": "person", "unsure": ()})
    count = len(kept) + len(created)
    batch.reason = f"{count} document(s) dans le lot (découpage corrigé par {by})"
    metadata.save(batch)
    log.info("batch cut again by %s: %d kept, %d new, %d replaced",
             by, len(kept), len(created), len(gone))
    return Resplit(batch, kept, created, superseded)


def _process(pipeline: Pipeline, batch: Document, segments: list[Segment]) -> list[Document]:
    """The documents of ``segments`` cut from the batch's original and processed on their
    own, their pages as the batch's reading gave them."""
    from mailroom.stages import Work

    assert batch.original_key is not None and batch.media_type is not None
    created: list[Document] = []
    with tempfile.TemporaryDirectory(prefix="mailroom-resplit-") as tmp:
        workdir = Path(tmp)
        original = _fetch(pipeline.objects, batch.original_key, workdir / "batch")
        if original is None:
            raise ResplitRefused(f"l'original du lot {batch.document_id} n'est plus disponible")
        images: dict[int, Path] = {}
        for segment in segments:
            for n in segment.pages:
                image = _fetch(
                    pipeline.objects, batch.pages[n - 1].image_key,
                    workdir / "pages" / f"page-{n:04d}.png",
                )
                if image is not None:
                    images[n] = image
        work = Work(original, batch.media_type, workdir, page_images=images)
        for segment in segments:
            created.extend(pipeline.process_batch_part(batch, segment, work))
    return created


def _pages(doc: Document) -> str:
    first, last = doc.source.pages or (0, 0)
    return f"{first} à {last}" if first != last else f"{first}"


def _fetch(objects: ObjectStore, key: str | None, target: Path) -> Path | None:
    """The object at ``key`` written to ``target``; None when there is none."""
    if key is None:
        return None
    try:
        data = objects.get_bytes(key)
    except KeyNotFound:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target
