"""The command line as users run it: records on stdout, progress and summary on stderr."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.tesseract]

CONTRACT_KEYS = {"document_id", "sha256", "source", "page_count", "status", "ged_entry_id",
                 "completeness_request_id"}


def _mailroom(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MAILROOM_STORAGE__DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "mailroom.cli", *args],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )


def test_ingest_json_prints_one_contract_record_per_document(
    samples_dir: Path, tmp_path: Path
) -> None:
    good = sorted((samples_dir / "documents").glob("receipt-*born_digital*"))[0]
    bad = samples_dir / "bad" / "encrypted.pdf"
    result = _mailroom("ingest", str(good), str(bad), "--json", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 2
    for record in records:
        assert CONTRACT_KEYS <= set(record)
    read, refused = records
    assert read["doc_type"] == "receipt" and read["status"] == "needs_review"
    assert read["text_source"] == "pdf_text"
    assert refused["status"] == "quarantined" and refused["quarantine_reason"] == "encrypted_pdf"
    assert "2 document(s)" in result.stderr


def test_ingest_of_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = _mailroom("ingest", str(tmp_path / "nowhere.pdf"), data_dir=tmp_path)
    assert result.returncode != 0
    assert "nowhere.pdf" in result.stderr


def test_demo_runs_on_a_samples_folder(samples_dir: Path, tmp_path: Path) -> None:
    small = tmp_path / "samples"
    (small / "documents").mkdir(parents=True)
    for path in sorted((samples_dir / "documents").glob("*born_digital*"))[:3]:
        shutil.copy(path, small / "documents")
    result = _mailroom("demo", "--samples", str(small), data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert "3/3 recognised as duplicates" in result.stdout
