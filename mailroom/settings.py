"""Settings, from ``MAILROOM_*`` environment variables (nested with ``__``) or a ``.env`` file.

Built once at the entry point (``Settings()``) and passed down; there is no module-level
instance. Example: ``MAILROOM_STORAGE__DATA_DIR=/srv/mailroom``, ``MAILROOM_OCR__LANGUAGES=fra``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from classify.settings import ClassifySettings
from extract.settings import ExtractSettings, LearningSettings, OcrSettings
from ingest.settings import FolderRoute, FolderWatchSettings, ImapSettings, SplitSettings
from review.settings import ReviewSettings
from storage.settings import StorageSettings
from validate.settings import DossierSettings, FraudSettings, RequestSettings

__all__ = [
    "ClassifySettings",
    "DossierSettings",
    "ExtractSettings",
    "FolderRoute",
    "FolderWatchSettings",
    "FraudSettings",
    "ImapSettings",
    "LearningSettings",
    "LimitSettings",
    "OcrSettings",
    "QueueSettings",
    "RequestSettings",
    "ReviewSettings",
    "Settings",
    "SplitSettings",
    "StorageSettings",
]


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
