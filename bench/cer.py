"""Character error rate of the reading stage per rendering, on the committed samples.

    .venv/bin/python bench/cer.py [--rendering degraded_scan,photo] [--workers N] [--images DIR]

Reads every document of ``samples/documents/`` (not e-mails) through ``Reader.read`` and
compares the page texts with ``pages[].text`` of ``samples/expected/<name>.json``. Prints, for
each document and as means per rendering (born_digital, clean_scan, degraded_scan, rotated,
photo), the character error rate (which counts columns read in another order as errors) and
the share of true words missing from the reading (which does not). Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from rapidfuzz.distance import Levenshtein

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extract.reader import Reader  # noqa: E402
from extract.settings import OcrSettings  # noqa: E402
from mailroom.settings import LimitSettings

MEDIA = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}


def cer(found: str, truth: str) -> float:
    a, b = " ".join(found.split()), " ".join(truth.split())
    return Levenshtein.distance(a, b) / max(1, len(b))


def word_error(found: str, truth: str) -> float:
    """Share of the true words (as a multiset) missing from what was read: insensitive to
    the order in which columns and table cells were read, which CER punishes heavily."""
    have = Counter(found.split())
    want = Counter(truth.split())
    missing = sum((want - have).values())
    return missing / max(1, sum(want.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=Path, default=REPO / "samples")
    parser.add_argument("--rendering", default="", help="comma-separated renderings to read")
    parser.add_argument("--match", default="", help="only documents whose name contains this")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=Path, default=None, help="write the OCR'd images here")
    args = parser.parse_args()
    wanted = {r for r in args.rendering.split(",") if r}
    rates: dict[str, list[float]] = {}
    words: dict[str, list[float]] = {}
    started = time.perf_counter()
    with Reader(OcrSettings(workers=args.workers), LimitSettings()) as reader:
        for doc in sorted((args.samples / "documents").iterdir()):
            if doc.suffix.lower() not in MEDIA or args.match not in doc.name:
                continue
            expected_path = args.samples / "expected" / f"{doc.stem}.json"
            if not expected_path.is_file():
                continue
            expected = json.loads(expected_path.read_text(encoding="utf-8"))
            rendering = str(expected.get("rendering", "?"))
            if wanted and rendering not in wanted:
                continue
            truth = "\n".join(p.get("text", "") for p in expected.get("pages", []))
            if not truth.strip():
                continue
            t = time.perf_counter()
            image_dir = args.images / doc.stem if args.images else None
            result = reader.read(doc, MEDIA[doc.suffix.lower()], image_dir=image_dir)
            elapsed = time.perf_counter() - t
            found = "\n".join(p.text for p in result.pages)
            rate = cer(found, truth)
            rates.setdefault(rendering, []).append(rate)
            missed = word_error(found, truth)
            words.setdefault(rendering, []).append(missed)
            turns = ",".join(str(p.rotation) for p in result.pages)
            skews = ",".join(f"{p.deskew_angle:g}" for p in result.pages)
            print(
                f"{rate:6.3f} {missed:6.3f}  {elapsed:5.1f}s  rot={turns} skew={skews}  "
                f"{doc.name}"
            )
    print(f"total {time.perf_counter() - started:.0f} s")
    for rendering, values in sorted(rates.items()):
        print(
            f"{rendering:14s} CER mean {statistics.mean(values):.3f} "
            f"median {statistics.median(values):.3f}; words missed mean "
            f"{statistics.mean(words[rendering]):.3f}; {len(values)} documents"
        )


if __name__ == "__main__":
    main()
