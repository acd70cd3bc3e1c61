"""The corrections store: what gestionnaires corrected, kept in the metadata database so that
every worker and watcher learns from a correction without a restart.

One row per corrected document in ``corrections`` (a document corrected again replaces its
row, under a new ``correction_id``), its sender keys in ``correction_keys`` and the band hashes
of its layout fingerprint in ``correction_bands`` (both indexed: a lookup reads the few rows
its keys or bands name, never the whole table), and ``correction_uses``: which later
document's field each correction served (``mailroom report``). :meth:`revision` changes with
every correction saved: a process keeping what it read compares it.

Medical scope: a correction on a medical certificate is marked ``medical`` and is only ever
returned for a medical certificate.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from extract.fields.fingerprint import BANDS, Fingerprint, band_hashes
from extract.fields.learned import Place
from storage.sql import SqlDatabase, UtcDateTime, metadata, serial_column

MEDICAL = "medical_certificate"
CANDIDATES = 200  # corrections read at most per lookup (the newest): lookups stay flat
RECENT = 50  # the newest corrections of the type, compared whatever their bands
PER_BAND = 50  # rows read per equal band

corrections = sa.Table(
    "corrections",
    metadata,
    serial_column("correction_id"),
    sa.Column("document_id", sa.String(128), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("doc_type", sa.String(32), nullable=False),
    sa.Column("username", sa.String(128), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("medical", sa.Boolean(), nullable=False),
    sa.Column("signature", sa.Text(), nullable=False),
    sa.Column("record", sa.Text(), nullable=False),
    sa.Index("corrections_document_id", "document_id"),
    sa.Index("corrections_created_at", "created_at"),
    sa.Index("corrections_doc_type", "doc_type", "correction_id"),
    sqlite_autoincrement=True,  # ids never reused: the revision moves with every correction
)
correction_keys = sa.Table(
    "correction_keys",
    metadata,
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("correction_id", sa.BigInteger(), primary_key=True),
    sa.Column("doc_type", sa.String(32), nullable=False),
)
correction_bands = sa.Table(
    "correction_bands",
    metadata,
    sa.Column("band", sa.SmallInteger(), primary_key=True),
    sa.Column("value", sa.BigInteger(), primary_key=True),
    sa.Column("correction_id", sa.BigInteger(), primary_key=True),
    sa.Column("doc_type", sa.String(32), nullable=False),
)
correction_uses = sa.Table(
    "correction_uses",
    metadata,
    sa.Column("corrected_document_id", sa.String(128), primary_key=True),
    sa.Column("document_id", sa.String(128), primary_key=True),
    sa.Column("field", sa.String(64), primary_key=True),
    sa.Column("used_at", UtcDateTime(), nullable=False),
    sa.Index("correction_uses_used_at", "used_at"),
)


@dataclass(frozen=True)
class Correction:
    """A document's corrected values, where they sit on its pages, and how to find it again
    (sender keys, layout fingerprint)."""

    document_id: str
    sha256: str
    doc_type: str
    username: str
    values: dict[str, str]  # every corrected field, the contract's text form
    places: tuple[Place, ...] = ()
    sender_keys: tuple[str, ...] = ()
    signature: tuple[int, ...] = ()
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    correction_id: int = 0  # given by the store

    @property
    def medical(self) -> bool:
        return self.doc_type == MEDICAL

    def record(self) -> str:
        return json.dumps(
            {
                "values": self.values,
                "places": [p.to_json() for p in self.places],
                "sender_keys": list(self.sender_keys),
            },
            ensure_ascii=False,
            sort_keys=True,
        )


@dataclass(frozen=True)
class WeekFigures:
    week: date  # the Monday
    corrections: int
    fields_served: int


class CorrectionStore(Protocol):
    def add(self, correction: Correction) -> int: ...

    def get(self, document_id: str) -> Correction | None: ...

    def by_keys(self, doc_type: str, keys: Sequence[str], limit: int = 10) -> list[
        tuple[Correction, str]
    ]: ...

    def by_layout(
        self, doc_type: str, fingerprint: Fingerprint, min_similarity: float, limit: int = 5
    ) -> list[tuple[Correction, float]]: ...

    def record_uses(self, document_id: str, uses: Sequence[tuple[str, str]]) -> None: ...

    def revision(self) -> str: ...

    def count_after(self, correction_id: int) -> int: ...

    def count(self) -> int: ...

    def weekly(self) -> list[WeekFigures]: ...

    def all(self) -> Iterator[Correction]: ...

    def close(self) -> None: ...


_COLUMNS = (
    corrections.c.correction_id,
    corrections.c.document_id,
    corrections.c.sha256,
    corrections.c.doc_type,
    corrections.c.username,
    corrections.c.created_at,
    corrections.c.signature,
    corrections.c.record,
)


def _correction(row: Any) -> Correction:
    record = json.loads(row.record)
    return Correction(
        document_id=row.document_id,
        sha256=row.sha256,
        doc_type=row.doc_type,
        username=row.username,
        values=dict(record["values"]),
        places=tuple(Place.from_json(p) for p in record["places"]),
        sender_keys=tuple(record["sender_keys"]),
        signature=tuple(json.loads(row.signature)),
        created_at=row.created_at,
        correction_id=int(row.correction_id),
    )


def _insert(conn: sa.Connection, correction: Correction) -> int:
    """One correction's rows (the correction, its sender keys, its layout bands); its id."""
    result = conn.execute(
        corrections.insert().values(
            document_id=correction.document_id,
            sha256=correction.sha256,
            doc_type=correction.doc_type,
            username=correction.username,
            created_at=correction.created_at,
            medical=correction.medical,
            signature=json.dumps(list(correction.signature)),
            record=correction.record(),
        )
    )
    assert result.inserted_primary_key is not None
    new_id = int(result.inserted_primary_key[0])
    kind = correction.doc_type
    keys = sorted(set(correction.sender_keys))
    if keys:
        conn.execute(
            correction_keys.insert(),
            [{"key": k, "correction_id": new_id, "doc_type": kind} for k in keys],
        )
    bands = band_hashes(correction.signature) if correction.signature else ()
    if bands:
        conn.execute(
            correction_bands.insert(),
            [
                {"band": i, "value": v, "correction_id": new_id, "doc_type": kind}
                for i, v in enumerate(bands)
            ],
        )
    return new_id


class SqlCorrectionStore:
    """Corrections in the SQLAlchemy metadata database (SQLite or PostgreSQL)."""

    def __init__(self, database: SqlDatabase | str) -> None:
        self.db = SqlDatabase.held(database)

    def __repr__(self) -> str:
        return f"SqlCorrectionStore({self.db!r})"

    def add(self, correction: Correction) -> int:
        """Save a document's correction (replacing an earlier one of the same document)."""

        def write() -> int:
            with self.db.transaction() as conn:
                old = [
                    r[0]
                    for r in conn.execute(
                        sa.select(corrections.c.correction_id).where(
                            corrections.c.document_id == correction.document_id
                        )
                    )
                ]
                if old:
                    conn.execute(
                        correction_keys.delete().where(correction_keys.c.correction_id.in_(old))
                    )
                    conn.execute(
                        correction_bands.delete().where(correction_bands.c.correction_id.in_(old))
                    )
                    conn.execute(corrections.delete().where(corrections.c.correction_id.in_(old)))
                return _insert(conn, correction)

        return self.db.run(f"saving the correction of {correction.document_id}", write)

    def add_many(self, batch: Sequence[Correction]) -> None:
        """Save corrections of documents never corrected before, in one transaction (an
        import of a history; the benchmark)."""

        def write() -> None:
            with self.db.transaction() as conn:
                for correction in batch:
                    _insert(conn, correction)

        self.db.run(f"saving {len(batch)} corrections", write)

    def _read(self, query: sa.Select[Any]) -> list[Correction]:
        def read() -> list[Correction]:
            with self.db.connect() as conn:
                return [_correction(row) for row in conn.execute(query)]

        return self.db.run("reading corrections", read)

    def get(self, document_id: str) -> Correction | None:
        found = self._read(
            sa.select(*_COLUMNS).where(corrections.c.document_id == document_id).limit(1)
        )
        return found[0] if found else None

    def _scoped(self, query: sa.Select[Any], doc_type: str) -> sa.Select[Any]:
        return query.where(corrections.c.doc_type == doc_type).where(
            corrections.c.medical == (doc_type == MEDICAL)
        )

    def by_keys(
        self, doc_type: str, keys: Sequence[str], limit: int = 10
    ) -> list[tuple[Correction, str]]:
        """The newest corrections of this type sharing a sender key, with the key shared."""
        keys = sorted(set(keys))
        if not keys:
            return []

        def read() -> list[tuple[int, str]]:
            with self.db.connect() as conn:
                rows = conn.execute(
                    sa.select(correction_keys.c.correction_id, correction_keys.c.key)
                    .where(correction_keys.c.key.in_(keys))
                    .where(correction_keys.c.doc_type == doc_type)
                    .order_by(correction_keys.c.correction_id.desc())
                    .limit(limit * 4)
                )
                return [(int(r[0]), str(r[1])) for r in rows]

        hits = self.db.run("looking corrections up by sender", read)
        key_of: dict[int, str] = {}
        for cid, key in hits:
            key_of.setdefault(cid, key)
        ids = sorted(key_of, reverse=True)[:limit]
        if not ids:
            return []
        found = self._read(
            self._scoped(sa.select(*_COLUMNS), doc_type).where(
                corrections.c.correction_id.in_(ids)
            )
        )
        found.sort(key=lambda c: -c.correction_id)
        return [(c, key_of[c.correction_id]) for c in found]

    def by_layout(
        self, doc_type: str, fingerprint: Fingerprint, min_similarity: float, limit: int = 5
    ) -> list[tuple[Correction, float]]:
        """The corrections of this type whose layout is at least ``min_similarity`` alike, most
        alike first. Compared by signature: the candidates an equal band hash names (likely
        alike, found by index among any number), and the :data:`RECENT` newest of the type
        (a weaker likeness, which LSH bands seldom catch)."""
        if fingerprint.empty:
            return []

        def read() -> list[int]:
            # each band's newest equal rows (an index range, LIMIT): the rows read stay the
            # same however many corrections share a band
            hits: Counter[int] = Counter()
            with self.db.connect() as conn:
                for i, v in enumerate(fingerprint.bands[:BANDS]):
                    rows = conn.execute(
                        sa.select(correction_bands.c.correction_id)
                        .where(correction_bands.c.band == i)
                        .where(correction_bands.c.value == v)
                        .where(correction_bands.c.doc_type == doc_type)
                        .order_by(correction_bands.c.correction_id.desc())
                        .limit(PER_BAND)
                    )
                    hits.update(int(r[0]) for r in rows)
                ranked = sorted(hits, key=lambda cid: (-hits[cid], -cid))[:CANDIDATES]
                ids = list(ranked)
                recent = conn.execute(
                    sa.select(corrections.c.correction_id)
                    .where(corrections.c.doc_type == doc_type)
                    .order_by(corrections.c.correction_id.desc())
                    .limit(RECENT)
                )
                return list(dict.fromkeys(ids + [int(r[0]) for r in recent]))

        ids = self.db.run("looking corrections up by layout", read)
        if not ids:
            return []

        def signatures() -> list[tuple[int, str]]:
            with self.db.connect() as conn:
                query = self._scoped(
                    sa.select(corrections.c.correction_id, corrections.c.signature), doc_type
                ).where(corrections.c.correction_id.in_(ids))
                return [(int(r[0]), str(r[1])) for r in conn.execute(query)]

        # compared on their signatures alone; only the most alike are read whole
        scored = [
            (cid, fingerprint.similarity(json.loads(signature)))
            for cid, signature in self.db.run("reading layout signatures", signatures)
        ]
        scored = [(cid, sim) for cid, sim in scored if sim >= min_similarity]
        scored.sort(key=lambda cs: (-cs[1], -cs[0]))
        best = dict(scored[:limit])
        if not best:
            return []
        found = self._read(sa.select(*_COLUMNS).where(corrections.c.correction_id.in_(best)))
        found.sort(key=lambda c: (-best[c.correction_id], -c.correction_id))
        return [(c, best[c.correction_id]) for c in found]

    def record_uses(self, document_id: str, uses: Sequence[tuple[str, str]]) -> None:
        """That ``document_id``'s fields were read with these corrections:
        (corrected document id, field name) pairs."""
        if not uses:
            return
        now = datetime.now(UTC)
        rows = [
            {"corrected_document_id": c, "document_id": document_id, "field": f, "used_at": now}
            for c, f in sorted(set(uses))
        ]
        stmt = self.db.insert(correction_uses).values(rows).on_conflict_do_nothing()

        def write() -> None:
            with self.db.transaction() as conn:
                conn.execute(stmt)

        self.db.run(f"recording what {document_id} learned", write)

    def revision(self) -> str:
        def read() -> str:
            with self.db.connect() as conn:
                count, latest = conn.execute(
                    sa.select(sa.func.count(), sa.func.max(corrections.c.correction_id))
                ).one()
            return f"{count}:{latest}"

        return self.db.run("reading the corrections' revision", read)

    def count_after(self, correction_id: int) -> int:
        """How many corrections were saved after ``correction_id`` (a refit's newest)."""

        def read() -> int:
            with self.db.connect() as conn:
                return int(conn.execute(
                    sa.select(sa.func.count()).select_from(corrections)
                    .where(corrections.c.correction_id > correction_id)
                ).scalar_one())

        return self.db.run("counting new corrections", read)

    def count(self) -> int:
        def read() -> int:
            with self.db.connect() as conn:
                return int(conn.execute(sa.select(sa.func.count()).select_from(corrections))
                           .scalar_one())

        return self.db.run("counting corrections", read)

    def weekly(self) -> list[WeekFigures]:
        """Corrections made per week, and how many later fields each week's corrections served."""

        def read() -> tuple[list[Any], list[Any]]:
            with self.db.connect() as conn:
                made = list(conn.execute(
                    sa.select(corrections.c.document_id, corrections.c.created_at)
                ))
                used = list(conn.execute(
                    sa.select(correction_uses.c.corrected_document_id, sa.func.count())
                    .group_by(correction_uses.c.corrected_document_id)
                ))
            return made, used

        made, used = self.db.run("reading corrections per week", read)
        served = {str(r[0]): int(r[1]) for r in used}
        weeks: dict[date, list[int]] = {}
        for document_id, created_at in made:
            day = created_at.date()
            monday = day - timedelta(days=day.weekday())
            figures = weeks.setdefault(monday, [0, 0])
            figures[0] += 1
            figures[1] += served.get(str(document_id), 0)
        return [WeekFigures(w, c, s) for w, (c, s) in sorted(weeks.items())]

    def all(self) -> Iterator[Correction]:
        """Every correction, oldest first, read by pages of 500."""
        last = 0
        while True:
            page = self._read(
                sa.select(*_COLUMNS)
                .where(corrections.c.correction_id > last)
                .order_by(corrections.c.correction_id)
                .limit(500)
            )
            if not page:
                return
            yield from page
            last = page[-1].correction_id

    def close(self) -> None:
        self.db.release()
