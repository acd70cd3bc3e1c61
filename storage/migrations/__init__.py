"""Alembic migrations of the SQL metadata store (:mod:`storage.sql`).

Applied automatically on first use by :class:`storage.sql.SqlDatabase`; an operator can also
run them by hand: ``alembic -c storage/migrations/alembic.ini upgrade head`` with
``MAILROOM_STORAGE__DATABASE_URL`` set.
"""
