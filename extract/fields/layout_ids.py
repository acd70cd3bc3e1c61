"""The layout extractor's identifiers: SIRET, SIREN, VAT number, IBAN, BIC, a practitioner's
number, a vehicle's plate, and the codes after their label (invoice, dossier and policy
numbers), on the label's row or the rows below it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from extract.fields import candidates as cands
from extract.fields.candidates import Candidate
from extract.fields.layout import Row
from extract.fields.layout_doc import _REL_FACTOR, _Doc, _label_score, _of_kinds, _pick, _Scored
from extract.fields.layout_parties import (
    _ISSUER_MENTION,
    _NUMBER_SIGN,
    _customer_penalty,
    _customer_zone,
)
from extract.fields.lexicon import CODE, FIELD_LABELS
from extract.fields.nlp import LabelHit
from extract.identifiers import bic_registered, fr_vat_from_siren, siren_valid
from extract.normalize import normalize_reference
from mailroom.models import DocType, ExtractedField

_HEADER_ROW_LABELS = 3  # labels in a row that make it a table's row of column heads


def _siret(doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
    pool = cands.siret_candidates(doc.rows)
    if not pool:
        return None
    vats = {c.value for c in cands.vat_candidates(doc.rows) if c.valid}
    customer = _customer_zone(doc, blocks=True)
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


def _siren(doc: _Doc, name: str, t: DocType) -> ExtractedField | None:
    """The seller's SIREN, from every place it shows: printed as such ("SIREN ...",
    "RCS Lyon B 732 829 320"), as the first 9 digits of a SIRET (whose own key may be
    wrong), or inside a French VAT number (FR + key + SIREN, the key checked). Each
    SIREN's sources add up: one printed in the legal mentions (capital, RCS, APE) counts
    more, one in the customer's block counts against, and agreeing with the seller's
    SIRET or VAT number as their own fields chose them counts more again."""
    customer = _customer_zone(doc, blocks=True)
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
    siret = _siret(doc, "supplier_siret", t)
    vat = _vat_number(doc, "supplier_vat_number", t)
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


def _vat_number(doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
    pool = cands.vat_candidates(doc.rows)
    if not pool:
        return None
    sirens = {str(c.value)[:9] for c in cands.siret_candidates(doc.rows) if c.valid}
    sirens |= cands.siren_values(doc.rows)
    customer = _customer_zone(doc, blocks=True)
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


def _iban(doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
    pool = cands.iban_candidates(doc.rows)
    scored = []
    for c in pool:
        lab = _label_score(name, doc.owner(c, pool))
        if lab < 0 or (not c.valid and lab <= 0):
            continue
        scored.append(_Scored(c, lab + (0.5 if c.valid else 0.0), lab))
    return _pick(scored)


def _bic(doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
    pool = cands.bic_candidates(doc.rows)
    scored = []
    bic_rows = {(h.row.page, h.row.index) for h in doc.hits_of("bic")}
    for c in pool:
        lab = _label_score(name, doc.owner(c, pool))
        if lab <= 0 and (c.row.page, c.row.index) in bic_rows:
            lab = 0.5
        elif lab == 0 and not c.repaired and bic_registered(str(c.value)):
            # unlabelled (its label under it, or none) but a bank the registry knows, as
            # printed: no word of a page is one by chance
            lab = 0.3
        if lab > 0:
            scored.append(_Scored(c, lab, lab))
    return _pick(scored)


def _practitioner_id(doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
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


def _plate(doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
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


def _code(doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
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
            scored += _code_next_line(doc, hit, w, name)
        if hit.strength < 1.0 and not any(c.row is hit.row for c in found):
            scored += _numbered_below(doc, hit, w, name)
    return _pick(scored)


def _code_next_line(doc: _Doc, hit: LabelHit, weight: float,
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


def _numbered_below(doc: _Doc, hit: LabelHit, weight: float,
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
                    bare = _bare_number_below(doc, hit, below, i, weight, name)
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


def _bare_number_below(doc: _Doc, hit: LabelHit, below: Row, i: int, weight: float,
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
