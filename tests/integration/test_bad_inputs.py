"""Every broken input ends in a record: quarantined with a reason, or read when usable.

Zero crashes, zero hangs: the whole batch goes through one pipeline, as a mailroom would see it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extract.settings import OcrSettings
from mailroom.errors import QuarantineReason
from mailroom.models import FINAL_STATUSES, Document, Status
from mailroom.pipeline import build_pipeline
from mailroom.settings import Settings
from storage.settings import StorageSettings

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        storage=StorageSettings(data_dir=tmp_path / "data"),
        ocr=OcrSettings(page_timeout_s=30, dpi=150),
    )


def _run(settings: Settings, files: list[Path]) -> dict[Path, list[Document]]:
    results: dict[Path, list[Document]] = {}
    with build_pipeline(settings) as pipeline:
        for path in files:
            results[path] = pipeline.process_file(path)
    return results


@pytest.mark.timeout(900)
def test_samples_bad_each_file_ends_as_expected(tmp_path: Path, samples_dir: Path) -> None:
    bad = samples_dir / "bad"
    expected: dict[str, str] = json.loads((bad / "expected.json").read_text())
    files = [bad / name for name in sorted(expected)]
    results = _run(_settings(tmp_path), files)
    wrong = []
    for path, docs in results.items():
        want = expected[path.name]
        assert docs, f"{path.name}: no record"
        for doc in docs:
            assert doc.status in FINAL_STATUSES
            assert doc.reason or doc.status is not Status.QUARANTINED
        got = {d.quarantine_reason.value if d.quarantine_reason else "read" for d in docs}
        if want not in got:
            wrong.append(f"{path.name}: expected {want}, got {sorted(got)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.evaldata
@pytest.mark.timeout(1500)
def test_every_malformed_eval_file_ends_in_a_record(tmp_path: Path, eval_data_dir: Path) -> None:
    folder = eval_data_dir / "malformed"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    assert len(files) > 100
    results = _run(_settings(tmp_path), files)
    reasons: dict[str, int] = {}
    for path, docs in results.items():
        assert docs, f"{path}: no record"
        for doc in docs:
            assert doc.status in FINAL_STATUSES, f"{path}: {doc.status}"
            if doc.status is Status.QUARANTINED:
                assert doc.quarantine_reason is not None and doc.reason
                # A bug in our code is not an acceptable way to reject a hostile file.
                assert doc.quarantine_reason is not QuarantineReason.INTERNAL_ERROR, (
                    f"{path.name}: {doc.reason}"
                )
                reasons[doc.quarantine_reason.value] = reasons.get(doc.quarantine_reason.value, 0) + 1
    assert reasons  # the set is made of broken files: some must be refused
