"""A classifier for tests of the other stages: always the same answer."""

from __future__ import annotations

from collections.abc import Sequence

from classify.base import Classification
from mailroom.models import DocType, Page


class FixedClassifier:
    """Answers ``doc_type`` with ``confidence`` for every document."""

    def __init__(self, doc_type: DocType = DocType.INVOICE, confidence: float = 0.95) -> None:
        self.doc_type = doc_type
        self.confidence = confidence

    def classify(self, pages: Sequence[Page]) -> Classification:
        rest = (1.0 - self.confidence) / (len(DocType) - 1)
        scores = {t: (self.confidence if t == self.doc_type else rest) for t in DocType}
        return Classification(self.doc_type, self.confidence, scores)
