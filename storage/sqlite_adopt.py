"""Bring a ``mailroom.sqlite3`` written by the hand-written SQLite stores under Alembic.

Before #24 the metadata store, the dossier registry and the fraud index kept their tables in
``mailroom.sqlite3`` through sqlite3 directly, each with its own schema-version table
(``schema_version``, ``dossier_schema_version``, ``fraud_schema_version``). Their tables have
the names and columns of the Alembic migrations ``0001`` and ``0002``; only the times differ
(``2026-03-02T09:00:00.123456Z`` where SQLAlchemy writes ``2026-03-02 09:00:00.123456``).

:func:`adopt_hand_written_tables` runs inside the migration's transaction, before
``alembic upgrade``: it rewrites the times, creates whatever tables of ``0001`` the old file
lacks, marks the file at ``0001`` (or ``0002`` when the fraud tables are there) and drops the
old version tables. A file already under Alembic, or a new one, is not touched.

The review application's tables (``review_*``, with ``review_schema_version``) were written
by hand until ``0004``, which moved them into the SQL store: that migration calls
:func:`adopt_review_tables`, which keeps their rows (times rewritten the same way) and drops
their version table, whether the file reached ``0003`` by adoption or under Alembic.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

OLD_VERSION_TABLES = ("schema_version", "dossier_schema_version", "fraud_schema_version")
REVISION_0001 = ("documents", "arrivals", "dossiers", "ged_entries", "completeness_requests")
REVISION_0002 = ("fraud_page_hashes", "fraud_piece_keys", "fraud_supplier_ibans", "fraud_evidence")
REVIEW_TABLES = (
    "review_users",
    "review_sessions",
    "review_audit",
    "review_set_aside",
    "review_flash",
)
REVIEW_TIMES = {
    "review_users": ("created_at",),
    "review_sessions": ("created_at", "expires_at"),
    "review_audit": ("at",),
    "review_set_aside": ("at",),
}
TIMES = {
    "documents": ("received_at", "updated_at"),
    "arrivals": ("received_at",),
    "dossiers": ("updated_at",),
    "ged_entries": ("filed_at",),
    "completeness_requests": ("created_at",),
    "fraud_supplier_ibans": ("seen_at", "confirmed_at"),
}


def adopt_hand_written_tables(conn: Connection) -> str | None:
    """Bring an old file's tables under Alembic; the revision it was marked at, or ``None``
    when there was nothing to adopt."""
    names = set(sa.inspect(conn).get_table_names())
    if "alembic_version" in names or not names & set(OLD_VERSION_TABLES):
        return None
    from storage.sql import metadata

    for table, columns in TIMES.items():
        if table in names:
            for column in columns:
                conn.execute(sa.text(_utc_text_to_sqlalchemy(table, column)))
    # a part never used (a registry never opened) has no tables yet: they are created as
    # declared today, which is their shape at 0001 (a migration that changes one of them
    # must create it here as 0001 did)
    missing = [metadata.tables[t] for t in REVISION_0001 if t not in names]
    metadata.create_all(conn, tables=missing)
    # the old fraud index created its four tables together: all there, or none
    revision = "0002" if all(t in names for t in REVISION_0002) else "0001"
    conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
    conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revision})
    for table in (*OLD_VERSION_TABLES, "dossier_revision"):
        if table in names:
            conn.execute(sa.text(f"DROP TABLE {table}"))
    log.info("the hand-written SQLite tables were brought under Alembic at %s", revision)
    return revision


def adopt_review_tables(conn: Connection) -> set[str]:
    """Keep the review tables an SQLite file holds from before ``0004``: their times are
    rewritten to SQLAlchemy's form and ``review_schema_version`` is dropped. The names of the
    tables kept (``0004`` creates the others); none on PostgreSQL or a file without them."""
    if conn.dialect.name != "sqlite":
        return set()
    names = set(sa.inspect(conn).get_table_names())
    if "review_schema_version" not in names:
        return set()
    kept = {t for t in REVIEW_TABLES if t in names}
    for table, columns in REVIEW_TIMES.items():
        if table in kept:
            for column in columns:
                conn.execute(sa.text(_utc_text_to_sqlalchemy(table, column)))
    conn.execute(sa.text("DROP TABLE review_schema_version"))
    log.info("the review tables %s were kept under Alembic", ", ".join(sorted(kept)))
    return kept


def _utc_text_to_sqlalchemy(table: str, column: str) -> str:
    """``2026-03-02T09:00:00.123Z`` (the registry wrote milliseconds) or ``…00.123456Z`` to
    ``2026-03-02 09:00:00.123000`` / ``…00.123456``, SQLAlchemy's form on SQLite."""
    plain = f"replace(rtrim({column}, 'Z'), 'T', ' ')"
    return (
        f"UPDATE {table} SET {column} = CASE WHEN length({plain}) = 23 THEN {plain} || '000' "
        f"ELSE {plain} END WHERE {column} LIKE '%T%Z'"
    )
