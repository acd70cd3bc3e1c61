"""``mailroom eval learning``: the learning curve on the project's own corpora.

For each layout family (the blind French corpus's families, drawn born-digital from
``samples/blind``'s builders with a seed, and the word-level families of
``samples/synth/layouts.py`` per document type), ``teach + test`` documents are drawn and run
through the pipeline once with no correction stored. Then, for k in 0, 1, 2 and 5, the first k
documents are corrected from the generator's truth through ``mailroom corrections import``'s
code (:func:`mailroom.learning.import_corrections`, a JSON Lines file), into an empty
corrections store, and the ``test`` other documents are read again by the pipeline's ``learn``
step; their field F1 (the fields of the truth, the evaluation's value comparison) is reported
per family and on average.

The document type is the truth's (a fixed classifier): the curve measures what corrections
teach the fields, not the classifier.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from classify.fake import FixedClassifier
from extract.fields.base import FIELDS_BY_TYPE
from extract.reader import Reader, ReadResult
from mailroom.evaluation import Counts, same_value
from mailroom.learning import import_corrections, learn
from mailroom.models import DocType, Document, Page, format_value
from mailroom.pipeline import Pipeline
from mailroom.settings import Settings

STEPS = (0, 1, 2, 5)


@dataclass
class Drawn:
    name: str
    doc_type: DocType
    truth: dict[str, str]
    pdf: bytes | None = None
    pages: tuple[Page, ...] = ()
    complete: bool = True  # the truth holds every field printed (else extra fields not scored)


@dataclass
class FamilyCurve:
    family: str
    documents: int
    f1: dict[int, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # learned values that are wrong
    misses: list[str] = field(default_factory=list)  # still wrong after the last step

    @property
    def rises(self) -> bool:
        return self.f1[1] > self.f1[0] or self.f1[0] >= 1.0

    @property
    def never_falls(self) -> bool:
        values = [self.f1[k] for k in STEPS]
        return all(b >= a - 1e-9 for a, b in zip(values, values[1:], strict=False))


@dataclass
class LearningReport:
    families: list[FamilyCurve]

    def mean(self, k: int) -> float:
        return sum(f.f1[k] for f in self.families) / len(self.families) if self.families else 0.0

    def render(self, out: TextIO = sys.stdout) -> None:
        print("learning curve: field F1 on a family's other documents after k corrected ones",
              file=out)
        head = " ".join(f"{'k=' + str(k):>7s}" for k in STEPS)
        print(f"{'family':34s} {'docs':>4s} {head}  rises  never falls", file=out)
        for f in self.families:
            row = " ".join(f"{f.f1[k]:7.3f}" for k in STEPS)
            print(f"{f.family:34s} {f.documents:4d} {row}  {'yes' if f.rises else 'NO':5s}  "
                  f"{'yes' if f.never_falls else 'NO'}", file=out)
        row = " ".join(f"{self.mean(k):7.3f}" for k in STEPS)
        print(f"{'mean':34s} {'':4s} {row}", file=out)
        rising = sum(f.rises for f in self.families)
        steady = sum(f.never_falls for f in self.families)
        print(f"families rising from 0 to 1 correction (or already at 1): {rising}/"
              f"{len(self.families)}; never falling: {steady}/{len(self.families)}", file=out)

    def as_dict(self) -> dict[str, Any]:
        return {
            "set": "learning",
            "families": [{"family": f.family, "documents": f.documents,
                          "f1": {str(k): round(v, 4) for k, v in f.f1.items()},
                          "rises": f.rises, "never_falls": f.never_falls}
                         for f in self.families],
            "mean": {str(k): round(self.mean(k), 4) for k in STEPS},
        }


# --------------------------------------------------------------------------- corpora


def blind_families(seed: int, count: int) -> dict[str, list[Drawn]]:
    """``count`` born-digital documents per family of the blind corpus's builders."""
    from mailroom.evaluation import _blind_generator

    generator = _blind_generator()
    rng = random.Random(seed)
    assisteur = rng.choice(generator.ASSISTEURS)
    cases = generator.make_cases(rng, 8, assisteur)
    out: dict[str, list[Drawn]] = {}
    for kind, builder, families, _ in generator.TYPES:
        doc_type = DocType(kind)
        if not set(FIELDS_BY_TYPE.get(doc_type, ())) - {"dossier_reference", "policy_number"}:
            continue  # "other": no field of its own to learn
        for family in families:
            drawn = []
            for i in range(count):
                d = builder(rng, rng.choice(cases), family)
                drawn.append(Drawn(f"blind-{family}-{i}", doc_type, dict(d.fields), pdf=d.pdf))
            out[f"blind:{kind}/{family}"] = drawn
    return out


def synth_families(seed: int, count: int) -> dict[str, list[Drawn]]:
    """``count`` word-level documents per family and type of ``samples/synth/layouts.py``."""
    from mailroom.evaluation import _blind_generator
    from samples.synth.layouts import DOC_TYPES, FAMILIES, generate_one

    _blind_generator()  # puts the repository's samples/ on the path
    out: dict[str, list[Drawn]] = {}
    for family in FAMILIES:
        for doc_type in DOC_TYPES:
            drawn = []
            for i in range(count):
                d = generate_one(f"learning-{seed}-{family}-{doc_type.value}-{i}", family,
                                 doc_type)
                # the generator's truth holds the fields it lays out for the rankers
                drawn.append(Drawn(f"synth-{family}-{doc_type.value}-{i}", doc_type,
                                   dict(d.truth), pages=d.pages, complete=False))
            out[f"synth:{doc_type.value}/{family}"] = drawn
    return out


class _EvalReader:
    """The real reader for PDFs; the generator's pages for word-level documents."""

    def __init__(self, reader: Reader, pages: dict[str, tuple[Page, ...]]) -> None:
        self.reader = reader
        self.pages = pages

    def read(self, path: Path, media_type: str, *, image_dir: Path | None = None) -> ReadResult:
        if path.stem in self.pages:
            return ReadResult(pages=list(self.pages[path.stem]))
        return self.reader.read(path, media_type, image_dir=image_dir)

    def reread(self, path: Path, media_type: str, pages: list[Page], fields: object) -> list[Page]:
        if path.stem in self.pages:
            return pages
        return self.reader.reread(path, media_type, pages, fields)  # type: ignore[arg-type]

    def close(self) -> None:
        self.reader.close()


def _placeholder_png(n: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (8 + n % 97, 8 + n // 97), 255).save(out, format="PNG")
    return out.getvalue()


# --------------------------------------------------------------------------- curve


def _score(docs: Sequence[tuple[Document, Drawn]]) -> float:
    counts = Counts()
    for doc, drawn in docs:
        allowed = set(FIELDS_BY_TYPE.get(drawn.doc_type, ()))
        truth = {n: v for n, v in drawn.truth.items() if n in allowed and v not in (None, "")}
        predicted = {n: format_value(f.value) for n, f in doc.fields.items()}
        for name, value in truth.items():
            if name in predicted and same_value(name, predicted[name], value):
                counts.tp += 1
            else:
                counts.fn += 1
                if name in predicted:
                    counts.fp += 1
        if drawn.complete:
            counts.fp += sum(1 for n in predicted if n not in truth and n in allowed)
    return counts.f1


def family_curve(
    settings: Settings, family: str, drawn: list[Drawn], teach: int, workdir: Path
) -> FamilyCurve:
    from extract.fields import ContractFieldExtractor
    from storage import build_metadata_store, build_object_store
    from storage.corrections import SqlCorrectionStore
    from storage.dossiers import MemoryDossierRegistry
    from storage.sql import sqlite_url

    settings = settings.model_copy(deep=True)
    settings.storage.data_dir = workdir
    settings.ocr.workers = 1
    inputs = workdir / "in"
    inputs.mkdir(parents=True)
    pages: dict[str, tuple[Page, ...]] = {}
    paths = []
    for n, d in enumerate(drawn):
        if d.pdf is not None:
            path = inputs / f"{d.name}.pdf"
            path.write_bytes(d.pdf)
        else:
            path = inputs / f"{d.name}.png"
            path.write_bytes(_placeholder_png(n))
            pages[d.name] = d.pages
        paths.append(path)
    pipeline = Pipeline(
        settings,
        objects=build_object_store(settings.storage),
        metadata=build_metadata_store(settings.storage),
        reader=_EvalReader(Reader(settings.ocr, settings.limits), pages),  # type: ignore[arg-type]
        classifier=FixedClassifier(drawn[0].doc_type, 0.99),
        registry=MemoryDossierRegistry(),
        field_extractor=ContractFieldExtractor(),
    )
    curve = FamilyCurve(family, len(drawn))
    try:
        docs = [pipeline.process_file(p)[0] for p in paths]
        tests = list(zip(docs[teach:], drawn[teach:], strict=True))
        curve.f1[0] = _score(tests)
        for k in STEPS[1:]:
            store = SqlCorrectionStore(sqlite_url(workdir / f"learning-{k}.sqlite3"))
            pipeline.corrections = store
            lines = workdir / f"corrections-{k}.jsonl"
            with lines.open("w", encoding="utf-8") as f:
                for doc, d in zip(docs[:k], drawn[:k], strict=True):
                    allowed = set(FIELDS_BY_TYPE.get(d.doc_type, ()))
                    fields = {n: v for n, v in d.truth.items() if n in allowed and v}
                    f.write(json.dumps({"document_id": doc.document_id,
                                        "doc_type": d.doc_type.value, "fields": fields},
                                       ensure_ascii=False) + "\n")
            import_corrections(pipeline, lines, username="eval")
            read = []
            for doc, d in tests:
                again = doc.model_copy(deep=True)
                learn(again, store, settings.learning)
                read.append((again, d))
            curve.f1[k] = _score(read)
            for again, d in read:
                allowed = set(FIELDS_BY_TYPE.get(d.doc_type, ()))
                for name in sorted(allowed & set(d.truth) - set(again.fields)):
                    if k == max(STEPS) and d.truth[name]:
                        curve.misses.append(f"k={k} {d.name} {name}: missing, truth "
                                            f"{d.truth[name]!r}")
                for name, got in again.fields.items():
                    truth = d.truth.get(name)
                    if k == max(STEPS) and got.learned is None and truth and not same_value(
                        name, format_value(got.value), truth
                    ):
                        curve.misses.append(f"k={k} {d.name} {name}: read "
                                            f"{format_value(got.value)!r} ({got.confidence:.2f}), "
                                            f"truth {truth!r}")
                    if got.learned is not None and not (
                        truth and same_value(name, format_value(got.value), truth)
                    ):
                        curve.errors.append(
                            f"k={k} {d.name} {name}: learned {format_value(got.value)!r}, "
                            f"truth {truth!r} ({got.learned.record()})"
                        )
            pipeline.corrections = None
            store.close()
    finally:
        pipeline.close()
    return curve


def run_learning(
    settings: Settings,
    *,
    seed: int = 7,
    tests: int = 4,
    families: Sequence[str] | None = None,
    corpora: Sequence[str] = ("blind", "synth"),
    verbose: int = 0,
) -> LearningReport:
    teach = max(STEPS)
    drawn: dict[str, list[Drawn]] = {}
    if "blind" in corpora:
        drawn |= blind_families(seed, teach + tests)
    if "synth" in corpora:
        drawn |= synth_families(seed, teach + tests)
    if families:
        drawn = {k: v for k, v in drawn.items() if any(f in k for f in families)}
    report = LearningReport([])
    with tempfile.TemporaryDirectory(prefix="mailroom-learning-") as tmp:
        for i, (family, docs) in enumerate(sorted(drawn.items())):
            report.families.append(
                family_curve(settings, family, docs, teach, Path(tmp) / f"f{i}")
            )
            curve = report.families[-1]
            print(f"  {family}: " + " ".join(f"{v:.3f}" for v in curve.f1.values()),
                  file=sys.stderr)
            for error in curve.errors[:verbose] + curve.misses[:verbose]:
                print(f"    {error}", file=sys.stderr)
    return report
