"""The review queue as a list: its filters and sort orders, one page of it, the reason
categories a document falls into, and how a document is named in a row (title, supplier,
amount, dossiers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from mailroom.models import Document, format_value
from mailroom.records import Dossier

REASON_CATEGORIES: dict[str, str] = {
    "type": "type incertain",
    "fields": "champs à vérifier",
    "choose": "dossier à choisir",
    "unmatched": "aucun dossier",
    "checks": "contrôle bloquant",
}


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


QUEUE_SORTS: dict[str, str] = {
    "received": "reçu le",
    "type": "type",
    "supplier": "fournisseur",
    "beneficiary": "bénéficiaire",
    "amount": "montant",
}


PER_PAGE = 50


_SUPPLIER_FIELDS = ("supplier_name", "merchant_name", "practitioner_name")


_AMOUNT_FIELDS = ("total_incl_tax", "requested_amount")


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows, and in which order; the same in the queue's links and in the
    document pages opened from it (for next / previous)."""

    reason: str | None = None
    doc_type: str | None = None
    channel: str | None = None
    dossier: str | None = None
    set_aside: bool = False
    text: str | None = None  # words to find in the read text, the file name, the subject
    sort: str = "received"  # a key of QUEUE_SORTS, "-" in front for the other way

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> QueueFilters:
        sort = params.get("sort") or "received"
        if sort.lstrip("-") not in QUEUE_SORTS:
            sort = "received"
        return cls(
            reason=params.get("reason") or None,
            doc_type=params.get("doc_type") or None,
            channel=params.get("channel") or None,
            dossier=params.get("dossier") or None,
            set_aside=params.get("aside") in ("1", "on", "true"),
            text=" ".join((params.get("text") or "").split()) or None,
            sort=sort,
        )

    def params(self, **override: str | None) -> dict[str, str]:
        values: dict[str, str | None] = {
            "reason": self.reason,
            "doc_type": self.doc_type,
            "channel": self.channel,
            "dossier": self.dossier,
            "aside": "1" if self.set_aside else None,
            "text": self.text,
            "sort": self.sort if self.sort != "received" else None,
        }
        values.update(override)
        return {k: v for k, v in values.items() if v}

    def query(self, **override: str | None) -> str:
        return urlencode(self.params(**override))


@dataclass(frozen=True)
class Queue:
    documents: list[Document]
    reason_counts: dict[str, int]
    total: int  # documents to review (not set aside)
    set_aside_count: int
    matching: int = 0  # documents the filters keep, over all pages
    page: int = 1
    pages: int = 1
    notes: dict[str, str | None] = field(default_factory=dict)  # set-aside notes by id
    dossiers: dict[str, Dossier] = field(default_factory=dict)  # the documents' dossiers


def supplier_of(doc: Document) -> str:
    return next(
        (format_value(doc.fields[n].value) for n in _SUPPLIER_FIELDS if n in doc.fields), ""
    )


def amount_of(doc: Document) -> Decimal | None:
    for name in _AMOUNT_FIELDS:
        found = doc.fields.get(name)
        if found is not None and isinstance(found.value, Decimal):
            return found.value
    return None


def doc_title(doc: Document) -> str:
    """How a person names a document: its file name; an e-mail's body by its subject and
    sender; else its id."""
    if doc.source.filename:
        return doc.source.filename
    mail = doc.source.email
    if mail is not None and (mail.subject or mail.from_):
        subject = f"« {mail.subject} »" if mail.subject else "(sans objet)"
        return f"E-mail {subject}" + (f" de {mail.from_}" if mail.from_ else "")
    return doc.document_id


def doc_dossier_ids(doc: Document) -> list[str]:
    if doc.match is None:
        return []
    ids = [doc.match.dossier_id] if doc.match.dossier_id else []
    ids += [c.dossier_id for c in doc.match.candidates]
    return list(dict.fromkeys(ids))
