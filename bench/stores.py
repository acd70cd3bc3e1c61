"""The metadata store and the dossier registry on the embedded backend: prints figures, asserts
nothing.

Through ``build_metadata_store`` / ``build_dossier_registry`` (whatever the tree builds for
``metadata_backend=sqlite``, so the same script measures one version of mailroom against
another), in a fresh data folder: ``--docs`` document saves, ``get`` of each, the review
queue's listing (``list_documents(status=needs_review)``), ``--dossiers`` dossier upserts, a
re-import of them all (unchanged), the registry's ``revision`` and GED filings with the
duplicate-invoice lookup. Milliseconds per operation (median and p95) and the file's size.

    .venv/bin/python bench/stores.py [--docs 5000] [--dossiers 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mailroom.models import DocType, Document, Source, Status, document_id_for  # noqa: E402
from mailroom.records import Beneficiary, Dossier, GedEntry, supplier_key  # noqa: E402
from storage import build_dossier_registry, build_metadata_store  # noqa: E402
from storage.settings import StorageSettings  # noqa: E402

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def timed(label: str, calls: list[Callable[[], object]]) -> None:
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    median = statistics.median(times)
    print(f"{label:<34} {len(times):>6} × median {median:7.3f} ms, p95 {p95:7.3f} ms")


def document(i: int) -> Document:
    sha = f"{i:064x}"
    return Document(
        document_id=document_id_for(sha),
        sha256=sha,
        source=Source(),
        received_at=T0 + timedelta(seconds=i),
        doc_type=DocType.INVOICE,
        status=Status.NEEDS_REVIEW if i % 3 else Status.FILED,
    )


def dossier(i: int) -> Dossier:
    return Dossier(
        dossier_id=f"AST-2026-{i:06d}",
        beneficiary=Beneficiary(first_name="Camille", last_name=f"ESSAI{i}"),
    )


def siret(i: int) -> str:
    return f"{10_000_000_000_000 + i % 50}"


def entry(i: int) -> GedEntry:
    return GedEntry(
        ged_entry_id=f"ged-{i}",
        document_id=f"doc-{i}",
        dossier_id=f"AST-2026-{i % 500:06d}",
        doc_type=DocType.INVOICE,
        received_at=T0,
        filed_at=T0 + timedelta(minutes=i),
        channel="scan",
        fields={
            "supplier_siret": {"value": siret(i), "confidence": 0.9},
            "invoice_number": {"value": f"F-{i}", "confidence": 0.9},
        },
        sha256="0" * 64,
        original_key=f"originals/doc-{i}",
        searchable_pdf_key=None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--dossiers", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mailroom-bench-stores-") as tmp:
        settings = StorageSettings(data_dir=Path(tmp))
        metadata = build_metadata_store(settings)
        registry = build_dossier_registry(settings)
        print(f"{type(metadata).__name__}, {type(registry).__name__}")
        docs = [document(i) for i in range(args.docs)]
        timed("save a document", [lambda d=d: metadata.save(d) for d in docs])
        timed("get a document", [lambda d=d: metadata.get(d.document_id) for d in docs])
        timed(
            "list the review queue",
            [lambda: metadata.list_documents(status=Status.NEEDS_REVIEW) for _ in range(5)],
        )
        dossiers = [dossier(i) for i in range(args.dossiers)]
        timed("upsert a new dossier", [lambda d=d: registry.upsert(d) for d in dossiers])
        timed("re-import a dossier (unchanged)", [lambda d=d: registry.upsert(d) for d in dossiers])
        timed("the registry's revision", [registry.revision for _ in range(200)])
        timed("read all dossiers", [registry.all for _ in range(5)])
        entries = [entry(i) for i in range(args.dossiers)]
        timed("file a GED entry", [lambda e=e: registry.add_ged_entry(e) for e in entries])
        keys = [(supplier_key(siret(i), None) or "", f"F-{i}") for i in range(500)]
        timed("find a filed invoice", [lambda k=k: registry.find_filed_invoice(*k) for k in keys])
        metadata.close()
        registry.close()
        size = sum(f.stat().st_size for f in Path(tmp).glob("mailroom.sqlite3*"))
        print(f"mailroom.sqlite3 (with its WAL): {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
