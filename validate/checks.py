"""Business checks of a document against its dossier, the contract and the GED.

Each check has a stable code documented in ``docs/checks.md``. A check is only recorded when it
applies (an invoice without a SIRET gets no ``identifiers.siret_valid``). ``Check.blocking`` is
True for a failed check that must send the document to review; warnings never block.

The prise en charge (the amount the guarantees cover) is computed by :func:`compute_coverage`,
which the ``guarantees.coverage`` check reports in its message and callers can use directly.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Literal

from extract.fields import is_credit_note
from extract.identifiers import (
    fr_vat_from_siren,
    iban_valid,
    siren_valid,
    siret_valid,
    vat_valid,
)
from mailroom.models import Check, DocType, Document
from mailroom.records import Dossier, Guarantee, Mission, supplier_keys
from validate.matching import name_similarity
from validate.settings import DossierSettings

if TYPE_CHECKING:
    from storage.dossiers import DossierRegistry

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
TOTALS_TOLERANCE = Decimal("0.02")
FRENCH_VAT_RATES = (Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"))
MEDICAL_BEFORE_EVENT = timedelta(days=7)

BLOCKING_CODES = frozenset(
    {
        "invoice.totals_consistent",
        "identifiers.siret_valid",
        "identifiers.siren_valid",
        "identifiers.vat_valid",
        "identifiers.iban_valid",
        "invoice.date_before_event",
        "invoice.date_in_future",
        "invoice.duplicate",
        "mission.amount_over_agreed",
        "medical.dates_coherent",
    }
)
"""Codes whose failure sends the document to review (``warn`` never does)."""


def _check(code: str, status: Literal["pass", "warn", "fail"], message: str) -> Check:
    return Check(
        code=code,
        status=status,
        message=message,
        blocking=status == "fail" and code in BLOCKING_CODES,
    )


def euros(value: Decimal) -> str:
    """``1 234,56 €``."""
    q = value.quantize(CENT, rounding=ROUND_HALF_UP)
    units, cents = f"{abs(q):.2f}".split(".")
    grouped = f"{int(units):,}".replace(",", "\u202f")
    return f"{'-' if q < 0 else ''}{grouped},{cents} €"


def _fr_date(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _amount(doc: Document, name: str) -> Decimal | None:
    f = doc.fields.get(name)
    return f.value if f is not None and isinstance(f.value, Decimal) else None


def _date(doc: Document, name: str) -> date | None:
    f = doc.fields.get(name)
    return f.value if f is not None and isinstance(f.value, date) else None


def _text(doc: Document, name: str) -> str | None:
    f = doc.fields.get(name)
    return f.value.strip() or None if f is not None and isinstance(f.value, str) else None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# --------------------------------------------------------------------------- invoice


def check_totals(doc: Document) -> Check | None:
    ht, tva, ttc = (_amount(doc, n) for n in ("total_excl_tax", "vat_amount", "total_incl_tax"))
    if ht is None or tva is None or ttc is None:
        return None
    gap = ht + tva - ttc
    if abs(gap) <= TOTALS_TOLERANCE:
        return _check(
            "invoice.totals_consistent",
            "pass",
            f"HT {euros(ht)} + TVA {euros(tva)} = TTC {euros(ttc)}",
        )
    untaxed = _untaxed_extra(doc, -gap)
    if untaxed is not None:
        return _check(
            "invoice.totals_consistent",
            "pass",
            f"HT {euros(ht)} + TVA {euros(tva)} + {untaxed} = TTC {euros(ttc)}",
        )
    return _check(
        "invoice.totals_consistent",
        "fail",
        f"Totaux incohérents : HT {euros(ht)} + TVA {euros(tva)} = {euros(ht + tva)}, "
        f"mais le TTC lu est {euros(ttc)} (écart {euros(gap)})",
    )


# a line that charges an amount outside VAT: a hotel's tourist tax, disbursements, a line said
# not subject to VAT
_UNTAXED_RE = re.compile(
    r"taxe de sejour|debours|non soumise?s? a (?:la )?tva|hors champ|exoneree?s? de tva"
    r"|sans tva|not subject to vat"
)


def _untaxed_extra(doc: Document, extra: Decimal) -> str | None:
    """What makes up ``extra`` (TTC - HT - TVA) when the page charges it outside VAT: one
    amount of a line saying so, or the sum of those lines' distinct amounts; None otherwise."""
    from extract.normalize import find_amounts

    if extra <= 0:
        return None
    found: dict[Decimal, str] = {}
    for page in doc.pages:
        for line in page.text.splitlines():
            folded = _fold(line)
            match = _UNTAXED_RE.search(folded)
            if match is None:
                continue
            for value, start, _ in find_amounts(line):
                if start > match.start() and value > 0:
                    found.setdefault(value, line.strip()[:40])
    for value, line in found.items():
        if abs(value - extra) <= TOTALS_TOLERANCE:
            return f"hors TVA {euros(value)} (« {line} »)"
    if len(found) > 1 and abs(sum(found) - extra) <= TOTALS_TOLERANCE:
        return f"hors TVA {euros(extra)}"
    return None


_MIX_HINT_RE = re.compile(r"\bexo\b|exon[ée]r|non soumis|hors champ|\b0 ?%")
_RATE_RE = re.compile(r"(\d{1,2}(?:[,.]\d)?)\s?%")


def check_vat_rate(doc: Document) -> Check | None:
    ht, tva = _amount(doc, "total_excl_tax"), _amount(doc, "vat_amount")
    if ht is None or tva is None or ht <= 0:
        return None
    if tva == 0:
        return _check("invoice.vat_rate", "pass", "Facture sans TVA (exonération ou franchise)")
    for rate in FRENCH_VAT_RATES:
        expected = ht * rate / 100
        if abs(expected - tva) <= max(Decimal("0.02"), ht * Decimal("0.0005")):
            return _check("invoice.vat_rate", "pass", f"TVA au taux de {_rate(rate)} %")
    effective = (tva / ht * 100).quantize(Decimal("0.01"))
    text = _fold(doc.text)
    printed = {Decimal(r.replace(",", ".")) for r in _RATE_RE.findall(text)} & set(FRENCH_VAT_RATES)
    mixed = Decimal("0") < effective < FRENCH_VAT_RATES[0] and (
        len(printed) >= 2 or (printed and _MIX_HINT_RE.search(text))
    )
    if mixed:
        return _check(
            "invoice.vat_rate",
            "pass",
            f"Taux effectif {_rate(effective)} % : plusieurs taux sur la facture "
            f"({', '.join(_rate(r) + ' %' for r in sorted(printed, reverse=True))} ou exonération)",
        )
    return _check(
        "invoice.vat_rate",
        "warn",
        f"Taux de TVA effectif {_rate(effective)} % : ni un taux français (20, 10, 5,5, 2,1 %) "
        "ni un mélange visible de ces taux",
    )


def _rate(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def check_invoice_dates(doc: Document, dossier: Dossier | None, today: date) -> list[Check]:
    issued = _date(doc, "invoice_date")
    if issued is None:
        return []
    out: list[Check] = []
    if issued > today:
        out.append(
            _check(
                "invoice.date_in_future",
                "fail",
                f"Facture datée du {_fr_date(issued)}, postérieure à aujourd'hui",
            )
        )
    else:
        out.append(_check("invoice.date_in_future", "pass", f"Facture du {_fr_date(issued)}"))
    if dossier is not None and dossier.event_date is not None:
        if issued < dossier.event_date:
            out.append(
                _check(
                    "invoice.date_before_event",
                    "fail",
                    f"Facture du {_fr_date(issued)}, antérieure à l'événement du "
                    f"{_fr_date(dossier.event_date)} : frais sans lien apparent avec le dossier",
                )
            )
        else:
            out.append(
                _check(
                    "invoice.date_before_event",
                    "pass",
                    f"Facture postérieure ou égale à l'événement du {_fr_date(dossier.event_date)}",
                )
            )
    return out


def check_duplicate(doc: Document, registry: DossierRegistry) -> Check | None:
    number = _text(doc, "invoice_number")
    keys = supplier_keys(_text(doc, "supplier_siret"), _text(doc, "supplier_name"))
    if number is None or not keys:
        return None
    for key in keys:
        filed = registry.find_filed_invoice(key, number)
        if filed is None or filed.document_id == doc.document_id:
            continue
        sirets = {k for k in (*keys, *filed.supplier_keys) if k.startswith("siret:")}
        if len(sirets) < 2:  # same SIRET, or a SIRET on one side only: the same supplier
            return _check(
                "invoice.duplicate",
                "fail",
                f"La facture n° {number} de ce fournisseur est déjà classée (dossier "
                f"{filed.dossier_id}, entrée GED {filed.ged_entry_id})",
            )
    return _check("invoice.duplicate", "pass", f"Facture n° {number} jamais classée")


def _mission_for(doc: Document, dossier: Dossier) -> Mission | None:
    siret = _text(doc, "supplier_siret")
    siret = "".join(siret.split()) if siret else None
    siren = _text(doc, "supplier_siren")
    siren = "".join(siren.split()) if siren else None
    if siret:
        missions = [m for m in dossier.missions if m.provider_siret == siret]
    elif siren:  # only the SIREN printed: the mission's provider SIRET starts with it
        missions = [m for m in dossier.missions
                    if m.provider_siret and "".join(m.provider_siret.split())[:9] == siren]
    else:
        return None
    if not missions:
        return None
    total = _amount(doc, "total_incl_tax")
    priced = [m for m in missions if m.agreed_amount is not None]
    if total is None or not priced:
        return missions[0]
    return min(priced, key=lambda m: abs((m.agreed_amount or Decimal(0)) - total))


def check_amount_over_agreed(
    doc: Document, dossier: Dossier | None, settings: DossierSettings
) -> Check | None:
    if dossier is None:
        return None
    mission = _mission_for(doc, dossier)
    total = _amount(doc, "total_incl_tax")
    if mission is None or mission.agreed_amount is None or total is None:
        return None
    agreed = mission.agreed_amount
    over = total - agreed
    pct_limit = agreed * Decimal(str(settings.amount_tolerance_pct)) / 100
    abs_limit = Decimal(str(settings.amount_tolerance_abs))
    if over > pct_limit and over > abs_limit:
        customer = _text(doc, "customer_name")
        if customer and name_similarity(customer, dossier.beneficiary.full_name) >= 85:
            # Addressed to the beneficiary, who paid: not the mission's own invoice, but the
            # provider charged more than agreed (or twice): a person should look, unblocked.
            return _check(
                "mission.amount_over_agreed",
                "warn",
                f"Facture adressée au bénéficiaire par le prestataire de la mission "
                f"{mission.mission_id} : {euros(total)} pour {euros(agreed)} convenus "
                f"(+{euros(over)}) — vérifier l'absence de double facturation",
            )
        return _check(
            "mission.amount_over_agreed",
            "fail",
            f"Écart de facturation : {euros(total)} facturés pour la mission {mission.mission_id} "
            f"convenue à {euros(agreed)} (+{euros(over)}, "
            f"+{_rate((over / agreed * 100).quantize(Decimal('0.1'))) if agreed else '∞'} %)",
        )
    return _check(
        "mission.amount_over_agreed",
        "pass",
        f"Montant {euros(total)} conforme à la mission {mission.mission_id} "
        f"({euros(agreed)} convenus)",
    )


# --------------------------------------------------------------------------- identifiers


def check_identifiers(doc: Document) -> list[Check]:
    out: list[Check] = []
    siret = _text(doc, "supplier_siret")
    if siret:
        siret = "".join(siret.split())
        ok = siret_valid(siret)
        out.append(
            _check(
                "identifiers.siret_valid",
                "pass" if ok else "fail",
                f"SIRET {siret} valide"
                if ok
                else f"SIRET {siret} invalide (clé de contrôle fausse) : vérifier la lecture",
            )
        )
    siren = _text(doc, "supplier_siren")
    if siren:
        siren = "".join(siren.split())
        if not siren_valid(siren):
            out.append(_check("identifiers.siren_valid", "fail",
                              f"SIREN {siren} invalide (clé de contrôle fausse) : vérifier la "
                              "lecture"))
        elif siret and len(siret) == 14 and siret[:9] != siren:
            out.append(_check("identifiers.siren_valid", "fail",
                              f"SIREN {siren} différent de celui du SIRET {siret} "
                              f"({siret[:9]}) : vérifier la lecture"))
        else:
            out.append(_check("identifiers.siren_valid", "pass", f"SIREN {siren} valide"))
    if not (siret and len(siret) == 14) and siren and len(siren) == 9:
        siret = siren  # the VAT number is checked against the SIREN where no SIRET is read
    vat = _text(doc, "supplier_vat_number")
    if vat:
        if not vat_valid(vat):
            out.append(
                _check("identifiers.vat_valid", "fail", f"N° de TVA {vat} invalide (clé ou format)")
            )
        elif vat.startswith("FR") and siret and len(siret) in (9, 14) and vat[4:] != siret[:9]:
            expected = fr_vat_from_siren(siret[:9]) if siret[:9].isdigit() else "?"
            of = "du SIRET" if len(siret) == 14 else "lu"
            out.append(
                _check(
                    "identifiers.vat_valid",
                    "fail",
                    f"N° de TVA {vat} ne correspond pas au SIREN {siret[:9]} {of} "
                    f"(attendu {expected})",
                )
            )
        else:
            out.append(_check("identifiers.vat_valid", "pass", f"N° de TVA {vat} valide"))
    iban = _text(doc, "iban")
    if iban:
        iban = "".join(iban.split()).upper()
        ok = iban_valid(iban)
        out.append(
            _check(
                "identifiers.iban_valid",
                "pass" if ok else "fail",
                f"IBAN {iban[:4]}…{iban[-4:]} valide"
                if ok
                else f"IBAN {iban} invalide (clé de contrôle fausse) : ne pas payer sur ce "
                "compte sans vérification",
            )
        )
    return out


# --------------------------------------------------------------------------- medical


def check_medical_dates(doc: Document, dossier: Dossier | None, today: date) -> Check | None:
    issued = _date(doc, "issue_date")
    start = _date(doc, "incapacity_start")
    end = _date(doc, "incapacity_end")
    if issued is None and start is None and end is None:
        return None
    problems: list[str] = []
    if issued and start and start < issued:
        problems.append(
            f"l'arrêt commence le {_fr_date(start)}, avant l'établissement du "
            f"certificat le {_fr_date(issued)}"
        )
    if start and end and end < start:
        problems.append(f"la fin d'arrêt ({_fr_date(end)}) précède son début ({_fr_date(start)})")
    if issued and issued > today:
        problems.append(f"certificat daté du {_fr_date(issued)}, dans le futur")
    if (
        dossier
        and dossier.event_date
        and issued
        and issued < dossier.event_date - MEDICAL_BEFORE_EVENT
    ):
        problems.append(
            f"certificat du {_fr_date(issued)}, bien antérieur à l'événement du "
            f"{_fr_date(dossier.event_date)}"
        )
    if problems:
        return _check(
            "medical.dates_coherent", "fail", "Dates incohérentes : " + " ; ".join(problems)
        )
    shown = ", ".join(
        f"{label} {_fr_date(d)}"
        for label, d in (("établi le", issued), ("arrêt du", start), ("au", end))
        if d
    )
    return _check("medical.dates_coherent", "pass", f"Dates cohérentes ({shown})")


# --------------------------------------------------------------------------- coverage

Category = Literal[
    "towing", "repair", "car_rental", "hotel", "taxi", "medical_transport", "medical", "guarding"
]
_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "towing": ("remorquage", "depannage", "depanneur", "treuillage", "remorqu"),
    "repair": ("reparation", "main d'oeuvre", "main d'œuvre", "garage", "piece"),
    "car_rental": ("location", "vehicule de remplacement", "loueur", "vehicule_rempl"),
    "hotel": ("hotel", "nuitee", "hebergement", "relogement", "prolongation de sejour"),
    "taxi": ("taxi",),
    "medical_transport": ("ambulance", "transport sanitaire", "rapatriement"),
    "medical": ("pharmac", "farmac", "medicaux", "medical", "consultation", "soins", "medecin"),
    "guarding": ("gardiennage",),
}
_SERVICE_CATEGORY: dict[str, str] = {
    "towing": "towing",
    "repair": "repair",
    "car_rental": "car_rental",
    "hotel": "hotel",
    "taxi": "taxi",
    "ambulance": "medical_transport",
}
_UNIT_WORDS = {"night": ("nuit", "nuitee"), "day": ("jour", "journee")}
_QTY_AFTER_RE = re.compile(r"^[^\d]*?\)?\s+(\d{1,3})\s+\d")


@dataclass(frozen=True)
class Coverage:
    """The prise en charge of one document under one guarantee."""

    guarantee_code: str | None
    guarantee_label: str
    category: str | None
    claimed: Decimal
    covered: Decimal
    units: int
    per: str | None
    ceiling: Decimal | None
    units_assumed: bool

    @property
    def remainder(self) -> Decimal:
        return self.claimed - self.covered


def _categories_of(text: str) -> dict[str, int]:
    folded = _fold(text)
    return {
        cat: sum(folded.count(w) for w in words)
        for cat, words in _CATEGORY_WORDS.items()
        if any(w in folded for w in words)
    }


def _guarantee_category(g: Guarantee) -> str | None:
    counts = _categories_of(f"{g.code.replace('_', ' ')} {g.code} {g.label}")
    return max(counts, key=lambda c: counts[c]) if counts else None


def document_category(doc: Document, dossier: Dossier) -> str | None:
    """What the costs are for: the mission's service, else the words of the document."""
    mission = _mission_for(doc, dossier)
    if mission is not None and mission.service in _SERVICE_CATEGORY:
        return _SERVICE_CATEGORY[mission.service]
    text = " ".join(
        filter(None, (_text(doc, "supplier_name"), _text(doc, "merchant_name"), doc.text))
    )
    counts = _categories_of(text)
    wanted = {_guarantee_category(g) for g in dossier.guarantees}
    # Prefer a category the contract knows when the words hesitate.
    ranked = sorted(counts, key=lambda c: (-counts[c], c not in wanted, c))
    return ranked[0] if ranked else None


def _units(doc: Document, per: str, category: str) -> tuple[int, bool]:
    words = _UNIT_WORDS.get(per, ())
    cat_words = _CATEGORY_WORDS.get(category, ())
    total = 0
    for line in doc.text.splitlines():
        folded = _fold(line)
        if not any(w in folded for w in words):
            continue
        if cat_words and not any(w in folded for w in cat_words) and per == "day":
            continue
        m = _QTY_AFTER_RE.match(re.sub(r"\(([^)]*)\)", r"\1", folded))
        if m:
            total += int(m.group(1))
    return (total, False) if total > 0 else (1, True)


def compute_coverage(doc: Document, dossier: Dossier) -> Coverage | None:
    """What the dossier's guarantees cover of this invoice or receipt (its TTC), or None when
    the document carries no amount. A document no guarantee covers gets ``covered = 0``."""
    claimed = _amount(doc, "total_incl_tax")
    if claimed is None or doc.doc_type not in (DocType.INVOICE, DocType.RECEIPT):
        return None
    category = document_category(doc, dossier)
    guarantee = next(
        (g for g in dossier.guarantees if category and _guarantee_category(g) == category), None
    )
    if guarantee is None:
        return Coverage(None, "", category, claimed, Decimal("0.00"), 0, None, None, False)
    units, assumed = (1, False)
    if guarantee.per in ("night", "day"):
        units, assumed = _units(doc, guarantee.per, category or "")
    limit = guarantee.ceiling * units
    covered = min(claimed, limit).quantize(CENT)
    return Coverage(
        guarantee.code,
        guarantee.label or guarantee.code,
        category,
        claimed,
        covered,
        units,
        guarantee.per,
        guarantee.ceiling,
        assumed,
    )


_PER_WORDS = {"night": ("nuit", "nuits"), "day": ("jour", "jours"), "event": ("événement",) * 2}


def check_coverage(doc: Document, dossier: Dossier | None) -> Check | None:
    if dossier is None:
        return None
    cov = compute_coverage(doc, dossier)
    if cov is None:
        return None
    if cov.guarantee_code is None:
        return _check(
            "guarantees.coverage",
            "warn",
            f"Prise en charge : {euros(cov.covered)} — aucune garantie du contrat ne couvre ces "
            f"frais ({euros(cov.claimed)}) : à examiner",
        )
    currency = _text(doc, "currency")
    if currency and currency != "EUR":
        return _check(
            "guarantees.coverage",
            "warn",
            f"Montant en {currency} ({cov.claimed} {currency}) : prise en charge "
            f"{cov.guarantee_code} à calculer après conversion en euros",
        )
    per = cov.per or "event"
    if per == "event":
        basis = f"plafond {euros(cov.ceiling or Decimal(0))} par événement"
    else:
        one, many = _PER_WORDS[per]
        unit = one if cov.units == 1 else many
        basis = f"plafond {euros(cov.ceiling or Decimal(0))} par {one} × {cov.units} {unit}" + (
            " (nombre supposé)" if cov.units_assumed else ""
        )
    message = (
        f"Prise en charge {cov.guarantee_code} ({cov.guarantee_label}) : {euros(cov.covered)} "
        f"sur {euros(cov.claimed)} ({basis})"
    )
    if cov.remainder > 0:
        return _check(
            "guarantees.coverage",
            "warn",
            f"{message} ; reste {euros(cov.remainder)} à la charge du bénéficiaire",
        )
    return _check("guarantees.coverage", "pass", message)


# --------------------------------------------------------------------------- entry point


def check_credit_note(doc: Document) -> Check | None:
    """A credit note (avoir) is money owed to us, not a bill to pay: a person decides."""
    if not is_credit_note(doc.pages):
        return None
    return Check(
        code="invoice.credit_note",
        status="warn",
        blocking=True,
        message="Avoir (note de crédit) : montant à déduire, pas une facture à régler.",
    )


def run_checks(
    doc: Document,
    dossier: Dossier | None,
    *,
    registry: DossierRegistry,
    settings: DossierSettings,
    today: date,
) -> list[Check]:
    """Every check that applies to this document, in a stable order."""
    checks: list[Check | None] = []
    steps: list[Callable[[], list[Check] | Check | None]] = []
    if doc.doc_type is DocType.INVOICE:
        steps += [
            lambda: check_credit_note(doc),
            lambda: check_totals(doc),
            lambda: check_vat_rate(doc),
            lambda: check_identifiers(doc),
            lambda: check_invoice_dates(doc, dossier, today),
            lambda: check_duplicate(doc, registry),
            lambda: check_amount_over_agreed(doc, dossier, settings),
            lambda: check_coverage(doc, dossier),
        ]
    elif doc.doc_type is DocType.RECEIPT:
        steps.append(lambda: check_coverage(doc, dossier))
    elif doc.doc_type is DocType.BANK_DETAILS:
        steps.append(lambda: check_identifiers(doc))
    elif doc.doc_type is DocType.MEDICAL_CERTIFICATE:
        steps.append(lambda: check_medical_dates(doc, dossier, today))
    for step in steps:
        result = step()
        if isinstance(result, list):
            checks.extend(result)
        else:
            checks.append(result)
    out = [c for c in checks if c is not None]
    log.debug(
        "%s: %d check(s), %d blocking", doc.document_id, len(out), sum(c.blocking for c in out)
    )
    return out
