"""A page's layout fingerprint: its printed label words and where they sit.

Two invoices printed by the same invoicing software for two garages share their labels
("Facture n°", "Date", "Total HT", "TVA 20 %", "Net à payer") at the same places, and differ
in their values (amounts, dates, numbers) and in the company's name and address. The
fingerprint keeps the *label words*: words of letters only (no digit: an amount, a date, an
identifier or a reference is a value), folded, with their quantised position on the page.
Each word gives two tokens, ``word@column,row`` (a coarse grid: 8 columns, 24 rows) and
``word@row`` (the row only, so a label moved sideways by a longer company name still counts).

The token set is summarised by a MinHash of :data:`PERMUTATIONS` 32-bit values: the share of
equal values of two signatures estimates the Jaccard similarity of the two token sets. The
signature is cut into :data:`BANDS` bands of :data:`ROWS_PER_BAND` values; each band's hash is
stored in an indexed column, so pages likely to be similar (one equal band) are found by
index, never by comparing with every stored page (locality-sensitive hashing).
"""

from __future__ import annotations

import hashlib
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mailroom.models import Page

PERMUTATIONS = 64
BANDS = 16
ROWS_PER_BAND = PERMUTATIONS // BANDS
COLUMNS = 8
ROWS = 24
_MERSENNE = (1 << 61) - 1
_MAX32 = (1 << 32) - 1


def _coefficients() -> list[tuple[int, int]]:
    """Fixed (a, b) pairs for the permutations ``(a * x + b) mod p``: the same on every
    machine and in every process, so stored signatures stay comparable."""
    out = []
    for i in range(PERMUTATIONS):
        digest = hashlib.blake2b(f"mailroom-layout-{i}".encode(), digest_size=16).digest()
        a, b = struct.unpack("<QQ", digest)
        out.append(((a % (_MERSENNE - 1)) + 1, b % _MERSENNE))
    return out


_COEFFS = _coefficients()


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def label_word(text: str) -> str | None:
    """The folded label word a printed word stands for, or None for a value (a word with a
    digit), a mark or a single letter: ``Total`` -> ``total``, ``l'adresse`` -> ``ladresse``,
    ``N°`` and ``12,50`` -> None."""
    if any(ch.isdigit() for ch in text):
        return None
    letters = "".join(ch for ch in text if ch.isalpha())
    return _fold(letters) if len(letters) >= 2 else None


def layout_tokens(page: Page) -> set[str]:
    """The page's label tokens: ``word@column,row`` and ``word@row``."""
    tokens: set[str] = set()
    width, height = max(page.width, 1.0), max(page.height, 1.0)
    for word in page.words:
        folded = label_word(word.text)
        if folded is None:
            continue
        col = min(COLUMNS - 1, max(0, int(word.bbox.x0 / width * COLUMNS)))
        row = min(ROWS - 1, max(0, int((word.bbox.y0 + word.bbox.y1) / 2 / height * ROWS)))
        tokens.add(f"{folded}@{col},{row}")
        tokens.add(f"{folded}@{row}")
    return tokens


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")


def minhash(tokens: Iterable[str]) -> tuple[int, ...]:
    """The MinHash signature of a token set (all values ``_MAX32`` for an empty set)."""
    hashes = [_token_hash(t) for t in tokens]
    if not hashes:
        return (_MAX32,) * PERMUTATIONS
    return tuple(min(((a * h + b) % _MERSENNE) & _MAX32 for h in hashes) for a, b in _COEFFS)


def band_hashes(signature: Sequence[int]) -> tuple[int, ...]:
    """One signed 63-bit hash per band (fits a BIGINT column)."""
    out = []
    for band in range(BANDS):
        part = signature[band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND]
        digest = hashlib.blake2b(struct.pack(f"<{len(part)}I", *part), digest_size=8).digest()
        out.append(int.from_bytes(digest, "little") >> 1)
    return tuple(out)


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """The estimated Jaccard similarity of the token sets behind two signatures."""
    if not a or len(a) != len(b):
        return 0.0
    if all(x == _MAX32 for x in a) or all(x == _MAX32 for x in b):
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


def jaccard(a: set[str], b: set[str]) -> float:
    """The exact Jaccard similarity of two token sets."""
    return len(a & b) / len(a | b) if a or b else 0.0


@dataclass(frozen=True)
class Fingerprint:
    """A document's layout fingerprint: its first page's MinHash signature and band hashes."""

    signature: tuple[int, ...]
    bands: tuple[int, ...]

    @classmethod
    def of(cls, pages: Sequence[Page]) -> Fingerprint:
        tokens = layout_tokens(pages[0]) if pages else set()
        signature = minhash(tokens)
        return cls(signature, band_hashes(signature))

    def similarity(self, other: Fingerprint | Sequence[int]) -> float:
        theirs = other.signature if isinstance(other, Fingerprint) else other
        return similarity(self.signature, theirs)

    @property
    def empty(self) -> bool:
        return all(x == _MAX32 for x in self.signature)
