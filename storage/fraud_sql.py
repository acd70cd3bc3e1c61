"""The fraud index through SQLAlchemy: PostgreSQL in production, SQLite through the same code.

The tables are declared on :data:`storage.sql.metadata` and created by the Alembic migration
``0002_fraud``; the band indexes and the lookup are those of :mod:`storage.fraud`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import BIT

from storage.fraud import (
    BANDS,
    Evidence,
    HashKind,
    PageHash,
    PieceKey,
    SupplierIban,
    _nearest,
    band_probes,
    bands,
    hash_row,
    to_signed,
    to_unsigned,
)
from storage.sql import SqlDatabase, UtcDateTime, metadata

page_hashes = sa.Table(
    "fraud_page_hashes",
    metadata,
    sa.Column("document_id", sa.String(128), primary_key=True),
    sa.Column("page", sa.Integer(), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
    sa.Column("b0", sa.Integer(), nullable=False),
    sa.Column("b1", sa.Integer(), nullable=False),
    sa.Column("b2", sa.Integer(), nullable=False),
    sa.Column("b3", sa.Integer(), nullable=False),
    sa.Column("suspect", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Index("fraud_page_hashes_b0", "kind", "b0"),
    sa.Index("fraud_page_hashes_b1", "kind", "b1"),
    sa.Index("fraud_page_hashes_b2", "kind", "b2"),
    sa.Index("fraud_page_hashes_b3", "kind", "b3"),
)

piece_keys = sa.Table(
    "fraud_piece_keys",
    metadata,
    sa.Column("document_id", sa.String(128), primary_key=True),
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("amount", sa.String(32)),
    sa.Column("name", sa.String(512)),
    sa.Column("suspect", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Index("fraud_piece_keys_key", "key"),
)

supplier_ibans = sa.Table(
    "fraud_supplier_ibans",
    metadata,
    sa.Column("supplier", sa.String(64), primary_key=True),
    sa.Column("iban", sa.String(64), primary_key=True),
    sa.Column("document_id", sa.String(128), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("seen_at", UtcDateTime(), nullable=False),
    sa.Column("confirmed_by", sa.String(128)),
    sa.Column("confirmed_at", UtcDateTime()),
)

evidence_table = sa.Table(
    "fraud_evidence",
    metadata,
    sa.Column("document_id", sa.String(128), primary_key=True),
    sa.Column("seq", sa.Integer(), primary_key=True),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("other_document_id", sa.String(128)),
    sa.Column("detail", sa.Text(), nullable=False),
)


@functools.cache
def _near_query(dialect: str) -> sa.CompoundSelect:
    """The banded lookup, built once: the union of one indexed select a band, its values
    bound at each call (``kind``, ``b0``…``b3`` the probes, ``value``, ``most``)."""
    c = page_hashes.c
    columns = (c.document_id, c.page, c.kind, c.value, c.suspect)
    near: list[Any] = []
    if dialect == "postgresql":  # the distance measured by the server
        xor = c.value.op("#")(sa.bindparam("value", type_=sa.BigInteger()))
        near.append(sa.func.bit_count(sa.cast(xor, BIT(64))) <= sa.bindparam("most"))
    selects = [
        sa.select(*columns).where(
            c.kind == sa.bindparam("kind"),
            getattr(c, f"b{i}").in_(sa.bindparam(f"b{i}", expanding=True)),
            *near,
        )
        for i in range(BANDS)
    ]
    return sa.union(*selects)


class SqlFraudStore:
    """The fraud index on a :class:`~storage.sql.SqlDatabase`; safe to share between threads."""

    def __init__(self, database: SqlDatabase | str) -> None:
        self.db = SqlDatabase.held(database)

    def __repr__(self) -> str:
        return f"SqlFraudStore({self.db!r})"

    def _read(self, what: str, query: Any, params: dict[str, Any] | None = None) -> list[Any]:
        def read() -> list[Any]:
            with self.db.connect() as conn:
                return list(conn.execute(query, params or {}))

        return self.db.run(what, read)

    def _upsert(self, what: str, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        keys = [c.name for c in table.primary_key.columns]
        stmt = self.db.insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=keys,
            set_={k: stmt.excluded[k] for k in rows[0] if k not in keys},
        )

        def write() -> None:
            with self.db.transaction() as conn:
                conn.execute(stmt, rows)

        self.db.run(what, write)

    def add_hashes(self, hashes: Sequence[PageHash]) -> None:
        names = ("document_id", "page", "kind", "value", "b0", "b1", "b2", "b3", "suspect")
        rows = [dict(zip(names, hash_row(h), strict=False)) for h in hashes]
        for row in rows:
            row["suspect"] = bool(row["suspect"])
        self._upsert("saving page hashes", page_hashes, rows)

    def near_hashes(
        self, kind: HashKind, value: int, max_distance: int, *, probe_bits: int = 1
    ) -> list[tuple[PageHash, int]]:
        params: dict[str, Any] = {"kind": kind, "value": to_signed(value), "most": max_distance}
        for i, band in enumerate(bands(value)):
            params[f"b{i}"] = band_probes(band, probe_bits)
        rows = self._read("reading page hashes", _near_query(self.db.dialect), params)
        found = [PageHash(d, p, k, to_unsigned(v), bool(s)) for d, p, k, v, s in rows]
        return _nearest(found, value, max_distance)

    def add_keys(self, keys: Sequence[PieceKey]) -> None:
        self._upsert(
            "saving piece keys",
            piece_keys,
            [
                {
                    "document_id": k.document_id,
                    "key": k.key,
                    "amount": k.amount,
                    "name": k.name,
                    "suspect": k.suspect,
                }
                for k in keys
            ],
        )

    def find_keys(self, key: str) -> list[PieceKey]:
        c = piece_keys.c
        rows = self._read(
            "reading piece keys",
            sa.select(c.document_id, c.key, c.amount, c.name, c.suspect)
            .where(c.key == key)
            .order_by(c.document_id),
        )
        return [PieceKey(d, k, a, n, bool(s)) for d, k, a, n, s in rows]

    def add_iban(self, record: SupplierIban) -> None:
        self._upsert(
            "saving a supplier's IBAN",
            supplier_ibans,
            [
                {
                    "supplier": record.supplier,
                    "iban": record.iban,
                    "document_id": record.document_id,
                    "state": record.state,
                    "seen_at": record.seen_at,
                    "confirmed_by": record.confirmed_by,
                    "confirmed_at": record.confirmed_at,
                }
            ],
        )

    def ibans(self, supplier: str) -> list[SupplierIban]:
        c = supplier_ibans.c
        rows = self._read(
            "reading suppliers' IBANs",
            sa.select(
                c.supplier,
                c.iban,
                c.document_id,
                c.state,
                c.seen_at,
                c.confirmed_by,
                c.confirmed_at,
            )
            .where(c.supplier == supplier)
            .order_by(c.seen_at, c.document_id),
        )
        return [SupplierIban(*row) for row in rows]

    def confirm_iban(self, supplier: str, iban: str, username: str, at: datetime) -> int:
        c = supplier_ibans.c
        stmt = (
            sa.update(supplier_ibans)
            .where(c.supplier == supplier, c.iban == iban)
            .values(state="confirmed", confirmed_by=username, confirmed_at=at)
        )

        def write() -> int:
            with self.db.transaction() as conn:
                return int(conn.execute(stmt).rowcount)

        return self.db.run("confirming an IBAN", write)

    def add_evidence(self, evidence: Sequence[Evidence]) -> None:
        if not evidence:
            return
        documents = sorted({e.document_id for e in evidence})

        def write() -> None:
            with self.db.transaction() as conn:
                conn.execute(
                    sa.delete(evidence_table).where(evidence_table.c.document_id.in_(documents))
                )
                conn.execute(
                    sa.insert(evidence_table),
                    [
                        {
                            "document_id": e.document_id,
                            "seq": n,
                            "code": e.code,
                            "other_document_id": e.other_document_id,
                            "detail": json.dumps(e.detail),
                        }
                        for n, e in enumerate(evidence)
                    ],
                )

        self.db.run("saving fraud evidence", write)

    def evidence(self, document_id: str) -> list[Evidence]:
        c = evidence_table.c
        rows = self._read(
            "reading fraud evidence",
            sa.select(c.document_id, c.code, c.other_document_id, c.detail)
            .where(c.document_id == document_id)
            .order_by(c.seq),
        )
        return [Evidence(d, code, o, json.loads(detail)) for d, code, o, detail in rows]

    def close(self) -> None:
        self.db.release()
