"""The layout extractor's parties: people's names (after their label, in the addressee block,
under a letter's closing, spaCy's entities), the company's name (letterhead, legal mentions,
party blocks), the customer's zone, and the names' cleaning and re-reading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

from extract.fields import candidates as cands
from extract.fields.candidates import Candidate
from extract.fields.layout import Row, fold
from extract.fields.layout_doc import _REL_FACTOR, _Doc, _of_kinds, _pick, _Scored
from extract.fields.lexicon import (
    AREA_WORDS,
    BUILDING_WORDS,
    FIELD_LABELS,
    LEGAL_FORMS,
    NAME,
    STREET_WORDS,
)
from extract.fields.nlp import LabelHit
from extract.fields.spelling import mend_name
from extract.normalize import fold_name
from mailroom.models import DocType, ExtractedField

_AREA_WORDS = frozenset(fold(w) for w in AREA_WORDS)
_ADDRESS_WORDS = frozenset(fold(w) for w in (*STREET_WORDS, *BUILDING_WORDS)) | _AREA_WORDS
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


def _customer_penalty(zone: dict[tuple[int, int], float], c: Candidate) -> float:
    """An identifier printed in the customer's address block (``_customer_zone``) is the
    customer's, not the issuer's."""
    return 0.5 if c.x0 >= zone.get((c.row.page, c.row.index), float("inf")) else 0.0


def _anchored_names(doc: _Doc, name: str) -> list[_Scored]:
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


def _person(doc: _Doc, name: str, doc_type: DocType) -> ExtractedField | None:
    scored = _anchored_names(doc, name)
    if name == "sender_name" and not scored:
        scored = _signature(doc) + _ner_people(doc, name)
    if name == "practitioner_name" and not scored:
        scored = _ner_people(doc, name)
    if name == "customer_name":
        scored += [sc for sc, _ in _addressee_blocks(doc)]
    return _pick(scored)


def _addressee_blocks(doc: _Doc) -> list[tuple[_Scored, set[tuple[int, int]]]]:
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


def _signature(doc: _Doc) -> list[_Scored]:
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


def _ner_people(doc: _Doc, name: str) -> list[_Scored]:
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


def _company(doc: _Doc, name: str, _t: DocType) -> ExtractedField | None:
    anchored = _anchored_names(doc, name)
    first = min(p.number for p in doc.pages)
    rows = [r for r in doc.rows_by_page.get(first, []) if doc.rel_y(r) < 0.4][:14]
    if not rows:
        return None
    heights = sorted(w.bbox.y1 - w.bbox.y0 for r in doc.rows_by_page[first] for w in r.words)
    median_h = heights[len(heights) // 2] or 1.0
    mentions = _legal_mentions(doc)
    mentioned = {fold(str(m.cand.value)) for m in mentions}
    customer_zone = _customer_zone(doc, blocks=name == "supplier_name")
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
            if any(a < e and s < b for a, b in cands.phone_or_postcode_spans(r)) or (
                    not _has_legal_form(low) and _inside_address(rows, rank)):
                score -= 0.7  # its postcode or telephone, or the area line of an address
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
    return _pick(_party_blocks(doc, scored + anchored + mentions), 0.3)


def _party_blocks(doc: _Doc, scored: list[_Scored]) -> list[_Scored]:
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


def _legal_mentions(doc: _Doc) -> list[_Scored]:
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


def _customer_zone(doc: _Doc, *, blocks: bool = False) -> dict[tuple[int, int], float]:
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
        for sc, block in _addressee_blocks(doc):
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


def _address_like(low: str, toks: set[str], digits: int) -> bool:
    """A street line: an address word with a number, or starting the line ("Rue ...");
    "Le Bistrot de la Place" is a name."""
    if not toks & _ADDRESS_WORDS:
        return False
    words = low.split()
    # a street type opens its line ("Rue ..."); an area word may close it ("Riverside Estate")
    return digits > 0 or words[0] in _ADDRESS_WORDS or words[-1] in _AREA_WORDS


_NUMBERED = re.compile(r"^\s*\d{1,5}[a-z]?\b[\s,]+\D")


def _street_row(row: Row) -> bool:
    """A street line: a number with an address word, or a line opened by a house number
    ("12 Hillside Road", "No. 4, Lorong ...")."""
    low = fold(row.text)
    toks = set(re.split(r"[\s,]+", low))
    digits = sum(ch.isdigit() for ch in low)
    return digits > 0 and (_address_like(low, toks, digits) or bool(_NUMBERED.match(low)))


def _inside_address(rows: list[Row], rank: int) -> bool:
    """A line between a street line above and the postcode-and-town or telephone line below
    is part of the address (a housing estate, a district, a village), whatever its words and
    its language, where the shop's name above may be a logo nobody read."""
    if rank == 0 or rank + 1 >= len(rows):
        return False
    return _street_row(rows[rank - 1]) and bool(cands.phone_or_postcode_spans(rows[rank + 1]))


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
    specks read as small letters at its ends, "Fe MERIDIAN BOOKS à", left out)."""
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
