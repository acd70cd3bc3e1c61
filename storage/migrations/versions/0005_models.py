"""Model versions (the classifier and field rankers refitted on corrections) and the refit
lock (one refit at a time across processes).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.sql import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column(
            "version_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("version", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("promoted", sa.Boolean(), nullable=False),
        sa.Column("last_correction_id", sa.BigInteger(), nullable=False),
        sa.Column("object_key", sa.String(256), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("model_versions_kind", "model_versions", ["kind", "promoted", "version_id"])
    op.create_table(
        "refit_lock",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("refit_lock")
    op.drop_index("model_versions_kind", "model_versions")
    op.drop_table("model_versions")
