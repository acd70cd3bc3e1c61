"""``mailroom eval batches``: how well scan batches are cut into their documents.

Batches of every kind (separator sheets, blank backs, sheets naming a dossier, no separator,
two invoices of one supplier back to back, a multi-page TIFF, eleven documents without
separators) are made from the sample
documents by ``samples/batches.py`` (image-only, 200 dpi, as a scanner writes them), run
through the whole pipeline with fresh stores, and compared with where their documents are:

* boundary precision and recall: a boundary is "a document starts at page k" (the batch's
  first document aside);
* exact documents: a document found with exactly its pages;
* type accuracy over the documents found exactly; dossiers given by separator sheets;
* the time spent splitting, as a share of the batches' reading time.
"""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from mailroom.evaluation import Counts, Score
from mailroom.models import Document
from mailroom.settings import Settings


def _generator(samples: Path) -> ModuleType:
    """``samples.batches``, from the samples folder evaluated (not an installed package)."""
    parent = str(samples.resolve().parent)
    if parent not in sys.path:
        sys.path.insert(0, parent)
    return importlib.import_module("samples.batches")


def eval_batches(settings: Settings, root: Path, limit: int | None = None) -> Score:
    """Score the split of generated batches (``limit``: the first N kinds)."""
    from mailroom.pipeline import build_pipeline

    batches = _generator(root)
    kinds = batches.KINDS[:limit] if limit else batches.KINDS
    score = Score("batches")
    with tempfile.TemporaryDirectory(prefix="mailroom-eval-batches-") as tmp:
        paths: list[Path] = batches.build_batches(root, Path(tmp) / "batches", kinds=kinds)
        settings = settings.model_copy(deep=True)
        settings.storage.data_dir = Path(tmp) / "data"
        by_path: dict[Path, list[Document]] = {p: [] for p in paths}
        containers: dict[Path, Document | None] = {}
        with build_pipeline(settings) as pipeline:
            if (root / "dossiers.json").exists():
                pipeline.import_dossiers(root / "dossiers.json")
            for doc in pipeline.process_paths(paths, channel="scan"):
                by_path[Path(str(doc.source.path))].append(doc)
            for path in paths:
                containers[path] = pipeline.metadata.find_by_sha256(_sha256(path))
        for path in paths:
            truth = json.loads(path.with_suffix(".json").read_text())
            score_batch(score, truth, by_path[path])
        _timing(score, containers)
    return score


def score_batch(score: Score, truth: dict[str, Any], found: list[Document]) -> None:
    """Add one batch's boundaries, exact documents, types and dossiers to ``score``."""
    kind = str(truth["kind"])
    true_docs: list[dict[str, Any]] = truth["documents"]
    by_pages = {d.source.pages: d for d in found if d.source.pages is not None}
    starts_true = {int(d["pages"][0]) for d in true_docs[1:]}
    found_starts = sorted(first for first, _ in by_pages)
    starts_found = set(found_starts[1:])
    boundaries = score.extra.setdefault("_boundaries", Counts())
    tp = len(starts_true & starts_found)
    boundaries.add(Counts(tp, len(starts_found) - tp, len(starts_true) - tp))
    for name in (f"exact documents ({kind})", "exact documents"):
        right, of = score.rates.get(name, (0, 0))
        exact = sum(tuple(d["pages"]) in by_pages for d in true_docs)
        score.rates[name] = (right + exact, of + len(true_docs))
    for d in true_docs:
        pages = (int(d["pages"][0]), int(d["pages"][1]))
        label = f"{truth['file']} pages {pages[0]}-{pages[1]} ({d['sample']})"
        doc = by_pages.get(pages)
        if doc is None:
            got = sorted(by_pages)
            score.errors.append(f"{label}: not found as one document (found {got})")
            continue
        predicted = doc.doc_type.value if doc.doc_type else None
        score.add(label, predicted, str(d["doc_type"]), {}, {}, groups=[kind])
        reference = d.get("dossier_reference")
        if reference:
            right, of = score.rates.get("dossier from the separator sheet", (0, 0))
            given = doc.match is not None and any(
                c.dossier_id == reference for c in doc.match.candidates[:1]
            )
            score.rates["dossier from the separator sheet"] = (right + given, of + 1)
    unsure = sum(any(c.code == "split.unsure" for c in d.checks) for d in found)
    score.extra["documents sent to review as unsure cuts"] = (
        int(score.extra.get("documents sent to review as unsure cuts", 0)) + unsure
    )


def _timing(score: Score, containers: dict[Path, Document | None]) -> None:
    boundaries = score.extra.pop("_boundaries", Counts())
    score.extra["boundary precision"] = round(boundaries.precision, 3)
    score.extra["boundary recall"] = round(boundaries.recall, 3)
    score.extra["boundaries tp/fp/fn"] = f"{boundaries.tp}/{boundaries.fp}/{boundaries.fn}"
    read = sum(c.timings.get("read", 0.0) for c in containers.values() if c is not None)
    split = sum(c.timings.get("split", 0.0) for c in containers.values() if c is not None)
    if read:
        score.extra["split time / read time"] = f"{split:.1f} s / {read:.1f} s = {split / read:.1%}"


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
