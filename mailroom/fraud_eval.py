"""How often the fraud checks cry wolf: the share of honest documents carrying a ``fraud.*``
``warn`` or ``fail`` (bars: 0 ``fail``, at most 2 % ``warn``).

On ``samples/`` the figures come from the samples run itself (:func:`fraud_figures`, added
to the samples score's extra figures). ``mailroom eval fraud`` runs the whole pipeline, with
fresh stores per set, over the shared sets' files (invoice2data's PDFs and PNG renders,
Factur-X PDFs, SROIE receipts) so that every document is looked up against the set's others.
A PNG that invoice2data renders from one of its PDFs *is* the same piece again: it is counted
as a true signal when it carries ``fraud.same_content`` of its PDF, not as a false alarm.
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


def eval_fraud(settings: Settings, eval_data: Path, limit: int | None = None) -> Any:
    """The fraud checks' false alarms on the shared sets, each set in fresh stores."""
    from mailroom.evaluation import Score
    from mailroom.pipeline import build_pipeline

    score = Score("fraud false alarms (shared sets)")
    for name, files in shared_set_files(eval_data, limit).items():
        with tempfile.TemporaryDirectory(prefix="mailroom-fraud-eval-") as tmp:
            run = settings.model_copy(deep=True)
            run.storage.data_dir = Path(tmp)
            with build_pipeline(run) as pipeline:
                docs = list(pipeline.process_paths(files))
        by_stem = {Path(str(d.source.path)).stem: d for d in docs if d.source.path}
        excused: set[str] = set()
        if name == "invoice2data":
            for d in docs:
                path = Path(str(d.source.path))
                twin = by_stem.get(path.stem) if path.suffix.lower() == ".png" else None
                if twin is not None and twin is not d and _fraud(d, "fail") + _fraud(d, "warn"):
                    excused.add(d.document_id)
        figures = fraud_figures(docs, excused=excused)
        for key, value in figures.items():
            score.extra[f"{name}: {key}"] = value
        if excused:
            score.extra[f"{name}: same piece in two renderings, flagged (true signals)"] = (
                f"{len(excused)}"
            )
        finals = [d for d in docs if d.status not in (Status.DUPLICATE, Status.SPLIT)]
        score.rates[f"{name}: no fraud fail"] = (
            sum(1 for d in finals if d.document_id in excused or not _fraud(d, "fail")),
            len(finals),
        )
        score.rates[f"{name}: no fraud warn"] = (
            sum(1 for d in finals if d.document_id in excused or not _fraud(d, "warn")),
            len(finals),
        )
    return score
