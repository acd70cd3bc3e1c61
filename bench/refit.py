"""Time and peak memory of one refit on corrections (issue #19).

Fills a fresh data folder (SQLite, files) with ``--corrections`` corrected documents of the
ranked types, drawn from the layout generator with another seed than the base pages (their
truth as the corrected values), then runs :func:`mailroom.versions.refit_now` twice: the
first builds the base pages' feature cache, the second finds it (the usual case). Prints the
wall time of each kind, whether it was promoted and why, and the process's peak RSS.

    PYTHONPATH=. python -m bench.refit [--corrections 40] [--ranker-docs 960] [--per-type 60]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from extract.fields.ranker import generated_examples
from mailroom.models import Document, Source, Status, document_id_for, sha256_hex
from mailroom.settings import LearningSettings, Settings, StorageSettings
from mailroom.versions import refit_now
from storage import build_correction_store, build_metadata_store
from storage.corrections import Correction


def fill(settings: Settings, n: int) -> None:
    metadata = build_metadata_store(settings.storage)
    corrections = build_correction_store(settings.storage)
    for i, example in enumerate(generated_examples(7001, n)):
        sha = sha256_hex(f"bench-refit-{i}".encode())
        doc = Document(document_id=document_id_for(sha), sha256=sha,
                       source=Source(channel="scan"), pages=list(example.pages),
                       doc_type=example.doc_type, status=Status.FILED)
        metadata.save(doc)
        corrections.add(Correction(doc.document_id, sha, example.doc_type.value, "bench",
                                   dict(example.truth)))
    metadata.close()
    corrections.close()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corrections", type=int, default=40)
    ap.add_argument("--ranker-docs", type=int, default=960)
    ap.add_argument("--per-type", type=int, default=60)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-refit-") as tmp:
        settings = Settings(
            storage=StorageSettings(data_dir=Path(tmp)),
            learning=LearningSettings(refit_ranker_docs=args.ranker_docs,
                                      refit_classifier_per_type=args.per_type),
        )
        fill(settings, args.corrections)
        print(f"{args.corrections} corrections, {args.ranker_docs} base pages, "
              f"{args.per_type} classifier documents per type")
        for run in ("cold cache", "warm cache"):
            started = time.monotonic()
            result = refit_now(settings)
            assert result is not None
            wall = time.monotonic() - started
            for v in result.versions:
                print(f"  {run}: {v.version:28s} {v.manifest['fit_seconds']:7.1f} s  "
                      f"promoted={v.promoted} ({v.manifest['reason']})")
            print(f"  {run}: whole refit {wall:.1f} s, peak RSS {peak_rss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
