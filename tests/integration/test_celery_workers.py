"""Real Celery workers (``celery -A mailroom.worker worker`` subprocesses) on Redis, with the
S3 object store (moto) and the PostgreSQL metadata store: every sample gives the same records
as in the embedded mode (one pass of each, shared by the tests of this module, about 2 min of
CPU on 2 cores), and exactly once when a worker is SIGKILLed in the middle of a batch."""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mailroom.models import FINAL_STATUSES, Status
from mailroom.pipeline import build_pipeline
from mailroom.settings import Settings
from mailroom.worker import (
    MAIL_QUEUE,
    OCR_QUEUE,
    QueueSink,
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

# Every sample document: born-digital, scanned, rotated, photographed, e-mails.
SAMPLES = tuple(sorted(p.name for p in DOCS.iterdir() if p.is_file()))
SCANS = (
    "invoice-01-tow-fr-clean_scan.pdf",
    "receipt-00-restaurant-fr-clean_scan.pdf",
    "other-01-quote-fr-clean_scan.pdf",
    "claim_letter-02-formal-fr-clean_scan.png",
    "medical_certificate-04-constatation-fr-clean_scan.tiff",
    "receipt-05-restaurant-en-clean_scan.png",
)
# When it arrived and how long each stage took: not what was read.
VOLATILE = {"received_at", "timings"}


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


# --------------------------------------------------------------------------- same records


@dataclass(frozen=True)
class Outcome:
    """What one mode left in its stores after every sample: the documents (the e-mails
    themselves too) with everything read and decided, their arrivals, the GED entries, the
    objects stored, and which documents each input gave."""

    documents: dict[str, dict[str, Any]]  # document id -> the whole Document, VOLATILE out
    arrivals: dict[str, list[tuple[str, str]]]  # document id -> (status, source path)
    ged: dict[str, dict[str, Any]]  # document id -> its GED entry, ids and times out
    objects: frozenset[str]  # keys, the workers' task markers out
    given: dict[str, list[str]]  # input file name -> the document ids the run returned
    seconds: float

    def of_input(self, name: str) -> list[str]:
        """The ids of the documents that came from one input file (e-mail parts included)."""
        path = str(DOCS / name)
        return sorted(
            i for i, d in self.documents.items() if d["source"]["path"].split("#")[0] == path
        )


def _outcome(
    pipeline: Any, given: dict[str, list[str]], seconds: float, *, markers: bool = False
) -> Outcome:
    documents = {
        d.document_id: d.model_dump(mode="json", by_alias=True, exclude=VOLATILE)
        for d in pipeline.metadata.list_documents()
    }
    arrivals: dict[str, list[tuple[str, str]]] = {}
    for a in sorted(pipeline.metadata.arrivals(), key=lambda a: (a.received_at, a.status)):
        arrivals.setdefault(a.document_id, []).append((a.status.value, a.source.path))
    ged = {
        e.document_id: e.model_dump(
            mode="json", exclude={"ged_entry_id", "received_at", "filed_at"}
        )
        for e in pipeline.registry.ged_entries()
    }
    objects = frozenset(k for k in pipeline.objects.list("") if not (markers and "/tasks/" in k))
    return Outcome(documents, arrivals, ged, objects, given, seconds)


def _embedded_pass(paths: list[Path], data_dir: Path) -> Outcome:
    """The embedded mode: a folder of objects, SQLite, one process and its OCR pool."""
    settings = Settings.model_validate(
        {
            "storage": {
                "object_backend": "filesystem",
                "metadata_backend": "sqlite",
                "data_dir": str(data_dir),
            },
            "ocr": {"workers": 2},
        }
    )
    assert settings.storage.object_backend == "filesystem"
    assert settings.queue.broker_url is None
    started = time.monotonic()
    with build_pipeline(settings) as pipeline:
        pipeline.import_dossiers(REPO / "samples" / "dossiers.json")
        given: dict[str, list[str]] = {}

        def record(path: Path, docs: list[Any]) -> None:
            given[path.name] = [d.document_id for d in docs]

        for _ in pipeline.process_paths(paths, on_done=record):
            pass
        return _outcome(pipeline, given, time.monotonic() - started)


def _celery_pass(
    paths: list[Path], env: dict[str, str], workers: Workers
) -> tuple[Outcome, dict[str, str]]:
    """S3 + PostgreSQL + Redis, two ``celery -A mailroom.worker worker`` processes; their
    logs."""
    settings = Settings()
    assert settings.storage.object_backend == "s3"
    assert settings.storage.metadata_backend == "postgresql"
    with build_pipeline(settings) as producer:
        producer.import_dossiers(REPO / "samples" / "dossiers.json")
        celery = create_app(settings)
        started = time.monotonic()
        results = enqueue_paths(celery, producer.objects, paths)
        assert {r.id.split("-")[0] for r in results} == {
            hashlib.sha256(p.read_bytes()).hexdigest() for p in paths
        }  # tasks are keyed by the content hash
        workers.start("w1")
        workers.start("w2")
        ids = _wait_all(results, workers, timeout_s=900)
        given = {p.name: list(i) for p, i in zip(paths, ids, strict=True)}
        outcome = _outcome(producer, given, time.monotonic() - started, markers=True)
        workers.stop_all()
    logs = {log.stem: log.read_text(errors="replace") for log in workers.log_dir.glob("*.log")}
    return outcome, logs


@pytest.fixture(scope="module")
def both_modes(
    s3: S3Service, pg_url: str, broker: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Outcome, Outcome, dict[str, str]]:
    """Every sample once through each mode; both really read (and OCR) every document: no
    store, cache or object is shared between them."""
    tmp = tmp_path_factory.mktemp("same-records")
    paths = [DOCS / name for name in SAMPLES]
    embedded = _embedded_pass(paths, tmp / "embedded")

    _reset_postgres(pg_url)
    import redis

    redis.Redis.from_url(broker).flushdb()
    env = _env(s3, pg_url, broker, f"same-{secrets.token_hex(6)}", tmp / "data")
    (tmp / "logs").mkdir()
    workers = Workers(env, tmp / "logs")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        try:
            scaled, logs = _celery_pass(paths, env, workers)
        finally:
            workers.stop_all()
    print(f"\nembedded {embedded.seconds:.1f} s, 2 workers {scaled.seconds:.1f} s")
    return embedded, scaled, logs


def test_two_workers_give_the_documents_of_the_embedded_mode(
    both_modes: tuple[Outcome, Outcome, dict[str, str]],
) -> None:
    embedded, scaled, logs = both_modes
    assert sorted(scaled.documents) == sorted(embedded.documents)
    assert scaled.given == embedded.given  # each input gave the same documents
    assert set(embedded.given) == set(SAMPLES)
    finished = {s.value for s in FINAL_STATUSES | {Status.SPLIT}}
    assert all(d["status"] in finished for d in scaled.documents.values())
    # Both modes read: the scans were OCR'd in each (no store or object is shared).
    ocr = [
        i
        for i, d in embedded.documents.items()
        if any(p["text_source"] == "ocr" for p in d["pages"])
    ]
    assert len(ocr) >= 20
    ran = {name: log.count("succeeded in") for name, log in logs.items()}
    assert sum(ran.values()) == len(SAMPLES), ran  # each task ran once
    assert all(count > 0 for count in ran.values()), ran  # both workers took part


def test_a_worker_has_loaded_its_models_when_it_says_ready(
    both_modes: tuple[Outcome, Outcome, dict[str, str]],
) -> None:
    """Its first task costs what the others cost: the models and OCR processes of every
    worker are loaded before it takes a task, not in the first document's time."""
    *_, logs = both_modes
    for name, log in logs.items():
        warmed, ready = log.find("pipeline warmed up in"), log.find(" ready.")
        assert 0 <= warmed < ready, f"{name}:\n{log[-3000:]}"


@pytest.mark.parametrize("name", SAMPLES)
def test_two_workers_on_s3_and_postgresql_give_the_embedded_records(
    both_modes: tuple[Outcome, Outcome, dict[str, str]], name: str
) -> None:
    """Type, fields with values, confidences and boxes, pages with their words and text
    source, match and dossier, checks, status and reason, GED entry, arrivals: the same."""
    embedded, scaled, _ = both_modes
    ids = embedded.of_input(name)
    assert ids and scaled.of_input(name) == ids
    for doc_id in ids:
        assert scaled.documents[doc_id] == embedded.documents[doc_id], doc_id
        assert scaled.arrivals.get(doc_id) == embedded.arrivals.get(doc_id), doc_id
        assert scaled.ged.get(doc_id) == embedded.ged.get(doc_id), doc_id


def test_two_workers_store_the_objects_of_the_embedded_mode(
    both_modes: tuple[Outcome, Outcome, dict[str, str]],
) -> None:
    """Originals (e-mail parts too), page images and searchable PDFs under the same keys."""
    embedded, scaled, _ = both_modes
    assert sorted(scaled.objects ^ embedded.objects) == []
    assert sum(k.startswith("originals/") for k in scaled.objects) > len(SAMPLES)


def test_e_mails_and_scans_go_to_separate_queues(
    backend: tuple[Settings, Workers],
) -> None:
    settings, workers = backend
    with build_pipeline(settings) as producer:
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
    with build_pipeline(settings) as producer:
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
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
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
    from mailroom.worker import add_worker_commands, cmd_worker, worker_argv

    parser = argparse.ArgumentParser()
    parser.add_argument("--log-level", default=None)
    add_worker_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["worker", "--queues", "ocr,default", "--concurrency", "3"])
    assert args.func is cmd_worker and args.concurrency == 3 and args.pool == "threads"
    settings = Settings.model_validate({"ocr": {"workers": 2}})
    assert "--concurrency=3" in worker_argv(args, settings)
    # By default, one document at a time per OCR process of the worker.
    default = parser.parse_args(["worker", "--queues", "ocr"])
    assert "--concurrency=2" in worker_argv(default, settings)
    assert "--queues=ocr" in worker_argv(default, settings)
    bad = parser.parse_args(["worker", "--queues", "ocr,scans"])
    with pytest.raises(ConfigurationError, match="scans"):
        cmd_worker(bad, Settings.model_validate({"queue": {"broker_url": "redis://x:1/0"}}))
