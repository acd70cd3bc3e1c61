"""The layout extractor's receipt totals, as receipts are written: the total is what was
tendered less the change given, or the subtotal plus its tax, or the total after a cash
rounding; a total whose decimal point OCR read apart or lost is read again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from extract.fields import candidates as cands
from extract.fields.candidates import Candidate
from extract.fields.layout import Row, fold
from extract.fields.layout_doc import _MIN_SCORE, _Doc, _label_score, _Scored

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


def _receipt_total_rows(doc: _Doc, ttc: list[_Scored]) -> list[_Scored]:
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


def _rounded_totals(doc: _Doc, scored: list[_Scored],
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


@dataclass
class _TillReading:
    """What a receipt's payment and tax lines say its total is."""

    tendered: list[Candidate]
    change: list[Candidate]
    #: the totals the payment lines and the tax lines imply
    expected: set[Decimal] = field(default_factory=set)
    #: the total each payment line implies, and where
    paid: dict[Decimal, Candidate] = field(default_factory=dict)
    #: what confirms a total read once with a digit wrong: tendered less change, or the
    #: subtotal plus a tax (an exact payment alone could be the misread one)
    witnesses: set[Decimal] = field(default_factory=set)
    #: each subtotal plus a tax below it
    summed: set[Decimal] = field(default_factory=set)
    rounding: list[tuple[int, int]] = field(default_factory=list)
    first_pay: tuple[int, int] | None = None
    first_summary: tuple[int, int] | None = None
    printed: dict[Decimal, int] = field(default_factory=dict)

    @property
    def last_rounding(self) -> tuple[int, int] | None:
        return max(self.rounding) if self.rounding else None


def _payment_lines(doc: _Doc) -> _TillReading:
    """The amounts tendered and the change given, read off their lines."""
    pool = doc.amounts
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
    return _TillReading(tendered, change)


def _paid_totals(till: _TillReading) -> None:
    """The totals the payment lines imply: each change given pairs with the payment line
    nearest above it ("Cash 8.60", "Tendered 9.00", "Change 0.40": the tendered 9.00, not the
    cash method's 8.60); paid exactly, by card or cash, what was paid is the total."""
    for ch in till.change:
        above = [t for t in till.tendered
                 if (t.row.page, t.row.index) < (ch.row.page, ch.row.index)]
        if not above:
            continue
        t = max(above, key=lambda t: (t.row.page, t.row.index, t.start))
        diff = Decimal(str(t.value)) - Decimal(str(ch.value))
        if diff > 0:
            till.expected.add(diff)
            if _ends_row(t) and _ends_row(ch):
                till.paid.setdefault(diff, t)
    till.witnesses = set(till.expected)
    if not till.change:
        for t in till.tendered:
            if Decimal(str(t.value)) > 0:
                till.expected.add(Decimal(str(t.value)))
                till.paid.setdefault(Decimal(str(t.value)), t)


def _taxed_sums(doc: _Doc, till: _TillReading, ht: list[_Scored], tva: list[_Scored]) -> None:
    """Each subtotal plus a tax printed below it, the rounding lines, and where the payment
    lines and the tax summary start."""
    till.rounding = [(h.row.page, h.row.index) for h in doc.hits if h.phrase in _ROUNDING]
    for b in ht:
        for v in tva:
            if (v.cand.row.page, v.cand.row.index) >= (b.cand.row.page, b.cand.row.index):
                total = Decimal(str(b.cand.value)) + Decimal(str(v.cand.value))
                till.summed.add(total)
                if Decimal(str(v.cand.value)) > 0 and till.last_rounding is None:
                    till.witnesses.add(total)
    pay_rows = [(c.row.page, c.row.index) for c in till.tendered + till.change]
    till.first_pay = min(pay_rows) if pay_rows else None
    summaries = [(r.page, r.index) for r in doc.rows if _TAX_SUMMARY.search(r.text)]
    till.first_summary = min(summaries) if summaries else None
    for c in doc.amounts:
        till.printed[Decimal(str(c.value))] = till.printed.get(Decimal(str(c.value)), 0) + 1


def _trust_printed_twice(till: _TillReading, labelled: list[_Scored]) -> None:
    """A total printed twice alike ("Sub-total 17.70", "Total Incl GST 17.70") outweighs
    tendered less change whose digits OCR read once, and one apart ("50.10" - "33.00") (a
    subtotal printed twice, over the item's line, is as good a witness: a till's total is its
    subtotal but for a rounding)."""
    twice = {Decimal(str(s.cand.value)) for s in labelled
             if s.label >= 0.6 and till.printed.get(Decimal(str(s.cand.value)), 0) >= 2}
    for e in list(till.expected):
        alike = [v for v in twice if _one_digit_apart(v, e)]
        if till.printed.get(e, 0) < 2 and len(alike) == 1:
            till.expected.discard(e)
            till.expected.add(alike[0])


def _rescored_totals(doc: _Doc, till: _TillReading, ttc: list[_Scored]) -> list[_Scored]:
    """The labelled totals, rescored by where they stand and what the till's lines say."""
    out: list[_Scored] = []
    first_pay, last_rounding = till.first_pay, till.last_rounding
    for s in ttc:
        score = s.score
        key = (s.cand.row.page, s.cand.row.index)
        if first_pay is not None and key > first_pay:
            score -= 0.5
        elif till.first_summary is not None and key > till.first_summary:
            score -= 0.3  # the tax summary's "Total": bases and taxes
        cand = s.cand
        if cand.value in till.expected:
            score += 1.0
        elif cand.value in till.summed and last_rounding is None:
            score += 0.5
        elif s.label >= 0.6 and (first_pay is None or key < first_pay) and \
                till.printed.get(Decimal(str(cand.value)), 0) < 2:
            # a total printed once, whose digits OCR misread ("55.20" for 53.20): what
            # was tendered less the change, or the subtotal plus its tax, says which
            confirmed = [v for v in till.witnesses if _one_digit_apart(cand.value, v)]
            if len(confirmed) == 1:
                cand = replace(cand, value=confirmed[0], repaired=True)
                score += 0.8 if confirmed[0] in till.expected else 0.4
        if last_rounding is not None and key > last_rounding and \
                (first_pay is None or key < first_pay):
            score += 0.4  # the total after the rounding line
        out.append(_Scored(cand, score, s.label))
    return out


def _expected_amounts(doc: _Doc, till: _TillReading, ttc: list[_Scored]) -> list[_Scored]:
    """An amount equal to the expected total, above the payment lines, unlabeled or with a
    label OCR cut short ("TO : 73.00")."""
    if not (till.expected or till.summed):
        return []
    pool = doc.amounts
    seen = {(s.cand.row.page, s.cand.row.index, s.cand.start) for s in ttc}
    out: list[_Scored] = []
    for c in pool:
        key = (c.row.page, c.row.index)
        if (*key, c.start) in seen or c.value not in till.expected | till.summed:
            continue
        if till.first_pay is not None and key >= till.first_pay:
            continue
        own = doc.owner(c, pool)
        if own.hit is not None and own.hit.phrase in _CHANGE | _TENDERED:
            continue
        if c.value not in till.expected and _label_score("total_incl_tax", own) < 0:
            continue  # tendered less change is the total whatever its label says
        base = 1.3 if c.value in till.expected else 0.8
        out.append(_Scored(c, base + 0.1 * doc.rel_y(c.row), 0.3))
    return out


def _unread_totals(doc: _Doc, till: _TillReading, ttc: list[_Scored], ht: list[_Scored],
                   tva: list[_Scored], out: list[_Scored]) -> list[_Scored]:
    """Totals OCR did not read as amounts: a total whose point OCR lost, as what was paid, a
    subtotal plus tax or the sum of two partial totals ("6% supplies 40.18", "0% supplies
    25.32", "Payable 6550") say; a grand total left unread; and, no total read, what two
    witnesses agree on: the subtotal plus its tax (plus the rounding printed) is what was paid
    less the change ("Total 17.93", "GST 1.08", "Rounding -0.01", the totals' amounts lost,
    "Cash 19.00", "Change 0.00")."""
    labelled = sorted({Decimal(str(x.cand.value)) for x in ttc + ht if x.label >= 0.6})
    parts = {a + b for i, a in enumerate(labelled) for b in labelled[i + 1:]}
    found = [_Scored(c, 1.3 + 0.1 * doc.rel_y(c.row), 0.6) for c in _lost_point_totals(
        doc, till.expected | till.summed | parts, till.first_pay)]
    found.extend(_Scored(c, 1.0 + 0.1 * doc.rel_y(c.row), 0.3)
                 for c in _unread_grand_totals(doc, till.first_pay))
    rounding_rows = set(till.rounding)
    adjustments = {Decimal(0)} | {
        Decimal(str(c.value)) for c in doc.amounts
        if (c.row.page, c.row.index) in rounding_rows and
        Decimal(0) < abs(Decimal(str(c.value))) < Decimal("0.10")}
    read_values = {Decimal(str(x.cand.value)) for x in out + found}
    taxed = till.summed | {
        Decimal(str(b.cand.value)) + Decimal(str(v.cand.value)) for b in ttc for v in tva
        if (v.cand.row.page, v.cand.row.index) > (b.cand.row.page, b.cand.row.index)}
    for value, t in till.paid.items():
        if value not in read_values and any(
                b + a == value for b in taxed for a in adjustments):
            found.append(_Scored(replace(t, value=value, repaired=value != t.value),
                                 1.2 + 0.1 * doc.rel_y(t.row), 0.3))
    return found


def _last_resort_totals(doc: _Doc, till: _TillReading, ht: list[_Scored],
                        out: list[_Scored]) -> list[_Scored]:
    """No total read: what was paid less the change given; no total and no payment read,
    the subtotal above the payment lines (a till's total is its subtotal but for a
    rounding), given with little confidence so that a person checks it."""
    if any(s.score >= _MIN_SCORE for s in out):
        return []
    if len(till.paid) == 1:
        value, t = next(iter(till.paid.items()))
        return [_Scored(replace(t, value=value, repaired=value != t.value), 0.9, 0.3)]
    if till.paid:
        return []
    found: list[_Scored] = []
    for b in ht:
        key = (b.cand.row.page, b.cand.row.index)
        own = doc.owner(b.cand, doc.amounts)
        if own.hit is not None and _SUBTOTAL.search(own.hit.phrase) and \
                (till.first_pay is None or key < till.first_pay):
            found.append(_Scored(b.cand, _MIN_SCORE + 0.05 * doc.rel_y(b.cand.row), 0.0))
    if not out and not found:  # ... its cents read apart ("SubTotal 25. .00")
        found.extend(_Scored(c, _MIN_SCORE + 0.05 * doc.rel_y(c.row), 0.0)
                     for c in _split_subtotals(doc, till.first_pay))
    return found


def _receipt_totals(doc: _Doc, ttc: list[_Scored], ht: list[_Scored],
                    tva: list[_Scored]) -> list[_Scored]:
    """A receipt's total candidates, rescored by how receipts are written: the total is
    what was tendered less the change given, or the subtotal plus its tax; it comes
    before the payment lines (a tax summary below them repeats bases, not the total)."""
    ttc = ttc + _receipt_total_rows(doc, ttc)
    till = _payment_lines(doc)
    _paid_totals(till)
    _taxed_sums(doc, till, ht, tva)
    _trust_printed_twice(till, ttc + ht)
    out = _rescored_totals(doc, till, ttc)
    out += _expected_amounts(doc, till, ttc)
    out += _unread_totals(doc, till, ttc, ht, tva, out)
    out += _last_resort_totals(doc, till, ht, out)
    return out + _rounded_totals(doc, out, till.first_pay)
