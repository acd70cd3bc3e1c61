"""What the pipeline needs from a field extractor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from mailroom.models import DocType, ExtractedField, Page


@runtime_checkable
class FieldExtractor(Protocol):
    """Reads the contract's fields of one document type from its pages.

    A field that is not on the document is absent from the result, never empty or guessed.
    Real: :class:`extract.fields.layout_extractor.LayoutFieldExtractor`.
    """

    def extract(
        self, pages: Sequence[Page], doc_type: DocType, *, language: str | None = None
    ) -> dict[str, ExtractedField]:
        ...


#: The fields each document type carries (CONTRACT.md "Field names and value formats").
FIELDS_BY_TYPE: dict[DocType, tuple[str, ...]] = {
    DocType.INVOICE: (
        "supplier_name", "supplier_siren", "supplier_siret", "supplier_vat_number",
        "invoice_number", "invoice_date", "total_excl_tax", "vat_amount", "total_incl_tax",
        "currency", "iban", "customer_name", "dossier_reference", "policy_number",
        "vehicle_registration",
    ),
    DocType.RECEIPT: (
        "merchant_name", "receipt_date", "total_incl_tax", "currency", "payment_method",
    ),
    DocType.MEDICAL_CERTIFICATE: (
        "practitioner_name", "practitioner_id", "patient_name", "issue_date",
        "incapacity_start", "incapacity_end", "dossier_reference",
    ),
    DocType.BANK_DETAILS: ("account_holder", "iban", "bic"),
    DocType.CLAIM_LETTER: ("sender_name", "dossier_reference", "policy_number",
                           "requested_amount"),
    DocType.OTHER: ("dossier_reference", "policy_number"),
}
