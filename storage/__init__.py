"""Where originals, derived artefacts and document records are kept.

``build_object_store`` and ``build_metadata_store`` choose the backend from the ``Literal``
settings in :class:`mailroom.settings.StorageSettings`; neither touches the disk until used.
"""

from __future__ import annotations

from mailroom.errors import ConfigurationError
from mailroom.settings import StorageSettings
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

__all__ = [
    "Arrival",
    "InvalidKey",
    "KeyNotFound",
    "MetadataStore",
    "ObjectStore",
    "StorageConflict",
    "build_metadata_store",
    "build_object_store",
    "derived_key",
    "original_key",
    "validate_key",
]


def build_object_store(settings: StorageSettings) -> ObjectStore:
    """The object store the settings name."""
    if settings.object_backend == "filesystem":
        from storage.filesystem import FilesystemObjectStore

        return FilesystemObjectStore(settings.objects_dir)
    raise ConfigurationError(f"unknown object store backend: {settings.object_backend!r}")


def build_metadata_store(settings: StorageSettings) -> MetadataStore:
    """The metadata store the settings name."""
    if settings.metadata_backend == "sqlite":
        from storage.sqlite import SqliteMetadataStore

        return SqliteMetadataStore(settings.sqlite_path)
    raise ConfigurationError(f"unknown metadata store backend: {settings.metadata_backend!r}")
