"""Learning from corrections: where a corrected value sat on its page, and reading the value at
the same place on the next document of that sender or layout.

A :class:`Place` is what one corrected field teaches: the words its value matched on the page
(their box), the label words that introduce it (the words just left of it on its row, else the
row above it) and the page's size. :func:`teach` finds the places of a document's corrected
values (amounts, dates and identifiers compared by value, names by a fuzzy match).

:func:`apply_lessons` reads a new document with the :class:`Lesson` s found for it (by sender
key first, else by layout fingerprint: the caller's lookup): for each learned field, the
label is looked for on the new page and the value read at the taught offset from it (or at
the taught place on the page when the label is not printed), as a value of the field's type.
What was learned is strong evidence, never an override: a value that fails its validator
(SIRET/SIREN Luhn key, IBAN mod 97, a plausible date) is not taken, and learned totals are
kept only in a combination where HT + TVA = TTC.

Pure functions on pages and values: no storage here (the pipeline's ``learn`` stage asks the
corrections store for the lessons).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import product

from extract import identifiers as ids
from extract.fields.fingerprint import label_word
from extract.fields.layout import Row, build_rows, mean_confidence
from extract.normalize import find_dates, fold_name, normalize_reference, parse_amount
from mailroom.models import BBox, ExtractedField, FieldValue, Learned, Page, Word, format_value

AMOUNT_FIELDS = frozenset({"total_excl_tax", "vat_amount", "total_incl_tax", "requested_amount"})
DATE_FIELDS = frozenset(
    {"invoice_date", "receipt_date", "issue_date", "incapacity_start", "incapacity_end"}
)
CODE_FIELDS = frozenset({"invoice_number", "dossier_reference", "policy_number"})
NAME_FIELDS = frozenset(
    {"supplier_name", "customer_name", "merchant_name", "practitioner_name", "patient_name",
     "account_holder", "sender_name"}
)
ID_FIELDS = frozenset(
    {"supplier_siret", "supplier_siren", "supplier_vat_number", "iban", "bic",
     "practitioner_id", "vehicle_registration"}
)
#: the fields a correction can teach a place for (currency and payment method are words the
#: extractor reads from the whole page, not from a place)
LEARNABLE = AMOUNT_FIELDS | DATE_FIELDS | CODE_FIELDS | NAME_FIELDS | ID_FIELDS
LEARNED_CONFIDENCE = 0.97
MAX_RUN = 8  # words a value may span
NAME_MATCH = 0.85  # fuzzy ratio for a name to match its printed words
_LABEL_WORDS = 4  # label words kept before a value
_TOTALS = ("total_excl_tax", "vat_amount", "total_incl_tax")
_WS = re.compile(r"\s+")
_CIVILITIES = frozenset({"m", "mme", "mlle", "madame", "monsieur", "mademoiselle", "mr", "mrs",
                         "ms", "dr", "docteur", "pr", "professeur", "m/mme", "ou"})
#: a lesson of a loosely alike layout fills a field the extractor left out or doubts (below
#: this confidence); it never replaces a value the extractor is sure of
WEAK_WINS_BELOW = 0.8
#: words too common to be a label a value is read after, on their own
_WEAK_LABELS = frozenset({"le", "la", "les", "du", "de", "des", "au", "et", "en", "a", "l", "d",
                          "par", "pour", "sur", "un", "une", "n", "no", "date", "total"})


@dataclass(frozen=True)
class Place:
    """Where one corrected field's value sat on its page."""

    name: str
    value: str  # the contract's text form
    page: int
    box: BBox
    words: tuple[str, ...]  # the printed words it matched ("1 234,50" -> ("1", "234,50"))
    label: tuple[str, ...]  # the folded label words before it ("total", "ttc")
    label_box: BBox | None
    page_width: float
    page_height: float
    drawn: bool = False  # a box the gestionnaire drew, no word matched

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "value": self.value,
            "page": self.page,
            "box": self.box.as_list(),
            "words": list(self.words),
            "label": list(self.label),
            "label_box": self.label_box.as_list() if self.label_box else None,
            "page_size": [self.page_width, self.page_height],
            "drawn": self.drawn,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Place:
        def box(v: object) -> BBox | None:
            if not isinstance(v, list):
                return None
            x0, y0, x1, y1 = (float(x) for x in v)
            return BBox(x0=x0, y0=y0, x1=x1, y1=y1)

        size = data["page_size"]
        assert isinstance(size, list)
        found = box(data["box"])
        assert found is not None
        return cls(
            name=str(data["name"]),
            value=str(data["value"]),
            page=int(str(data["page"])),
            box=found,
            words=tuple(str(w) for w in data.get("words") or ()),  # type: ignore[attr-defined]
            label=tuple(str(w) for w in data.get("label") or ()),  # type: ignore[attr-defined]
            label_box=box(data.get("label_box")),
            page_width=float(size[0]),
            page_height=float(size[1]),
            drawn=bool(data.get("drawn", False)),
        )


@dataclass(frozen=True)
class Lesson:
    """A stored correction as the learner uses it, with how it was found for this document."""

    correction_id: int
    places: tuple[Place, ...]
    sender: str | None = None  # the sender key it was found by ("SIRET 842123456")
    layout: float | None = None  # the fingerprint similarity it was found by
    document_id: str = ""  # the corrected document
    strong: bool = True  # found by sender or a close layout: read at the place even unlabelled



@dataclass
class _Vote:
    value: FieldValue
    read: ExtractedField
    lessons: list[Lesson] = field(default_factory=list)


# --------------------------------------------------------------------------- values


def read_value(name: str, text: str) -> FieldValue | None:
    """The value of field ``name`` that ``text`` prints (all of it), in the contract's type,
    or None when the text is not such a value."""
    raw = _WS.sub(" ", text).strip()
    if not raw:
        return None
    if name in AMOUNT_FIELDS:
        amount = parse_amount(raw.replace("€", "").replace("EUR", "").strip())
        return amount if amount is not None and amount >= 0 else None
    if name in DATE_FIELDS:
        found = find_dates(raw)
        # the whole text is the date ("Émise le 03/02/2026" is a label and a date)
        if len(found) == 1 and found[0][1] == 0 and found[0][2] >= len(raw.rstrip(" .,;")):
            return found[0][0]
        return None
    if name == "supplier_siret":
        return ids.normalize_siret(raw)
    if name == "supplier_siren":
        compact = "".join(raw.replace(".", " ").split())
        return compact if len(compact) == 9 and compact.isdigit() else None
    if name == "supplier_vat_number":
        return ids.normalize_vat(raw)
    if name == "iban":
        return ids.normalize_iban(raw)
    if name == "bic":
        compact = raw.replace(" ", "").upper()
        return compact if re.fullmatch(r"[A-Z0-9]{8}(?:[A-Z0-9]{3})?", compact) else None
    if name == "practitioner_id":
        compact = "".join(raw.replace(".", " ").split())
        return compact if compact.isdigit() and len(compact) in (9, 11) else None
    if name == "vehicle_registration":
        return ids.normalize_plate(raw)
    if name in CODE_FIELDS:
        if any(label_word(w) is not None and len(w) > 3 for w in raw.split()):
            return None  # a word of letters is a label's, not a reference's
        code = normalize_reference(raw)
        return code if code and any(ch.isdigit() for ch in code) else None
    if name in NAME_FIELDS:
        if any(ch.isdigit() for ch in raw) or not raw[0].isupper() or ":" in raw:
            return None  # a colon ends a label ("Mode de paiement : …"); names are capitalised
        words = raw.split()
        while len(words) > 1 and words[0].casefold().rstrip(".") in _CIVILITIES:
            words = words[1:]  # "Mme Élodie KERVELLA" is Élodie KERVELLA
        name_text = " ".join(words).strip(" ;,.-")
        return name_text if sum(ch.isalpha() for ch in name_text) >= 2 else None
    return None


def shape(text: str) -> str:
    """A reference's shape: letters as ``A``, digits as ``9``, runs collapsed
    (``F2026-0042`` -> ``A9-9``)."""
    out = re.sub(r"[^\W\d_]+", "A", text)
    return re.sub(r"\d+", "9", out)


def same_value(name: str, printed: FieldValue, wanted: str) -> bool:
    """Whether a printed value is the corrected one: by value, names by a fuzzy match."""
    if name in NAME_FIELDS:
        a, b = fold_name(str(printed)), fold_name(wanted)
        return bool(a) and difflib.SequenceMatcher(None, a, b).ratio() >= NAME_MATCH
    return format_value(printed) == wanted


def valid(name: str, value: FieldValue, today: date | None = None) -> bool:
    """The field's validator: identifiers' keys, a plausible date."""
    if name == "supplier_siret":
        return ids.siret_valid(str(value))
    if name == "supplier_siren":
        return ids.siren_valid(str(value))
    if name == "supplier_vat_number":
        return ids.vat_valid(str(value))
    if name == "iban":
        return ids.iban_valid(str(value))
    if name == "practitioner_id":
        text = str(value)
        return ids.rpps_valid(text) if len(text) == 11 else ids.adeli_valid(text)
    if name in DATE_FIELDS:
        if not isinstance(value, date):
            return False
        latest = (today or date.today()).year + 2
        return 1990 <= value.year <= latest
    return True


# --------------------------------------------------------------------------- teaching


def _phrases(row: Row) -> list[list[Word]]:
    """A row's words cut at wide gaps (over 1.5 word heights): label-value pairs printed in
    columns are separate phrases."""
    out: list[list[Word]] = []
    gap = 1.5 * max(row.height, 1.0)
    for w in row.words:
        if out and w.bbox.x0 - out[-1][-1].bbox.x1 <= gap:
            out[-1].append(w)
        else:
            out.append([w])
    return out


def _runs(words: Sequence[Word]) -> Iterable[tuple[int, int]]:
    for i in range(len(words)):
        for j in range(i + 1, min(i + MAX_RUN, len(words)) + 1):
            yield i, j


def _label_before(rows: Sequence[Row], r: int, first: Word) -> tuple[tuple[str, ...], BBox | None]:
    """The label words introducing a value that starts with ``first`` on ``rows[r]``: the label
    words just left of it on its row, else those of the row above that overlap it."""
    row = rows[r]
    left = [w for w in row.words if w.bbox.x1 <= first.bbox.x0 + 0.5]
    taken: list[Word] = []
    for w in reversed(left):
        if label_word(w.text) is None:
            if taken:
                break
            continue  # a mark (":", "n°") between label and value
        taken.append(w)
        if len(taken) >= _LABEL_WORDS:
            break
    if taken:
        taken.reverse()
        return tuple(label_word(w.text) or "" for w in taken), BBox.union([w.bbox for w in taken])
    if r > 0:
        above = rows[r - 1]
        if first.bbox.y0 - above.y1 < 3 * max(row.height, 1.0):
            over = [
                w
                for w in above.words
                if label_word(w.text) is not None
                and w.bbox.x0 < first.bbox.x0 + 4 * row.height
                and w.bbox.x1 > first.bbox.x0 - 4 * row.height
            ]
            if over:
                over = over[:_LABEL_WORDS]
                return (
                    tuple(label_word(w.text) or "" for w in over),
                    BBox.union([w.bbox for w in over]),
                )
    return (), None


def teach(
    pages: Sequence[Page],
    values: dict[str, str],
    hints: dict[str, tuple[int, BBox]] | None = None,
) -> dict[str, Place]:
    """Where each corrected value (the contract's text form) is printed. Of its printings, the
    one at ``hints`` (where the extractor read that same value) is taken, else one a label
    introduces (an amount's last: totals close a page; any other value's when all its labelled
    printings have one label), else the first. A value not found on the pages, or printed
    after several labels with no hint, teaches no place."""
    hints = hints or {}
    found: dict[str, list[Place]] = {}
    for page in pages:
        rows = build_rows(page)
        for name, wanted in values.items():
            if name not in LEARNABLE:
                continue
            for r, row in enumerate(rows):
                run = _find_in_row(name, wanted, row)
                if run is None:
                    continue
                label, label_box = _label_before(rows, r, run[0])
                found.setdefault(name, []).append(Place(
                    name=name,
                    value=wanted,
                    page=page.number,
                    box=BBox.union([w.bbox for w in run]),
                    words=tuple(w.text for w in run),
                    label=label,
                    label_box=label_box,
                    page_width=page.width,
                    page_height=page.height,
                ))
    out: dict[str, Place] = {}
    for name, places in found.items():
        hint = hints.get(name)
        at_hint = [p for p in places if hint and p.page == hint[0] and p.box.overlaps(hint[1])]
        labelled = [p for p in places if p.label]
        if at_hint:
            out[name] = at_hint[0]
        elif name in AMOUNT_FIELDS and labelled:
            out[name] = labelled[-1]
        elif len({p.label for p in labelled}) > 1:
            continue  # printed after several labels ("Admis le", "Arrêt du"): which one is it?
        elif labelled:
            out[name] = labelled[0]
        else:
            out[name] = places[0]
    return out



def _find_in_row(name: str, wanted: str, row: Row) -> list[Word] | None:
    """The run of words of ``row`` that reads as ``wanted``: the closest (a name's fuzzy
    match), then the longest."""
    words = row.words
    best: tuple[float, int, list[Word]] | None = None
    for i, j in _runs(words):
        run = list(words[i:j])
        value = read_value(name, " ".join(w.text for w in run))
        if value is None or not same_value(name, value, wanted):
            continue
        closeness = (
            difflib.SequenceMatcher(None, fold_name(str(value)), fold_name(wanted)).ratio()
            if name in NAME_FIELDS
            else 1.0
        )
        if best is None or (closeness, len(run)) > (best[0], best[1]):
            best = (closeness, len(run), run)
    return best[2] if best else None


def drawn_place(name: str, value: str, page: Page, box: BBox) -> Place:
    """A place from a box the gestionnaire drew where no word was read."""
    rows = build_rows(page)
    label: tuple[str, ...] = ()
    label_box = None
    inside = [w for r in rows for w in r.words if _inside(w.bbox, box)]
    if inside:
        r = next(i for i, row in enumerate(rows) if inside[0] in row.words)
        label, label_box = _label_before(rows, r, inside[0])
    return Place(name, value, page.number, box, tuple(w.text for w in inside), label, label_box,
                 page.width, page.height, drawn=True)


def _inside(a: BBox, b: BBox) -> bool:
    cx, cy = (a.x0 + a.x1) / 2, (a.y0 + a.y1) / 2
    return b.x0 <= cx <= b.x1 and b.y0 <= cy <= b.y1


# --------------------------------------------------------------------------- reading


def _agrees(printed: str, taught: str) -> bool:
    """Two label words that say the same: equal, or one the other's abbreviation
    (``ref`` / ``reference``, ``fact`` / ``facture``)."""
    if printed == taught:
        return True
    short, long = sorted((printed, taught), key=len)
    return len(short) >= 3 and long.startswith(short)


def _find_label(rows: Sequence[Row], label: tuple[str, ...]) -> list[BBox]:
    """The boxes of every printing of ``label`` (its label words in a row, in order); where
    it is not printed so, of every label word agreeing with its last, telling word (``Vos
    réf.`` for ``Votre référence``)."""
    if not label:
        return []
    out: list[BBox] = []
    labelled = [[(lw, w) for w in row.words if (lw := label_word(w.text)) is not None]
                for row in rows]
    n = len(label)
    for seq in labelled:
        for i in range(len(seq) - n + 1):
            if tuple(lw for lw, _ in seq[i : i + n]) == label:
                out.append(BBox.union([w.bbox for _, w in seq[i : i + n]]))
    last = label[-1]
    if out or not specific_label((last,)):
        return out
    for seq in labelled:
        out += [w.bbox for lw, w in seq if _agrees(lw, last)]
    return out


def _expected_boxes(
    place: Place, page: Page, rows: Sequence[Row]
) -> list[tuple[BBox, BBox | None]]:
    """Where the value should be on the new page: at the taught offset from each printing of
    its label (anchored: from the label's end when the value follows it on its row, from its
    start when the value is under it), else at the taught place scaled to the page."""
    out: list[tuple[BBox, BBox | None]] = []
    taught = place.label_box
    if taught is not None:
        same_row = place.box.y0 < taught.y1 and place.box.y1 > taught.y0
        width, height = place.box.x1 - place.box.x0, place.box.y1 - place.box.y0
        for lb in _find_label(rows, place.label):
            x0 = (lb.x1 + place.box.x0 - taught.x1) if same_row else (
                lb.x0 + place.box.x0 - taught.x0
            )
            y0 = lb.y0 + place.box.y0 - taught.y0
            out.append((BBox(x0=x0, y0=y0, x1=x0 + width, y1=y0 + height), lb))
    if not out:
        sx = page.width / max(place.page_width, 1.0)
        sy = page.height / max(place.page_height, 1.0)
        b = place.box
        out.append((BBox(x0=b.x0 * sx, y0=b.y0 * sy, x1=b.x1 * sx, y1=b.y1 * sy), None))
    return out


def specific_label(label: tuple[str, ...]) -> bool:
    """Whether a label says which value it introduces: not only common words ("le", "du")."""
    return any(len(w) >= 3 and w not in _WEAK_LABELS for w in label)


def read_at(
    place: Place, page: Page, rows: Sequence[Row] | None = None, *, anchored_only: bool = False
) -> ExtractedField | None:
    """The value of ``place.name`` printed nearest the place taught, on ``page``; None when
    no run of words of the field's type is close enough. ``anchored_only``: only at the taught
    offset from a printing of its label (a lesson of a loosely alike layout)."""
    rows = build_rows(page) if rows is None else rows
    best: tuple[float, list[Word], FieldValue] | None = None
    expected_boxes = _expected_boxes(place, page, rows)
    if anchored_only and (not specific_label(place.label) or len(expected_boxes) != 1):
        return None  # a loose lesson reads only after one printing of a telling label
    for expected, label_box in expected_boxes:
        if anchored_only and label_box is None:
            continue
        anchored = label_box is not None
        ey = (expected.y0 + expected.y1) / 2
        # a label printed twice (a form's two "Nom Prénom"): the printing nearer the taught
        # one's place on the page counts first
        away = 0.0
        if label_box is not None and place.label_box is not None:
            sx = page.width / max(place.page_width, 1.0)
            sy = page.height / max(place.page_height, 1.0)
            away = 0.5 * (abs(label_box.x0 - place.label_box.x0 * sx)
                          + abs(label_box.y0 - place.label_box.y0 * sy))
        reach_x = (0.12 if anchored else 0.08) * page.width
        for row in rows:
            height = max(row.height, 1.0)
            if abs((row.y0 + row.y1) / 2 - ey) > (1.5 if anchored else 1.2) * height:
                continue
            for whole_phrase in _phrases(row):
                # the label's own words are not the value
                phrase = [w for w in whole_phrase
                          if label_box is None or not w.bbox.overlaps(label_box)]
                while phrase and not any(ch.isalnum() for ch in phrase[0].text):
                    phrase = phrase[1:]  # the ":" after a label
                for i, j in _runs(phrase):
                    run = phrase[i:j]
                    if place.name not in NAME_FIELDS and len(run) > len(place.words) + 2:
                        continue
                    value = read_value(place.name, " ".join(w.text for w in run))
                    if value is None:
                        continue
                    if place.name in CODE_FIELDS and shape(str(value)) != shape(place.value):
                        continue  # another kind of number ("31", a date glued to a word)
                    x0, x1 = run[0].bbox.x0, max(w.bbox.x1 for w in run)
                    if place.name in NAME_FIELDS:
                        if j != len(phrase):
                            continue  # a name runs to the end of its phrase
                        dx = abs(x0 - expected.x0)
                    else:
                        dx = min(abs(x0 - expected.x0), abs(x1 - expected.x1))
                    if dx > reach_x:
                        continue
                    dy = abs((row.y0 + row.y1) / 2 - ey)
                    # of the runs starting at one word, the longest that reads as a value
                    # ("1 050,00", not "1"; a name's every word)
                    score = dx + dy + away - 0.5 * len(run)
                    if best is None or score < best[0]:
                        best = (score, list(run), value)
    if best is None:
        return None
    _, run, value = best
    return ExtractedField(
        value=value,
        confidence=round(LEARNED_CONFIDENCE * min(1.0, mean_confidence(run) / 100 + 0.2), 3),
        page=page.number,
        bbox=BBox.union([w.bbox for w in run]),
        source="learned",
    )


def apply_lessons(
    pages: Sequence[Page],
    fields: dict[str, ExtractedField],
    lessons: Sequence[Lesson],
    allowed: Iterable[str],
    *,
    today: date | None = None,
) -> dict[str, ExtractedField]:
    """The fields with what the lessons teach: for each learned field, the value read at the
    taught place (the one most lessons agree on) wins over the extractor's, unless it fails
    its validator or the totals no longer add up. The extractor's other fields are kept."""
    allowed = set(allowed)
    by_page = {p.number: p for p in pages}
    rows = {p.number: build_rows(p) for p in pages}
    votes: dict[str, dict[str, _Vote]] = {}
    for lesson in lessons:
        for place in lesson.places:
            if place.name not in allowed or place.name not in LEARNABLE:
                continue
            page = by_page.get(place.page) or (pages[0] if pages else None)
            if page is None:
                continue
            found = read_at(place, page, rows[page.number], anchored_only=not lesson.strong)
            if found is None or not valid(place.name, found.value, today):
                continue
            key = format_value(found.value)
            vote = votes.setdefault(place.name, {}).setdefault(key, _Vote(found.value, found))
            vote.lessons.append(lesson)
    learned: dict[str, ExtractedField] = {}
    for name, options in votes.items():
        vote = max(options.values(), key=lambda v: len(v.lessons))
        current = fields.get(name)
        strong = any(lesson.strong for lesson in vote.lessons)
        if not strong and current is not None and current.confidence >= WEAK_WINS_BELOW:
            continue
        senders = [lesson.sender for lesson in vote.lessons if lesson.sender]
        layouts = [lesson.layout for lesson in vote.lessons if lesson.layout is not None]
        origin = Learned(
            corrections=len({lesson.correction_id for lesson in vote.lessons}),
            sender=Counter(senders).most_common(1)[0][0] if senders else None,
            layout=None if senders else (max(layouts) if layouts else None),
        )
        learned[name] = vote.read.model_copy(update={"learned": origin})
    out = dict(fields)
    for name, f in learned.items():
        if name not in _TOTALS:
            out[name] = f
    return _with_totals(out, fields, learned)


def _adds_up(ht: FieldValue | None, tva: FieldValue | None, ttc: FieldValue | None) -> bool:
    if not (isinstance(ht, Decimal) and isinstance(tva, Decimal) and isinstance(ttc, Decimal)):
        return True  # nothing to compare: no total is broken
    return abs(ht + tva - ttc) <= Decimal("0.02")


def _with_totals(
    out: dict[str, ExtractedField],
    extracted: dict[str, ExtractedField],
    learned: dict[str, ExtractedField],
) -> dict[str, ExtractedField]:
    """The learned totals in the combination (learned or extracted, per total) that keeps
    HT + TVA = TTC with the most learned values; none when no such combination exists."""
    names = [n for n in _TOTALS if n in learned]
    if not names:
        return out
    best: dict[str, ExtractedField] | None = None
    best_count = -1
    for choice in product((True, False), repeat=len(names)):
        picked = dict(extracted)
        for name, take in zip(names, choice, strict=True):
            if take:
                picked[name] = learned[name]
        values = [picked[n].value if n in picked else None for n in _TOTALS]
        if not _adds_up(*values):
            continue
        count = sum(choice)
        if count > best_count:
            best, best_count = picked, count
    if best is None:
        return out
    for name in names:
        if name in best:
            out[name] = best[name]
    return out


# --------------------------------------------------------------------------- sender keys

_EMAIL_RE = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
_DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ .]?\d){8,13}(?![\w])")
_IBAN_TEXT_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{1,5}){3,9}")
_VAT_TEXT_RE = re.compile(r"(?<![A-Za-z0-9])FR[ ]?[0-9A-Z]{2}[ ]?\d{3}[ ]?\d{3}[ ]?\d{3}(?!\d)")
#: mail providers shared by everybody: their domain says nothing of the sender
WEBMAIL = frozenset(
    {"gmail.com", "yahoo.fr", "yahoo.com", "hotmail.fr", "hotmail.com", "outlook.fr",
     "outlook.com", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net", "live.fr",
     "icloud.com", "neuf.fr", "bbox.fr", "gmx.fr", "protonmail.com", "proton.me"}
)


def sender_keys_of_fields(fields: dict[str, str], email_from: str | None = None) -> set[str]:
    """A corrected document's sender keys, from its (corrected) identifiers and e-mail."""
    keys: set[str] = set()
    siret = fields.get("supplier_siret")
    if siret and len(siret) == 14:
        keys.add(f"siren:{siret[:9]}")
    siren = fields.get("supplier_siren")
    if siren and len(siren) == 9:
        keys.add(f"siren:{siren}")
    vat = fields.get("supplier_vat_number")
    if vat:
        keys.add(f"siren:{vat[4:]}" if vat.startswith("FR") and len(vat) == 13 else f"vat:{vat}")
    if fields.get("iban"):
        keys.add(f"iban:{fields['iban']}")
    if fields.get("practitioner_id"):
        keys.add(f"practitioner:{fields['practitioner_id']}")
    keys |= _email_keys(email_from or "")
    return keys


def _email_keys(text: str) -> set[str]:
    keys: set[str] = set()
    for m in _EMAIL_RE.finditer(text):
        keys.add(f"email:{m.group(0).lower()}")
        domain = m.group(1).lower()
        if domain not in WEBMAIL:
            keys.add(f"domain:{domain}")
    return keys


def sender_keys_of_pages(pages: Sequence[Page], email_from: str | None = None) -> set[str]:
    """Every sender key a new document prints (valid SIRETs and SIRENs, VAT numbers, IBANs,
    e-mail addresses) or was sent from: looked up against the corrections' keys."""
    keys: set[str] = set()
    for page in pages:
        text = page.text
        for m in _DIGITS_RE.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            if len(digits) == 14 and ids.siret_valid(digits):
                keys.add(f"siren:{digits[:9]}")
            elif len(digits) == 9 and ids.siren_valid(digits):
                keys.add(f"siren:{digits}")
            elif len(digits) in (9, 11):
                keys.add(f"practitioner:{digits}")
        for m in _VAT_TEXT_RE.finditer(text):
            vat = m.group(0).replace(" ", "")
            if ids.vat_valid(vat):
                keys.add(f"siren:{vat[4:]}")
        for m in _IBAN_TEXT_RE.finditer(text):
            groups = m.group(0).split(" ")
            for end in range(len(groups), 0, -1):  # "FR76 … 189 BIC": the IBAN's groups only
                iban = ids.normalize_iban("".join(groups[:end]))
                if iban and ids.iban_valid(iban):
                    keys.add(f"iban:{iban}")
                    break
        keys |= _email_keys(text)
    keys |= _email_keys(email_from or "")
    return keys


def describe_key(key: str) -> str:
    """A sender key as a person reads it: ``siren:842123456`` -> ``SIREN 842123456``."""
    kind, _, value = key.partition(":")
    label = {"siren": "SIREN", "iban": "IBAN", "vat": "TVA", "email": "e-mail",
             "domain": "domaine", "practitioner": "RPPS/ADELI"}.get(kind, kind)
    return f"{label} {value}"
