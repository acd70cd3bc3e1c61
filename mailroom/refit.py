"""Refitting the field rankers and the classifier on the accumulated corrections (issue #19).

``mailroom train --corrections`` and the background refit (``MAILROOM_LEARNING__REFIT_AFTER``,
:mod:`mailroom.versions`) call :func:`refit`. What a correction gives:

- **the field rankers**: the corrected document's stored pages as an ``Example`` whose truth is
  the corrected values of the ranked fields (only those: a field nobody corrected has no
  known truth). Only the fields some correction touched are fitted again, on the base
  generated pages (``extract.fields.ranker``'s, same seed; their feature rows cached in
  ``<data_dir>/models/cache``) plus the corrections' rows, which weigh
  ``refit_correction_weight`` each; the other fields keep the current version's models. A
  medical certificate's fields are fields of medical certificates only: its rows train
  only those rankers, and a ranker file holds trees over numeric features, never a value.
- **the classifier**: the corrected document's text with its corrected type, beside the
  shipped model's generated corpus (same seed). A medical certificate's text is kept to the
  words that the generated corpus prints too, so that no name or number of it enters the
  model's vocabulary.

**Never an override**: every fifth correction (from five on) is held out; a refit is promoted
only when it does at least as well as the current version on them, and at most
``refit_tolerance`` worse on generated evaluation pages. A refit not promoted is recorded
all the same (its manifest says why) and reads no document.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from extract.fields.base import FIELDS_BY_TYPE
from extract.fields.features import RANKED_FIELDS
from extract.fields.ranker import (
    Example,
    Rankers,
    Table,
    add_rows,
    count,
    f1,
    final_values,
    fit_field,
    generated_examples,
    prepared_examples,
    same_value,
)
from mailroom.models import DocType
from mailroom.settings import Settings
from storage.model_store import BASE, ModelVersion, SqlModelStore, model_key

if TYPE_CHECKING:
    from classify.model import TextModel
    from storage.base import MetadataStore, ObjectStore
    from storage.corrections import Correction, CorrectionStore

log = logging.getLogger(__name__)

RANKER_SEED = 18  # the shipped rankers' generated pages (extract.fields.ranker main)
CLASSIFIER_SEED = 4242  # the shipped classifier's generated corpus (classify/train.py)
HOLD_EVERY = 5
MEDICAL = DocType.MEDICAL_CERTIFICATE.value
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Corrected:
    """A correction with the document it corrects, read back from the stores."""

    correction: Correction
    example: Example  # its pages, its (corrected) type, the ranked fields' corrected values
    text: str  # what the classifier reads


@dataclass
class RefitResult:
    versions: list[ModelVersion] = field(default_factory=list)
    seconds: float = 0.0

    def text(self) -> str:
        lines = []
        for v in self.versions:
            state = "promue / promoted" if v.promoted else "non promue / not promoted"
            lines.append(f"{v.version}: {state} ({v.manifest.get('reason', '')})")
        lines.append(f"refit en {self.seconds:.0f} s / refit in {self.seconds:.0f} s")
        return "\n".join(lines)


# --------------------------------------------------------------------------- the data


def corrected_documents(corrections: CorrectionStore, metadata: MetadataStore
                        ) -> tuple[list[Corrected], int]:
    """Every correction whose document's pages are still stored, oldest first; and the
    newest correction's id."""
    from classify.model import page_text

    out: list[Corrected] = []
    last = 0
    for c in corrections.all():
        last = max(last, c.correction_id)
        doc = metadata.get(c.document_id)
        if doc is None or not doc.pages:
            continue
        try:
            kind = DocType(c.doc_type)
        except ValueError:
            continue
        allowed = FIELDS_BY_TYPE.get(kind, ())
        truth = {n: v for n, v in c.values.items() if n in RANKED_FIELDS and n in allowed}
        example = Example(tuple(doc.pages), kind, truth, "corrections")
        out.append(Corrected(c, example, page_text(doc.pages)))
    return out, last


def split_held(items: Sequence[Corrected]) -> tuple[list[Corrected], list[Corrected]]:
    """(fitted on, held out): every fifth correction held out, from five corrections on."""
    if len(items) < HOLD_EVERY:
        return list(items), []
    fitted = [c for i, c in enumerate(items) if i % HOLD_EVERY != HOLD_EVERY - 1]
    held = [c for i, c in enumerate(items) if i % HOLD_EVERY == HOLD_EVERY - 1]
    return fitted, held


def correction_tables(items: Sequence[Corrected], extractor: Any | None = None
                      ) -> dict[str, Table]:
    """Per ranked field, the candidate rows of the corrected documents for the fields their
    correction gives (a medical certificate's only for medical certificates' fields)."""
    out: dict[str, Table] = {}
    examples = [c.example for c in items]
    for k, (example, _, prepared) in enumerate(prepared_examples(examples, extractor)):
        allowed = set(FIELDS_BY_TYPE.get(example.doc_type, ()))
        kept = {n: v for n, v in prepared.items() if n in example.truth and n in allowed}
        add_rows(out, k, example, kept)
    return out


def base_tables(settings: Settings, cache: Path, extractor: Any | None = None
                ) -> dict[str, Table]:
    """The feature rows of the base generated pages (seed 18), computed once per size and
    feature set and cached under ``cache`` (numbers only: generated pages, no correction)."""
    import joblib

    from extract.fields.features import FEATURE_NAMES
    from extract.fields.ranker import tables

    n = settings.learning.refit_ranker_docs
    digest = hashlib.sha256("|".join(FEATURE_NAMES).encode()).hexdigest()[:8]
    path = cache / f"ranker-base-{RANKER_SEED}-{n}-{digest}.joblib"
    if path.exists():
        return dict(joblib.load(path))
    tabs = tables(generated_examples(RANKER_SEED, n), extractor)
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    joblib.dump(tabs, partial, compress=3)
    partial.replace(path)
    return tabs


# --------------------------------------------------------------------------- rankers


def fit_rankers(current: Rankers | None, base: dict[str, Table],
                corrected: dict[str, Table], weight: float) -> Rankers:
    """The current rankers with each field the corrections touch fitted again on the base
    rows and the corrections' (weighted)."""
    models = dict(current.models) if current is not None else {}
    counts: dict[str, Any] = dict(current.trained_on) if current is not None else {}
    for name in sorted(corrected):
        cx, cy, _ = corrected[name].arrays()
        if not len(cy):
            continue
        bx, by, _ = base.get(name, Table()).arrays()
        x = np.vstack([bx, cx]) if len(by) else cx
        y = np.concatenate([by, cy])
        w = np.concatenate([np.ones(len(by)), np.full(len(cy), weight)])
        if len(set(y.tolist())) < 2 or y.sum() < 6:
            continue  # too few positive rows: the field keeps its model
        models[name] = fit_field(x, y, w)
        counts[name] = {"rows": int(len(y)), "positives": int(y.sum()),
                        "corrected_rows": int(len(cy))}
    return Rankers(models=models, trained_on=counts)


def _values(rankers: Rankers | None, rules: dict[str, Any], prepared: Any) -> dict[str, Any]:
    from extract.fields.ranker import decide

    if rankers is None:
        return {k: f.value for k, f in rules.items()}
    return final_values(rules, decide(rankers.models, prepared), rankers.models)


def held_scores(versions: Sequence[Rankers | None], items: Sequence[Corrected],
                extractor: Any | None = None) -> list[float | None]:
    """Per rankers, the share of the held-out corrections' ranked fields read right
    (``None`` when there is nothing to score); each page's features computed once."""
    right = [0] * len(versions)
    total = 0
    for example, rules, prepared in prepared_examples([c.example for c in items], extractor):
        got = [_values(r, rules, prepared) for r in versions]
        for name, want in example.truth.items():
            total += 1
            for k, values in enumerate(got):
                right[k] += values.get(name) is not None and same_value(name, values[name], want)
    return [r / total if total else None for r in right]


def eval_scores(versions: Sequence[Rankers | None], pages: Sequence[Example],
                extractor: Any | None = None) -> list[dict[str, float]]:
    """Per rankers, the field F1 of each ranked field on generated evaluation pages."""
    counts: list[dict[str, list[int]]] = [{} for _ in versions]
    for example, rules, prepared in prepared_examples(pages, extractor):
        for k, r in enumerate(versions):
            count(counts[k], example, _values(r, rules, prepared))
    return [{n: round(f1(c), 4) for n, c in sorted(cs.items())} for cs in counts]


# --------------------------------------------------------------------------- classifier


def vocabulary(texts: Sequence[str]) -> frozenset[str]:
    return frozenset(w.casefold() for t in texts for w in _WORD.findall(t))


def scoped_text(text: str, kind: str, known: frozenset[str]) -> str:
    """What the classifier may learn from a corrected document's text: all of it, but for a
    medical certificate only the words the generated corpus prints too (its lines kept)."""
    if kind != MEDICAL:
        return text
    return "\n".join(
        " ".join(w for w in _WORD.findall(line) if w.casefold() in known)
        for line in text.splitlines()
    )


def base_corpus(per_type: int, seed: int) -> list[tuple[str, DocType]]:
    """The generated corpus the shipped classifier was fitted on (born digital), as text."""
    from classify.train import examples_from_expected
    from samples.generate import generate

    with tempfile.TemporaryDirectory(prefix="mailroom-refit-") as tmp:
        generate(Path(tmp), seed, per_type, ["born_digital"], emails=max(1, per_type // 6),
                 foreign=per_type, lookalikes=max(1, per_type // 5))
        return examples_from_expected([Path(tmp)])


def accuracy(model: TextModel, examples: Sequence[tuple[str, DocType]]) -> float | None:
    if not examples:
        return None
    guesses = model.predict([t for t, _ in examples])
    return sum(g == d for g, (_, d) in zip(guesses, examples, strict=True)) / len(examples)


def type_scores(model: TextModel, examples: Sequence[tuple[str, DocType]]) -> dict[str, float]:
    """Accuracy per true type."""
    out: dict[str, float] = {}
    for kind in sorted({d for _, d in examples}, key=lambda d: d.value):
        score = accuracy(model, [e for e in examples if e[1] is kind])
        out[kind.value] = round(score or 0.0, 4)
    return out


# --------------------------------------------------------------------------- versions


@dataclass
class Stores:
    """What a refit reads and writes."""

    corrections: CorrectionStore
    metadata: MetadataStore
    objects: ObjectStore
    models: SqlModelStore
    models_dir: Path  # <data_dir>/models: local copies and the base rows' cache


def save_version(stores: Stores, kind: str, data: bytes, promoted: bool,
                 last_correction_id: int, manifest: dict[str, Any]) -> ModelVersion:
    """Store a refitted model's file (object store, and a local copy) and its manifest."""
    n = stores.models.count(kind) + 1
    version = f"{kind}-{n}-{hashlib.sha256(data).hexdigest()[:8]}"
    key = model_key(version)
    stores.objects.put_bytes(key, data, content_type="application/octet-stream")
    local = stores.models_dir / f"{version}.joblib"
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(data)
    manifest = {"version": version, "created_at": datetime.now(UTC).isoformat(), **manifest}
    return stores.models.add(ModelVersion(
        kind=kind, version=version, promoted=promoted,
        last_correction_id=last_correction_id, manifest=manifest, object_key=key,
    ))


def current_rankers(stores: Stores) -> tuple[str, Rankers | None]:
    """The rankers reading documents now: the newest promoted version, else the shipped."""
    from mailroom.versions import local_copy

    found = stores.models.current("rankers")
    if found is None:
        return BASE, Rankers.load()
    return found.version, Rankers.load(local_copy(stores.objects, stores.models_dir, found))


def _rankers_bytes(rankers: Rankers) -> bytes:
    with tempfile.TemporaryDirectory(prefix="mailroom-rankers-") as tmp:
        path = Path(tmp) / "rankers.joblib"
        rankers.save(path)
        return path.read_bytes()


def _verdict(new: float | None, old: float | None, new_eval: dict[str, float],
             old_eval: dict[str, float], tolerance: float) -> tuple[bool, str]:
    """Promoted, and why: never worse on the held-out corrections, and no field (no type
    for the classifier) more than ``tolerance`` worse on the generated evaluation pages."""
    if new is not None and old is not None and new < old:
        return False, f"worse on the held-out corrections ({new:.3f} < {old:.3f})"
    for name, was in sorted(old_eval.items()):
        now = new_eval.get(name, 0.0)
        if now < was - tolerance:
            return False, f"worse on the generated evaluation pages: {name} {now:.3f} < {was:.3f}"
    return True, "at least as good as the current version"


def refit_rankers(stores: Stores, settings: Settings, items: Sequence[Corrected],
                  last_id: int, fit: Callable[..., Rankers] = fit_rankers) -> ModelVersion:
    """Refit the rankers on the corrections; record the version, promoted or not."""
    from threadpoolctl import threadpool_limits

    # one OpenMP thread: the boosted trees score small batches of candidates, where thread
    # start-ups cost more than they save (and a background refit leaves the other core free)
    with threadpool_limits(limits=1):
        return _refit_rankers(stores, settings, items, last_id, fit)


def _refit_rankers(stores: Stores, settings: Settings, items: Sequence[Corrected],
                   last_id: int, fit: Callable[..., Rankers]) -> ModelVersion:
    from extract.fields.layout_extractor import LayoutFieldExtractor

    started = time.monotonic()
    rules = LayoutFieldExtractor(rankers=None)  # one spaCy pipeline for every page read
    fitted, held = split_held(items)
    was, current = current_rankers(stores)
    base = base_tables(settings, stores.models_dir / "cache", rules)
    new = fit(current, base, correction_tables(fitted, rules),
              settings.learning.refit_correction_weight)
    new.trained_on["corrections"] = len(fitted)
    pages = generated_examples(RANKER_SEED + 1, settings.learning.refit_eval_pages)
    new_held, old_held = held_scores([new, current], held, rules)
    new_eval, old_eval = eval_scores([new, current], pages, rules)
    promoted, reason = _verdict(new_held, old_held, new_eval, old_eval,
                                settings.learning.refit_tolerance)
    manifest = {
        "kind": "rankers", "replaces": was, "corrections": len(items),
        "fitted_on_corrections": len(fitted), "held_out_corrections": len(held),
        "refitted_fields": sorted(n for n, c in new.trained_on.items()
                                  if isinstance(c, dict) and "corrected_rows" in c),
        "held_out": {"new": new_held, "current": old_held},
        "generated_eval": {"new": new_eval, "current": old_eval, "pages": len(pages)},
        "promoted": promoted, "reason": reason,
        "fit_seconds": round(time.monotonic() - started, 1),
    }
    return save_version(stores, "rankers", _rankers_bytes(new), promoted, last_id, manifest)


def refit_classifier(stores: Stores, settings: Settings, items: Sequence[Corrected],
                     last_id: int) -> ModelVersion:
    """Refit the classifier on its generated corpus and the corrected documents' texts."""
    from classify.model import DEFAULT_MODEL_PATH, load_model
    from classify.train import train
    from mailroom.versions import local_copy

    started = time.monotonic()
    per_type = settings.learning.refit_classifier_per_type
    corpus = base_corpus(per_type, CLASSIFIER_SEED)
    known = vocabulary([t for t, _ in corpus])
    fitted, held = split_held(items)

    def labelled(chosen: Sequence[Corrected]) -> list[tuple[str, DocType]]:
        return [(scoped_text(c.text, c.correction.doc_type, known), c.example.doc_type)
                for c in chosen if c.text.strip()]

    found = stores.models.current("doctype")
    current = load_model(DEFAULT_MODEL_PATH if found is None
                         else local_copy(stores.objects, stores.models_dir, found))
    new = train(corpus + labelled(fitted) * max(1, round(settings.learning
                                                         .refit_correction_weight)),
                seed=CLASSIFIER_SEED)
    new.info.update({"seed": CLASSIFIER_SEED, "sources": ["generated", "corrections"]})
    checks = base_corpus(max(2, per_type // 10), CLASSIFIER_SEED + 1)
    new_held, old_held = accuracy(new, labelled(held)), accuracy(current, labelled(held))
    new_eval, old_eval = type_scores(new, checks), type_scores(current, checks)
    promoted, reason = _verdict(new_held, old_held, new_eval, old_eval,
                                settings.learning.refit_tolerance)
    import joblib

    buffer = io.BytesIO()
    joblib.dump(new, buffer, compress=3)
    manifest = {
        "kind": "doctype", "replaces": found.version if found else BASE,
        "corrections": len(items), "fitted_on_corrections": len(fitted),
        "held_out_corrections": len(held),
        "held_out": {"new": new_held, "current": old_held},
        "generated_eval": {"new": new_eval, "current": old_eval, "documents": len(checks)},
        "promoted": promoted, "reason": reason,
        "fit_seconds": round(time.monotonic() - started, 1),
    }
    return save_version(stores, "doctype", buffer.getvalue(), promoted, last_id, manifest)


def refit(stores: Stores, settings: Settings, *,
          kinds: Sequence[str] = ("rankers", "doctype")) -> RefitResult:
    """Refit the models of ``kinds`` on every correction; each new version is recorded and
    promoted only if it does not score worse (see the module's docstring)."""
    started = time.monotonic()
    items, last_id = corrected_documents(stores.corrections, stores.metadata)
    result = RefitResult()
    if not items:
        log.info("no correction to refit on")
        return result
    if "rankers" in kinds:
        result.versions.append(refit_rankers(stores, settings, items, last_id))
    if "doctype" in kinds:
        result.versions.append(refit_classifier(stores, settings, items, last_id))
    result.seconds = time.monotonic() - started
    for v in result.versions:
        log.info("refit %s: %s", v.version, v.manifest.get("reason"))
    return result
