"""The layout extractor's dates: each date field's label, its place, the periods ("du X au
Y"), and the receipt dates OCR cut with spaces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from extract.fields import candidates as cands
from extract.fields.candidates import Candidate
from extract.fields.layout import Row
from extract.fields.layout_doc import _Doc, _label_score, _pick, _Scored
from mailroom.models import DocType, ExtractedField

_PERIOD_JOIN = re.compile(r"^\s*(?:au|à|a|to|till|until|-|–|bis|al|hasta|tot|t/m)\s*$",
                          re.IGNORECASE)


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


def _date(doc: _Doc, name: str, doc_type: DocType) -> ExtractedField | None:
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
