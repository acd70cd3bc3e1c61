"""Scale-out benchmark: prints figures, asserts nothing.

    .venv/bin/python bench/scale.py [--docs 40] [--workers 1,2] [--ocr-workers 1]

Wall time of ``--docs`` scanned documents (from the samples generator: clean and degraded
scans of every type, all needing OCR) through the embedded mode (filesystem + SQLite, one
process, its OCR pool) and through the production back-ends (S3 + PostgreSQL + Redis) with 1
and with 2 Celery workers (``celery -A mailroom.worker worker``, one document at a time each,
``--ocr-workers`` OCR processes each), then the ratio 2 workers / 1 worker (goal <= 0.6).
Worker start-up is not timed: the clock starts when the documents are enqueued to ready
workers and stops when the last task has finished.

Services: Redis ``--broker`` (default redis://127.0.0.1:6379/14, flushed), PostgreSQL
``--pg-admin`` (a database ``mailroom_bench_<random>`` is created and dropped), and S3 at
``--s3-endpoint`` or, by default, moto's ThreadedMotoServer started on a loopback port.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
def moto_server() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _MOTO],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
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


def run_embedded(paths: list[Path], dossiers: Path, data_dir: Path, ocr_workers: int) -> float:
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
        started = time.perf_counter()
        docs = list(pipeline.process_paths(paths))
        elapsed = time.perf_counter() - started
    assert len(docs) == len(paths)
    return elapsed


def start_worker(name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
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
            "--concurrency=1",
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


def run_workers(
    n: int, paths: list[Path], dossiers: Path, env: dict[str, str], logs: Path
) -> float:
    import redis

    from mailroom.worker import build_backend_pipeline, create_app, enqueue_paths

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
            procs.append(start_worker(f"bench{i}", env, log))
        deadline = time.monotonic() + 120
        while not all("ready." in f.read_text(errors="replace") for f in log_files):
            if time.monotonic() > deadline:
                raise SystemExit(f"workers did not start; see {logs}")
            time.sleep(0.2)
        with build_backend_pipeline(settings) as producer:
            producer.import_dossiers(dossiers)
            celery = create_app(settings)
            started = time.perf_counter()
            results = enqueue_paths(celery, producer.objects, paths, channel="scan")
            for result in results:
                result.get(timeout=3600)
            elapsed = time.perf_counter() - started
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--workers", default="1,2", help="worker counts to time")
    parser.add_argument("--ocr-workers", type=int, default=1, help="OCR processes per worker")
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
        timings: dict[str, float] = {}
        if not args.skip_embedded:
            timings["embedded"] = run_embedded(
                paths, dossiers, tmp / "embedded", max(1, os.cpu_count() or 1)
            )
            print(f"embedded: {timings['embedded']:.1f} s", file=sys.stderr)
        (tmp / "logs").mkdir()
        with (
            moto_server() if args.s3_endpoint is None else _given(args.s3_endpoint) as s3,
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
            for n in counts:
                env["MAILROOM_STORAGE__S3_BUCKET"] = f"bench-{n}-{secrets.token_hex(4)}"
                timings[f"{n} worker(s)"] = run_workers(n, paths, dossiers, env, tmp / "logs")
                print(f"{n} worker(s): {timings[f'{n} worker(s)']:.1f} s", file=sys.stderr)

    print(f"{'mode':<14} {'wall s':>8} {'docs/min':>9}")
    for mode, seconds in timings.items():
        print(f"{mode:<14} {seconds:8.1f} {60 * pages / seconds:9.1f}")
    if "1 worker(s)" in timings and "2 worker(s)" in timings:
        ratio = timings["2 worker(s)"] / timings["1 worker(s)"]
        print(f"ratio 2 workers / 1 worker: {ratio:.2f} (goal <= 0.60)")
    return 0


@contextmanager
def _given(endpoint: str) -> Iterator[str]:
    yield endpoint


if __name__ == "__main__":
    sys.exit(main())
