"""One run of the whole pipeline over samples/, shared by the tests that look at its results."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailroom.evaluation import process_samples
from mailroom.models import Document
from mailroom.settings import Settings


@pytest.fixture(scope="session")
def sample_run(samples_dir: Path) -> dict[Path, list[Document]]:
    """Every committed sample through the pipeline with real Tesseract (a few minutes)."""
    return process_samples(Settings(), samples_dir)
