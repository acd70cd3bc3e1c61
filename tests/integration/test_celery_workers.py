"""Real Celery workers (``celery -A mailroom.worker worker`` subprocesses) on Redis, with the
S3 object store (moto) and the PostgreSQL metadata store: same records as the embedded mode,
and exactly once when a worker is SIGKILLed in the middle of a batch."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from mailroom.models import FINAL_STATUSES, Status
from mailroom.settings import Settings
from mailroom.worker import (
    MAIL_QUEUE,
    OCR_QUEUE,
    QueueSink,
    build_backend_pipeline,
    create_app,
    enqueue_paths,
    sink_for,
)
from storage.base import original_key
from tests.integration.services import (
    S3Service,
    postgres_database,
    redis_database,
    s3_service,
)

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "samples" / "documents"

pytestmark = [pytest.mark.s3, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

# Born-digital documents of every type, an e-mail and two scans that need OCR: the whole
# pipeline (text layer, OCR, e-mail split, classify, extract, match, check, file) in < 1 min.
SAMPLE_NAMES = (
    "bank_details-02-letter-fr-born_digital.pdf",
    "claim_letter-01-table-fr-born_digital.pdf",
    "invoice-00-garage-fr-born_digital.pdf",
    "invoice-05-rental-fr-born_digital.pdf",
    "medical_certificate-03-constatation-fr-born_digital.pdf",
    "other-00-newsletter-fr-born_digital.pdf",
    "receipt-04-taxi-fr-born_digital.pdf",
    "email-00-claim.eml",
    "invoice-01-tow-fr-clean_scan.pdf",
    "receipt-05-restaurant-en-clean_scan.png",
)
SCANS = (
    "invoice-01-tow-fr-clean_scan.pdf",
    "receipt-00-restaurant-fr-clean_scan.pdf",
    "other-01-quote-fr-clean_scan.pdf",
    "claim_letter-02-formal-fr-clean_scan.png",
    "medical_certificate-04-constatation-fr-clean_scan.tiff",
    "receipt-05-restaurant-en-clean_scan.png",
)
VOLATILE = {"received_at"}  # when it arrived, not what was read


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Service]:
    with s3_service() as service:
        yield service


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    with redis_database() as url:
        yield url


def _reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _env(s3: S3Service, pg_url: str, broker: str, bucket: str, data_dir: Path) -> dict[str, str]:
    return {
        "MAILROOM_STORAGE__OBJECT_BACKEND": "s3",
        "MAILROOM_STORAGE__S3_ENDPOINT": s3.endpoint,
        "MAILROOM_STORAGE__S3_SECURE": "false",
        "MAILROOM_STORAGE__S3_BUCKET": bucket,
        "MAILROOM_STORAGE__S3_ACCESS_KEY": s3.access_key,
        "MAILROOM_STORAGE__S3_SECRET_KEY": s3.secret_key,
        "MAILROOM_STORAGE__METADATA_BACKEND": "postgresql",
        "MAILROOM_STORAGE__DATABASE_URL": pg_url,
        "MAILROOM_STORAGE__DATA_DIR": str(data_dir),
        "MAILROOM_QUEUE__BROKER_URL": broker,
        "MAILROOM_QUEUE__VISIBILITY_TIMEOUT_S": "30",
        "MAILROOM_OCR__WORKERS": "1",
    }


class Workers:
    """``celery -A mailroom.worker worker`` processes, each in its own process group."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = {**os.environ, **env, "PYTHONPATH": str(REPO)}
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, queues: Sequence[str] = ("mail", "ocr", "default")) -> None:
        log = (self.log_dir / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mailroom.worker",
                "worker",
                f"--hostname={name}@%h",
                f"--queues={','.join(queues)}",
                "--pool=threads",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, name: str) -> None:
        """SIGKILL the worker and its OCR processes, as a machine failure would."""
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.log_dir.glob("*.log"))
        )


@pytest.fixture
def backend(
    s3: S3Service, pg_url: str, broker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, Workers]]:
    _reset_postgres(pg_url)
    import redis

    redis.Redis.from_url(broker).flushdb()
    env = _env(s3, pg_url, broker, f"celery-{secrets.token_hex(6)}", tmp_path / "data")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "logs").mkdir()
    workers = Workers(env, tmp_path / "logs")
    try:
        yield Settings(), workers
    finally:
        workers.stop_all()


def _record(doc: Any) -> dict[str, Any]:
    record = doc.to_record()
    for key in VOLATILE:
        record.pop(key, None)
    return record


def _wait_all(results: list[Any], workers: Workers, timeout_s: float) -> list[list[str]]:
    deadline = time.monotonic() + timeout_s
    out = []
    for result in results:
        left = deadline - time.monotonic()
        try:
            out.append(result.get(timeout=max(1.0, left)))
        except Exception as e:  # pragma: no cover - the logs say why
            raise AssertionError(f"task {result.id} did not finish: {e}\n{workers.logs()}") from e
    return out


def test_two_workers_on_s3_and_postgresql_give_the_embedded_records(
    backend: tuple[Settings, Workers], tmp_path: Path
) -> None:
    settings, workers = backend
    paths = [DOCS / name for name in SAMPLE_NAMES]

    # Embedded mode: filesystem + SQLite, one process.
    embedded_settings = Settings.model_validate(
        {
            "storage": {
                "object_backend": "filesystem",
                "metadata_backend": "sqlite",
                "data_dir": str(tmp_path / "embedded"),
            },
            "ocr": {"workers": 1},
        }
    )
    assert embedded_settings.storage.object_backend == "filesystem"
    from mailroom.pipeline import build_pipeline

    with build_pipeline(embedded_settings) as pipeline:
        pipeline.import_dossiers(REPO / "samples" / "dossiers.json")
        embedded = {d.document_id: _record(d) for d in pipeline.process_paths(paths)}

    # Scale-out: the dossiers go into PostgreSQL, the files into the queues, 2 workers.
    with build_backend_pipeline(settings) as producer:
        producer.import_dossiers(REPO / "samples" / "dossiers.json")
        celery = create_app(settings)
        results = enqueue_paths(celery, producer.objects, paths)
        assert {r.id.split("-")[0] for r in results} == {
            __import__("hashlib").sha256(p.read_bytes()).hexdigest() for p in paths
        }  # tasks are keyed by the content hash
        workers.start("w1")
        workers.start("w2")
        ids = _wait_all(results, workers, timeout_s=150)
        scaled = {}
        for doc_ids in ids:
            for doc_id in doc_ids:
                doc = producer.metadata.get(doc_id)
                assert doc is not None
                scaled[doc_id] = _record(doc)
        originals = list(producer.objects.list("originals/"))

    def brief(records: dict[str, dict[str, Any]], ids: set[str]) -> list[tuple[Any, ...]]:
        return [
            (i, records[i]["status"], records[i]["source"], records[i].get("reason")) for i in ids
        ]

    assert scaled.keys() == embedded.keys(), (
        brief(scaled, set(scaled) - set(embedded)),
        brief(embedded, set(embedded) - set(scaled)),
    )
    for doc_id, record in embedded.items():
        assert scaled[doc_id] == record, doc_id
    assert all(r["status"] in {s.value for s in FINAL_STATUSES} for r in scaled.values())
    assert len(originals) >= len(paths)  # the e-mail's parts are stored too
    done = {
        log.stem: log.read_text(errors="replace").count("succeeded in")
        for log in (tmp_path / "logs").glob("*.log")
    }
    assert sum(done.values()) == len(paths), done  # each task ran once


def test_e_mails_and_scans_go_to_separate_queues(
    backend: tuple[Settings, Workers],
) -> None:
    settings, workers = backend
    with build_backend_pipeline(settings) as producer:
        celery = create_app(settings)
        mail = enqueue_paths(celery, producer.objects, [DOCS / "email-01-claim.eml"])
        scan = enqueue_paths(
            celery, producer.objects, [DOCS / "bank_details-07-triple-fr-born_digital.pdf"]
        )
        workers.start("ocr-only", queues=[OCR_QUEUE])
        _wait_all(scan, workers, timeout_s=60)
        time.sleep(1.0)
        assert mail[0].state == "PENDING"  # nobody serves the mail queue yet
        workers.start("mail-only", queues=[MAIL_QUEUE])
        _wait_all(mail, workers, timeout_s=60)
        assert mail[0].state == "SUCCESS"

        # What a watcher uses with a broker: returns once the final records are written.
        sink = sink_for(settings, producer)
        assert isinstance(sink, QueueSink)
        docs = sink.process_file(DOCS / "invoice-05-rental-fr-born_digital.pdf", channel="scan")
        assert [d.status in FINAL_STATUSES for d in docs] == [True]
        assert docs[0].source.channel == "scan"
        assert producer.metadata.arrivals(docs[0].document_id)[0].status is docs[0].status


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
    backend: tuple[Settings, Workers],
) -> None:
    settings, workers = backend
    paths = [DOCS / name for name in SCANS]
    with build_backend_pipeline(settings) as producer:
        celery = create_app(settings)
        results = enqueue_paths(celery, producer.objects, paths)
        workers.start("doomed")
        deadline = time.monotonic() + 90
        # Kill it while a document is being read: its record is stored as "received".
        while not producer.metadata.list_documents(status=Status.RECEIVED):
            assert time.monotonic() < deadline, workers.logs()
            time.sleep(0.05)
        workers.kill("doomed")
        killed = producer.metadata.list_documents(status=Status.RECEIVED)
        assert killed, "the worker was killed after its document was finished"
        workers.start("w1")
        workers.start("w2")
        _wait_all(results, workers, timeout_s=180)

        for path in paths:
            sha = __import__("hashlib").sha256(path.read_bytes()).hexdigest()
            doc = producer.metadata.find_by_sha256(sha)
            assert doc is not None, path
            assert doc.status in FINAL_STATUSES and doc.status is not Status.RECEIVED, path
            arrivals = producer.metadata.arrivals(doc.document_id)
            assert [a.status for a in arrivals] == [doc.status], path  # once, no duplicate
            assert producer.objects.exists(original_key(sha))
        assert len(producer.metadata.list_documents()) == len(paths)
        assert killed[0].document_id in {
            d.document_id for d in producer.metadata.list_documents() if d.status in FINAL_STATUSES
        }


def test_tasks_are_acknowledged_late_and_routed_by_queue() -> None:
    """The settings that make a killed worker lose nothing (no broker needed to check)."""
    settings = Settings.model_validate(
        {"queue": {"broker_url": "redis://127.0.0.1:6379/0", "visibility_timeout_s": 120}}
    )
    celery = create_app(settings)
    task = celery.tasks["mailroom.process_document"]
    assert task.acks_late and task.reject_on_worker_lost
    assert celery.conf.worker_prefetch_multiplier == 1
    assert [q.name for q in celery.conf.task_queues] == ["mail", "ocr", "default"]
    assert celery.conf.broker_transport_options["visibility_timeout"] == 120
    assert celery.conf.broker_transport_options["unacked_restore_interval"] == 30
    assert "6379" not in repr(settings.queue)  # the broker URL may hold a password


def test_without_a_broker_the_watchers_keep_the_embedded_pipeline() -> None:
    pipeline = object()
    assert sink_for(Settings.model_validate({"queue": {}}), pipeline) is pipeline


def test_the_worker_command_takes_known_queues_only() -> None:
    import argparse

    from mailroom.errors import ConfigurationError
    from mailroom.worker import add_worker_commands, cmd_worker

    parser = argparse.ArgumentParser()
    parser.add_argument("--log-level", default=None)
    add_worker_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["worker", "--queues", "ocr,default", "--concurrency", "3"])
    assert args.func is cmd_worker and args.concurrency == 3 and args.pool == "threads"
    bad = parser.parse_args(["worker", "--queues", "ocr,scans"])
    with pytest.raises(ConfigurationError, match="scans"):
        cmd_worker(bad, Settings.model_validate({"queue": {"broker_url": "redis://x:1/0"}}))
