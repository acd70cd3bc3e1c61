"""The words the interface shows for the codes it stores: statuses, checks, channels, request
states, audit actions, and the audit trail told as sentences (who, when, which field, from what
to what). Storage and the API keep the contract's codes and formats; only pages use these.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from extract.corrected import AMOUNT_FIELDS, DATE_FIELDS
from review.formats import (
    FIELD_LABELS,
    PAYMENT_LABELS,
    french_amount,
    french_date,
)
from review.store import AuditEvent

DOC_TYPE_LABELS: dict[str, str] = {
    "invoice": "Facture",
    "receipt": "Ticket / reçu",
    "medical_certificate": "Certificat médical",
    "bank_details": "RIB",
    "claim_letter": "Courrier / demande",
    "other": "Autre",
}
STATUS_LABELS: dict[str, str] = {
    "received": "reçu",
    "filed": "classé",
    "needs_review": "à revoir",
    "quarantined": "en quarantaine",
    "duplicate": "doublon",
    "split": "décomposé",
    "superseded": "remplacé (nouveau découpage)",
}
CHECK_STATUS_LABELS: dict[str, str] = {
    "pass": "conforme",
    "warn": "à surveiller",
    "fail": "en échec",
}
CHECK_LABELS: dict[str, str] = {
    "invoice.totals_consistent": "Cohérence HT + TVA = TTC",
    "invoice.vat_rate": "Taux de TVA",
    "invoice.date_before_event": "Facture antérieure à l'événement",
    "invoice.date_in_future": "Date de facture future",
    "invoice.duplicate": "Facture déjà classée",
    "invoice.credit_note": "Avoir",
    "identifiers.siret_valid": "SIRET valide",
    "identifiers.vat_valid": "N° de TVA valide",
    "identifiers.iban_valid": "IBAN valide",
    "mission.amount_over_agreed": "Écart avec le montant convenu",
    "medical.dates_coherent": "Dates du certificat",
    "guarantees.coverage": "Prise en charge",
    "facturx.text_mismatch": "Factur-X : texte visible différent",
    "facturx.type_mismatch": "Factur-X : type différent",
    "facturx.unreadable": "Factur-X illisible",
    "email.malformed_mime": "E-mail mal formé",
    "classify.default_type_differs": "Type différent de celui du canal",
    "fraud.same_content": "Même contenu qu'un autre document",
    "fraud.edited_pdf": "PDF retouché",
    "fraud.iban_changed": "IBAN changé",
}
CHANNEL_LABELS: dict[str, str] = {
    "scan": "courrier numérisé",
    "email": "e-mail",
    "upload": "dépôt",
    "letter": "courrier",
}
MATCH_STATUS_LABELS: dict[str, str] = {
    "matched": "rattaché",
    "ambiguous": "à choisir",
    "unmatched": "aucun dossier",
}
REQUEST_STATE_LABELS: dict[str, str] = {
    "pending": "en attente",
    "reminded": "relancée",
    "closed": "close",
}
EVENT_TYPES: dict[str, str] = {
    "vehicle_breakdown": "panne",
    "accident": "accident",
    "medical": "médical",
    "travel": "voyage",
    "home": "habitation",
}
ACTION_LABELS: dict[str, str] = {
    "open_dossier": "ouverture de dossier après coup",
    "view": "consultation",
    "image": "image de page",
    "download": "téléchargement",
    "api": "API",
    "list": "liste",
    "correct_field": "correction",
    "change_type": "changement de type",
    "choose_dossier": "choix du dossier",
    "approve": "validation (GED)",
    "set_aside": "mis de côté",
    "take_back": "repris",
    "request_pieces": "demande de pièces",
    "view_batch": "consultation du lot",
    "resplit": "nouveau découpage du lot",
    "superseded": "remplacé par un nouveau découpage",
}


def check_label(code: str) -> str:
    return CHECK_LABELS.get(code, code)


def shown_value(name: str, value: Any) -> str:
    """A stored value (the contract's text form) as the interface writes it."""
    if value is None or value == "":
        return "—"
    text = str(value)
    if name in AMOUNT_FIELDS:
        try:
            return french_amount(Decimal(text))
        except InvalidOperation:
            return text
    if name in DATE_FIELDS:
        try:
            return french_date(date.fromisoformat(text))
        except ValueError:
            return text
    if name == "payment_method":
        return PAYMENT_LABELS.get(text, text)
    return text


def history_lines(event: AuditEvent) -> list[str]:
    """What an audit event changed, in sentences a person reads."""
    before, after = event.before, event.after
    lines: list[str] = []
    if event.action == "correct_field" and isinstance(after, dict):
        for name, new in after.items():
            old = before.get(name) if isinstance(before, dict) else None
            old_value = old.get("value") if isinstance(old, dict) else None
            new_value = new.get("value") if isinstance(new, dict) else None
            lines.append(
                f"{FIELD_LABELS.get(name, name)} : {shown_value(name, old_value)} → "
                f"{shown_value(name, new_value)}"
            )
    elif event.action == "change_type":
        lines.append(
            f"type : {DOC_TYPE_LABELS.get(str(before), before or '—')} → "
            f"{DOC_TYPE_LABELS.get(str(after), after or '—')}"
        )
    elif event.action == "choose_dossier":
        old = before.get("dossier_id") if isinstance(before, dict) else None
        new = after.get("dossier_id") if isinstance(after, dict) else None
        lines.append(f"dossier : {old or '—'} → {new or '—'}")
    elif event.action == "approve" and isinstance(after, dict):
        lines.append(f"classé en GED, entrée {after.get('ged_entry_id')}")
    elif event.action == "set_aside" and isinstance(after, dict) and after.get("note"):
        lines.append(f"note : {after['note']}")
    elif event.action == "request_pieces" and isinstance(after, dict):
        lines.append(f"demande {after.get('request_id')}")
    elif event.action in ("resplit", "superseded") and isinstance(after, dict):
        lines.extend(f"{k} : {', '.join(map(str, v)) if isinstance(v, list) else v}"
                     for k, v in after.items())
    elif event.action == "open_dossier" and isinstance(after, dict):
        lines.append(f"dossier {after.get('dossier_id')} ouvert")
    if event.detail:
        lines.append(event.detail)
    return lines
