"""Model versions: the classifier and field rankers refitted on corrections (issue #19).

The models' files are kept in the object store (``models/<version>.joblib``: every worker and
watcher reads the same ones, on S3 as on a folder); their manifest is a row of
``model_versions`` in the metadata database. A version is ``<kind>-<n>-<sha8>`` (``n``
counts the versions of its kind, ``sha8`` is the first 8 hex digits of the file's SHA-256);
the models shipped with the package are version ``base`` and have no row.

:meth:`SqlModelStore.revision` changes whenever a version is promoted: a pipeline compares it
per document (one indexed query) and loads the newest version without a restart.

``refit_lock`` holds at most one row per name: the process refitting now, until it is done or
its lease runs out (a process killed mid-refit does not block refits for ever).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from storage.sql import SqlDatabase, UtcDateTime, metadata, serial_column

BASE = "base"
KINDS = ("doctype", "rankers")

model_versions = sa.Table(
    "model_versions",
    metadata,
    serial_column("version_id"),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("version", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("promoted", sa.Boolean(), nullable=False),
    sa.Column("last_correction_id", sa.BigInteger(), nullable=False),
    sa.Column("object_key", sa.String(256), nullable=False),
    sa.Column("manifest", sa.Text(), nullable=False),
    sa.Index("model_versions_kind", "kind", "promoted", "version_id"),
    sqlite_autoincrement=True,
)
refit_lock = sa.Table(
    "refit_lock",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("holder", sa.String(64), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)


def model_key(version: str) -> str:
    """Where a version's file is kept in the object store."""
    return f"models/{version}.joblib"


@dataclass(frozen=True)
class ModelVersion:
    """One refitted model: its version, whether it reads documents, its manifest."""

    kind: str
    version: str
    promoted: bool
    last_correction_id: int  # the newest correction it was fitted on
    manifest: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    object_key: str = ""
    version_id: int = 0


def _row(row: Any) -> ModelVersion:
    return ModelVersion(
        kind=row.kind, version=row.version, promoted=bool(row.promoted),
        last_correction_id=int(row.last_correction_id), manifest=json.loads(row.manifest),
        created_at=row.created_at, object_key=row.object_key, version_id=int(row.version_id),
    )


class SqlModelStore:
    """Model versions and the refit lock in the SQLAlchemy metadata database."""

    def __init__(self, database: SqlDatabase | str) -> None:
        self.db = SqlDatabase.held(database)

    def __repr__(self) -> str:
        return f"SqlModelStore({self.db!r})"

    def add(self, version: ModelVersion) -> ModelVersion:
        """Record a version (promoted or not); returns it with its id."""

        def write() -> int:
            with self.db.transaction() as conn:
                result = conn.execute(model_versions.insert().values(
                    kind=version.kind, version=version.version, created_at=version.created_at,
                    promoted=version.promoted, last_correction_id=version.last_correction_id,
                    object_key=version.object_key or model_key(version.version),
                    manifest=json.dumps(version.manifest, sort_keys=True),
                ))
                assert result.inserted_primary_key is not None
                return int(result.inserted_primary_key[0])

        new_id = self.db.run(f"recording model version {version.version}", write)
        found = self.get(version.version)
        assert found is not None and found.version_id == new_id
        return found

    def get(self, version: str) -> ModelVersion | None:
        def read() -> ModelVersion | None:
            with self.db.connect() as conn:
                row = conn.execute(
                    sa.select(model_versions).where(model_versions.c.version == version)
                ).first()
            return None if row is None else _row(row)

        return self.db.run("reading a model version", read)

    def count(self, kind: str) -> int:
        """How many versions of ``kind`` were recorded (promoted or not)."""

        def read() -> int:
            with self.db.connect() as conn:
                return int(conn.execute(
                    sa.select(sa.func.count()).where(model_versions.c.kind == kind)
                ).scalar_one())

        return self.db.run("counting model versions", read)

    def current(self, kind: str) -> ModelVersion | None:
        """The newest promoted version of ``kind``; ``None``: the packaged one (``base``)."""

        def read() -> ModelVersion | None:
            with self.db.connect() as conn:
                row = conn.execute(
                    sa.select(model_versions)
                    .where(model_versions.c.kind == kind)
                    .where(model_versions.c.promoted.is_(True))
                    .order_by(model_versions.c.version_id.desc())
                    .limit(1)
                ).first()
            return None if row is None else _row(row)

        return self.db.run("reading the current model version", read)

    def latest(self) -> ModelVersion | None:
        """The newest version recorded, of any kind, promoted or not (the last refit)."""

        def read() -> ModelVersion | None:
            with self.db.connect() as conn:
                row = conn.execute(
                    sa.select(model_versions).order_by(model_versions.c.version_id.desc())
                    .limit(1)
                ).first()
            return None if row is None else _row(row)

        return self.db.run("reading the last refit", read)

    def versions(self) -> list[ModelVersion]:
        """Every version, oldest first."""

        def read() -> list[ModelVersion]:
            with self.db.connect() as conn:
                rows = conn.execute(sa.select(model_versions).order_by(model_versions.c.version_id))
                return [_row(r) for r in rows]

        return self.db.run("listing model versions", read)

    def revision(self) -> str:
        """Changes whenever a version is promoted: the newest promoted version's id."""

        def read() -> str:
            with self.db.connect() as conn:
                latest = conn.execute(
                    sa.select(sa.func.max(model_versions.c.version_id))
                    .where(model_versions.c.promoted.is_(True))
                ).scalar_one()
            return str(latest or 0)

        return self.db.run("reading the models' revision", read)

    # -- the refit lock ---------------------------------------------------------------

    def try_lock(self, name: str = "refit", *, lease_s: float = 3600.0) -> str | None:
        """Take the lock ``name`` unless another holder's lease is still running; the holder
        token when taken, ``None`` otherwise."""
        holder = uuid.uuid4().hex
        now = datetime.now(UTC)

        def write() -> bool:
            with self.db.transaction() as conn:
                conn.execute(
                    refit_lock.delete().where(refit_lock.c.name == name)
                    .where(refit_lock.c.expires_at < now)
                )
                stmt = self.db.insert(refit_lock).values(
                    name=name, holder=holder, expires_at=now + timedelta(seconds=lease_s)
                ).on_conflict_do_nothing()
                conn.execute(stmt)
                row = conn.execute(
                    sa.select(refit_lock.c.holder).where(refit_lock.c.name == name)
                ).first()
            return row is not None and row[0] == holder

        return holder if self.db.run("taking the refit lock", write) else None

    def unlock(self, holder: str, name: str = "refit") -> None:
        def write() -> None:
            with self.db.transaction() as conn:
                conn.execute(refit_lock.delete().where(refit_lock.c.name == name)
                             .where(refit_lock.c.holder == holder))

        self.db.run("releasing the refit lock", write)

    def locked(self, name: str = "refit") -> bool:
        now = datetime.now(UTC)

        def read() -> bool:
            with self.db.connect() as conn:
                return conn.execute(
                    sa.select(refit_lock.c.holder).where(refit_lock.c.name == name)
                    .where(refit_lock.c.expires_at >= now)
                ).first() is not None

        return self.db.run("reading the refit lock", read)

    def close(self) -> None:
        self.db.release()
