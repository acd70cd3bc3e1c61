"""What a gestionnaire does to a document, independent of the web: correct a field, change the
type, choose the dossier, approve (file it in the GED), set it aside, ask for missing pieces.

Every action is written to the audit trail with who, before and after. Corrections become
``ExtractedField(source="correction", confidence=1.0)`` and a labelled example. Access to
medical certificates goes through :meth:`ReviewService.guard`, which audits it, allowed or not;
so does access to a container (an e-mail, a scan batch) that holds one: its original, record
and pages carry the certificate too.

Approval files only what a person has looked at: a failed check needs a typed reason (kept in
the audit trail), a dossier below the match threshold needs a confirmation when it is chosen,
and an invoice already filed in the dossier is refused outright.
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from extract.corrected import has_markup, parse_correction
from ingest.email import parse_email
from mailroom.errors import MailroomError
from mailroom.models import (
    BBox,
    DocType,
    Document,
    ExtractedField,
    Match,
    MatchCandidate,
    Status,
    format_value,
    sha256_hex,
)
from mailroom.records import (
    CompletenessRequest,
    Dossier,
    GedEntry,
    normalize_invoice_number,
    supplier_keys,
)
from mailroom.settings import Settings
from review.access import is_container, is_medical, may_see_medical
from review.documents import ReviewDocuments
from review.errors import ActionError, NeedsConfirmation, NeedsReason, NotFound, Refused
from review.formats import (
    display_value,
    fold,
    locate_value,
    split_person_name,
)
from review.listing import (
    PER_PAGE,
    REASON_CATEGORIES,
    Queue,
    QueueFilters,
    amount_of,
    doc_dossier_ids,
    reason_categories,
    supplier_of,
)
from review.page_images import image_media_type, screen_image
from review.store import ReviewStore, User
from storage.base import KeyNotFound, MetadataStore, ObjectStore, derived_key
from storage.corrections import CorrectionStore
from storage.dossiers import DossierRegistry
from validate.completeness import (
    RenderedRequest,
    make_sender,
    new_request,
    received_by_dossier,
    render_request,
)
from validate.ged import make_ged_entry, make_searchable_pdf

log = logging.getLogger(__name__)

# Checks that come from reading the input (or from the fraud stage), not from
# validate.checks: kept when the checks are run again.


_PERSON_FIELDS = ("customer_name", "sender_name", "account_holder", "patient_name")


class ReviewService:
    def __init__(
        self,
        settings: Settings,
        *,
        metadata: MetadataStore,
        objects: ObjectStore,
        registry: DossierRegistry,
        store: ReviewStore,
        corrections: CorrectionStore | None = None,
    ) -> None:
        self.settings = settings
        self.corrections = corrections  # where corrections are recorded to learn from
        self.metadata = metadata
        self.objects = objects
        self.registry = registry
        self.store = store
        self.in_review = ReviewDocuments(metadata)
        self._search_text: dict[str, tuple[Document, str]] = {}

    # --- reading -------------------------------------------------------------------------

    def queue(
        self, user: User, filters: QueueFilters, *, page: int = 1, per_page: int = PER_PAGE
    ) -> Queue:
        """One page of the documents in review that this user may see, filtered and sorted;
        counts per reason over the whole (unfiltered) queue."""
        visible, aside = self._visible(user)
        active = [d for d in visible if d.document_id not in aside]
        counts = Counter(c for d in active for c in reason_categories(d))
        docs = self._filtered(visible, aside, filters)
        pages = max(1, -(-len(docs) // per_page))
        page = min(max(1, page), pages)
        shown = docs[(page - 1) * per_page : page * per_page]
        for d in shown:
            if is_medical(d):
                self.store.audit(user.username, "list", document_id=d.document_id)
        dossiers: dict[str, Dossier] = {}
        for d in shown:
            dossier_id = d.match.dossier_id if d.match else None
            if dossier_id and dossier_id not in dossiers:
                found = self.registry.get(dossier_id)
                if found is not None:
                    dossiers[dossier_id] = found
        return Queue(
            documents=shown,
            reason_counts={k: counts.get(k, 0) for k in REASON_CATEGORIES},
            total=len(active),
            set_aside_count=len([d for d in visible if d.document_id in aside]),
            matching=len(docs),
            page=page,
            pages=pages,
            notes=self.store.set_aside_notes(),
            dossiers=dossiers,
        )

    def queue_ids(self, user: User, filters: QueueFilters) -> list[str]:
        """The ids of the whole filtered queue in its order (for next and previous)."""
        visible, aside = self._visible(user)
        return [d.document_id for d in self._filtered(visible, aside, filters)]

    def _visible(self, user: User) -> tuple[list[Document], set[str]]:
        aside = self.store.set_aside_ids()
        visible = [
            d
            for d in reversed(self.in_review.in_review())
            if may_see_medical(user) or not is_medical(d)
        ]
        return visible, aside

    def _filtered(
        self, visible: list[Document], aside: set[str], filters: QueueFilters
    ) -> list[Document]:
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
        if filters.text:
            words = [fold(w) for w in filters.text.split()]
            docs = [d for d in docs if all(w in self._searchable(d) for w in words)]
        key = filters.sort.lstrip("-")
        if key != "received":
            docs = sorted(docs, key=lambda d: self._sort_key(d, key))
        if filters.sort.startswith("-"):
            docs = docs[::-1]
        return docs

    def _searchable(self, doc: Document) -> str:
        """The folded text a search looks in, kept while the same parsed copy is in use."""
        kept = self._search_text.get(doc.document_id)
        if kept is not None and kept[0] is doc:
            return kept[1]
        text = _searchable(doc)
        self._search_text[doc.document_id] = (doc, text)
        return text

    def _sort_key(self, doc: Document, key: str) -> tuple[int, object]:
        """Documents without the value go last, in their order of arrival."""
        if key == "amount":
            amount = amount_of(doc)
            return (0, amount) if amount is not None else (1, Decimal(0))
        if key == "type":
            return (0, doc.doc_type.value) if doc.doc_type else (1, "")
        if key == "supplier":
            name = fold(supplier_of(doc))
            return (0, name) if name else (1, "")
        name = fold(self.beneficiary_of(doc))
        return (0, name) if name else (1, "")

    def beneficiary_of(self, doc: Document) -> str:
        """The chosen dossier's beneficiary, else the person the document names."""
        dossier_id = doc.match.dossier_id if doc.match else None
        dossier = self.registry.get(dossier_id) if dossier_id else None
        if dossier is not None:
            return dossier.beneficiary.full_name
        return next(
            (format_value(doc.fields[n].value) for n in _PERSON_FIELDS if n in doc.fields), ""
        )

    def guard(self, user: User, doc: Document, action: str) -> None:
        """Refuse a medical document, or a container holding one, to anyone but the medical
        team; audit every access to one, allowed or refused."""
        parts = [] if is_medical(doc) else self.medical_parts(doc)
        if not is_medical(doc) and not parts:
            return
        allowed = may_see_medical(user)
        holds = f"contient le certificat médical {', '.join(parts)}" if parts else None
        refused = "secret médical : accès refusé"
        self.store.audit(
            user.username,
            action,
            document_id=doc.document_id,
            dossier_id=doc.match.dossier_id if doc.match else None,
            allowed=allowed,
            detail="; ".join(x for x in (holds, None if allowed else refused) if x) or None,
        )
        if allowed:
            return
        if parts:
            raise Refused(
                "Cet envoi contient un certificat médical : son original, sa fiche et ses pages "
                "sont réservés à l'équipe médicale. Ses autres pièces restent consultables "
                "chacune depuis la file de travail."
            )
        raise Refused("Ce document est un certificat médical : réservé à l'équipe médicale.")

    def medical_parts(self, doc: Document) -> list[str]:
        """The medical certificates a container holds, by document id.

        For an e-mail: the documents with the bytes of its attachments (every part, a part
        that had come before on its own included: that one is recorded as a duplicate, with
        no parent). For another container, or an e-mail that cannot be read again: its parts
        by ``parent_id``, at any depth (this reads every record: containers are rare)."""
        if not is_container(doc):
            return []
        if doc.media_type == "message/rfc822" and doc.original_key is not None:
            attached = self._email_attachments(doc.original_key)
            if attached is not None:
                return list(dict.fromkeys(d.document_id for d in attached if is_medical(d)))
        children: dict[str, list[Document]] = defaultdict(list)
        for d in self.metadata.list_documents():
            if d.parent_id:
                children[d.parent_id].append(d)
        found: list[str] = []
        seen = {doc.document_id}
        stack = [doc.document_id]
        while stack:
            for part in children.get(stack.pop(), []):
                if part.document_id in seen:
                    continue
                seen.add(part.document_id)
                stack.append(part.document_id)
                if is_medical(part):
                    found.append(part.document_id)
        return found

    def _email_attachments(self, key: str) -> list[Document] | None:
        """The documents known with the bytes of an e-mail's attachments; None when the
        e-mail cannot be read again."""
        try:
            parsed = parse_email(self.objects.get_bytes(key))
        except MailroomError:  # gone, or unreadable
            return None
        known = (self.metadata.find_by_sha256(sha256_hex(a.data)) for a in parsed.attachments)
        return [d for d in known if d is not None]

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

    def page_view(self, user: User, document_id: str, number: int, *, webp: bool = False) -> bytes:
        """The page sized for the screen (at most ``SCREEN_WIDTH`` pixels wide): WebP for a
        browser that takes it, else JPEG, or the stored PNG when that is smaller (a clean
        born-digital page often is); made at the first request for each format and kept
        beside the page image."""
        doc = self.document(user, document_id, "image")
        page = next((p for p in doc.pages if p.number == number), None)
        if page is None or page.image_key is None:
            raise NotFound(f"{document_id} page {number}")
        name = f"page-{number:04d}-screen" + (".webp" if webp else "")
        key = derived_key(doc.sha256, name)
        try:
            return self.objects.get_bytes(key)
        except KeyNotFound:
            pass
        try:
            stored = self.objects.get_bytes(page.image_key)
        except KeyNotFound as e:
            raise NotFound(page.image_key) from e
        data = screen_image(stored, image_format="WEBP" if webp else "JPEG")
        self.objects.put_bytes(key, data, content_type=image_media_type(data))
        return data

    def searchable_copy(self, user: User, document_id: str) -> tuple[Document, bytes]:
        doc = self.document(user, document_id, "download")
        entry = next(
            (e for e in self.registry.ged_entries() if e.document_id == doc.document_id), None
        )
        if entry is None or entry.searchable_pdf_key is None:
            raise NotFound(f"{document_id} : pas de copie en GED")
        try:
            return doc, self.objects.get_bytes(entry.searchable_pdf_key)
        except KeyNotFound as e:
            raise NotFound(entry.searchable_pdf_key) from e

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
        return [d for d in self.in_review.in_review() if dossier_id in doc_dossier_ids(d)]

    def ged_entries(self, dossier_id: str) -> list[GedEntry]:
        return self.registry.ged_entries(dossier_id)

    # --- acting --------------------------------------------------------------------------

    def correct_field(
        self, user: User, document_id: str, name: str, text: str,
        drawn: tuple[int, BBox] | None = None,
    ) -> Document:
        """Correct one field. ``drawn``: the page and box the gestionnaire drew around the
        value on the page (where the reading missed it): the field's place, and what the
        correction teaches there."""
        doc = self._editable(user, document_id, "correct_field")
        allowed_names = _field_names(doc)
        if name not in allowed_names:
            raise ActionError(f"le champ « {name} » n'existe pas pour ce type de document")
        value = parse_correction(name, text)
        old = doc.fields.get(name)
        if drawn is not None:
            drawn = _on_page(doc, drawn)
            found: tuple[int, BBox] | None = drawn
        else:
            found = locate_value(doc, [text, format_value(value), display_value(name, value)])
        page, bbox = found if found else (old.page if old else None, old.bbox if old else None)
        corrected = ExtractedField(
            value=value, confidence=1.0, page=page, bbox=bbox, source="correction"
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
        self._learn(user, doc, {name: drawn} if drawn is not None else None)
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
        self._learn(user, doc)
        return doc

    def choose_dossier(
        self, user: User, document_id: str, dossier_id: str, *, confirmed: bool = False
    ) -> Document:
        """Attach the document to a dossier. A candidate below the match threshold is only
        taken once confirmed (the matcher was not sure: its reasons are worth a look)."""
        doc = self._editable(user, document_id, "choose_dossier")
        dossier = self.dossier("".join(dossier_id.split()).upper())
        before = doc.match.model_dump(mode="json") if doc.match else None
        candidates = doc.match.candidates if doc.match else ()
        chosen = next((c for c in candidates if c.dossier_id == dossier.dossier_id), None)
        threshold = self.settings.dossiers.match_threshold
        if chosen is not None and chosen.score < threshold and not confirmed:
            raise NeedsConfirmation(
                f"Le dossier {dossier.dossier_id} ne correspond qu'à {chosen.score:.0%} "
                f"(seuil {threshold:.0%}) : vérifiez ses raisons, puis confirmez le choix.",
                dossier.dossier_id,
                chosen.score,
            )
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
            detail=(
                f"choix confirmé sous le seuil ({chosen.score:.0%})"
                if chosen.score < threshold
                else None
            ),
        )
        return doc

    def approve(self, user: User, document_id: str, *, reason: str = "") -> GedEntry:
        """File the document in the GED under its chosen dossier.

        The checks are run again first (a copy may have been filed meanwhile). A failed check
        is overridden only with a ``reason``, which the audit trail keeps; the same invoice
        already filed in this dossier is refused whatever the reason."""
        doc = self._editable(user, document_id, "approve")
        if doc.doc_type is None:
            raise ActionError("choisissez d'abord le type du document")
        if doc.match is None or doc.match.status != "matched" or not doc.match.dossier_id:
            raise ActionError("choisissez d'abord le dossier du document")
        dossier = self.dossier(doc.match.dossier_id)
        twin = self._filed_twin(doc, dossier.dossier_id)
        if twin is not None:
            raise ActionError(
                f"ce document est déjà classé dans le dossier {dossier.dossier_id} "
                f"(entrée GED {twin.ged_entry_id}) : il ne peut pas l'être deux fois"
            )
        checks_before = list(doc.checks)
        self._recheck(doc)
        if doc.checks != checks_before:
            self.metadata.save(doc)
        failing = [c for c in doc.checks if c.status == "fail"]
        reason = " ".join(reason.split())
        if failing and not reason:
            raise NeedsReason(
                "contrôle en échec : "
                + " ; ".join(c.message for c in failing)
                + ". Pour valider malgré tout, indiquez le motif.",
                [c.code for c in failing],
            )
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
            detail=(
                f"validé malgré {', '.join(c.code for c in failing)} : {reason}"
                if failing
                else None
            ),
        )
        return entry

    def _filed_twin(self, doc: Document, dossier_id: str) -> GedEntry | None:
        """A GED entry of this dossier for the same document: the same bytes, or the same
        invoice (number, and supplier by SIRET or name; without a supplier, the same total)."""
        number = doc.fields.get("invoice_number")
        wanted = normalize_invoice_number(str(number.value)) if number else None
        keys = set(
            supplier_keys(_field_text(doc, "supplier_siret"), _field_text(doc, "supplier_name"))
        )
        total = _field_text(doc, "total_incl_tax")
        for entry in self.registry.ged_entries(dossier_id):
            if entry.document_id == doc.document_id or entry.sha256 == doc.sha256:
                return entry
            if not wanted or entry.invoice_number != wanted:
                continue
            theirs = set(entry.supplier_keys)
            if keys and theirs:
                if keys & theirs:
                    return entry
            elif total and entry.fields.get("total_incl_tax", {}).get("value") == total:
                return entry
        return None

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
        """The checks run again and the reasons said again (:func:`mailroom.stages.recheck`)."""
        from mailroom.stages import recheck

        recheck(doc, self.registry, self.settings)

    def _label(self, doc: Document) -> None:
        """A labelled example for training; a value carrying markup is never a label."""
        if doc.doc_type is None:
            return
        fields = {n: format_value(f.value) for n, f in doc.fields.items()}
        self.store.append_labelled_example(
            doc.text,
            doc.doc_type.value,
            {n: v for n, v in fields.items() if not has_markup(v)},
        )

    def _learn(
        self, user: User, doc: Document, drawn: dict[str, tuple[int, BBox]] | None = None
    ) -> None:
        """Record the document's corrections (every field corrected so far, its type) for the
        next documents of its sender or layout. A medical certificate reaches this point only
        for the medical team (``guard``), and its correction serves only medical certificates."""
        if self.corrections is None or doc.doc_type is None:
            return
        from mailroom.learning import make_correction
        from mailroom.versions import refit_if_due

        values = {n: f.value for n, f in doc.fields.items() if f.source == "correction"}
        earlier = self.corrections.get(doc.document_id)
        self.corrections.add(
            make_correction(doc, values, user.username, drawn=drawn, earlier=earlier)
        )
        # enough new corrections: a refit starts out of this request (a task or a process)
        refit_if_due(self.settings, self.corrections)

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


def _searchable(doc: Document) -> str:
    mail = doc.source.email
    parts = [doc.text, doc.source.filename or "", doc.document_id]
    if mail is not None:
        parts += [mail.subject or "", mail.from_ or ""]
    parts += [format_value(f.value) for f in doc.fields.values()]
    return fold(" ".join(parts))


def _field_text(doc: Document, name: str) -> str | None:
    found = doc.fields.get(name)
    return format_value(found.value) if found is not None else None


def _on_page(doc: Document, drawn: tuple[int, BBox]) -> tuple[int, BBox]:
    """A drawn box, on one of the document's pages and cut to it; refused when it is not."""
    number, box = drawn
    page = next((p for p in doc.pages if p.number == number), None)
    if page is None:
        raise ActionError(f"le cadre dessiné est sur une page inconnue ({number})")
    x0, x1 = sorted((max(0.0, min(box.x0, page.width)), max(0.0, min(box.x1, page.width))))
    y0, y1 = sorted((max(0.0, min(box.y0, page.height)), max(0.0, min(box.y1, page.height))))
    if x1 - x0 < 1 or y1 - y0 < 1:
        raise ActionError("le cadre dessiné est vide ou hors de la page")
    return number, BBox(x0=x0, y0=y0, x1=x1, y1=y1)


def _field_names(doc: Document) -> tuple[str, ...]:
    from extract.fields.base import FIELDS_BY_TYPE

    if doc.doc_type is None:
        return ()
    return FIELDS_BY_TYPE.get(doc.doc_type, ())
