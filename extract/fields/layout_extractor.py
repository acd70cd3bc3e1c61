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
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cached_property
from itertools import product
from typing import TYPE_CHECKING, Any

from rapidfuzz.distance import Levenshtein

from extract.fields import candidates as cands
from extract.fields.base import FIELDS_BY_TYPE
from extract.fields.candidates import Candidate, Ownership
from extract.fields.layout import Row, build_layout, fold, union_box
from extract.fields.lexicon import (
    AREA_WORDS,
    BUILDING_WORDS,
    CHANGE_GIVEN,
    CODE,
    FIELD_LABELS,
    LEGAL_FORMS,
    NAME,
    NOT_PAYMENT,
    PAYMENT_WORDS,
    STREET_WORDS,
)
from extract.fields.nlp import LabelHit, SpacyNlp
from extract.fields.party_blocks import PartyName, party_names
from extract.fields.spelling import mend_name, plain_words
from extract.identifiers import fr_vat_from_siren, siren_valid
from extract.normalize import fold_name, normalize_reference, parse_currency
from mailroom.models import DocType, ExtractedField, Page

if TYPE_CHECKING:
    from extract.fields.ranker import Rankers

log = logging.getLogger(__name__)

_SHIPPED: Any = object()  # the rankers shipped with the package, loaded on first use
_REL_FACTOR = {"right": 1.0, "below": 0.9, "column": 0.75}
_NET_TO_PAY = frozenset(
    fold(p) for p in ("net à payer", "net a payer", "total à payer", "montant à payer",
                      "somme à payer", "amount due", "balance due", "total due", "montant dû",
                      "total dû", "zu zahlen", "te betalen", "total a pagar", "totale da pagare")
)
_DEPOSIT = frozenset(
    fold(p) for p in ("acompte", "acompte versé", "acomptes", "déjà payé", "déjà réglé",
                      "deposit", "amount paid", "already paid", "anzahlung", "acompte de")
)
_AREA_WORDS = frozenset(fold(w) for w in AREA_WORDS)
_ADDRESS_WORDS = frozenset(fold(w) for w in (*STREET_WORDS, *BUILDING_WORDS)) | _AREA_WORDS
_MIN_SCORE = 0.25
_CHANGE = frozenset(fold(p) for p in ("change", "rendu", "monnaie", "monnaie rendue",
                                      "change due", "vuelto", "cambio", "rückgeld"))
_ROUNDING = frozenset(fold(p) for p in ("rounding", "rounding adj", "arrondi",
                                        "rounding adjustment", "cash rounding", "rundung"))
_TENDERED = frozenset(fold(p) for p in ("cash", "tendered", "espèces", "especes",
                                        "cash tendered", "paid", "amount paid", "payé", "card",
                                        "carte", "visa", "mastercard", "credit card",
                                        "montant réglé", "payment", "paiement",
                                        "règlement"))
# an amount at the end of a line whose decimal point OCR read apart or lost ("39. 90", "26 80")
_HEADER_ROW_LABELS = 3  # labels in a row that make it a table's row of column heads
_SPLIT_AMOUNT = re.compile(
    r"(?<![\d.,])(\d{1,5})(?:[.,]\s+[.,]?|\s+[.,]?)(\d{2})\s*[^\w\s]{0,2}\s*$")
# a total's word, and a bare number after it: the total's digits, its point lost in OCR (taken
# only where the amounts around it sum to it, so junk around the number does not matter)
_TOTAL_WORD = re.compile(r"\b(?:[tl][o0]ta[l1i|]|payable|amount\s+due)\b", re.IGNORECASE)
_LOST_POINT = re.compile(r"(?<![\d.,])(\d{3,6})(?![\d.,])")
_TOTALISH_ROW = re.compile(
    r"^\W{0,3}(?:grand\s+|nett?\s+)?(?:[tl][o0]ta[l1i|]|amount\s+(?:to\s+be\s+)?paid|"
    r"amount\s+due|rounded)\b",
    re.IGNORECASE,
)
_NOT_THE_TOTAL = re.compile(r"\b(?:qty|quantity|items?|excl\w*|discount|savings?|points?)\b",
                            re.IGNORECASE)
# the head of a till's tax summary table, whose "Total" line sums bases and taxes
_TAX_SUMMARY = re.compile(r"\b(?:gst|tax|vat|sst)\s*summ?ar|\btax\s*code\b", re.IGNORECASE)
_SUBTOTAL = re.compile(r"\bsub\W{0,2}t[o0]ta", re.IGNORECASE)
_TAX_WORD = re.compile(r"\b(?:gst|tax|vat|sst)\b", re.IGNORECASE)
# a till's line for its total with tax, whatever label is nearest its amount ("Total Incl. GST
# 60.00", "TOTAL (GST INCL) 13.78", "Total After Rounding") and read through OCR slips
# ("lotal", "Tota1", "Incl.0f")
_RECEIPT_TOTAL_ROW = re.compile(
    r"^\W{0,3}(?:grand\s+|nett?\s+)?[tl][o0]ta[l1i|]\b[^\n]*?"
    r"(?:\bincl|\binc\b|\binclusive|\bafter\s+round|\brounded|\bpayable)"
    r"|^\W{0,3}balance(?:\s+due)?\W*$",  # a British till's "BALANCE £37.31"
    re.IGNORECASE,
)


@dataclass
class _Doc:
    """Everything computed once per document and shared by the fields."""

    pages: Sequence[Page]
    nlp: SpacyNlp
    languages: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)
    hits: list[LabelHit] = field(default_factory=list)
    hits_by_row: dict[tuple[int, int], list[LabelHit]] = field(default_factory=dict)
    rows_by_page: dict[int, list[Row]] = field(default_factory=dict)
    _ents: dict[tuple[int, int], list[tuple[str, int, int]]] = field(default_factory=dict)
    _pools: dict[int, tuple[list[Candidate], dict[tuple[int, int], list[Candidate]]]] = field(
        default_factory=dict
    )
    customer_zones: dict[bool, dict[tuple[int, int], float]] = field(default_factory=dict)
    #: Fields a document's structure decides (a "Name:" row under a buyer's heading): the
    #: rankers, which weigh labels and places, do not override them.
    decided: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, pages: Sequence[Page], nlp: SpacyNlp, language: str | None) -> _Doc:
        langs = ["fr", "en", "es", "it", "de", "nl"]
        if language and language[:2] in langs:
            langs.remove(language[:2])
            langs.insert(0, language[:2])
        doc = cls(pages=pages, nlp=nlp, languages=tuple(langs))
        layout = build_layout(pages)
        doc.rows = list(layout.rows)
        for r in doc.rows:
            doc.rows_by_page.setdefault(r.page, []).append(r)
        doc.hits = nlp.find_labels(doc.rows)
        for h in doc.hits:
            doc.hits_by_row.setdefault((h.row.page, h.row.index), []).append(h)
        return doc

    def page_height(self, page: int) -> float:
        for p in self.pages:
            if p.number == page:
                return p.height or 1.0
        return 1.0

    def rel_y(self, row: Row) -> float:
        return row.y0 / self.page_height(row.page)

    @cached_property
    def amounts(self) -> list[Candidate]:
        return cands.amount_candidates(self.rows, self.dates)

    @cached_property
    def amounts_by_row(self) -> dict[tuple[int, int], list[Candidate]]:
        return self.by_row(self.amounts)

    @cached_property
    def dates(self) -> list[Candidate]:
        return cands.date_candidates(self.rows, self.languages)

    @property
    def sign_languages(self) -> tuple[str, ...]:
        """The languages a company's name is written in: the document's, and English."""
        return tuple(dict.fromkeys((self.languages[0], "en")))

    @cached_property
    def printed_twice(self) -> set[str]:
        """The words printed at least twice on the document (``spelling.plain_words``): such
        a word is as printed, not an OCR slip to mend."""
        counts = Counter(w for r in self.rows for w in plain_words(r.text))
        return {w for w, n in counts.items() if n > 1}

    @cached_property
    def parties(self) -> list[PartyName]:
        """The "Name:" rows under the parties' block headings (seller, buyer)."""
        return party_names(self.rows_by_page)

    @cached_property
    def has_deposit(self) -> bool:
        return any(h.phrase in _DEPOSIT for h in self.hits)

    def by_row(self, items: Iterable[Candidate]) -> dict[tuple[int, int], list[Candidate]]:
        out: dict[tuple[int, int], list[Candidate]] = {}
        for c in items:
            out.setdefault((c.row.page, c.row.index), []).append(c)
        return out

    def owner(self, c: Candidate, pool: list[Candidate]) -> Ownership:
        key = id(pool)
        cached = self._pools.get(key)
        if cached is None or cached[0] is not pool:
            cached = (pool, self.by_row(pool))
            self._pools[key] = cached
        return cands.owner_of(c, self.hits_by_row, self.rows_by_page, cached[1])

    def hits_of(self, *kinds: str) -> list[LabelHit]:
        return [h for h in self.hits if h.kinds & set(kinds)]

    def entities(self, rows: Sequence[Row]) -> dict[tuple[int, int], list[tuple[str, int, int]]]:
        todo = [r for r in rows if (r.page, r.index) not in self._ents]
        if todo:
            found = self.nlp.entities([r.text for r in todo])
            for r, ents in zip(todo, found, strict=True):
                self._ents[(r.page, r.index)] = [(e.label, e.start, e.end) for e in ents]
        return {(r.page, r.index): self._ents[(r.page, r.index)] for r in rows}


@dataclass(frozen=True)
class _Scored:
    cand: Candidate
    score: float
    label: float  # the label part of the score (0 when unlabeled)


def _label_score(field_name: str, own: Ownership) -> float:
    """Strength of the owning label for this field; negative when it owns it for another."""
    if own.hit is None or own.relation is None:
        return 0.0
    weights = FIELD_LABELS.get(field_name, {})
    s = max((weights.get(k, 0.0) for k in own.hit.kinds), default=0.0)
    if s <= 0:
        return -1.0
    return s * own.hit.strength * _REL_FACTOR[own.relation]


def _confidence(best: _Scored, runner_up: float, *, floor_label: bool = True) -> float:
    margin = max(0.0, best.score - runner_up)
    c = 0.45 + 0.3 * min(max(best.score, 0.0), 1.0) + 0.25 * min(margin / 0.6, 1.0)
    if floor_label and best.label <= 0:
        c -= 0.15
    ocr = best.cand.ocr
    c *= min(1.0, 0.5 + 0.5 * ocr / 90.0)
    if best.cand.repaired:
        c *= 0.85
    if not best.cand.valid:
        c = min(c, 0.3)
    return round(min(max(c, 0.01), 0.99), 3)


_BARE_CENTS = re.compile(r"(?<![\w.,])([-+]?)\s?[.,](\d{2})(?![\w.,])")


def _bare_cents(doc: _Doc, key: tuple[int, int]) -> list[Candidate]:
    """A rounding line's adjustment printed without its zero ("Rounding -,02")."""
    page_rows = doc.rows_by_page.get(key[0], [])
    if not 0 <= key[1] < len(page_rows):
        return []
    row = page_rows[key[1]]
    out: list[Candidate] = []
    for m in _BARE_CENTS.finditer(row.text):
        words = row.span_words(m.start(), m.end())
        if words:
            value = Decimal(f"{m.group(1) or ''}0.{m.group(2)}")
            out.append(Candidate(value, cands.AMOUNT, row, m.start(), m.end(), tuple(words),
                                 repaired=True))
    return out


def _vat_by_rate(doc: _Doc, due: Decimal) -> ExtractedField | None:
    """The VAT of an invoice that prints one tax line per rate and no total of them ("USt. 7 %
    auf 198,00 13,86" / "USt. 19 % auf 275,00 52,25"): the sum of each tax line's last
    amount, taken only where it is what the totals leave for tax (TTC - HT)."""
    taxes: list[Candidate] = []
    for hit in doc.hits_of("vat_amount"):
        key = (hit.row.page, hit.row.index)
        if any(h.kinds & {"total_incl_tax", "total_excl_tax"} for h in doc.hits_by_row[key]):
            continue
        after = [c for c in doc.amounts_by_row.get(key, []) if c.start >= hit.end]
        if after and not any(t.row is hit.row for t in taxes):
            taxes.append(max(after, key=lambda c: c.start))
    if len(taxes) < 2 or len({t.row.page for t in taxes}) > 1:
        return None
    total = sum((Decimal(t.value) for t in taxes), Decimal(0))  # type: ignore[arg-type]
    if abs(total - due) > Decimal("0.02") or total <= 0:
        return None
    words = [w for t in taxes for w in t.words]
    return ExtractedField(value=total, confidence=0.9, page=taxes[0].row.page,
                          bbox=union_box(words))


def _split_amount(row: Row, pos: int = 0) -> Candidate | None:
    """The amount at the end of ``row`` (after ``pos``) whose decimal point OCR read apart,
    twice or not at all ("39. 90", "79 .35", "25. .00", "26 80"), as a repaired candidate."""
    m = _SPLIT_AMOUNT.search(row.text, pos)
    words = row.span_words(m.start(), m.end()) if m else ()
    if m is None or not words:
        return None
    return Candidate(Decimal(f"{int(m.group(1))}.{m.group(2)}"), cands.AMOUNT, row, m.start(),
                     m.end(), tuple(words), repaired=True)


def _split_payments(doc: _Doc) -> list[tuple[Candidate, str]]:
    """Payment lines whose amount OCR read with its cents apart ("CHANGE 38. 00"), with the
    payment's label that opens the row; rows holding an amount already are left alone."""
    by_row = doc.amounts_by_row
    out: list[tuple[Candidate, str]] = []
    for row in doc.rows:
        if (row.page, row.index) in by_row:
            continue
        for h in doc.hits_by_row.get((row.page, row.index), ()):
            if h.phrase not in _CHANGE | _TENDERED or row.text[: h.start].strip(" :*-."):
                continue
            c = _split_amount(row, h.end)
            if c is not None:
                out.append((c, h.phrase))
            break
    return out


def _split_subtotals(doc: _Doc, first_pay: tuple[int, int] | None) -> list[Candidate]:
    """Subtotal lines above the payments whose amount OCR read with its cents apart."""
    by_row = doc.amounts_by_row
    out: list[Candidate] = []
    for row in doc.rows:
        key = (row.page, row.index)
        label = _SUBTOTAL.search(row.text)
        if key in by_row or label is None or (first_pay is not None and key >= first_pay):
            continue
        c = _split_amount(row, label.end())
        if c is not None:
            out.append(c)
    return out


def _lost_point_totals(doc: _Doc, expected: set[Decimal],
                       first_pay: tuple[int, int] | None) -> list[Candidate]:
    """A total's line whose decimal point OCR lost ("TOTAL 1215"), taken only where what was
    paid less the change given says the same amount (12.15)."""
    by_row = doc.amounts_by_row
    out: list[Candidate] = []
    for row in doc.rows:
        key = (row.page, row.index)
        label = _TOTAL_WORD.search(row.text)
        if key in by_row or (first_pay is not None and key >= first_pay) or label is None:
            continue
        for m in _LOST_POINT.finditer(row.text, label.end()):
            value = Decimal(m.group(1)) / 100
            words = row.span_words(m.start(), m.end())
            if value in expected and words and not _NOT_THE_TOTAL.search(row.text[: m.start()]):
                out.append(Candidate(value, cands.AMOUNT, row, m.start(), m.end(),
                                     tuple(words), repaired=True))
    return out


def _unread_grand_totals(doc: _Doc, first_pay: tuple[int, int] | None) -> list[Candidate]:
    """The sum of the partial totals printed just above a total's line whose amount OCR could
    not read ("Total 6% supplies (Inc. GST): 14.10", "Total 0% supplies: 54.31", "Total
    Payable: En 4"): two or three "Total" lines in a row, none of them the sum of the others
    (then one of them is the total already: "Total HT", "TVA", "Total TTC")."""
    by_row = doc.amounts_by_row
    out: list[Candidate] = []
    for row in doc.rows:
        key = (row.page, row.index)
        if key in by_row or (first_pay is not None and key >= first_pay) or \
                not _RECEIPT_TOTAL_ROW.search(row.text) or _LOST_POINT.search(row.text):
            continue
        parts: list[Decimal] = []
        for k in range(1, 4):
            above = by_row.get((row.page, row.index - k))
            if not above or not _TOTALISH_ROW.search(above[0].row.text) or \
                    _NOT_THE_TOTAL.search(above[0].row.text):
                break
            parts.append(Decimal(str(max(above, key=lambda c: c.start).value)))
        total = sum(parts, Decimal(0))
        if len(parts) < 2 or len(set(parts)) < len(parts) or \
                any(p <= 0 or p == total - p for p in parts):
            continue
        label = _TOTAL_WORD.search(row.text)
        start = label.start() if label else 0
        words = row.span_words(start, len(row.text))
        if words:
            out.append(Candidate(total, cands.AMOUNT, row, start, len(row.text),
                                 tuple(words), repaired=True))
    return out


def _ends_row(c: Candidate) -> bool:
    """An amount nothing but a mark follows on its line ("CHANGE RM3. 80" is not "3.")."""
    return not re.search(r"\w", c.row.text[c.end:])


def _one_digit_apart(a: object, b: Decimal) -> bool:
    """Two amounts printed with as many digits that differ in one of them (17.70 and 17.10),
    further apart than a cash rounding."""
    if not isinstance(a, Decimal) or a == b:
        return False
    if abs(a - b) < Decimal("0.05"):
        return False  # a till's cash rounding, not a misread
    x, y = f"{a:.2f}", f"{b:.2f}"
    return len(x) == len(y) and sum(p != q for p, q in zip(x, y, strict=True)) == 1


def _customer_penalty(zone: dict[tuple[int, int], float], c: Candidate) -> float:
    """An identifier printed in the customer's address block (``_customer_zone``) is the
    customer's, not the issuer's."""
    return 0.5 if c.x0 >= zone.get((c.row.page, c.row.index), float("inf")) else 0.0


def _payment_phrase(doc: _Doc, c: Candidate, pool: list[Candidate]) -> str | None:
    """The label of a payment line that owns the amount ``c`` on its right ("Change Due
    0.00"), or else the payment's label that opens its row ("Payment 6.00": a payment
    method's label for the lexicon, so the amount may be owned by a label above)."""
    own = doc.owner(c, pool)
    if own.hit is not None and own.relation == "right":
        return own.hit.phrase
    for h in doc.hits_by_row.get((c.row.page, c.row.index), ()):
        if h.phrase in _TENDERED and h.end <= c.start and not c.row.text[: h.start].strip(
                " :*-."):
            return h.phrase
    return None


def _pick(scored: list[_Scored], min_score: float = _MIN_SCORE) -> ExtractedField | None:
    scored = [s for s in scored if s.score >= min_score]
    if not scored:
        return None
    scored.sort(key=lambda s: (-s.score, s.cand.row.page, s.cand.row.index, s.cand.start))
    best = scored[0]
    runner = next((s.score for s in scored[1:] if s.cand.value != best.cand.value), 0.0)
    return _field(best.cand, _confidence(best, runner))


def _field(c: Candidate, confidence: float, value: object | None = None) -> ExtractedField:
    return ExtractedField(
        value=c.value if value is None else value,  # type: ignore[arg-type]
        confidence=confidence,
        page=c.row.page,
        bbox=c.bbox,
    )


class LayoutFieldExtractor:
    """The mailroom's field extractor: layout + label lexicon + spaCy NER (loaded once)."""

    def __init__(self, nlp: SpacyNlp | None = None, rankers: Any = _SHIPPED) -> None:
        """``rankers``: the learned rankers to apply over the rules (``None``: the rules
        alone); by default those shipped with the package, loaded on first use."""
        self._nlp = nlp or SpacyNlp()
        self._rankers = rankers
        self._lock = threading.Lock()

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
            out.update(self._totals(doc, doc_type))
        for name in wanted:
            if name in out:
                continue
            getter: Callable[[_Doc, str, DocType], ExtractedField | None] | None
            getter = self._GETTERS.get(name)
            if getter is None:
                continue
            value = getter(self, doc, name, doc_type)
            if value is not None:
                out[name] = value
        if "customer_name" in wanted:
            # a "Name:" row under the buyer's block heading ("Käufer", "Buyer") names the
            # customer, whatever other name the page offers
            buyer = next((p for p in doc.parties if p.party == "buyer"), None)
            if buyer is not None and sum(ch.isalpha() for ch in buyer.text) >= 2:
                c = Candidate(fold_name(buyer.text), NAME, buyer.row, buyer.start, buyer.end,
                              buyer.words)
                out["customer_name"] = _field(c, _confidence(_Scored(c, 1.0, 1.0), 0.0))
                doc.decided.add("customer_name")
        for name in _REREAD_NAMES:
            if name in out:
                out[name] = _reread_name(doc, out[name])
        return doc, {k: out[k] for k in wanted if k in out}

    # ------------------------------------------------------------------ amounts

    def _amount_scores(self, doc: _Doc, field_name: str) -> list[_Scored]:
        scored: list[_Scored] = []
        pool = doc.amounts
        for c in pool:
            own = doc.owner(c, pool)
            lab = _label_score(field_name, own)
            if lab > 0 and own.hit is not None and field_name == "total_incl_tax" and \
                    own.hit.phrase in _NET_TO_PAY and doc.has_deposit:
                lab *= 0.3
            score = lab
            if lab > 0:
                score += 0.1 * doc.rel_y(c.row)  # totals sit low on the page
                if c.row.page == max(p.number for p in doc.pages):
                    score += 0.05
            scored.append(_Scored(c, score, lab))
        return scored

    def _receipt_total_rows(self, doc: _Doc, ttc: list[_Scored]) -> list[_Scored]:
        """The last amount of each row that reads as a receipt's total with tax
        (``_RECEIPT_TOTAL_ROW``) and is not a total's candidate already: the tax's label
        nearer to it ("Total Incl. GST 60.00") or a label garbled by OCR."""
        have = {(s.cand.row.page, s.cand.row.index, s.cand.start) for s in ttc}
        out: list[_Scored] = []
        by_row = doc.amounts_by_row
        for key, row_amounts in by_row.items():
            last = max(row_amounts, key=lambda c: c.start)
            if (*key, last.start) in have:
                continue
            if _RECEIPT_TOTAL_ROW.search(last.row.text[: last.start]):
                out.append(_Scored(last, 0.9 + 0.1 * doc.rel_y(last.row), 0.9))
        # "Total After Rounding 39. 90", "Amount To Be Paid 26 80": thermal print's decimal
        # point read apart from its digits, or lost, at the end of a total's line
        for row in doc.rows:
            if (row.page, row.index) in by_row:
                continue
            c = _split_amount(row)
            if c is None or not _TOTALISH_ROW.search(row.text):
                continue
            label = row.text[: c.start]
            if _NOT_THE_TOTAL.search(label) or (
                    _TAX_WORD.search(label) and not _RECEIPT_TOTAL_ROW.search(label)):
                continue
            lab = 0.9 if _RECEIPT_TOTAL_ROW.search(label) else 0.6
            out.append(_Scored(c, lab + 0.1 * doc.rel_y(row), lab))
        return out

    def _receipt_totals(self, doc: _Doc, ttc: list[_Scored], ht: list[_Scored],
                        tva: list[_Scored]) -> list[_Scored]:
        """A receipt's total candidates, rescored by how receipts are written: the total is
        what was tendered less the change given, or the subtotal plus its tax; it comes
        before the payment lines (a tax summary below them repeats bases, not the total)."""
        pool = doc.amounts
        ttc = ttc + self._receipt_total_rows(doc, ttc)
        tendered: list[Candidate] = []
        change: list[Candidate] = []
        for c in pool:
            phrase = _payment_phrase(doc, c, pool)
            if phrase in _CHANGE:
                change.append(c)
            elif phrase in _TENDERED:
                tendered.append(c)
        for c, phrase in _split_payments(doc):
            (change if phrase in _CHANGE else tendered).append(c)
        expected: set[Decimal] = set()
        paid: dict[Decimal, Candidate] = {}  # the total each payment line implies, and where
        # each change given pairs with the payment line nearest above it ("Cash 8.60",
        # "Tendered 9.00", "Change 0.40": the tendered 9.00, not the cash method's 8.60)
        for ch in change:
            above = [t for t in tendered
                     if (t.row.page, t.row.index) < (ch.row.page, ch.row.index)]
            if not above:
                continue
            t = max(above, key=lambda t: (t.row.page, t.row.index, t.start))
            diff = Decimal(str(t.value)) - Decimal(str(ch.value))
            if diff > 0:
                expected.add(diff)
                if _ends_row(t) and _ends_row(ch):
                    paid.setdefault(diff, t)
        # what confirms a total read once with a digit wrong: tendered less change, or the
        # subtotal plus a tax (an exact payment alone could be the misread one)
        witnesses = set(expected)
        if not change:
            # paid exactly, by card or cash: what was paid is the total
            for t in tendered:
                if Decimal(str(t.value)) > 0:
                    expected.add(Decimal(str(t.value)))
                    paid.setdefault(Decimal(str(t.value)), t)
        rounding = [(h.row.page, h.row.index) for h in doc.hits if h.phrase in _ROUNDING]
        last_rounding = max(rounding) if rounding else None
        summed: set[Decimal] = set()
        for b in ht:
            for v in tva:
                if (v.cand.row.page, v.cand.row.index) >= (b.cand.row.page, b.cand.row.index):
                    total = Decimal(str(b.cand.value)) + Decimal(str(v.cand.value))
                    summed.add(total)
                    if Decimal(str(v.cand.value)) > 0 and last_rounding is None:
                        witnesses.add(total)
        pay_rows = [(c.row.page, c.row.index) for c in tendered + change]
        first_pay = min(pay_rows) if pay_rows else None
        summaries = [(r.page, r.index) for r in doc.rows if _TAX_SUMMARY.search(r.text)]
        first_summary = min(summaries) if summaries else None
        printed: dict[Decimal, int] = {}
        for c in pool:
            printed[Decimal(str(c.value))] = printed.get(Decimal(str(c.value)), 0) + 1
        # a total printed twice alike ("Sub-total 17.70", "Total Incl GST 17.70") outweighs
        # tendered less change whose digits OCR read once, and one apart ("50.10" - "33.00")
        # (a subtotal printed twice, over the item's line, is as good a witness: a till's
        # total is its subtotal but for a rounding)
        twice = {Decimal(str(s.cand.value)) for s in ttc + ht
                 if s.label >= 0.6 and printed.get(Decimal(str(s.cand.value)), 0) >= 2}
        for e in list(expected):
            alike = [v for v in twice if _one_digit_apart(v, e)]
            if printed.get(e, 0) < 2 and len(alike) == 1:
                expected.discard(e)
                expected.add(alike[0])
        out: list[_Scored] = []
        seen: set[tuple[int, int, int]] = set()
        for s in ttc:
            score = s.score
            key = (s.cand.row.page, s.cand.row.index)
            if first_pay is not None and key > first_pay:
                score -= 0.5
            elif first_summary is not None and key > first_summary:
                score -= 0.3  # the tax summary's "Total": bases and taxes
            cand = s.cand
            if cand.value in expected:
                score += 1.0
            elif cand.value in summed and last_rounding is None:
                score += 0.5
            elif s.label >= 0.6 and (first_pay is None or key < first_pay) and \
                    printed.get(Decimal(str(cand.value)), 0) < 2:
                # a total printed once, whose digits OCR misread ("55.20" for 53.20): what
                # was tendered less the change, or the subtotal plus its tax, says which
                confirmed = [v for v in witnesses if _one_digit_apart(cand.value, v)]
                if len(confirmed) == 1:
                    cand = replace(cand, value=confirmed[0], repaired=True)
                    score += 0.8 if confirmed[0] in expected else 0.4
            if last_rounding is not None and key > last_rounding and \
                    (first_pay is None or key < first_pay):
                score += 0.4  # the total after the rounding line
            seen.add((*key, s.cand.start))
            out.append(_Scored(cand, score, s.label))
        if expected or summed:
            # an amount equal to the expected total, above the payment lines, unlabeled or
            # with a label OCR cut short ("TO : 73.00")
            for c in pool:
                key = (c.row.page, c.row.index)
                if (*key, c.start) in seen or c.value not in expected | summed:
                    continue
                if first_pay is not None and key >= first_pay:
                    continue
                own = doc.owner(c, pool)
                if own.hit is not None and own.hit.phrase in _CHANGE | _TENDERED:
                    continue
                if c.value not in expected and _label_score("total_incl_tax", own) < 0:
                    continue  # tendered less change is the total whatever its label says
                base = 1.3 if c.value in expected else 0.8
                out.append(_Scored(c, base + 0.1 * doc.rel_y(c.row), 0.3))
        # a total whose point OCR lost, as what was paid, a subtotal plus tax or the sum of
        # two partial totals ("6% supplies 40.18", "0% supplies 25.32", "Payable 6550") say
        labelled = sorted({Decimal(str(x.cand.value)) for x in ttc + ht if x.label >= 0.6})
        parts = {a + b for i, a in enumerate(labelled) for b in labelled[i + 1:]}
        out.extend(_Scored(c, 1.3 + 0.1 * doc.rel_y(c.row), 0.6)
                   for c in _lost_point_totals(doc, expected | summed | parts, first_pay))
        out.extend(_Scored(c, 1.0 + 0.1 * doc.rel_y(c.row), 0.3)
                   for c in _unread_grand_totals(doc, first_pay))
        # no total read, but two witnesses agree on it: the subtotal plus its tax (plus the
        # rounding printed) is what was paid less the change ("Total 17.93", "GST 1.08",
        # "Rounding -0.01", the totals' amounts lost, "Cash 19.00", "Change 0.00")
        rounding_rows = set(rounding)
        adjustments = {Decimal(0)} | {
            Decimal(str(c.value)) for c in pool
            if (c.row.page, c.row.index) in rounding_rows and
            Decimal(0) < abs(Decimal(str(c.value))) < Decimal("0.10")}
        read_values = {Decimal(str(x.cand.value)) for x in out}
        taxed = summed | {
            Decimal(str(b.cand.value)) + Decimal(str(v.cand.value)) for b in ttc for v in tva
            if (v.cand.row.page, v.cand.row.index) > (b.cand.row.page, b.cand.row.index)}
        for value, t in paid.items():
            if value not in read_values and any(
                    b + a == value for b in taxed for a in adjustments):
                out.append(_Scored(replace(t, value=value, repaired=value != t.value),
                                   1.2 + 0.1 * doc.rel_y(t.row), 0.3))
        if len(paid) == 1 and not any(s.score >= _MIN_SCORE for s in out):
            # no total read: what was paid less the change given is the total
            value, t = next(iter(paid.items()))
            out.append(_Scored(replace(t, value=value, repaired=value != t.value), 0.9, 0.3))
        if not paid and not any(s.score >= _MIN_SCORE for s in out):
            # no total and no payment read: the subtotal above the payment lines is the best
            # guess left (a till's total is its subtotal but for a rounding), given with
            # little confidence so that a person checks it
            for b in ht:
                key = (b.cand.row.page, b.cand.row.index)
                own = doc.owner(b.cand, pool)
                if own.hit is not None and _SUBTOTAL.search(own.hit.phrase) and \
                        (first_pay is None or key < first_pay):
                    out.append(_Scored(b.cand, _MIN_SCORE + 0.05 * doc.rel_y(b.cand.row), 0.0))
            if not out:  # ... its cents read apart ("SubTotal 25. .00")
                out.extend(_Scored(c, _MIN_SCORE + 0.05 * doc.rel_y(c.row), 0.0)
                           for c in _split_subtotals(doc, first_pay))
        return out + self._rounded_totals(doc, out, first_pay)

    def _rounded_totals(self, doc: _Doc, scored: list[_Scored],
                        first_pay: tuple[int, int] | None) -> list[_Scored]:
        """The total after a till's cash rounding, for each labelled total with a rounding
        line just below it: the rounded amount printed there ("Rounding 72.75") or the
        total plus the adjustment printed there ("Rounding -0.01")."""
        out: list[_Scored] = []
        by_row = doc.amounts_by_row
        for s in scored:
            if s.label < 0.9 or not isinstance(s.cand.value, Decimal) or s.cand.repaired:
                continue
            total = s.cand.value
            for k in (1, 2):
                key = (s.cand.row.page, s.cand.row.index + k)
                if first_pay is not None and key >= first_pay:
                    break
                hits = doc.hits_by_row.get(key, [])
                if not any(h.phrase in _ROUNDING for h in hits):
                    continue
                found = False
                row_amounts = by_row.get(key, [])
                if not row_amounts:
                    row_amounts = _bare_cents(doc, key)
                for c in row_amounts:
                    v = Decimal(str(c.value))
                    if Decimal(0) < abs(v) < Decimal("0.10"):
                        rounded = total + v
                    elif v != total and abs(v - total) < Decimal("0.05") and \
                            v % Decimal("0.05") == 0:
                        rounded = v
                    else:
                        continue
                    if rounded > 0:
                        found = True
                        out.append(_Scored(replace(c, value=rounded, repaired=True),
                                           s.score + 0.05, s.label))
                if found:
                    break
        return out

    def _totals(self, doc: _Doc, doc_type: DocType) -> dict[str, ExtractedField]:
        ttc = [s for s in self._amount_scores(doc, "total_incl_tax") if s.label > 0]
        ht = [s for s in self._amount_scores(doc, "total_excl_tax") if s.label > 0]
        tva = [s for s in self._amount_scores(doc, "vat_amount") if s.label > 0]
        if doc_type == DocType.RECEIPT:
            # a receipt's fields: its total only, chosen by how receipts are written
            ttc = self._receipt_totals(doc, ttc, ht, tva)
            picked = _pick(ttc)
            return {"total_incl_tax": picked} if picked is not None else {}
        ttc_top = _top(ttc)
        ht_top = _top(ht)
        tva_top = _top(tva)
        if ttc_top:
            biggest = max(s.cand.value for s in ttc_top)  # type: ignore[type-var]
        best: tuple[float, _Scored | None, _Scored | None, _Scored | None, bool] | None = None
        none: list[_Scored | None] = [None]
        for a, b, c in product(ttc_top or none, ht_top or none, tva_top or none):
            total = 0.0
            consistent = False
            va = a.cand.value if a else None
            vb = b.cand.value if b else None
            vc = c.cand.value if c else None
            if a:
                total += a.score + (0.1 if va == biggest else 0.0)
            if b:
                total += b.score
            if c:
                total += c.score
            if va is not None and vb is not None and vc is not None:
                if abs(vb + vc - va) <= Decimal("0.02") and vb > 0:  # type: ignore[operator]
                    total += 1.5
                    consistent = True
                elif vb >= va and vc > 0:  # type: ignore[operator]
                    total -= 1.0
            if va is not None and vb is not None and vb > va:  # type: ignore[operator]
                total -= 1.0
            if best is None or total > best[0]:
                best = (total, a, b, c, consistent)
        out: dict[str, ExtractedField] = {}
        if best is None:
            return out
        _, a, b, c, consistent = best
        by_rate = None
        if not consistent and a is not None and b is not None:
            gross, net = a.cand.value, b.cand.value
            if isinstance(gross, Decimal) and isinstance(net, Decimal):
                by_rate = _vat_by_rate(doc, gross - net)
            consistent = by_rate is not None
        for name, chosen, pool in (("total_incl_tax", a, ttc), ("total_excl_tax", b, ht),
                                   ("vat_amount", c, tva)):
            if chosen is None:
                continue
            runner = max((s.score for s in pool if s.cand.value != chosen.cand.value),
                         default=0.0)
            conf = _confidence(chosen, runner)
            if consistent:
                conf = round(min(0.99, conf + 0.5 * (1 - conf)), 3)
            out[name] = _field(chosen.cand, conf)
        if by_rate is not None:
            out["vat_amount"] = by_rate
        if doc_type == DocType.RECEIPT:  # a receipt's fields: its total only
            return {k: v for k, v in out.items() if k == "total_incl_tax"}
        return out

    def _requested_amount(self, doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
        scored = [s for s in self._amount_scores(doc, name) if s.label > 0]
        return _pick(scored)

    # ------------------------------------------------------------------ dates

    def _date(self, doc: _Doc, name: str, doc_type: DocType) -> ExtractedField | None:
        pool = doc.dates
        if name == "receipt_date":
            pool = pool + _spaced_dates(doc.rows, pool)
        if not pool:
            return None
        cue_rows = {(h.row.page, h.row.index) for h in doc.hits_of("incapacity_cue")}
        scored: list[_Scored] = []
        first_page = min(p.number for p in doc.pages)
        periods = _period_dates(pool) if name in ("invoice_date", "receipt_date",
                                                  "issue_date") else set()
        ordered = sorted(c.value for c in pool)  # type: ignore[type-var]
        latest = ordered[len(ordered) // 2]  # the median date: the document's time
        for c in pool:
            if id(c) in periods:
                continue  # "du 09/08/2023 au 15/08/2023": a service period, not the date
            own = doc.owner(c, pool)
            lab = _label_score(name, own)
            if name == "receipt_date" and lab < 0 and own.relation != "right" and \
                    own.hit is not None and "phone" in own.hit.kinds:
                lab = 0.0  # a till prints its date right under the shop's "Tel: ..." line
            if name in ("invoice_date", "receipt_date") and isinstance(c.value, date) and \
                    isinstance(latest, date) and (latest - c.value).days > 2 * 366:
                lab = min(lab, 0.0) - 0.5  # a law's or a birth date, years before the others
            near_cue = any((c.row.page, c.row.index - k) in cue_rows for k in range(0, 3))
            score = lab
            if name in ("incapacity_start", "incapacity_end"):
                if lab <= 0:
                    continue
                score = lab if near_cue else 0.3 * lab
            elif lab == 0:
                # unlabeled: the first dates of page 1 are the document's date
                if c.row.page != first_page:
                    continue
                if name == "issue_date" and near_cue:
                    continue
                prior = 0.35 if name in ("receipt_date", "issue_date") else 0.3
                score = prior - 0.15 * doc.rel_y(c.row)
                if name == "issue_date":
                    score = prior - 0.05
            elif lab > 0 and name == "issue_date" and near_cue:
                score = lab * 0.5
            if name == "issue_date" and any(
                    "issue_date" in h.kinds and h.end <= c.start
                    for h in doc.hits_by_row.get((c.row.page, c.row.index), [])):
                score = max(score, 1.0)  # "Fait à Rennes, le 12 avril 2026"
            scored.append(_Scored(c, score, lab))
        return _pick(scored, 0.1)

    # ------------------------------------------------------------------ identifiers

    def _siret(self, doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
        pool = cands.siret_candidates(doc.rows)
        if not pool:
            return None
        vats = {c.value for c in cands.vat_candidates(doc.rows) if c.valid}
        customer = self._customer_zone(doc, blocks=True)
        scored = []
        for c in pool:
            lab = _label_score(name, doc.owner(c, pool))
            if lab < 0:
                continue
            score = lab + (0.4 if c.valid else 0.0) - (0.3 if c.repaired else 0.0)
            score -= _customer_penalty(customer, c)
            value = str(c.value)
            if c.valid and value[:9].isdigit() and fr_vat_from_siren(value[:9]) in vats:
                score += 0.3
            if not c.valid and lab <= 0:
                continue
            scored.append(_Scored(c, score, lab))
        return _pick(scored)

    def _siren(self, doc: _Doc, name: str, t: DocType) -> ExtractedField | None:
        """The seller's SIREN, from every place it shows: printed as such ("SIREN ...",
        "RCS Lyon B 732 829 320"), as the first 9 digits of a SIRET (whose own key may be
        wrong), or inside a French VAT number (FR + key + SIREN, the key checked). Each
        SIREN's sources add up: one printed in the legal mentions (capital, RCS, APE) counts
        more, one in the customer's block counts against, and agreeing with the seller's
        SIRET or VAT number as their own fields chose them counts more again."""
        customer = self._customer_zone(doc, blocks=True)
        sources: list[tuple[str, Candidate, float]] = []
        for c in cands.siren_candidates(doc.rows):
            if c.valid:
                sources.append((str(c.value), c, 1.0))
        for c in cands.siret_candidates(doc.rows):
            head = str(c.value)[:9]
            if siren_valid(head):
                sources.append((head, c, 0.8 if c.valid else 0.5))
        for c in cands.vat_candidates(doc.rows):
            value = str(c.value)
            if value.startswith("FR") and c.valid and siren_valid(value[4:]):
                sources.append((value[4:], c, 0.8))
        if not sources:
            return None
        siret = self._siret(doc, "supplier_siret", t)
        vat = self._vat_number(doc, "supplier_vat_number", t)
        chosen = {str(siret.value)[:9] if siret else None,
                  str(vat.value)[4:] if vat and str(vat.value).startswith("FR") else None}
        by_value: dict[str, list[_Scored]] = {}
        for value, c, weight in sources:
            score = weight
            if _ISSUER_MENTION.search(c.row.text):
                score += 0.3
            score -= 1.6 * _customer_penalty(customer, c)
            by_value.setdefault(value, []).append(_Scored(c, score, weight))
        totals: list[_Scored] = []
        for value, found in by_value.items():
            found.sort(key=lambda x: -x.score)
            total = found[0].score + 0.3 * sum(max(0.0, x.score) for x in found[1:])
            if value in chosen:
                total += 0.3
            best = found[0]
            totals.append(_Scored(replace(best.cand, value=value), total, best.label))
        return _pick(totals, 0.3)

    def _vat_number(self, doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
        pool = cands.vat_candidates(doc.rows)
        if not pool:
            return None
        sirens = {str(c.value)[:9] for c in cands.siret_candidates(doc.rows) if c.valid}
        sirens |= cands.siren_values(doc.rows)
        customer = self._customer_zone(doc, blocks=True)
        scored = []
        for c in pool:
            lab = _label_score(name, doc.owner(c, pool))
            if lab < 0:
                continue
            score = lab + (0.3 if c.valid else 0.0)
            score -= _customer_penalty(customer, c)
            value = str(c.value)
            if value.startswith("FR") and value[4:] in sirens:
                score += 0.4
            if not c.valid and lab <= 0:
                continue
            if lab <= 0 and not value.startswith("FR") and c.valid:
                score -= 0.1  # foreign shapes are only shape-checked
            scored.append(_Scored(c, score, lab))
        return _pick(scored)

    def _iban(self, doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
        pool = cands.iban_candidates(doc.rows)
        scored = []
        for c in pool:
            lab = _label_score(name, doc.owner(c, pool))
            if lab < 0 or (not c.valid and lab <= 0):
                continue
            scored.append(_Scored(c, lab + (0.5 if c.valid else 0.0), lab))
        return _pick(scored)

    def _bic(self, doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
        pool = cands.bic_candidates(doc.rows)
        scored = []
        bic_rows = {(h.row.page, h.row.index) for h in doc.hits_of("bic")}
        for c in pool:
            lab = _label_score(name, doc.owner(c, pool))
            if lab <= 0 and (c.row.page, c.row.index) in bic_rows:
                lab = 0.5
            if lab > 0:
                scored.append(_Scored(c, lab, lab))
        return _pick(scored)

    def _practitioner_id(self, doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
        pool = cands.practitioner_id_candidates(doc.rows)
        scored = []
        for c in pool:
            lab = _label_score(name, doc.owner(c, pool))
            if lab < 0:
                continue
            if lab == 0 and not (c.valid and len(str(c.value)) == 11):
                continue
            scored.append(_Scored(c, lab + (0.3 if c.valid else 0.0), lab))
        return _pick(scored)

    def _plate(self, doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
        pool = cands.plate_candidates(doc.rows)
        scored = []
        for c in pool:
            lab = _label_score(name, doc.owner(c, pool))
            if lab < 0:
                continue
            siv = "-" in str(c.value)
            if lab == 0 and not siv:
                continue
            scored.append(_Scored(c, lab + (0.35 if siv else 0.0), lab))
        return _pick(scored)

    # ------------------------------------------------------------------ label-anchored codes

    def _code(self, doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
        weights = FIELD_LABELS.get(name, {})
        kinds = set(weights)
        scored: list[_Scored] = []
        for hit in doc.hits:
            w = max((weights.get(k, 0.0) for k in hit.kinds), default=0.0)
            if w <= 0 or CODE not in cands._accepts(hit):
                continue
            found = cands.anchored_candidates(
                hit, CODE, doc.hits_by_row, doc.rows_by_page,
                _of_kinds(kinds),
            )
            header_row = len(doc.hits_by_row.get((hit.row.page, hit.row.index), [])) >= \
                _HEADER_ROW_LABELS
            for c in found:
                rel = "right" if c.row is hit.row else "below"
                if rel == "below" and hit.strength < 1.0 and not header_row:
                    continue  # a bare word ("Facture") only owns what follows it, but in a
                    # row of column heads ("Klant Order Factuur datum Factuur") its column
                value = str(c.value)
                if name != "invoice_number":
                    value = normalize_reference(value)
                c2 = Candidate(value, c.shape, c.row, c.start, c.end, c.words, via=hit)
                score = w * hit.strength * _REL_FACTOR[rel]
                # a value that is also a phone number or postcode is no reference
                if any(a < c.end and c.start < b for a, b in cands.phone_or_postcode_spans(c.row)):
                    score -= 0.8
                scored.append(_Scored(c2, score, score))
            if not found:
                scored += self._code_next_line(doc, hit, w, name)
            if hit.strength < 1.0 and not any(c.row is hit.row for c in found):
                scored += self._numbered_below(doc, hit, w, name)
        return _pick(scored)

    def _code_next_line(self, doc: _Doc, hit: LabelHit, weight: float,
                        name: str) -> list[_Scored]:
        """In running text, a label that ends its line with its value at the start of the next
        one ("... (dossier" / "AST-2026-006564), je vous ...")."""
        row = hit.row
        if row.text[hit.end:].strip(" :(#°"):
            return []
        rows = doc.rows_by_page.get(row.page, [])
        if row.index + 1 >= len(rows):
            return []
        nxt = rows[row.index + 1]
        h = max(row.height, 4.0)
        if not nxt.words or nxt.y0 - row.y1 > 1.2 * h or abs(nxt.x0 - row.x0) > 2 * h:
            return []
        first = nxt.words[0]
        core = first.text.lstrip("(:#[").rstrip(".,;:)]")
        if not cands._code_like(core):
            return []
        if any(hh.start == 0 for hh in doc.hits_by_row.get((nxt.page, nxt.index), [])):
            return []  # the next line starts with a label of its own
        start = first.text.index(core)
        if any(a < start + len(core) and start < b for a, b in cands.phone_or_postcode_spans(nxt)):
            return []  # a phone number or a postcode is no reference
        value = core if name == "invoice_number" else normalize_reference(core)
        c = Candidate(value, CODE, nxt, start, start + len(core), (first,), via=hit)
        score = weight * hit.strength * _REL_FACTOR["right"]
        return [_Scored(c, score, score)]

    def _numbered_below(self, doc: _Doc, hit: LabelHit, weight: float,
                        name: str) -> list[_Scored]:
        """A title ("FACTURE", "INVOICE") with its number on a line below it, introduced by a
        number sign ("# 2023-6013", "nº 2023-6013"), in the title's column."""
        rows = doc.rows_by_page.get(hit.page, [])
        h = max(hit.row.height, 4.0)
        for k in range(hit.row.index + 1, min(len(rows), hit.row.index + 4)):
            below = rows[k]
            if below.y0 - hit.row.y1 > 6 * h:
                break
            for i, wd in enumerate(below.words):
                if wd.bbox.x1 < hit.x0 - 4 * h or wd.bbox.x0 > hit.x1 + 8 * h:
                    continue
                m = _NUMBER_SIGN.match(wd.text)
                if m is None:
                    bare = None
                    if k == hit.row.index + 1:  # right under the title
                        bare = self._bare_number_below(doc, hit, below, i, weight, name)
                    if bare is not None:
                        return [bare]
                    break
                rest = wd.text[m.end():]
                j = i
                if not rest and i + 2 < len(below.words) and below.words[i + 1].text == ":":
                    j = i + 2  # "Numéro : FA2606-4481"
                    rest = below.words[j].text
                elif not rest and i + 1 < len(below.words):
                    j = i + 1
                    rest = below.words[j].text
                core = rest.rstrip(".,;:)")
                if not cands._code_like(core):
                    break
                start = below.starts[j] + (len(wd.text) - len(rest) if j == i else 0)
                value = core if name == "invoice_number" else normalize_reference(core)
                c = Candidate(value, CODE, below, start, start + len(core),
                              (below.words[j],), via=hit)
                score = weight * hit.strength * _REL_FACTOR["below"]
                return [_Scored(c, score, score)]
        return []

    def _bare_number_below(self, doc: _Doc, hit: LabelHit, below: Row, i: int, weight: float,
                           name: str) -> _Scored | None:
        """A title alone on its line ("RECHNUNG", "INVOICE") with a number of digits alone
        under it, no number sign ("471102", "2024-117"): the title's number, weaker than a
        labelled one. A reference with letters there ("AST-2026-0042") may be anything (a
        dossier's, an order's) and is left to its own label."""
        if hit.row.text[:hit.start].strip() or hit.row.text[hit.end:].strip(" :"):
            return None  # the title is not alone on its line
        wd = below.words[i]
        core = wd.text.rstrip(".,;:)")
        h = max(below.height, 4.0)
        if sum(ch.isdigit() for ch in core) < 3 or not re.fullmatch(r"\d+(?:[-/.]\d+)*", core) \
                or not cands._code_like(core):
            return None
        if i + 1 < len(below.words) and below.words[i + 1].bbox.x0 - wd.bbox.x1 < 2 * h:
            return None  # words follow: a line of text, not a number standing alone
        start = below.starts[i]
        if any(hh.start <= start < hh.end for hh in doc.hits_by_row.get(
                (below.page, below.index), [])):
            return None
        if any(a < start + len(core) and start < b for a, b in cands.phone_or_postcode_spans(
                below)):
            return None
        value = core if name == "invoice_number" else normalize_reference(core)
        c = Candidate(value, CODE, below, start, start + len(core), (wd,), via=hit)
        score = weight * hit.strength * _REL_FACTOR["column"]
        return _Scored(c, score, score)

    # ------------------------------------------------------------------ names

    def _anchored_names(self, doc: _Doc, name: str) -> list[_Scored]:
        weights = FIELD_LABELS.get(name, {})
        kinds = set(weights)
        scored: list[_Scored] = []
        for hit in doc.hits:
            w = max((weights.get(k, 0.0) for k in hit.kinds), default=0.0)
            if w <= 0 or (hit.strength < 1.0 and _inside_words(hit)):
                continue
            for c in cands.anchored_candidates(
                hit, NAME, doc.hits_by_row, doc.rows_by_page,
                _of_kinds(kinds),
            ):
                rel = "right" if c.row is hit.row else "below"
                separated = hit.row.text[hit.end:c.start].strip(" \t")[:1] in (":", "-", "=")
                if rel == "right" and hit.strength < 1.0 and name != "practitioner_name" and \
                        not separated:
                    continue  # a bare word ("CLIENT NOM COMMERCIAL") labels nothing
                if rel == "below" and name == "customer_name" and _phrase_goes_on(c):
                    continue  # "Buyer contact name" under "Client :": a phrase, not the name
                score = w * hit.strength * _REL_FACTOR[rel]
                ents = doc.entities([c.row])[(c.row.page, c.row.index)]
                if any(lbl in ("PER", "ORG") and s < c.end and c.start < e
                       for lbl, s, e in ents):
                    score += 0.2
                scored.append(_Scored(c, score, score))
        return scored

    def _person(self, doc: _Doc, name: str, doc_type: DocType) -> ExtractedField | None:
        scored = self._anchored_names(doc, name)
        if name == "sender_name" and not scored:
            scored = self._signature(doc) + self._ner_people(doc, name)
        if name == "practitioner_name" and not scored:
            scored = self._ner_people(doc, name)
        if name == "customer_name":
            scored += [sc for sc, _ in self._addressee_blocks(doc)]
        return _pick(scored)

    def _addressee_blocks(self, doc: _Doc) -> list[tuple[_Scored, set[tuple[int, int]]]]:
        """Unlabeled addressee blocks: the first line of a block of lines aligned on the right
        half of page 1's upper half, ending with a postcode and town (where a window envelope
        shows it). Returns the name line scored, with the rows of its block."""
        first = min(p.number for p in doc.pages)
        rows = [r for r in doc.rows_by_page.get(first, []) if doc.rel_y(r) < 0.5]
        segs = {r.index: _segments(r, _NAME_CUT) for r in rows}
        by_index = {r.index: r for r in rows}
        out: list[tuple[_Scored, set[tuple[int, int]]]] = []
        for r in rows:
            h = max(r.height, 4.0)
            if r.page_width < 300:
                break  # a till receipt has no addressee block
            for s, e, words in segs[r.index]:
                x0 = words[0].bbox.x0
                if x0 < 0.4 * r.page_width:
                    continue
                text = fold_name(_CIVILITY_PREFIX.sub("", r.text[s:e]))
                if sum(ch.isalpha() for ch in text) < 2 or any(ch.isdigit() for ch in text) \
                        or "@" in text or len(text) > 60:
                    continue
                if any(hh.start < e and s < hh.end for hh in doc.hits_by_row.get(
                        (r.page, r.index), []) if hh.strength >= 1.0):
                    continue
                above = by_index.get(r.index - 1)
                delivery = False
                if above is not None and r.y0 - above.y1 < 1.0 * h and any(
                        abs(w[0].bbox.x0 - x0) < 2 * h for _, _, w in segs[above.index]):
                    aligned_above = [(a, b) for a, b, w in segs[above.index]
                                     if abs(w[0].bbox.x0 - x0) < 2 * h]
                    # above is the block's label ("Facturé à", "CLIENT :"), not a bare word
                    # inside a line of the block ("LE CLIENT")
                    if not any((hh.start <= a < hh.end or a <= hh.start < b) and (
                                   hh.strength >= 1.0 or not (above.text[a:hh.start]
                                                              + above.text[hh.end:b]).strip(" :"))
                               for a, b in aligned_above
                               for hh in doc.hits_by_row.get((above.page, above.index), [])):
                        continue  # not the block's first line
                    # the delivery address: where the goods went, not the buyer (its block
                    # is still no seller's)
                    delivery = any("delivery_address" in hh.kinds for hh in doc.hits_by_row.get(
                        (above.page, above.index), []) if any(
                        hh.start < b and a < hh.end for a, b in aligned_above))
                block = {(r.page, r.index)}
                prev = r
                found = False
                for k in range(r.index + 1, r.index + 6):
                    nxt = by_index.get(k)
                    if nxt is None or nxt.y0 - prev.y1 > 1.5 * h:
                        break
                    line = [(a, b) for a, b, w in segs[k] if abs(w[0].bbox.x0 - x0) < 2 * h]
                    if not line:
                        continue
                    block.add((nxt.page, nxt.index))
                    prev = nxt
                    if any(_POSTCODE_TOWN.search(nxt.text[a:b]) for a, b in line):
                        found = True
                        break
                if not found:
                    continue
                c = Candidate(text, NAME, r, s, e, words)
                out.append((_Scored(c, 0.0 if delivery else 0.5, 0.0), block))
        return out

    def _signature(self, doc: _Doc) -> list[_Scored]:
        """A letter's signature: the name on the lines after its closing formula
        ("Cordialement,", "... mes salutations distinguées."), the surer when the letter's
        head names the same person."""
        closing = [r for r in doc.rows if _CLOSING.search(r.text)]
        if not closing:
            return []
        last = closing[-1]
        rows = doc.rows_by_page.get(last.page, [])
        first = min(p.number for p in doc.pages)
        head = {fold(r.text) for r in doc.rows_by_page.get(first, [])[:6]}
        h = max(last.height, 4.0)
        prev = last
        for r in rows[last.index + 1:last.index + 5]:
            if r.y0 - prev.y1 > 8 * h:
                break
            prev = r
            text = fold_name(_CIVILITY_PREFIX.sub("", r.text))
            tokens = text.split()
            if not 2 <= len(tokens) <= 5 or any(ch.isdigit() for ch in text) or "@" in text \
                    or not all(cands._name_word(t, first=i == 0) for i, t in enumerate(tokens)):
                continue
            if any(hh.strength >= 1.0 for hh in doc.hits_by_row.get((r.page, r.index), [])):
                continue
            start = r.text.find(tokens[0])
            end = r.text.rfind(tokens[-1]) + len(tokens[-1])
            words = r.span_words(start, end) if 0 <= start < end else ()
            if not words:
                continue
            score = 0.5 + (0.2 if fold(text) in head else 0.0)
            return [_Scored(Candidate(text, NAME, r, start, end, words), score, 0.0)]
        return []

    def _ner_people(self, doc: _Doc, name: str) -> list[_Scored]:
        """People named by NER where a letter's sender or a certificate's doctor stands."""
        first = min(p.number for p in doc.pages)
        last = max(p.number for p in doc.pages)
        top = [r for r in doc.rows_by_page.get(first, []) if doc.rel_y(r) < 0.3]
        bottom = [r for r in doc.rows_by_page.get(last, []) if doc.rel_y(r) > 0.6]
        rows = top + (bottom if name == "sender_name" else [])
        ents = doc.entities(rows)
        scored: list[_Scored] = []
        for r in rows:
            for lbl, s, e in ents[(r.page, r.index)]:
                if lbl != "PER":
                    continue
                words = r.span_words(s, e)
                text = fold_name(r.text[s:e])
                if not words or len(text.split()) < 2 or any(ch.isdigit() for ch in text):
                    continue
                on_left = words[0].bbox.x0 < r.page_width * 0.5
                is_top = doc.rel_y(r) < 0.3 and r.page == first
                score = (0.45 if is_top else 0.3) + (0.1 if on_left else 0.0)
                score -= 0.02 * r.index if is_top else 0.0
                scored.append(_Scored(Candidate(text, NAME, r, s, e, words), score, 0.0))
        return scored

    def _company(self, doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
        anchored = self._anchored_names(doc, name)
        first = min(p.number for p in doc.pages)
        rows = [r for r in doc.rows_by_page.get(first, []) if doc.rel_y(r) < 0.4][:14]
        if not rows:
            return None
        heights = sorted(w.bbox.y1 - w.bbox.y0 for r in doc.rows_by_page[first] for w in r.words)
        median_h = heights[len(heights) // 2] or 1.0
        mentions = self._legal_mentions(doc)
        mentioned = {fold(str(m.cand.value)) for m in mentions}
        customer_zone = self._customer_zone(doc, blocks=name == "supplier_name")
        scored: list[_Scored] = []
        segs = {r.index: _segments(r, _NAME_CUT) for r in rows}
        # the issuer's header block ends with its phone and registration numbers
        id_rows = [h.row.index for h in doc.hits if h.page == first and h.kinds & _ID_KINDS]
        if name == "merchant_name":
            # ... or, on a till's slip, at its number ("Cash Inv No.:"), whatever OCR made of
            # the tax id: a company named below it is the one the slip was made out to
            id_rows += [h.row.index for h in doc.hits_of("invoice_number")
                        if h.page == first and h.strength >= 1.0]
        header_end = min(id_rows) if id_rows else -1
        for rank, r in enumerate(rows):
            for s, e, words in segs[r.index]:
                s, e, words = _before_label(r, s, e, words,
                                            doc.hits_by_row.get((r.page, r.index), []))
                raw = r.text[s:e]
                up = rank
                # a name set on two lines right above the company's registration number
                # ("RESTAURANT TAVELLO" / "TAVELLO HOUSE" / "002693074-K")
                two_lines = rank + 1 < len(rows) and bool(_REG_LINE.match(rows[rank + 1].text)) \
                    and not _OWNED_BY.match(_mended(doc, raw))
                while up > 0 and rank - up < 3 and (_continues_above(raw) or (
                        two_lines and up == rank)):
                    above, below = rows[up - 1], rows[up]
                    start = s if below is r else segs[below.index][0][0]
                    joined = _join_above(above, segs[above.index], below, start, words)
                    if joined is None:
                        break
                    raw, words = joined
                    up -= 1
                text = fold_name(_mended(doc, _clean_company(raw)))
                low = fold(text)
                letters = sum(ch.isalpha() for ch in text)
                if letters < 3 or len(text) > 70 or not _LEGAL_RE.sub(" ", low).strip(" .,&()"):
                    continue  # a legal form alone names nobody
                score = 0.35 * (1 - up / len(rows)) if len(rows) > 1 else 0.35
                toks = set(re.split(r"[\s,]+", low))
                if _has_legal_form(low):
                    score += 0.5
                if two_lines:
                    score += 0.2  # the name ends over its registration number
                if r.index < header_end:
                    score += 0.3
                elif name == "merchant_name" and 0 <= header_end < r.index:
                    score -= 0.3  # below a till's header (its phone, tax id): the customer
                if name == "merchant_name" and \
                        sum(w.confidence for w in words) < _JUNK_OCR * len(words):
                    score -= 0.4  # a logo or a stamp read as letters ("d'A dt")
                if text.count("(") != text.count(")"):
                    score -= 0.3  # cut inside a bracket: the name goes on on the next line
                h = sorted(w.bbox.y1 - w.bbox.y0 for w in words)[len(words) // 2]
                score += min(0.4, max(0.0, 0.4 * (h / median_h - 1.0)))
                digits = sum(ch.isdigit() for ch in text)
                if digits > 0.25 * len(text.replace(" ", "")) or "@" in text or "www" in low \
                        or "http" in low or _address_like(low, toks, digits):
                    score -= 0.7
                if any(a < e and s < b for a, b in cands.phone_or_postcode_spans(r)):
                    score -= 0.7
                row_hits = doc.hits_by_row.get((r.page, r.index), [])
                if any(hh.start < e and s < hh.end and (hh.strength >= 1.0 or (
                        hh.start <= s and hh.end >= e))  # a bare word that is only a label
                       and not hh.kinds & {"merchant_name"}
                       for hh in row_hits):
                    score -= 0.6
                if words[0].bbox.x0 >= customer_zone.get((r.page, r.index), float("inf")):
                    score -= 1.0
                if low in mentioned:
                    score += 0.6
                c = Candidate(text, NAME, r, s, e, words)
                scored.append(_Scored(c, score, 0.0))
        # the entity recogniser (slow) only decides between the leading candidates
        best = max((x.score for x in scored), default=0.0)
        close = [x for x in scored if x.score >= best - 0.2]
        close_rows = list({(x.cand.row.page, x.cand.row.index): x.cand.row
                           for x in close}.values())[:4]
        ents = doc.entities(close_rows)
        scored = [
            _Scored(x.cand, x.score + 0.2, x.label)
            if (x.cand.row.page, x.cand.row.index) in ents and any(
                lbl == "ORG" and a < x.cand.end and x.cand.start < b
                for lbl, a, b in ents[(x.cand.row.page, x.cand.row.index)])
            else x
            for x in scored
        ]
        return _pick(self._party_blocks(doc, scored + anchored + mentions), 0.3)

    def _party_blocks(self, doc: _Doc, scored: list[_Scored]) -> list[_Scored]:
        """A "Name:" row under a seller's heading names the supplier over any other candidate;
        a candidate that is the name under a buyer's heading is the customer, not the
        supplier."""
        buyers = [fold(fold_name(p.text)) for p in doc.parties if p.party == "buyer"]
        out = [
            _Scored(x.cand, x.score - 1.0, x.label)
            if any(b and b in fold(str(x.cand.value)) for b in buyers) else x
            for x in scored
        ]
        for p in doc.parties:
            if p.party != "seller":
                continue
            text = fold_name(_clean_company(p.text))
            if sum(ch.isalpha() for ch in text) >= 2:
                out.append(_Scored(Candidate(text, NAME, p.row, p.start, p.end, p.words),
                                   2.0, 1.0))
        return out

    def _legal_mentions(self, doc: _Doc) -> list[_Scored]:
        """The company named in the legal mentions ("Roche Automobiles - SARL au capital de
        7 500 €", "ACME GmbH, Amtsgericht ..."): the issuer of the document."""
        out: list[_Scored] = []
        for r in doc.rows:
            for m in _LEGAL_MENTION.finditer(r.text):
                raw = m.group("name").strip(" -–,;:")
                name = fold_name(_mended(doc, _clean_company(raw)))
                low = fold(name)
                if sum(ch.isalpha() for ch in name) < 3 or any(ch.isdigit() for ch in name) \
                        or len(name.split()) > 6:
                    continue
                # a label inside the name disqualifies it, not a bare word that names use
                # too ("Remorquage du Parc", "Le Fournisseur")
                if any(h.start < m.start("name") + len(raw) and m.start("name") < h.end
                       and h.strength >= 1.0
                       for h in doc.hits_by_row.get((r.page, r.index), [])):
                    continue
                if _LEGAL_RE.fullmatch(low):
                    continue
                start = m.start("name") + m.group("name").index(raw)
                words = r.span_words(start, start + len(raw))
                if words:
                    out.append(_Scored(Candidate(name, NAME, r, start, start + len(raw), words),
                                       0.75, 0.0))
        return out

    def _customer_zone(self, doc: _Doc, *, blocks: bool = False) -> dict[tuple[int, int], float]:
        """Where the addressee stands, as row -> the zone's left edge (a row's words from that
        edge on belong to the customer; the seller's letterhead may share the row on the
        left): the rows of and under "Client", "Facturé à"... from the label's left edge on,
        and with ``blocks`` the unlabeled addressee blocks with the lines aligned under them
        (country, the customer's VAT number and SIRET)."""
        if blocks in doc.customer_zones:
            return doc.customer_zones[blocks]
        zone: dict[tuple[int, int], float] = {}

        def add(page: int, index: int, x: float) -> None:
            zone[(page, index)] = min(x, zone.get((page, index), x))

        for hit in doc.hits_of("customer_name"):
            page_rows = doc.rows_by_page.get(hit.page, [])
            x = hit.x0 - max(hit.row.height, 4.0)
            for k in range(hit.row.index, min(len(page_rows), hit.row.index + 5)):
                add(hit.page, k, x)
        if blocks:
            for sc, block in self._addressee_blocks(doc):
                page = sc.cand.row.page
                page_rows = doc.rows_by_page.get(page, [])
                x0 = sc.cand.words[0].bbox.x0
                h = max(sc.cand.row.height, 4.0)
                for _, index in block:
                    add(page, index, x0 - h)
                prev = page_rows[max(i for _, i in block)]
                for k in range(prev.index + 1, min(len(page_rows), prev.index + 5)):
                    nxt = page_rows[k]
                    if nxt.y0 - prev.y1 > 2.0 * h or not any(
                            abs(w[0].bbox.x0 - x0) < 2 * h for _, _, w in _segments(nxt)):
                        break
                    add(page, k, x0 - h)
                    prev = nxt
        doc.customer_zones[blocks] = zone
        return zone

    # ------------------------------------------------------------------ other

    def _currency(self, doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
        """The currency the amounts are in: signs and words anywhere, a bare ISO code only
        beside an amount or on a total's row (a product's "GEL", a "TOP" offer is no lari or
        paʻanga). A French document whose amounts carry no mark at all is in euros (a till slip
        often prints none, and a scan may lose the sign): given at a low confidence."""
        votes: dict[str, float] = {}
        where: dict[str, Candidate] = {}
        total_rows = {(h.row.page, h.row.index) for h in doc.hits_of("total_incl_tax")}
        amounts = doc.amounts_by_row
        for row in doc.rows:
            key = (row.page, row.index)
            for w, s in zip(row.words, row.starts, strict=True):
                code = parse_currency(w.text) if len(w.text) <= 12 else None
                if code is None:
                    continue
                bare_code = w.text.strip(".:,;()").upper() == code
                beside = any(c.start - 3 <= s + len(w.text) and s <= c.end + 3
                             for c in amounts.get(key, ()))
                if bare_code and not beside and key not in total_rows:
                    continue
                weight = 3.0 if key in total_rows else 1.0
                votes[code] = votes.get(code, 0.0) + weight
                if code not in where or weight > 1.0:
                    where[code] = Candidate(code, "currency", row, s, s + len(w.text), (w,))
        if not votes:
            return self._implied_currency(doc)
        ranked = sorted(votes.items(), key=lambda kv: -kv[1])
        code, v = ranked[0]
        runner = ranked[1][1] if len(ranked) > 1 else 0.0
        c = where[code]
        conf = 0.6 + 0.35 * (v - runner) / v
        conf *= min(1.0, 0.5 + 0.5 * c.ocr / 90.0)
        return _field(c, round(min(conf, 0.99), 3))

    def _implied_currency(self, doc: _Doc) -> ExtractedField | None:
        """Euros for a French document with amounts and no currency mark, placed on its total
        (or its first amount)."""
        if doc.languages[0] != "fr" or not doc.amounts:
            return None
        totals = {(h.row.page, h.row.index) for h in doc.hits_of("total_incl_tax")}
        on_total = [c for c in doc.amounts if (c.row.page, c.row.index) in totals]
        c = (on_total or doc.amounts)[0]
        return _field(Candidate("EUR", "currency", c.row, c.start, c.end, c.words), 0.55)

    def _payment(self, doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
        """The means of payment: its words (on or under a payment label, beside an amount
        count more), not inside a phrase that names no payment ("carte Vitale"); change handed
        back beside an amount says cash."""
        pay_rows = {(h.row.page, h.row.index) for h in doc.hits_of("payment_method")}
        amount_rows = set(doc.amounts_by_row)
        scored: list[_Scored] = []
        for row in doc.rows:
            text = fold(row.text)
            key = (row.page, row.index)
            blocked = [m.span() for phrase in NOT_PAYMENT
                       for m in re.finditer(rf"(?<![\w]){re.escape(fold(phrase))}(?![\w])", text)]
            for method, words in PAYMENT_WORDS.items():
                for phrase in words:
                    for m in re.finditer(rf"(?<![\w]){re.escape(fold(phrase))}(?![\w])", text):
                        if any(b0 <= m.start() and m.end() <= b1 for b0, b1 in blocked):
                            continue
                        ws = row.span_words(m.start(), m.end())
                        score = 0.4 + 0.05 * len(phrase.split())
                        if key in pay_rows or (row.page, row.index - 1) in pay_rows:
                            score += 0.5
                        if key in amount_rows:
                            score += 0.2
                        scored.append(_Scored(
                            Candidate(method, "payment", row, m.start(), m.end(), ws),
                            score, 0.0))
            if key in amount_rows:
                for phrase in CHANGE_GIVEN:
                    given = re.search(rf"(?<![\w]){re.escape(fold(phrase))}(?![\w])", text)
                    if given is not None:
                        ws = row.span_words(given.start(), given.end())
                        scored.append(_Scored(Candidate(
                            "cash", "payment", row, given.start(), given.end(), ws), 0.55, 0.0))
                        break
        return _pick(scored, 0.3)

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


_PERIOD_JOIN = re.compile(r"^\s*(?:au|à|a|to|till|until|-|–|bis|al|hasta|tot|t/m)\s*$",
                          re.IGNORECASE)


def _of_kinds(kinds: set[str]) -> Callable[[LabelHit], bool]:
    """A label filter: the label announces one of these fields."""
    return lambda hit: bool(hit.kinds & kinds)


def _period_dates(pool: list[Candidate]) -> set[int]:
    """Ids of the dates that open or close a period on their row ("du X au Y", "X - Y")."""
    out: set[int] = set()
    by_row: dict[tuple[int, int], list[Candidate]] = {}
    for c in pool:
        by_row.setdefault((c.row.page, c.row.index), []).append(c)
    for row_dates in by_row.values():
        row_dates.sort(key=lambda c: c.start)
        for a, b in zip(row_dates, row_dates[1:], strict=False):
            if _PERIOD_JOIN.match(a.row.text[a.end:b.start]):
                out.add(id(a))
                out.add(id(b))
    return out


def _top(scored: list[_Scored], n: int = 5) -> list[_Scored]:
    best: dict[object, _Scored] = {}
    for s in sorted(scored, key=lambda s: -s.score):
        best.setdefault((s.cand.value, s.cand.row.page, s.cand.row.index), s)
    return list(best.values())[:n]


_NAME_CUT = frozenset({"-", "–", "—", "|", "•", "/"})
# the closing formula of a letter or an e-mail, the signature on the lines after it
_CLOSING = re.compile(
    r"\b(?:cordialement|bien\s+cordialement|salutations|sinc[èe]res|respectueusement|"
    r"bien\s+[àa]\s+vous|distingu[ée]e?s|regards|sincerely|yours\s+(?:faithfully|truly)|"
    r"freundlichen\s+gr[üu](?:ß|ss)en|saludos|cordiali\s+saluti|met\s+vriendelijke)\b",
    re.IGNORECASE)
# "<name> - SARL au capital de", "<name>, SAS au capital", "<name> SARL à capital variable"
_LEGAL_MENTION = re.compile(
    r"(?:^|[-–|•]\s)(?P<name>[^-–|•:]{2,60}?)\s*[-–,]?\s*\b(?:SARL|SAS|SASU|SA|EURL|SNC|SCI|SELARL|"
    r"SCOP|SCA|SELAS|Sàrl|S\.A\.R\.L\.|S\.A\.S\.?)\b\s+(?:au|à|a)\s+capital",
    re.IGNORECASE,
)
_ID_KINDS = frozenset({"siret", "siren", "vat_number", "company_registration", "phone"})
# a line of the issuer's legal mentions: its capital, its register, its activity code
_ISSUER_MENTION = re.compile(r"\bcapital\b|\bR\.?\s?C\.?\s?S\b|\bAPE\b|\bNAF\b|\bSIREN\b",
                             re.IGNORECASE)
_CIVILITY_PREFIX = re.compile(
    r"^\s*(?:M\.|Mr\.?|Mrs\.?|Ms\.?|Mme\.?|Mlle\.?|Madame|Monsieur|Mademoiselle|Herr|Frau)\s+")
_NUMBER_SIGN = re.compile(r"^(?:#|n°|nº|no\.?|nr\.?|n\.|num[ée]ro|número|number|nummer)\s*:?",
                          re.IGNORECASE)
_POSTCODE_TOWN = re.compile(r"(?<![\d.,])(?:[A-Z]{1,2}-)?\d{4,5}\s+[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ' -]{1,}")
_LEGAL_RE = re.compile(
    r"(?<![\w])(?:" + "|".join(
        re.escape(fold(f)).replace(r"\ ", r"\s*") for f in sorted(LEGAL_FORMS, key=len,
                                                                 reverse=True)
    ) + r"|sdn\.?\s*bhd\.?|s/b)(?![\w])"
)
# a registration number printed after the name: "(417940-M)", "1110644-W", "(CO. NO:20154-T)"
_REG_SUFFIX = re.compile(r"[\s,]*(?:[({](?:co\.?\s*(?:no|reg)\.?\s*:?\s*)?[\w\s-]*\d[\w\s-]*[)}]?"
                         r"|\b\d{4,}-?[a-z]\b)\s*$", re.IGNORECASE)
# a line that is only a company's registration number ("(1097826-H)", "002693074-K")
_REG_LINE = re.compile(
    r"^\W*(?:co(?:mpany)?\.?\s*(?:no|reg)\.?\s*:?\s*)?\d{5,}\s*[-\s]\s*[a-z]\W*$", re.IGNORECASE)
# "Owned by ...": the operator of the shop named above, on a line of its own
_OWNED_BY = re.compile(r"^\s*(?:own(?:e[rd])?|operated|dimiliki)\s+(?:by|oleh)\b", re.IGNORECASE)
# a template's placeholder for the issuer's logo, printed before the name ("LOGO LE FOURNISSEUR")
_LOGO_PLACEHOLDER = re.compile(r"^\s*logo\b[\s:-]*(?=\w)", re.IGNORECASE)
# "Own by:", "Dimiliki oleh:": the operator named before the legal name
_OWNER_PREFIX = re.compile(r"^\s*(?:owne?d?\s+by|dimiliki(?:\s+oleh)?|operated\s+by)\s*:\s*",
                           re.IGNORECASE)


# a till's numeric date that OCR cut with spaces ("26- 03-18", "09- 06 2018"), day first
_SPACED_DATE = re.compile(
    r"(?<![\d.,])(\d{1,2})[-/.]\s*(\d{1,2})\s*(?:[-/.;,]\s*)?[\"“”'‘’]?\s*(\d{4}|\d{2})"
    r"(?![\d.,])"
)
# ... or with the month's name, the time glued to the year ("10Mar201818:24")
_GLUED_DATE = re.compile(
    r"(?<!\d)(\d{1,2})\s*(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*"
    r"((?:19|20)\d{2})(?:(?=\d{1,2}:\d{2})|(?!\d))",
    re.IGNORECASE,
)
# ... or with the separator before a four-digit year lost ("03/022018")
_RUN_ON_DATE = re.compile(r"(?<![\d.,/-])(\d{1,2})[-/.](\d{2})((?:19|20)\d{2})(?![\d.,/-])")
_PLAUSIBLE_YEARS = (1990, 2039)  # a repaired date's year: a till's, not an item code's
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _spaced_dates(rows: Sequence[Row], found: Sequence[Candidate]) -> list[Candidate]:
    """Receipt dates the ordinary date reader misses for the spaces OCR put in them."""
    taken = {(c.row.page, c.row.index) for c in found}
    out: list[Candidate] = []
    for row in rows:
        if (row.page, row.index) in taken:
            continue
        spaced = [m for m in _SPACED_DATE.finditer(row.text)
                  if any(ch.isspace() for ch in m.group(0))]
        for m in spaced + list(_GLUED_DATE.finditer(row.text)) + \
                list(_RUN_ON_DATE.finditer(row.text)):
            day, year = int(m.group(1)), int(m.group(3))
            month = int(m.group(2)) if m.group(2).isdigit() else \
                _MONTHS.index(m.group(2).lower()) + 1
            if year < 100:
                year += 2000
            if not _PLAUSIBLE_YEARS[0] <= year <= _PLAUSIBLE_YEARS[1]:
                continue  # "05 - 5/60": an item code
            try:
                value = date(year, month, day)
            except ValueError:
                continue
            words = row.span_words(m.start(), m.end())
            if words:
                out.append(Candidate(value, cands.DATE, row, m.start(), m.end(), tuple(words),
                                     repaired=True))
    return out


def _address_like(low: str, toks: set[str], digits: int) -> bool:
    """A street line: an address word with a number, or starting the line ("Rue ...");
    "Le Bistrot de la Place" is a name."""
    if not toks & _ADDRESS_WORDS:
        return False
    words = low.split()
    # a street type opens its line ("Rue ..."); an area word may close it ("Riverside Estate")
    return digits > 0 or words[0] in _ADDRESS_WORDS or words[-1] in _AREA_WORDS


def _has_legal_form(low: str) -> bool:
    return bool(_LEGAL_RE.search(low))


# Legal forms as OCR misreads them at the end of a name (O/D, 0/O, H/N confusions): the
# legal form is a closed list, so a one-letter slip in it can be put right with certainty.
_LEGAL_FORM_OCR = (
    (re.compile(r"\b[S5][O0DU][NHM]?\s+B[HN][DO0U]?\s*$", re.IGNORECASE), "SDN BHD"),
    (re.compile(r"\bB[HN][DO0]\s*$", re.IGNORECASE), "BHD"),
    (re.compile(r"\bS[A4]R[L1I]\s*$", re.IGNORECASE), "SARL"),
    # Malaysia's "S/B" (Sdn Bhd) on till receipts, its digits-like letters misread
    (re.compile(r"(?<![\w/])[S5]/[B8R](?![\w/])\s*$"), "S/B"),
)


def _mended(doc: _Doc, name: str) -> str:
    """A company's name with its misread common words put right (``spelling.mend_name``)."""
    return mend_name(name, doc.printed_twice, doc.sign_languages)


def _clean_company(text: str) -> str:
    """The name without a registration number after it or an "owned by:" before it, and its
    legal form as printed when the OCR slipped on one of its letters."""
    out = _OWNER_PREFIX.sub("", _LOGO_PLACEHOLDER.sub("", text)).rstrip(" ,;")
    for _ in range(2):
        cut = _REG_SUFFIX.sub("", out)
        if cut == out or sum(ch.isalpha() for ch in cut) < 2:
            break
        out = cut
    out = out.strip(" ,-")
    for pattern, form in _LEGAL_FORM_OCR:
        if pattern.search(out):
            return pattern.sub(form, out)
    return out


# names put right from another reading of them (a receipt's merchant is left to its own path)
_REREAD_NAMES = ("supplier_name", "customer_name", "account_holder", "patient_name",
                 "practitioner_name", "sender_name")
_DOUBTFUL_OCR = 80.0  # a word read with less confidence may be put right
_JUNK_OCR = 45.0  # a receipt's top line read with less mean confidence is a logo, not its name


def _reread_name(doc: _Doc, f: ExtractedField) -> ExtractedField:
    """A name with a doubtful word ("Hôtel de la Gare Toulousg", the last word read at 63 %)
    put right from the same name printed elsewhere on the document and read with more
    confidence ("Hôtel de la Gare Toulouse" in the legal mentions, "Toulouse" at 93 %).

    Word for word: the other reading is a run of as many words, the sure words the same, each
    doubtful one a near spelling (one or two letters apart) read with clearly more confidence.
    """
    if f.bbox is None or not isinstance(f.value, str):
        return f
    tokens = f.value.split()
    box = f.bbox
    mine = [w for r in doc.rows_by_page.get(f.page or 0, []) for w in r.words
            if w.bbox.x0 >= box.x0 - 1 and w.bbox.x1 <= box.x1 + 1
            and w.bbox.y0 >= box.y0 - 1 and w.bbox.y1 <= box.y1 + 1]
    conf: list[float] = []
    for tok in tokens:
        word = next((w for w in mine if tok in w.text), None)
        if word is None:
            return f
        conf.append(word.confidence)
    doubtful = [i for i, c in enumerate(conf) if c < _DOUBTFUL_OCR and len(tokens[i]) >= 4]
    if not doubtful or len(doubtful) == len(tokens):
        return f
    n = len(tokens)
    mine_ids = {id(w) for w in mine}
    for row in doc.rows:
        words = row.words
        for start in range(0, len(words) - n + 1):
            window = words[start:start + n]
            if any(id(w) in mine_ids for w in window):
                continue
            texts = [w.text.strip(".,;:|") for w in window]
            if any(fold(texts[i]) != fold(tokens[i]) for i in range(n) if i not in doubtful):
                continue
            fixed = list(tokens)
            for i in doubtful:
                other = texts[i]
                if fold(other) == fold(tokens[i]):
                    continue
                d = Levenshtein.distance(fold(other), fold(tokens[i]))
                if not 1 <= d <= 2 or window[i].confidence < conf[i] + 15 or \
                        window[i].confidence < _DOUBTFUL_OCR:
                    break
                fixed[i] = other
            else:
                if fixed != tokens:
                    return f.model_copy(update={"value": " ".join(fixed)})
    return f


def _phrase_goes_on(c: Candidate) -> bool:
    """A name read at the start of a line that goes on, in the same column, with a word in
    lower case: the capitalised head of a phrase ("Buyer contact name"), not a name."""
    row = c.row
    h = max(row.height, 4.0)
    prev = c.words[-1]
    for w, st in zip(row.words, row.starts, strict=True):
        if st < c.end:
            continue
        if w.bbox.x0 - prev.bbox.x1 > 2.0 * h:
            return False
        return w.text[:1].islower()
    return False


def _inside_words(hit: LabelHit) -> bool:
    """A bare word inside a phrase, not a label: preceded by a word of its own column and not
    followed by a colon ("LE FOURNISSEUR", "Adresse du client" but not "Nom client :")."""
    row = hit.row
    if row.text[hit.end:].lstrip()[:1] in (":", "=", "-"):
        return False
    h = max(row.height, 4.0)
    before = [w for w, st in zip(row.words, row.starts, strict=True)
              if st + len(w.text) <= hit.start]
    if not before:
        return False
    last = before[-1]
    return hit.x0 - last.bbox.x1 < 1.5 * h and any(ch.isalpha() for ch in last.text) and \
        not last.text.rstrip().endswith((":", ",", ";"))


def _before_label(row: Row, s: int, e: int, words: tuple,
                  hits: Sequence[LabelHit]) -> tuple[int, int, tuple]:
    """A name that runs into the next column's label without a gap ("Remorquage du Parc
    Date : 12/08/2026"): the piece before the label, when the label is followed by a colon."""
    for hh in sorted(hits, key=lambda x: x.start):
        if not s < hh.start < e or not row.text[hh.end:].lstrip().startswith(":"):
            continue
        keep = [(w, st) for w, st in zip(row.words, row.starts, strict=True)
                if any(w is x for x in words) and st + len(w.text) <= hh.start]
        if keep:
            return s, keep[-1][1] + len(keep[-1][0].text), tuple(w for w, _ in keep)
    return s, e, words


def _continues_above(text: str) -> bool:
    """A name line that begins where the line above ends: it is (almost) only its legal form
    ("SDN BHD", "CO. (M) SDN BHD") or closes a parenthesis opened above ("ALAM) SDN BHD")."""
    low = fold(_clean_company(text))
    if text.count(")") > text.count("("):
        return True
    if not _has_legal_form(low):
        return False
    core = [t for t in _LEGAL_RE.sub(" ", low).split() if any(ch.isalpha() for ch in t)]
    core = [t for t in core if not re.fullmatch(r"\(\w{1,3}\)", t)]
    first = low.split()[0] if low.split() else ""
    return len(core) == 0 or bool(re.match(r"\s*(?:co\.?|&)\s", low)) or \
        bool(_LEGAL_RE.fullmatch(first))


def _join_above(above: Row, above_segs: list[tuple[int, int, tuple]], row: Row, start: int,
                words: tuple) -> tuple[str, tuple] | None:
    """The name line above joined to this one, when it is a short upper-case line right
    above it, centred with it, without digits (a rule read as "|" inside it, and a logo's
    specks read as small letters at its ends, "Fe POPULAR BOOK à", left out)."""
    if row.y0 - above.y1 > 1.0 * max(row.height, 4.0):
        return None
    up_words = [w for _, _, ws in above_segs for w in ws if any(ch.isalnum() for ch in w.text)]
    while up_words and _speck_word(up_words[0].text):
        up_words.pop(0)
    while up_words and _speck_word(up_words[-1].text):
        up_words.pop()
    if not up_words:
        return None
    up = " ".join(w.text for w in up_words)
    if any(ch.isdigit() for ch in up) or len(up.split()) > 5 or up.upper() != up:
        return None
    if _has_legal_form(fold(up)) and up.count("(") <= up.count(")"):
        return None
    mid_up = (up_words[0].bbox.x0 + up_words[-1].bbox.x1) / 2
    mid = (words[0].bbox.x0 + words[-1].bbox.x1) / 2
    if abs(mid_up - mid) > 0.25 * row.page_width:
        return None
    own = " ".join(w.text for w in words)
    return f"{up} {own}", tuple(up_words) + tuple(words)


def _speck_word(text: str) -> bool:
    """One or two marks read as small letters beside a name in capitals ("Fe", "à")."""
    return len(text) <= 2 and text.upper() != text


def _segments(row: Row, cut: frozenset[str] = frozenset()) -> list[tuple[int, int, tuple]]:
    """Pieces of a row separated by column gaps or ``cut`` words: (start, end, words)."""
    out: list[tuple[int, int, tuple]] = []
    h = max(row.height, 4.0)
    current: list[int] = []
    for i, w in enumerate(row.words):
        if w.text in cut:
            if current:
                out.append(_seg(row, current))
            current = []
            continue
        if current and w.bbox.x0 - row.words[current[-1]].bbox.x1 > 2.0 * h:
            out.append(_seg(row, current))
            current = []
        current.append(i)
        if w.text.endswith(",") and len(w.text) > 1:
            out.append(_seg(row, current))
            current = []
    if current:
        out.append(_seg(row, current))
    return out


def _seg(row: Row, idx: list[int]) -> tuple[int, int, tuple]:
    s = row.starts[idx[0]]
    e = row.starts[idx[-1]] + len(row.words[idx[-1]].text)
    return s, e, tuple(row.words[i] for i in idx)


__all__ = ["LayoutFieldExtractor"]
