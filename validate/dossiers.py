"""Dossiers (open files) as the contract's import format, and their import.

``load_dossiers`` reads a JSON array, JSON Lines or CSV file (sniffed from its content, not its
name) into frozen :class:`Dossier` models. One bad row never stops the others: it becomes a
:class:`RowError` with its row number and a sentence in French a gestionnaire understands.

CSV carries the flat fields with ``beneficiary_`` prefixes; its list columns are written with
``;`` between items: ``required_documents`` (``invoice;bank_details``), ``guarantees``
(``CODE:ceiling:per[:label]``) and ``missions`` (``mission_id:provider_siret:agreed_amount
[:service[:provider_name]]``).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mailroom.records import Dossier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RowError:
    """One row that could not be imported: its 1-based row number (a CSV's header is row 0)."""

    row: int
    dossier_id: str | None
    message: str


# --------------------------------------------------------------------------- loading


def load_dossiers(path: Path) -> tuple[list[Dossier], list[RowError]]:
    """The dossiers of a JSON array, JSON Lines or CSV file, and the rows that were refused.

    A file that cannot be read at all is one RowError at row 0. When the same dossier_id comes
    twice, the last row wins (the import is an update) and the earlier one is not an error.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        return [], [RowError(0, None, f"Fichier illisible : {e.strerror or e}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    rows, errors = _rows(text)
    dossiers: dict[str, Dossier] = {}
    for number, row in rows:
        dossier_id = row.get("dossier_id") if isinstance(row, dict) else None
        dossier_id = str(dossier_id).strip() or None if dossier_id is not None else None
        try:
            dossier = Dossier.model_validate(row)
        except ValidationError as e:
            errors.append(RowError(number, dossier_id, _explain(e)))
            continue
        dossiers[dossier.dossier_id] = dossier
    errors.sort(key=lambda err: err.row)
    log.info("%s: %d dossier(s) read, %d row(s) refused", path, len(dossiers), len(errors))
    return list(dossiers.values()), errors


def _rows(text: str) -> tuple[list[tuple[int, Any]], list[RowError]]:
    stripped = text.lstrip()
    if not stripped:
        return [], [RowError(0, None, "Le fichier est vide.")]
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as e:
            return [], [
                RowError(0, None, f"JSON invalide (ligne {e.lineno}, colonne {e.colno}) : {e.msg}")
            ]
        return [(i, row) for i, row in enumerate(data, start=1)], []
    if stripped.startswith("{"):
        try:  # one pretty-printed object
            return [(1, json.loads(stripped))], []
        except json.JSONDecodeError:
            return _json_lines(text)
    return _csv_rows(text)


def _json_lines(text: str) -> tuple[list[tuple[int, Any]], list[RowError]]:
    rows: list[tuple[int, Any]] = []
    errors: list[RowError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError as e:
            errors.append(RowError(number, None, f"Ligne JSON invalide : {e.msg}"))
    return rows, errors


def _csv_rows(text: str) -> tuple[list[tuple[int, Any]], list[RowError]]:
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames or "dossier_id" not in [f.strip() for f in reader.fieldnames]:
        return [], [RowError(0, None, "En-tête CSV sans colonne dossier_id : format non reconnu.")]
    rows: list[tuple[int, Any]] = []
    errors: list[RowError] = []
    for number, flat in enumerate(reader, start=1):
        try:
            rows.append((number, _unflatten(flat)))
        except ValueError as e:
            errors.append(RowError(number, (flat.get("dossier_id") or "").strip() or None, str(e)))
    return rows, errors


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(";") if item.strip()]


def _unflatten(flat: dict[str | Any, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    beneficiary: dict[str, Any] = {}
    for key, value in flat.items():
        if key is None:  # more cells than headers
            raise ValueError("La ligne a plus de colonnes que l'en-tête.")
        key = key.strip()
        value = (value or "").strip()
        if not value:
            continue
        if key.startswith("beneficiary_"):
            beneficiary[key.removeprefix("beneficiary_")] = value
        elif key == "required_documents":
            row[key] = _split_list(value)
        elif key == "guarantees":
            row[key] = [_guarantee(item) for item in _split_list(value)]
        elif key == "missions":
            row[key] = [_mission(item) for item in _split_list(value)]
        else:
            row[key] = value
    row["beneficiary"] = beneficiary
    return row


def _guarantee(item: str) -> dict[str, str]:
    parts = [p.strip() for p in item.split(":")]
    if len(parts) < 3:
        raise ValueError(f"Garantie « {item} » : attendu CODE:plafond:par[:libellé].")
    out = {"code": parts[0], "ceiling": parts[1].replace(",", "."), "per": parts[2]}
    if len(parts) > 3:
        out["label"] = ":".join(parts[3:])
    return out


def _mission(item: str) -> dict[str, str]:
    parts = [p.strip() for p in item.split(":")]
    if len(parts) < 3:
        raise ValueError(f"Mission « {item} » : attendu id:SIRET:montant[:service[:prestataire]].")
    out = {"mission_id": parts[0], "provider_siret": parts[1]}
    if parts[2]:
        out["agreed_amount"] = parts[2].replace(",", ".")
    if len(parts) > 3:
        out["service"] = parts[3]
    if len(parts) > 4:
        out["provider_name"] = ":".join(parts[4:])
    return out


_FIELD_NAMES = {
    "dossier_id": "numéro de dossier",
    "status": "statut",
    "opened_on": "date d'ouverture",
    "event_date": "date de l'événement",
    "event_type": "type d'événement",
    "policy_number": "numéro de contrat",
    "beneficiary": "bénéficiaire",
    "first_name": "prénom",
    "last_name": "nom",
    "email": "e-mail",
    "vehicle_registration": "immatriculation",
    "guarantees": "garanties",
    "missions": "missions",
    "required_documents": "pièces requises",
    "ceiling": "plafond",
    "per": "unité du plafond",
    "agreed_amount": "montant convenu",
    "provider_siret": "SIRET du prestataire",
    "mission_id": "numéro de mission",
    "code": "code",
}

_MESSAGES = {
    "missing": "manquant",
    "date_from_datetime_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "date_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "date_type": "date invalide (AAAA-MM-JJ attendu)",
    "decimal_parsing": "montant invalide (ex. 180.00)",
    "decimal_type": "montant invalide (ex. 180.00)",
    "greater_than_equal": "ne peut pas être négatif",
    "string_too_short": "vide",
    "extra_forbidden": "champ inconnu",
    "model_type": "objet attendu",
    "dict_type": "objet attendu",
}


def _explain(error: ValidationError) -> str:
    parts: list[str] = []
    for item in error.errors():
        loc = [str(p) for p in item["loc"] if not isinstance(p, int)]
        where = " › ".join(_FIELD_NAMES.get(p, p) for p in loc) or "ligne"
        kind = item["type"]
        if kind in ("literal_error", "enum"):
            allowed = item.get("ctx", {}).get("expected", "")
            what = f"valeur « {item.get('input')} » non reconnue (attendu : {allowed})"
        elif kind == "value_error":
            what = str(item.get("ctx", {}).get("error", item["msg"]))
        else:
            what = _MESSAGES.get(kind, item["msg"])
        parts.append(f"{where} : {what}")
    return "; ".join(parts)
