"""The layout extractor's amounts: an invoice's totals (HT + TVA = TTC, or the VAT from its
printed rate), a receipt's total (``layout_receipts``), a claim's requested amount, the
currency and the payment method.
"""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import product

from extract.fields.candidates import Candidate
from extract.fields.layout import fold, union_box
from extract.fields.layout_doc import _confidence, _Doc, _field, _label_score, _pick, _Scored, _top
from extract.fields.layout_receipts import _receipt_totals
from extract.fields.lexicon import CHANGE_GIVEN, NOT_PAYMENT, PAYMENT_WORDS
from extract.normalize import parse_currency
from mailroom.models import DocType, ExtractedField

_NET_TO_PAY = frozenset(
    fold(p) for p in ("net à payer", "net a payer", "total à payer", "montant à payer",
                      "somme à payer", "amount due", "balance due", "total due", "montant dû",
                      "total dû", "zu zahlen", "te betalen", "total a pagar", "totale da pagare")
)


_NOT_TAXED = re.compile(
    r"\b(?:non soumise?s?|exoneree?s?|hors champ|sans tva|not subject|exempt|steuerfrei)\b"
)


def _vat_by_rate(doc: _Doc, due: Decimal) -> ExtractedField | None:
    """The VAT of an invoice that prints one tax line per rate and no total of them ("USt. 7 %
    auf 198,00 13,86" / "USt. 19 % auf 275,00 52,25"): the sum of each tax line's last
    amount, taken only where it is what the totals leave for tax (TTC - HT)."""
    taxes: list[Candidate] = []
    hits = doc.hits_of("vat_amount")
    if any("total" in h.phrase.split() for h in hits):
        return None  # the page prints the total of its taxes: nothing to add up
    for hit in hits:
        key = (hit.row.page, hit.row.index)
        if any(h.kinds & {"total_incl_tax", "total_excl_tax"} for h in doc.hits_by_row[key]):
            continue
        if _NOT_TAXED.search(fold(hit.row.text)):
            continue  # "taxe de séjour - non soumise à TVA 11,94": an amount without tax
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


def _amount_scores(doc: _Doc, field_name: str) -> list[_Scored]:
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


def _totals(doc: _Doc, doc_type: DocType) -> dict[str, ExtractedField]:
    ttc = [s for s in _amount_scores(doc, "total_incl_tax") if s.label > 0]
    ht = [s for s in _amount_scores(doc, "total_excl_tax") if s.label > 0]
    tva = [s for s in _amount_scores(doc, "vat_amount") if s.label > 0]
    if doc_type == DocType.RECEIPT:
        # a receipt's fields: its total only, chosen by how receipts are written
        ttc = _receipt_totals(doc, ttc, ht, tva)
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


def _requested_amount(doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
    scored = [s for s in _amount_scores(doc, name) if s.label > 0]
    return _pick(scored)


def _currency(doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
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
        return _implied_currency(doc)
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    code, v = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    c = where[code]
    conf = 0.6 + 0.35 * (v - runner) / v
    conf *= min(1.0, 0.5 + 0.5 * c.ocr / 90.0)
    return _field(c, round(min(conf, 0.99), 3))


def _implied_currency(doc: _Doc) -> ExtractedField | None:
    """Euros for a French document with amounts and no currency mark, placed on its total
    (or its first amount)."""
    if doc.languages[0] != "fr" or not doc.amounts:
        return None
    totals = {(h.row.page, h.row.index) for h in doc.hits_of("total_incl_tax")}
    on_total = [c for c in doc.amounts if (c.row.page, c.row.index) in totals]
    c = (on_total or doc.amounts)[0]
    return _field(Candidate("EUR", "currency", c.row, c.start, c.end, c.words), 0.55)


def _payment(doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
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
