"""What each kind of Tesseract reading costs, in-process (tesserocr) and one program per
reading (pytesseract's command): prints figures, asserts nothing.

    .venv/bin/python bench/readings.py [--pages 4]

On the first ``--pages`` image scans of ``samples/documents/``, cleaned up as the reader
does: a full-page reading (``--psm 3``), the same as one column (``--psm 6``, till receipts),
an orientation detection, and the second readings of one line at the four sizes of
``extract.second_opinion``. Costs are CPU seconds (this process's and its children's), which
a machine shared with other work distorts less than wall time; the wall time is printed too.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extract import images, preprocess  # noqa: E402
from extract.second_opinion import SCALES  # noqa: E402
from extract.tesseract import TesseractEngine  # noqa: E402
from extract.tesseract_api import TesseractApiEngine  # noqa: E402
from mailroom.settings import LimitSettings  # noqa: E402

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure(fn: Callable[[], object]) -> tuple[float, float]:
    cpu, wall = cpu_s(), time.perf_counter()
    fn()
    return cpu_s() - cpu, time.perf_counter() - wall


def readings(engine: Any, image: np.ndarray, dpi: int) -> dict[str, Callable[[], object]]:
    """The kinds of reading of ``image``, each a call to measure."""
    words = engine.recognize(image, dpi=dpi, timeout_s=120)
    kinds: dict[str, Callable[[], object]] = {
        "full page": lambda: engine.recognize(image, dpi=dpi, timeout_s=120),
        "one column": lambda: engine.single_column().recognize(image, dpi=dpi, timeout_s=120),
        "orientation": lambda: engine.detect_orientation(image, dpi=dpi, timeout_s=120),
    }
    if words:
        line = max(words, key=lambda w: w.width)
        crop = image[max(0, line.top - 10): line.top + line.height + 10,
                     max(0, line.left - 10): line.left + line.width + 10]
        kinds["one line x4 sizes"] = lambda: [
            engine.single_line("eng").recognize(
                preprocess.resized(crop, s), dpi=round(dpi * s), timeout_s=60)
            for s in SCALES
        ]
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4)
    args = parser.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    scans = sorted(p for p in (REPO / "samples" / "documents").iterdir()
                   if p.suffix.lower() in IMAGE_SUFFIXES)[: args.pages]
    engines: dict[str, Any] = {
        "in-process": TesseractApiEngine(), "program": TesseractEngine(),
    }
    load = measure(lambda: engines["in-process"].recognize(
        preprocess.prepare(images.load_frame(scans[0], 0, LimitSettings()).pixels).image,
        dpi=300, timeout_s=120))
    print(f"in-process engine, first reading (models loaded): {load[0]:.2f} s CPU")
    totals: dict[tuple[str, str], list[float]] = {}
    for scan in scans:
        loaded = images.load_frame(scan, 0, LimitSettings())
        prepared = preprocess.prepare(loaded.pixels, camera=not loaded.declared_dpi)
        dpi = round(loaded.dpi * prepared.scale)
        for name, engine in engines.items():
            kinds = readings(engine, prepared.image, dpi)
            for kind, fn in kinds.items():
                cpu, wall = measure(fn)
                totals.setdefault((kind, name), []).extend([cpu, wall])
    print(f"{len(scans)} pages, load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          "mean per page, CPU s (wall s)")
    print(f"{'reading':<20} {'in-process':>18} {'program':>18}")
    for kind in ("full page", "one column", "orientation", "one line x4 sizes"):
        cells = []
        for name in engines:
            values = totals.get((kind, name), [])
            cpu, wall = values[0::2], values[1::2]
            cells.append(f"{sum(cpu) / len(cpu):.2f} ({sum(wall) / len(wall):.2f})"
                         if cpu else "-")
        print(f"{kind:<20} {cells[0]:>18} {cells[1]:>18}")


if __name__ == "__main__":
    main()
