"""Documents, arrivals, dossiers, GED entries and completeness requests.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.sql import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("document_id", sa.String(128), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("doc_type", sa.String(32)),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.UniqueConstraint("sha256", name="documents_sha256_key"),
    )
    op.create_index("documents_status", "documents", ["status"])
    op.create_index("documents_received_at", "documents", ["received_at"])
    op.create_table(
        "arrivals",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("arrival_id", sa.String(128), nullable=False),
        sa.Column("document_id", sa.String(128), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.UniqueConstraint("arrival_id", name="arrivals_arrival_id_key"),
    )
    op.create_index("arrivals_document_id", "arrivals", ["document_id"])
    op.create_index("arrivals_sha256", "arrivals", ["sha256"])
    op.create_table(
        "dossiers",
        sa.Column("dossier_id", sa.String(128), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("dossiers_status", "dossiers", ["status"])
    op.create_table(
        "ged_entries",
        sa.Column("document_id", sa.String(128), primary_key=True),
        sa.Column("ged_entry_id", sa.String(128), nullable=False),
        sa.Column("dossier_id", sa.String(128), nullable=False),
        sa.Column("supplier_key", sa.String(256)),
        sa.Column("supplier_name_key", sa.String(512)),
        sa.Column("invoice_number", sa.String(128)),
        sa.Column("filed_at", UtcDateTime(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.UniqueConstraint("ged_entry_id", name="ged_entries_ged_entry_id_key"),
    )
    op.create_index("ged_entries_dossier", "ged_entries", ["dossier_id"])
    op.create_index("ged_entries_invoice", "ged_entries", ["invoice_number"])
    op.create_table(
        "completeness_requests",
        sa.Column("request_id", sa.String(128), primary_key=True),
        sa.Column("dossier_id", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
    )
    op.create_index("completeness_requests_dossier", "completeness_requests", ["dossier_id"])


def downgrade() -> None:
    op.drop_table("completeness_requests")
    op.drop_table("ged_entries")
    op.drop_table("dossiers")
    op.drop_table("arrivals")
    op.drop_table("documents")
