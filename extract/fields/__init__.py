"""Field extraction: the contract's fields of a document, with confidences and boxes.

:class:`ContractFieldExtractor` is the stage (a :class:`FieldExtractor`, built once per pipeline
by ``build_pipeline``); ``extract_fields(pages, doc_type, extractor=...)`` runs one document
through it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from extract.fields.base import FIELDS_BY_TYPE, FieldExtractor
from extract.fields.layout_extractor import LayoutFieldExtractor
from mailroom.models import DocType, ExtractedField, Page

log = logging.getLogger(__name__)

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


class ContractFieldExtractor:
    """The field extraction stage (a :class:`FieldExtractor`): the layout extractor's fields,
    with a credit note's totals given as positive amounts, as EN 16931 and Factur-X state them
    (whether the page prints "-218,48" or "218,48"): that it is a credit, not a bill, is the
    document's nature, checked downstream (``invoice.credit_note``), not a sign.

    Build one per pipeline (``build_pipeline`` does): its spaCy pipeline is loaded on first use.
    """

    def __init__(self, layout: FieldExtractor | None = None) -> None:
        self._layout = layout if layout is not None else LayoutFieldExtractor()

    def with_rankers(self, rankers: Any) -> ContractFieldExtractor | None:
        """This extractor over other field rankers (a refitted version); ``None`` when its
        layout extractor is not the learned one (a test's fake)."""
        if not isinstance(self._layout, LayoutFieldExtractor):
            return None
        return ContractFieldExtractor(self._layout.with_rankers(rankers))

    def extract(
        self, pages: Sequence[Page], doc_type: DocType, *, language: str | None = None
    ) -> dict[str, ExtractedField]:
        """The fields of ``doc_type`` found on the pages; a field not on the document is absent."""
        fields = self._layout.extract(pages, doc_type, language=language)
        if doc_type is DocType.INVOICE and is_credit_note(pages):
            for name in _TOTALS:
                f = fields.get(name)
                if f is not None and isinstance(f.value, Decimal) and f.value < 0:
                    fields[name] = f.model_copy(update={"value": -f.value})
        return fields


def extract_fields(
    pages: Sequence[Page],
    doc_type: DocType,
    *,
    language: str | None = None,
    extractor: FieldExtractor | None = None,
) -> dict[str, ExtractedField]:
    """One document's fields through ``extractor`` (a new :class:`ContractFieldExtractor`, which
    loads spaCy, when none is given: keep one for many documents)."""
    chosen = extractor if extractor is not None else ContractFieldExtractor()
    return chosen.extract(pages, doc_type, language=language)


__all__ = [
    "FIELDS_BY_TYPE",
    "FieldExtractor",
    "ContractFieldExtractor",
    "LayoutFieldExtractor",
    "extract_fields",
    "is_credit_note",
]
