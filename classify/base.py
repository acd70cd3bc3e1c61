"""What a document classifier is: pages in, a document type with calibrated scores out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from mailroom.models import DocType, Page


@dataclass(frozen=True)
class Classification:
    """The chosen type, its probability (0-1) and every type's probability."""

    doc_type: DocType
    confidence: float
    scores: dict[DocType, float] = field(default_factory=dict)


@runtime_checkable
class Classifier(Protocol):
    def classify(self, pages: Sequence[Page]) -> Classification: ...
