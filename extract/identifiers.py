"""Identifiers printed on documents: SIREN/SIRET, VAT numbers, IBAN/BIC, RPPS/ADELI, plates.

Pure functions. ``normalize_*`` turn what was printed into the contract's form (or ``None``
when the text does not have the shape); ``*_valid`` check the checksum or the shape. They
never decide alone what OCR meant: :func:`repair_ocr` proposes a single-character repair only
when exactly one repair makes the value valid. schwifty (IBAN, BIC) is called only here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Literal

log = logging.getLogger(__name__)

_SEPARATORS_RE = re.compile(r"[\s.\-_/\u00a0\u202f\u2009]+")

LA_POSTE_SIREN = "356000000"

# --------------------------------------------------------------------------- Luhn, SIRET


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) checksum of a string of digits, its key being the last digit."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def normalize_siret(text: str) -> str | None:
    """The 14 digits of a printed SIRET (``732 829 320 00074``), or None; no checksum test."""
    compact = _SEPARATORS_RE.sub("", text)
    return compact if len(compact) == 14 and compact.isascii() and compact.isdigit() else None


def siren_valid(siren: str) -> bool:
    """A SIREN: 9 digits with a Luhn key."""
    return len(siren) == 9 and luhn_ok(siren)


def siret_valid(siret: str) -> bool:
    """A SIRET: 14 digits with a Luhn key, its SIREN valid too.

    La Poste's establishments (SIREN 356000000) are too many for the Luhn key: their rule is
    that the sum of the 14 digits is a multiple of 5.
    """
    if len(siret) != 14 or not siret.isascii() or not siret.isdigit():
        return False
    if siret.startswith(LA_POSTE_SIREN):
        return luhn_ok(siret) or sum(int(c) for c in siret) % 5 == 0
    return luhn_ok(siret) and siren_valid(siret[:9])


# --------------------------------------------------------------------------- VAT

# Shapes of EU VAT numbers after the country prefix (VIES formats).
_VAT_SHAPES: dict[str, str] = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
    # Outside the EU but common on invoices received in France.
    "CH": r"E\d{9}(?:MWST|TVA|IVA)?",
    "GB": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
}


def fr_vat_from_siren(siren: str) -> str:
    """The French VAT number of a SIREN: ``FR`` + key + SIREN, key = (12 + 3 × (SIREN mod 97))
    mod 97, on two digits."""
    if len(siren) != 9 or not siren.isdigit():
        raise ValueError(f"a SIREN has 9 digits: {siren!r}")
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def normalize_vat(text: str) -> str | None:
    """A VAT number upper case without spaces or dots, or None when it has no VAT shape.

    ``GR`` is written ``EL`` as VIES does.
    """
    compact = _SEPARATORS_RE.sub("", text).upper()
    if compact.startswith("GR"):
        compact = "EL" + compact[2:]
    if not re.fullmatch(r"[A-Z]{2}[A-Z0-9+*]{2,14}", compact):
        return None
    shape = _VAT_SHAPES.get(compact[:2])
    if shape is None or not re.fullmatch(shape, compact[2:]):
        return None
    return compact


def vat_valid(vat: str) -> bool:
    """A French VAT number's key is checked against its SIREN; other countries' shapes only."""
    shape = _VAT_SHAPES.get(vat[:2])
    if shape is None or not re.fullmatch(shape, vat[2:]):
        return False
    if vat.startswith("FR"):
        key, siren = vat[2:4], vat[4:]
        if key.isdigit():
            return fr_vat_from_siren(siren) == vat
        return True  # the old alphanumeric keys carry no checksum we can compute
    return True


# --------------------------------------------------------------------------- IBAN, BIC


def normalize_iban(text: str) -> str | None:
    """An IBAN upper case without spaces (``FR76 3000 6000 ...``), or None without its shape."""
    compact = _SEPARATORS_RE.sub("", text).upper()
    if compact.startswith("IBAN"):
        compact = compact[4:].lstrip(":")
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact):
        return None
    return compact


def iban_valid(iban: str) -> bool:
    """mod 97, the country's length and, where schwifty knows it, the national checksum."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    try:
        IBAN(iban)
    except SchwiftyException:
        return False
    return True


_BIC_RE = re.compile(r"[A-Z]{4}([A-Z]{2})[A-Z0-9]{2}(?:[A-Z0-9]{3})?")


def bic_valid(bic: str) -> bool:
    """A BIC's shape: 4 letters (bank), an ISO country, 2 alnum (location), optional 3 alnum
    (branch)."""
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    if not _BIC_RE.fullmatch(bic):
        return False
    try:
        BIC(bic)
    except SchwiftyException:
        return False
    return True


def bic_registered(bic: str) -> bool:
    """A BIC of a valid shape that schwifty's bank registry knows."""
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    if not _BIC_RE.fullmatch(bic):
        return False
    try:
        return bool(BIC(bic).exists)
    except SchwiftyException:
        return False


def read_bic(raw: str) -> tuple[str, bool] | None:
    """A BIC as OCR read it: ``(value, repaired)``, or None when it is none.

    A read of a valid shape that the bank registry knows is kept. A read that the registry
    does not know, or whose shape is wrong ("QNT0FRP1", "QNTOFRPI" for QNTOFRP1), is repaired
    only where exactly one single-character OCR confusion (O/0, I/1...) makes it a registered
    BIC; else a valid shape is kept as read (a bank the registry does not list), and a wrong
    one is repaired only where one confusion makes its shape valid.
    """
    raw = raw.upper()
    if bic_registered(raw):
        return raw, False
    known = repair_ocr(raw, bic_registered, kind="alnum")
    if known is not None:
        return known
    if bic_valid(raw):
        return raw, False
    return repair_ocr(raw, bic_valid, kind="alnum")


# --------------------------------------------------------------------------- health ids


def rpps_valid(value: str) -> bool:
    """An RPPS number: 11 digits, the last one a Luhn key."""
    return len(value) == 11 and luhn_ok(value)


def adeli_valid(value: str) -> bool:
    """An ADELI number: 9 digits, a département-shaped prefix (01-95, 97), a Luhn key."""
    if len(value) != 9 or not luhn_ok(value):
        return False
    dept = int(value[:2])
    return 1 <= dept <= 95 or dept == 97


# --------------------------------------------------------------------------- plates

# SIV letters exclude I, O and U.
_SIV_RE = re.compile(r"([A-HJ-NP-TV-Z]{2})[\s\-]*(\d{3})[\s\-]*([A-HJ-NP-TV-Z]{2})")
_FNI_RE = re.compile(r"(\d{1,4})[\s\-]*([A-Z]{1,3})[\s\-]*(\d{2}|2[AB]|97\d)")


def normalize_plate(text: str) -> str | None:
    """A French plate: SIV form ``AB-123-CD`` from ``AB 123 CD`` or ``ab123cd``; an old FNI
    plate (``123 ABC 75``) as printed with its spaces folded. None otherwise."""
    s = " ".join(text.upper().split())
    m = _SIV_RE.fullmatch(s)
    if m:
        if m.group(2) == "000":
            return None
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    m = _FNI_RE.fullmatch(s)
    if m:
        return f"{m.group(1)} {m.group(2)} {m.group(3)}"
    return None


# --------------------------------------------------------------------------- OCR repair

# Characters OCR takes for one another; each group holds exactly one digit.
_CONFUSION_GROUPS: tuple[str, ...] = ("O0o", "I1l|i", "S5s", "B8", "Z2z", "G6")
_GROUP_OF: dict[str, str] = {c: g for g in _CONFUSION_GROUPS for c in g}


def _alternatives(ch: str, kind: Literal["digits", "alnum"]) -> list[str]:
    group = _GROUP_OF.get(ch)
    if group is None:
        return []
    if kind == "digits":
        return [c for c in group if c.isdigit() and c != ch]
    return sorted({c.upper() for c in group if c.isdigit() or c.isupper()} - {ch})


def repair_ocr(
    value: str,
    validator: Callable[[str], bool],
    *,
    kind: Literal["digits", "alnum"],
) -> tuple[str, bool] | None:
    """``(value, False)`` when ``value`` is valid; ``(repaired, True)`` when exactly one
    single-character OCR confusion (O/0, I/1/l, S/5, B/8, Z/2, G/6) makes it valid and no
    other one does; None when no repair or more than one repair works.

    ``kind="digits"`` only turns letters into their digit; ``"alnum"`` tries both ways.
    """
    if validator(value):
        return value, False
    valid: set[str] = set()
    for i, ch in enumerate(value):
        for alt in _alternatives(ch, kind):
            candidate = value[:i] + alt + value[i + 1 :]
            if validator(candidate):
                valid.add(candidate)
                if len(valid) > 1:
                    log.debug("OCR repair of %r is ambiguous: %s", value, sorted(valid))
                    return None
    if len(valid) == 1:
        return valid.pop(), True
    return None
