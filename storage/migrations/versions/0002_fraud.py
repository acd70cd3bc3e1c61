"""The fraud index: page hashes (four indexed 16-bit bands), piece keys, suppliers' IBANs and
the evidence of fraud signals.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.sql import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_page_hashes",
        sa.Column("document_id", sa.String(128), primary_key=True),
        sa.Column("page", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("b0", sa.Integer(), nullable=False),
        sa.Column("b1", sa.Integer(), nullable=False),
        sa.Column("b2", sa.Integer(), nullable=False),
        sa.Column("b3", sa.Integer(), nullable=False),
        sa.Column("suspect", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    for i in range(4):
        op.create_index(f"fraud_page_hashes_b{i}", "fraud_page_hashes", ["kind", f"b{i}"])
    op.create_table(
        "fraud_piece_keys",
        sa.Column("document_id", sa.String(128), primary_key=True),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("amount", sa.String(32)),
        sa.Column("name", sa.String(512)),
        sa.Column("suspect", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("fraud_piece_keys_key", "fraud_piece_keys", ["key"])
    op.create_table(
        "fraud_supplier_ibans",
        sa.Column("supplier", sa.String(64), primary_key=True),
        sa.Column("iban", sa.String(64), primary_key=True),
        sa.Column("document_id", sa.String(128), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.Column("confirmed_by", sa.String(128)),
        sa.Column("confirmed_at", UtcDateTime()),
    )
    op.create_table(
        "fraud_evidence",
        sa.Column("document_id", sa.String(128), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("other_document_id", sa.String(128)),
        sa.Column("detail", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fraud_evidence")
    op.drop_table("fraud_supplier_ibans")
    op.drop_index("fraud_piece_keys_key", "fraud_piece_keys")
    op.drop_table("fraud_piece_keys")
    for i in range(4):
        op.drop_index(f"fraud_page_hashes_b{i}", "fraud_page_hashes")
    op.drop_table("fraud_page_hashes")
