"""The storage component's settings: which object and metadata stores, and where.

Only a pydantic model here, no machinery: :mod:`mailroom.settings` nests it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


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
