"""Measure the document-type model on outside sets and its calibration.

    python -m mailroom.classify_eval [--model PATH] [--eval-data DIR] [--samples DIR]
        [--generated DIR] [--show-wrong]

prints, for each set, accuracy and mean / min confidence of the predicted type:
``invoice2data`` (``invoice2data-compare/*.pdf``, all invoices), ``facturx``
(``facturx-fr/**/*.pdf``, all invoices or credit notes), ``sroie``
(``sroie-subset/box/*.csv``, receipts; the text is the last column of each line) and
``samples`` (``samples/expected/*.json`` texts). These sets are for measuring only: the model
is never trained on them.

:func:`classify.calibration.reliability` says what the confidence is worth: the accuracy of the
predictions whose confidence falls in each bin. ``--generated DIR`` scores a held-out set
written by ``samples/generate.py`` with another seed than the training corpus (``--foreign``
documents, named ``*-xNN-*``, apart from the French ones), each text as written, OCR-noised,
cut short and as a scrap of one to three lines, and prints the reliability over all of them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from classify.calibration import write_reliability
from classify.model import MAX_PAGES, SklearnClassifier
from mailroom.errors import DocumentError
from mailroom.evaluation import DEFAULT_EVAL_DATA
from mailroom.models import DocType

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class SetScore:
    name: str
    n: int
    accuracy: float
    mean_confidence: float
    min_confidence: float
    wrong: tuple[tuple[str, str, float], ...]  # (item, predicted type, confidence)


def pdf_text(path: Path) -> str:
    """The text layer of a PDF's first pages ('' when it has none)."""
    from extract.pdf_text import read_text_layers

    try:
        pages = read_text_layers(path, 0)
    except DocumentError as e:
        log.warning("%s unreadable: %s", path, e)
        return ""
    return "\n".join(p.text for p in pages[:MAX_PAGES])


def sroie_text(path: Path) -> str:
    """A SROIE box file's text: the ninth column onwards of each line (it may hold commas)."""
    lines = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split(",", 8)
        if len(parts) == 9 and parts[8].strip():
            lines.append(parts[8].strip())
    return "\n".join(lines)


def eval_sets(eval_data: Path, samples: Path | None) -> dict[str, list[tuple[str, str, DocType]]]:
    """(item name, text, true type) per set; sets whose folder is missing are left out."""
    sets: dict[str, list[tuple[str, str, DocType]]] = {}
    i2d = sorted((eval_data / "invoice2data-compare").glob("*.pdf"))
    if i2d:
        sets["invoice2data"] = [(p.name, pdf_text(p), DocType.INVOICE) for p in i2d]
    fx = sorted((eval_data / "facturx-fr").rglob("*.pdf"))
    if fx:
        sets["facturx"] = [
            (str(p.relative_to(eval_data)), pdf_text(p), DocType.INVOICE) for p in fx
        ]
    sroie = sorted((eval_data / "sroie-subset" / "box").glob("*.csv"))
    if sroie:
        sets["sroie"] = [(p.name, sroie_text(p), DocType.RECEIPT) for p in sroie]
    if samples is not None and (samples / "expected").is_dir():
        from classify.train import examples_from_expected

        sets["samples"] = [
            (f"#{i}", text, doc_type)
            for i, (text, doc_type) in enumerate(examples_from_expected([samples]))
        ]
    return sets


def score_set(
    name: str, items: Sequence[tuple[str, str, DocType]], classifier: SklearnClassifier
) -> tuple[SetScore, list[tuple[float, bool]]]:
    """The set's score and its (confidence, right) pairs."""
    pairs: list[tuple[float, bool]] = []
    wrong: list[tuple[str, str, float]] = []
    for item, text, truth in items:
        result = classifier.classify_text(text)
        right = result.doc_type == truth
        pairs.append((result.confidence, right))
        if not right:
            wrong.append((item, result.doc_type.value, result.confidence))
    n = len(pairs)
    confs = [c for c, _ in pairs]
    return (
        SetScore(
            name,
            n,
            sum(r for _, r in pairs) / n if n else 0.0,
            sum(confs) / n if n else 0.0,
            min(confs) if confs else 0.0,
            tuple(wrong),
        ),
        pairs,
    )


def generated_report(
    directory: Path, classifier: SklearnClassifier, out: TextIO, *, seed: int = 5
) -> list[tuple[float, bool]]:
    """Score a generated held-out set and its degraded variants; returns every (confidence,
    right) pair."""
    import json
    import random

    from classify.train import (
        _examples_from_record,
        crop_lines,
        drop_lines,
        fragment,
        ocr_noise,
    )

    groups: dict[str, list[tuple[str, str, DocType]]] = {}
    for path in sorted((directory / "expected").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        origin = "foreign" if "-x" in path.name else "french"
        for text, doc_type in _examples_from_record(record):
            groups.setdefault(origin, []).append((path.name, text, doc_type))
            if origin == "foreign" and doc_type == DocType.INVOICE:
                groups.setdefault("foreign invoices", []).append((path.name, text, doc_type))
    rng = random.Random(seed)
    variants = {
        "as written": lambda t: t,
        "OCR-noised": lambda t: ocr_noise(t, rng, rate=0.08),
        "cut short": lambda t: crop_lines(drop_lines(t, rng), rng),
        "scrap": lambda t: fragment(t, rng),
    }
    everything: list[tuple[float, bool]] = []
    for group, items in groups.items():
        for variant, change in variants.items():
            changed = [(name, change(text), truth) for name, text, truth in items]
            score, pairs = score_set(f"{group}, {variant}", changed, classifier)
            if group != "foreign invoices":
                everything += pairs
            out.write(
                f"{score.name:<30} n={score.n:<4} accuracy {score.accuracy:.3f}  "
                f"confidence mean {score.mean_confidence:.3f}\n"
            )
    write_reliability(f"generated set {directory}", everything, out)
    return everything


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="python -m mailroom.classify_eval", description=__doc__)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--eval-data", type=Path, default=DEFAULT_EVAL_DATA)
    parser.add_argument("--samples", type=Path, default=Path("samples"))
    parser.add_argument("--generated", type=Path, default=None)
    parser.add_argument("--show-wrong", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    classifier = SklearnClassifier(args.model)
    if args.generated is not None:
        generated_report(args.generated, classifier, out)
    everything: list[tuple[float, bool]] = []
    for name, items in eval_sets(args.eval_data, args.samples).items():
        score, pairs = score_set(name, items, classifier)
        everything += pairs
        out.write(
            f"{name:<14} n={score.n:<4} accuracy {score.accuracy:.3f}  "
            f"confidence mean {score.mean_confidence:.3f} min {score.min_confidence:.3f}\n"
        )
        if args.show_wrong:
            for item, guess, conf in score.wrong:
                out.write(f"    wrong: {item} -> {guess} ({conf:.3f})\n")
    if everything:
        write_reliability("all sets", everything, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
