"""Alembic environment: the connection handed over by ``storage.sql.SqlDatabase``, or the
database named by ``MAILROOM_STORAGE__DATABASE_URL`` when run from the ``alembic`` command."""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from storage.sql import metadata

config = context.config
connection = config.attributes.get("connection")


def _run(conn: sa.engine.Connection) -> None:
    context.configure(
        connection=conn,
        target_metadata=metadata,
        render_as_batch=conn.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    url = os.environ.get("MAILROOM_STORAGE__DATABASE_URL") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("set MAILROOM_STORAGE__DATABASE_URL to the database to migrate")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
