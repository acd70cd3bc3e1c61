"""What the second reader of till receipts costs: prints figures, asserts nothing.

    .venv/bin/python bench/second_reader.py [IMAGE_OR_DIR ...] [--limit N]

Reads each receipt image twice through the reading stage (one worker), with PP-OCR's second
reading of a till roll's lines (``ocr.second_reader``, the default) and without it, and prints
the seconds per page of each and the difference; then the peak RSS of the process tree with
it. Without arguments it reads the receipt images of ``samples/documents``; give a folder of
till receipts (SROIE's ``img/``) to measure on real ones: only pages read as a till roll are
read twice, so the figure on A4-like samples is near zero.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.ocr import PeakSampler  # noqa: E402
from extract.reader import Reader  # noqa: E402
from extract.settings import OcrSettings  # noqa: E402
from mailroom.settings import LimitSettings

MEDIA = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".tif": "image/tiff"}


def receipt_images(args: list[str], limit: int) -> list[Path]:
    if not args:
        args = [str(REPO / "samples" / "documents")]
    found: list[Path] = []
    for arg in args:
        p = Path(arg)
        if p.is_dir():
            found += sorted(
                q for q in p.iterdir()
                if q.suffix.lower() in MEDIA and (p.name != "documents" or "receipt" in q.name)
            )
        elif p.suffix.lower() in MEDIA:
            found.append(p)
    return found[:limit]


def seconds_per_page(images: list[Path], second_reader: bool) -> list[float]:
    reader = Reader(OcrSettings(workers=1, second_reader=second_reader), LimitSettings())
    try:
        reader.read(images[0], MEDIA[images[0].suffix.lower()])  # warm: pool, models loaded
        times = []
        for path in images:
            t = time.perf_counter()
            reader.read(path, MEDIA[path.suffix.lower()])
            times.append(time.perf_counter() - t)
        return times
    finally:
        reader.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", help="receipt images, or folders of them")
    parser.add_argument("--limit", type=int, default=20, help="images read (default 20)")
    args = parser.parse_args()
    images = receipt_images(args.paths, args.limit)
    if not images:
        sys.exit("no receipt image found")
    print(f"{len(images)} receipt images, one worker")
    without = seconds_per_page(images, second_reader=False)
    with PeakSampler() as rss:
        with_it = seconds_per_page(images, second_reader=True)
    extra = [a - b for a, b in zip(with_it, without, strict=True)]
    print(f"  without the second reader: {statistics.mean(without):.2f} s/page "
          f"(median {statistics.median(without):.2f})")
    print(f"  with it:                   {statistics.mean(with_it):.2f} s/page "
          f"(median {statistics.median(with_it):.2f})")
    print(f"  difference:                {statistics.mean(extra):+.2f} s/page on average")
    print(f"  peak RSS with it (process tree): {rss.peak / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
