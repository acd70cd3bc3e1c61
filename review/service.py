"""What a gestionnaire does to a document, independent of the web: correct a field, change the
type, choose the dossier, approve (file it in the GED), set it aside, ask for missing pieces.

Every action is written to the audit trail with who, before and after. Corrections become
``ExtractedField(source="correction", confidence=1.0)`` and a labelled example. Access to
medical certificates goes through :meth:`ReviewService.guard`, which audits it, allowed or not.
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mailroom.errors import MailroomError
from mailroom.models import (
    DocType,
    Document,
    ExtractedField,
    Match,
    MatchCandidate,
    Status,
    format_value,
)
from mailroom.settings import Settings
from review.formats import parse_correction
from review.store import ReviewStore, User
from storage.base import KeyNotFound, MetadataStore, ObjectStore, derived_key
from storage.dossiers import DossierRegistry
from validate.checks import run_checks
from validate.completeness import (
    CompletenessRequest,
    RenderedRequest,
    make_sender,
    new_request,
    received_by_dossier,
    render_request,
)
from validate.dossiers import Dossier
from validate.ged import GedEntry, make_ged_entry, make_searchable_pdf

log = logging.getLogger(__name__)

# Checks that come from reading the input, not from validate.checks: kept when checks re-run.
_INPUT_CHECK_PREFIXES = ("facturx.", "email.", "fraud.")

REASON_CATEGORIES: dict[str, str] = {
    "type": "type incertain",
    "fields": "champs à vérifier",
    "choose": "dossier à choisir",
    "unmatched": "aucun dossier",
    "checks": "contrôle bloquant",
}


class Refused(MailroomError):
    """The user's role does not allow this (a medical document for a non-medical role)."""


class NotFound(MailroomError, KeyError):
    """No such document or dossier."""


class ActionError(MailroomError, ValueError):
    """An action that cannot be done now (approve without a dossier...); message for the user."""


def reason_categories(doc: Document) -> list[str]:
    """The queue's reason filters a document's review reason falls into."""
    out: list[str] = []
    for part in (doc.reason or "").split(" ; "):
        if not part:
            continue
        if part.startswith("type de document incertain"):
            out.append("type")
        elif part.startswith("champs à vérifier"):
            out.append("fields")
        elif part.startswith("dossier à choisir"):
            out.append("choose")
        elif part.startswith("aucun dossier"):
            out.append("unmatched")
        else:
            out.append("checks")
    return list(dict.fromkeys(out))


def is_medical(doc: Document) -> bool:
    return doc.doc_type is DocType.MEDICAL_CERTIFICATE


def may_see_medical(user: User) -> bool:
    return user.role == "medical"


@dataclass(frozen=True)
class QueueFilters:
    reason: str | None = None
    doc_type: str | None = None
    channel: str | None = None
    dossier: str | None = None
    set_aside: bool = False


@dataclass(frozen=True)
class Queue:
    documents: list[Document]
    reason_counts: dict[str, int]
    total: int
    set_aside_count: int


def doc_dossier_ids(doc: Document) -> list[str]:
    if doc.match is None:
        return []
    ids = [doc.match.dossier_id] if doc.match.dossier_id else []
    ids += [c.dossier_id for c in doc.match.candidates]
    return list(dict.fromkeys(ids))


class ReviewService:
    def __init__(
        self,
        settings: Settings,
        *,
        metadata: MetadataStore,
        objects: ObjectStore,
        registry: DossierRegistry,
        store: ReviewStore,
    ) -> None:
        self.settings = settings
        self.metadata = metadata
        self.objects = objects
        self.registry = registry
        self.store = store

    # --- reading -------------------------------------------------------------------------

    def queue(self, user: User, filters: QueueFilters) -> Queue:
        """Documents in review that this user may see, oldest first, filtered; counts per
        reason over the whole (unfiltered) queue."""
        aside = self.store.set_aside_ids()
        visible = [
            d
            for d in reversed(self.metadata.list_documents(status=Status.NEEDS_REVIEW))
            if may_see_medical(user) or not is_medical(d)
        ]
        active = [d for d in visible if d.document_id not in aside]
        counts = Counter(c for d in active for c in reason_categories(d))
        docs = [d for d in visible if (d.document_id in aside) == filters.set_aside]
        if filters.reason:
            docs = [d for d in docs if filters.reason in reason_categories(d)]
        if filters.doc_type:
            docs = [d for d in docs if d.doc_type is not None and d.doc_type == filters.doc_type]
        if filters.channel:
            docs = [d for d in docs if d.source.channel == filters.channel]
        if filters.dossier:
            wanted = "".join(filters.dossier.split()).upper()
            docs = [d for d in docs if any(wanted in i for i in doc_dossier_ids(d))]
        for d in docs:
            if is_medical(d):
                self.store.audit(user.username, "list", document_id=d.document_id)
        return Queue(
            documents=docs,
            reason_counts={k: counts.get(k, 0) for k in REASON_CATEGORIES},
            total=len(active),
            set_aside_count=len([d for d in visible if d.document_id in aside]),
        )

    def guard(self, user: User, doc: Document, action: str) -> None:
        """Refuse a medical document to anyone but the medical team; audit every access to
        one, allowed or refused."""
        if not is_medical(doc):
            return
        allowed = may_see_medical(user)
        self.store.audit(
            user.username,
            action,
            document_id=doc.document_id,
            dossier_id=doc.match.dossier_id if doc.match else None,
            allowed=allowed,
            detail=None if allowed else "secret médical : accès refusé",
        )
        if not allowed:
            raise Refused("Ce document est un certificat médical : réservé à l'équipe médicale.")

    def document(self, user: User, document_id: str, action: str = "view") -> Document:
        doc = self.metadata.get(document_id)
        if doc is None:
            raise NotFound(document_id)
        self.guard(user, doc, action)
        return doc

    def page_image(self, user: User, document_id: str, number: int) -> bytes:
        doc = self.document(user, document_id, "image")
        page = next((p for p in doc.pages if p.number == number), None)
        if page is None or page.image_key is None:
            raise NotFound(f"{document_id} page {number}")
        try:
            return self.objects.get_bytes(page.image_key)
        except KeyNotFound as e:
            raise NotFound(page.image_key) from e

    def original(self, user: User, document_id: str) -> tuple[Document, bytes]:
        doc = self.document(user, document_id, "download")
        if doc.original_key is None:
            raise NotFound(document_id)
        try:
            return doc, self.objects.get_bytes(doc.original_key)
        except KeyNotFound as e:
            raise NotFound(doc.original_key) from e

    def dossier(self, dossier_id: str) -> Dossier:
        dossier = self.registry.get(dossier_id)
        if dossier is None:
            raise NotFound(dossier_id)
        return dossier

    def search_dossiers(self, query: str, limit: int = 20) -> list[Dossier]:
        """Dossiers whose id, policy, plate or beneficiary contains every word of ``query``."""
        words = [w.casefold() for w in query.split() if w.strip()]
        if not words:
            return []
        out: list[Dossier] = []
        for d in self.registry.all():
            hay = " ".join(
                x or ""
                for x in (
                    d.dossier_id,
                    d.policy_number,
                    d.vehicle_registration,
                    d.beneficiary.full_name,
                    d.beneficiary.email,
                )
            ).casefold()
            if all(w in hay for w in words):
                out.append(d)
            if len(out) >= limit:
                break
        return out

    def missing_pieces(self, dossier: Dossier) -> list[str]:
        have = received_by_dossier(self.registry).get(dossier.dossier_id, set())
        return [str(t) for t in dossier.required_documents if str(t) not in have]

    def dossier_documents(self, dossier_id: str) -> list[Document]:
        """Documents in review proposed for or matched to this dossier."""
        return [
            d
            for d in self.metadata.list_documents(status=Status.NEEDS_REVIEW)
            if dossier_id in doc_dossier_ids(d)
        ]

    def ged_entries(self, dossier_id: str) -> list[GedEntry]:
        return self.registry.ged_entries(dossier_id)

    # --- acting --------------------------------------------------------------------------

    def correct_field(self, user: User, document_id: str, name: str, text: str) -> Document:
        doc = self._editable(user, document_id, "correct_field")
        allowed_names = _field_names(doc)
        if name not in allowed_names:
            raise ActionError(f"le champ « {name} » n'existe pas pour ce type de document")
        value = parse_correction(name, text)
        old = doc.fields.get(name)
        corrected = ExtractedField(
            value=value,
            confidence=1.0,
            page=old.page if old else None,
            bbox=old.bbox if old else None,
            source="correction",
        )
        doc.fields = {**doc.fields, name: corrected}
        self._recheck(doc)
        self.metadata.save(doc)
        self.store.audit(
            user.username,
            "correct_field",
            document_id=doc.document_id,
            before={name: old.record() if old else None},
            after={name: corrected.record()},
        )
        self._label(doc)
        return doc

    def change_type(self, user: User, document_id: str, doc_type: str) -> Document:
        doc = self._editable(user, document_id, "change_type")
        try:
            new_type = DocType(doc_type)
        except ValueError as e:
            raise ActionError(f"type inconnu : {doc_type}") from e
        if new_type is DocType.MEDICAL_CERTIFICATE and not may_see_medical(user):
            # Once medical, the document would be out of this user's reach: let the medical
            # team make the call, and keep a trace.
            self.store.audit(
                user.username,
                "change_type",
                document_id=doc.document_id,
                allowed=False,
                before=doc.doc_type.value if doc.doc_type else None,
                after=new_type.value,
                detail="seule l'équipe médicale classe un certificat médical",
            )
            raise Refused("Seule l'équipe médicale peut classer un document en certificat médical.")
        before = doc.doc_type.value if doc.doc_type else None
        doc.doc_type = new_type
        doc.doc_type_confidence = 1.0
        keep = set(_field_names(doc))
        doc.fields = {n: f for n, f in doc.fields.items() if n in keep}
        self._recheck(doc)
        self.metadata.save(doc)
        self.store.audit(
            user.username,
            "change_type",
            document_id=doc.document_id,
            before=before,
            after=new_type.value,
        )
        self._label(doc)
        return doc

    def choose_dossier(self, user: User, document_id: str, dossier_id: str) -> Document:
        doc = self._editable(user, document_id, "choose_dossier")
        dossier = self.dossier("".join(dossier_id.split()).upper())
        before = doc.match.model_dump(mode="json") if doc.match else None
        candidates = doc.match.candidates if doc.match else ()
        chosen = next((c for c in candidates if c.dossier_id == dossier.dossier_id), None)
        if chosen is None:
            chosen = MatchCandidate(
                dossier_id=dossier.dossier_id, score=1.0, reasons=("choisi par un gestionnaire",)
            )
            candidates = (chosen, *candidates)
        doc.match = Match(
            status="matched",
            dossier_id=dossier.dossier_id,
            score=chosen.score,
            candidates=candidates,
        )
        self._recheck(doc)
        self.metadata.save(doc)
        self.store.audit(
            user.username,
            "choose_dossier",
            document_id=doc.document_id,
            dossier_id=dossier.dossier_id,
            before=before,
            after=doc.match.model_dump(mode="json"),
        )
        return doc

    def approve(self, user: User, document_id: str) -> GedEntry:
        """File the document in the GED under its chosen dossier."""
        doc = self._editable(user, document_id, "approve")
        if doc.doc_type is None:
            raise ActionError("choisissez d'abord le type du document")
        if doc.match is None or doc.match.status != "matched" or not doc.match.dossier_id:
            raise ActionError("choisissez d'abord le dossier du document")
        dossier = self.dossier(doc.match.dossier_id)
        entry = make_ged_entry(
            doc,
            dossier.dossier_id,
            searchable_pdf_key=self._searchable_copy(doc),
            filed_at=datetime.now(UTC),
        )
        self.registry.add_ged_entry(entry)
        before = {"status": doc.status.value, "reason": doc.reason}
        doc.ged_entry_id = entry.ged_entry_id
        doc.status = Status.FILED
        doc.reason = None
        self.metadata.save(doc)
        self.store.take_back(doc.document_id)
        self.store.audit(
            user.username,
            "approve",
            document_id=doc.document_id,
            dossier_id=dossier.dossier_id,
            before=before,
            after={"status": doc.status.value, "ged_entry_id": entry.ged_entry_id},
        )
        return entry

    def set_aside(self, user: User, document_id: str, note: str | None) -> None:
        doc = self._editable(user, document_id, "set_aside")
        self.store.set_aside(doc.document_id, user.username, note or None)
        self.store.audit(
            user.username, "set_aside", document_id=doc.document_id, after={"note": note or None}
        )

    def take_back(self, user: User, document_id: str) -> None:
        doc = self._editable(user, document_id, "take_back")
        self.store.take_back(doc.document_id)
        self.store.audit(user.username, "take_back", document_id=doc.document_id)

    def preview_request(self, dossier_id: str) -> tuple[Dossier, list[str], RenderedRequest | None]:
        """The dossier, its missing pieces and the French text a request for them would say."""
        dossier = self.dossier(dossier_id)
        missing = self.missing_pieces(dossier)
        if not missing:
            return dossier, missing, None
        now = datetime.now(UTC)
        return dossier, missing, render_request(dossier, missing, kind="request", today=now.date())

    def send_request(
        self, user: User, dossier_id: str, document_id: str | None = None
    ) -> CompletenessRequest:
        """Ask the beneficiary for the dossier's missing pieces, now."""
        if document_id is not None:
            doc = self._editable(user, document_id, "request_pieces")
        dossier = self.dossier(dossier_id)
        if not dossier.is_open:
            raise ActionError("le dossier est clos")
        missing = self.missing_pieces(dossier)
        if not missing:
            raise ActionError("aucune pièce ne manque à ce dossier")
        pending = [r for r in self.registry.requests(dossier.dossier_id) if r.is_active]
        if any(set(missing) <= set(r.missing) for r in pending):
            raise ActionError("une demande pour ces pièces est déjà en cours")
        request = new_request(dossier, missing, now=datetime.now(UTC))
        sender = make_sender(self.settings.requests, self.settings.storage.data_dir)
        sender.deliver(request)
        self.registry.save_request(request)
        if document_id is not None:
            doc.completeness_request_id = request.request_id
            self.metadata.save(doc)
        self.store.audit(
            user.username,
            "request_pieces",
            document_id=document_id,
            dossier_id=dossier.dossier_id,
            after={"request_id": request.request_id, "missing": list(missing)},
        )
        return request

    def dossier_draft(self, doc: Document) -> dict[str, str]:
        """Values to prefill a dossier opened after the fact (ouverture après coup) from the
        document's fields: reference, policy, beneficiary, plate, event date."""
        fields = {n: format_value(f.value) for n, f in doc.fields.items()}
        name = next(
            (fields[n] for n in ("sender_name", "account_holder", "patient_name") if n in fields),
            "",
        )
        first, last = split_person_name(name)
        when = next(
            (
                fields[n]
                for n in ("invoice_date", "receipt_date", "issue_date", "incapacity_start")
                if n in fields
            ),
            "",
        )
        return {
            "dossier_id": fields.get("dossier_reference", ""),
            "policy_number": fields.get("policy_number", ""),
            "first_name": first,
            "last_name": last,
            "vehicle_registration": fields.get("vehicle_registration", ""),
            "event_date": when,
        }

    def open_dossier(self, user: User, document_id: str, dossier: Dossier) -> Document:
        """Open ``dossier`` after the fact and attach the document to it."""
        self._editable(user, document_id, "open_dossier")
        if self.registry.get(dossier.dossier_id) is not None:
            raise ActionError(f"le dossier {dossier.dossier_id} existe déjà : choisissez-le")
        self.registry.upsert(dossier)
        self.store.audit(
            user.username,
            "open_dossier",
            document_id=document_id,
            dossier_id=dossier.dossier_id,
            after=dossier.model_dump(mode="json"),
        )
        return self.choose_dossier(user, document_id, dossier.dossier_id)

    # --- helpers -------------------------------------------------------------------------

    def _editable(self, user: User, document_id: str, action: str) -> Document:
        doc = self.document(user, document_id, action)
        if doc.status is not Status.NEEDS_REVIEW:
            raise ActionError(f"le document n'est plus à revoir (statut : {doc.status.value})")
        return doc

    def _recheck(self, doc: Document) -> None:
        dossier = None
        if doc.match is not None and doc.match.status == "matched" and doc.match.dossier_id:
            dossier = self.registry.get(doc.match.dossier_id)
        kept = [c for c in doc.checks if c.code.startswith(_INPUT_CHECK_PREFIXES)]
        if doc.doc_type is None:
            return
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

    def _label(self, doc: Document) -> None:
        if doc.doc_type is None:
            return
        self.store.append_labelled_example(
            doc.text,
            doc.doc_type.value,
            {n: format_value(f.value) for n, f in doc.fields.items()},
        )

    def _searchable_copy(self, doc: Document) -> str | None:
        """The original when it is a PDF with its own text; else a PDF of the stored page
        images with the words read as an invisible layer."""
        if doc.media_type == "application/pdf" and doc.text_source == "pdf_text":
            return doc.original_key
        if not doc.pages:
            return doc.original_key
        with tempfile.TemporaryDirectory(prefix="mailroom-review-") as tmp:
            images: list[Path | None] = []
            for page in doc.pages:
                if page.image_key is None:
                    images.append(None)
                    continue
                path = Path(tmp) / f"page-{page.number:04d}.png"
                path.write_bytes(self.objects.get_bytes(page.image_key))
                images.append(path)
            out = Path(tmp) / "searchable.pdf"
            make_searchable_pdf(doc.pages, images, out)
            key = derived_key(doc.sha256, "searchable.pdf")
            self.objects.put_file(key, out, content_type="application/pdf")
            return key


def split_person_name(name: str) -> tuple[str, str]:
    """``Océane MARTIN`` or ``MARTIN Océane`` -> (``Océane``, ``MARTIN``): the upper-case words
    are the family name; without any, the last word is."""
    words = name.split()
    if not words:
        return "", ""
    upper = [w for w in words if w.isupper() and len(w) > 1]
    if upper and len(upper) < len(words):
        return " ".join(w for w in words if w not in upper), " ".join(upper)
    return " ".join(words[:-1]), words[-1]


def _field_names(doc: Document) -> tuple[str, ...]:
    from extract.fields.base import FIELDS_BY_TYPE

    if doc.doc_type is None:
        return ()
    return FIELDS_BY_TYPE.get(doc.doc_type, ())
