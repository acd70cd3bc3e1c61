"""Turn printed values into our types: amounts, dates, currencies, names, references.

Pure functions, no I/O. Each ``parse_*`` returns ``None`` when the text is not such a value,
never a guess dressed as a value. babel (month names, currency codes) and dateparser (worded
dates the fast paths do not know) are called only here.

Amount rules (``parse_amount``), in order:

* white space of every kind (U+0020, U+00A0, U+202F, U+2009) and the apostrophe group digits;
  a currency sign or code may come before or after; a sign may lead (``-``, ``−``, ``–``),
  trail (``12,00-``) or be parentheses (``(12,00)``); ``12.-`` / ``12,-`` mean ``12.00``;
* when both ``.`` and ``,`` occur, the last one is the decimal separator;
* a lone separator followed by 1 or 2 digits is the decimal separator (``12,5``, ``1234.56``);
* a lone ``.`` or ``,`` followed by exactly 3 digits (``1.234``, ``1,234``) is ambiguous. It is
  a thousands separator when the integer part is 1-3 digits and not ``0`` (money with three
  decimals is rare, grouped thousands are common), a decimal separator otherwise (``0,125``,
  ``1234,567``). A caller that knows the document's convention passes ``decimal_separator``,
  and :func:`find_amounts` infers it from the unambiguous amounts of the same text;
* thousands groups must be exactly three digits, the first one to three digits;
* the result is quantized to 0.01 (half up).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

CENT = Decimal("0.01")

# --------------------------------------------------------------------------- currencies

_CURRENCY_SYMBOLS: dict[str, str] = {
    "€": "EUR",
    "£": "GBP",
    "$": "USD",
    "US$": "USD",
    "CA$": "CAD",
    "C$": "CAD",
    "A$": "AUD",
    "R$": "BRL",
    "¥": "JPY",
    "₹": "INR",
    "Rs": "INR",
    "Rs.": "INR",
    "₺": "TRY",
    "zł": "PLN",
    "Kč": "CZK",
    "RM": "MYR",
    "S$": "SGD",
    "HK$": "HKD",
    "Fr.": "CHF",
    "SFr.": "CHF",
    "Fr": "CHF",
    "SFr": "CHF",
}

_CURRENCY_WORDS: dict[str, str] = {
    "euro": "EUR",
    "euros": "EUR",
    "eur": "EUR",
    "dollar": "USD",
    "dollars": "USD",
    "livre sterling": "GBP",
    "livres sterling": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "sterling": "GBP",
    "franc suisse": "CHF",
    "francs suisses": "CHF",
    "ringgit": "MYR",
}


@lru_cache(maxsize=1)
def _iso_codes() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


@lru_cache(maxsize=1)
def _currency_regex() -> re.Pattern[str]:
    symbols = sorted(_CURRENCY_SYMBOLS, key=len, reverse=True)
    words = sorted(_CURRENCY_WORDS, key=len, reverse=True)
    sym = "|".join(re.escape(s) for s in symbols if not s[0].isalpha())
    alpha_sym = "|".join(re.escape(s) for s in symbols if s[0].isalpha())
    word = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    return re.compile(
        rf"(?P<sym>{sym})|(?<![A-Za-z])(?P<asym>{alpha_sym})(?![A-Za-z])"
        rf"|(?<![A-Za-z])(?P<word>{word})(?![A-Za-z])|(?<![A-Za-z])(?P<code>[A-Z]{{3}})(?![A-Za-z])",
        re.IGNORECASE,
    )


def _code_stands_alone(text: str, m: re.Match[str]) -> bool:
    """An ISO code counts when it is the whole text or next to a number (``ALL``, ``PEN``
    and ``TOP`` are also words)."""
    if text.strip() == m.group(0):
        return True
    before = text[max(0, m.start() - 2) : m.start()]
    after = text[m.end() : m.end() + 2]
    return bool(re.search(r"\d\s?$", before) or re.match(r"\s?[\d\-−]", after))


def parse_currency(text: str) -> str | None:
    """The ISO 4217 code of the first currency mark in ``text``, or None.

    Knows the signs (``€``, ``$``, ``£``, ``Fr.``...), the French and English words
    (``euros``, ``dollars``) and every ISO code babel lists, written in capitals (``eur``
    is taken as a word, ``Chf`` is not a code).
    """
    if not text:
        return None
    for m in _currency_regex().finditer(text):
        if m.group("sym"):
            return _CURRENCY_SYMBOLS[m.group("sym")]
        if m.group("asym"):
            # Alphabetic signs count only as conventionally printed ("RM", "Fr.", not "rm").
            raw = m.group("asym")
            if raw in _CURRENCY_SYMBOLS:
                return _CURRENCY_SYMBOLS[raw]
        if m.group("word"):
            return _CURRENCY_WORDS[re.sub(r"\s+", " ", m.group("word").lower())]
        code = m.group("code")
        if code and code.isupper() and code in _iso_codes() and _code_stands_alone(text, m):
            return code
    return None


# --------------------------------------------------------------------------- amounts

_SPACES = "\u0020\u00a0\u202f\u2009\u2007"
_GROUP_CHARS = _SPACES + "'’"
_MINUS = "-−–"

# A number as printed: grouped thousands or plain digits, optional decimals or ".-".
_NUMBER = (
    rf"(?:\d{{1,3}}(?:[{_GROUP_CHARS}.,]\d{{3}})+(?:[.,](?:\d{{1,2}}|-{{1,2}}))?"
    rf"|\d+(?:[.,](?:\d{{1,3}}|-{{1,2}}))?"
    rf"|[.,]\d{{2}})"
)

# The marks printed next to amounts: signs, and the ISO codes most often seen in a
# travel-assistance mailroom (any other code still names the currency via parse_currency).
_ISO_NEAR_AMOUNTS = (
    "EUR|USD|GBP|CHF|CAD|AUD|JPY|CNY|INR|MYR|SGD|HKD|PLN|CZK|HUF|SEK|NOK|DKK|TRY|MAD|TND|XOF|XPF"
)
_CUR_BEFORE = rf"(?:€|£|\$|US\$|¥|₹|Rs\.?|{_ISO_NEAR_AMOUNTS}|RM|Fr\.|SFr\.)"
_CUR_AFTER = rf"(?:€|£|\$|₹|{_ISO_NEAR_AMOUNTS}|zł|Kč|euros?|Euros?|EUROS?|Fr\.|F\.?CFA)"

_AMOUNT_RE = re.compile(
    rf"(?<![\w.,/])"
    rf"(?P<open>\()?"
    rf"(?:(?P<pre>{_CUR_BEFORE})[{_SPACES}]?)?"
    rf"(?P<sign>[{_MINUS}+][{_SPACES}]?)?"
    rf"(?:(?P<pre2>{_CUR_BEFORE})[{_SPACES}]?)?"
    rf"(?P<num>{_NUMBER})"
    rf"(?P<tsign>-(?![\d-]))?"
    rf"(?:[{_SPACES}]?(?P<post>{_CUR_AFTER})(?![A-Za-z]))?"
    rf"(?P<close>\))?"
    rf"(?![\d%]|[.,/]\d|[{_SPACES}]?%)"
)


def _number_to_decimal(num: str, decimal_separator: str | None) -> Decimal | None:
    """The value of a bare printed number (no sign, no currency) by the module's rules."""
    num = num.strip()
    if not num:
        return None
    if num.endswith(("-", "--")):
        num = num.rstrip("-")
        if not num or num[-1] not in ".,":
            return None
        num = num[:-1] + ".00"
        return _number_to_decimal(num.replace(",", ".") if num.count(".") == 1 else num, ".")
    seps = [(i, c) for i, c in enumerate(num) if not c.isdigit()]
    if any(c not in _GROUP_CHARS + ".," for _, c in seps):
        return None
    if not seps:
        return Decimal(num)
    last_i, last_c = seps[-1]
    tail = num[last_i + 1 :]
    head = num[:last_i]
    decimal_at: int | None
    if last_c in _GROUP_CHARS:
        decimal_at = None
    elif len({c for _, c in seps}) > 1 and last_c in ".,":
        decimal_at = last_i
    elif len(seps) > 1:
        # The same separator several times: thousands ("1.234.567").
        decimal_at = None
    elif len(tail) in (1, 2):
        decimal_at = last_i
    elif len(tail) == 3:
        if decimal_separator is not None:
            decimal_at = last_i if last_c == decimal_separator else None
        else:
            decimal_at = None if (1 <= len(head) <= 3 and head != "0") else last_i
    else:
        decimal_at = last_i if len(seps) == 1 else None
    int_part, frac = (num, "") if decimal_at is None else (head, tail)
    if decimal_at is not None and not frac.isdigit():
        return None
    groups = re.split(rf"[{re.escape(_GROUP_CHARS)}.,]", int_part)
    if len(groups) > 1:
        group_seps = {c for i, c in seps if decimal_at is None or i < decimal_at}
        if len(group_seps) != 1:
            return None
        if not (1 <= len(groups[0]) <= 3) or any(len(g) != 3 for g in groups[1:]):
            return None
    digits = "".join(groups)
    if not digits.isdigit():
        return None
    try:
        return Decimal(f"{digits}.{frac}" if frac else digits)
    except InvalidOperation:  # pragma: no cover - the checks above exclude it
        return None


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text: str, *, decimal_separator: str | None = None) -> Decimal | None:
    """The amount printed in ``text`` (the whole text), as a Decimal to the cent, or None.

    ``decimal_separator`` (``","`` or ``"."``) settles the ``1.234`` / ``1,234`` ambiguity
    when the caller knows the convention; without it the module's rules apply.
    """
    if not text:
        return None
    s = text.strip()
    m = _AMOUNT_RE.fullmatch(s)
    if m is None:
        return None
    return _amount_from_match(m, decimal_separator)


def _amount_from_match(m: re.Match[str], decimal_separator: str | None) -> Decimal | None:
    if bool(m.group("open")) != bool(m.group("close")):
        return None
    value = _number_to_decimal(m.group("num"), decimal_separator)
    if value is None:
        return None
    negative = bool(m.group("open")) or bool(m.group("tsign"))
    sign = (m.group("sign") or "").strip()
    if sign and sign in _MINUS:
        negative = not negative if not m.group("open") else True
    value = _quantize(value)
    return -value if negative and value else value


def _context_decimal_separator(text: str) -> str | None:
    """The decimal separator the text's unambiguous amounts use, when they agree."""
    seen: set[str] = set()
    for m in re.finditer(r"(?<![\d.,])\d+(?:[ .,\u00a0\u202f']\d{3})*([.,])\d{2}(?![\d.,])", text):
        seen.add(m.group(1))
    return seen.pop() if len(seen) == 1 else None


def find_amounts(text: str) -> list[tuple[Decimal, int, int]]:
    """Every amount in ``text`` with its character span (start, end), in reading order.

    An amount is a number with a decimal part (``12,50``, ``12,5``, ``12.-``), a number
    grouped with ``.`` or ``,`` (``1.234``), or any number next to a currency mark
    (``150 €``, ``EUR 150``). Bare integers (quantities, postcodes, phone numbers), numbers
    followed by ``%`` and numbers inside dates are not amounts. The span covers the sign and
    the currency mark when printed.
    """
    results: list[tuple[Decimal, int, int]] = []
    if not text:
        return results
    hint = _context_decimal_separator(text)
    for m in _AMOUNT_RE.finditer(text):
        num = m.group("num")
        has_currency = bool(m.group("pre") or m.group("pre2") or m.group("post"))
        has_decimals = bool(re.search(r"[.,](\d{1,2}|-{1,2})$", num))
        grouped_punct = bool(re.fullmatch(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*", num))
        three_decimals = bool(re.fullmatch(r"\d+[.,]\d{3}", num))
        if not (has_currency or has_decimals or grouped_punct or three_decimals):
            continue
        if re.fullmatch(r"\d+", num) and not has_currency:
            continue
        value = _amount_from_match(m, hint)
        if value is None:
            continue
        start, end = m.start(), m.end()
        if m.group("open") and not m.group("close"):
            start += 1
        sign = m.group("sign") or ""
        if len(sign) > 1 and sign[0] in _MINUS and not m.group("open") and \
                text[start - 1:start] == ":":
            # ":- " is how many tills print a label's colon ("Total Sales :- 60.95"), not a sign
            value, start = abs(value), start + len(sign)
        apart = _cents_apart(m, text)
        if apart is not None:
            value, end = apart
        results.append((value, start, end))
    return results


# a till's cents printed, or read, apart from the units after a currency mark ("RM96. 20",
# "RM 8 60"): two digits, then nothing numeric
_CENTS_APART = re.compile(rf"(?:[.,][{_SPACES}]?|[{_SPACES}])(\d{{2}})(?![\d.,/%]|[{_SPACES}]?%)")


def _cents_apart(m: re.Match[str], text: str) -> tuple[Decimal, int] | None:
    """The amount and its new end when a currency-marked whole number's cents follow it
    apart; None when they do not."""
    if not (m.group("pre") or m.group("pre2")) or m.group("post") or m.group("tsign") \
            or m.group("open") or not re.fullmatch(r"\d{1,5}", m.group("num")):
        return None
    cents = _CENTS_APART.match(text, m.end())
    if cents is None:
        return None
    value = Decimal(f"{int(m.group('num'))}.{cents.group(1)}")
    sign = (m.group("sign") or "").strip()
    return (-value if sign and sign in _MINUS else value), cents.end()


# --------------------------------------------------------------------------- dates

DEFAULT_LANGUAGES: tuple[str, ...] = ("fr", "en", "es", "it", "de")

_NUMERIC_DATE_RE = re.compile(
    r"(?<![\d.,/-])(?:"
    r"(?P<y1>(?:19|20)\d{2})(?P<s1>[-/.])(?P<m1>\d{1,2})(?P=s1)(?P<d1>\d{1,2})"
    r"|(?P<a>\d{1,2})(?P<s2>[-/.])(?P<b>\d{1,2})(?P=s2)(?P<y2>\d{4}|\d{2})"
    r")(?![\d]|[.,/-]\d)"
)


def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


@lru_cache(maxsize=16)
def _month_table(languages: tuple[str, ...]) -> dict[str, int]:
    """Month names (wide and abbreviated, with and without accents) -> month number.

    Built from babel's CLDR data; a name that means different months in two languages is
    left out rather than guessed.
    """
    from babel import Locale
    from babel.core import UnknownLocaleError

    table: dict[str, int] = {}
    conflicts: set[str] = set()

    def add(name: str, month: int) -> None:
        for variant in {name, _strip_accents(name)}:
            key = variant.lower().rstrip(".")
            if len(key) < 3:
                continue
            if key in table and table[key] != month:
                conflicts.add(key)
            table[key] = month

    for lang in languages:
        try:
            locale = Locale.parse(lang)
        except (UnknownLocaleError, ValueError) as e:
            log.debug("no month names for language %r: %s", lang, e)
            continue
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for month, name in locale.months[context][width].items():
                    add(name, month)
                    if width == "wide" and len(name) > 4:
                        add(name[:3], month)
                        add(name[:4], month)
    # Common short forms CLDR does not list.
    for name, month in (("sept", 9), ("fev", 2), ("fév", 2), ("janv", 1), ("avr", 4)):
        if name not in table:
            add(name, month)
    for key in conflicts:
        table.pop(key, None)
    return table


@lru_cache(maxsize=16)
def _worded_date_regexes(languages: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    names = sorted(_month_table(languages), key=len, reverse=True)
    month = "(?P<month>" + "|".join(re.escape(n) for n in names) + r")\.?"
    day = r"(?P<day>\d{1,2})(?:er|st|nd|rd|th|º|°|\.)?"
    year = r"(?P<year>\d{4}|'?\d{2})"
    sep = r"[\s\-/]*(?:de\s+|del\s+|of\s+)?"
    dmy = re.compile(
        rf"(?<![\w]){day}{sep}{month}(?![^\W\d_]){sep.replace('/', '/,')}{year}(?![\d])",
        re.IGNORECASE,
    )
    mdy = re.compile(
        rf"(?<![\w]){month}(?![^\W\d_])[\s\-]*{day}(?:\s*,\s*|[\s\-]+){year}(?![\d])",
        re.IGNORECASE,
    )
    return dmy, mdy


def _year(text: str) -> int:
    y = int(text.lstrip("'"))
    if len(text.lstrip("'")) == 2:
        y += 2000 if y < 70 else 1900
    return y


def _make_date(year: int, month: int, day: int) -> date | None:
    if not 1900 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(
    text: str,
    *,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    day_first: bool = True,
) -> list[tuple[date, int, int]]:
    """Every complete date (day, month and year) in ``text`` with its span, in order.

    Numeric dates (``12/03/2026``, ``12.03.26``, ``2026-03-12``) are read day first unless
    ``day_first`` is False; worded dates (``12 mars 2026``, ``1er mars 2026``,
    ``12 de marzo de 2026``, ``March 12, 2026``, ``12-Mar-2026``) use the month names of
    ``languages``. Impossible dates (``31/02/2026``) and dates without a year are skipped.
    """
    found: list[tuple[date, int, int]] = []
    if not text:
        return found
    for m in _NUMERIC_DATE_RE.finditer(text):
        if m.group("y1"):
            d = _make_date(int(m.group("y1")), int(m.group("m1")), int(m.group("d1")))
        else:
            a, b = int(m.group("a")), int(m.group("b"))
            day, month = (a, b) if day_first else (b, a)
            d = _make_date(_year(m.group("y2")), month, day)

        if d is not None:
            found.append((d, m.start(), m.end()))
    langs = tuple(languages)
    table = _month_table(langs)
    for regex in _worded_date_regexes(langs):
        for m in regex.finditer(text):
            if any(s < m.end() and m.start() < e for _, s, e in found):
                continue
            month_no = table.get(_strip_accents(m.group("month")).lower().rstrip("."))
            if month_no is None:
                month_no = table.get(m.group("month").lower().rstrip("."))
            if month_no is None:
                continue
            d = _make_date(_year(m.group("year")), month_no, int(m.group("day")))
            if d is not None:
                found.append((d, m.start(), m.end()))
    found.sort(key=lambda t: t[1])
    return found


def _dateparser_settings(day_first: bool) -> dict[str, Any]:
    return {
        "DATE_ORDER": "DMY" if day_first else "MDY",
        "PREFER_DAY_OF_MONTH": "first",
        "REQUIRE_PARTS": ["day", "month", "year"],
        "RETURN_AS_TIMEZONE_AWARE": False,
        "STRICT_PARSING": True,
        "PARSERS": ["custom-formats", "absolute-time"],
    }


def parse_date(
    text: str,
    *,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    day_first: bool = True,
) -> date | None:
    """The date printed in ``text``, or None.

    The fast regular-expression paths of :func:`find_dates` come first (the first date found
    wins); short texts with words they do not know go to dateparser with the same languages,
    ``DATE_ORDER`` and ``REQUIRE_PARTS`` day, month and year.
    """
    if not text or not text.strip():
        return None
    found = find_dates(text, languages=languages, day_first=day_first)
    if found:
        return found[0][0]
    s = text.strip()
    if len(s) > 60 or not re.search(r"\d", s) or not re.search(r"[^\W\d_]", s):
        return None
    import dateparser

    try:
        parsed = dateparser.parse(
            s, languages=list(languages), settings=_dateparser_settings(day_first)
        )
    except (ValueError, TypeError, OverflowError) as e:
        log.debug("dateparser could not read %r: %s", s, e)
        return None
    if parsed is None:
        return None
    # dateparser fills parts it did not read (``le douze mars 2026`` gives the 20th): keep
    # its answer only when the day and the year it returns are printed as numbers.
    numbers = {int(n) for n in re.findall(r"\d+", s)}
    if parsed.day not in numbers or not ({parsed.year, parsed.year % 100} & numbers):
        return None
    return _make_date(parsed.year, parsed.month, parsed.day)


# --------------------------------------------------------------------------- names, refs

_STRAY = " \t\r\n:;,|/\\*_\"'«»“”‘’•·-–—=#~>()[]{}"


def fold_name(text: str) -> str:
    """A name as printed: white space folded to single spaces, stray punctuation trimmed.

    Case is kept. A final dot is kept when it ends an abbreviation (``S.A.``, ``J.``,
    ``Cie.``) and dropped otherwise. Brackets are trimmed only when unbalanced.
    """
    s = " ".join(text.split())
    while True:
        before = s
        s = s.strip(_STRAY.replace("(", "").replace(")", "").replace("[", "").replace("]", ""))
        if s.endswith(")") and s.count("(") < s.count(")"):
            s = s[:-1]
        if s.startswith("(") and s.count("(") > s.count(")"):
            s = s[1:]
        if s.endswith("]") and s.count("[") < s.count("]"):
            s = s[:-1]
        if s.startswith("[") and s.count("[") > s.count("]"):
            s = s[1:]
        if s.endswith("."):
            last = s.rsplit(" ", 1)[-1]
            is_abbreviation = last.count(".") > 1 or len(last) <= 4
            if not is_abbreviation:
                s = s[:-1]
        if s == before:
            return s


def normalize_reference(text: str) -> str:
    """A dossier reference or policy number: upper case, no spaces, stray ends trimmed."""
    s = "".join(text.split()).upper()
    return s.strip(":;,.|/\\*_\"'«»“”‘’•·-–—=#~()[]{}")
