"""Scale-out benchmark: prints figures, asserts nothing.

    .venv/bin/python bench/scale.py [--docs 40] [--workers 1,2] [--ocr-workers 1] [--concurrency 1]

Wall time of ``--docs`` scanned documents (from the samples generator: clean and degraded
scans of every type, all needing OCR) through the embedded mode (filesystem + SQLite, one
process, its OCR pool) and through the production back-ends (S3 + PostgreSQL + Redis) with 1
and with 2 Celery workers (``celery -A mailroom.worker worker``, ``--concurrency`` documents
at a time each, ``--ocr-workers`` OCR processes each), then the ratio 2 workers / 1 worker
(goal <= 0.6).
Worker start-up is not timed: the clock starts when the documents are enqueued to ready
workers (a worker loads its models and OCR processes before it says ``ready.``) and stops
when the last task has finished.

Wall times mean little on a machine others use too, so each run also prints where the time
went: CPU seconds per document of each worker (its OCR processes and its main process apart),
of this process (the producer), of S3 (moto), PostgreSQL and Redis, and what the rest of the
machine used meanwhile; seconds per stage per document; and for each worker the tasks it ran,
its seconds in tasks and how long before the end it finished its last one (an uneven spread
or a straggler shows there).

Services: Redis ``--broker`` (default redis://127.0.0.1:6379/14, flushed), PostgreSQL
``--pg-admin`` (a database ``mailroom_bench_<random>`` is created and dropped), and S3 at
``--s3-endpoint`` or, by default, moto's ThreadedMotoServer started on a loopback port.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from mailroom.settings import Settings  # noqa: E402

_MOTO = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
print(f"{host}:{port}", flush=True)
sys.stdin.read()
server.stop()
"""


@contextmanager
def moto_server() -> Iterator[tuple[str, list[int]]]:
    """moto's S3 server on a loopback port: its endpoint and its process id."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _MOTO],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip(), [proc.pid]
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)


@contextmanager
def bench_database(admin_url: str) -> Iterator[str]:
    name = f"mailroom_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pid: int, *, children: bool = True) -> float:
    """User + system CPU seconds of a process (and of its children it has reaped)."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / _TICK


def _children(root: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and int(fields[1]) == root:
                out.append(int(entry))
    return out


def machine_busy_seconds() -> tuple[float, float]:
    """CPU seconds spent busy and idle by the whole machine so far (all cores)."""
    with open("/proc/stat", encoding="ascii") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    busy = sum(values[:8]) - idle
    return busy / _TICK, idle / _TICK


class CpuMeter:
    """CPU seconds used by named process trees between :meth:`start` and :meth:`stop`,
    sampled from /proc every ``interval`` s (a process that exits keeps its last sample; a
    short-lived grandchild such as ``tesseract`` counts in its parent's reaped time)."""

    def __init__(self, groups: dict[str, list[int]], interval: float = 0.5) -> None:
        self.groups = groups  # name -> root pids; the roots' direct children are included
        self.interval = interval
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._owner: dict[int, str] = {}
        self._child: set[int] = set()
        self.in_children: dict[str, float] = {}  # of each group's seconds, its children's
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        roots_of_groups = {pid for roots in self.groups.values() for pid in roots}
        for name, roots in self.groups.items():
            for root in roots:
                children = [c for c in _children(root) if c not in roots_of_groups]
                for pid in (root, *children):
                    seconds = cpu_seconds(pid)
                    if seconds == 0.0 and pid not in self._last:
                        continue
                    self._owner.setdefault(pid, name)
                    if pid != root:
                        self._child.add(pid)
                    self._first.setdefault(pid, seconds)
                    self._last[pid] = max(seconds, self._last.get(pid, 0.0))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def start(self) -> CpuMeter:
        self._busy0, self._idle0 = machine_busy_seconds()
        self._sample()
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        self._sample()
        self._stop.set()
        self._thread.join()
        busy, idle = machine_busy_seconds()
        out: dict[str, float] = dict.fromkeys(self.groups, 0.0)
        self.in_children = dict.fromkeys(self.groups, 0.0)
        for pid, name in self._owner.items():
            out[name] += self._last[pid] - self._first[pid]
            if pid in self._child:
                self.in_children[name] += self._last[pid] - self._first[pid]
        out["machine busy"] = busy - self._busy0
        out["machine idle"] = idle - self._idle0
        return out


def _pids(keep: Callable[[int], bool]) -> list[int]:
    """The running processes ``keep`` says yes to (one that ends while read is skipped)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if keep(int(entry)):
                    pids.append(int(entry))
            except OSError:
                continue
    return pids


def postgres_pids() -> list[int]:
    """The PostgreSQL server's postmaster (its backends are its children)."""

    def postmaster(pid: int) -> bool:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        fields = _stat(pid)
        return fields is not None and cmd.endswith(b"postgres") and int(fields[1]) == 1

    return _pids(postmaster)


def redis_pids() -> list[int]:
    return _pids(lambda pid: Path(f"/proc/{pid}/comm").read_text().strip() == "redis-server")


def reset_database(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def scanned_documents(out: Path, count: int) -> tuple[list[Path], Path]:
    from samples.generate import generate

    per_type = -(-count // 6)
    paths = generate(
        out,
        seed=4242,
        per_type=per_type,
        renderings=("clean_scan", "degraded_scan"),
        languages=("fr",),
        emails=0,
    )
    return sorted(paths)[:count], out / "dossiers.json"


@dataclass
class Run:
    """One timed run: wall seconds, CPU seconds by process group, stage seconds summed over
    the documents, and how many tasks each worker ran."""

    wall: float
    cpu: dict[str, float]
    cpu_children: dict[str, float] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)
    task_seconds: float = 0.0
    busy: dict[str, float] = field(default_factory=dict)  # worker -> seconds in tasks
    done_before_end: dict[str, float] = field(default_factory=dict)  # worker -> idle at the end


def _stage_totals(docs: list[Any]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for doc in docs:
        for name, seconds in doc.timings.items():
            totals[name] = totals.get(name, 0.0) + seconds
    return totals


def run_embedded(paths: list[Path], dossiers: Path, data_dir: Path, ocr_workers: int) -> Run:
    from mailroom.pipeline import build_pipeline

    settings = Settings.model_validate(
        {
            "storage": {
                "object_backend": "filesystem",
                "metadata_backend": "sqlite",
                "data_dir": str(data_dir),
            },
            "ocr": {"workers": ocr_workers},
        }
    )
    with build_pipeline(settings) as pipeline:
        pipeline.import_dossiers(dossiers)
        meter = CpuMeter({"mailroom (embedded)": [os.getpid()]}).start()
        started = time.perf_counter()
        docs = list(pipeline.process_paths(paths))
        elapsed = time.perf_counter() - started
        cpu = meter.stop()
    assert len(docs) == len(paths)
    return Run(elapsed, cpu, meter.in_children, _stage_totals(docs))


def start_worker(
    name: str, env: dict[str, str], log: Path, concurrency: int = 1
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mailroom.worker",
            "worker",
            f"--hostname={name}@%h",
            "--pool=threads",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=REPO,
        env={**os.environ, **env, "PYTHONPATH": str(REPO)},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


_SUCCEEDED = re.compile(r"^\[([0-9-]+ [0-9:,]+): .*succeeded in ([0-9.]+)s", re.MULTILINE)


def _log_time(stamp: str) -> float:
    from datetime import datetime

    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def run_workers(
    n: int,
    paths: list[Path],
    dossiers: Path,
    env: dict[str, str],
    logs: Path,
    services: dict[str, list[int]],
    concurrency: int = 1,
) -> Run:
    import redis

    from mailroom.pipeline import build_pipeline
    from mailroom.worker import create_app, enqueue_paths

    reset_database(env["MAILROOM_STORAGE__DATABASE_URL"])
    redis.Redis.from_url(env["MAILROOM_QUEUE__BROKER_URL"]).flushdb()
    os.environ.update(env)
    settings = Settings()
    procs = []
    try:
        log_files = []
        for i in range(n):
            log = logs / f"{n}-workers-{i}.log"
            log_files.append(log)
            procs.append(start_worker(f"bench{i}", env, log, concurrency))
        deadline = time.monotonic() + 300
        while not all("ready." in f.read_text(errors="replace") for f in log_files):
            if time.monotonic() > deadline:
                raise SystemExit(f"workers did not start; see {logs}")
            time.sleep(0.2)
        with build_pipeline(settings) as producer:
            producer.import_dossiers(dossiers)
            celery = create_app(settings)
            meter = CpuMeter(
                {
                    **{f"worker {i}": [proc.pid] for i, proc in enumerate(procs)},
                    "producer": [os.getpid()],
                    **services,
                }
            ).start()
            started = time.perf_counter()
            results = enqueue_paths(celery, producer.objects, paths, channel="scan")
            ids = [result.get(timeout=3600) for result in results]
            elapsed = time.perf_counter() - started
            ended_at = time.time()
            cpu = meter.stop()
            docs = [producer.metadata.get(i) for batch in ids for i in batch]
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    run = Run(elapsed, cpu, meter.in_children, _stage_totals([d for d in docs if d is not None]))
    for i, log in enumerate(log_files):
        done = _SUCCEEDED.findall(log.read_text(errors="replace"))
        name = f"worker {i}"
        run.tasks[name] = len(done)
        run.busy[name] = sum(float(seconds) for _, seconds in done)
        run.task_seconds += run.busy[name]
        if done:
            run.done_before_end[name] = max(0.0, ended_at - _log_time(done[-1][0]))
    return run


def report(mode: str, run: Run, docs: int) -> None:
    """Where the wall time and the CPU went, per document."""
    print(f"\n{mode}: {run.wall:.1f} s wall, {run.wall / docs:.2f} s per document", file=sys.stderr)
    mine = sum(v for k, v in run.cpu.items() if not k.startswith("machine"))
    busy, idle = run.cpu["machine busy"], run.cpu["machine idle"]
    print(
        f"  CPU s per document: {mine / docs:.2f} ours, {(busy - mine) / docs:.2f} others', "
        f"machine {100 * busy / max(1e-9, busy + idle):.0f}% busy, "
        f"ours on {mine / run.wall:.2f} of {os.cpu_count()} cores",
        file=sys.stderr,
    )
    for name, seconds in run.cpu.items():
        if name.startswith("machine"):
            continue
        line = f"    {name:<20} {seconds:7.1f} CPU s {seconds / docs:6.2f}/doc"
        children = run.cpu_children.get(name, 0.0)
        if name.startswith(("worker", "mailroom")) and children:
            line += (
                f"  (OCR processes {children / docs:.2f}, main {(seconds - children) / docs:.2f})"
            )
        print(line, file=sys.stderr)
    if run.stages:
        stages = "  ".join(f"{k} {v / docs:.2f}" for k, v in run.stages.items())
        print(f"  stage s per document: {stages}", file=sys.stderr)
    if run.tasks:
        in_stages = sum(run.stages.values())
        print(
            f"  task s per document {run.task_seconds / docs:.2f} "
            f"(outside the stages {(run.task_seconds - in_stages) / docs:.2f})",
            file=sys.stderr,
        )
        for name, count in run.tasks.items():
            print(
                f"    {name}: {count} tasks, in tasks {run.busy[name]:.1f} s of {run.wall:.1f} s, "
                f"last one done {run.done_before_end.get(name, 0.0):.1f} s before the end",
                file=sys.stderr,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--workers", default="1,2", help="worker counts to time")
    parser.add_argument("--ocr-workers", type=int, default=1, help="OCR processes per worker")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="documents read at once by each worker"
    )
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--s3-endpoint", default=None, help="host:port; moto when unset")
    parser.add_argument("--s3-access-key", default="testing")
    parser.add_argument("--s3-secret-key", default="testing")
    parser.add_argument("--skip-embedded", action="store_true")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.workers.split(",") if c.strip()]

    with tempfile.TemporaryDirectory(prefix="mailroom-scale-") as tmp_name:
        tmp = Path(tmp_name)
        print(f"generating {args.docs} scanned documents ...", file=sys.stderr)
        paths, dossiers = scanned_documents(tmp / "corpus", args.docs)
        pages = len(paths)
        print(f"{pages} documents, {os.cpu_count()} CPUs", file=sys.stderr)
        runs: dict[str, Run] = {}
        if not args.skip_embedded:
            runs["embedded"] = run_embedded(
                paths, dossiers, tmp / "embedded", max(1, os.cpu_count() or 1)
            )
            report("embedded", runs["embedded"], pages)
        (tmp / "logs").mkdir()
        with (
            moto_server() if args.s3_endpoint is None else _given(args.s3_endpoint) as (s3, moto),
            bench_database(args.pg_admin) as db_url,
        ):
            env = {
                "MAILROOM_STORAGE__OBJECT_BACKEND": "s3",
                "MAILROOM_STORAGE__S3_ENDPOINT": s3,
                "MAILROOM_STORAGE__S3_SECURE": "false",
                "MAILROOM_STORAGE__S3_ACCESS_KEY": args.s3_access_key,
                "MAILROOM_STORAGE__S3_SECRET_KEY": args.s3_secret_key,
                "MAILROOM_STORAGE__METADATA_BACKEND": "postgresql",
                "MAILROOM_STORAGE__DATABASE_URL": db_url,
                "MAILROOM_STORAGE__DATA_DIR": str(tmp / "data"),
                "MAILROOM_QUEUE__BROKER_URL": args.broker,
                "MAILROOM_OCR__WORKERS": str(args.ocr_workers),
            }
            services = {"s3 (moto)": moto, "postgresql": postgres_pids(), "redis": redis_pids()}
            for n in counts:
                env["MAILROOM_STORAGE__S3_BUCKET"] = f"bench-{n}-{secrets.token_hex(4)}"
                mode = f"{n} worker(s)"
                runs[mode] = run_workers(
                    n, paths, dossiers, env, tmp / "logs", services, args.concurrency
                )
                report(mode, runs[mode], pages)

    print(f"{'mode':<14} {'wall s':>8} {'docs/min':>9} {'CPU s/doc':>10}")
    for mode, run in runs.items():
        mine = sum(v for k, v in run.cpu.items() if not k.startswith("machine"))
        print(f"{mode:<14} {run.wall:8.1f} {60 * pages / run.wall:9.1f} {mine / pages:10.2f}")
    if "1 worker(s)" in runs and "2 worker(s)" in runs:
        ratio = runs["2 worker(s)"].wall / runs["1 worker(s)"].wall
        print(f"ratio 2 workers / 1 worker: {ratio:.2f} (goal <= 0.60)")
    return 0


@contextmanager
def _given(endpoint: str) -> Iterator[tuple[str, list[int]]]:
    yield endpoint, []


if __name__ == "__main__":
    sys.exit(main())
