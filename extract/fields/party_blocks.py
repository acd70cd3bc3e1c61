"""The parties' blocks of an invoice: a heading that names the party ("Verkäufer", "Seller",
"Fournisseur" / "Käufer", "Rechnungsempfänger", "Buyer", "Client") over rows of form labels
("Name:", "Straße:", "PLZ/Ort:"). The "Name:" row of a block names its party: the seller's is
the supplier, the buyer's is the customer, never the other way round.

EN 16931 invoices from abroad (German, Dutch, Spanish, Italian, English) are often laid out
so; French ones sometimes ("CLIENT" over "Nom : ..."). The words are data in
:mod:`extract.fields.lexicon` (``SELLER_HEADINGS``, ``BUYER_HEADINGS``, ``PARTY_NAME_LABELS``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from extract.fields.layout import Row, fold
from extract.fields.lexicon import (
    BUYER_HEADINGS,
    GIVEN_NAME_LABELS,
    PARTY_NAME_LABELS,
    PATIENT_HEADINGS,
    PERSON_NAME_LABELS,
    PRACTITIONER_HEADINGS,
    SELLER_HEADINGS,
    SURNAME_LABELS,
)
from mailroom.models import Word

#: "subject": the person a form is about, under no heading ("Nom" over "Prénom")
Party = Literal["seller", "buyer", "patient", "practitioner", "subject"]
#: The parties that are people: their form label may go without its colon ("Nom Prénom
#: LECLERC Loïc"), the form's boxes standing for it.
PEOPLE: frozenset[Party] = frozenset({"patient", "practitioner"})

_MAX_HEADING_WORDS = 4  # "Angaben zum Verkäufer", "Seller (Verkäufer)"
_BLOCK_ROWS = 10  # rows a block may run under its heading
_GAP_LINES = 3.0  # a vertical gap of more line heights than this ends the block


@dataclass(frozen=True)
class PartyName:
    """A name read from a party block's "Name:" row."""

    party: Party
    text: str
    row: Row
    start: int  # char span of the name in ``row.text``
    end: int
    words: tuple[Word, ...]


@dataclass(frozen=True)
class _Segment:
    start: int
    end: int
    words: tuple[Word, ...]

    @property
    def x0(self) -> float:
        return self.words[0].bbox.x0


@lru_cache(maxsize=1)
def _heading_words() -> tuple[dict[tuple[str, ...], Party], int]:
    table: dict[tuple[str, ...], Party] = {}
    for party, phrases in (("seller", SELLER_HEADINGS), ("buyer", BUYER_HEADINGS),
                           ("patient", PATIENT_HEADINGS),
                           ("practitioner", PRACTITIONER_HEADINGS)):
        for p in phrases:
            table[tuple(_tokens(p))] = party  # type: ignore[assignment]
    return table, max(len(k) for k in table)


@lru_cache(maxsize=2)
def _name_label_re(people: bool = False) -> re.Pattern[str]:
    """A party's "Name:" label; a person's may go without its colon."""
    labels = PERSON_NAME_LABELS if people else PARTY_NAME_LABELS
    alts = sorted((re.escape(fold(p)).replace(r"\ ", r"\s+") for p in labels),
                  key=len, reverse=True)
    if people:
        return re.compile(rf"^\s*(?:{'|'.join(alts)})(?![\w'])\s*[:：]?\s*")
    return re.compile(rf"^\s*(?:{'|'.join(alts)})\s*[:：]\s*")


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[\s:()/.,\-–]+", fold(text)) if t]


def _segments(row: Row) -> list[_Segment]:
    """Pieces of a row separated by wide gaps (two blocks side by side)."""
    out: list[_Segment] = []
    h = max(row.height, 4.0)
    current: list[int] = []

    def close() -> None:
        s = row.starts[current[0]]
        e = row.starts[current[-1]] + len(row.words[current[-1]].text)
        out.append(_Segment(s, e, tuple(row.words[i] for i in current)))

    for i, w in enumerate(row.words):
        if current and w.bbox.x0 - row.words[current[-1]].bbox.x1 > 2.0 * h:
            close()
            current = []
        current.append(i)
    if current:
        close()
    return out


def heading_party(text: str) -> Party | None:
    """The party a block heading names ("Verkäufer", "Angaben zum Käufer:", "BILL TO"), or
    None when the text is no heading: too long, a number in it, or a label with its value
    ("Client : Dupont")."""
    stripped = text.strip().rstrip(":：").strip()
    if not stripped or any(ch.isdigit() for ch in stripped) or ":" in stripped:
        return None
    toks = _tokens(stripped)
    # a letter alone ("assuré(e)"'s "e", a speck read as "a") is no word of the heading
    if not toks or sum(len(tk) > 1 for tk in toks) > _MAX_HEADING_WORDS:
        return None
    table, longest = _heading_words()
    found: set[Party] = set()
    for n in range(min(longest, len(toks)), 0, -1):
        for i in range(len(toks) - n + 1):
            party = table.get(tuple(toks[i:i + n]))
            if party is not None:
                found.add(party)
    return found.pop() if len(found) == 1 else None


def party_names(rows_by_page: dict[int, list[Row]]) -> list[PartyName]:
    """The names of a form's person given in two rows, then the "Name:" rows of the
    parties' blocks, on every page, with the party each names."""
    out: list[PartyName] = []
    for rows in rows_by_page.values():
        out += split_names(rows)
    for rows in rows_by_page.values():
        out += _page_party_names(rows)
    return out


@lru_cache(maxsize=2)
def _split_label_re(given: bool) -> re.Pattern[str]:
    labels = GIVEN_NAME_LABELS if given else SURNAME_LABELS
    alts = sorted((re.escape(fold(p)).replace(r"\ ", r"\s+") for p in labels),
                  key=len, reverse=True)
    # a surname's label is not the whole name's ("Nom Prénom", "Nom et prénom")
    whole = "" if given else r"(?!\s*(?:et\s+|,\s*|/\s*|-\s*)?prenoms?\b)"
    return re.compile(rf"^\s*(?:{'|'.join(alts)})(?![\w']){whole}\s*[:：]?\s*(?=\S)")


def _split_value(row: Row, given: bool) -> tuple[int, int] | None:
    """The span of the name after a surname's or a given name's label opening the row: a
    word or a few, letters only."""
    m = _split_label_re(given).match(fold(row.text))
    if m is None:
        return None
    # the value after its label, or in the form's next column ("Nom :" ...... "ROUSSEL")
    seg = next((s for s in _segments(row) if s.start <= m.end() < s.end), None)
    if seg is None:
        return None
    value = row.text[m.end():seg.end].strip()
    if not value or len(value.split()) > 4 or any(ch.isdigit() for ch in value) or \
            sum(ch.isalpha() for ch in value) < 2:
        return None
    return m.end(), m.end() + len(row.text[m.end():seg.end].rstrip())


def split_names(rows: Sequence[Row]) -> list[PartyName]:
    """A person's name given in two rows of a form, the surname's and the given name's, one
    under the other at the same margin ("Nom : ROUSSEL" / "Prénom : Sébastien"): "Sébastien
    ROUSSEL", of the party whose heading stands above (the person the form is about when
    none does)."""
    out: list[PartyName] = []
    for k, row in enumerate(rows[:-1]):
        h = max(row.height, 4.0)
        for j in range(k + 1, min(len(rows), k + 3)):
            below = rows[j]
            if below.y0 - row.y1 > 1.5 * h or abs(below.x0 - row.x0) > 2 * h:
                break
            pair = [(row, _split_value(row, False)), (below, _split_value(below, True))]
            if pair[0][1] is None or pair[1][1] is None:
                pair = [(below, _split_value(below, False)), (row, _split_value(row, True))]
            (sur_row, sur), (giv_row, giv) = pair
            if sur is None or giv is None:
                continue
            text = f"{giv_row.text[giv[0]:giv[1]]} {sur_row.text[sur[0]:sur[1]]}"
            words = (*sur_row.span_words(*sur), *giv_row.span_words(*giv))
            party = _heading_above(rows, k) or "subject"
            out.append(PartyName(party, text, sur_row, sur[0], sur[1], tuple(words)))
            break
    return out


def _heading_above(rows: Sequence[Row], k: int) -> Party | None:
    """The party of the block heading over row ``k``: the nearest one above, at its margin,
    with no wider gap than a block's between them."""
    row = rows[k]
    h = max(row.height, 4.0)
    prev = row
    for j in range(k - 1, max(-1, k - 1 - _BLOCK_ROWS), -1):
        above = rows[j]
        if prev.y0 - above.y1 > _GAP_LINES * h:
            break
        prev = above
        for seg in _segments(above):
            if abs(seg.x0 - row.x0) > 3 * h:
                continue
            party = heading_party(above.text[seg.start:seg.end])
            if party is not None:
                return party
    return None


def _page_party_names(rows: Sequence[Row]) -> list[PartyName]:
    segs = [_segments(r) for r in rows]
    headings: list[tuple[int, _Segment, Party]] = []
    for k, row in enumerate(rows):
        for seg in segs[k]:
            party = heading_party(row.text[seg.start:seg.end])
            if party is not None:
                headings.append((k, seg, party))
    out: list[PartyName] = []
    for k, head, party in headings:
        label_re = _name_label_re(party in PEOPLE)
        row = rows[k]
        h = max(row.height, 4.0)
        left = head.x0 - 2 * h
        # the block's column ends where the next heading of the same row begins
        right = min((s.x0 for kk, s, _ in headings if kk == k and s.x0 > head.x0),
                    default=float("inf")) - h
        prev = row
        for j in range(k + 1, min(len(rows), k + 1 + _BLOCK_ROWS)):
            below = rows[j]
            if below.y0 - prev.y1 > _GAP_LINES * h:
                break
            column = [s for s in segs[j] if left <= s.x0 < right]
            if not column:
                continue
            prev = below
            if any(heading_party(below.text[s.start:s.end]) for s in column):
                break  # the next block begins
            found = _name_in(below, column, label_re)
            if found is not None:
                s, e, words = found
                out.append(PartyName(party, below.text[s:e], below, s, e, words))
                break
    return out


def _name_in(row: Row, column: list[_Segment],
             label_re: re.Pattern[str]) -> tuple[int, int, tuple[Word, ...]] | None:
    """The value of a "Name:" row: after the label in its segment, or the next segment when
    the label stands alone ("Name:" ........ "Lieferant GmbH")."""
    for n, seg in enumerate(column):
        text = row.text[seg.start:seg.end]
        m = label_re.match(fold(text))
        if m is None:
            continue
        # fold keeps one character per character, so the label's length carries over
        start = seg.start + m.end()
        if start < seg.end:
            words = row.span_words(start, seg.end)
            return start, seg.end, words
        if n + 1 < len(column):
            nxt = column[n + 1]
            return nxt.start, nxt.end, nxt.words
    return None
