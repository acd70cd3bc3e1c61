"""Carry the review tables an older ``mailroom.sqlite3`` kept over to PostgreSQL.

Before the Alembic migration ``0004`` the review application kept its users, sessions, audit
trail, documents set aside and waiting messages in ``<data_dir>/mailroom.sqlite3`` by hand
(``review_*`` tables with ``review_schema_version``), even when the metadata store was on
PostgreSQL. On SQLite the migration keeps those rows in place (:mod:`storage.sqlite_adopt`).
On PostgreSQL they are copied once, the first time the review store opens on a server whose
review tables are all empty: in one transaction (an interrupted copy leaves nothing, and the
next start copies again), the audit trail with its numbers, then the server's counters set
past them. The SQLite file is only read (opened read-only) and keeps its rows.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from review.store import (
    ReviewStore,
    review_audit,
    review_flash,
    review_sessions,
    review_set_aside,
    review_users,
)

log = logging.getLogger(__name__)

# the review tables, in the order their rows are copied; the old file's tables have the same
# names and columns (``0004`` adopted them as they were)
_TABLES: tuple[sa.Table, ...] = (
    review_users, review_sessions, review_audit, review_set_aside, review_flash,
)
_TIMES = frozenset({"created_at", "expires_at", "at"})
_FLAGS = frozenset({"active", "allowed"})
_SERIAL = (review_audit, review_flash)
_CARRY_LOCK_ID = 0x6D61696C_72657631  # "mailrev1": one copy at a time across processes


def _old_rows(path: Path) -> dict[str, list[dict[str, Any]]] | None:
    """The hand-written review tables' rows, or None when the file has none (a file under
    Alembic only, or no review tables)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "review_schema_version" not in names or "review_users" not in names:
            return None
        out: dict[str, list[dict[str, Any]]] = {}
        for table in _TABLES:
            if table.name not in names:  # review_flash came with the old version 2
                continue
            columns = [c.name for c in table.columns]
            cursor = conn.execute(f"SELECT {', '.join(columns)} FROM {table.name}")  # noqa: S608
            out[table.name] = [_converted(dict(zip(columns, row, strict=True)))
                               for row in cursor]
        return out
    finally:
        conn.close()


def _converted(row: dict[str, Any]) -> dict[str, Any]:
    """Times written as ``2026-03-02T09:00:00.123456Z`` to aware datetimes, 0/1 to booleans."""
    for name, value in row.items():
        if name in _TIMES and isinstance(value, str):
            moment = datetime.fromisoformat(value)
            row[name] = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        elif name in _FLAGS and value is not None:
            row[name] = bool(value)
    return row


def carry_over_review_tables(old: Path, store: ReviewStore) -> dict[str, int]:
    """Copy the old file's review rows into ``store`` (PostgreSQL) when the server's review
    tables are all empty; the rows copied per table (empty when nothing was copied)."""
    if store.db.dialect != "postgresql" or not old.is_file():
        return {}
    try:
        rows = _old_rows(old)
    except sqlite3.Error as e:
        log.warning("the review tables of %s could not be read (%s); not carried over", old, e)
        return {}
    if not rows or not any(rows.values()):
        return {}

    def copy() -> dict[str, int]:
        with store.db.transaction() as conn:
            # two processes starting at once: the second waits here, then finds rows
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_CARRY_LOCK_ID)))
            for table in _TABLES:
                if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar():
                    return {}
            for table in _TABLES:
                if rows.get(table.name):
                    conn.execute(table.insert(), rows[table.name])
            for table in _SERIAL:
                # the server's counter past the numbers copied: the next event follows them
                conn.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'seq'), max(seq)) "
                    f"FROM {table.name} HAVING max(seq) IS NOT NULL"  # noqa: S608
                ))
        return {name: len(found) for name, found in rows.items()}

    copied = store.db.run("carrying the review tables over to the server", copy)
    if copied:
        log.info("review tables carried over from %s to the server: %s", old,
                 ", ".join(f"{n} {c}" for n, c in sorted(copied.items())))
    return copied
