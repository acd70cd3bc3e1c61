"""The metadata store and dossier registry on SQLAlchemy 2: PostgreSQL in production, SQLite too.

One data-access layer for both databases: the same tables (declared here, created by the
Alembic migrations in :mod:`storage.migrations`), the same statements, the same behaviour.
Each table keeps the columns queries need and ``record``, the model's ``model_dump_json()``
as text (not JSONB, which would reorder keys: a record reads back into an equal model).
Times are ``timestamp with time zone`` on PostgreSQL and UTC text on SQLite; both are
normalised to UTC before they are written, so ordering is by instant.

:class:`SqlDatabase` owns the engine (a connection pool, ``pool_pre_ping`` so a restarted
server is reconnected) and brings the schema to the last migration on first use; several
processes starting together on PostgreSQL take an advisory lock for it. Nothing connects in a
constructor. SQLAlchemy errors become :class:`~mailroom.errors.StorageError`; a unique key
taken by another document is :class:`~storage.base.StorageConflict`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from mailroom.errors import StorageError
from mailroom.models import Document, Source, Status
from mailroom.records import CompletenessRequest, Dossier, GedEntry, RequestState
from storage.base import Arrival, StorageConflict
from storage.dossiers import DossierStatus, UpsertResult

log = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK_ID = 0x6D61696C  # "mail": the advisory lock taken while migrating


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """An aware datetime, stored in UTC; read back aware (UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

def serial_column(name: str) -> sa.Column[int]:
    """An ever-growing 64-bit key (SQLite's integer rowid there): the order rows came in."""
    return sa.Column(
        name,
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


documents = sa.Table(
    "documents",
    metadata,
    sa.Column("document_id", sa.String(128), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("doc_type", sa.String(32)),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("record", sa.Text(), nullable=False),
    sa.UniqueConstraint("sha256", name="documents_sha256_key"),
    sa.Index("documents_status", "status"),
    sa.Index("documents_received_at", "received_at"),
)

arrivals = sa.Table(
    "arrivals",
    metadata,
    serial_column("seq"),
    sa.Column("arrival_id", sa.String(128), nullable=False),
    sa.Column("document_id", sa.String(128), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("source", sa.Text(), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.UniqueConstraint("arrival_id", name="arrivals_arrival_id_key"),
    sa.Index("arrivals_document_id", "document_id"),
    sa.Index("arrivals_sha256", "sha256"),
)

dossiers = sa.Table(
    "dossiers",
    metadata,
    sa.Column("dossier_id", sa.String(128), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("record", sa.Text(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("dossiers_status", "status"),
)

ged_entries = sa.Table(
    "ged_entries",
    metadata,
    sa.Column("document_id", sa.String(128), primary_key=True),
    sa.Column("ged_entry_id", sa.String(128), nullable=False),
    sa.Column("dossier_id", sa.String(128), nullable=False),
    sa.Column("supplier_key", sa.String(256)),
    sa.Column("supplier_name_key", sa.String(512)),
    sa.Column("invoice_number", sa.String(128)),
    sa.Column("filed_at", UtcDateTime(), nullable=False),
    sa.Column("record", sa.Text(), nullable=False),
    sa.UniqueConstraint("ged_entry_id", name="ged_entries_ged_entry_id_key"),
    sa.Index("ged_entries_dossier", "dossier_id"),
    sa.Index("ged_entries_invoice", "invoice_number"),
)

completeness_requests = sa.Table(
    "completeness_requests",
    metadata,
    sa.Column("request_id", sa.String(128), primary_key=True),
    sa.Column("dossier_id", sa.String(128), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("record", sa.Text(), nullable=False),
    sa.Index("completeness_requests_dossier", "dossier_id"),
)


def sqlite_url(path: Path) -> str:
    return f"sqlite+pysqlite:///{Path(path).resolve()}"


class SqlDatabase:
    """An engine and its schema, shared by the metadata store and the dossier registry."""

    def __init__(self, url: str, *, pool_size: int = 5, echo: bool = False) -> None:
        self.url = sa.make_url(url)
        self.pool_size = pool_size
        self.echo = echo
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._users = 0

    def __repr__(self) -> str:
        return f"SqlDatabase({self.url.render_as_string(hide_password=True)!r})"

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @classmethod
    def held(cls, database: SqlDatabase | str) -> SqlDatabase:
        """The database a store works on, counted as one more user: a shared one, or one
        opened from its URL (:meth:`release` when the store closes)."""
        return (database if isinstance(database, SqlDatabase) else cls(database)).acquire()

    def acquire(self) -> SqlDatabase:
        """Count one more user: :meth:`release` closes the pool when the last one leaves."""
        with self._lock:
            self._users += 1
        return self

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            last = self._users <= 0
        if last:
            self.close()

    def engine(self) -> Engine:
        if self._closed:
            raise StorageError(f"{self!r} is closed")
        with self._lock:
            if self._engine is None:
                self._engine = self._create_engine()
                self._migrate(self._engine)
            return self._engine

    def _create_engine(self) -> Engine:
        try:
            if self.dialect == "sqlite":
                database = self.url.database
                if database and database != ":memory:":
                    Path(database).parent.mkdir(parents=True, exist_ok=True)
                engine = sa.create_engine(self.url, echo=self.echo, connect_args={"timeout": 30})

                @sa.event.listens_for(engine, "connect")
                def _pragmas(dbapi_conn: Any, record: Any) -> None:
                    cursor = dbapi_conn.cursor()
                    cursor.execute("PRAGMA journal_mode=WAL")
                    cursor.execute("PRAGMA synchronous=NORMAL")
                    cursor.execute("PRAGMA busy_timeout=30000")
                    cursor.close()
                    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves

                @sa.event.listens_for(engine, "begin")
                def _begin(conn: Connection) -> None:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")

                return engine
            return sa.create_engine(
                self.url,
                echo=self.echo,
                pool_size=self.pool_size,
                max_overflow=self.pool_size,
                pool_pre_ping=True,
                pool_recycle=1800,
            )
        except (OSError, sa.exc.SQLAlchemyError, ImportError) as e:
            raise StorageError(f"cannot open the metadata database {self!r}: {e}") from e

    def _migrate(self, engine: Engine) -> None:
        from alembic import command
        from alembic.config import Config
        from alembic.script import ScriptDirectory
        from alembic.util.exc import CommandError

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        head = ScriptDirectory.from_config(config).get_current_head()
        try:
            with engine.begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK_ID)))
                if self.dialect == "sqlite":
                    from storage.sqlite_adopt import adopt_hand_written_tables

                    adopt_hand_written_tables(conn)
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        except CommandError as e:
            raise StorageError(
                f"{self!r} has a schema this program does not know (newer than {head}?): "
                f"upgrade mailroom ({e})"
            ) from e
        except sa.exc.SQLAlchemyError as e:
            raise StorageError(f"cannot migrate the metadata database {self!r}: {e}") from e

    def schema_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine().connect() as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine().begin() as conn:
            yield conn

    def run(self, what: str, action: Callable[[], T]) -> T:
        try:
            return action()
        except sa.exc.IntegrityError as e:
            raise StorageConflict(f"{what}: {e.orig}") from e
        except sa.exc.SQLAlchemyError as e:
            raise StorageError(f"{what} in {self!r}: {e}") from e

    def insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT, which has ``on_conflict_do_update``/``do_nothing``."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        if self.dialect == "sqlite":
            return sqlite.insert(table)
        raise StorageError(f"unsupported database {self.dialect!r} (PostgreSQL or SQLite)")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()


class SqlMetadataStore:
    """Documents and arrivals through SQLAlchemy; safe to share between threads."""

    def __init__(self, database: SqlDatabase | str) -> None:
        self.db = SqlDatabase.held(database)

    def __repr__(self) -> str:
        return f"SqlMetadataStore({self.db!r})"

    def schema_revision(self) -> str | None:
        return self.db.run("reading the schema revision", self.db.schema_revision)

    # --- documents -----------------------------------------------------------------------

    def save(self, doc: Document) -> None:
        values = {
            "document_id": doc.document_id,
            "sha256": doc.sha256,
            "status": doc.status.value,
            "doc_type": doc.doc_type.value if doc.doc_type is not None else None,
            "received_at": doc.received_at,
            "updated_at": datetime.now(UTC),
            "record": doc.model_dump_json(),
        }
        stmt = self.db.insert(documents).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[documents.c.document_id],
            set_={k: stmt.excluded[k] for k in values if k != "document_id"},
        )

        def write() -> None:
            with self.db.transaction() as conn:
                conn.execute(stmt)

        self.db.run(f"saving {doc.document_id}", write)

    def _documents(self, query: sa.Select[Any]) -> list[Document]:
        def read() -> list[str]:
            with self.db.connect() as conn:
                return [row[0] for row in conn.execute(query)]

        return [Document.model_validate_json(r) for r in self.db.run("reading documents", read)]

    def get(self, document_id: str) -> Document | None:
        docs = self._documents(
            sa.select(documents.c.record).where(documents.c.document_id == document_id)
        )
        return docs[0] if docs else None

    def find_by_sha256(self, sha256: str) -> Document | None:
        docs = self._documents(sa.select(documents.c.record).where(documents.c.sha256 == sha256))
        return docs[0] if docs else None

    def list_documents(
        self, *, status: Status | None = None, limit: int | None = None
    ) -> list[Document]:
        query = sa.select(documents.c.record)
        if status is not None:
            query = query.where(documents.c.status == Status(status).value)
        query = query.order_by(documents.c.received_at.desc(), documents.c.document_id.asc())
        if limit is not None:
            query = query.limit(max(0, int(limit)))
        return self._documents(query)

    def document_versions(self, *, status: Status | None = None) -> dict[str, str]:
        """Each document's id and when its record was last saved (as text), in the order of
        :meth:`list_documents`: a caller keeping parsed documents (the review queue) reads
        again only the records that changed."""
        query = sa.select(documents.c.document_id, documents.c.updated_at)
        if status is not None:
            query = query.where(documents.c.status == Status(status).value)
        query = query.order_by(documents.c.received_at.desc(), documents.c.document_id.asc())

        def read() -> dict[str, str]:
            with self.db.connect() as conn:
                return {row[0]: row[1].isoformat() for row in conn.execute(query)}

        return self.db.run("reading document versions", read)

    def get_many(self, document_ids: Sequence[str]) -> list[Document]:
        """The documents with these ids (those that exist), in no particular order."""
        ids = list(document_ids)
        out: list[Document] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            out += self._documents(
                sa.select(documents.c.record).where(documents.c.document_id.in_(chunk))
            )
        return out

    # --- arrivals ------------------------------------------------------------------------

    def record_arrival(self, arrival: Arrival) -> None:
        values = {
            "arrival_id": arrival.arrival_id,
            "document_id": arrival.document_id,
            "sha256": arrival.sha256,
            "source": arrival.source.model_dump_json(),
            "received_at": arrival.received_at,
            "status": Status(arrival.status).value,
        }
        stmt = self.db.insert(arrivals).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[arrivals.c.arrival_id],
            set_={k: stmt.excluded[k] for k in values if k != "arrival_id"},
        )

        def write() -> None:
            with self.db.transaction() as conn:
                conn.execute(stmt)

        self.db.run(f"recording arrival {arrival.arrival_id}", write)

    def arrivals(self, document_id: str | None = None) -> list[Arrival]:
        query = sa.select(
            arrivals.c.arrival_id,
            arrivals.c.document_id,
            arrivals.c.sha256,
            arrivals.c.source,
            arrivals.c.received_at,
            arrivals.c.status,
        )
        if document_id is not None:
            query = query.where(arrivals.c.document_id == document_id)
        query = query.order_by(arrivals.c.received_at.asc(), arrivals.c.seq.asc())

        def read() -> list[Any]:
            with self.db.connect() as conn:
                return list(conn.execute(query))

        return [
            Arrival(
                arrival_id=row.arrival_id,
                document_id=row.document_id,
                sha256=row.sha256,
                source=Source.model_validate_json(row.source),
                received_at=row.received_at,
                status=Status(row.status),
            )
            for row in self.db.run("reading arrivals", read)
        ]

    def close(self) -> None:
        self.db.release()


class SqlDossierRegistry:
    """Dossiers, GED entries and completeness requests through SQLAlchemy."""

    def __init__(self, database: SqlDatabase | str) -> None:
        self.db = SqlDatabase.held(database)

    def __repr__(self) -> str:
        return f"SqlDossierRegistry({self.db!r})"

    def _records(self, what: str, query: sa.Select[Any]) -> list[str]:
        def read() -> list[str]:
            with self.db.connect() as conn:
                return [row[0] for row in conn.execute(query)]

        return self.db.run(what, read)

    # --- dossiers ------------------------------------------------------------------------

    def upsert(self, dossier: Dossier) -> UpsertResult:
        record = dossier.model_dump_json()

        def write() -> UpsertResult:
            with self.db.transaction() as conn:
                query = sa.select(dossiers.c.record).where(
                    dossiers.c.dossier_id == dossier.dossier_id
                )
                if self.db.dialect == "postgresql":
                    query = query.with_for_update()
                row = conn.execute(query).first()
                if row is not None and Dossier.model_validate_json(row[0]) == dossier:
                    return "unchanged"
                values = {
                    "dossier_id": dossier.dossier_id,
                    "status": dossier.status,
                    "record": record,
                    "updated_at": datetime.now(UTC),
                }
                stmt = self.db.insert(dossiers).values(**values)
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[dossiers.c.dossier_id],
                        set_={k: stmt.excluded[k] for k in values if k != "dossier_id"},
                    )
                )
                return "created" if row is None else "updated"

        return self.db.run(f"saving dossier {dossier.dossier_id}", write)

    def get(self, dossier_id: str) -> Dossier | None:
        rows = self._records(
            "reading a dossier",
            sa.select(dossiers.c.record).where(dossiers.c.dossier_id == dossier_id),
        )
        return Dossier.model_validate_json(rows[0]) if rows else None

    def all(self, *, status: DossierStatus | None = None) -> list[Dossier]:
        query = sa.select(dossiers.c.record).order_by(dossiers.c.dossier_id)
        if status is not None:
            query = query.where(dossiers.c.status == status)
        return [Dossier.model_validate_json(r) for r in self._records("reading dossiers", query)]

    def revision(self) -> str:
        # no dossier is ever deleted: a new one raises the count, an update the latest time
        def read() -> str:
            with self.db.connect() as conn:
                count, latest = conn.execute(
                    sa.select(sa.func.count(), sa.func.max(dossiers.c.updated_at))
                ).one()
            return f"{count}:{latest}"

        return self.db.run("reading dossiers", read)

    # --- GED -----------------------------------------------------------------------------

    def add_ged_entry(self, entry: GedEntry) -> None:
        stmt = self.db.insert(ged_entries).values(
            document_id=entry.document_id,
            ged_entry_id=entry.ged_entry_id,
            dossier_id=entry.dossier_id,
            supplier_key=next((k for k in entry.supplier_keys if k.startswith("siret:")), None),
            supplier_name_key=next((k for k in entry.supplier_keys if k.startswith("name:")), None),
            invoice_number=entry.invoice_number,
            filed_at=entry.filed_at,
            record=entry.model_dump_json(),
        )

        def write() -> None:
            with self.db.transaction() as conn:
                conn.execute(stmt.on_conflict_do_nothing(index_elements=["document_id"]))

        self.db.run(f"filing {entry.document_id}", write)

    def ged_entries(self, dossier_id: str | None = None) -> list[GedEntry]:
        query = sa.select(ged_entries.c.record).order_by(
            ged_entries.c.filed_at, ged_entries.c.ged_entry_id
        )
        if dossier_id is not None:
            query = query.where(ged_entries.c.dossier_id == dossier_id)
        return [GedEntry.model_validate_json(r) for r in self._records("reading the GED", query)]

    def find_filed_invoice(self, supplier_key: str, invoice_number: str) -> GedEntry | None:
        from mailroom.records import normalize_invoice_number

        query = (
            sa.select(ged_entries.c.record)
            .where(ged_entries.c.invoice_number == normalize_invoice_number(invoice_number))
            .where(
                sa.or_(
                    ged_entries.c.supplier_key == supplier_key,
                    ged_entries.c.supplier_name_key == supplier_key,
                )
            )
            .order_by(ged_entries.c.filed_at)
            .limit(1)
        )
        rows = self._records("reading the GED", query)
        return GedEntry.model_validate_json(rows[0]) if rows else None

    # --- completeness requests -----------------------------------------------------------

    def save_request(self, request: CompletenessRequest) -> None:
        values = {
            "request_id": request.request_id,
            "dossier_id": request.dossier_id,
            "state": request.state,
            "created_at": request.created_at,
            "record": request.model_dump_json(),
        }
        stmt = self.db.insert(completeness_requests).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[completeness_requests.c.request_id],
            set_={k: stmt.excluded[k] for k in ("dossier_id", "state", "record")},
        )

        def write() -> None:
            with self.db.transaction() as conn:
                conn.execute(stmt)

        self.db.run(f"saving request {request.request_id}", write)

    def requests(
        self, dossier_id: str | None = None, *, state: RequestState | None = None
    ) -> list[CompletenessRequest]:
        query = sa.select(completeness_requests.c.record).order_by(
            completeness_requests.c.created_at, completeness_requests.c.request_id
        )
        if dossier_id is not None:
            query = query.where(completeness_requests.c.dossier_id == dossier_id)
        if state is not None:
            query = query.where(completeness_requests.c.state == state)
        return [
            CompletenessRequest.model_validate_json(r)
            for r in self._records("reading completeness requests", query)
        ]

    def close(self) -> None:
        self.db.release()
