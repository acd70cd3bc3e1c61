"""Words of a company's name put right where OCR took one glyph for a look-alike.

A shop's or a provider's name is mostly proper nouns, which no dictionary knows and which are
left alone, and common words ("GARAGE", "RESTAURANT", "PHARMACY", "HARDWARE", "OWNER") that
OCR misreads as it misreads any word: "KESTAURANT", "Goardian", "HAKDWARE", "Dwner". A word is
mended only when

- it has at least :data:`MIN_LETTERS` letters, all letters, and no dictionary knows it;
- it is not printed elsewhere on the document the same way (a "BISTROT HOTEI" whose menu
  prints "HOTEI" again is what the place is called, not a misread "HOTEL");
- changing one glyph for a look-alike (:data:`LOOK_ALIKES`: "R"/"K", "O"/"D", "o"/"u",
  "rn"/"m", ...) makes it a common word (at least :data:`MEND_MIN_COUNT` occurrences in the
  dictionaries' corpus: a name one glyph from a brand or a rare word is left as printed),
  and only one such word, or one far more common than the others
  (:data:`CLEAR_LEAD` times);

and two pieces of a word OCR cut apart ("BAKE RIES") are joined when the whole is a known word
and one of the pieces is no common word ("DEL MAR" stays apart). The letters that were not
changed keep their case and accents.

The dictionaries are pyspellchecker's word frequency lists (English, French, Spanish, Italian,
German: the languages of the receipts a travel assistance gets), read once per process and kept
as one set of well-attested words (a few MB), not as spell checkers.
"""

from __future__ import annotations

import gc
import logging
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache, lru_cache

log = logging.getLogger(__name__)

LANGUAGES = ("en", "fr", "es", "it", "de")
MIN_LETTERS = 5  # shorter words have look-alike neighbours everywhere ("HENG" / "HANG")
MIN_COUNT = 100  # occurrences in a language's frequency list for a word to count as known
MEND_MIN_COUNT = 1000  # ... and for a word to be the one OCR misread
CLEAR_LEAD = 20  # a candidate this many times more common than the next one wins

# glyphs that OCR takes one for the other in print (compared in lower case; both directions)
LOOK_ALIKES: tuple[tuple[str, str], ...] = (
    ("o", "u"), ("o", "d"), ("e", "f"), ("k", "r"),
    ("r", "b"), ("r", "p"), ("b", "h"), ("h", "k"), ("m", "n"), ("i", "l"), ("i", "j"),
    ("l", "t"), ("i", "t"), ("f", "t"), ("u", "v"), ("v", "y"),
    ("m", "rn"), ("m", "nn"), ("m", "in"), ("d", "cl"), ("w", "vv"), ("h", "li"), ("u", "ii"),
)
_SUBSTITUTES: dict[str, tuple[str, ...]] = {}
for _a, _b in LOOK_ALIKES:
    _SUBSTITUTES[_a] = (*_SUBSTITUTES.get(_a, ()), _b)
    _SUBSTITUTES[_b] = (*_SUBSTITUTES.get(_b, ()), _a)
_LONGEST = max(len(k) for k in _SUBSTITUTES)

_TOKEN = re.compile(r"\S+")


def _plain(text: str) -> str:
    """Lower case without accents: a name printed in capitals drops them."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Vocabulary:
    known: dict[str, int]  # well-attested words of every language (accents dropped) -> count
    common: dict[str, dict[str, int]]  # language -> its common words -> count


@cache
def vocabulary() -> Vocabulary:
    """The words of :data:`LANGUAGES`; empty (and a warning) when pyspellchecker is not
    installed: names are then left as read."""
    known: dict[str, int] = {}
    common: dict[str, dict[str, int]] = {}
    try:
        from spellchecker import SpellChecker
    except ImportError:
        log.warning("pyspellchecker is not installed: names are not spell-mended")
        return Vocabulary(known, common)
    for language in LANGUAGES:  # one list in memory at a time (the English one is ~50 MB)
        counts = SpellChecker(language=language, distance=1).word_frequency.dictionary
        mine = common.setdefault(language, {})
        for word, count in counts.items():
            if count >= MIN_COUNT and word.isalpha():
                key = _plain(word)
                known[key] = max(count, known.get(key, 0))
                if count >= MEND_MIN_COUNT:
                    mine[key] = max(count, mine.get(key, 0))
        del counts
        gc.collect()
    return Vocabulary(known, common)


def known(word: str) -> bool:
    return _plain(word) in vocabulary().known


def _common(word: str) -> bool:
    return vocabulary().known.get(_plain(word), 0) >= MEND_MIN_COUNT


def is_common(word: str) -> bool:
    """Whether the word is a common word of one of :data:`LANGUAGES` (case, accents aside)."""
    return _common(word)


def _with_case(new: str, like: str) -> str:
    """``new`` (lower case) written as ``like`` is: capitals, a capital first, or lower."""
    if like.isupper():
        return new.upper()
    if like[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


def _neighbours(word: str) -> dict[str, str]:
    """The spellings one look-alike glyph away from ``word`` (plain lower case) -> the word
    with that glyph replaced and every other letter as printed."""
    plain = _plain(word)
    if len(plain) != len(word):  # a letter that decomposes into two: leave it be
        return {}
    out: dict[str, str] = {}
    for i in range(len(plain)):
        for size in range(1, _LONGEST + 1):
            glyph = plain[i:i + size]
            if len(glyph) < size:
                break
            for other in _SUBSTITUTES.get(glyph, ()):
                candidate = plain[:i] + other + plain[i + size:]
                printed = word[i:i + size]
                out[candidate] = word[:i] + _with_case(other, printed) + word[i + size:]
    return out


@lru_cache(maxsize=4096)
def mend_word(word: str, languages: tuple[str, ...] = ("en", "fr")) -> str:
    """``word`` put right if one look-alike glyph makes it a common word of ``languages``
    (the document's and English, the language of shop signs: "Pacano" on a French invoice is
    not the Italian "pagano"); see the module's doc."""
    if len(word) < MIN_LETTERS or not word.isalpha() or known(word):
        return word
    common = vocabulary().common
    counts: dict[str, int] = {}
    for candidate, printed in _neighbours(word).items():
        for language in languages:
            count = common.get(language, {}).get(candidate, 0)
            if count > counts.get(printed, 0):
                counts[printed] = count
    found = sorted(((n, printed) for printed, n in counts.items()), reverse=True)
    if not found:
        return word
    if len(found) > 1 and found[0][0] < CLEAR_LEAD * found[1][0]:
        return word  # "two ways to read it": leave it to the person who reviews it
    log.debug("name word %r mended to %r", word, found[0][1])
    return found[0][1]


def _core(token: str) -> tuple[str, str, str]:
    """A token as (leading punctuation, letters and whatever else, trailing punctuation)."""
    m = re.fullmatch(r"([^\w]*)(.*?)([^\w]*)", token)
    assert m is not None
    return m.group(1), m.group(2), m.group(3)


def _as_printed_elsewhere(word: str, printed_twice: Collection[str]) -> str | None:
    """``word`` as the document prints it twice elsewhere, one look-alike glyph away ("KORLAN"
    in the name, "KORLAM" twice in the address), whether or not a dictionary knows
    either; None when no such word, or more than one."""
    if len(word) < MIN_LETTERS - 1 or not word.isalpha() or not printed_twice:
        return None
    found = {printed for c, printed in _neighbours(word).items() if c in printed_twice}
    return found.pop() if len(found) == 1 else None


def plain_words(text: str) -> list[str]:
    """The words of ``text`` as :func:`mend_name` compares them (lower case, no accents)."""
    return [_plain(_core(t)[1]) for t in text.split()]


def mend_name(text: str, printed_twice: Collection[str] = (),
              languages: tuple[str, ...] = ("en", "fr")) -> str:
    """Each word of a company's name put right (:func:`mend_word`), unless the document
    prints it twice the same way (``printed_twice``: :func:`plain_words` seen at least twice),
    and a word OCR cut in two joined again; the rest of the text (spacing, punctuation) as it
    was."""
    if not vocabulary().known:
        return text
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    pieces: list[str] = []
    last = 0
    i = 0
    while i < len(tokens):
        s, e = tokens[i]
        lead, core, trail = _core(text[s:e])
        if i + 1 < len(tokens):
            ns, ne = tokens[i + 1]
            nlead, ncore, ntrail = _core(text[ns:ne])
            joined = core + ncore
            if not trail and not nlead and core.isalpha() and ncore.isalpha() \
                    and min(len(core), len(ncore)) >= 3 and known(joined) \
                    and not (_common(core) and _common(ncore)) \
                    and (core.isupper() == ncore.isupper() or ncore.islower()):
                pieces.append(text[last:s] + lead + joined + ntrail)
                last = ne
                i += 2
                continue
        mended = core if _plain(core) in printed_twice else (
            _as_printed_elsewhere(core, printed_twice) or mend_word(core, languages))
        pieces.append(text[last:s] + lead + mended + trail)
        last = e
        i += 1
    pieces.append(text[last:])
    return "".join(pieces)
