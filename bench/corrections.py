"""Corrections store at scale: lookup time and memory with 1,000, 10,000 and 100,000 stored
corrections. Prints figures, asserts nothing.

    .venv/bin/python bench/corrections.py [--sizes 1000 10000 100000] [--lookups 300]
                                          [--database-url postgresql+psycopg://…]

The corrections are made up: 500 layout families (a base MinHash signature, each correction
of a family with a few of its 64 values redrawn), one sender key per correction (SIREN-like)
and two taught places. The store is filled up to each size (SQLite in a temporary folder by
default), then ``--lookups`` documents are looked up as the pipeline's ``learn`` step does: by
sender key (``by_keys``), then by layout (``by_layout``: LSH bands, then the newest of the
type). Printed per size: the mean and 95th-percentile time of each lookup, the Python heap
allocated by one lookup at its peak (tracemalloc) and the process's resident memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extract.fields.fingerprint import PERMUTATIONS, Fingerprint, band_hashes  # noqa: E402
from extract.fields.learned import Place  # noqa: E402
from mailroom.models import BBox  # noqa: E402
from storage.corrections import Correction, SqlCorrectionStore  # noqa: E402
from storage.sql import sqlite_url  # noqa: E402

FAMILIES = 500


def _bases(rng: random.Random) -> list[tuple[int, ...]]:
    return [tuple(rng.getrandbits(32) for _ in range(PERMUTATIONS)) for _ in range(FAMILIES)]


def _signature(rng: random.Random, base: tuple[int, ...], changed: int = 6) -> tuple[int, ...]:
    values = list(base)
    for i in rng.sample(range(PERMUTATIONS), changed):
        values[i] = rng.getrandbits(32)
    return tuple(values)


def _correction(rng: random.Random, i: int, bases: list[tuple[int, ...]]) -> Correction:
    places = (
        Place("invoice_number", f"F-{i}", 1, BBox(x0=400, y0=120, x1=450, y1=130), (f"F-{i}",),
              ("facture",), BBox(x0=330, y0=120, x1=380, y1=130), 595.0, 842.0),
        Place("total_incl_tax", "120.00", 1, BBox(x0=400, y0=620, x1=440, y1=630),
              ("120,00",), ("net", "a", "payer"), BBox(x0=330, y0=620, x1=390, y1=630),
              595.0, 842.0),
    )
    return Correction(
        document_id=f"doc-{i:020d}",
        sha256=f"{i:064d}",
        doc_type="invoice",
        username="bench",
        values={"invoice_number": f"F-{i}", "total_incl_tax": "120.00"},
        places=places,
        sender_keys=(f"siren:{i:09d}",),
        signature=_signature(rng, bases[i % FAMILIES]),
    )


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    args = parser.parse_args(argv)
    rng = random.Random(19)
    bases = _bases(rng)
    with tempfile.TemporaryDirectory(prefix="mailroom-bench-corrections-") as tmp:
        store = SqlCorrectionStore(args.database_url or sqlite_url(Path(tmp) / "learning.sqlite3"))
        print(f"{'stored':>8s} {'fill s':>7s} {'by_keys ms':>11s} {'p95':>6s} "
              f"{'by_layout ms':>13s} {'p95':>6s} {'found':>6s} {'heap KiB':>9s} "
              f"{'RSS MiB':>8s}")
        stored = 0
        for size in sorted(args.sizes):
            started = time.perf_counter()
            while stored < size:
                n = min(2000, size - stored)
                store.add_many([_correction(rng, stored + k, bases) for k in range(n)])
                stored += n
            fill = time.perf_counter() - started
            keys_ms: list[float] = []
            layout_ms: list[float] = []
            found = 0
            heap_peaks: list[int] = []
            for n in range(args.lookups):
                i = rng.randrange(stored)
                signature = _signature(rng, bases[i % FAMILIES])
                fingerprint = Fingerprint(signature, band_hashes(signature))
                tracemalloc.start()
                t0 = time.perf_counter()
                store.by_keys("invoice", [f"siren:{i:09d}", "domain:example.fr"])
                t1 = time.perf_counter()
                hits = store.by_layout("invoice", fingerprint, 0.6, limit=5)
                t2 = time.perf_counter()
                heap_peaks.append(tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
                keys_ms.append((t1 - t0) * 1000)
                layout_ms.append((t2 - t1) * 1000)
                found += bool(hits)
                del n
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{stored:8d} {fill:7.1f} {statistics.mean(keys_ms):11.2f} "
                  f"{_p95(keys_ms):6.2f} {statistics.mean(layout_ms):13.2f} "
                  f"{_p95(layout_ms):6.2f} {found / args.lookups:6.0%} "
                  f"{statistics.mean(heap_peaks) / 1024:9.0f} {rss:8.0f}", flush=True)
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
