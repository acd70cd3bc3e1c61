"""The classifier's settings.

Only a pydantic model here, no machinery: :mod:`mailroom.settings` nests it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class ClassifySettings(BaseModel):
    review_threshold: float = Field(
        default=0.70, description="Below this type confidence a document goes to needs_review."
    )
    model_path: Path | None = Field(
        default=None, description="A retrained classifier model; the shipped one when unset."
    )
