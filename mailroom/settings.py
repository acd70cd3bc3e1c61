"""Settings, from ``MAILROOM_*`` environment variables (nested with ``__``) or a ``.env`` file.

Built once at the entry point (``Settings()``) and passed down; there is no module-level
instance. Example: ``MAILROOM_STORAGE__DATA_DIR=/srv/mailroom``, ``MAILROOM_OCR__LANGUAGES=fra``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StorageSettings(BaseModel):
    object_backend: Literal["filesystem"] = Field(
        default="filesystem", description="Where originals and derived artefacts are kept."
    )
    metadata_backend: Literal["sqlite"] = Field(
        default="sqlite", description="Where document records are kept."
    )
    data_dir: Path = Field(
        default=Path("mailroom-data"),
        description="Root folder of the embedded stores (objects/ and mailroom.sqlite3).",
    )

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "mailroom.sqlite3"


class LimitSettings(BaseModel):
    max_file_bytes: int = Field(
        default=50 * 1024 * 1024, description="Larger inputs are quarantined as too_large."
    )
    max_pages: int = Field(default=300, description="Longer documents are quarantined.")
    max_image_pixels: int = Field(
        default=120_000_000,
        description="Images (or rendered pages) above this many pixels are decompression bombs.",
    )


class OcrSettings(BaseModel):
    engine: Literal["tesseract"] = Field(default="tesseract", description="The OCR engine.")
    languages: str = Field(default="fra+eng", description="Tesseract language packs, '+'-joined.")
    dpi: int = Field(default=300, description="Resolution at which PDF pages are rasterised.")
    page_timeout_s: float = Field(
        default=120.0, description="One page's OCR is stopped after this many seconds."
    )
    workers: int = Field(
        default_factory=lambda: max(1, os.cpu_count() or 1),
        description="Pages OCR'd in parallel (one process each, one Tesseract thread each).",
    )
    min_text_chars: int = Field(
        default=20,
        description="A PDF page with fewer real characters in its text layer is OCR'd.",
    )
    keep_page_images: bool = Field(
        default=True, description="Store each OCR'd page's upright image for the review app."
    )


class ClassifySettings(BaseModel):
    review_threshold: float = Field(
        default=0.70, description="Below this type confidence a document goes to needs_review."
    )
    model_path: Path | None = Field(
        default=None, description="A retrained classifier model; the shipped one when unset."
    )


class ExtractSettings(BaseModel):
    review_threshold: float = Field(
        default=0.60,
        description="A required field below this confidence sends the document to review.",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MAILROOM_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    storage: StorageSettings = Field(default_factory=StorageSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    ocr: OcrSettings = Field(default_factory=OcrSettings)
    classify: ClassifySettings = Field(default_factory=ClassifySettings)
    extract: ExtractSettings = Field(default_factory=ExtractSettings)
    log_level: str = Field(default="WARNING", description="Logging level of the entry point.")
