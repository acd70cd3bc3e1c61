"""A scan batch in the review application: its strip of pages with the documents found, and a
gestionnaire's new cut of it.

Access goes through :meth:`ReviewService.document`, so a batch holding a medical certificate
(at any depth, superseded parts included: their pages are the batch's) is refused to every
role but ``medical``, and each access to it is audited, for its page, its thumbnails, its
original and its cut alike. The cut itself is :func:`mailroom.resplit.resplit_batch`, on a
pipeline built on the application's stores when first needed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from mailroom.models import BatchLayout, Document
from mailroom.resplit import Resplit, ResplitRefused, batch_layout, batch_parts, is_batch
from review.errors import ActionError, NotFound
from review.page_images import screen_image
from review.service import ReviewService
from review.store import User
from storage.base import KeyNotFound, derived_key

if TYPE_CHECKING:
    from mailroom.pipeline import Pipeline

THUMB_WIDTH = 240
THUMB_BUDGET = 40_000

PageRole = Literal["page", "separator", "blank"]


@dataclass(frozen=True)
class StripPage:
    """One page of the batch file as the strip shows it."""

    number: int
    role: PageRole
    document: Document | None  # the document it is in (a separator or blank page: none)
    starts: bool  # it begins its document
    has_image: bool
    reference: str | None = None  # the dossier a separator sheet names


@dataclass(frozen=True)
class BatchView:
    batch: Document
    layout: BatchLayout
    pages: list[StripPage]
    documents: list[Document]  # the batch's documents as they stand, in page order
    superseded: list[Document]  # those a new cut replaced, kept for their history
    medical: bool  # the batch holds a medical certificate (the page is for the medical team)


def batch_of(doc: Document) -> str | None:
    """The batch a document was found in: its parent, when that is a scan batch (not an
    e-mail: an e-mail's parts name their message)."""
    if doc.parent_id is None or doc.source.email is not None or doc.source.pages is None:
        return None
    return doc.parent_id


class ReviewBatches:
    def __init__(
        self, service: ReviewService, pipeline: Callable[[], Pipeline] | None = None
    ) -> None:
        self.service = service
        self._pipeline = pipeline
        self._lock = threading.Lock()  # one cut at a time: two people on one batch wait

    def _batch(self, user: User, batch_id: str, action: str) -> Document:
        batch = self.service.document(user, batch_id, action)
        if not is_batch(batch):
            raise NotFound(f"{batch_id} (pas un lot numérisé)")
        return batch

    def view(self, user: User, batch_id: str) -> BatchView:
        batch = self._batch(user, batch_id, "view_batch")
        service = self.service
        layout = batch_layout(batch, service.objects, service.settings.split)
        documents = batch_parts(service.metadata, batch_id)
        superseded = batch_parts(service.metadata, batch_id, superseded=True)
        owner: dict[int, Document] = {}
        for doc in documents:
            first, last = doc.source.pages or (0, 0)
            for n in range(first, last + 1):
                if n not in layout.dropped:
                    owner[n] = doc
        pages = []
        for page in batch.pages:
            n = page.number
            role: PageRole = (
                "separator" if n in layout.separators else "blank" if n in layout.blanks
                else "page"
            )
            holder = owner.get(n)
            starts = holder is not None and holder.source.pages is not None and (
                holder.source.pages[0] == n
            )
            pages.append(
                StripPage(n, role, holder, starts, page.image_key is not None,
                          layout.references.get(n))
            )
        return BatchView(
            batch, layout, pages, documents, superseded, bool(service.medical_parts(batch))
        )

    def thumbnail(self, user: User, batch_id: str, number: int) -> bytes:
        """A page of the batch, small (at most ``THUMB_WIDTH`` pixels wide), made once."""
        batch = self._batch(user, batch_id, "image")
        page = next((p for p in batch.pages if p.number == number), None)
        if page is None or page.image_key is None:
            raise NotFound(f"{batch_id} page {number}")
        objects = self.service.objects
        key = derived_key(batch.sha256, f"page-{number:04d}-thumb")
        try:
            return objects.get_bytes(key)
        except KeyNotFound:
            pass
        try:
            stored = objects.get_bytes(page.image_key)
        except KeyNotFound as e:
            raise NotFound(page.image_key) from e
        data = screen_image(stored, width=THUMB_WIDTH, budget=THUMB_BUDGET)
        objects.put_bytes(key, data, content_type="image/jpeg")
        return data

    def resplit(self, user: User, batch_id: str, starts: list[int]) -> Resplit:
        """Cut the batch anew: a document begins at each page of ``starts``. Audited on the
        batch (the documents before and after) and on each document replaced."""
        from mailroom.resplit import resplit_batch

        self._batch(user, batch_id, "resplit")
        if self._pipeline is None:
            raise ActionError("le redécoupage d'un lot n'est pas disponible sur ce serveur")
        store = self.service.store
        with self._lock:
            before = _ranges(batch_parts(self.service.metadata, batch_id))
            try:
                done = resplit_batch(self._pipeline(), batch_id, starts, by=user.username)
            except ResplitRefused as e:
                store.audit(user.username, "resplit", document_id=batch_id, allowed=False,
                            before={"documents": before}, after={"débuts": starts},
                            detail=str(e))
                raise ActionError(str(e)) from e
        if not done.changed:
            return done
        store.audit(
            user.username,
            "resplit",
            document_id=batch_id,
            before={"documents": before},
            after={"documents": _ranges([*done.kept, *done.created])},
        )
        for old in done.superseded:
            store.take_back(old.document_id)  # out of the set-aside list: it left the queue
            store.audit(
                user.username,
                "superseded",
                document_id=old.document_id,
                after={"remplacé par": list(old.superseded_by)},
            )
        return done


def _ranges(docs: list[Document]) -> list[str]:
    return [
        f"{d.document_id} p. {d.source.pages[0]}-{d.source.pages[1]}"
        for d in docs
        if d.source.pages is not None
    ]
