"""Field extraction: the contract's fields of a document, with confidences and boxes.

``extract_fields(pages, doc_type)`` is the stage's one entry; it uses one
:class:`LayoutFieldExtractor` (spaCy loaded once, on first use).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

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


def extract_fields(
    pages: Sequence[Page], doc_type: DocType, *, language: str | None = None
) -> dict[str, ExtractedField]:
    """The fields of ``doc_type`` found on the pages; a field not on the document is absent."""
    return default_extractor().extract(pages, doc_type, language=language)


__all__ = [
    "FIELDS_BY_TYPE",
    "FieldExtractor",
    "LayoutFieldExtractor",
    "default_extractor",
    "extract_fields",
]
