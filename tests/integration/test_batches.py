"""Scan batches through the whole pipeline with real Tesseract: generated stacks, with and
without separator sheets, come out as their documents with exactly their pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailroom.models import Status
from mailroom.pipeline import build_pipeline
from mailroom.settings import Settings
from samples.batches import build_batches

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]


def test_batches_with_and_without_separators_give_their_documents(
    samples_dir: Path, tmp_path: Path
) -> None:
    # small on purpose (8 pages of OCR): one stack with PATCHT sheets, one without
    with_sheets = build_batches(samples_dir, tmp_path / "a", size=2, kinds=["separators"])
    without = build_batches(samples_dir, tmp_path / "b", size=3, kinds=["none"], seed=1)
    settings = Settings()
    settings.storage.data_dir = tmp_path / "data"
    with build_pipeline(settings) as pipeline:
        for path in [*with_sheets, *without]:
            truth = json.loads(path.with_suffix(".json").read_text())
            docs = pipeline.process_file(path, channel="scan")
            found = sorted(list(d.source.pages or ()) for d in docs)
            assert found == [d["pages"] for d in truth["documents"]], path.name
            batch = pipeline.metadata.find_by_sha256(_sha256(path))
            assert batch is not None and batch.status is Status.SPLIT
            for doc in docs:
                assert doc.parent_id == batch.document_id
                assert doc.source.path == str(path)
                assert doc.status in (Status.FILED, Status.NEEDS_REVIEW)
                assert doc.page_count == doc.source.pages[1] - doc.source.pages[0] + 1  # type: ignore[index]


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
