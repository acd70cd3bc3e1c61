"""What the review application shows of a field: its French label, what to type in it, its
value in French formats (dates ``12/03/2026``, amounts ``1 234,56 €``), where it is on the page.
A typed value is read by :mod:`extract.corrected`."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal

from extract.corrected import AMOUNT_FIELDS, DATE_FIELDS
from mailroom.models import BBox, Document, FieldValue

FIELD_LABELS: dict[str, str] = {
    "supplier_name": "Fournisseur",
    "supplier_siren": "SIREN",
    "supplier_siret": "SIRET",
    "supplier_vat_number": "N° TVA",
    "invoice_number": "N° de facture",
    "invoice_date": "Date de facture",
    "total_excl_tax": "Total HT",
    "vat_amount": "TVA",
    "total_incl_tax": "Total TTC",
    "currency": "Devise",
    "iban": "IBAN",
    "bic": "BIC",
    "customer_name": "Client",
    "dossier_reference": "Réf. dossier",
    "policy_number": "N° de contrat",
    "vehicle_registration": "Immatriculation",
    "merchant_name": "Commerçant",
    "receipt_date": "Date du ticket",
    "payment_method": "Paiement",
    "practitioner_name": "Praticien",
    "practitioner_id": "RPPS / ADELI",
    "patient_name": "Patient",
    "issue_date": "Date du certificat",
    "incapacity_start": "Début d'incapacité",
    "incapacity_end": "Fin d'incapacité",
    "account_holder": "Titulaire",
    "sender_name": "Expéditeur",
    "requested_amount": "Montant demandé",
}


def field_hint(name: str) -> str:
    """What to type, shown beside the input."""
    if name in DATE_FIELDS:
        return "date, ex. 12/03/2026"
    if name in AMOUNT_FIELDS:
        return "montant, ex. 1234,56"
    return {
        "currency": "code ISO 4217, ex. EUR",
        "supplier_siren": "9 chiffres",
        "supplier_siret": "14 chiffres",
        "supplier_vat_number": "ex. FR44732829320",
        "iban": "ex. FR76 3000 6000 0112 3456 7890 189",
        "bic": "8 ou 11 caractères",
        "practitioner_id": "RPPS (11 chiffres) ou ADELI (9)",
        "vehicle_registration": "ex. GH-412-KL",
        "payment_method": "carte, espèces, chèque ou virement",
    }.get(name, "")


# --- shown to people: French formats and labels (storage and the API keep the contract's) ---

PAYMENT_LABELS: dict[str, str] = {
    "card": "carte",
    "cash": "espèces",
    "cheque": "chèque",
    "transfer": "virement",
}


def french_amount(value: Decimal, *, currency: str | None = "€") -> str:
    """``Decimal("1234.5")`` -> ``1 234,50 €`` (a narrow no-break space between thousands)."""
    text = f"{value.quantize(Decimal('0.01')):,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text}\u00a0{currency}" if currency else text


def french_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def display_value(name: str, value: FieldValue) -> str:
    """A field's value as a French reader writes it, which :func:`parse_correction` reads
    back: ``12/03/2026``, ``1 234,56 €``, ``virement``."""
    if isinstance(value, Decimal):
        return french_amount(value, currency="€" if name in AMOUNT_FIELDS else None)
    if isinstance(value, date):
        return french_date(value)
    if name == "payment_method":
        return PAYMENT_LABELS.get(value, value)
    return value


def _alnum(text: str) -> str:
    return "".join(ch for ch in fold(text) if ch.isalnum())


def locate_value(doc: Document, spellings: list[str]) -> tuple[int, BBox] | None:
    """Where the page shows a value: the first run of up to 8 words whose letters and digits
    are those of one of its ``spellings`` (``1 234,50`` and ``1234.50`` alike), so that a
    corrected field's box moves to the words of its new value."""
    targets = {t for t in (_alnum(s) for s in spellings) if t}
    if not targets:
        return None
    longest = max(len(t) for t in targets)
    for page in doc.pages:
        words = [_alnum(w.text) for w in page.words]
        for start in range(len(words)):
            joined = ""
            for end in range(start, min(start + 8, len(words))):
                joined += words[end]
                if joined in targets and words[start] and words[end]:
                    return page.number, BBox.union([w.bbox for w in page.words[start : end + 1]])
                if len(joined) >= longest:
                    break
    return None


def split_person_name(name: str) -> tuple[str, str]:
    """``Océane MARTIN`` or ``MARTIN Océane`` -> (``Océane``, ``MARTIN``): the upper-case words
    are the family name; without any, the last word is."""
    words = name.split()
    if not words:
        return "", ""
    upper = [w for w in words if w.isupper() and len(w) > 1]
    if upper and len(upper) < len(words):
        return " ".join(w for w in words if w not in upper), " ".join(upper)
    return " ".join(words[:-1]), words[-1]


def fold(text: str) -> str:
    """Lower case without accents: what a search or a comparison of spellings reads."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
