"""The background refit in a Celery worker (real Redis, PostgreSQL, S3): corrections imported
past ``MAILROOM_LEARNING__REFIT_AFTER`` send the refit task; the worker refits the field
rankers, promotes the version, and the next document the same worker (never restarted) reads
is read by that version, recorded in its record."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from mailroom.learning import import_corrections
from mailroom.models import Page
from mailroom.pipeline import build_pipeline
from mailroom.settings import Settings
from mailroom.worker import create_app, enqueue_paths
from storage import build_model_store
from tests.integration.test_celery_workers import (  # noqa: F401 - fixtures
    Workers,
    _wait_all,
    backend,
    broker,
    pg_url,
    s3,
)
from tests.unit.test_refit import NEW, TAUGHT, broker_letter, member

pytestmark = [pytest.mark.s3, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def _pdf(page: Page, path: Path) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=(page.width, page.height))
    pdf.setFont("Helvetica", 8)
    for word in page.words:
        pdf.drawString(word.bbox.x0, page.height - word.bbox.y1 + 2, word.text)
    pdf.showPage()
    pdf.save()
    return path


def test_a_worker_refits_in_the_background_and_the_next_document_reads_with_it(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # set before the workers' environment is taken: the worker's refit reads these
    for key, value in {
        "MAILROOM_LEARNING__REFIT_AFTER": str(len(TAUGHT)),
        "MAILROOM_LEARNING__ENABLED": "false",  # the rankers alone, no lesson by layout
        "MAILROOM_LEARNING__REFIT_RANKER_DOCS": "60",
        "MAILROOM_LEARNING__REFIT_EVAL_PAGES": "24",
        "MAILROOM_LEARNING__REFIT_TOLERANCE": "0.25",
    }.items():
        monkeypatch.setenv(key, value)
    found: tuple[Settings, Workers] = request.getfixturevalue("backend")
    settings, workers = found
    pdfs = {i: _pdf(broker_letter(i), tmp_path / f"letter-{i}.pdf") for i in [*TAUGHT, *NEW]}
    with build_pipeline(settings) as producer:
        celery = create_app(settings)
        workers.start("w1")
        taught = _wait_all(enqueue_paths(celery, producer.objects, [pdfs[i] for i in TAUGHT]),
                           workers, timeout_s=600)
        [[before_id]] = _wait_all(enqueue_paths(celery, producer.objects, [pdfs[NEW[0]]]),
                                  workers, timeout_s=300)
        before = producer.metadata.get(before_id)
        assert before is not None and before.models.get("rankers") == "base"

        lines = []
        for i, [document_id] in zip(TAUGHT, taught, strict=True):
            lines.append({"document_id": document_id, "doc_type": "claim_letter",
                          "fields": {"sender_name": member(i)}})
        path = tmp_path / "corrections.jsonl"
        path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
        summary = import_corrections(producer, path)
        assert summary.errors == [] and summary.refit == "celery"

        models = build_model_store(settings.storage)
        deadline = time.monotonic() + 600
        while (current := models.current("rankers")) is None:
            latest = models.latest()
            assert latest is None or latest.promoted, latest.manifest
            assert time.monotonic() < deadline, workers.logs()
            time.sleep(2)
        models.close()
        assert current.manifest["corrections"] == len(TAUGHT)

        # the same worker, never restarted, reads the next letter with the new version
        [[next_id]] = _wait_all(enqueue_paths(celery, producer.objects, [pdfs[NEW[1]]]),
                                workers, timeout_s=300)
        read = producer.metadata.get(next_id)
        assert read is not None
        assert read.to_record()["models"]["rankers"] == current.version
        assert read.doc_type is not None and read.doc_type.value == "claim_letter"
        assert read.fields["sender_name"].value == member(NEW[1])
    workers.stop_all()
