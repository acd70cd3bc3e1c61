"""The corrections store: corrected documents, their sender keys and layout bands (indexed),
and the later fields each correction served.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.sql import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column(
            "correction_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("document_id", sa.String(128), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("doc_type", sa.String(32), nullable=False),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("medical", sa.Boolean(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sqlite_autoincrement=True,  # ids never reused: the revision moves with each correction
    )
    op.create_index("corrections_document_id", "corrections", ["document_id"])
    op.create_index("corrections_created_at", "corrections", ["created_at"])
    op.create_index("corrections_doc_type", "corrections", ["doc_type", "correction_id"])
    op.create_table(
        "correction_keys",
        sa.Column("key", sa.String(256), primary_key=True),
        sa.Column("correction_id", sa.BigInteger(), primary_key=True),
        sa.Column("doc_type", sa.String(32), nullable=False),
    )
    op.create_table(
        "correction_bands",
        sa.Column("band", sa.SmallInteger(), primary_key=True),
        sa.Column("value", sa.BigInteger(), primary_key=True),
        sa.Column("correction_id", sa.BigInteger(), primary_key=True),
        sa.Column("doc_type", sa.String(32), nullable=False),
    )
    op.create_table(
        "correction_uses",
        sa.Column("corrected_document_id", sa.String(128), primary_key=True),
        sa.Column("document_id", sa.String(128), primary_key=True),
        sa.Column("field", sa.String(64), primary_key=True),
        sa.Column("used_at", UtcDateTime(), nullable=False),
    )
    op.create_index("correction_uses_used_at", "correction_uses", ["used_at"])


def downgrade() -> None:
    op.drop_index("correction_uses_used_at", "correction_uses")
    op.drop_table("correction_uses")
    op.drop_table("correction_bands")
    op.drop_table("correction_keys")
    op.drop_index("corrections_doc_type", "corrections")
    op.drop_index("corrections_created_at", "corrections")
    op.drop_index("corrections_document_id", "corrections")
    op.drop_table("corrections")
