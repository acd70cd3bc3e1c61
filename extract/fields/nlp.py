"""The spaCy adapter: label matching (``PhraseMatcher``) and named entities (PER/ORG).

The only module of ``extract.fields`` that imports spaCy. The French small pipeline is loaded
once, on first use; its tokenizer alone (cheap) reads every row for labels, and the full
pipeline (NER) runs only on the few rows where a name is looked for.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from extract.fields.layout import Row, fold
from extract.fields.lexicon import LABEL_KINDS, WEAK_PHRASES, WEAK_STRENGTH
from mailroom.errors import ConfigurationError

log = logging.getLogger(__name__)

MODEL = "fr_core_news_sm"
_UNUSED_PIPES = ["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer",
                 "tagger", "senter"]
_WEAK = frozenset(fold(p) for p in WEAK_PHRASES)


@dataclass(frozen=True)
class LabelHit:
    """A label printed on a row: its kinds, its characters and its box."""

    kinds: frozenset[str]
    phrase: str
    row: Row
    start: int  # char span in row.text
    end: int
    strength: float  # 1.0 for a full label, less for a bare word
    x0: float
    x1: float

    @property
    def page(self) -> int:
        return self.row.page


@dataclass(frozen=True)
class Entity:
    label: str  # "PER", "ORG", "LOC", "MISC"
    text: str
    start: int  # char span in the row's text
    end: int


class SpacyNlp:
    """spaCy, loaded lazily once per instance; thread-safe loading."""

    def __init__(self, model: str = MODEL) -> None:
        self._model = model
        self._nlp: Any = None
        self._matcher: Any = None
        self._phrase_kinds: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._nlp is not None:
            return
        with self._lock:
            if self._nlp is not None:
                return
            try:
                import spacy
                from spacy.matcher import PhraseMatcher

                # labels need the tokenizer only, names the entity recogniser only (it has
                # its own token-to-vector layer): the tagger and the parser are not loaded
                nlp = spacy.load(self._model, exclude=_UNUSED_PIPES)
            except (ImportError, OSError) as e:
                raise ConfigurationError(
                    f"the spaCy model {self._model!r} cannot be loaded: {e}"
                ) from e
            matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
            phrase_kinds: dict[str, set[str]] = {}
            for kind in LABEL_KINDS:
                for phrase in kind.phrases:
                    phrase_kinds.setdefault(fold(phrase), set()).add(kind.key)
            for phrase in phrase_kinds:
                matcher.add(phrase, [nlp.make_doc(phrase)])
            self._phrase_kinds = {p: frozenset(k) for p, k in phrase_kinds.items()}
            self._matcher = matcher
            self._nlp = nlp

    def find_labels(self, rows: Sequence[Row]) -> list[LabelHit]:
        """Every label of the lexicon printed on the rows (longest match where they overlap)."""
        self._load()
        from spacy.tokens import Span

        hits: list[LabelHit] = []
        texts = [_abbreviation_points(fold(r.text)) for r in rows]
        for row, text, doc in zip(rows, texts, self._nlp.tokenizer.pipe(texts), strict=True):
            matches = self._matcher(doc)
            if not matches:
                continue
            found: list[LabelHit] = []
            for m, s, e in matches:
                span = Span(doc, s, e, label=m)
                phrase = span.label_
                kinds = self._phrase_kinds.get(phrase, frozenset())
                start, end = span.start_char, span.end_char
                # a label starts and ends on word boundaries of the row
                if not kinds or not _on_boundaries(text, start, end):
                    continue
                i, j = row.word_range(start, end)
                words = row.words[i:j]
                if not words or _spread_too_wide(words):
                    continue
                last = row.words[j - 1]
                last_end = row.starts[j - 1] + len(last.text)
                x1 = last.bbox.x1 if end >= last_end else _partial_x1(row, j - 1, end)
                first = row.words[i]
                x0 = first.bbox.x0 if start <= row.starts[i] else _partial_x0(row, i, start)
                found.append(
                    LabelHit(
                        kinds=kinds,
                        phrase=phrase,
                        row=row,
                        start=start,
                        end=end,
                        strength=WEAK_STRENGTH if phrase in _WEAK else 1.0,
                        x0=x0,
                        x1=x1,
                    )
                )
            hits.extend(_longest_nearest(found))
        return merge_qualified_totals(hits)

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        """Named entities of each text (PER, ORG, LOC, MISC)."""
        self._load()
        out: list[list[Entity]] = []
        for doc in self._nlp.pipe(texts, batch_size=32):
            out.append(
                [Entity(e.label_, e.text, e.start_char, e.end_char) for e in doc.ents]
            )
        return out


def _longest_nearest(hits: Sequence[LabelHit]) -> list[LabelHit]:
    """Non-overlapping labels, the longest first; between two as long, the one further right
    (a label ends next to its value: in "Montant Total HT" the label is "Total HT")."""
    chosen: list[LabelHit] = []
    for h in sorted(hits, key=lambda x: (-(x.end - x.start), -x.end)):
        if any(h.start < c.end and c.start < h.end for c in chosen):
            continue
        chosen.append(h)
    return sorted(chosen, key=lambda x: x.start)


#: Words that qualify a total by its tax ("TOTAL INCL. GST", "Total (TVA comprise)").
_INCLUDING = frozenset(
    {"incl", "incl.", "inclusive", "including", "includes", "included", "inc", "inc.", "with",
     "comprise", "compris", "comprises", "ttc", "inkl", "inkl.", "incluida", "incluso"}
)
_EXCLUDING = frozenset(
    {"excl", "excl.", "exclusive", "excluding", "excludes", "before", "hors", "ht", "sans",
     "without", "exkl", "exkl.", "ohne", "net"}
)
_FILLER = frozenset(
    {"of", "de", "la", "sales", "amount", "amt", "after", "adj", "adj.", "(", ")", ".", ",",
     "%", "0%", "6%", "sst", "rm", "total", "incl"}
) | _INCLUDING | _EXCLUDING
_TAX_KINDS = frozenset({"vat_amount", "vat_number"})


# letters each followed by a comma, as OCR reads an abbreviation's points ("T,V,A," "H,T,")
_COMMA_ABBREVIATION = re.compile(r"(?<![a-z0-9])(?:[a-z],){2,}(?![a-z0-9])")


def _abbreviation_points(text: str) -> str:
    """``t,v,a,`` read as ``t.v.a.`` (same length: spans stay those of the row's text)."""
    return _COMMA_ABBREVIATION.sub(lambda m: m.group(0).replace(",", "."), text)


def merge_qualified_totals(hits: list[LabelHit]) -> list[LabelHit]:
    """A tax word that only qualifies a total ("TOTAL INCL. GST", "TOTAL (GST INCL)",
    "Total sales (excluding GST)") is part of the total's label, not a tax label of its own:
    the two become one label, for the total including tax unless a word says excluding."""
    by_row: dict[tuple[int, int], list[LabelHit]] = {}
    for h in hits:
        by_row.setdefault((h.row.page, h.row.index), []).append(h)
    out: list[LabelHit] = []
    for row_hits in by_row.values():
        row_hits.sort(key=lambda h: h.start)
        merged: list[LabelHit] = []
        for h in row_hits:
            prev = merged[-1] if merged else None
            # a bare tax word ("GST", "TVA") qualifies the total before it; a tax label of
            # several words ("Montant TVA", "VAT amount") is a label of its own, the next
            # cell of a VAT breakdown's header
            if prev is not None and h.kinds <= _TAX_KINDS and len(_tokens(h.phrase)) == 1 \
                    and prev.kinds & {"total_incl_tax", "total_excl_tax"}:
                text = fold(h.row.text)
                between = text[prev.end:h.start]
                after = _qualifier_tail(text, h.end)
                words = set(_tokens(between)) | set(_tokens(after))
                i, j = h.row.word_range(prev.start, h.end)
                if set(_tokens(between)) <= _FILLER and not _spread_too_wide(
                        h.row.words[i:j], 1.5):
                    excl = bool(words & _EXCLUDING) or "total_incl_tax" not in prev.kinds
                    end = h.end + len(after)
                    merged[-1] = LabelHit(
                        kinds=frozenset({"total_excl_tax" if excl else "total_incl_tax"}),
                        phrase=text[prev.start:end].strip(),
                        row=prev.row,
                        start=prev.start,
                        end=end,
                        strength=1.0,
                        x0=prev.x0,
                        x1=max(prev.x1, h.x1),
                    )
                    continue
            merged.append(h)
        out.extend(merged)
    return out


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[\s().:]+", text) if t]


def _qualifier_tail(text: str, pos: int) -> str:
    """The qualifier words right after ``pos`` ("incl)", "inclusive")), up to a value."""
    m = re.match(r"(?:[\s()]*(?:incl\.?|inclusive|included|inc\.?|excl\.?|exclusive|"
                 r"comprise|compris|ttc|ht)\b)?[\s)]*", text[pos:])
    return text[pos:pos + m.end()].rstrip() if m else ""


def _on_boundaries(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() and text[start].isalnum()) and not (
        after.isalnum() and text[end - 1].isalnum()
    )


def _spread_too_wide(words: Sequence[Any], factor: float = 3.0) -> bool:
    """A label's words are close together: not two table cells that happen to read as one."""
    for a, b in zip(words, words[1:], strict=False):
        h = max(a.bbox.y1 - a.bbox.y0, b.bbox.y1 - b.bbox.y0, 1.0)
        if b.bbox.x0 - a.bbox.x1 > factor * h:
            return True
    return False


def _partial_x1(row: Row, i: int, end: int) -> float:
    """x where a label ending inside word ``i`` ends, by proportion of its characters."""
    word = row.words[i]
    frac = (end - row.starts[i]) / max(len(word.text), 1)
    return float(word.bbox.x0 + frac * (word.bbox.x1 - word.bbox.x0))


def _partial_x0(row: Row, i: int, start: int) -> float:
    word = row.words[i]
    frac = (start - row.starts[i]) / max(len(word.text), 1)
    return float(word.bbox.x0 + frac * (word.bbox.x1 - word.bbox.x0))
