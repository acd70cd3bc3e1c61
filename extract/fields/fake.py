"""A field extractor for tests of the other stages: always the same fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mailroom.models import DocType, ExtractedField, Page


class FixedFieldExtractor:
    """Answers ``fields`` (none by default) for every document, and counts its calls."""

    def __init__(self, fields: Mapping[str, ExtractedField] | None = None) -> None:
        self.fields = dict(fields or {})
        self.calls = 0

    def extract(
        self, pages: Sequence[Page], doc_type: DocType, *, language: str | None = None
    ) -> dict[str, ExtractedField]:
        self.calls += 1
        return dict(self.fields)
