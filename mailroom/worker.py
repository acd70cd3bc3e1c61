"""Workers on Celery: ``mailroom worker --queues ocr,default`` (Redis as broker).

Three queues, so that a long mailbox never holds up scanned pages:

- ``mail``: e-mails (``.eml`` from the IMAP watcher or a drop folder), split into documents;
- ``ocr``: everything else that is read (scans, photos, PDFs);
- ``default``: the rest (completeness requests after a batch).

A producer (a watcher, ``bench/scale.py``, :func:`enqueue_file`) first stores the original in
the object store under its content-addressed key, then sends a task that names the bytes by
their SHA-256: the message is small and the bytes are safe before any worker sees them. Task
ids are ``<sha256>-<arrival>``, so a task is keyed by the content it processes.

Exactly once when a worker dies: tasks are acknowledged late (``acks_late``, and
``reject_on_worker_lost`` for a pool child killed mid-task), so a task whose worker was
SIGKILLed goes back to the queue (after the broker's visibility timeout) and another worker
runs it. Running it again is harmless: the pipeline takes a document whose record is still
``received`` up again instead of calling it a duplicate, and a task that already finished left
a marker (``derived/<sha256>/tasks/<task id>.json``) that answers its re-run without touching
anything. Storage that is unreachable is retried with back-off, never quarantined.

The Celery app (:class:`MailroomCelery`) holds its settings and, in a worker process, the one
pipeline built from them on the first task (or before the worker says it is ready), closed at
the process's shutdown; the tasks reach it as ``self.pipeline`` (:class:`PipelineTask`).
``create_app(settings)`` configures it from those settings; the module's ``app`` (what
``celery -A mailroom.worker worker`` finds) reads :class:`~mailroom.settings.Settings` from
the environment (``MAILROOM_QUEUE__BROKER_URL`` ...) when first used.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from celery import Celery, Task, signals
from celery.result import AsyncResult
from kombu import Queue

from mailroom.errors import ConfigurationError, MailroomError, StorageError
from mailroom.models import DocType, Document, Source, SplitMode
from mailroom.settings import Settings
from mailroom.versions import REFIT_TASK, refit_now
from storage.base import MetadataStore, ObjectStore, derived_key, original_key

if TYPE_CHECKING:
    from mailroom.pipeline import Pipeline

log = logging.getLogger(__name__)

MAIL_QUEUE, OCR_QUEUE, DEFAULT_QUEUE = "mail", "ocr", "default"
QUEUES = (MAIL_QUEUE, OCR_QUEUE, DEFAULT_QUEUE)
PROCESS_TASK = "mailroom.process_document"
REQUESTS_TASK = "mailroom.request_missing_pieces"
_CHUNK = 1024 * 1024


def celery_config(settings: Settings) -> dict[str, Any]:
    """The Celery configuration the settings call for."""
    if settings.queue.broker_url is None:
        raise ConfigurationError(
            "no broker configured: set MAILROOM_QUEUE__BROKER_URL (redis://host:6379/0)"
        )
    broker = settings.queue.broker_url.get_secret_value()
    backend = (
        settings.queue.result_backend.get_secret_value()
        if settings.queue.result_backend is not None
        else broker
    )
    vt = float(settings.queue.visibility_timeout_s)
    return {
        "broker_url": broker,
        "result_backend": backend,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            # A task taken by a worker that died goes back to its queue after this long; it
            # must exceed the longest task (task_time_limit), or a slow task runs twice.
            "visibility_timeout": settings.queue.visibility_timeout_s,
            # Sweep for such tasks a few times per visibility timeout (kombu's default sweep
            # is every 100 s whatever the timeout).
            "unacked_restore_interval": max(1.0, min(60.0, vt / 4)),
            "unacked_restore_throttle": 1,
        },
        "result_backend_transport_options": {"retry_policy": {"timeout": 5.0}},
        "result_expires": 7 * 24 * 3600,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_queues": [Queue(name) for name in QUEUES],
        "task_default_queue": DEFAULT_QUEUE,
        "task_routes": {
            PROCESS_TASK: {"queue": OCR_QUEUE},
            REQUESTS_TASK: {"queue": DEFAULT_QUEUE},
        },
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_time_limit": settings.queue.task_time_limit_s,
        "worker_prefetch_multiplier": 1,  # a worker reserves one task at a time
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
    }


class PipelineTask(Task):
    """The base of mailroom's tasks: ``self.pipeline`` is the pipeline of the application the
    task belongs to (Celery's pattern for a resource built once per worker process)."""

    @property
    def pipeline(self) -> Pipeline:
        app: MailroomCelery = self.app
        return app.worker_pipeline()


class MailroomCelery(Celery):
    """mailroom's Celery application: the settings it was created with, and the one pipeline
    each worker process builds from them on first use, closed at the process's shutdown.

    Without settings (``celery -A mailroom.worker``) the settings are read from the
    environment once, when the configuration or the pipeline is first needed.
    """

    def __init__(
        self, main: str | None = "mailroom", *, settings: Settings | None = None, **kw: Any
    ) -> None:
        kw.setdefault("set_as_current", False)
        kw.setdefault("task_cls", PipelineTask)
        super().__init__(main, **kw)
        self._mailroom_settings = settings
        self._pipeline: Pipeline | None = None
        self._pipeline_lock = threading.Lock()
        if settings is not None:
            self.conf.update(celery_config(settings))
        else:
            self.add_defaults(lambda: celery_config(self.mailroom_settings))
        # weak references to the bound methods: an application dropped takes them along
        signals.worker_ready.connect(self._build_pipeline_early)
        signals.worker_process_shutdown.connect(self._close_pipeline)
        signals.worker_shutdown.connect(self._close_pipeline)

    @property
    def mailroom_settings(self) -> Settings:
        """The settings this application was created with (read once from the environment
        when it was created without)."""
        with self._pipeline_lock:
            if self._mailroom_settings is None:
                self._mailroom_settings = Settings()
            return self._mailroom_settings

    def worker_pipeline(self) -> Pipeline:
        """This process's pipeline on the stores the application's settings name, built on
        first use and kept until :meth:`close_pipeline`."""
        settings = self.mailroom_settings
        with self._pipeline_lock:
            if self._pipeline is None:
                from mailroom.pipeline import build_pipeline

                self._pipeline = build_pipeline(settings)
            return self._pipeline

    def close_pipeline(self) -> None:
        """Close the pipeline if one was built (its OCR pool, its stores); the next task
        builds a new one."""
        with self._pipeline_lock:
            pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.close()

    def _build_pipeline_early(self, sender: Any = None, **_: Any) -> None:
        """Build and warm the pipeline before the worker says it is ready, so that no task's
        time (measured against the broker's visibility timeout) includes loading the models,
        and so that N workers started together do not each load them while the first
        documents wait.

        Only for the worker of this application, and only where tasks run in this process
        (``threads``, ``solo``): a ``prefork`` parent runs no task, and its children build
        their pipeline on their first task. A worker that serves neither ``mail`` nor ``ocr``
        reads no document: it starts no OCR process.
        """
        if sender is None or getattr(sender, "app", None) is not self:
            return
        if "prefork" in type(getattr(sender, "pool", None)).__module__:
            return
        pipeline = self.worker_pipeline()
        served = set(self.amqp.queues.consume_from or ())
        if not served & {MAIL_QUEUE, OCR_QUEUE}:
            return
        try:
            warm_up(pipeline)
        except MailroomError as e:  # a server still starting: the first task retries it
            log.warning("could not warm the pipeline up: %s", e)

    def _close_pipeline(self, **_: Any) -> None:
        self.close_pipeline()


def create_app(settings: Settings | None = None) -> MailroomCelery:
    """A Celery app with mailroom's tasks; configured from ``settings`` now, or from
    ``Settings()`` when first used. Its worker processes build their pipeline from the same
    settings."""
    celery = MailroomCelery(settings=settings)
    _register_tasks(celery)
    return celery


# --------------------------------------------------------------------------- worker side

_WARM_UP_TEXT = (
    "FACTURE N° F2026-0001 du 02/03/2026\n"
    "Dépannage Dupuis SIRET 732 829 320 00074\n"
    "Dossier AST-2026-000001 Claire MARTIN\n"
    "Total HT 150,00 € TVA 30,00 € Total TTC 180,00 €\n"
)


def warm_up(pipeline: Any) -> None:
    """Load now what the first document would otherwise pay for, once per worker process:
    the OCR processes (and the libraries they import), the document-type model, the spaCy
    pipeline of the field extractor, the database connection (and its migration).

    It reads a short text through the real stages' code (no OCR, nothing stored), so the
    first task of a worker costs what any other costs. The dossier index is left to the
    first document: dossiers may still be imported after the worker starts.
    """
    started = time.perf_counter()
    pipeline.reader.warm_up()  # every OCR process, not only the first one a task needs
    with tempfile.TemporaryDirectory(prefix="mailroom-warm-") as tmp:
        path = Path(tmp) / "warm-up.txt"
        path.write_text(_WARM_UP_TEXT, encoding="utf-8")
        pages = pipeline.reader.read(path, "text/plain").pages
    pipeline.classifier.classify(pages)
    for doc_type in (DocType.INVOICE, DocType.CLAIM_LETTER):
        pipeline.field_extractor.extract(pages, doc_type)
    pipeline.metadata.find_by_sha256("0" * 64)
    pipeline.registry.get("")
    log.info("pipeline warmed up in %.1f s", time.perf_counter() - started)


def task_marker_key(sha256: str, task_id: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in task_id)
    return derived_key(sha256, f"tasks/{safe}.json")


def run_document(pipeline: Any, sha256: str, source: Source, task_id: str) -> list[str]:
    """Process the original stored under ``sha256`` once; the ids of its documents.

    A re-run of a finished task (a redelivery) returns what the first run recorded.
    """
    objects: ObjectStore = pipeline.objects
    marker = task_marker_key(sha256, task_id)
    if objects.exists(marker):
        done = json.loads(objects.get_bytes(marker))
        log.info("task %s already done: %s", task_id, done["documents"])
        return list(done["documents"])
    with objects.open(original_key(sha256)) as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise StorageError(f"the object under {original_key(sha256)} does not match its digest")
    docs = pipeline.process_bytes(data, source)
    ids = [d.document_id for d in docs]
    objects.put_bytes(
        marker,
        json.dumps({"task_id": task_id, "documents": ids}).encode(),
        content_type="application/json",
    )
    return ids


def _register_tasks(celery: Celery) -> None:
    @celery.task(
        name=PROCESS_TASK,
        shared=False,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        autoretry_for=(StorageError,),
        retry_backoff=True,
        retry_backoff_max=300,
        max_retries=20,
    )
    def process_document(self: PipelineTask, sha256: str, source: dict[str, Any]) -> list[str]:
        return run_document(
            self.pipeline, sha256, Source.model_validate(source), str(self.request.id)
        )

    @celery.task(
        name=REQUESTS_TASK, shared=False, bind=True, acks_late=True, reject_on_worker_lost=True
    )
    def request_missing_pieces(self: PipelineTask) -> int:
        return len(self.pipeline.request_missing_pieces())

    @celery.task(name=REFIT_TASK, shared=False)
    def refit_models() -> list[str]:
        """The background refit (``mailroom.versions``): one at a time, under its lock."""
        result = refit_now(Settings(), only_if_due=True)
        return [v.version for v in result.versions] if result is not None else []


# --------------------------------------------------------------------------- producer side


def _media_type(path: Path) -> str:
    from ingest.sniff import sniff

    with path.open("rb") as f:
        return sniff(f.read(4096))


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def enqueue_file(
    celery: Celery, objects: ObjectStore, path: Path, source: Source, *, arrival: str | None = None
) -> AsyncResult:
    """Store the original, then send its task to ``mail`` (an e-mail) or ``ocr``."""
    import uuid

    sha256 = _digest(path)
    media_type = _media_type(path)
    meta: dict[str, str] = {"channel": source.channel}
    if source.filename:
        meta["filename"] = source.filename
    objects.put_file(original_key(sha256), path, content_type=media_type, metadata=meta)
    queue = MAIL_QUEUE if media_type == "message/rfc822" else OCR_QUEUE
    task_id = f"{sha256}-{arrival or uuid.uuid4().hex[:12]}"
    return celery.send_task(
        PROCESS_TASK,
        args=(sha256, source.model_dump(mode="json", by_alias=True)),
        task_id=task_id,
        queue=queue,
    )


def enqueue_paths(
    celery: Celery, objects: ObjectStore, paths: Iterable[Path], *, channel: str = "upload"
) -> list[AsyncResult]:
    return [
        enqueue_file(
            celery,
            objects,
            path,
            Source(channel=channel, path=str(path), filename=path.name),  # type: ignore[arg-type]
        )
        for path in paths
    ]


class QueueSink:
    """What the watchers hand their inputs to when a broker is configured: the original is
    stored, a task is sent, and the call returns once a worker has recorded the final
    documents (so the watcher's move-after-commit rule still holds)."""

    def __init__(
        self,
        celery: Celery,
        objects: ObjectStore,
        metadata: MetadataStore,
        *,
        timeout_s: float = 3600.0,
    ) -> None:
        self.celery = celery
        self.objects = objects
        self._metadata = metadata
        self.timeout_s = timeout_s

    @property
    def metadata(self) -> MetadataStore:
        return self._metadata

    def process_file(
        self,
        path: Path,
        *,
        channel: str = "upload",
        default_type: DocType | None = None,
        split_mode: SplitMode | None = None,
    ) -> list[Document]:
        source = Source(
            channel=channel,  # type: ignore[arg-type]
            path=str(path),
            filename=path.name,
            default_type=default_type,
            split_mode=split_mode,
        )
        return self._wait(enqueue_file(self.celery, self.objects, path, source))

    def process_bytes(self, data: bytes, source: Source) -> list[Document]:
        with tempfile.TemporaryDirectory(prefix="mailroom-") as tmp:
            path = Path(tmp) / "input"
            path.write_bytes(data)
            return self._wait(enqueue_file(self.celery, self.objects, path, source))

    def _wait(self, result: AsyncResult) -> list[Document]:
        try:
            ids = result.get(timeout=self.timeout_s, propagate=True)
        except MailroomError:
            raise
        except Exception as e:  # noqa: BLE001 - broker or task failure: the watcher retries
            raise StorageError(f"task {result.id} did not finish: {type(e).__name__}: {e}") from e
        docs = [self._metadata.get(i) for i in ids]
        return [d for d in docs if d is not None]

    def close(self) -> None:
        self._metadata.close()


def sink_for(settings: Settings, pipeline: Any) -> Any:
    """What a watcher hands its inputs to: the pipeline itself (embedded mode), or a
    :class:`QueueSink` on the pipeline's stores when a broker is configured."""
    if settings.queue.broker_url is None:
        return pipeline
    return QueueSink(create_app(settings), pipeline.objects, pipeline.metadata)


# --------------------------------------------------------------------------- command line

app = create_app()
"""The app ``celery -A mailroom.worker`` finds; configured from the environment when used."""


def worker_argv(args: argparse.Namespace, settings: Settings) -> list[str]:
    """The ``celery worker`` arguments of ``mailroom worker``."""
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown:
        raise ConfigurationError(f"unknown queue(s) {', '.join(unknown)}: use {', '.join(QUEUES)}")
    # The threads of a worker share its OCR pool: one document per OCR process keeps them
    # all busy (as the embedded mode reads as many documents at once as it has processes).
    concurrency = args.concurrency or max(1, settings.ocr.workers)
    argv = [
        "worker",
        f"--queues={','.join(queues)}",
        f"--concurrency={concurrency}",
        f"--pool={args.pool}",
        f"--loglevel={(args.log_level or settings.log_level).upper()}",
        "--without-gossip",
        "--without-mingle",
    ]
    if args.hostname:
        argv.append(f"--hostname={args.hostname}")
    return argv


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    argv = worker_argv(args, settings)
    create_app(settings).worker_main(argv)
    return 0


def add_worker_commands(subparsers: Any) -> None:
    """Register ``worker [--queues mail,ocr,default] [--concurrency N] [--pool ...]``."""
    worker = subparsers.add_parser(
        "worker", help="process queued documents (Celery worker; needs a broker)"
    )
    worker.add_argument(
        "--queues",
        default=",".join(QUEUES),
        help="comma-separated queues to serve: mail, ocr, default (default: all three)",
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="documents processed at once by this worker (default: MAILROOM_OCR__WORKERS, "
        "so that each of its OCR processes has a document to read)",
    )
    worker.add_argument(
        "--pool",
        choices=("threads", "solo", "prefork"),
        default="threads",
        help="threads share one pipeline and its OCR process pool (default)",
    )
    worker.add_argument("--hostname", default=None, help="worker name (default: celery@host)")
    worker.set_defaults(func=cmd_worker)


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - thin wrapper
    parser = argparse.ArgumentParser(prog="mailroom")
    parser.add_argument("--log-level", default=None)
    add_worker_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args, Settings()))


__all__ = [
    "QUEUES",
    "MailroomCelery",
    "PipelineTask",
    "QueueSink",
    "add_worker_commands",
    "app",
    "celery_config",
    "create_app",
    "enqueue_file",
    "enqueue_paths",
    "run_document",
    "sink_for",
    "warm_up",
    "worker_argv",
]
