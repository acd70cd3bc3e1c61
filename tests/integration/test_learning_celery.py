"""A correction saved in the review application reaches a running Celery worker without a
restart: the worker (real Redis, PostgreSQL, S3) reads the next invoice of the same
invoicing program with what the correction taught. The review side is the application's
service (the code behind its form) in one test, and the application served on the worker's
stores and driven by a gestionnaire in Chromium in the other."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mailroom.models import Status
from mailroom.pipeline import build_pipeline
from mailroom.settings import Settings
from mailroom.worker import create_app, enqueue_paths
from review.service import ReviewService
from review.store import User, open_review_store
from storage import build_correction_store
from tests.integration.review_browser import add_users, log_in, served_on
from tests.integration.test_celery_workers import (  # noqa: F401 - fixtures
    Workers,
    _wait_all,
    backend,
    broker,
    pg_url,
    s3,
)
from tests.integration.test_learning_cli import _pdf
from tests.unit.learning_pages import SALES

if TYPE_CHECKING:
    from playwright.sync_api import Page as BrowserPage

pytestmark = [pytest.mark.s3, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

CLERK = User("gest1", "gestionnaire", True, "", datetime(2026, 12, 7, tzinfo=UTC))


def test_a_correction_in_review_changes_the_next_document_in_a_running_worker(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    found: tuple[Settings, Workers] = request.getfixturevalue("backend")
    settings, workers = found
    first_pdf = _pdf(SALES[0], tmp_path / "first.pdf")
    next_pdf = _pdf(SALES[1], tmp_path / "next.pdf")
    with build_pipeline(settings) as producer:
        celery = create_app(settings)
        workers.start("w1")
        [[first_id]] = _wait_all(enqueue_paths(celery, producer.objects, [first_pdf]), workers,
                                 timeout_s=600)
        first = producer.metadata.get(first_id)
        assert first is not None and first.status is Status.NEEDS_REVIEW
        assert "invoice_number" not in first.fields or \
            first.fields["invoice_number"].value != "PC-20931"

        store = open_review_store(settings.storage)
        corrections = build_correction_store(settings.storage)
        review = ReviewService(settings, metadata=producer.metadata, objects=producer.objects,
                               registry=producer.registry, store=store, corrections=corrections)
        review.correct_field(CLERK, first_id, "invoice_number", "PC-20931")
        store.close()
        corrections.close()

        # the same worker, never restarted
        [[next_id]] = _wait_all(enqueue_paths(celery, producer.objects, [next_pdf]), workers,
                                timeout_s=600)
        read = producer.metadata.get(next_id)
        assert read is not None
        field = read.fields["invoice_number"]
        assert field.value == "PC-77102"
        assert field.learned is not None and field.learned.corrections == 1
    workers.stop_all()


@pytest.mark.browser
def test_a_correction_typed_in_chromium_changes_the_next_document_in_a_running_worker(
    request: pytest.FixtureRequest, tmp_path: Path, page: BrowserPage
) -> None:
    found: tuple[Settings, Workers] = request.getfixturevalue("backend")
    settings, workers = found
    first_pdf = _pdf(SALES[0], tmp_path / "first.pdf")
    next_pdf = _pdf(SALES[1], tmp_path / "next.pdf")
    settings.storage.data_dir.mkdir(parents=True, exist_ok=True)
    add_users(settings, [("gest1", "gest1-mot-de-passe", "gestionnaire")])
    with build_pipeline(settings) as producer, served_on(settings) as url:
        celery = create_app(settings)
        workers.start("w1")
        [[first_id]] = _wait_all(enqueue_paths(celery, producer.objects, [first_pdf]), workers,
                                 timeout_s=600)
        first = producer.metadata.get(first_id)
        assert first is not None and first.status is Status.NEEDS_REVIEW
        assert "invoice_number" not in first.fields or \
            first.fields["invoice_number"].value != "PC-20931"

        # the gestionnaire types the right number in the document's form and saves
        log_in(page, url, "gest1", "gest1-mot-de-passe")
        response = page.goto(f"{url}/documents/{first_id}")
        assert response is not None and response.status == 200
        field = page.locator("[data-testid=field-invoice_number]")
        field.fill("PC-20931")
        field.press("Enter")
        page.wait_for_selector("[data-testid=message]")
        assert page.locator("[data-testid=field-invoice_number]").input_value() == "PC-20931"

        # the same worker, never restarted
        [[next_id]] = _wait_all(enqueue_paths(celery, producer.objects, [next_pdf]), workers,
                                timeout_s=600)
        read = producer.metadata.get(next_id)
        assert read is not None
        learned = read.fields.get("invoice_number")
        assert learned is not None and learned.value == "PC-77102"
        assert learned.learned is not None and learned.learned.corrections == 1
        # and the application says where the value came from
        response = page.goto(f"{url}/documents/{next_id}")
        assert response is not None and response.status == 200
        row = page.locator("tr[data-field=invoice_number]")
        assert "appris de 1 correction" in row.locator("span.learned").inner_text()
    workers.stop_all()
