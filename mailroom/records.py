"""The records the stores keep beside documents: dossiers, GED entries, completeness requests.

They are the core's, not a stage's: the stages that make them (``validate.dossiers`` imports
dossiers, ``validate.ged`` files entries, ``validate.completeness`` plans requests) and the
stores that keep them (``storage.sql``, ``storage.dossiers``) both import them from here.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mailroom.models import Channel, DocType

EventType = Literal["vehicle_breakdown", "accident", "medical", "travel", "home"]


Per = Literal["event", "night", "day"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _strip(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


class Beneficiary(_Frozen):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    email: str | None = None
    address: str | None = None

    _clean = field_validator("first_name", "last_name", "email", "address", mode="before")(_strip)

    @field_validator("email", "address", mode="after")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Guarantee(_Frozen):
    code: str = Field(min_length=1)
    label: str = ""
    ceiling: Decimal = Field(ge=0)
    per: Per = "event"


class Mission(_Frozen):
    mission_id: str = Field(min_length=1)
    provider_name: str = ""
    provider_siret: str | None = None
    service: str = ""
    agreed_amount: Decimal | None = Field(default=None, ge=0)

    @field_validator("provider_siret", mode="before")
    @classmethod
    def _siret_digits(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = "".join(value.split())
            if not value:
                return None
            if len(value) != 14 or not value.isdigit():
                raise ValueError("le SIRET du prestataire doit compter 14 chiffres")
        return value


class Dossier(_Frozen):
    dossier_id: str = Field(min_length=1)
    status: Literal["open", "closed"] = "open"
    opened_on: date | None = None
    event_date: date | None = None
    event_type: EventType | None = None
    policy_number: str | None = None
    beneficiary: Beneficiary
    vehicle_registration: str | None = None
    guarantees: tuple[Guarantee, ...] = ()
    missions: tuple[Mission, ...] = ()
    required_documents: tuple[DocType, ...] = ()

    @field_validator("dossier_id", "policy_number", mode="before")
    @classmethod
    def _compact_upper(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = "".join(value.split()).upper()
            return value or None
        return value

    @field_validator("vehicle_registration", mode="before")
    @classmethod
    def _plate(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = " ".join(value.split()).upper()
            return value or None
        return value

    @property
    def is_open(self) -> bool:
        return self.status == "open"


# GED entries

Confidentiality = Literal["standard", "medical"]


class GedEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ged_entry_id: str
    document_id: str
    dossier_id: str
    doc_type: DocType
    received_at: datetime
    filed_at: datetime
    channel: Channel
    fields: dict[str, dict[str, Any]]
    sha256: str
    original_key: str | None
    searchable_pdf_key: str | None
    confidentiality: Confidentiality = "standard"

    @property
    def supplier_keys(self) -> tuple[str, ...]:
        """The invoice's supplier as the duplicate check knows it: by SIRET and by name."""
        siret = self.fields.get("supplier_siret", {}).get("value")
        name = self.fields.get("supplier_name", {}).get("value")
        return supplier_keys(siret, name)

    @property
    def invoice_number(self) -> str | None:
        value = self.fields.get("invoice_number", {}).get("value")
        return normalize_invoice_number(value) if value else None


def supplier_key(siret: str | None, name: str | None) -> str | None:
    """``siret:<14 digits>`` when the SIRET is known, else ``name:<folded name>``."""
    keys = supplier_keys(siret, name)
    return keys[0] if keys else None


def supplier_keys(siret: str | None, name: str | None) -> tuple[str, ...]:
    """Every key a supplier is known by: ``siret:<14 digits>`` and ``name:<folded name>``, so
    that a copy whose SIRET was not read is still found by the supplier's name."""
    keys: list[str] = []
    if siret and "".join(siret.split()):
        keys.append(f"siret:{''.join(siret.split())}")
    if name:
        folded = "".join(ch for ch in _fold(name) if ch.isalnum())
        if folded:
            keys.append(f"name:{folded}")
    return tuple(keys)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_invoice_number(number: str) -> str:
    """Upper case without spaces, dashes, dots or slashes (``F 2026-0042`` = ``F2026/0042``)."""
    return "".join(ch for ch in number.upper() if ch.isalnum())


# Completeness requests

RequestState = Literal["pending", "reminded", "closed"]


RequestKind = Literal["request", "reminder"]


class CompletenessRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str
    dossier_id: str
    missing: tuple[str, ...]  # doc types, in the dossier's required order
    state: RequestState = "pending"
    created_at: datetime
    reminded_at: datetime | None = None
    closed_at: datetime | None = None
    channel: Literal["email", "letter"]
    subject: str
    body_text: str
    body_html: str
    letter_html: str
    recipient: str

    @property
    def is_active(self) -> bool:
        return self.state != "closed"

    @property
    def kind(self) -> RequestKind:
        return "reminder" if self.reminded_at is not None else "request"
