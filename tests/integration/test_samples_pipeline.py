"""The whole pipeline, real Tesseract, on the committed samples: every variant reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mailroom.evaluation import score_samples
from mailroom.models import Document, Status
from mailroom.pipeline import build_pipeline
from mailroom.settings import Settings
from storage.settings import StorageSettings

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]


def _expected(samples_dir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((samples_dir / "expected").glob("*.json"))]


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"[^\W\d_]{4,}", text)}


def test_every_sample_reads_and_none_is_quarantined(
    sample_run: dict[Path, list[Document]], samples_dir: Path
) -> None:
    for expected in _expected(samples_dir):
        docs = sample_run[samples_dir / expected["file"]]
        assert docs, expected["file"]
        for doc in docs:
            assert doc.status in (Status.FILED, Status.NEEDS_REVIEW), (
                f"{expected['file']}: {doc.status} {doc.reason}"
            )
            assert doc.pages and doc.text.strip()
            assert doc.doc_type is not None


def _missed_words(truth: str, read: str) -> float:
    """Share of the true words (4+ letters) not read, in any order: a table read column by
    column is not an error here, a word misread is."""
    true_words = [w.casefold() for w in re.findall(r"[^\W\d_]{4,}", truth)]
    found = {w.casefold() for w in re.findall(r"[^\W\d_]{4,}", read)}
    return sum(w not in found for w in true_words) / max(1, len(true_words))


@pytest.mark.parametrize(
    ("rendering", "limit"),
    [("born_digital", 0.01), ("clean_scan", 0.06), ("degraded_scan", 0.08), ("rotated", 0.08),
     ("photo", 0.13)],
)
def test_pages_read_close_to_their_true_text(
    sample_run: dict[Path, list[Document]], samples_dir: Path, rendering: str, limit: float
) -> None:
    """Words missed per rendering; rotated pages must come out upright to pass."""
    rates = []
    for expected in _expected(samples_dir):
        if expected.get("rendering") != rendering or "pages" not in expected:
            continue
        [doc] = sample_run[samples_dir / expected["file"]]
        truth = "\n".join(p["text"] for p in expected["pages"])
        read = "\n".join(p.text for p in doc.pages)
        rates.append(_missed_words(truth, read))
    assert rates
    assert sum(rates) / len(rates) <= limit, rates


def test_rotated_pages_come_out_upright(
    sample_run: dict[Path, list[Document]], samples_dir: Path
) -> None:
    for expected in _expected(samples_dir):
        if expected.get("rendering") != "rotated":
            continue
        [doc] = sample_run[samples_dir / expected["file"]]
        truth_words = _words(" ".join(p["text"] for p in expected["pages"]))
        found = _words(doc.text)
        assert len(truth_words & found) / len(truth_words) > 0.7, expected["file"]
        turned = [r for r in expected.get("rendering_info", {}).get("rotation", []) if r]
        if turned and doc.text_source == "ocr":
            assert any(p.rotation for p in doc.pages), expected["file"]


def test_multipage_tiff_gives_every_page(
    sample_run: dict[Path, list[Document]], samples_dir: Path
) -> None:
    tiffs = [e for e in _expected(samples_dir) if e["file"].endswith((".tif", ".tiff"))]
    assert any(e.get("page_count", 1) > 1 for e in tiffs)
    for expected in tiffs:
        [doc] = sample_run[samples_dir / expected["file"]]
        assert doc.page_count == expected.get("page_count", len(expected["pages"]))


def test_email_parts_become_documents(
    sample_run: dict[Path, list[Document]], samples_dir: Path
) -> None:
    emails = [e for e in _expected(samples_dir) if e["file"].endswith(".eml")]
    assert emails
    for expected in emails:
        docs = sample_run[samples_dir / expected["file"]]
        assert len(docs) == len(expected["parts"]), [d.source.path for d in docs]
        assert all(d.source.channel == "email" and d.parent_id for d in docs)
        names = {d.source.filename for d in docs if d.source.filename}
        for part in expected["parts"]:
            if part.get("filename"):
                assert part["filename"] in names


def test_the_same_files_again_are_all_duplicates(samples_dir: Path, tmp_path: Path) -> None:
    settings = Settings(storage=StorageSettings(data_dir=tmp_path))
    everything = [samples_dir / e["file"] for e in _expected(samples_dir)]
    files = everything[:3] + [next(p for p in everything if p.suffix == ".eml")]
    with build_pipeline(settings) as pipeline:
        first = list(pipeline.process_paths(files))
        again = list(pipeline.process_paths(files))
    assert all(d.status is not Status.DUPLICATE for d in first)
    assert len(again) == len(files)  # an e-mail seen again is one record, not its parts
    assert all(d.status is Status.DUPLICATE for d in again)


def test_type_accuracy_on_samples_stays_above_the_floor(
    sample_run: dict[Path, list[Document]], samples_dir: Path
) -> None:
    score = score_samples(samples_dir, sample_run).as_dict()
    assert score["type_accuracy"] >= 0.95, score["errors"][:20]
