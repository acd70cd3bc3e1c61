"""Near-duplicate lookups in the fraud index with a million page hashes.

Fills the fraud index's hash table (the real store classes, the real band indexes) with
``--rows`` hashes, then times ``near_hashes`` for hashes a few bits away from stored ones (a
page photographed again) and for hashes of pages never seen, and prints milliseconds per
lookup, how many rows each lookup had to measure, the database size and the peak RSS.

Two distributions: ``uniform`` (random 64-bit values: the best case for the bands) and
``clustered`` (rows drawn around 2,000 "forms", each row a form's hash with 8 to 16 bits
flipped: pages of the same layout share most bits, as perceptual hashes of documents do, so
bands collide far more often).

    .venv/bin/python bench/fraud_lookup.py [--rows 1000000] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from storage.fraud import FraudStore, PageHash  # noqa: E402
from storage.fraud_sql import SqlFraudStore  # noqa: E402
from storage.sql import sqlite_url  # noqa: E402

BATCH = 20_000
FORMS = 2_000


def flip(rng: random.Random, value: int, bits: int) -> int:
    for b in rng.sample(range(64), bits):
        value ^= 1 << b
    return value


def hashes(kind: str, rows: int, seed: int) -> Iterator[int]:
    rng = random.Random(seed)
    forms = [rng.getrandbits(64) for _ in range(FORMS)]
    for _ in range(rows):
        if kind == "uniform":
            yield rng.getrandbits(64)
        else:
            yield flip(rng, rng.choice(forms), rng.randint(8, 16))


def fill(store: FraudStore, kind: str, rows: int, seed: int) -> tuple[float, list[int]]:
    started = time.perf_counter()
    kept: list[int] = []
    batch: list[PageHash] = []
    for n, value in enumerate(hashes(kind, rows, seed)):
        batch.append(PageHash(f"doc-{n:012d}", 1, "image", value))
        if n % (rows // 200 or 1) == 0:
            kept.append(value)
        if len(batch) == BATCH:
            store.add_hashes(batch)
            batch = []
    store.add_hashes(batch)
    return time.perf_counter() - started, kept


def time_lookups(
    store: FraudStore, queries: list[int], distance: int, probe_bits: int
) -> tuple[list[float], list[int]]:
    ms: list[float] = []
    found: list[int] = []
    for q in queries:
        started = time.perf_counter()
        result = store.near_hashes("image", q, distance, probe_bits=probe_bits)
        ms.append((time.perf_counter() - started) * 1000)
        found.append(len(result))
    return ms, found


def report(name: str, store: FraudStore, kind: str, rows: int, size: Callable[[], str]) -> None:
    seconds, kept = fill(store, kind, rows, seed=1)
    print(f"\n== {name}, {kind}: {rows:,} rows filled in {seconds:.1f} s; {size()}", flush=True)
    rng = random.Random(2)
    again = [flip(rng, v, 5) for v in kept]  # stored pages photographed again (5 bits off)
    unseen = [rng.getrandbits(64) for _ in kept]
    for label, queries in (("5 bits from a stored hash", again), ("never seen", unseen)):
        for probe_bits in (0, 1):
            time_lookups(store, queries[:10], 10, probe_bits)  # warm the cache
            ms, found = time_lookups(store, queries, 10, probe_bits)
            hit = sum(1 for f in found if f) / len(found)
            print(
                f"{label:<26} probe_bits={probe_bits}: median {statistics.median(ms):.2f} ms, "
                f"p95 {sorted(ms)[int(0.95 * len(ms)) - 1]:.2f} ms, {len(ms)} lookups, "
                f"found {hit:.0%}, mean rows within 10 bits {statistics.mean(found):.1f}"
            )


def _files_size(folder: Path) -> str:
    return f"file {sum(f.stat().st_size for f in folder.iterdir()) / 1e6:.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--kinds", nargs="*", default=["uniform", "clustered"])
    parser.add_argument("--postgres-url", default=None, help="also run on this (empty) database")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    for kind in args.kinds:
        if not args.skip_sqlite:
            with tempfile.TemporaryDirectory(prefix="mailroom-bench-fraud-") as tmp:
                path = Path(tmp) / "fraud.sqlite3"
                store = SqlFraudStore(sqlite_url(path))
                report("SQLite", store, kind, args.rows, partial(_files_size, path.parent))
                store.close()
        if args.postgres_url:
            import sqlalchemy as sa

            sql_store = SqlFraudStore(args.postgres_url)

            def pg_size(s: SqlFraudStore = sql_store) -> str:
                with s.db.connect() as conn:
                    size = conn.execute(
                        sa.text("SELECT pg_total_relation_size('fraud_page_hashes')")
                    ).scalar_one()
                return f"table + indexes {size / 1e6:.0f} MB"

            with sql_store.db.transaction() as conn:
                conn.execute(sa.text("TRUNCATE fraud_page_hashes"))
            report("PostgreSQL", sql_store, kind, args.rows, pg_size)
            with sql_store.db.transaction() as conn:
                conn.execute(sa.text("TRUNCATE fraud_page_hashes"))
            sql_store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
