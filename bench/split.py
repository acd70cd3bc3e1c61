"""What cutting a scan batch into documents adds to its reading time (goal: under 10 %).

Makes batches from the sample documents (``samples/batches.py``: image-only PDF or TIFF at
200 dpi), reads each once as the pipeline does (text layer or OCR, page images kept: the
reading time), then times the split exactly as the pipeline runs it on those pages
(``mailroom.batches.plan_split``: each page's barcodes, blankness, title, numbering and
identifiers, the classifier's type of each page, and the joint decision; as many threads as
OCR workers), with no second OCR. Prints seconds per batch and the split's share of the
reading time.

    .venv/bin/python bench/split.py [--kinds separators,none] [--size 4] [--workers N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from classify.model import SklearnClassifier  # noqa: E402
from extract.reader import Reader  # noqa: E402
from ingest.sniff import sniff  # noqa: E402
from mailroom.batches import plan_split  # noqa: E402
from mailroom.settings import Settings  # noqa: E402
from samples.batches import KINDS, build_batches  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=Path, default=REPO / "samples")
    parser.add_argument("--kinds", default="separators,none", help=f"among {','.join(KINDS)}")
    parser.add_argument("--size", type=int, default=4, help="documents per batch")
    parser.add_argument("--workers", type=int, default=None, help="OCR processes")
    args = parser.parse_args()

    settings = Settings()
    if args.workers:
        settings.ocr.workers = args.workers
    classifier = SklearnClassifier(settings.classify.model_path)
    total_read = total_split = 0.0
    total_pages = 0
    with tempfile.TemporaryDirectory(prefix="bench-split-") as tmp, Reader(
        settings.ocr, settings.limits, text_layer=settings.ocr.text_layer
    ) as reader:
        paths = build_batches(
            args.samples, Path(tmp) / "batches", size=args.size, kinds=args.kinds.split(",")
        )
        print(f"{'batch':<32} {'pages':>5} {'read s':>8} {'split s':>8} {'share':>7}")
        for n, path in enumerate(paths):
            media_type = sniff(path.read_bytes()[:4096])
            started = time.perf_counter()
            result = reader.read(path, media_type, image_dir=Path(tmp) / f"pages-{n}")
            read = time.perf_counter() - started
            if n == 0:  # the classifier's model loads once per process, not per batch
                classifier.classify(result.pages[:1])
            started = time.perf_counter()
            plan = plan_split(
                result.pages, dict(result.page_images), classifier, settings.split,
                settings.split.mode, workers=settings.ocr.workers,
            )
            split = time.perf_counter() - started
            total_read, total_split = total_read + read, total_split + split
            total_pages += len(result.pages)
            print(
                f"{path.name:<32} {len(result.pages):>5} {read:8.2f} {split:8.3f} "
                f"{split / read:7.1%}  {len(plan.segments)} documents ({plan.method})"
            )
    print(
        f"{'total':<32} {total_pages:>5} {total_read:8.2f} {total_split:8.3f} "
        f"{total_split / total_read:7.1%}  "
        f"({1000 * total_split / total_pages:.0f} ms of split per page, "
        f"{settings.ocr.workers} OCR workers)"
    )


if __name__ == "__main__":
    main()
