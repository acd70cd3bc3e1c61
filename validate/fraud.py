"""Fraud and double-payment signals: checks whose code starts with ``fraud.``.

- ``fraud.same_content``: the same piece received again, whatever its bytes (another scan or
  photograph, another channel, another dossier), found through the page hashes and the piece's
  keys kept in the fraud index (:mod:`storage.fraud`) and confirmed by the words both share;
  the same supplier's invoice number again with another amount is this signal too.
- ``fraud.edited_pdf``: a PDF changed after it was issued (:mod:`extract.pdf_forensics`).
- ``fraud.iban_changed``: a known supplier (by SIREN, from its SIRET or VAT number, or from
  the dossier's mission) arriving with an IBAN other than the one it was known with; ``fail``
  until a person confirms the new IBAN in the review application.

Every fraud check is blocking, ``warn`` included: a document carrying one is never filed
automatically. Messages are in French and name the earlier document and its dossier. What each
check rests on is kept as :class:`~storage.fraud.Evidence` for the review application.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from extract.identifiers import iban_valid
from extract.page_hash import HashError, content_box, image_hashes, simhash, words_of
from mailroom.models import Check, DocType, Document, FieldValue, Status, format_value
from mailroom.records import normalize_invoice_number
from storage.fraud import Evidence, FraudStore, PageHash, PieceKey, SupplierIban
from validate.settings import FraudSettings

if TYPE_CHECKING:
    from extract.pdf_forensics import PdfForensics
    from mailroom.records import Dossier
    from storage.base import MetadataStore

log = logging.getLogger(__name__)

SAME_CONTENT = "fraud.same_content"
EDITED_PDF = "fraud.edited_pdf"
IBAN_CHANGED = "fraud.iban_changed"
CODES = (SAME_CONTENT, EDITED_PDF, IBAN_CHANGED)
MAX_CANDIDATES = 10
PIECES = (DocType.RECEIPT, DocType.INVOICE)  # what is paid out on: looked for twice
SURE_TEXT_SIMILARITY = 0.9  # words so alike that a misread key does not make another piece


@dataclass(frozen=True)
class FraudInputs:
    """What the checks need besides the Document: its file and its upright page images."""

    path: Path | None = None
    media_type: str | None = None
    page_images: dict[int, Path] = field(default_factory=dict)
    dossier: Dossier | None = None


@dataclass(frozen=True)
class Finding:
    check: Check
    evidence: Evidence


def _check(code: str, status: Literal["warn", "fail", "pass"], message: str) -> Check:
    return Check(code=code, status=status, message=message, blocking=status != "pass")


def is_fraud_check(check: Check) -> bool:
    return check.code.startswith("fraud.") and check.status != "pass"


# --------------------------------------------------------------------------- the entry point


def fraud_checks(
    doc: Document,
    inputs: FraudInputs,
    store: FraudStore,
    documents: MetadataStore,
    settings: FraudSettings,
) -> list[Check]:
    """The document's fraud checks; its hashes, keys and IBAN are then kept in the index
    (marked suspect when it carries a signal itself, so that it never becomes the reference)."""
    if not settings.enabled or doc.doc_type is None:
        return []
    findings: list[Finding] = []
    if (
        inputs.media_type == "application/pdf"
        and inputs.path is not None
        and doc.doc_type in (*PIECES, DocType.BANK_DETAILS)
    ):
        findings.extend(check_edited_pdf(doc, inputs.path, settings))
    hashed = page_hashes(doc, inputs) if doc.doc_type in PIECES else []
    hashes = [h for h, _ in hashed]
    keys = piece_keys(doc)
    findings.extend(
        check_same_content(doc, hashes, [t for _, t in hashed], keys, store, documents, settings)
    )
    supplier = supplier_id(doc, inputs.dossier)
    iban = _text(doc, "iban")
    iban = iban if iban and iban_valid(iban) else None
    if supplier and iban:
        findings.extend(check_iban_changed(doc, supplier, iban, store, documents))
    suspect = any(f.check.status != "pass" for f in findings)
    store.add_hashes([PageHash(h.document_id, h.page, h.kind, h.value, suspect) for h in hashes])
    store.add_keys([PieceKey(k.document_id, k.key, k.amount, k.name, suspect) for k in keys])
    if supplier and iban:
        store.add_iban(
            SupplierIban(
                supplier, iban, doc.document_id, "pending" if suspect else "seen", datetime.now(UTC)
            )
        )
    store.add_evidence([f.evidence for f in findings])
    return [f.check for f in findings]


# --------------------------------------------------------------------------- helpers


def _text(doc: Document, name: str) -> str | None:
    f = doc.fields.get(name)
    return f.value if f is not None and isinstance(f.value, str) else None


def _amount(doc: Document, name: str) -> Decimal | None:
    f = doc.fields.get(name)
    return f.value if f is not None and isinstance(f.value, Decimal) else None


def _date(doc: Document, name: str) -> date | None:
    f = doc.fields.get(name)
    return f.value if f is not None and isinstance(f.value, date) else None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


def euros(value: Decimal | str | None) -> str:
    if value is None:
        return "?"
    q = Decimal(value).quantize(Decimal("0.01"))
    units, cents = f"{abs(q):.2f}".split(".")
    return f"{'-' if q < 0 else ''}{int(units):,}".replace(",", "\u202f") + f",{cents} €"


def describe(other: Document) -> str:
    """« name » reçu le 03/12/2026 par scan (dossier AST-…): the earlier document, for people."""
    name = other.source.filename or Path(str(other.source.path or other.document_id)).name
    dossier = (
        f"dossier {other.match.dossier_id}"
        if other.match is not None and other.match.dossier_id
        else "sans dossier"
    )
    return (
        f"« {name} » ({other.document_id}) reçu le {other.received_at:%d/%m/%Y à %H:%M} "
        f"par {other.source.channel}, {dossier}, statut {other.status.value}"
    )


def _short_iban(iban: str) -> str:
    return f"{iban[:4]} … {iban[-4:]}"


# --------------------------------------------------------------------------- same content


def page_hashes(doc: Document, inputs: FraudInputs) -> list[tuple[PageHash, tuple[int, ...]]]:
    """The image hash of each page that has an image (with the hashes of its quarter turns,
    looked up too), and the text hash of each page."""
    out: list[tuple[PageHash, tuple[int, ...]]] = []
    for page in doc.pages:
        image = inputs.page_images.get(page.number)
        if image is not None and Path(image).exists():
            box = content_box(
                [(w.bbox.x0, w.bbox.y0, w.bbox.x1, w.bbox.y1) for w in page.words],
                page.width,
                page.height,
            )
            try:
                turns = image_hashes(image, box)
                out.append((PageHash(doc.document_id, page.number, "image", turns[0]), turns))
            except HashError as e:
                log.warning("page %d not hashed: %s", page.number, e)
        text = simhash(words_of(page.text))
        if text is not None:
            out.append((PageHash(doc.document_id, page.number, "text", text), (text,)))
    return out


def piece_keys(doc: Document) -> list[PieceKey]:
    """``receipt:<date>:<total>`` (merchant compared by name), ``invoice:<supplier>:<number>``
    (amount compared) and ``invoice-total:<supplier>:<date>:<total>``."""
    keys: list[PieceKey] = []
    total = _amount(doc, "total_incl_tax")
    amount = format_value(total) if total is not None else None
    if doc.doc_type is DocType.RECEIPT:
        when = _date(doc, "receipt_date")
        if when is not None and total is not None:
            keys.append(
                PieceKey(
                    doc.document_id,
                    f"receipt:{when.isoformat()}:{amount}",
                    amount,
                    _text(doc, "merchant_name"),
                )
            )
    elif doc.doc_type is DocType.INVOICE:
        supplier = invoice_supplier(doc)
        number = _text(doc, "invoice_number")
        if supplier and number and normalize_invoice_number(number):
            keys.append(
                PieceKey(
                    doc.document_id,
                    f"invoice:{supplier}:{normalize_invoice_number(number)}",
                    amount,
                    _text(doc, "supplier_name"),
                )
            )
        when = _date(doc, "invoice_date")
        if supplier and when is not None and total is not None:
            keys.append(
                PieceKey(
                    doc.document_id,
                    f"invoice-total:{supplier}:{when.isoformat()}:{amount}",
                    amount,
                    number,
                )
            )
    return keys


def invoice_supplier(doc: Document) -> str | None:
    """The supplier as keys name it: its SIREN, else its folded name."""
    siren = supplier_siren(doc)
    if siren:
        return f"siren:{siren}"
    name = _text(doc, "supplier_name")
    folded = _fold(name) if name else ""
    return f"name:{folded}" if len(folded) >= 3 else None


def supplier_siren(doc: Document) -> str | None:
    siret = _text(doc, "supplier_siret")
    if siret and len(siret) == 14 and siret.isdigit():
        return siret[:9]
    siren = _text(doc, "supplier_siren")
    if siren and len(siren) == 9 and siren.isdigit():
        return siren
    vat = _text(doc, "supplier_vat_number")
    if vat and vat.startswith("FR") and len(vat) == 13 and vat[4:].isdigit():
        return vat[4:]
    return None


def words_similarity(a: Iterable[str], b: Iterable[str]) -> float:
    """Dice coefficient of two documents' sets of words (0-1)."""
    left, right = set(a), set(b)
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


@dataclass
class _Candidate:
    document_id: str
    image_distance: int | None = None
    text_distance: int | None = None
    pages: tuple[int, int] | None = None  # (this page, the other's page) that look alike
    keys: list[str] = field(default_factory=list)

    def rank(self) -> tuple[int, int, int]:
        return (
            -len(self.keys),
            self.image_distance if self.image_distance is not None else 99,
            self.text_distance if self.text_distance is not None else 99,
        )


def _candidates(
    doc: Document,
    hashes: list[PageHash],
    lookups: Mapping[tuple[int, str], tuple[int, ...]],
    keys: list[PieceKey],
    store: FraudStore,
    settings: FraudSettings,
) -> list[_Candidate]:
    found: dict[str, _Candidate] = {}

    def candidate(document_id: str) -> _Candidate:
        return found.setdefault(document_id, _Candidate(document_id))

    for h in hashes:
        limit = settings.image_max_distance if h.kind == "image" else settings.text_max_distance
        probes = lookups.get((h.page, h.kind), (h.value,))
        for value in probes:
            for row, distance in store.near_hashes(
                h.kind, value, limit, probe_bits=settings.probe_bits
            ):
                if row.document_id == doc.document_id or row.suspect:
                    continue
                c = candidate(row.document_id)
                if h.kind == "image":
                    if c.image_distance is None or distance < c.image_distance:
                        c.image_distance, c.pages = distance, (h.page, row.page)
                elif c.text_distance is None or distance < c.text_distance:
                    c.text_distance = distance
                    c.pages = c.pages or (h.page, row.page)
    for key in keys:
        for known in store.find_keys(key.key):
            if known.document_id == doc.document_id or known.suspect:
                continue
            candidate(known.document_id).keys.append(known.key)
    return sorted(found.values(), key=lambda c: c.rank())[:MAX_CANDIDATES]


def compare_keys(doc: Document, other: Document) -> tuple[list[str], list[str]]:
    """What two pieces agree on and contradict, in words: date, total, number, issuer."""
    agree: list[str] = []
    contradict: list[str] = []
    pairs: list[tuple[str, str, FieldValue, FieldValue]] = []
    for label, name in (
        ("date", "receipt_date"),
        ("date", "invoice_date"),
        ("total", "total_incl_tax"),
        ("numéro", "invoice_number"),
    ):
        mine, theirs = doc.fields.get(name), other.fields.get(name)
        if mine is not None and theirs is not None:
            a, b = mine.value, theirs.value
            if name == "invoice_number" and isinstance(a, str) and isinstance(b, str):
                a, b = normalize_invoice_number(a), normalize_invoice_number(b)
            pairs.append((label, name, a, b))
    for label, _name, a, b in pairs:
        shown = euros(a) if isinstance(a, Decimal) else format_value(a)
        if a == b:
            agree.append(f"même {label} {shown}")
        else:
            other_shown = euros(b) if isinstance(b, Decimal) else format_value(b)
            contradict.append(f"{label} {shown} au lieu de {other_shown}")
    return agree, contradict


def check_same_content(
    doc: Document,
    hashes: list[PageHash],
    hash_turns: list[tuple[int, ...]],
    keys: list[PieceKey],
    store: FraudStore,
    documents: MetadataStore,
    settings: FraudSettings,
) -> list[Finding]:
    if doc.doc_type not in PIECES:
        return []
    my_words = words_of(doc.text)
    lookups: dict[tuple[int, str], tuple[int, ...]] = {
        (h.page, h.kind): turns for h, turns in zip(hashes, hash_turns, strict=False)
    }
    for c in _candidates(doc, hashes, lookups, keys, store, settings):
        other = documents.get(c.document_id)
        if other is None or other.status is Status.SUPERSEDED:
            continue  # a batch's document a new cut replaced: its pages live on in others
        similarity = words_similarity(my_words, words_of(other.text))
        agree, contradict = compare_keys(doc, other)
        same_number = any(k.startswith("invoice:") for k in c.keys)
        detail = {
            "image_distance": c.image_distance,
            "text_distance": c.text_distance,
            "pages": list(c.pages) if c.pages else None,
            "similarity": round(similarity, 3),
            "agree": agree,
            "contradict": contradict,
        }
        where = describe(other)
        if same_number and any(s.startswith("total") for s in contradict):
            message = (
                f"Même numéro de facture du même fournisseur que {where}, mais avec un autre "
                f"montant ({'; '.join(contradict)}) : facture refaite ou modifiée, ne pas payer "
                f"deux fois."
            )
            return [_finding(doc, c, "fail", message, detail)]
        looks_alike = c.image_distance is not None or c.text_distance is not None
        strong = similarity >= settings.same_text_similarity
        sure = similarity >= SURE_TEXT_SIMILARITY
        how = _how(c, similarity, agree)
        if any(s.startswith("numéro") for s in contradict):
            continue  # the supplier's other invoice, however alike its layout and lines
        if contradict:
            if sure and c.image_distance is not None:
                message = (
                    f"Même apparence et mêmes mots que {where} ({how}), mais "
                    f"{'; '.join(contradict)} : copie retouchée, ou l'une des deux mal lue ?"
                )
                return [_finding(doc, c, "warn", message, detail)]
            continue  # another piece on the same form (another day, another amount)
        if (strong and (looks_alike or len(agree) >= 2)) or (sure and looks_alike):
            status: Literal["warn", "fail"] = "fail" if len(agree) >= 2 or sure else "warn"
            message = f"Même pièce que {where} : {how}. Ne pas rembourser deux fois."
            return [_finding(doc, c, status, message, detail)]
        if c.keys and len(agree) >= 2:
            message = (
                f"Pièce aux mêmes références que {where} : {how}. "
                "À comparer : autre exemplaire de la même pièce ?"
            )
            return [_finding(doc, c, "warn", message, detail)]
    return []


def _how(c: _Candidate, similarity: float, agree: list[str]) -> str:
    parts: list[str] = []
    if c.image_distance is not None and c.pages:
        parts.append(
            f"page {c.pages[0]} semblable à sa page {c.pages[1]} "
            f"(empreinte à {c.image_distance} bits sur 64)"
        )
    parts.append(f"{similarity:.0%} de mots en commun".replace("%", "\u202f%"))
    parts.extend(agree)
    return ", ".join(parts)


def _finding(
    doc: Document,
    c: _Candidate,
    status: Literal["warn", "fail"],
    message: str,
    detail: Mapping[str, object],
) -> Finding:
    return Finding(
        _check(SAME_CONTENT, status, message),
        Evidence(doc.document_id, SAME_CONTENT, c.document_id, dict(detail)),
    )


# --------------------------------------------------------------------------- edited PDF


def check_edited_pdf(doc: Document, path: Path, settings: FraudSettings) -> list[Finding]:
    from extract.pdf_forensics import inspect_pdf

    try:
        found = inspect_pdf(path)
    except Exception as e:  # noqa: BLE001 - forensics never stops a document the reader read
        log.warning("PDF forensics failed: %s", e)
        return []
    return edited_pdf_findings(doc.document_id, found, settings)


def editor_name(found: PdfForensics, settings: FraudSettings) -> str | None:
    """The editor named as the PDF's producer or creator, if one is."""
    import re

    for value in (found.producer, found.creator):
        if not value:
            continue
        folded = value.casefold()
        for editor in settings.editor_producers:
            if re.search(rf"(?<![\w]){re.escape(editor)}(?![\w])", folded):
                return value
    return None


def edited_pdf_findings(
    document_id: str, found: PdfForensics, settings: FraudSettings
) -> list[Finding]:
    signs: list[str] = []
    strong: list[str] = []
    detail: dict[str, object] = {
        "revisions": found.revisions,
        "producer": found.producer,
        "creator": found.creator,
        "created": found.created.isoformat() if found.created else None,
        "modified": found.modified.isoformat() if found.modified else None,
    }
    if found.revisions > 1 and found.words_changed:
        removed = " ".join(found.removed_words[:12]) or "—"
        added = " ".join(found.added_words[:12]) or "—"
        strong.append(
            f"{found.revisions} révisions (mises à jour incrémentales) ; entre la première et "
            f"la dernière, « {removed} » est devenu « {added} »"
        )
        detail.update(
            removed=list(found.removed_words),
            added=list(found.added_words),
            earlier_text=found.earlier_text,
            later_text=found.later_text,
        )
    elif found.revisions > 1:
        signs.append(f"{found.revisions} révisions sans mot changé")
    if (
        found.created is not None
        and found.modified is not None
        and found.modified - found.created > timedelta(hours=settings.moddate_grace_hours)
    ):
        signs.append(
            f"modifié le {found.modified:%d/%m/%Y} après sa création le {found.created:%d/%m/%Y}"
        )
    editor = editor_name(found, settings)
    if editor:
        signs.append(f"produit par un éditeur de PDF ({editor})")
    for line in found.odd_lines[:2]:
        signs.append(f"ligne « {line.text[:60]} » (page {line.page}) dans une police isolée")
    for white in found.white_outs[:2]:
        strong.append(
            f"texte « {white.shown[:40]} » écrit sur un rectangle blanc qui cache "
            f"« {white.hidden[:40]} » (page {white.page})"
        )
    if found.white_outs:
        detail["white_outs"] = [
            {"page": w.page, "hidden": w.hidden, "shown": w.shown} for w in found.white_outs
        ]
    detail["signs"] = signs
    if found.revisions > 1 and found.words_changed:
        status: Literal["warn", "fail"] = "fail"
    elif strong or len(signs) >= settings.weak_signals_for_warn:
        status = "warn"
    else:
        return []
    message = "PDF modifié après son émission : " + " ; ".join(strong + signs) + "."
    return [
        Finding(
            _check(EDITED_PDF, status, message), Evidence(document_id, EDITED_PDF, None, detail)
        )
    ]


# --------------------------------------------------------------------------- IBAN


def supplier_id(doc: Document, dossier: Dossier | None) -> str | None:
    """``siren:<9 digits>`` from the invoice's SIRET, SIREN or French VAT number, else from
    the dossier's mission whose provider bears the invoice's supplier name; ``vat:<number>``
    for a foreign VAT number."""
    if doc.doc_type is not DocType.INVOICE:
        return None
    siren = supplier_siren(doc)
    if siren:
        return f"siren:{siren}"
    name = _text(doc, "supplier_name")
    if dossier is not None and name:
        from validate.matching import name_similarity

        sirets = {
            m.provider_siret
            for m in dossier.missions
            if m.provider_siret and m.provider_name and name_similarity(name, m.provider_name) >= 90
        }
        if len(sirets) == 1:
            return f"siren:{next(iter(sirets))[:9]}"
    vat = _text(doc, "supplier_vat_number")
    return f"vat:{vat}" if vat else None


def check_iban_changed(
    doc: Document, supplier: str, iban: str, store: FraudStore, documents: MetadataStore
) -> list[Finding]:
    known = [
        r
        for r in store.ibans(supplier)
        if r.state in ("seen", "confirmed") and r.document_id != doc.document_id
    ]
    if not known or any(r.iban == iban for r in known):
        return []
    reference = known[-1]
    other = documents.get(reference.document_id)
    where = describe(other) if other is not None else f"le document {reference.document_id}"
    others = sorted({_short_iban(r.iban) for r in known})
    label = supplier.replace("siren:", "SIREN ").replace("vat:", "TVA ")
    message = (
        f"IBAN {_short_iban(iban)} différent de celui connu pour ce fournisseur ({label}) : "
        f"{', '.join(others)}, vu en dernier sur {where}. Fraude au RIB possible : confirmer "
        "le nouvel IBAN auprès du fournisseur par un canal connu, puis dans l'application de "
        "revue, avant tout paiement."
    )
    detail = {
        "supplier": supplier,
        "iban": iban,
        "known": sorted({r.iban for r in known}),
        "reference_document_id": reference.document_id,
    }
    return [
        Finding(
            _check(IBAN_CHANGED, "fail", message),
            Evidence(doc.document_id, IBAN_CHANGED, reference.document_id, detail),
        )
    ]


def confirmed_check(check: Check, username: str, at: datetime) -> Check:
    """The ``fraud.iban_changed`` check once a person confirmed the IBAN: a pass that says who
    and when (the confirmation itself is in the review application's audit trail)."""
    return Check(
        code=check.code,
        status="pass",
        message=f"Nouvel IBAN confirmé par {username} le {at:%d/%m/%Y à %H:%M} "
        f"(contrôle d'origine : {check.message})",
        blocking=False,
    )
