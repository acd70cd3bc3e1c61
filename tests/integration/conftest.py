"""One run of the whole pipeline over samples/, shared by the tests that look at its results;
the headless Chromium of the review application's browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mailroom.evaluation import process_samples
from mailroom.models import Document
from mailroom.settings import Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import Page as BrowserPage


@pytest.fixture(scope="session")
def sample_run(samples_dir: Path) -> dict[Path, list[Document]]:
    """Every committed sample through the pipeline with real Tesseract (a few minutes)."""
    return process_samples(Settings(), samples_dir)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium driven by Playwright, one per test module (the review
    application's browser tests; their ``browser`` marker skips or fails without it)."""
    import playwright.sync_api as playwright_sync

    from tests.integration.review_browser import CHROMIUM, CHROMIUM_ARGS

    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[BrowserPage]:
    """A fresh French browser context (no cookies), a desktop screen."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 900})
    yield context.new_page()
    context.close()
