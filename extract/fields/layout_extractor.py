"""The layout field extractor: labels, candidates, scores, and the best value per field.

For each field it gathers candidate values of the field's shape, scores them by the label that
owns them (same row to the right > just below > table column), the label's strength, position
priors (totals low on the page, the supplier high on page 1), consistency (HT + TVA = TTC, a
VAT number derived from the SIRET's SIREN) and validators (Luhn, mod 97), and keeps the best.
The confidence comes from the score, its margin over the runner-up, the words' OCR
confidence and the validation.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from extract.fields.base import FIELDS_BY_TYPE
from extract.fields.candidates import Candidate
from extract.fields.layout_amounts import _currency, _payment, _requested_amount, _totals
from extract.fields.layout_dates import _date
from extract.fields.layout_doc import _confidence, _Doc, _field, _Scored
from extract.fields.layout_ids import (
    _bic,
    _code,
    _iban,
    _plate,
    _practitioner_id,
    _siren,
    _siret,
    _vat_number,
)
from extract.fields.layout_parties import _REREAD_NAMES, _company, _person, _reread_name
from extract.fields.lexicon import NAME
from extract.fields.nlp import SpacyNlp
from extract.normalize import fold_name
from mailroom.models import DocType, ExtractedField, Page

if TYPE_CHECKING:
    from extract.fields.ranker import Rankers

log = logging.getLogger(__name__)


_SHIPPED: Any = object()  # the rankers shipped with the package, loaded on first use


#: The field a party block's "Name:" row gives (``party_blocks``).
_PARTY_FIELDS = (("buyer", "customer_name"), ("patient", "patient_name"),
                 ("patient", "sender_name"), ("practitioner", "practitioner_name"),
                 ("subject", "patient_name"), ("subject", "sender_name"))

_GETTERS: dict[str, Callable[..., ExtractedField | None]] = {
    "supplier_name": _company,
    "merchant_name": _company,
    "supplier_siren": _siren,
    "supplier_siret": _siret,
    "supplier_vat_number": _vat_number,
    "invoice_number": _code,
    "dossier_reference": _code,
    "policy_number": _code,
    "invoice_date": _date,
    "receipt_date": _date,
    "issue_date": _date,
    "incapacity_start": _date,
    "incapacity_end": _date,
    "requested_amount": _requested_amount,
    "currency": _currency,
    "payment_method": _payment,
    "iban": _iban,
    "bic": _bic,
    "practitioner_id": _practitioner_id,
    "vehicle_registration": _plate,
    "customer_name": _person,
    "account_holder": _person,
    "patient_name": _person,
    "practitioner_name": _person,
    "sender_name": _person,
}


class LayoutFieldExtractor:
    """The mailroom's field extractor: layout + label lexicon + spaCy NER (loaded once)."""

    def __init__(self, nlp: SpacyNlp | None = None, rankers: Any = _SHIPPED) -> None:
        """``rankers``: the learned rankers to apply over the rules (``None``: the rules
        alone); by default those shipped with the package, loaded on first use."""
        self._nlp = nlp or SpacyNlp()
        self._rankers = rankers
        self._lock = threading.Lock()

    def with_rankers(self, rankers: Rankers | None) -> LayoutFieldExtractor:
        """The same extractor (its spaCy pipeline shared) over other rankers: a refitted
        version (``mailroom/versions.py``)."""
        return LayoutFieldExtractor(nlp=self._nlp, rankers=rankers)

    @property
    def rankers(self) -> Rankers | None:
        if self._rankers is _SHIPPED:
            with self._lock:
                if self._rankers is _SHIPPED:
                    from extract.fields.ranker import Rankers

                    self._rankers = Rankers.load()
        return self._rankers  # type: ignore[no-any-return]

    def extract(
        self, pages: Sequence[Page], doc_type: DocType, *, language: str | None = None
    ) -> dict[str, ExtractedField]:
        doc, out = self.rules(pages, doc_type, language=language)
        rankers = self.rankers
        if doc is None or rankers is None:
            return out
        ranked = rankers.choose(doc, doc_type, out)
        ranked.update({name: out[name] for name in doc.decided if name in out})
        for name in _REREAD_NAMES:
            if name in ranked and ranked[name] is not out.get(name):
                ranked[name] = _reread_name(doc, ranked[name])
        return {k: ranked[k] for k in FIELDS_BY_TYPE.get(doc_type, ()) if k in ranked}

    def rules(
        self, pages: Sequence[Page], doc_type: DocType, *, language: str | None = None
    ) -> tuple[_Doc | None, dict[str, ExtractedField]]:
        """The fields the hand-written rules find, and the document's layout they read."""
        wanted = FIELDS_BY_TYPE.get(doc_type, ())
        if not wanted or not any(p.words for p in pages):
            return None, {}
        doc = _Doc.build(pages, self._nlp, language)
        out: dict[str, ExtractedField] = {}
        if doc_type in (DocType.INVOICE, DocType.RECEIPT):
            out.update(_totals(doc, doc_type))
        for name in wanted:
            if name in out:
                continue
            getter: Callable[[_Doc, str, DocType], ExtractedField | None] | None
            getter = _GETTERS.get(name)
            if getter is None:
                continue
            value = getter(doc, name, doc_type)
            if value is not None:
                out[name] = value
        for party, name in _PARTY_FIELDS:
            if name not in wanted or name in doc.decided:
                continue
            # a "Name:" row under the party's block heading ("Käufer", "Buyer",
            # "Identification du praticien") names it, whatever other name the page offers
            named = next((p for p in doc.parties if p.party == party), None)
            if named is not None and sum(ch.isalpha() for ch in named.text) >= 2:
                c = Candidate(fold_name(named.text), NAME, named.row, named.start, named.end,
                              named.words)
                out[name] = _field(c, _confidence(_Scored(c, 1.0, 1.0), 0.0))
                doc.decided.add(name)
        for name in _REREAD_NAMES:
            if name in out:
                out[name] = _reread_name(doc, out[name])
        return doc, {k: out[k] for k in wanted if k in out}

__all__ = ["LayoutFieldExtractor"]
