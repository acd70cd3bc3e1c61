"""Reading-stage benchmark: prints figures, asserts nothing.

    .venv/bin/python bench/ocr.py [--quick] [--seed N]

Scans come from the samples generator (``samples/generate.py``, clean and degraded scans with
their true text). Figures: pipeline vs raw ``tesseract`` seconds for one page, 1 vs 2 worker
throughput on a 20-page scanned PDF, born-digital pages per second, peak RSS of the process
tree on a 50-page scanned PDF, character error rate against the true text.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rapidfuzz.distance import Levenshtein
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extract import images, raster  # noqa: E402
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


def tree_rss_bytes(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class PeakSampler:
    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(os.getpid()))
            time.sleep(0.05)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cer(found: str, truth: str) -> float:
    a, b = " ".join(found.split()), " ".join(truth.split())
    return Levenshtein.distance(a, b) / max(1, len(b))


def scanned_pdf(png: Path, pages: int, out: Path) -> Path:
    c = canvas.Canvas(str(out), pagesize=A4, invariant=1)
    for _ in range(pages):
        c.drawImage(str(png), 0, 0, *A4)
        c.showPage()
    c.save()
    return out


def text_pdf(pages: int, out: Path) -> Path:
    c = canvas.Canvas(str(out), pagesize=A4, invariant=1)
    for n in range(pages):
        c.setFont("Helvetica", 10)
        for i in range(45):
            c.drawString(
                50,
                800 - 16 * i,
                f"Ligne {i} de la page {n + 1} : prestation de dépannage, montant {i},50 EUR",
            )
        c.showPage()
    c.save()
    return out


def timed(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer documents and pages")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    per_type = 1 if args.quick else 3
    long_pages = 10 if args.quick else 50
    repeat = 1 if args.quick else 3
    ocr = OcrSettings(workers=1)
    limits = LimitSettings()

    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp_name:
        tmp = Path(tmp_name)
        subprocess.run(
            [
                sys.executable,
                str(REPO / "samples" / "generate.py"),
                "--out",
                str(tmp / "gen"),
                "--seed",
                str(args.seed),
                "--per-type",
                str(per_type),
                "--renderings",
                "clean_scan,degraded_scan",
            ],
            check=True,
            capture_output=True,
        )
        docs = sorted(p for p in (tmp / "gen" / "documents").iterdir() if p.suffix in MEDIA)

        # one clean scanned page as a PNG at the OCR resolution
        first = next(p for p in docs if "clean_scan" in p.name)
        if first.suffix == ".pdf":
            pixels, dpi = raster.render_page(first, 0, ocr.dpi, limits), float(ocr.dpi)
        else:
            loaded = images.load_frame(first, 0, limits)
            pixels, dpi = loaded.pixels, loaded.dpi
        png = tmp / "page.png"
        images.save_png(pixels, png, dpi)

        with Reader(ocr, limits) as one:
            one.warm_up()
            one.read(png, "image/png")  # engine check, caches
            env = dict(os.environ, OMP_THREAD_LIMIT="1")

            def run_raw() -> None:
                subprocess.run(
                    ["tesseract", str(png), str(tmp / "raw"), "-l", ocr.languages, "--psm", "3"],
                    check=True,
                    capture_output=True,
                    env=env,
                )

            # alternated, so that a change in the load of a shared machine hits both alike
            pipeline_times: list[float] = []
            raw_times: list[float] = []
            for _ in range(max(3, repeat)):
                pipeline_times.append(timed(lambda: one.read(png, "image/png"), 1))
                raw_times.append(timed(run_raw, 1))
            pipeline = statistics.median(pipeline_times)
            raw = statistics.median(raw_times)
            print(f"single page ({first.name}, {pixels.shape[1]}x{pixels.shape[0]} px)")
            print(f"  pipeline      {pipeline:6.2f} s/page")
            print(f"  raw tesseract {raw:6.2f} s/page")
            print(f"  ratio         {pipeline / raw:6.2f}   (goal <= 1.15)")

            twenty = scanned_pdf(png, 20 if not args.quick else 6, tmp / "twenty.pdf")
            n20 = 20 if not args.quick else 6
            t1 = timed(lambda: one.read(twenty, "application/pdf"), 1)
        with Reader(ocr.model_copy(update={"workers": 2}), limits) as two:
            two.warm_up()
            t2 = timed(lambda: two.read(twenty, "application/pdf"), 1)
        print(
            f"{n20}-page scanned PDF: 1 worker {n20 / t1:.2f} p/s, 2 workers {n20 / t2:.2f} p/s,"
            f" ratio {t1 / t2:.2f}   (goal >= 1.8; this machine: {os.cpu_count()} cores)"
        )

        born = text_pdf(50, tmp / "born.pdf")
        for workers in (1, 2):
            for layer in ("pdfplumber", "pdfium"):
                with Reader(
                    ocr.model_copy(update={"workers": workers}), limits, text_layer=layer
                ) as r:
                    r.warm_up()
                    tb = timed(lambda: r.read(born, "application/pdf"), repeat)  # noqa: B023
                print(
                    f"born-digital, {layer}, {workers} worker(s): {50 / tb:.1f} pages/s"
                    "   (goal >= 20)"
                )

        long_pdf = scanned_pdf(png, long_pages, tmp / "long.pdf")
        base = tree_rss_bytes(os.getpid())
        with PeakSampler() as sampler, Reader(ocr.model_copy(update={"workers": 2}), limits) as r:
            t = time.perf_counter()
            r.read(long_pdf, "application/pdf")
            tl = time.perf_counter() - t
        print(
            f"{long_pages}-page scanned PDF, 2 workers: {tl:.1f} s, peak RSS of the process "
            f"tree {sampler.peak / 2**20:.0f} MB (parent before: {base / 2**20:.0f} MB; "
            "goal <= 600 MB)"
        )

        rates: dict[str, list[float]] = {}
        with Reader(ocr.model_copy(update={"workers": 2}), limits) as r:
            for doc in docs:
                expected = json.loads(
                    (tmp / "gen" / "expected" / f"{doc.stem}.json").read_text(encoding="utf-8")
                )
                truth = "\n".join(p["text"] for p in expected.get("pages", []))
                if not truth.strip():
                    continue
                result = r.read(doc, MEDIA[doc.suffix])
                found = "\n".join(p.text for p in result.pages)
                rendering = "degraded_scan" if "degraded" in doc.name else "clean_scan"
                rates.setdefault(rendering, []).append(cer(found, truth))
        for rendering, values in sorted(rates.items()):
            print(
                f"CER {rendering}: mean {statistics.mean(values):.3f}, "
                f"median {statistics.median(values):.3f} over {len(values)} documents"
            )


if __name__ == "__main__":
    main()
