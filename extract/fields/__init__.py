"""Field extraction: the contract's fields of a document, with confidences and boxes.

``extract_fields(pages, doc_type)`` is the stage's one entry; it uses one
:class:`LayoutFieldExtractor` (spaCy loaded once, on first use).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from decimal import Decimal

from extract.fields.base import FIELDS_BY_TYPE, FieldExtractor
from extract.fields.layout_extractor import LayoutFieldExtractor
from mailroom.models import DocType, ExtractedField, Page

log = logging.getLogger(__name__)

_default: LayoutFieldExtractor | None = None
_lock = threading.Lock()


def default_extractor() -> LayoutFieldExtractor:
    """The shared extractor (its spaCy pipeline is loaded once, lazily)."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = LayoutFieldExtractor()
    return _default


# A credit note names itself in a title line: "AVOIR", "Avoir n° A-12", "Facture d'avoir",
# "Credit note", "Gutschrift", "Nota de crédito", "Nota di credito", "Creditnota".
_CREDIT_NOTE_RE = re.compile(
    r"^\s*(facture\s+d['’]\s*avoir|avoir(\s*(n[°ºo]|num[ée]ro|no\.?)|\s*$|\s+(?=[A-Z-]*\d)[A-Z0-9-]{3,}\s*$)"
    r"|credit\s+(note|memo)|gutschrift|nota\s+de\s+cr[ée]dito|nota\s+di\s+credito|creditnota)",
    re.IGNORECASE | re.MULTILINE,
)
_TOTALS = ("total_excl_tax", "vat_amount", "total_incl_tax")


def is_credit_note(pages: Sequence[Page]) -> bool:
    """Whether the document presents itself as a credit note (avoir) in a title line."""
    return any(_CREDIT_NOTE_RE.search(p.text) for p in pages[:1])


def extract_fields(
    pages: Sequence[Page], doc_type: DocType, *, language: str | None = None
) -> dict[str, ExtractedField]:
    """The fields of ``doc_type`` found on the pages; a field not on the document is absent.

    A credit note's totals are given as positive amounts, as EN 16931 and Factur-X state them
    (whether the page prints "-218,48" or "218,48"): that it is a credit, not a bill, is the
    document's nature, checked downstream (``invoice.credit_note``), not a sign.
    """
    fields = default_extractor().extract(pages, doc_type, language=language)
    if doc_type is DocType.INVOICE and is_credit_note(pages):
        for name in _TOTALS:
            f = fields.get(name)
            if f is not None and isinstance(f.value, Decimal) and f.value < 0:
                fields[name] = f.model_copy(update={"value": -f.value})
    return fields


__all__ = [
    "FIELDS_BY_TYPE",
    "FieldExtractor",
    "LayoutFieldExtractor",
    "default_extractor",
    "extract_fields",
    "is_credit_note",
]
