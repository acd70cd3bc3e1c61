"""Throughput and memory of the folder watcher, with the real pipeline.

    .venv/bin/python bench/watch.py [--born-digital 100] [--scans 12] [--memory-files 2000]

Prints files per minute through ``mailroom watch folder`` (in-process, file events, the real
pipeline and embedded stores in a temporary data dir) on born-digital PDFs and on scans (the
committed samples, each copy made unique by a trailing comment so none is a duplicate), then
the watcher's resident memory every 500 small files up to ``--memory-files``: it should stay
flat. Timings start once the pipeline has warmed up (models loaded by a first file).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ingest.settings import FolderWatchSettings  # noqa: E402
from ingest.watch_folder import watch_folder
from mailroom.pipeline import build_pipeline  # noqa: E402
from mailroom.settings import Settings
from storage.settings import StorageSettings  # noqa: E402

SAMPLES = REPO / "samples" / "documents"


def rss_mib(pid: int | None = None) -> float:
    status = Path(f"/proc/{pid or 'self'}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children_rss_mib() -> float:
    total = 0.0
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == me:
                total += rss_mib(int(entry.name))
        except (OSError, ValueError):
            continue
    return total


def unique_copies(paths: list[Path], count: int, tag: str) -> Iterator[tuple[str, bytes]]:
    """``count`` files cycling over ``paths``, each with a trailing comment making it unique
    (PDF readers and image decoders ignore bytes after the end marker)."""
    for index, path in zip(range(count), cycle(paths), strict=False):
        data = path.read_bytes() + f"\n%bench {tag} {index}\n".encode()
        yield f"{tag}-{index:05d}{path.suffix}", data


def small_pdfs(count: int, tag: str) -> Iterator[tuple[str, bytes]]:
    from reportlab.pdfgen import canvas

    for index in range(count):
        out = io.BytesIO()
        c = canvas.Canvas(out)
        c.drawString(72, 760, f"Taxi Martin - Reçu n° R-{index:06d} ({tag})")
        c.drawString(72, 740, f"Course du 12/03/2026, montant TTC {10 + index % 90},50 EUR")
        c.save()
        yield f"{tag}-{index:05d}.pdf", out.getvalue()


class Bench:
    def __init__(self, workdir: Path) -> None:
        self.inbox = workdir / "inbox"
        self.inbox.mkdir()
        settings = Settings(storage=StorageSettings(data_dir=workdir / "data"))
        self.pipeline = build_pipeline(settings)
        self.stop = threading.Event()
        self.watch = FolderWatchSettings(stable_delay_s=0.2)
        self.thread = threading.Thread(
            target=watch_folder,
            args=(self.inbox, self.pipeline, self.watch, self.stop),
            kwargs={"data_dir": workdir / "data", "name": "bench"},
            daemon=True,
        )
        self.thread.start()
        self.moved = 0

    def count_moved(self) -> int:
        return sum(
            1
            for folder in (self.inbox / "processed", self.inbox / "quarantine")
            if folder.exists()
            for p in folder.rglob("*")
            if p.is_file()
        )

    def run(self, files: Iterator[tuple[str, bytes]]) -> tuple[int, float]:
        """Drop the files (temporary name, then rename), wait until all are moved out."""
        started = time.monotonic()
        n = 0
        for name, data in files:
            tmp = self.inbox / f".{name}.part"
            tmp.write_bytes(data)
            tmp.rename(self.inbox / name)
            n += 1
        target = self.moved + n
        while self.count_moved() < target:
            time.sleep(0.05)
        self.moved = target
        return n, time.monotonic() - started

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=60)
        self.pipeline.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--born-digital", type=int, default=100)
    parser.add_argument("--scans", type=int, default=12)
    parser.add_argument("--memory-files", type=int, default=2000)
    args = parser.parse_args(argv)

    born = sorted(SAMPLES.glob("*born_digital*.pdf"))
    scans = sorted(
        p for p in SAMPLES.iterdir() if any(k in p.name for k in ("clean_scan", "degraded_scan"))
    )
    with tempfile.TemporaryDirectory(prefix="mailroom-bench-watch-") as tmp:
        bench = Bench(Path(tmp))
        try:
            bench.run(small_pdfs(1, "warmup"))
            print(
                f"cpu cores: {os.cpu_count()}, OCR workers: {bench.pipeline.settings.ocr.workers}"
            )
            n, secs = bench.run(unique_copies(born, args.born_digital, "born"))
            print(
                f"born-digital PDFs ({len(born)} samples): {n} files in {secs:.1f} s "
                f"= {60 * n / secs:.0f} files/min"
            )
            if args.scans:
                n, secs = bench.run(unique_copies(scans, args.scans, "scan"))
                print(
                    f"scans ({len(scans)} samples, OCR): {n} files in {secs:.1f} s "
                    f"= {60 * n / secs:.1f} files/min"
                )
            print(f"memory over {args.memory_files} small born-digital PDFs (RSS, MiB):")
            done = 0
            print(f"  {done:>5} files: watcher {rss_mib():.0f}, OCR pool {children_rss_mib():.0f}")
            step = 500
            while done < args.memory_files:
                batch = min(step, args.memory_files - done)
                n, secs = bench.run(small_pdfs(batch, f"mem{done}"))
                done += n
                print(
                    f"  {done:>5} files: watcher {rss_mib():.0f}, OCR pool "
                    f"{children_rss_mib():.0f} ({60 * n / secs:.0f} files/min)"
                )
        finally:
            bench.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
