"""The extract component's settings: OCR (reading) and field extraction.

Only pydantic models here, no machinery: :mod:`mailroom.settings` nests them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class OcrSettings(BaseModel):
    engine: Literal["tesserocr", "tesseract"] = Field(
        default="tesserocr",
        description="Tesseract in-process through tesserocr (models loaded once per worker), "
        "or 'tesseract': one tesseract program per reading (the reference; also used when "
        "tesserocr is not installed).",
    )
    tessdata_dir: Path | None = Field(
        default=None,
        description="Tesseract's language models folder for tesserocr (default: "
        "TESSDATA_PREFIX, then the usual system folders).",
    )
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
    text_layer: Literal["pdfplumber", "pdfium"] = Field(
        default="pdfplumber",
        description="Library that reads PDF text layers: pdfplumber, or pdfium (~10x faster).",
    )
    keep_page_images: bool = Field(
        default=True, description="Store each OCR'd page's upright image for the review app."
    )
    second_reader: bool = Field(
        default=True,
        description="Read till receipts' lines again with PP-OCR and keep its surer characters.",
    )
    line_model: Path | None = Field(
        default=None,
        description="The PP-OCR line model (ONNX); the rapidocr-onnxruntime wheel's when unset.",
    )


class ExtractSettings(BaseModel):
    review_threshold: float = Field(
        default=0.60,
        description="A required field below this confidence sends the document to review.",
    )


class LearningSettings(BaseModel):
    enabled: bool = Field(
        default=True,
        description="Read new documents with what corrections taught (docs/learning.md).",
    )
    min_layout_similarity: float = Field(
        default=0.2,
        description="A correction of another sender serves a document whose layout fingerprint "
        "is at least this similar (0-1), where the new page prints the label it taught.",
    )
    strong_layout_similarity: float = Field(
        default=0.75,
        description="From this layout similarity on (and for the same sender), a value is read "
        "at the taught place even where its label is not printed.",
    )
    max_corrections: int = Field(
        default=5, description="Corrections read per document (the newest, the most alike)."
    )
    refit_after: int = Field(
        default=0,
        description="Refit the classifier and the field rankers in the background once this "
        "many corrections arrived since the last refit (0: never; `mailroom train "
        "--corrections` refits by hand).",
    )
    refit_ranker_docs: int = Field(
        default=960,
        description="Generated pages the field rankers are refitted on besides the "
        "corrections (those of the shipped model: seed 18; their features are cached in "
        "<data_dir>/models/cache).",
    )
    refit_classifier_per_type: int = Field(
        default=60,
        description="Generated documents per type the classifier is refitted on besides the "
        "corrections (the shipped model's corpus: seed 4242).",
    )
    refit_eval_pages: int = Field(
        default=96,
        description="Generated pages of another seed (19) a refit's rankers are compared with "
        "the current ones on, per field.",
    )
    refit_correction_weight: float = Field(
        default=5.0,
        description="How much a corrected document counts against one generated page in a "
        "refit.",
    )
    refit_tolerance: float = Field(
        default=0.01,
        description="A refit is promoted only when it scores at least as well as the current "
        "version on the held-out corrections and at most this much lower on the generated "
        "evaluation pages.",
    )
