"""Whole-pipeline benchmark on a batch of scans, side by side in one run: prints figures,
asserts nothing.

    .venv/bin/python bench/batch.py [--pages 24] [--skip ocrmypdf] [--fifty]

The scans are the image renderings of ``samples/documents/`` (PNG, JPEG and TIFF scans and
photographs at 200-300 dpi), the first ``--pages`` of them by name. Each run is one command
whose process tree is watched (peak resident memory, sampled every 50 ms):

1. raw ``tesseract IMG - -l fra+eng``, ``OMP_THREAD_LIMIT=1``, one page after another;
2. the same, two at a time (``xargs -P2``): what two cores allow;
3. ``mailroom ingest DIR --json`` (embedded stores in a fresh folder), and the same with
   ``MAILROOM_OCR__ENGINE=tesseract`` (one Tesseract program per reading);
4. OCRmyPDF (``ocrmypdf --jobs 1 -l fra+eng --image-dpi 300``), two files at a time.

Each prints its wall time, its ratio to the first, the peak RSS of its process tree and the
Tesseract work per page: programs started (a ``tesseract`` on PATH that counts its runs), or,
for the in-process engine, the recognitions the pages record (``Page.recognitions``: full
pages; ``Page.other_readings``: orientation detections and one-line re-readings).
``--fifty``: also ``mailroom ingest`` of one 50-page scanned PDF made of these pages.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.ocr import tree_rss_bytes  # noqa: E402
from storage import build_metadata_store  # noqa: E402
from storage.settings import StorageSettings  # noqa: E402

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
LANGUAGES = "fra+eng"
SHIM = """#!/bin/sh
# counts the runs of tesseract on an image (not --version, --list-langs ...), then runs it
case " $* " in *" --version "*|*" --list-langs "*|*" --print-parameters "*) ;;
  *) echo "$*" >> "{log}" ;; esac
exec "{real}" "$@"
"""


@dataclass
class Run:
    name: str
    wall_s: float
    peak_rss: int
    cpu_s: float = 0.0  # CPU seconds of the process tree
    per_page: list[int] = field(default_factory=list)  # Tesseract work per page
    note: str = ""


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(
    command: list[str], env: dict[str, str], cwd: Path | None = None, stdin: bytes | None = None
) -> tuple[float, int, float, bytes]:
    """Wall seconds, peak RSS (bytes) and CPU seconds of the process tree, and the stdout of
    ``command``. The CPU time (of every process of the tree, once waited for) is what a
    machine busy with other work distorts least."""
    cpu = children_cpu_s()
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss_bytes(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate(stdin)
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    if proc.returncode:
        raise RuntimeError(f"{command[:3]} failed ({proc.returncode}): {err.decode()[-800:]}")
    return wall, peak, children_cpu_s() - cpu, out


def pick_scans(count: int, into: Path) -> list[Path]:
    found = sorted(p for p in (REPO / "samples" / "documents").iterdir()
                   if p.suffix.lower() in IMAGE_SUFFIXES)
    if len(found) < count:
        raise SystemExit(f"only {len(found)} image scans in samples/documents")
    into.mkdir(parents=True)
    return [Path(shutil.copy2(p, into / p.name)) for p in found[:count]]


def counting_env(work: Path) -> tuple[dict[str, str], Path]:
    """An environment whose ``tesseract`` counts its runs into the file returned."""
    real = shutil.which("tesseract")
    if real is None:
        raise SystemExit("tesseract is not installed")
    shim_dir = work / "shim"
    shim_dir.mkdir()
    log = work / "tesseract-runs.log"
    log.touch()
    shim = shim_dir / "tesseract"
    shim.write_text(SHIM.format(log=log, real=real))
    shim.chmod(0o755)
    env = dict(os.environ, OMP_THREAD_LIMIT="1", PATH=f"{shim_dir}:{os.environ['PATH']}")
    return env, log


def runs_per_file(log: Path, scans: list[Path]) -> list[int]:
    """Tesseract programs started per scan (matched by the scan's name in the command, or
    spread evenly when the program was handed temporary files)."""
    lines = log.read_text().splitlines()
    log.write_text("")
    named = [sum(1 for line in lines if scan.stem in line) for scan in scans]
    if sum(named) == len(lines):
        return named
    return [round(len(lines) / len(scans))] * len(scans) if scans else []


def raw_tesseract(scans: list[Path], env: dict[str, str], log: Path, parallel: int) -> Run:
    script = f'tesseract "$0" - -l {LANGUAGES} > /dev/null 2>&1'
    command = ["xargs", "-0", "-n1", f"-P{parallel}", "sh", "-c", script]
    listing = b"".join(str(s).encode() + b"\0" for s in scans)
    wall, peak, cpu, _ = timed(command, env, stdin=listing)
    name = "raw tesseract, one page after another" if parallel == 1 else \
        f"raw tesseract, {parallel} at a time"
    return Run(name, wall, peak, cpu, runs_per_file(log, scans))


def mailroom_ingest(folder: Path, scans: list[Path], env: dict[str, str], log: Path,
                    work: Path, name: str = "mailroom ingest DIR --json",
                    engine: str = "tesserocr") -> Run:
    data = work / f"data-{folder.name}-{engine}"
    run_env = dict(env, MAILROOM_STORAGE__DATA_DIR=str(data), PYTHONPATH=str(REPO),
                   MAILROOM_OCR__ENGINE=engine)
    command = [sys.executable, "-m", "mailroom.cli", "ingest", str(folder), "--json"]
    wall, peak, cpu, out = timed(command, run_env, cwd=REPO)
    records = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    programs = runs_per_file(log, scans)
    store = build_metadata_store(StorageSettings(data_dir=data))
    try:
        docs = [store.get(r["document_id"]) for r in records]
    finally:
        store.close()
    pages = [p for d in docs if d is not None for p in d.pages if p.text_source == "ocr"]
    in_process = [p.recognitions for p in pages]
    statuses: dict[str, int] = {}
    for r in records:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    note = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    if any(programs):
        note += f"; {sum(programs)} tesseract programs"
        per_page = programs
    else:
        extra = sum(p.other_readings for p in pages)
        note += (f"; in-process: {sum(in_process)} full-page recognitions, {extra} orientation"
                 f" detections and line re-readings, on {len(pages)} OCR pages")
        per_page = in_process
    return Run(name, wall, peak, cpu, per_page, note)


def ocrmypdf(scans: list[Path], env: dict[str, str], log: Path, work: Path) -> Run:
    if shutil.which("ocrmypdf", path=str(Path(sys.executable).parent)) is None and \
            shutil.which("ocrmypdf") is None:
        return Run("OCRmyPDF", 0.0, 0, note="not installed (pip install ocrmypdf; apt "
                   "ghostscript)")
    exe = shutil.which("ocrmypdf", path=str(Path(sys.executable).parent)) or "ocrmypdf"
    out = work / "ocrmypdf"
    out.mkdir()
    script = (f'"{exe}" --jobs 1 -l {LANGUAGES} --image-dpi 300 -q "$0" '
              f'"{out}/$(basename "$0").pdf" > /dev/null 2>&1 || echo "failed: $0" >&2')
    command = ["sh", "-c", "printf '%s\\0' \"$@\" | xargs -0 -n1 -P2 sh -c '"
               + script.replace("'", "'\\''") + "'", "sh", *map(str, scans)]
    wall, peak, cpu, _ = timed(command, env)
    made = len(list(out.glob("*.pdf")))
    return Run("OCRmyPDF --jobs 1, 2 files at a time", wall, peak, cpu, runs_per_file(log, scans),
               f"{made}/{len(scans)} PDF written")


def fifty_page_pdf(scans: list[Path], out: Path, pages: int = 50) -> Path:
    frames = []
    for i in range(pages):
        with Image.open(scans[i % len(scans)]) as img:
            frames.append(img.convert("L"))
    frames[0].save(out, save_all=True, append_images=frames[1:], resolution=300.0)
    return out


def report(runs: list[Run], out: Callable[[str], None] = print) -> None:
    base = runs[0].wall_s or 1.0
    out(f"{'run':<48} {'wall s':>7} {'ratio':>6} {'CPU s':>7} {'peak RSS':>9} "
        f"{'tesseract/page':>15}")
    for run in runs:
        if not run.wall_s:
            out(f"{run.name:<48} {'-':>7} {'-':>6} {'-':>7} {'-':>9} {'-':>15}  {run.note}")
            continue
        work = (f"{statistics.median(run.per_page):g} / {max(run.per_page)}"
                if run.per_page else "-")
        out(f"{run.name:<48} {run.wall_s:>7.1f} {run.wall_s / base:>6.2f} {run.cpu_s:>7.1f} "
            f"{run.peak_rss / 2**20:>6.0f} MB {work:>15}  {run.note}")
    out("tesseract/page: median / worst; ratio: wall time to the first run's; CPU s: of the "
        "whole process tree")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--skip", action="append", default=[], help="a run to leave out",
                        choices=["raw", "parallel", "ingest", "programs", "ocrmypdf"])
    parser.add_argument("--fifty", action="store_true", help="also a 50-page scanned PDF")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mailroom-batch-") as tmp:
        work = Path(tmp)
        scans = pick_scans(args.pages, work / "scans")
        env, log = counting_env(work)
        print(f"{len(scans)} scans from samples/documents; load {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores", flush=True)
        runs: list[Run] = []
        steps: list[tuple[str, Callable[[], Run]]] = [
            ("raw", lambda: raw_tesseract(scans, env, log, 1)),
            ("parallel", lambda: raw_tesseract(scans, env, log, 2)),
            ("ingest", lambda: mailroom_ingest(work / "scans", scans, env, log, work)),
            ("programs", lambda: mailroom_ingest(
                work / "scans", scans, env, log, work,
                "the same, ocr.engine=tesseract (a program a reading)", "tesseract")),
            ("ocrmypdf", lambda: ocrmypdf(scans, env, log, work)),
        ]
        for key, step in steps:
            if key not in args.skip:
                runs.append(step())
                print(f"  {runs[-1].name}: {runs[-1].wall_s:.1f} s", flush=True)
        if args.fifty:
            folder = work / "fifty"
            folder.mkdir()
            pdf = fifty_page_pdf(scans, folder / "fifty-pages.pdf")
            runs.append(mailroom_ingest(folder, [pdf], env, log, work,
                                        "mailroom ingest, one 50-page scanned PDF"))
        print(f"load after: {os.getloadavg()[0]:.1f}")
        report(runs)


if __name__ == "__main__":
    main()
