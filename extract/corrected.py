"""A value a person typed for a field (in the review application, or a line of
``mailroom corrections import``), read into the contract's format for its field, or refused.

Each field name has a kind (date, amount, currency, SIRET, ...). :func:`parse_correction`
accepts what a person types (``12/03/2026``, ``1 234,56``, ``fr76 3000 ...``) and returns the
normalised value, or raises :class:`InvalidCorrection` with a sentence in French.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from extract.identifiers import (
    adeli_valid,
    bic_valid,
    iban_valid,
    normalize_iban,
    normalize_plate,
    normalize_siret,
    normalize_vat,
    rpps_valid,
    siren_valid,
    siret_valid,
    vat_valid,
)
from extract.normalize import fold_name, normalize_reference, parse_amount, parse_date
from mailroom.models import FieldValue

# The fields of each type are the extractor's (the contract's table), not a copy of them.

DATE_FIELDS = frozenset(
    {"invoice_date", "receipt_date", "issue_date", "incapacity_start", "incapacity_end"}
)
AMOUNT_FIELDS = frozenset({"total_excl_tax", "vat_amount", "total_incl_tax", "requested_amount"})
NAME_FIELDS = frozenset(
    {
        "supplier_name",
        "customer_name",
        "merchant_name",
        "practitioner_name",
        "patient_name",
        "account_holder",
        "sender_name",
    }
)
REFERENCE_FIELDS = frozenset({"dossier_reference", "policy_number"})
PAYMENT_METHODS = ("card", "cash", "cheque", "transfer")
_PAYMENT_WORDS = {
    "cb": "card",
    "carte": "card",
    "carte bancaire": "card",
    "especes": "cash",
    "espèces": "cash",
    "chèque": "cheque",
    "cheque": "cheque",
    "virement": "transfer",
}

_MARKUP = re.compile(r"[<>]|&#?[A-Za-z0-9]+;")


def has_markup(text: str) -> bool:
    """HTML or XML in a value (a tag, an angle bracket, an entity): no field of the contract
    has any (a name, a reference, an amount), so it is refused as a correction and never kept
    as a training label."""
    return bool(_MARKUP.search(text))


class InvalidCorrection(ValueError):
    """A corrected value that does not fit its field's format; the message is for the user."""


def _siren(raw: str) -> str:
    return "".join(raw.replace(".", " ").split())


# an identifier typed by a person: how it is normalised, how it is checked, what it is
_IDENTIFIERS: dict[str, tuple[Callable[[str], str | None], Callable[[str], bool], str]] = {
    "supplier_siret": (normalize_siret, siret_valid, "un SIRET valide (14 chiffres, clé)"),
    "supplier_siren": (_siren, siren_valid, "un SIREN valide (9 chiffres, clé)"),
    "supplier_vat_number": (normalize_vat, vat_valid, "un numéro de TVA valide"),
    "iban": (normalize_iban, iban_valid, "un IBAN valide"),
}


def parse_correction(name: str, text: str) -> FieldValue:
    """The value of field ``name`` typed as ``text``, in the contract's format."""
    raw = " ".join((text or "").split())
    if not raw:
        raise InvalidCorrection("la valeur est vide")
    if has_markup(raw):
        raise InvalidCorrection(
            f"« {raw} » contient du balisage (< >, &…;) : une valeur de champ n'en a pas"
        )
    if name in DATE_FIELDS:
        day = _parse_iso(raw) or parse_date(raw)
        if day is None:
            raise InvalidCorrection(f"« {raw} » n'est pas une date (ex. 12/03/2026)")
        return day
    if name in AMOUNT_FIELDS:
        amount = parse_amount(raw.replace("€", "").replace("EUR", "").strip())
        if amount is None or amount < 0:
            raise InvalidCorrection(f"« {raw} » n'est pas un montant (ex. 1234,56)")
        return amount.quantize(Decimal("0.01"))
    if name == "currency":
        code = raw.upper().replace("€", "EUR")
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise InvalidCorrection(f"« {raw} » n'est pas un code de devise ISO 4217")
        return code
    if name in _IDENTIFIERS:
        normalise, valid, what = _IDENTIFIERS[name]
        value = normalise(raw)
        if value is None or not valid(value):
            raise InvalidCorrection(f"« {raw} » n'est pas {what}")
        return value
    if name == "bic":
        bic = "".join(raw.split()).upper()
        if not bic_valid(bic):
            raise InvalidCorrection(f"« {raw} » n'est pas un BIC valide (8 ou 11 caractères)")
        return bic
    if name == "practitioner_id":
        digits = "".join(raw.split())
        if not (rpps_valid(digits) or adeli_valid(digits)):
            raise InvalidCorrection(f"« {raw} » n'est ni un RPPS (11 chiffres) ni un ADELI (9)")
        return digits
    if name == "vehicle_registration":
        plate = normalize_plate(raw)
        if plate is None:
            raise InvalidCorrection(f"« {raw} » n'est pas une immatriculation (ex. GH-412-KL)")
        return plate
    if name == "payment_method":
        method = _PAYMENT_WORDS.get(raw.casefold(), raw.casefold())
        if method not in PAYMENT_METHODS:
            raise InvalidCorrection("moyen de paiement : carte, espèces, chèque ou virement")
        return method
    if name in REFERENCE_FIELDS or name == "invoice_number":
        ref = normalize_reference(raw) if name in REFERENCE_FIELDS else raw
        if not ref:
            raise InvalidCorrection("la valeur est vide")
        return ref
    if name in NAME_FIELDS:
        folded = fold_name(raw)
        if not folded:
            raise InvalidCorrection("la valeur est vide")
        return folded
    raise InvalidCorrection(f"champ inconnu : {name}")


def _parse_iso(text: str) -> date | None:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    return None
