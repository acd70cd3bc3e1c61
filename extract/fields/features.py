"""Candidates and their features, for the learned field rankers (``extract.fields.ranker``).

For a field, every value of its type on every page is a candidate: person-like spans of
capitalised words (the parts of a run of such words too, so "Domiciliation JEAN DUPONT" also
gives "JEAN DUPONT"), dates, amounts. Each candidate gets a numeric vector that says what a
reader would look at:

- how alike the words to its left, and the words just above it, are to each field's label
  vocabulary (``VOCABULARY``: the lexicon's phrases, fuzzy-matched on folded text so that OCR
  slips and dropped accents still match);
- the label that owns it by layout (right of it, below it, its column head) and how far;
- whether a label is glued inside its words, whether it is itself label text ("Nom Prénom");
- its font height against the page's, its place on the page, its block (header, the
  addressee's window, a table row, the footer, the signature after a closing formula);
- the validator's verdict, the OCR confidence, spaCy's entity tag;
- a civility or a doctor's title before it, a date-of-birth label near it, where a date stands
  among the document's dates and whether it opens or closes a period ("du ... au ...");
- whether the rule extractor (``layout_extractor``) chose it: the rules are one feature.

The same function serves training (on generated pages) and extraction, so the two cannot drift.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from extract.fields import candidates as cands
from extract.fields import spelling
from extract.fields.candidates import Candidate
from extract.fields.layout import Row, fold
from extract.fields.layout_doc import _Doc
from extract.fields.layout_parties import _CLOSING
from extract.fields.lexicon import AMOUNT, BY_KEY, DATE, NAME
from extract.normalize import fold_name
from mailroom.models import ExtractedField, FieldValue, format_value

#: The fields the rankers choose, and the type of value each takes.
RANKED_FIELDS: dict[str, str] = {
    "account_holder": NAME,
    "patient_name": NAME,
    "practitioner_name": NAME,
    "sender_name": NAME,
    "customer_name": NAME,
    "issue_date": DATE,
    "incapacity_start": DATE,
    "incapacity_end": DATE,
    "requested_amount": AMOUNT,
}

# label vocabularies the features measure a candidate's context against: the lexicon's kinds,
# and three roles the lexicon has no kind for (they own no value; their nearness matters)
_EXTRA: dict[str, tuple[str, ...]] = {
    "birth_date": ("date de naissance", "né le", "née le", "né(e) le", "né", "née", "né(e)",
                   "naissance", "ddn", "date de naiss", "date of birth", "birth date"),
    "bank_branch": ("domiciliation", "domiciliation bancaire", "agence", "banque",
                    "établissement", "guichet", "bank", "branch"),
    "form_name": ("nom prénom", "nom et prénom", "nom / prénom", "nom, prénom", "prénom nom",
                  "nom", "prénom", "name", "nom de naissance", "nom d'usage"),
    "civility": ("madame", "monsieur", "mme", "m.", "mademoiselle", "mlle"),
    "doctor_title": ("docteur", "dr", "dr.", "professeur", "pr"),
}
_KINDS = ("patient_name", "practitioner_name", "account_holder", "sender_name",
          "customer_name", "address", "issue_date", "incapacity_start", "incapacity_end",
          "invoice_date", "other_date", "requested_amount", "total_incl_tax",
          "amount_distractor", "iban", "dossier_reference")
VOCABULARY: dict[str, tuple[str, ...]] = {
    **{k: tuple(dict.fromkeys(fold(p) for p in BY_KEY[k].phrases)) for k in _KINDS},
    **{k: tuple(dict.fromkeys(fold(p) for p in v)) for k, v in _EXTRA.items()},
}
GROUPS: tuple[str, ...] = tuple(VOCABULARY)
_PHRASES: list[str] = [p for g in GROUPS for p in VOCABULARY[g]]
_GROUP_OF: np.ndarray = np.array([i for i, g in enumerate(GROUPS) for _ in VOCABULARY[g]])
_LABEL_WORDS: frozenset[str] = frozenset(
    w for g in GROUPS if g not in ("civility", "doctor_title") for p in VOCABULARY[g]
    for w in p.split() if len(w) >= 4
)
_NAME_LABELS = ("patient_name", "practitioner_name", "account_holder", "sender_name",
                "customer_name", "form_name", "bank_branch", "address")
_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")
_PERIOD_OPEN = frozenset({"du", "depuis", "compter", "partir", "from", "debut", "début"})
_PERIOD_CLOSE = frozenset({"au", "jusqu'au", "jusqu", "inclus", "to", "fin", "until"})
_MAX_NAME_TOKENS = 4

FEATURE_NAMES: tuple[str, ...] = (
    *(f"left_{g}" for g in GROUPS),
    *(f"above_{g}" for g in GROUPS),
    "own_right", "own_below", "own_column", "own_other", "own_strength", "label_gap",
    "glued_label", "glued_word", "is_label_text",
    "font_rel", "x_rel", "y_rel", "first_page", "last_page",
    "valid", "repaired", "ocr",
    "ent_per", "ent_org", "ent_loc",
    "in_header", "right_half", "in_footer", "after_closing", "table_row", "row_words",
    "row_letters",
    "civility_before", "title_before", "birth_on_row", "address_below",
    "years_before", "earliest", "latest", "date_rank", "cue_near", "opens_period",
    "closes_period",
    "log_amount", "largest_amount", "amount_share",
    "n_tokens", "upper_share", "has_particle", "n_chars", "run_start", "run_end", "run_whole",
    "common_words",
    "rule_pick",
)


# --------------------------------------------------------------------------- candidates


def _tokens(row: Row) -> list[tuple[int, str, int, int]]:
    """(word index, core text, start, end) of the row's words, punctuation stripped."""
    out = []
    for i, (w, s) in enumerate(zip(row.words, row.starts, strict=True)):
        m = _PUNCT.sub("", w.text)
        if not m:
            continue
        off = w.text.find(m)
        out.append((i, m, s + off, s + off + len(m)))
    return out


def name_candidates(rows: Sequence[Row]) -> list[tuple[Candidate, bool, bool, bool]]:
    """Person-like spans: 2 to 4 capitalised words in a run of such words (a civility, a
    title or a label may sit in the run; the spans without them are candidates too).
    Returns (candidate, starts its run, ends it, is the whole run)."""
    out: list[tuple[Candidate, bool, bool, bool]] = []
    for row in rows:
        toks = _tokens(row)
        h = max(row.height, 4.0)
        runs: list[list[tuple[int, str, int, int]]] = []
        cur: list[tuple[int, str, int, int]] = []
        prev_word = -1
        for t in toks:
            i, core, _, _ = t
            w = row.words[i]
            gap = cur and w.bbox.x0 - row.words[cur[-1][0]].bbox.x1 > 2.0 * h
            ok = cands._name_word(core, first=not cur) and not any(ch.isdigit() for ch in core)
            if cur and (not ok or gap or i != prev_word + 1):
                runs.append(cur)
                cur = []
                ok = cands._name_word(core, first=True)
            if ok:
                cur.append(t)
            prev_word = i
            if ok and row.words[i].text.rstrip().endswith((",", ";", ":", ".")) and \
                    fold(core) not in ("m", "dr", "mme", "pr"):
                runs.append(cur)
                cur = []
        if cur:
            runs.append(cur)
        for run in runs:
            n = len(run)
            for a in range(n):
                for b in range(a + 2, min(n, a + _MAX_NAME_TOKENS) + 1):
                    span = run[a:b]
                    low = [fold(t[1]) for t in span]
                    if low[0] in cands._PARTICLES or low[-1] in cands._PARTICLES or \
                            any(x in cands._CIVILITIES for x in low):
                        continue
                    s, e = span[0][2], span[-1][3]
                    words = row.words[span[0][0]:span[-1][0] + 1]
                    text = fold_name(" ".join(t[1] for t in span))
                    c = Candidate(text, NAME, row, s, e, tuple(words))
                    out.append((c, a == 0, b == n, a == 0 and b == n))
    return out


def _rule_candidate(doc: _Doc, f: ExtractedField, shape: str) -> Candidate | None:
    """The rule extractor's value as a candidate (its words found again by their box)."""
    if f.bbox is None or f.page is None:
        return None
    for row in doc.rows_by_page.get(f.page, []):
        ws = [(i, w) for i, w in enumerate(row.words)
              if w.bbox.x0 >= f.bbox.x0 - 0.5 and w.bbox.x1 <= f.bbox.x1 + 0.5
              and w.bbox.y0 >= f.bbox.y0 - 0.5 and w.bbox.y1 <= f.bbox.y1 + 0.5]
        if ws:
            i, j = ws[0][0], ws[-1][0]
            s, e = row.starts[i], row.starts[j] + len(row.words[j].text)
            return Candidate(f.value, shape, row, s, e, tuple(row.words[i:j + 1]))
    return None


# --------------------------------------------------------------------------- label likeness


@lru_cache(maxsize=20000)
def _likeness(text: str) -> tuple[float, ...]:
    """Per vocabulary group, how alike (0-1) the end of ``text`` is to one of its phrases."""
    toks = [t for t in (_PUNCT.sub("", x) for x in text.split()) if t]
    best = np.zeros(len(GROUPS))
    if not toks:
        return tuple(best)
    tails = list(dict.fromkeys(" ".join(toks[-m:]) for m in range(1, min(len(toks), 5) + 1)))
    scores = process.cdist(tails, _PHRASES, scorer=fuzz.ratio, workers=1)
    per_phrase = scores.max(axis=0) / 100.0
    np.maximum.at(best, _GROUP_OF, per_phrase)
    return tuple(float(x) for x in best)


@lru_cache(maxsize=20000)
def _label_text(text: str) -> float:
    """How alike a candidate's whole text is to a name label ("Nom Prénom")."""
    best = 0.0
    for g in _NAME_LABELS:
        m = process.extractOne(text, VOCABULARY[g], scorer=fuzz.ratio)
        if m is not None:
            best = max(best, m[1] / 100.0)
    return best


def _left_text(c: Candidate, doc: _Doc | None = None) -> str:
    """The words before the candidate on its row, back to a column gap (six at most); for a
    candidate that opens its row, the end of the sentence it continues on the row above
    ("Arrêt de travail du" / "07/02/2026 au 12/02/2026")."""
    row = c.row
    if doc is not None and c.start == 0:
        return _wrapped_text(doc, c)
    h = max(row.height, 4.0)
    i, _ = row.word_range(c.start, c.end)
    out: list[str] = []
    prev_x0 = c.x0
    w0 = row.words[i] if 0 <= i < len(row.words) else None
    # a label glued in the first word ("Titulaire:DUPONT") counts as left text
    if w0 is not None:
        s0 = row.starts[i]
        if c.start > s0:
            out.append(w0.text[:c.start - s0])
    for k in range(i - 1, -1, -1):
        w = row.words[k]
        if prev_x0 - w.bbox.x1 > 3.0 * h or len(out) >= 6:
            break
        out.insert(0, w.text)
        prev_x0 = w.bbox.x0
    return fold(" ".join(out))


def _wrapped_text(doc: _Doc, c: Candidate) -> str:
    """The last words (six at most) of the row above when the candidate's row goes on with
    its sentence: the row above ends without a stop, starts at the same margin and ends
    right of the candidate's start, a line apart."""
    row = c.row
    page_rows = doc.rows_by_page.get(row.page, [])
    h = max(row.height, 4.0)
    if not 0 < row.index < len(page_rows) + 1:
        return ""
    above = page_rows[row.index - 1]
    if row.y0 - above.y1 > 1.5 * h or abs(above.x0 - row.x0) > 2 * h or \
            above.x1 < c.x1 or above.text.rstrip()[-1:] in (".", ":", "!", "?", ";"):
        return ""
    return fold(" ".join(w.text for w in above.words[-6:]))


def _above_text(doc: _Doc, c: Candidate) -> str:
    """The words of the row just above that stand over the candidate (its label above)."""
    row = c.row
    page_rows = doc.rows_by_page.get(row.page, [])
    h = max(row.height, 4.0)
    if row.index == 0 or row.index > len(page_rows):
        return ""
    above = page_rows[row.index - 1]
    if row.y0 - above.y1 > 2.5 * h:
        return ""
    ws = [w.text for w in above.words
          if w.bbox.x1 > c.x0 - 2 * h and w.bbox.x0 < max(c.x1, c.x0 + 12 * h)]
    if not ws and above.x1 < c.x0 and c.x0 - above.x1 < 8 * h:
        ws = [w.text for w in above.words]  # a block indented under its heading label
    return fold(" ".join(ws))


def _common_share(tokens: Sequence[str]) -> float:
    """The share of a name's words that are common words of a dictionary ("BANQUE
    POPULAIRE" 1, "Claire DUBOIS" 0.5, "QONTO" 0): most surnames are in none."""
    if not tokens:
        return 0.0
    return sum(spelling.is_common(t) for t in tokens) / len(tokens)


_POSTCODE_TOWN = re.compile(r"(?<!\d)\d{5}\s+[A-Za-zÀ-ÿ]")
_STREET = re.compile(r"^\d{1,4}\s*(?:bis|ter)?\s*,?\s*(?:rue|av|avenue|bd|boulevard|chemin|all[ée]e"
                     r"|place|route|impasse|quai|za|zi|cours)\b", re.IGNORECASE)


def _address_below(doc: _Doc, c: Candidate) -> float:
    """1 when the lines under the candidate, in its column, are a street and a postcode and
    town (a name heading its address block), 0.5 for one of them."""
    row = c.row
    page_rows = doc.rows_by_page.get(row.page, [])
    h = max(row.height, 4.0)
    found = 0.0
    prev = row
    for k in range(row.index + 1, min(len(page_rows), row.index + 4)):
        below = page_rows[k]
        if below.y0 - prev.y1 > 1.5 * h:
            break
        prev = below
        ws = [w.text for w in below.words if abs(w.bbox.x0 - c.x0) < 3 * h or
              (w.bbox.x0 > c.x0 - h and w.bbox.x0 < c.x1)]
        text = " ".join(ws)
        if _POSTCODE_TOWN.search(text):
            return 1.0
        if _STREET.search(text):
            found = 0.5
    return found


# --------------------------------------------------------------------------- features


@dataclass
class DocFeatures:
    """What the features of one document's candidates share (computed once per document)."""

    doc: _Doc
    median_height: float
    dates_sorted: list[date]
    median_date: date | None
    max_amount: Decimal
    closing_at: tuple[int, int] | None
    cue_rows: set[tuple[int, int]]

    @classmethod
    def of(cls, doc: _Doc) -> DocFeatures:
        heights = [w.bbox.y1 - w.bbox.y0 for r in doc.rows for w in r.words] or [10.0]
        dates = sorted(c.value for c in doc.dates if isinstance(c.value, date))
        amounts = [abs(c.value) for c in doc.amounts if isinstance(c.value, Decimal)]
        closing = [r for r in doc.rows if _CLOSING.search(r.text)]
        return cls(
            doc=doc,
            median_height=statistics.median(heights),
            dates_sorted=dates,
            median_date=dates[len(dates) // 2] if dates else None,
            max_amount=max(amounts, default=Decimal(0)),
            closing_at=(closing[-1].page, closing[-1].index) if closing else None,
            cue_rows={(h.row.page, h.row.index) for h in doc.hits_of("incapacity_cue")},
        )


def candidates_for(doc: _Doc, field_name: str, rule: ExtractedField | None
                   ) -> tuple[list[Candidate], list[tuple[bool, bool, bool]]]:
    """The field's candidates on the document, the rule extractor's choice among them."""
    shape = RANKED_FIELDS[field_name]
    runs: list[tuple[bool, bool, bool]] = []
    pool: list[Candidate]
    if shape == NAME:
        found = name_candidates(doc.rows)
        pool = [c for c, *_ in found]
        runs = [(a, b, w) for _, a, b, w in found]
    elif shape == DATE:
        pool = list(doc.dates)
        runs = [(True, True, True)] * len(pool)
    else:
        pool = list(doc.amounts)
        runs = [(True, True, True)] * len(pool)
    if rule is not None and not any(_same(c, rule) for c in pool):
        extra = _rule_candidate(doc, rule, shape)
        if extra is not None:
            pool.append(extra)
            runs.append((True, True, True))
    return pool, runs


def same_reading(a: FieldValue, b: FieldValue) -> bool:
    """Two values read alike, case, accents and spaces aside ("PERRIN Emilie" where OCR
    lost an accent that the rules put back from a surer reading elsewhere)."""
    return " ".join(fold(format_value(a)).split()) == \
        " ".join(fold(format_value(b)).split())


def _same(c: Candidate, f: ExtractedField) -> bool:
    return f.page == c.row.page and same_reading(c.value, f.value)


def feature_matrix(doc: _Doc, field_name: str, pool: Sequence[Candidate],
                   runs: Sequence[tuple[bool, bool, bool]], rule: ExtractedField | None,
                   shared: DocFeatures, *, entities: bool = True) -> np.ndarray:
    """One row of ``FEATURE_NAMES`` per candidate."""
    if not pool:
        return np.zeros((0, len(FEATURE_NAMES)))
    from extract.fields.lexicon import FIELD_LABELS

    weights = FIELD_LABELS.get(field_name, {})
    ents = doc.entities(list({(c.row.page, c.row.index): c.row for c in pool}.values())) \
        if entities and RANKED_FIELDS[field_name] == NAME else {}
    by_row = doc.by_row(pool)
    first = min(p.number for p in doc.pages)
    last = max(p.number for p in doc.pages)
    rows_out = [
        _candidate_row(doc, field_name, c, run, rule, shared, weights, ents, by_row, first, last)
        for c, run in zip(pool, runs, strict=True)
    ]
    return np.asarray(rows_out, dtype=float)


def _candidate_row(doc: _Doc, field_name: str, c: Candidate, run: tuple[bool, bool, bool],
                   rule: ExtractedField | None, shared: DocFeatures, weights: dict[str, float],
                   ents: dict[tuple[int, int], list[tuple[str, int, int]]],
                   by_row: dict[tuple[int, int], list[Candidate]], first: int,
                   last: int) -> tuple[float, ...]:
    """The ``FEATURE_NAMES`` values of one candidate."""
    r_start, r_end, r_whole = run
    row = c.row
    key = (row.page, row.index)
    h = max(row.height, 4.0)
    left = _likeness(_left_text(c, doc))
    above = _likeness(_above_text(doc, c))
    own = cands.owner_of(c, doc.hits_by_row, doc.rows_by_page, by_row)
    own_w = max((weights.get(k, 0.0) for k in own.hit.kinds), default=0.0) \
        if own.hit is not None else 0.0
    rel = own.relation if own_w > 0 else None
    gap = 0.0
    if own.hit is not None:
        gap = (c.x0 - own.hit.x1) / h if own.relation == "right" else \
            (row.y0 - own.hit.row.y1) / h
    hits = doc.hits_by_row.get(key, [])
    glued = any(x.start < c.end and c.start < x.end for x in hits)
    low_tokens = [fold(_PUNCT.sub("", t)) for t in row.text[c.start:c.end].split()]
    glued_word = any(t in _LABEL_WORDS for t in low_tokens)
    text = format_value(c.value)
    is_label = _label_text(fold(text)) if RANKED_FIELDS[field_name] == NAME else 0.0
    wh = statistics.median(w.bbox.y1 - w.bbox.y0 for w in c.words)
    e_per = e_org = e_loc = 0.0
    for lbl, s, e in ents.get(key, []):
        if s < c.end and c.start < e:
            e_per = max(e_per, float(lbl == "PER"))
            e_org = max(e_org, float(lbl == "ORG"))
            e_loc = max(e_loc, float(lbl == "LOC"))
    y_rel = doc.rel_y(row)
    before = row.text[:c.start].split()
    prev_tok = fold(before[-1].strip(",:;")) if before else ""
    civility = prev_tok in cands._CIVILITIES and prev_tok not in ("dr", "dr.", "docteur",
                                                                   "pr", "pr.")
    if not before and row.index > 0:
        prev_row = doc.rows_by_page[row.page][row.index - 1]
        last_tok = fold(prev_row.text.split()[-1].strip(",:;")) if prev_row.text else ""
        civility = civility or last_tok in ("madame", "monsieur", "mme", "mlle")
    title = prev_tok in ("dr", "dr.", "docteur", "pr", "pr.", "professeur")
    address_below = _address_below(doc, c) if RANKED_FIELDS[field_name] == NAME else 0.0
    row_likeness = _likeness(fold(row.text[:c.start]))
    birth_on_row = max(row_likeness[GROUPS.index("birth_date")],
                       left[GROUPS.index("birth_date")])
    # dates
    years_before = earliest = latest = rank = 0.0
    opens = closes = 0.0
    if isinstance(c.value, date) and shared.dates_sorted:
        ds = shared.dates_sorted
        ref = shared.median_date or c.value
        years_before = max(min((ref - c.value).days / 365.0, 60.0), -5.0)
        earliest = float(c.value == ds[0])
        latest = float(c.value == ds[-1])
        rank = ds.index(c.value) / max(len(ds) - 1, 1)
        prev_words = [fold(t.strip(",:;")) for t in before[-3:]]
        opens = float(any(t in _PERIOD_OPEN for t in prev_words))
        closes = float(bool(prev_words) and prev_words[-1] in _PERIOD_CLOSE)
    cue = any((row.page, row.index - k) in shared.cue_rows for k in range(0, 3))
    log_amount = largest = share = 0.0
    if isinstance(c.value, Decimal):
        v = abs(c.value)
        log_amount = math.log10(float(v) + 1.0)
        largest = float(v == shared.max_amount)
        share = float(v / shared.max_amount) if shared.max_amount else 0.0
    letters = sum(ch.isalpha() for ch in row.text) / max(len(row.text), 1)
    name_toks = text.split()
    upper = sum(1 for t in name_toks if cands._is_upper(t)) / max(len(name_toks), 1)
    after_closing = shared.closing_at is not None and row.page == shared.closing_at[0] \
        and 0 < row.index - shared.closing_at[1] <= 4
    amounts_on_row = len(doc.amounts_by_row.get(key, []))
    return (
        *left, *above,
        float(rel == "right"), float(rel == "below"), float(rel == "column"),
        float(own.hit is not None and own_w <= 0),
        own.hit.strength if own.hit is not None else 0.0, min(gap, 50.0),
        float(glued), float(glued_word), is_label,
        wh / max(shared.median_height, 1.0), c.x0 / max(row.page_width, 1.0), y_rel,
        float(row.page == first), float(row.page == last),
        float(c.valid), float(c.repaired), c.ocr / 100.0,
        e_per, e_org, e_loc,
        float(y_rel < 0.25 and row.page == first), float(c.x0 > 0.5 * row.page_width),
        float(y_rel > 0.85), float(after_closing),
        float(amounts_on_row >= 2 or len(hits) >= 3), float(len(row.words)), letters,
        float(civility), float(title), birth_on_row, address_below,
        years_before, earliest, latest, rank, float(cue), opens, closes,
        log_amount, largest, share,
        float(len(name_toks)), upper,
        float(any(t.lower() in cands._PARTICLES for t in name_toks)), float(len(text)),
        float(r_start), float(r_end), float(r_whole),
        _common_share(name_toks) if RANKED_FIELDS[field_name] == NAME else 0.0,
        float(rule is not None and _same(c, rule)),
    )
