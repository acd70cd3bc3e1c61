"""The SQLAlchemy stores on PostgreSQL (and on SQLite through the same code).

The metadata-store contract (thread safety included) runs on every backend, PostgreSQL too, in
``tests/unit/test_metadata_store_contract.py``; here: the dossier-registry contract on both
databases, the Alembic migration, the pool shared by the store and the registry, first use by
many processes, errors.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from mailroom.errors import StorageError
from mailroom.models import Document, Source, Status, document_id_for, sha256_hex
from storage import build_dossier_registry, build_metadata_store
from storage.dossiers import DossierRegistry
from storage.settings import StorageSettings
from storage.sql import SqlDatabase, SqlDossierRegistry, SqlMetadataStore, sqlite_url
from tests.integration.services import postgres_database

# The dossier-registry contract, collected here against this module's ``registry`` fixture.
from tests.unit.test_validate_registry import (  # noqa: F401
    test_a_closed_dossier_stays_for_history,
    test_a_filed_invoice_is_found_by_supplier_and_number_anywhere,
    test_ged_entries_are_idempotent_by_document,
    test_reimport_updates_and_never_duplicates,
    test_requests_are_saved_updated_and_filtered,
    test_the_revision_moves_with_every_created_or_updated_dossier,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def _reset(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def fresh_pg(pg_url: str) -> str:
    _reset(pg_url)
    return pg_url


@pytest.fixture(params=["sql-sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("fresh_pg"))
    return sqlite_url(tmp_path / "mailroom.sqlite3")


@pytest.fixture
def registry(database_url: str) -> Iterator[DossierRegistry]:
    reg = SqlDossierRegistry(database_url)
    yield reg
    reg.close()


def _doc(content: bytes) -> Document:
    sha = sha256_hex(content)
    return Document(
        document_id=document_id_for(sha),
        sha256=sha,
        source=Source(channel="scan", path=f"/in/{content.decode()}.pdf"),
        media_type="application/pdf",
        size=len(content),
        received_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        status=Status.FILED,
    )


def test_migration_creates_the_schema_once_at_the_head_revision(database_url: str) -> None:
    store = SqlMetadataStore(database_url)
    store.save(_doc(b"a"))
    assert store.schema_revision() == "0005"
    store.close()
    again = SqlMetadataStore(database_url)  # a second opening migrates nothing
    assert again.get(_doc(b"a").document_id) == _doc(b"a")
    again.close()
    engine = sa.create_engine(database_url)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {
        "documents",
        "arrivals",
        "dossiers",
        "ged_entries",
        "completeness_requests",
        "alembic_version",
    } <= tables


def test_store_and_registry_share_one_database_and_pool(database_url: str) -> None:
    db = SqlDatabase(database_url)
    store, registry = SqlMetadataStore(db), SqlDossierRegistry(db)
    store.save(_doc(b"a"))
    assert registry.all() == []
    store.close()
    assert registry.ged_entries() == []  # still open: the registry holds the pool
    registry.close()
    with pytest.raises(StorageError):
        store.get("doc-x")


def test_a_database_from_a_newer_version_is_refused(database_url: str) -> None:
    first = SqlMetadataStore(database_url)
    first.get("doc-x")  # migrated on first use
    first.close()
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StorageError, match="newer"):
        SqlMetadataStore(database_url).get("doc-x")


def test_first_use_by_many_processes_migrates_once(fresh_pg: str) -> None:
    """Workers start together: the advisory lock makes the migration run once."""
    stores = [SqlMetadataStore(fresh_pg) for _ in range(4)]
    threads = [threading.Thread(target=s.get, args=("doc-x",)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s.schema_revision() == "0005" for s in stores)
    for s in stores:
        s.close()


def test_an_unreachable_server_is_a_storage_error_without_the_password() -> None:
    store = SqlMetadataStore("postgresql+psycopg://mailroom:s3cret-pw@127.0.0.1:1/none")
    with pytest.raises(StorageError) as info:
        store.get("doc-x")
    assert "s3cret-pw" not in str(info.value)
    assert "s3cret-pw" not in repr(store)


def test_the_settings_switch_chooses_postgresql(fresh_pg: str) -> None:
    settings = StorageSettings.model_validate(
        {"metadata_backend": "postgresql", "database_url": fresh_pg}
    )
    store = build_metadata_store(settings)
    registry = build_dossier_registry(settings)
    assert isinstance(store, SqlMetadataStore)
    assert isinstance(registry, SqlDossierRegistry)
    store.save(_doc(b"settings"))
    assert store.find_by_sha256(sha256_hex(b"settings")) == _doc(b"settings")
    store.close()
    registry.close()
