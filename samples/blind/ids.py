"""People, companies and the identifiers French documents print, valid by construction.

Every number here passes its own check (SIREN/SIRET Luhn, French VAT key, RIB key and IBAN
mod 97, RPPS Luhn), and every value is returned both as printed and in the contract's form.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

FIRST_NAMES_F = [
    "Claire", "Hélène", "Françoise", "Nathalie", "Sophie", "Isabelle", "Céline", "Aurélie",
    "Marie-Christine", "Élodie", "Anaïs", "Brigitte", "Josiane", "Chloé", "Maëlys", "Agnès",
]
FIRST_NAMES_M = [
    "Jean-Marc", "Jérôme", "Loïc", "Philippe", "Thierry", "Mathieu", "Grégoire", "François",
    "Hervé", "Noël", "Benoît", "Pierre-Yves", "Yannick", "Sébastien", "Gaël", "Rémi",
]
LAST_NAMES = [
    "Lefèvre", "Dubois", "Moreau", "Girard", "Bonnet", "Fontaine", "Rousseau", "Chevalier",
    "Garnier", "Lemaître", "Perrin", "Mercier", "Faure", "Gauthier", "Brunet", "Leclerc",
    "Roussel", "Marchand", "Barbier", "Texier", "Le Goff", "Kervella", "Da Silva", "Nguyen",
    "Berthelot-Ragot", "Vasseur", "Duchêne", "Picard", "Besnard", "Arnaud",
]
CITIES = [
    ("Rennes", "35000"), ("Quimper", "29000"), ("Angers", "49000"), ("Tours", "37000"),
    ("Dijon", "21000"), ("Besançon", "25000"), ("Clermont-Ferrand", "63000"),
    ("Limoges", "87000"), ("Pau", "64000"), ("Perpignan", "66000"), ("Nîmes", "30000"),
    ("Valence", "26000"), ("Chambéry", "73000"), ("Metz", "57000"), ("Reims", "51100"),
    ("Amiens", "80000"), ("Rouen", "76000"), ("Caen", "14000"), ("Brive-la-Gaillarde", "19100"),
    ("Montélimar", "26200"), ("Saint-Brieuc", "22000"), ("Orléans", "45000"),
]
STREETS = [
    "rue des Acacias", "avenue du Général Leclerc", "boulevard Gambetta", "chemin des Vignes",
    "place de l'Église", "rue Jean Jaurès", "allée des Tilleuls", "route de Paris",
    "impasse des Lilas", "rue du Maréchal Foch", "quai de la Loire", "rue Pasteur",
    "ZA des Landes", "ZI Les Bruyères", "rue de la Gare", "avenue de Verdun",
]
# French banks with their bank code and BIC (public, printed on every RIB they issue).
BANKS = [
    ("BNP PARIBAS", "30004", "BNPAFRPP"),
    ("SOCIETE GENERALE", "30003", "SOGEFRPP"),
    ("LCL - LE CREDIT LYONNAIS", "30002", "CRLYFRPP"),
    ("LA BANQUE POSTALE", "20041", "PSSTFRPPREN"),
    ("CREDIT MUTUEL DE BRETAGNE", "15589", "CMBRFR2BARK"),
    ("CREDIT AGRICOLE ANJOU MAINE", "17906", "AGRIFRPP879"),
    ("CAISSE D'EPARGNE BRETAGNE PAYS DE LOIRE", "14445", "CEPAFRPP444"),
    ("BANQUE POPULAIRE GRAND OUEST", "13807", "CCBPFRPPNAN"),
    ("CIC OUEST", "30047", "CMCIFRPP"),
]
ASSISTEURS = ["Assistance Horizon", "Europ'Secours Assistance", "Mutuelle Route Assistance"]


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


def _luhn_complete(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError("unreachable: one digit always completes a Luhn number")


def siren(rng: random.Random) -> str:
    return _luhn_complete(rng, rng.choice("34578"), 9)


def siret(rng: random.Random, siren_: str) -> str:
    nic = "000" + rng.choice("1234")
    for last in string.digits:
        if luhn_ok(siren_ + nic + last):
            return siren_ + nic + last
    raise AssertionError("unreachable")


def vat_number(siren_: str) -> str:
    key = (12 + 3 * (int(siren_) % 97)) % 97
    return f"FR{key:02d}{siren_}"


def rpps(rng: random.Random) -> str:
    return _luhn_complete(rng, "10", 11)


def adeli(rng: random.Random, department: str) -> str:
    return department + "1" + "".join(rng.choice(string.digits) for _ in range(6))


def rib_key(bank: str, branch: str, account: str) -> str:
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def iban_from_bban(bban: str, country: str = "FR") -> str:
    moved = bban + country + "00"
    numeric = "".join(str(int(c, 36)) for c in moved)
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def iban_ok(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def groups_of_four(text: str) -> str:
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@dataclass(frozen=True)
class Account:
    bank_name: str
    bank_code: str
    branch_code: str
    account_number: str
    key: str
    iban: str
    bic: str
    branch_city: str


def account(rng: random.Random) -> Account:
    name, code, bic = rng.choice(BANKS)
    branch = "".join(rng.choice(string.digits) for _ in range(5))
    number = "".join(rng.choice(string.digits) for _ in range(11))
    key = rib_key(code, branch, number)
    return Account(
        name, code, branch, number, key, iban_from_bban(code + branch + number + key), bic,
        rng.choice(CITIES)[0],
    )


PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"


def plate(rng: random.Random) -> str:
    def two() -> str:
        return rng.choice(PLATE_LETTERS) + rng.choice(PLATE_LETTERS)

    first = two()
    while first in ("SS", "WW"):
        first = two()
    return f"{first}-{rng.randint(11, 989):03d}-{two()}"


def printed_plate(rng: random.Random, plate_: str) -> str:
    return rng.choice([plate_, plate_, plate_.replace("-", " "), plate_.replace("-", "")])


@dataclass(frozen=True)
class Person:
    civility: str  # "Madame" / "Monsieur"
    first_name: str
    last_name: str
    street: str
    city: str
    postcode: str
    birth: date

    @property
    def short_civility(self) -> str:
        return "Mme" if self.civility == "Madame" else "M."

    def name(self, style: str) -> str:
        """The name as one document prints it; the contract's value is the same text."""
        if style == "upper":
            return f"{self.first_name} {self.last_name.upper()}"
        if style == "all_upper":
            return f"{self.first_name.upper()} {self.last_name.upper()}"
        if style == "last_first":
            return f"{self.last_name.upper()} {self.first_name}"
        return f"{self.first_name} {self.last_name}"

    @property
    def email(self) -> str:
        import unicodedata

        def ascii_(s: str) -> str:
            s = unicodedata.normalize("NFKD", s)
            return "".join(c for c in s if c.isalnum() and c.isascii()).lower()

        return f"{ascii_(self.first_name)}.{ascii_(self.last_name)}@exemple-mail.fr"


def person(rng: random.Random, reference_day: date) -> Person:
    female = rng.random() < 0.5
    first = rng.choice(FIRST_NAMES_F if female else FIRST_NAMES_M)
    city, postcode = rng.choice(CITIES)
    age_days = rng.randint(19 * 365, 82 * 365)
    return Person(
        "Madame" if female else "Monsieur",
        first,
        rng.choice(LAST_NAMES),
        f"{rng.randint(1, 148)} {rng.choice(STREETS)}",
        city,
        postcode,
        reference_day - timedelta(days=age_days),
    )


@dataclass(frozen=True)
class Company:
    name: str
    legal_form: str
    capital: int
    siren: str
    siret: str
    vat: str
    street: str
    city: str
    postcode: str
    phone: str
    account: Account


def company(rng: random.Random, name: str) -> Company:
    s = siren(rng)
    city, postcode = rng.choice(CITIES)
    phone = "0" + str(rng.randint(1, 5)) + "".join(
        f" {rng.randint(0, 99):02d}" for _ in range(4)
    )
    return Company(
        name,
        rng.choice(["SARL", "SAS", "SASU", "EURL", "SA"]),
        rng.choice([1000, 7500, 8000, 15000, 37000, 50000, 120000]),
        s,
        siret(rng, s),
        vat_number(s),
        f"{rng.randint(1, 90)} {rng.choice(STREETS)}",
        city,
        postcode,
        phone,
        account(rng),
    )


CENT = Decimal("0.01")


def money(value: Decimal | float | str) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def fr_amount(value: Decimal, thousands: str = " ") -> str:
    """1234.5 -> '1 234,50' (the French way; thousands separator as the issuer's software)."""
    whole, cents = f"{value:.2f}".split(".")
    neg = whole.startswith("-")
    whole = whole.lstrip("-")
    parts: list[str] = []
    while len(whole) > 3:
        parts.insert(0, whole[-3:])
        whole = whole[:-3]
    parts.insert(0, whole)
    return ("-" if neg else "") + thousands.join(parts) + "," + cents


MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
]


def fr_date(d: date, style: str) -> str:
    if style == "slash":
        return d.strftime("%d/%m/%Y")
    if style == "short":
        return d.strftime("%d/%m/%y")
    if style == "dot":
        return d.strftime("%d.%m.%Y")
    if style == "dash":
        return d.strftime("%d-%m-%Y")
    if style == "long":
        day = "1er" if d.day == 1 else str(d.day)
        return f"{day} {MONTHS[d.month - 1]} {d.year}"
    if style == "long_upper":
        return f"{d.day} {MONTHS[d.month - 1].upper()} {d.year}"
    raise ValueError(style)
