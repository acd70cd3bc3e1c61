"""Valid French and banking identifiers: SIREN/SIRET (Luhn), VAT key, RIB key, IBAN, RPPS."""

from __future__ import annotations

import random
import string

_RIB_LETTERS = {
    **{c: v for c, v in zip("ABCDEFGHI", range(1, 10), strict=True)},
    **{c: v for c, v in zip("JKLMNOPQR", range(1, 10), strict=True)},
    **{c: v for c, v in zip("STUVWXYZ", range(2, 10), strict=True)},
}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _luhn_complete(prefix: str) -> str:
    """``prefix`` plus one check digit that makes the whole Luhn-valid."""
    for d in "0123456789":
        if luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError("unreachable")


def siren(rng: random.Random) -> str:
    first = str(rng.randint(3, 9))
    return _luhn_complete(first + "".join(rng.choice(string.digits) for _ in range(7)))


def siret(rng: random.Random, siren_: str | None = None) -> str:
    base = siren_ or siren(rng)
    nic = f"{rng.randint(1, 99):04d}" if rng.random() < 0.8 else f"{rng.randint(100, 9999):04d}"
    return _luhn_complete(base + nic)


def vat_number(siren_: str) -> str:
    key = (12 + 3 * (int(siren_) % 97)) % 97
    return f"FR{key:02d}{siren_}"


def vat_ok(vat: str) -> bool:
    if not (vat.startswith("FR") and len(vat) == 13 and vat[2:].isdigit()):
        return False
    return int(vat[2:4]) == (12 + 3 * (int(vat[4:]) % 97)) % 97


def rib_key(bank: str, branch: str, account: str) -> str:
    acc = "".join(str(_RIB_LETTERS.get(c, c)) for c in account.upper())
    return f"{97 - ((89 * int(bank) + 15 * int(branch) + 3 * int(acc)) % 97):02d}"


def _alnum_to_digits(s: str) -> str:
    return "".join(str(int(c, 36)) for c in s)


def iban_ok(iban: str) -> bool:
    iban = iban.replace(" ", "").upper()
    if len(iban) < 15 or not iban[:2].isalpha():
        return False
    return int(_alnum_to_digits(iban[4:] + iban[:4])) % 97 == 1


def iban_from_bban(country: str, bban: str) -> str:
    check = 98 - int(_alnum_to_digits(bban + country + "00")) % 97
    return f"{country}{check:02d}{bban}"


def french_iban(bank: str, branch: str, account: str) -> str:
    return iban_from_bban("FR", bank + branch + account + rib_key(bank, branch, account))


def group4(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def rpps(rng: random.Random) -> str:
    """An 11-digit RPPS number (leading 10, Luhn check digit as the real register uses)."""
    return _luhn_complete("10" + "".join(rng.choice(string.digits) for _ in range(8)))


def adeli(rng: random.Random) -> str:
    """A 9-digit ADELI number: department (2), profession (2), serial (4), check digit."""
    dept = rng.choice(["13", "31", "33", "44", "59", "67", "69", "75", "92", "93", "06"])
    return _luhn_complete(dept + rng.choice(["10", "40", "60"]) + f"{rng.randint(0, 9999):04d}")


def plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPQRSTVWXYZ"  # SIV excludes I, O and U
    a = "".join(rng.choice(letters) for _ in range(2))
    b = "".join(rng.choice(letters) for _ in range(2))
    return f"{a}-{rng.randint(1, 999):03d}-{b}"
