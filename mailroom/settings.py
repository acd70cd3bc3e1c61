"""Settings, from ``MAILROOM_*`` environment variables (nested with ``__``) or a ``.env`` file.

Built once at the entry point (``Settings()``) and passed down; there is no module-level
instance. Example: ``MAILROOM_STORAGE__DATA_DIR=/srv/mailroom``, ``MAILROOM_OCR__LANGUAGES=fra``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.imap import ImapSettings
from ingest.split import SplitSettings
from ingest.watch_folder import FolderWatchSettings
from review.settings import ReviewSettings


class StorageSettings(BaseModel):
    object_backend: Literal["filesystem", "s3"] = Field(
        default="filesystem",
        description="Where originals and derived artefacts are kept: a folder, or S3/MinIO.",
    )
    metadata_backend: Literal["sqlite", "postgresql"] = Field(
        default="sqlite", description="Where document records and dossiers are kept."
    )
    data_dir: Path = Field(
        default=Path("mailroom-data"),
        description="Root folder of the embedded stores (objects/ and mailroom.sqlite3).",
    )
    s3_endpoint: str = Field(
        default="localhost:9000",
        description="S3/MinIO endpoint as host:port (no scheme), for object_backend=s3.",
    )
    s3_secure: bool = Field(default=True, description="Talk HTTPS to the S3 endpoint.")
    s3_region: str | None = Field(default=None, description="S3 region, when the server needs one.")
    s3_bucket: str = Field(
        default="mailroom", description="Bucket of originals and artefacts (created on first use)."
    )
    s3_access_key: SecretStr | None = Field(default=None, description="S3 access key.")
    s3_secret_key: SecretStr | None = Field(default=None, description="S3 secret key.")
    s3_part_size: int = Field(
        default=16 * 1024 * 1024,
        description="Multipart upload part size in bytes (at least 5 MiB): the most a streamed "
        "upload holds in memory.",
    )
    s3_presign_expiry_s: int = Field(
        default=3600, description="Lifetime of the presigned links given to the review app."
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata database for metadata_backend=postgresql, "
        "e.g. postgresql+psycopg://mailroom:secret@db/mailroom (it may hold a password).",
    )
    database_pool_size: int = Field(
        default=5, description="Connections kept open per process to the metadata database."
    )

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "mailroom.sqlite3"


class QueueSettings(BaseModel):
    broker_url: SecretStr | None = Field(
        default=None,
        description="Celery broker (redis://host:6379/0). Unset: embedded mode, the watchers "
        "process documents themselves; set: they enqueue and workers process.",
    )
    result_backend: SecretStr | None = Field(
        default=None, description="Celery result backend (default: the broker URL)."
    )
    task_time_limit_s: int = Field(
        default=1800, description="A task still running after this long is killed and retried."
    )
    visibility_timeout_s: int = Field(
        default=3600,
        description="A task taken by a worker that died is given to another after this long.",
    )


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


class DossierSettings(BaseModel):
    match_threshold: float = Field(
        default=0.80, description="A dossier is matched automatically only at or above this score."
    )
    match_margin: float = Field(
        default=0.15, description="... and only this far ahead of the runner-up; else ambiguous."
    )
    event_window_days: int = Field(
        default=180, description="A document dated this long after the event still fits it."
    )
    amount_tolerance_pct: float = Field(
        default=5.0,
        description="A provider invoice above the mission's agreed amount by more is an écart.",
    )
    amount_tolerance_abs: float = Field(
        default=2.0, description="... and by more than this many euros."
    )


class FraudSettings(BaseModel):
    enabled: bool = Field(
        default=True, description="Look for fraud signals (fraud.* checks) on every document."
    )
    image_max_distance: int = Field(
        default=10,
        description="Two pages whose perceptual hashes (64 bits, of the upright page's text "
        "area) differ by at most this many bits look alike.",
    )
    text_max_distance: int = Field(
        default=10,
        description="Two pages whose words' SimHashes (64 bits) differ by at most this many "
        "bits read alike.",
    )
    probe_bits: int = Field(
        default=1,
        ge=0,
        le=1,
        description="Bits flipped in each 16-bit band when looking up near hashes: 0 finds "
        "every hash within 3 bits for sure, 1 within 7 (and 17 times more index probes).",
    )
    same_text_similarity: float = Field(
        default=0.75,
        description="Share of words two documents have in common above which a page that "
        "looks alike is the same piece (and below which it is another piece on the same form).",
    )
    moddate_grace_hours: float = Field(
        default=24.0,
        description="A PDF modified more than this long after its creation counts as edited.",
    )
    weak_signals_for_warn: int = Field(
        default=2,
        description="How many weak signs of editing a PDF needs for a fraud.edited_pdf warn "
        "(later modification date, an editor as producer, one line in an odd font, text over "
        "a white rectangle, a revision that changes no word).",
    )
    editor_producers: tuple[str, ...] = Field(
        default=(
            "acrobat pro", "acrobat standard", "pdf-xchange editor", "foxit phantompdf",
            "foxit pdf editor", "foxit editor", "nitro pro", "nitro pdf", "pdfescape",
            "sejda", "ilovepdf", "smallpdf", "pdffiller", "pdfelement", "inkscape",
            "libreoffice draw", "master pdf editor", "pdf24 editor", "pdf expert",
            "pdf editor", "qoppa", "docfly",
        ),
        description="Producer or creator names (lower case, matched as whole words) of PDF "
        "editors rather than invoicing software.",
    )


class RequestSettings(BaseModel):
    delivery: Literal["outbox", "smtp"] = Field(
        default="outbox", description="Write completeness requests to files, or send them by SMTP."
    )
    outbox_dir: Path | None = Field(
        default=None, description="Where requests are written (default: <data_dir>/outbox)."
    )
    reminder_after_days: int = Field(
        default=15, description="A pending request is reminded (relance) after this many days."
    )
    sender: str = Field(
        default="Service remboursements <remboursements@assistance.example>",
        description="From: of the requests sent by e-mail.",
    )
    smtp_host: str = Field(default="localhost", description="SMTP server.")
    smtp_port: int = Field(default=25, description="SMTP port.")
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP link with STARTTLS.")
    smtp_user: str | None = Field(default=None, description="SMTP user, when it needs one.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MAILROOM_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    storage: StorageSettings = Field(default_factory=StorageSettings)
    queue: QueueSettings = Field(
        default_factory=QueueSettings, description="Celery broker (mailroom worker)."
    )
    limits: LimitSettings = Field(default_factory=LimitSettings)
    ocr: OcrSettings = Field(default_factory=OcrSettings)
    classify: ClassifySettings = Field(default_factory=ClassifySettings)
    extract: ExtractSettings = Field(default_factory=ExtractSettings)
    dossiers: DossierSettings = Field(default_factory=DossierSettings)
    learning: LearningSettings = Field(
        default_factory=LearningSettings, description="Learning from corrections."
    )
    requests: RequestSettings = Field(default_factory=RequestSettings)
    split: SplitSettings = Field(
        default_factory=SplitSettings,
        description="Scan batches: separator sheets and the evidence split (ingest/split.py).",
    )
    fraud: FraudSettings = Field(
        default_factory=FraudSettings, description="Fraud and double-payment signals."
    )
    watch: FolderWatchSettings = Field(
        default_factory=FolderWatchSettings,
        description="Drop-folder watcher (mailroom watch folder).",
    )
    imap: ImapSettings = Field(
        default_factory=ImapSettings, description="IMAP watcher (mailroom watch imap)."
    )
    review: ReviewSettings = Field(
        default_factory=ReviewSettings, description="Review web application (mailroom review)."
    )
    log_level: str = Field(default="WARNING", description="Logging level of the entry point.")
