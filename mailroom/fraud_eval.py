"""How often the fraud checks cry wolf: the share of honest documents carrying a ``fraud.*``
``warn`` or ``fail`` (bars: 0 ``fail``, at most 2 % ``warn``).

On ``samples/`` the figures come from the samples run itself (:func:`fraud_figures`, added
to the samples score's extra figures). ``mailroom eval fraud`` runs the whole pipeline, with
fresh stores per set, over the shared sets' files (invoice2data's PDFs and PNG renders,
Factur-X PDFs, SROIE receipts) so that every document is looked up against the set's others.
Where a set holds the same invoice twice (invoice2data's PNG render of one of its PDFs, one
Factur-X invoice in several profiles), a ``fraud.same_content`` linking the two is a true
signal, counted apart, not a false alarm: the set's own truth says which files are one invoice.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mailroom.models import Document, Status
from mailroom.settings import Settings


def _fraud(doc: Document, status: str) -> list[str]:
    return [c.code for c in doc.checks if c.code.startswith("fraud.") and c.status == status]


def fraud_figures(docs: Iterable[Document], *, excused: set[str] | None = None) -> dict[str, Any]:
    """``fraud.* false alarms``: documents (final, not byte duplicates) with a fraud fail, with
    a fraud warn, and which; ``excused`` document ids (true signals) are left out."""
    excused = excused or set()
    finals = [
        d
        for d in docs
        if d.status not in (Status.DUPLICATE, Status.SPLIT, Status.RECEIVED)
        and d.document_id not in excused
    ]
    fails = [d for d in finals if _fraud(d, "fail")]
    warns = [d for d in finals if _fraud(d, "warn") and not _fraud(d, "fail")]
    n = len(finals)
    figures: dict[str, Any] = {
        "fraud.* false alarms": (
            f"fail {len(fails)}/{n} = {len(fails) / n:.1%}, warn {len(warns)}/{n} = "
            f"{len(warns) / n:.1%}"
            if n
            else "-"
        ),
    }
    flagged = [
        f"{d.source.filename or d.source.path}: {', '.join(_fraud(d, 'fail') + _fraud(d, 'warn'))}"
        for d in fails + warns
    ]
    if flagged:
        figures["fraud.* flagged"] = flagged
    return figures


def shared_set_files(eval_data: Path, limit: int | None = None) -> dict[str, list[Path]]:
    """The files of each shared set, as the other evaluations read them."""
    sets = {
        "invoice2data": sorted(
            p
            for p in (eval_data / "invoice2data-compare").glob("*")
            if p.suffix.lower() in (".pdf", ".png")
        ),
        "facturx": sorted((eval_data / "facturx-fr").rglob("*.pdf")),
        "sroie": sorted((eval_data / "sroie-subset" / "img").glob("*.jpg")),
    }
    return {name: files[:limit] for name, files in sets.items() if files}


def _truth_keys(name: str, eval_data: Path) -> dict[Path, tuple[str, ...]]:
    """Each file's piece as the set's own truth names it: the issuer, the number and the total
    (invoice2data's JSON, shared by a PDF and its PNG render; Factur-X's embedded XML). Two
    files with the same key are the same invoice; SROIE names no number: none."""
    import json

    from mailroom.evaluation import facturx_pairs, facturx_truth

    keys: dict[Path, tuple[str, ...]] = {}
    if name == "invoice2data":
        root = eval_data / "invoice2data-compare"
        for truth_file in root.glob("*.json"):
            raw = json.loads(truth_file.read_text())
            raw = raw[0] if isinstance(raw, list) else raw
            key = tuple(str(raw.get(k, "")) for k in ("issuer", "invoice_number", "amount"))
            for ext in (".pdf", ".png"):
                keys[truth_file.with_suffix(ext)] = key
    elif name == "facturx":
        for pdf, xml in facturx_pairs(eval_data / "facturx-fr"):
            truth = facturx_truth(xml)
            # a credit note's total is its amount whatever its sign (the set's fail/ folder
            # gives the same credit note typed 380 with negative totals)
            total = str(truth.get("total_incl_tax", "")).lstrip("-")
            keys[pdf] = (
                str(truth.get("supplier_name", "")),
                str(truth.get("invoice_number", "")),
                total,
            )
    return keys


def eval_fraud(settings: Settings, eval_data: Path, limit: int | None = None) -> Any:
    """The fraud checks' false alarms on the shared sets, each set in fresh stores.

    A ``fraud.same_content`` that links two files the set's own truth calls the same invoice
    (same issuer, number and total: a PNG render of a PDF, one invoice in several Factur-X
    profiles) is a true signal, counted apart, not a false alarm."""
    from mailroom.evaluation import Score
    from mailroom.pipeline import build_pipeline

    score = Score("fraud false alarms (shared sets)")
    for name, files in shared_set_files(eval_data, limit).items():
        truth = _truth_keys(name, eval_data)
        with tempfile.TemporaryDirectory(prefix="mailroom-fraud-eval-") as tmp:
            run = settings.model_copy(deep=True)
            run.storage.data_dir = Path(tmp)
            with build_pipeline(run) as pipeline:
                docs = list(pipeline.process_paths(files))
                by_id = {d.document_id: Path(str(d.source.path)) for d in docs}
                excused: set[str] = set()
                for d in docs:
                    if _fraud(d, "fail") + _fraud(d, "warn") != ["fraud.same_content"]:
                        continue
                    mine = truth.get(Path(str(d.source.path)))
                    for e in pipeline.fraud.evidence(d.document_id):
                        other = by_id.get(e.other_document_id or "")
                        if mine and other is not None and truth.get(other) == mine:
                            excused.add(d.document_id)
        for key, value in fraud_figures(docs, excused=excused).items():
            score.extra[f"{name}: {key}"] = value
        if excused:
            score.extra[f"{name}: the same invoice twice in the set, flagged (true signals)"] = (
                sorted(Path(str(d.source.path)).name for d in docs if d.document_id in excused)
            )
        finals = [d for d in docs if d.status not in (Status.DUPLICATE, Status.SPLIT)]
        for status in ("fail", "warn"):
            score.rates[f"{name}: no fraud {status}"] = (
                sum(1 for d in finals if d.document_id in excused or not _fraud(d, status)),
                len(finals),
            )
    return score
