"""The Celery application holds its worker process's pipeline: built from the settings the
application was created with, on first use, shared by its tasks, closed at shutdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from celery import signals
from pydantic import SecretStr

from mailroom.errors import StorageError
from mailroom.models import Document, Source, document_id_for
from mailroom.settings import QueueSettings, Settings
from mailroom.worker import PROCESS_TASK, REQUESTS_TASK, MailroomCelery, create_app
from storage.settings import StorageSettings


def _settings(data_dir: Path) -> Settings:
    return Settings(
        storage=StorageSettings(data_dir=data_dir),
        queue=QueueSettings(
            broker_url=SecretStr("memory://"), result_backend=SecretStr("cache+memory://")
        ),
    )


def _app(data_dir: Path) -> MailroomCelery:
    app = create_app(_settings(data_dir))
    app.conf.task_always_eager = True  # tasks run here, in this process
    return app


def test_the_pipeline_is_built_once_from_the_applications_settings(tmp_path: Path) -> None:
    first, second = _app(tmp_path / "one"), _app(tmp_path / "two")
    pipeline = first.tasks[PROCESS_TASK].pipeline
    assert pipeline is first.tasks[REQUESTS_TASK].pipeline is first.worker_pipeline()
    assert pipeline.settings is first.mailroom_settings
    other = second.worker_pipeline()
    assert other is not pipeline
    assert other.settings.storage.data_dir == tmp_path / "two"
    first.close_pipeline()
    second.close_pipeline()


def test_a_task_runs_on_the_stores_its_applications_settings_name(tmp_path: Path) -> None:
    app = _app(tmp_path / "data")
    sha = "cd" * 32
    app.worker_pipeline().metadata.save(
        Document(document_id=document_id_for(sha), sha256=sha, source=Source())
    )
    assert app.tasks[REQUESTS_TASK].apply().get() == 0  # no dossier, no request
    # the records went to this application's data folder, not to one read from the environment
    assert (tmp_path / "data" / "mailroom.sqlite3").exists()
    app.close_pipeline()


@pytest.mark.parametrize("signal", [signals.worker_process_shutdown, signals.worker_shutdown])
def test_the_pipeline_is_closed_at_the_worker_processs_shutdown(
    tmp_path: Path, signal: object
) -> None:
    app = _app(tmp_path / "data")
    pipeline = app.worker_pipeline()
    pipeline.metadata.get("doc-x")
    signal.send(sender=None, pid=1, exitcode=0)  # type: ignore[attr-defined]
    with pytest.raises(StorageError):
        pipeline.metadata.get("doc-x")  # its stores are closed
    rebuilt = app.worker_pipeline()  # a later task builds a new one
    assert rebuilt is not pipeline
    app.close_pipeline()


class _Consumer:
    """What a worker's ``worker_ready`` signal is sent by: its application and its pool."""

    def __init__(self, app: MailroomCelery, pool_module: str) -> None:
        self.app = app
        self.pool: Any = type("Pool", (), {"__module__": pool_module})()


def test_a_ready_worker_builds_its_own_applications_pipeline_only(tmp_path: Path) -> None:
    ours, other = _app(tmp_path / "ours"), _app(tmp_path / "other")
    # a worker of the default queue only (``--queues default``) reads no document: nothing
    # is read ahead, no OCR process is started by this test
    ours.amqp.queues.select(["default"])
    signals.worker_ready.send(sender=_Consumer(ours, "celery.concurrency.thread"))
    assert ours._pipeline is not None
    assert other._pipeline is None
    signals.worker_ready.send(sender=_Consumer(other, "celery.concurrency.prefork"))
    assert other._pipeline is None  # a prefork parent runs no task: its children build it
    ours.close_pipeline()


def test_the_module_app_reads_its_settings_from_the_environment_when_first_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILROOM_QUEUE__BROKER_URL", "memory://")
    monkeypatch.setenv("MAILROOM_STORAGE__DATA_DIR", str(tmp_path / "env"))
    app = create_app()
    assert app.conf.broker_url == "memory://"
    assert app.worker_pipeline().settings.storage.data_dir == tmp_path / "env"
    assert app.worker_pipeline().settings is app.mailroom_settings
    app.close_pipeline()
