"""Candidate values on a page's rows and the labels that own them.

A candidate is a value of the right shape (an amount, a date, a SIRET...) found in a row's
text, with the words that carry it. Its *owner* is the label it belongs to by layout: the
nearest label to its left on the same row, else the label just above it (x-overlap), else the
header of its table column. Only a label that accepts the candidate's shape can own it, so an
amount to the right of "Client : Dupont" is not owned by "Client".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from extract import identifiers as ids
from extract.fields.layout import Row, fold, mean_confidence, union_box
from extract.fields.lexicon import (
    AMOUNT,
    BIC,
    CODE,
    DATE,
    IBAN,
    NAME,
    PLATE,
    PRACTITIONER_ID,
    SIREN_LABELS,
    SIRET,
    VAT,
)
from extract.fields.nlp import LabelHit
from extract.normalize import find_amounts, find_dates, fold_name
from mailroom.models import BBox, FieldValue, Word

log = logging.getLogger(__name__)

Relation = Literal["right", "below", "column"]

_OCR_DIGIT = "0-9OIlSBZG"
_SIRET_RE = re.compile(rf"(?<![\w])[{_OCR_DIGIT}](?:[ .]?[{_OCR_DIGIT}]){{13}}(?![\w])")
_SIREN_RE = re.compile(rf"(?<![\w])[{_OCR_DIGIT}](?:[ .]?[{_OCR_DIGIT}]){{8}}(?![\w])")
_VAT_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|GR|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL"
    r"|PT|RO|SE|SI|SK|XI|GB|CH|NO)[ .-]?[0-9A-Z]{2}(?:[ .-]?[0-9A-Z]{1,4}){1,5}(?![A-Za-z0-9])"
)
_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9O]{2}(?:[ ]?[A-Z0-9]{1,5}){3,9}")
# a BIC's bank and country codes are letters; OCR may read a letter as its look-alike digit
_BIC_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z0-9]{8}(?:[A-Z0-9]{3})?(?![A-Za-z0-9])")
_PLATE_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[- ]?\d{3}[- ]?[A-Z]{2}(?![A-Za-z0-9])")
_PRACT_RE = re.compile(r"(?<![\w])\d(?:[ .]?\d){8,10}(?![\w])")
_PHONE_RE = re.compile(
    r"(?:\+\d{2,3}[ .]?\(?0?\)?[ .]?\d(?:[ .]?\d{2}){4}|(?<!\d)0\d(?:[ .-]\d{2}){4}(?!\d))"
)
_NUMERIC_DATE_SHAPE = re.compile(r"(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?!\d)")
_POSTCODE_TOWN_RE = re.compile(r"(?<!\d)\d{5}\s+[A-ZÀ-Ÿ][A-Za-zÀ-ÿ' -]{2,}")

_SEPARATORS = frozenset(
    {":", "#", "-", ".", "n°", "n", "°", "no", "no.", "nº", "nr", "nr.", "n.", "num", "number",
     "numero", "numéro", "de", "du", "ref", "ref.", "réf", "réf.", "=", "/", "|", "id", "(s)",
     "date", "no:", "n°:", "#:", "nummer", "number:", ":#"}
)
_CIVILITIES = frozenset(
    {"m.", "m", "mme", "mme.", "mlle", "madame", "monsieur", "mr", "mr.", "mrs", "mrs.", "ms",
     "ms.", "miss", "herr", "frau", "sr.", "sra.", "sig.", "sig.ra", "dr", "dr.", "docteur",
     "pr", "pr.", "professeur", "m/mme", "mademoiselle"}
)
#: Words between a label in running text and the name it announces.
_NAME_LEADERS = frozenset(
    {"ce", "jour", "ce jour", "en", "consultation", "a", "à", "pour", "de", "le", "la", "l'",
     "aujourd'hui", "this", "day", "today"}
) | _CIVILITIES
_PARTICLES = frozenset({"de", "du", "des", "van", "von", "der", "den", "le", "la", "d'", "di",
                        "da", "del", "dos", "ben", "el", "al", "bin", "binti", "y", "et", "&"})


@dataclass(frozen=True)
class Candidate:
    value: FieldValue
    shape: str
    row: Row
    start: int
    end: int
    words: tuple[Word, ...]
    valid: bool = True
    repaired: bool = False
    via: LabelHit | None = None  # the label a label-anchored candidate was read after

    @property
    def x0(self) -> float:
        return self.words[0].bbox.x0

    @property
    def x1(self) -> float:
        return max(w.bbox.x1 for w in self.words)

    @property
    def bbox(self) -> BBox | None:
        return union_box(self.words)

    @property
    def ocr(self) -> float:
        return mean_confidence(self.words)


@dataclass(frozen=True)
class Ownership:
    hit: LabelHit | None
    relation: Relation | None


# --------------------------------------------------------------------------- shapes


def amount_candidates(
    rows: Sequence[Row], dates: Sequence[Candidate] = ()
) -> list[Candidate]:
    """Amounts on the rows, leaving out phone numbers and the years of ``dates``
    ("op 21 april 2015 € 717,97" holds one amount)."""
    out: list[Candidate] = []
    date_spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for d in dates:
        date_spans.setdefault((d.row.page, d.row.index), []).append((d.start, d.end))
    for row in rows:
        excluded = [(m.start(), m.end()) for m in _PHONE_RE.finditer(row.text)]
        excluded += date_spans.get((row.page, row.index), [])
        for value, s, e in find_amounts(row.text):
            if any(s < b and a < e for a, b in excluded):
                continue
            words = row.span_words(s, e)
            if words:
                out.append(Candidate(value, AMOUNT, row, s, e, words))
    return out


_SLASHED_DATE_RE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](?:\d{4}|\d{2})(?!\d)")


def document_is_month_first(rows: Sequence[Row]) -> bool:
    """Whether the document writes numeric dates month first (11/17/2017): some of its dates
    can only be read that way and none can only be read day first. One document keeps one
    convention, so its ambiguous dates (11/03/2017) are then read month first too."""
    only_month_first = only_day_first = 0
    for row in rows:
        for m in _SLASHED_DATE_RE.finditer(row.text):
            first, second = int(m.group(1)), int(m.group(2))
            if first <= 12 < second <= 31:
                only_month_first += 1
            elif second <= 12 < first <= 31:
                only_day_first += 1
    return only_month_first > 0 and only_day_first == 0


# a run of digit groups apart by spaces or bars: a form's date in boxes ("2 6 0 3 2 0 2 6",
# "26|03|2026", "2 6 | 0 3 | 2 0 2 6")
_DIGIT_RUN_RE = re.compile(r"(?<![\w.,/|-])\d+(?:(?:\s*\|\s*|\s)\d+)+(?![\w.,/|-])")
_BOXED_YEARS = (1900, 2099)


# a scanned form's boxes: digits between the boxes' sides, which OCR reads as brackets, bars,
# slashes or a "1" ("[0]710[3/2[0[2]6|", "[1[8[0]3[2]0[2[6]")
_BOX_SIDES = frozenset("[]|/\\!(){}Il")
_BOX_RUN_RE = re.compile(r"[\[\]|/\\!(){}Il\d](?:[\[\]|/\\!(){}Il\d ]*[\[\]|/\\!(){}Il\d])?")


def _box_readings(s: str, i: int = 0, digits: str = "", side: bool = True) -> set[str]:
    """The eight digits ``s[i:]`` may hold with a box's side between each two of them: a
    side is one or more of ``_BOX_SIDES``, or one "1" alone; ``side``: one was just read."""
    if len(digits) == 8:
        return {digits} if all(ch in _BOX_SIDES or ch == "1" for ch in s[i:]) else set()
    if i >= len(s):
        return set()
    out: set[str] = set()
    ch = s[i]
    if ch.isdigit() and side:
        out |= _box_readings(s, i + 1, digits + ch, False)
    if ch in _BOX_SIDES or (ch == "1" and (not side or not digits)):
        out |= _box_readings(s, i + 1, digits, True)
    return out


def _scanned_boxes(text: str) -> list[tuple[date, int, int]]:
    """Dates in a scanned form's one-digit boxes, the boxes' sides read among the digits:
    the one reading of the run that gives a real date."""
    out: list[tuple[date, int, int]] = []
    for m in _BOX_RUN_RE.finditer(text):
        raw = m.group(0).replace(" ", "")
        if sum(ch.isdigit() for ch in raw) < 8 or len(raw) > 30 or \
                not any(ch in _BOX_SIDES for ch in raw):
            continue
        found = set()
        for digits in _box_readings(raw):
            day, month, year = int(digits[:2]), int(digits[2:4]), int(digits[4:])
            if _BOXED_YEARS[0] <= year <= _BOXED_YEARS[1]:
                try:
                    found.add(date(year, month, day))
                except ValueError:
                    continue
        if len(found) == 1:
            out.append((found.pop(), m.start(), m.end()))
    return out


def boxed_dates(text: str) -> list[tuple[date, int, int]]:
    """Dates printed in a form's boxes, one digit a box or one field a box: eight digits, day,
    month and year, split at least where the day and the month end ("1 2 0 3 2 0 2 6",
    "12|03|2026"; "12032026" or "120 32026" are no such date)."""
    out: list[tuple[date, int, int]] = []
    for m in _DIGIT_RUN_RE.finditer(text):
        groups = re.findall(r"\d+", m.group(0))
        digits = "".join(groups)
        if len(digits) != 8:
            continue
        cuts = {sum(len(g) for g in groups[:k]) for k in range(1, len(groups))}
        if not {2, 4} <= cuts:
            continue
        day, month, year = int(digits[:2]), int(digits[2:4]), int(digits[4:])
        if not _BOXED_YEARS[0] <= year <= _BOXED_YEARS[1]:
            continue
        try:
            out.append((date(year, month, day), m.start(), m.end()))
        except ValueError:
            continue
    return out + [d for d in _scanned_boxes(text)
                  if not any(s < d[2] and d[1] < e for _, s, e in out)]


# "1er" read "ler" or "Ier" by OCR, before a month's name ("le ler novembre 2026")
_FIRST_MISREAD_RE = re.compile(r"(?<![\w])[lI](?=er\s+[a-zéû]{3,}\.?\s+\d{4})", re.IGNORECASE)


def date_candidates(rows: Sequence[Row], languages: Sequence[str]) -> list[Candidate]:
    out: list[Candidate] = []
    day_first = not document_is_month_first(rows)
    for row in rows:
        text = _FIRST_MISREAD_RE.sub("1", row.text)  # one character for one: spans hold
        found = find_dates(text, languages=languages, day_first=day_first)
        if _NUMERIC_DATE_SHAPE.search(text):
            # a date impossible day first (03/20/2023) is month first
            found += [d for d in find_dates(text, languages=languages, day_first=False)
                      if not any(s < d[2] and d[1] < e for _, s, e in found)]
            found.sort(key=lambda d: d[1])
        boxed = [d for d in boxed_dates(text)
                 if not any(s < d[2] and d[1] < e for _, s, e in found)]
        if boxed:
            found = sorted(found + boxed, key=lambda d: d[1])
        for value, s, e in found:
            words = row.span_words(s, e)
            if words:
                out.append(Candidate(value, DATE, row, s, e, words))
    return out


def _checked(
    raw: str,
    validator: Callable[[str], bool],
    kind: Literal["digits", "alnum"],
) -> tuple[str, bool, bool] | None:
    """(value, valid, repaired) of an identifier, or None when it is not one at all."""
    repaired = ids.repair_ocr(raw, validator, kind=kind)
    if repaired is not None:
        return repaired[0], True, repaired[1]
    return raw, False, False


def siret_candidates(rows: Sequence[Row]) -> list[Candidate]:
    out: list[Candidate] = []
    for row in rows:
        for m in _SIRET_RE.finditer(row.text):
            raw = re.sub(r"[ .]", "", m.group())
            if sum(c.isdigit() for c in raw) < 12:
                continue
            checked = _checked(raw, ids.siret_valid, "digits")
            if checked is None:
                continue
            value, valid, repaired = checked
            if not value.isdigit():
                continue
            words = row.span_words(m.start(), m.end())
            out.append(Candidate(value, SIRET, row, m.start(), m.end(), words, valid, repaired))
    return out


def siren_values(rows: Sequence[Row]) -> set[str]:
    """Valid SIRENs printed anywhere (to check VAT numbers and SIRETs against)."""
    found: set[str] = set()
    for row in rows:
        for m in _SIREN_RE.finditer(row.text):
            raw = re.sub(r"[ .]", "", m.group())
            if raw.isdigit() and ids.siren_valid(raw):
                found.add(raw)
    return found


def _siren_label_re() -> re.Pattern[str]:
    labels = sorted((re.escape(p).replace(r"\ ", r"\s*") for p in SIREN_LABELS),
                    key=len, reverse=True)
    # the label, then at most a town, a letter ("RCS Lyon B") and separators, then 9 digits
    return re.compile(
        rf"(?<![\w])(?:{'|'.join(labels)})(?![\w])[^\d\n]{{0,40}}?"
        rf"(?P<siren>[{_OCR_DIGIT}](?:[ .]?[{_OCR_DIGIT}]){{8}})(?![ .]?[\w])",
        re.IGNORECASE,
    )


_SIREN_LABELLED_RE = _siren_label_re()


def siren_candidates(rows: Sequence[Row]) -> list[Candidate]:
    """SIRENs printed as such: after "SIREN", "N° SIREN" or the company register's "RCS"
    (with its town: "RCS Lyon B 732 829 320"), not the first 9 digits of a SIRET."""
    out: list[Candidate] = []
    for row in rows:
        for m in _SIREN_LABELLED_RE.finditer(row.text):
            raw = re.sub(r"[ .]", "", m.group("siren"))
            checked = _checked(raw, ids.siren_valid, "digits")
            if checked is None or not checked[0].isdigit():
                continue
            value, valid, repaired = checked
            start, end = m.start("siren"), m.end("siren")
            words = row.span_words(start, end)
            if words:
                out.append(Candidate(value, SIRET, row, start, end, words, valid, repaired))
    return out


def vat_candidates(rows: Sequence[Row]) -> list[Candidate]:
    out: list[Candidate] = []
    for row in rows:
        for m in _VAT_RE.finditer(row.text):
            text = m.group()
            # the greedy groups may have eaten a following word: shrink until it is a VAT
            parts = text.split(" ")
            for n in range(len(parts), 0, -1):
                piece = " ".join(parts[:n])
                value = ids.normalize_vat(piece)
                if value is None:
                    continue
                end = m.start() + len(piece)
                valid = ids.vat_valid(value)
                repaired = False
                if not valid:
                    country = value[:2]

                    def vat_ok(v: str, country: str = country) -> bool:
                        return ids.vat_valid(country + v)

                    rep = ids.repair_ocr(value[2:], vat_ok, kind="alnum")
                    if rep is not None:
                        value, valid, repaired = value[:2] + rep[0], True, rep[1]
                words = row.span_words(m.start(), end)
                out.append(Candidate(value, VAT, row, m.start(), end, words, valid, repaired))
                break
    return out


def iban_candidates(rows: Sequence[Row]) -> list[Candidate]:
    out: list[Candidate] = []
    for row in rows:
        for m in _IBAN_RE.finditer(row.text):
            parts = m.group().split(" ")
            best: Candidate | None = None
            for n in range(len(parts), 0, -1):
                piece = " ".join(parts[:n])
                value = ids.normalize_iban(piece)
                if value is None:
                    continue
                end = m.start() + len(piece)
                words = row.span_words(m.start(), end)
                if ids.iban_valid(value):
                    best = Candidate(value, IBAN, row, m.start(), end, words, True, False)
                    break
                rep = ids.repair_ocr(value, ids.iban_valid, kind="alnum")
                if rep is not None:
                    best = Candidate(rep[0], IBAN, row, m.start(), end, words, True, rep[1])
                    break
                if best is None:
                    best = Candidate(value, IBAN, row, m.start(), end, words, False, False)
            if best is not None:
                out.append(best)
    return out


def bic_candidates(rows: Sequence[Row]) -> list[Candidate]:
    """BICs, read through OCR's O/0 and I/1 confusions (:func:`identifiers.read_bic`)."""
    out: list[Candidate] = []
    for row in rows:
        for m in _BIC_RE.finditer(row.text):
            raw = m.group()
            if sum(ch.isdigit() for ch in raw[:6]) > 1:
                continue
            read = ids.read_bic(raw)
            if read is None:
                continue
            words = row.span_words(m.start(), m.end())
            out.append(Candidate(read[0], BIC, row, m.start(), m.end(), words,
                                 repaired=read[1]))
    return out


def plate_candidates(rows: Sequence[Row]) -> list[Candidate]:
    out: list[Candidate] = []
    for row in rows:
        for m in _PLATE_RE.finditer(row.text):
            value = ids.normalize_plate(m.group())
            if value is not None:
                words = row.span_words(m.start(), m.end())
                out.append(Candidate(value, PLATE, row, m.start(), m.end(), words))
    return out


def practitioner_id_candidates(rows: Sequence[Row]) -> list[Candidate]:
    out: list[Candidate] = []
    for row in rows:
        for m in _PRACT_RE.finditer(row.text):
            raw = re.sub(r"[ .]", "", m.group())
            if len(raw) == 11:
                valid = ids.rpps_valid(raw)
            elif len(raw) == 9:
                valid = ids.adeli_valid(raw)
            else:
                continue
            words = row.span_words(m.start(), m.end())
            out.append(Candidate(raw, PRACTITIONER_ID, row, m.start(), m.end(), words, valid))
    return out


def phone_or_postcode_spans(row: Row) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in _PHONE_RE.finditer(row.text)]
    spans += [(m.start(), m.start() + 5) for m in _POSTCODE_TOWN_RE.finditer(row.text)]
    return spans


# --------------------------------------------------------------------------- ownership


def owner_of(
    cand: Candidate,
    hits_by_row: dict[tuple[int, int], list[LabelHit]],
    rows_by_page: dict[int, list[Row]],
    values_by_row: dict[tuple[int, int], list[Candidate]] | None = None,
) -> Ownership:
    """The label that owns ``cand`` by layout, and how (right of it, below it, its column)."""
    row = cand.row
    same = [
        h for h in hits_by_row.get((row.page, row.index), ())
        if (h.end <= cand.start or (
            # "Total EUR 34,73": the label ends with the currency the amount starts with
            h.start < cand.start < h.end
            and not any(ch.isdigit() for ch in row.text[cand.start:h.end])
        )) and cand.shape in _accepts(h)
    ]
    if same:
        return Ownership(max(same, key=lambda h: h.end), "right")
    page_rows = rows_by_page.get(row.page, [])
    skewed = _skewed_label(cand, hits_by_row, page_rows) or _wrapped_label(
        cand, hits_by_row, page_rows)
    if skewed is not None:
        return Ownership(skewed, "right")
    h = max(row.height, 4.0)
    crossed_values = False
    for k in range(row.index - 1, max(-1, row.index - 12), -1):
        above = page_rows[k]
        if row.y0 - above.y1 > (3.0 if not crossed_values else 25.0) * h:
            break
        overlapping = [
            x for x in hits_by_row.get((above.page, above.index), ())
            if _overlaps(x.x0, x.x1, cand.x0, cand.x1, slack=0.5 * h)
        ]
        accepting = [x for x in overlapping if cand.shape in _accepts(x)]
        if accepting:
            best = min(accepting, key=lambda x: abs((x.x0 + x.x1) / 2 - (cand.x0 + cand.x1) / 2))
            return Ownership(best, "column" if crossed_values else "below")
        if overlapping:
            return Ownership(None, None)  # another column's header
        if values_by_row is not None and any(
            _overlaps(v.x0, v.x1, cand.x0, cand.x1, slack=0.5 * h)
            for v in values_by_row.get((above.page, above.index), ())
        ):
            crossed_values = True
            continue
        if any(_overlaps(w.bbox.x0, w.bbox.x1, cand.x0, cand.x1) for w in above.words):
            # text right above that is neither label nor value of this shape: a new block
            if not crossed_values:
                return Ownership(None, None)
            crossed_values = True
    return Ownership(None, None)


def _skewed_label(cand: Candidate, hits_by_row: dict[tuple[int, int], list[LabelHit]],
                  page_rows: Sequence[Row]) -> LabelHit | None:
    """A label on the same printed line as the value but read as a row of its own (a skewed
    scan, a till's label printed lower than its amount): it ends its row left of the value,
    alone there, and the two rows' middles less than a line's height apart."""
    row = cand.row
    if any(w.bbox.x1 <= cand.x0 for w in row.words):
        return None  # words left of the value: its own row's label, or none
    for k in (row.index - 1, row.index + 1):
        if not 0 <= k < len(page_rows):
            continue
        other = page_rows[k]
        if abs((row.y0 + row.y1) - (other.y0 + other.y1)) / 2 > \
                0.9 * max(row.height, other.height):
            continue
        for hit in hits_by_row.get((other.page, other.index), ()):
            if hit.x1 <= cand.x0 and cand.shape in _accepts(hit) and \
                    not other.text[hit.end:].strip(" :.*-="):
                return hit
    return None


def _wrapped_label(cand: Candidate, hits_by_row: dict[tuple[int, int], list[LabelHit]],
                   page_rows: Sequence[Row]) -> LabelHit | None:
    """The label that ends the line above when the value starts its own line at the
    paragraph's left edge: one sentence wrapped between the two ("… Arrêt de travail du" /
    "29/09/2026 au 06/10/2026 inclus")."""
    row = cand.row
    if row.index == 0 or any(w.bbox.x1 <= cand.x0 for w in row.words):
        return None  # words left of the value: its own row's label, or none
    above = page_rows[row.index - 1]
    h = max(row.height, above.height, 4.0)
    if row.y0 - above.y1 > 1.2 * h or abs(above.x0 - cand.x0) > 2.0 * h:
        return None  # not the next line of the same paragraph
    hits = hits_by_row.get((above.page, above.index), ())
    if any(_overlaps(x.x0, x.x1, cand.x0, cand.x1) and cand.shape in _accepts(x) for x in hits):
        return None  # a header over the value: a table's columns, not a sentence
    for hit in hits:
        if hit.x0 > cand.x1 and cand.shape in _accepts(hit) and \
                not above.text[hit.end:].strip(" :"):
            return hit
    return None


def _accepts(hit: LabelHit) -> frozenset[str]:
    from extract.fields.lexicon import BY_KEY

    shapes: set[str] = set()
    for k in hit.kinds:
        shapes |= BY_KEY[k].accepts
    return frozenset(shapes)


def _overlaps(a0: float, a1: float, b0: float, b1: float, slack: float = 0.0) -> bool:
    return min(a1, b1) + slack > max(a0, b0)


# --------------------------------------------------------------------------- label-anchored


def anchored_candidates(
    hit: LabelHit,
    shape: str,
    hits_by_row: dict[tuple[int, int], list[LabelHit]],
    rows_by_page: dict[int, list[Row]],
    same_field: Callable[[LabelHit], bool],
) -> list[Candidate]:
    """Values read after a label: to its right on its row, else just below it."""
    row = hit.row
    later = sorted(
        (h for h in hits_by_row.get((row.page, row.index), ()) if h.start >= hit.end),
        key=lambda h: h.start,
    )
    words = _words_after(row, hit.end)
    page_rows = rows_by_page.get(row.page, [])
    if shape == NAME:
        # in running text the name may follow a few words ("examiné ce jour Madame") and
        # go on at the start of the next line
        lead = 0
        while lead < len(words) and fold(words[lead][0].text[words[lead][2]:].strip(",:")) \
                in _NAME_LEADERS:
            lead += 1
        if lead:
            words = words[lead:]
        nxt = page_rows[row.index + 1] if row.index + 1 < len(page_rows) else None
        if nxt is not None and nxt.y0 - row.y1 < 1.2 * max(row.height, 4.0) and \
                abs(nxt.x0 - row.x0) < 2 * max(row.height, 4.0) and \
                (not words or not words[-1][0].text.rstrip().endswith((",", ".", ";"))) and \
                (not words or _take(words, row, shape, later, same_field) is not None):
            tail = [(w, s, 0) for w, s in zip(nxt.words[:4], nxt.starts[:4], strict=True)]
            ahead = _take(tail, nxt, shape, sorted(
                hits_by_row.get((nxt.page, nxt.index), ()), key=lambda x: x.start),
                same_field)
            here = _take(words, row, shape, later, same_field) if words else None
            complete = here is not None and len(here[3]) > 1 and _is_upper(here[3][-1].text)
            if ahead is not None and not complete and \
                    (here is None or here[3][-1] is words[-1][0]):
                if here is None:
                    return [_make(ahead, shape, nxt, hit)]
                text = f"{here[0]} {ahead[0]}"
                return [_make((text, here[1], here[2], here[3] + ahead[3]), shape, row,
                              hit)]
    right = _take(words, row, shape, later, same_field)
    if right is not None:
        return [_make(right, shape, row, hit)]
    if _text_follows(words, later):
        return []  # a label inside a sentence owns nothing on the next line
    # nothing to the right: the row just below, words under the label
    h = max(row.height, 4.0)
    out: list[Candidate] = []
    for k in range(row.index + 1, min(len(page_rows), row.index + 3)):
        below = page_rows[k]
        if below.y0 - row.y1 > 2.2 * h:
            break
        start_i = None
        for i, w in enumerate(below.words):
            if _overlaps(w.bbox.x0, w.bbox.x1, hit.x0, max(hit.x1, hit.x0 + 4 * h), slack=h):
                start_i = i
                break
        if start_i is None and shape == NAME and below.words and \
                hit.x0 <= below.words[0].bbox.x0 <= hit.x1 + 6 * h:
            start_i = 0  # an address block indented under its label ("Adressée à :")
        if start_i is None:
            continue
        # a word of the row below that starts left of the label belongs to another column
        seq = [(below.words[i], below.starts[i], 0) for i in range(start_i, len(below.words))]
        below_hits = sorted(hits_by_row.get((below.page, below.index), ()), key=lambda x: x.start)
        later_below = [x for x in below_hits if x.start >= below.starts[start_i]]
        if later_below and later_below[0].start == below.starts[start_i]:
            break  # the row below starts with a label of its own
        taken = _take(seq, below, shape, later_below, same_field)
        if taken is not None:
            out.append(_make(taken, shape, below, hit))
        break
    return out


def _text_follows(words: list[tuple[Word, int, int]], later: list[LabelHit]) -> bool:
    """Whether the label is followed on its row by words that are not another label."""
    for w, s, skip in words:
        core = w.text[skip:].strip()
        if not core or fold(core) in _SEPARATORS or not any(ch.isalnum() for ch in core):
            continue
        pos = s + skip + w.text[skip:].index(core[0])
        return not any(h.start <= pos < h.end for h in later)
    return False


def _words_after(row: Row, pos: int) -> list[tuple[Word, int, int]]:
    """(word, its start, chars to skip) for the words at or after char ``pos``."""
    out: list[tuple[Word, int, int]] = []
    for w, s in zip(row.words, row.starts, strict=True):
        e = s + len(w.text)
        if e <= pos:
            continue
        out.append((w, s, max(0, pos - s)))
    return out


def _take(
    seq: list[tuple[Word, int, int]],
    row: Row,
    shape: str,
    later_hits: list[LabelHit],
    same_field: Callable[[LabelHit], bool],
) -> tuple[str, int, int, tuple[Word, ...]] | None:
    """The value (text, start, end, words) at the start of ``seq``, of the given shape."""
    h = max(row.height, 4.0)
    prev_x1: float | None = None
    taken: list[tuple[Word, str, int]] = []
    for w, s, skip in seq:
        piece = w.text[skip:]
        pstart = s + skip
        # another label starts here: a label of the same field is skipped over, any other ends
        blocking = [x for x in later_hits if (x.start <= pstart < x.end or
                    (pstart <= x.start < s + len(w.text))) and
                    not (shape == NAME and taken and x.phrase in _PARTICLES)]
        if blocking:
            hitx = blocking[0]
            if same_field(hitx) and not taken:
                prev_x1 = w.bbox.x1
                # drop the label's characters from this word if it continues after it
                rest_skip = max(0, hitx.end - s)
                if rest_skip < len(w.text):
                    piece = w.text[rest_skip:]
                    pstart = s + rest_skip
                    blocking = []
                else:
                    continue
            elif hitx.start > pstart and not taken and shape == CODE:
                # "N°123Date" glued: keep the part before the label
                piece = w.text[skip:hitx.start - s]
            else:
                break
        if prev_x1 is not None and taken and w.bbox.x0 - prev_x1 > 2.0 * h:
            break  # a column gap ends the value
        if prev_x1 is not None and not taken and w.bbox.x0 - prev_x1 > 0.45 * row.page_width:
            break
        prev_x1 = w.bbox.x1
        core = piece.strip()
        low = fold(core)
        if not taken:
            if not core or low in _SEPARATORS or (shape == NAME and low in _CIVILITIES) \
                    or not any(ch.isalnum() for ch in core):
                continue
            core = core.lstrip(":#°_|'‘’")
            if not core:
                continue
            pstart = pstart + piece.index(core) if core in piece else pstart
        if shape == CODE:
            core = core.rstrip(".,;:)")
            if not _code_like(core) or core.endswith(("-", "/")):
                return _grouped_code(seq, w, core, pstart, h)
            return core, pstart, pstart + len(core), (w,)
        # NAME: capitalised words, particles, up to punctuation or a lower-case word
        if taken and not _name_word(core):
            break
        if taken and _is_upper(taken[-1][1]) and not _is_upper(core) and \
                core.lower() not in _PARTICLES and any(
                    not _is_upper(t) and t.lower() not in _PARTICLES for _, t, _ in taken):
            break  # "Rémi TRAN Chirurgien": the name ends with the surname in capitals
        if not taken and not _name_word(core, first=True):
            return None
        stop = core[-1] in ",;(" if core else False
        core = core.rstrip(",;(")
        if core:
            taken.append((w, core, pstart))
        if stop or len(taken) >= 6:
            break
    if not taken or shape == CODE:
        return None
    text = " ".join(t for _, t, _ in taken)
    first = taken[0][2]
    last = taken[-1][2] + len(taken[-1][1])
    return text, first, last, tuple(w for w, _, _ in taken)


def _grouped_code(
    seq: list[tuple[Word, int, int]], first: Word, core: str, pstart: int, h: float
) -> tuple[str, int, int, tuple[Word, ...]] | None:
    """A reference printed (or read) in groups: "CTR 218 69940", "AST-2026- 005626"; the
    groups are close together (no column gap) and the value has no spaces once joined. A word
    that closes with a colon, or a long word of letters, is a label ("Belegnummer: 471102"),
    not a reference's first group."""
    if first.text.endswith(":") or (core.isalpha() and len(core) > 5) or \
            not re.fullmatch(r"[A-Za-z0-9\-/]+", core):
        return None
    words = [first]
    text = core
    after = False
    for w, _, _ in seq:
        if w is first:
            after = True
            continue
        if not after:
            continue
        piece = w.text.rstrip(".,;:)")
        if w.bbox.x0 - words[-1].bbox.x1 > 1.5 * h or not re.fullmatch(r"[A-Za-z0-9\-/]+", piece):
            break
        words.append(w)
        text += piece
        if len(words) >= 4:
            break
    if len(words) < 2 or not _code_like(text) or text.endswith(("-", "/")):
        return None
    end = pstart + len(" ".join(x.text for x in words))
    return text, pstart, end, tuple(words)


def _is_upper(token: str) -> bool:
    letters = [c for c in token if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _code_like(token: str) -> bool:
    if len(token) < 2 or len(token) > 30:
        return False
    if not any(c.isdigit() for c in token):
        return False
    if find_dates(token):
        return False
    return bool(re.fullmatch(r"[#A-Za-z0-9][A-Za-z0-9_/.\-#]*", token))


def _name_word(token: str, first: bool = False) -> bool:
    if not token:
        return False
    low = token.lower()
    if low in _PARTICLES and not first:
        return True
    if any(c.isdigit() for c in token):
        return False
    if "@" in token or token.startswith("http"):
        return False
    letters = [c for c in token if c.isalpha()]
    if not letters:
        return token in {"&", "-"} and not first
    return token[0].isupper() or token[0] in "'\"(«" and not first


def _make(
    taken: tuple[str, int, int, tuple[Word, ...]], shape: str, row: Row, hit: LabelHit
) -> Candidate:
    text, s, e, words = taken
    value = text if shape == CODE else fold_name(text)
    return Candidate(value, shape, row, s, e, words, via=hit)
