"""The layout extractor's shared parts: the document read once (``_Doc``), a scored
candidate, the label's score, the confidence, and the pick of the best candidate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from extract.fields import candidates as cands
from extract.fields.candidates import Candidate, Ownership
from extract.fields.layout import Row, build_layout, fold
from extract.fields.lexicon import FIELD_LABELS
from extract.fields.nlp import LabelHit, SpacyNlp
from extract.fields.party_blocks import PartyName, party_names
from extract.fields.spelling import plain_words
from mailroom.models import ExtractedField, Page

_REL_FACTOR = {"right": 1.0, "below": 0.9, "column": 0.75}
_DEPOSIT = frozenset(
    fold(p) for p in ("acompte", "acompte versé", "acomptes", "déjà payé", "déjà réglé",
                      "deposit", "amount paid", "already paid", "anzahlung", "acompte de")
)
_MIN_SCORE = 0.25


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


def _of_kinds(kinds: set[str]) -> Callable[[LabelHit], bool]:
    """A label filter: the label announces one of these fields."""
    return lambda hit: bool(hit.kinds & kinds)


def _top(scored: list[_Scored], n: int = 5) -> list[_Scored]:
    best: dict[object, _Scored] = {}
    for s in sorted(scored, key=lambda s: -s.score):
        best.setdefault((s.cand.value, s.cand.row.page, s.cand.row.index), s)
    return list(best.values())[:n]
