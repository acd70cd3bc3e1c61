"""How dates, amounts and identifiers are printed: many styles, one normalised value each."""

from __future__ import annotations

import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    "it": [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
}

DATE_STYLES = {
    "fr": ["dmy_slash", "dmy_dot_short", "long", "iso", "dmy_slash", "long", "dmy_dash"],
    "en": ["en_long", "en_short", "dmy_slash", "iso", "en_long"],
    "es": ["dmy_slash", "long", "dmy_dash", "dmy_slash"],
    "it": ["dmy_slash", "long", "dmy_dot", "dmy_slash"],
}


def money(value: Decimal | float | int | str) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def norm_amount(value: Decimal) -> str:
    return f"{money(value):f}"


def fmt_date(d: date, style: str, lang: str = "fr") -> str:
    months = MONTHS.get(lang, MONTHS["fr"])
    if style == "dmy_slash":
        return d.strftime("%d/%m/%Y")
    if style == "dmy_dot_short":
        return d.strftime("%d.%m.%y")
    if style == "dmy_dot":
        return d.strftime("%d.%m.%Y")
    if style == "dmy_dash":
        return d.strftime("%d-%m-%Y")
    if style == "iso":
        return d.isoformat()
    if style == "long":
        day = "1er" if d.day == 1 and lang == "fr" else str(d.day)
        if lang == "es":
            return f"{d.day} de {months[d.month - 1]} de {d.year}"
        return f"{day} {months[d.month - 1]} {d.year}"
    if style == "en_long":
        return f"{months[d.month - 1]} {d.day}, {d.year}"
    if style == "en_short":
        return f"{d.day} {months[d.month - 1][:3]} {d.year}"
    raise ValueError(style)


def pick_date_style(rng: random.Random, lang: str = "fr") -> str:
    return rng.choice(DATE_STYLES.get(lang, DATE_STYLES["fr"]))


def _group(int_part: str, sep: str) -> str:
    out: list[str] = []
    while len(int_part) > 3:
        out.insert(0, int_part[-3:])
        int_part = int_part[:-3]
    out.insert(0, int_part)
    return sep.join(out)


def fmt_number(value: Decimal, style: str) -> str:
    """The bare number: ``fr`` 1 234,56 / ``fr_nogroup`` 1234,56 / ``de`` 1.234,56 / ``en``
    1,234.56 / ``plain`` 1234.56."""
    v = money(value)
    sign = "-" if v < 0 else ""
    int_part, dec = f"{abs(v):f}".split(".")
    if style == "fr":
        return sign + _group(int_part, "\u00a0" if False else " ") + "," + dec
    if style == "fr_nogroup":
        return f"{sign}{int_part},{dec}"
    if style == "de":
        return sign + _group(int_part, ".") + "," + dec
    if style == "en":
        return sign + _group(int_part, ",") + "." + dec
    if style == "plain":
        return f"{sign}{int_part}.{dec}"
    raise ValueError(style)


CURRENCY_SIGNS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}


def fmt_amount(value: Decimal, style: str, currency: str = "EUR", *, sign: bool = True) -> str:
    """An amount with or without its currency, in one of the styles seen on real documents.

    Styles: ``fr`` ``1 234,56 €``; ``fr_code`` ``1234,56 EUR``; ``de`` ``1.234,56 €``;
    ``en`` ``€1,234.56``; ``en_plain`` ``1,234.56``; ``code_first`` ``CHF 1'234.56`` style
    simplified to ``CHF 1234.56``.
    """
    symbol = CURRENCY_SIGNS.get(currency, currency)
    if style == "fr":
        n = fmt_number(value, "fr")
        return f"{n} {symbol}" if sign else n
    if style == "fr_code":
        n = fmt_number(value, "fr_nogroup")
        return f"{n} {currency}" if sign else n
    if style == "de":
        n = fmt_number(value, "de")
        return f"{n} {symbol}" if sign else n
    if style == "en":
        n = fmt_number(value, "en")
        if not sign:
            return n
        return f"{symbol}{n}" if symbol != currency else f"{currency} {n}"
    if style == "en_plain":
        return fmt_number(value, "en")
    if style == "code_first":
        return f"{currency} {fmt_number(value, 'plain')}" if sign else fmt_number(value, "plain")
    raise ValueError(style)


AMOUNT_STYLES = {
    "fr": ["fr", "fr", "fr_code", "de", "fr"],
    "en": ["en", "en", "en_plain"],
    "es": ["de", "fr_code", "de"],
    "it": ["de", "fr_code", "code_first"],
}


def pick_amount_style(rng: random.Random, lang: str = "fr", currency: str = "EUR") -> str:
    if currency == "CHF":
        return rng.choice(["code_first", "fr_code"])
    return rng.choice(AMOUNT_STYLES.get(lang, AMOUNT_STYLES["fr"]))


def fmt_siret(siret: str, rng: random.Random) -> str:
    return rng.choice([siret, f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"])


def fmt_siren(siren: str) -> str:
    return f"{siren[:3]} {siren[3:6]} {siren[6:]}"


def fmt_plate(plate: str, rng: random.Random) -> str:
    return rng.choice([plate, plate, plate.replace("-", " "), plate.replace("-", "")])


def fmt_phone(rng: random.Random, mobile: bool = False) -> str:
    first = rng.choice(["06", "07"]) if mobile else rng.choice(["01", "02", "03", "04", "05", "09"])
    rest = [f"{rng.randint(0, 99):02d}" for _ in range(4)]
    sep = rng.choice([" ", ".", " "])
    return sep.join([first, *rest])


def fold(s: str) -> str:
    return " ".join(s.split())
