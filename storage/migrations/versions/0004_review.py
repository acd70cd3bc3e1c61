"""The review application's tables: users, sessions, audit trail, documents set aside and the
messages a session shows on its next page.

A ``mailroom.sqlite3`` where the review application kept them by hand (``review_*`` with
``review_schema_version``) keeps its rows: :func:`storage.sqlite_adopt.adopt_review_tables`
rewrites their times and drops the old version table, and only the missing tables are created.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.sql import UtcDateTime, serial_column
from storage.sqlite_adopt import adopt_review_tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _users() -> None:
    op.create_table(
        "review_users",
        sa.Column("username", sa.Text(), primary_key=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def _sessions() -> None:
    op.create_table(
        "review_sessions",
        sa.Column("session_id", sa.String(128), primary_key=True),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("csrf_token", sa.String(128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
    )
    op.create_index("review_sessions_username", "review_sessions", ["username"])


def _audit() -> None:
    op.create_table(
        "review_audit",
        serial_column("seq"),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("document_id", sa.String(128)),
        sa.Column("dossier_id", sa.String(128)),
        sa.Column("allowed", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("before", sa.Text()),
        sa.Column("after", sa.Text()),
        sa.Column("detail", sa.Text()),
        sqlite_autoincrement=True,  # as before: a sequence number is never reused
    )
    op.create_index("review_audit_document", "review_audit", ["document_id"])
    op.create_index("review_audit_dossier", "review_audit", ["dossier_id"])


def _set_aside() -> None:
    op.create_table(
        "review_set_aside",
        sa.Column("document_id", sa.String(128), primary_key=True),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("note", sa.Text()),
    )


def _flash() -> None:
    op.create_table(
        "review_flash",
        serial_column("seq"),
        sa.Column("session_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("review_flash_session", "review_flash", ["session_id"])


CREATE = {  # in the order of storage.sqlite_adopt.REVIEW_TABLES
    "review_users": _users,
    "review_sessions": _sessions,
    "review_audit": _audit,
    "review_set_aside": _set_aside,
    "review_flash": _flash,
}


def upgrade() -> None:
    conn = op.get_bind()
    adopted = adopt_review_tables(conn)
    for table, create in CREATE.items():
        if table not in adopted:
            create()


def downgrade() -> None:
    op.drop_index("review_flash_session", "review_flash")
    op.drop_table("review_flash")
    op.drop_table("review_set_aside")
    op.drop_index("review_audit_dossier", "review_audit")
    op.drop_index("review_audit_document", "review_audit")
    op.drop_table("review_audit")
    op.drop_index("review_sessions_username", "review_sessions")
    op.drop_table("review_sessions")
    op.drop_table("review_users")
