"""Where originals, derived artefacts and document records are kept.

``build_object_store`` and ``build_metadata_store`` choose the backend from the ``Literal``
settings in :class:`mailroom.settings.StorageSettings`; neither touches the disk until used.
The SQL stores (metadata, dossiers, fraud index, corrections, and the review application's
tables) take the :class:`~storage.sql.SqlDatabase` of :func:`sql_database`: stores built with
the same one share its engine and connection pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailroom.errors import ConfigurationError
from storage.base import (
    Arrival,
    InvalidKey,
    KeyNotFound,
    MetadataStore,
    ObjectStore,
    StorageConflict,
    derived_key,
    original_key,
    validate_key,
)
from storage.settings import StorageSettings

if TYPE_CHECKING:
    from storage.corrections import CorrectionStore
    from storage.dossiers import DossierRegistry
    from storage.fraud import FraudStore
    from storage.model_store import SqlModelStore
    from storage.sql import SqlDatabase

__all__ = [
    "Arrival",
    "InvalidKey",
    "KeyNotFound",
    "MetadataStore",
    "ObjectStore",
    "StorageConflict",
    "build_correction_store",
    "build_dossier_registry",
    "build_fraud_store",
    "build_metadata_store",
    "build_model_store",
    "build_object_store",
    "derived_key",
    "original_key",
    "sql_database",
    "validate_key",
]


def build_object_store(settings: StorageSettings) -> ObjectStore:
    """The object store the settings name."""
    if settings.object_backend == "filesystem":
        from storage.filesystem import FilesystemObjectStore

        return FilesystemObjectStore(settings.objects_dir)
    if settings.object_backend == "s3":
        from storage.s3 import S3ObjectStore

        return S3ObjectStore(
            settings.s3_endpoint,
            settings.s3_bucket,
            access_key=_secret(settings.s3_access_key),
            secret_key=_secret(settings.s3_secret_key),
            secure=settings.s3_secure,
            region=settings.s3_region,
            part_size=settings.s3_part_size,
            presign_expiry_s=settings.s3_presign_expiry_s,
        )
    raise ConfigurationError(f"unknown object store backend: {settings.object_backend!r}")


def build_metadata_store(
    settings: StorageSettings, database: SqlDatabase | None = None
) -> MetadataStore:
    """The metadata store the settings name."""
    from storage.sql import SqlMetadataStore

    return SqlMetadataStore(database or sql_database(settings))


def build_dossier_registry(
    settings: StorageSettings, database: SqlDatabase | None = None
) -> DossierRegistry:
    """The dossier registry beside the metadata store the settings name."""
    from storage.sql import SqlDossierRegistry

    return SqlDossierRegistry(database or sql_database(settings))


def build_fraud_store(
    settings: StorageSettings, database: SqlDatabase | None = None
) -> FraudStore:
    """The fraud index beside the metadata store the settings name."""
    from storage.fraud_sql import SqlFraudStore

    return SqlFraudStore(database or sql_database(settings))


def build_correction_store(
    settings: StorageSettings, database: SqlDatabase | None = None
) -> CorrectionStore:
    """The corrections store in the metadata database the settings name (``mailroom.sqlite3``
    or PostgreSQL), beside the records, dossiers and fraud index."""
    from storage.corrections import SqlCorrectionStore

    return SqlCorrectionStore(database or sql_database(settings))


def build_model_store(
    settings: StorageSettings, database: SqlDatabase | None = None
) -> SqlModelStore:
    """The model versions and the refit lock, in the metadata database the settings name."""
    from storage.model_store import SqlModelStore

    return SqlModelStore(database or sql_database(settings))


def _secret(value: object) -> str | None:
    return None if value is None else value.get_secret_value()  # type: ignore[attr-defined]


def sql_database(settings: StorageSettings) -> SqlDatabase:
    """The SQL database the settings name: ``mailroom.sqlite3`` in the data folder, or the
    PostgreSQL server of ``database_url``. Nothing connects before a store's first use; pass
    it to several ``build_*`` functions (``database=``) for them to share one engine."""
    from storage.sql import SqlDatabase, sqlite_url

    if settings.metadata_backend == "sqlite":
        return SqlDatabase(sqlite_url(settings.sqlite_path))
    if settings.metadata_backend != "postgresql":
        raise ConfigurationError(f"unknown metadata store backend: {settings.metadata_backend!r}")
    url = _secret(settings.database_url)
    if not url:
        raise ConfigurationError(
            "metadata_backend=postgresql needs MAILROOM_STORAGE__DATABASE_URL "
            "(postgresql+psycopg://user:password@host/db)"
        )
    return SqlDatabase(url, pool_size=settings.database_pool_size)
