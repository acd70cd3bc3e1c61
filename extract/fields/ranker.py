"""Learned rankers: per field, a calibrated classifier that scores each candidate value.

For each field of ``features.RANKED_FIELDS``, a gradient-boosted classifier reads the
candidates' feature vectors (``features.feature_matrix``) and says how likely each is the
field's value; isotonic calibration on held-out folds makes that probability the field's
confidence. The best candidate is kept when its probability reaches ``THRESHOLD``; joint
constraints act on top:

- a name that reads as a form label ("Nom Prénom") is no name;
- a date of birth (a birth label beside it, or years before the document's dates) is no
  certificate date; the incapacity starts on or before it ends;
- the patient and the practitioner are two people (the surer keeps the name).

The fitted models ship inside the package (``extract/fields/model/rankers.joblib``), with the
version string and the feature names they were fitted on; a file that is missing, or that was
fitted on other features, leaves extraction to the rules alone.

Training: ``python -m extract.fields.ranker --out extract/fields/model`` (see
``docs/field-rankers.md``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from extract.fields.base import FIELDS_BY_TYPE
from extract.fields.features import (
    FEATURE_NAMES,
    RANKED_FIELDS,
    DocFeatures,
    candidates_for,
    feature_matrix,
    same_reading,
)
from extract.fields.layout import fold
from extract.fields.lexicon import NAME
from mailroom.models import DocType, ExtractedField, Page, format_value

log = logging.getLogger(__name__)

MODEL_FILE = Path(__file__).parent / "model" / "rankers.joblib"
VERSION = "field-rankers-1"
THRESHOLD = 0.5
_TOP = 6
_BIRTH = FEATURE_NAMES.index("birth_on_row")
_YEARS = FEATURE_NAMES.index("years_before")
_IS_LABEL = FEATURE_NAMES.index("is_label_text")
_CERT_DATES = ("issue_date", "incapacity_start", "incapacity_end")
_PEOPLE = ("patient_name", "practitioner_name")


@dataclass
class Rankers:
    """The fitted per-field models, their version and the features they read."""

    models: dict[str, Any]
    version: str = VERSION
    features: tuple[str, ...] = FEATURE_NAMES
    trained_on: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> Rankers | None:
        """The rankers shipped at ``path``; ``None`` when missing or fitted on other features
        (the rules then decide alone)."""
        if not path.exists():
            log.info("no field rankers at %s: fields come from the rules", path)
            return None
        import joblib

        data = joblib.load(path)
        if tuple(data.get("features", ())) != FEATURE_NAMES:
            log.warning("field rankers at %s were fitted on other features: not used", path)
            return None
        return cls(models=data["models"], version=data["version"],
                   features=tuple(data["features"]), trained_on=data.get("trained_on", {}))

    def save(self, path: Path) -> None:
        import joblib

        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump({"models": self.models, "version": self.version,
                     "features": list(self.features), "trained_on": self.trained_on},
                    path, compress=3)

    def choose(self, doc: Any, doc_type: DocType, rules: dict[str, ExtractedField]
               ) -> dict[str, ExtractedField]:
        """The rules' fields with the ranked fields chosen by the models instead."""
        wanted = [f for f in FIELDS_BY_TYPE.get(doc_type, ()) if f in self.models]
        if not wanted:
            return rules
        chosen = decide(self.models, prepare(doc, wanted, rules))
        out = dict(rules)
        for name in wanted:
            if name in FILL_ONLY and name in rules:
                continue
            pick = chosen.get(name)
            if pick is None:
                out.pop(name, None)
                continue
            prob, cand = pick
            rule = rules.get(name)
            if rule is not None and rule.page == cand.row.page and \
                    same_reading(rule.value, cand.value):
                # the rules' reading of the same value: theirs is mended from surer readings
                out[name] = rule.model_copy(update={"confidence": round(prob, 3)})
                continue
            out[name] = ExtractedField(value=cand.value, confidence=round(prob, 3),
                                       page=cand.row.page, bbox=cand.bbox)
        return out


#: Fields the rankers only fill where the rules find nothing, never override: the generator's
#: invoice customers do not carry to real invoices' buyer blocks (Factur-X visible text:
#: customer_name right 29 of 29 by the rules, 1 of 29 when ranked).
FILL_ONLY = frozenset({"customer_name"})

Prepared = dict[str, tuple[list[Any], np.ndarray]]


def prepare(doc: Any, wanted: Iterable[str], rules: dict[str, ExtractedField]) -> Prepared:
    """Per field, its candidates on the document and their features."""
    shared = DocFeatures.of(doc)
    out: Prepared = {}
    for name in wanted:
        pool, runs = candidates_for(doc, name, rules.get(name))
        x = feature_matrix(doc, name, pool, runs, rules.get(name), shared)
        out[name] = (pool, x)
    return out


def decide(models: dict[str, Any], prepared: Prepared) -> dict[str, tuple[float, Any]]:
    """Per field with a model, its best candidate and probability under the constraints
    (absent when none is likely enough)."""
    options: dict[str, list[tuple[float, Any, Any]]] = {}
    for name, (pool, x) in prepared.items():
        if name not in models:
            continue
        if not pool:
            options[name] = []
            continue
        p = models[name].predict_proba(x)[:, 1]
        options[name] = _ranked(name, pool, x, p)
    return {k: (v[0], v[1]) for k, v in _joint(options).items()}


def _ranked(name: str, pool: Sequence[Any], x: np.ndarray, p: np.ndarray
            ) -> list[tuple[float, Any, Any]]:
    """The field's candidates by probability, one per value, less those a constraint bars."""
    order = np.argsort(-p, kind="stable")
    seen: set[str] = set()
    out: list[tuple[float, Any, Any]] = []
    for i in order:
        c = pool[i]
        if RANKED_FIELDS[name] == NAME and x[i, _IS_LABEL] >= 0.9:
            continue  # a form's label is no name
        if name in _CERT_DATES and (x[i, _BIRTH] >= 0.85 or x[i, _YEARS] > 5.0):
            continue  # a date of birth
        key = " ".join(fold(format_value(c.value)).split())
        if key in seen:
            continue
        seen.add(key)
        out.append((float(p[i]), c, c.value))
        if len(out) >= _TOP:
            break
    return out


def _joint(options: dict[str, list[tuple[float, Any, Any]]]
           ) -> dict[str, tuple[float, Any, Any]]:
    """The best choice per field under the joint constraints."""
    chosen: dict[str, tuple[float, Any, Any]] = {}
    for name, opts in options.items():
        ok = [o for o in opts if o[0] >= THRESHOLD]
        if ok:
            chosen[name] = ok[0]
    # the incapacity starts on or before it ends: the likeliest pair that holds
    if "incapacity_start" in options and "incapacity_end" in options:
        starts = [o for o in options["incapacity_start"] if o[0] >= THRESHOLD]
        ends = [o for o in options["incapacity_end"] if o[0] >= THRESHOLD]
        pairs = [(s[0] * e[0], s, e) for s in starts for e in ends
                 if isinstance(s[2], date) and isinstance(e[2], date) and s[2] <= e[2]]
        if pairs:
            _, s, e = max(pairs, key=lambda t: t[0])
            chosen["incapacity_start"], chosen["incapacity_end"] = s, e
        elif starts and ends:
            weaker = "incapacity_start" if starts[0][0] < ends[0][0] else "incapacity_end"
            chosen.pop(weaker, None)
    # the patient and the practitioner are two people
    if all(n in chosen for n in _PEOPLE):
        a, b = (chosen[n] for n in _PEOPLE)
        if format_value(a[2]).casefold() == format_value(b[2]).casefold():
            weaker = _PEOPLE[0] if a[0] < b[0] else _PEOPLE[1]
            alt = [o for o in options[weaker] if o[0] >= THRESHOLD
                   and format_value(o[2]).casefold() != format_value(a[2]).casefold()]
            if alt:
                chosen[weaker] = alt[0]
            else:
                chosen.pop(weaker)
    return chosen


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class Example:
    """A document to learn from: its pages, type, expected fields and layout family."""

    pages: tuple[Page, ...]
    doc_type: DocType
    truth: dict[str, str]
    family: str


def same_value(name: str, got: object, want: str) -> bool:
    """Whether an extracted value is the expected one (names: case and spaces folded)."""
    value = format_value(got)  # type: ignore[arg-type]
    if RANKED_FIELDS.get(name) == NAME or name.endswith("_name"):
        return " ".join(value.split()).casefold() == " ".join(want.split()).casefold()
    return value == want


@dataclass
class Table:
    """Training rows of one field: features, labels, and the example each row comes from."""

    x: list[np.ndarray] = field(default_factory=list)
    y: list[np.ndarray] = field(default_factory=list)
    doc: list[np.ndarray] = field(default_factory=list)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.x:
            n = len(FEATURE_NAMES)
            return np.zeros((0, n)), np.zeros(0), np.zeros(0)
        return np.vstack(self.x), np.concatenate(self.y), np.concatenate(self.doc)


def tables(examples: Iterable[Example], extractor: Any | None = None) -> dict[str, Table]:
    """Per field, the candidates' features of every example and whether each is the value."""
    out: dict[str, Table] = {}
    for k, (example, _, prepared) in enumerate(prepared_examples(examples, extractor)):
        add_rows(out, k, example, prepared)
    return out


def prepared_examples(examples: Iterable[Example], extractor: Any | None = None
                      ) -> Iterator[tuple[Example, dict[str, ExtractedField], Prepared]]:
    """Each example with the rules' fields and its ranked fields' candidates and features."""
    from extract.fields.layout_extractor import LayoutFieldExtractor

    ex = extractor or LayoutFieldExtractor(rankers=None)
    for example in examples:
        doc, rules = ex.rules(example.pages, example.doc_type)
        if doc is None:
            yield example, rules, {}
            continue
        wanted = [n for n in FIELDS_BY_TYPE.get(example.doc_type, ()) if n in RANKED_FIELDS]
        yield example, rules, prepare(doc, wanted, rules)


def add_rows(out: dict[str, Table], k: int, example: Example, prepared: Prepared) -> None:
    for name, (pool, x) in prepared.items():
        if not pool:
            continue
        want = example.truth.get(name)
        # a name is the right person even where OCR dropped an accent of it
        y = np.array([want is not None and (same_value(name, c.value, want) or (
            RANKED_FIELDS[name] == NAME and same_reading(c.value, want))) for c in pool],
            dtype=int)
        t = out.setdefault(name, Table())
        t.x.append(x)
        t.y.append(y)
        t.doc.append(np.full(len(pool), k))


def fit(tabs: dict[str, Table], *, fast: bool = False) -> Rankers:
    """One calibrated classifier per field with both classes in its table."""
    models: dict[str, Any] = {}
    counts: dict[str, Any] = {}
    for name, t in sorted(tabs.items()):
        x, y, _ = t.arrays()
        if len(set(y.tolist())) < 2 or y.sum() < 6:
            log.warning("%s: too few positive examples (%d): left to the rules", name, y.sum())
            continue
        models[name] = fit_field(x, y, fast=fast)
        counts[name] = {"rows": int(len(y)), "positives": int(y.sum())}
    return Rankers(models=models, trained_on=counts)


def fit_field(x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None, *,
              fast: bool = False) -> Any:
    """One field's calibrated classifier on its rows (``weight``: per row, e.g. a
    gestionnaire's correction counting more than a generated page)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier

    base = HistGradientBoostingClassifier(
        max_iter=60 if fast else 150, learning_rate=0.1, max_leaf_nodes=15,
        min_samples_leaf=10, l2_regularization=1.0, random_state=0,
    )
    model = CalibratedClassifierCV(base, method="isotonic", cv=3)
    if weight is None:
        model.fit(x, y)
    else:
        model.fit(x, y, sample_weight=weight)
    return model


def evaluate(rankers: Rankers | None, examples: Iterable[Example],
             extractor: Any | None = None) -> dict[str, list[int]]:
    """Per ranked field: [right, extracted, expected] over the examples."""
    counts: dict[str, list[int]] = {}
    for example, rules, prepared in prepared_examples(examples, extractor):
        values: dict[str, Any] = {k: f.value for k, f in rules.items()}
        if rankers is not None:
            values = final_values(rules, decide(rankers.models, prepared), rankers.models)
        count(counts, example, values)
    return counts


def final_values(rules: dict[str, ExtractedField], chosen: dict[str, tuple[float, Any]],
                 models: dict[str, Any]) -> dict[str, Any]:
    """The values ``Rankers.choose`` returns, from the rules' fields and ``decide``'s picks."""
    values: dict[str, Any] = {k: f.value for k, f in rules.items() if k not in models}
    for k, (_, c) in chosen.items():
        rule = rules.get(k)
        same = rule is not None and rule.page == c.row.page and same_reading(rule.value, c.value)
        values[k] = rule.value if same and rule is not None else c.value
    return values


def count(counts: dict[str, list[int]], example: Example, values: dict[str, Any]) -> None:
    """Adds one example's right, extracted and expected ranked fields to ``counts``."""
    for name in FIELDS_BY_TYPE.get(example.doc_type, ()):
        if name not in RANKED_FIELDS:
            continue
        got = values.get(name)
        want = example.truth.get(name)
        c = counts.setdefault(name, [0, 0, 0])
        c[0] += got is not None and want is not None and same_value(name, got, want)
        c[1] += got is not None
        c[2] += want is not None


def f1(c: Sequence[int]) -> float:
    right, got, want = c
    if not got and not want:
        return 1.0
    p = right / got if got else 0.0
    r = right / want if want else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def generated_examples(seed: int, n: int, families: Sequence[str] | None = None
                       ) -> list[Example]:
    from samples.synth.layouts import FAMILIES, generate

    return [Example(d.pages, d.doc_type, d.truth, d.family)
            for d in generate(seed, n, families=families or FAMILIES)]


PAGE_CACHE = Path(os.environ.get("MAILROOM_PAGE_CACHE", "/tmp/mailroom-fields-pages"))
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}


def pdf_pages(path: Path) -> list[Page]:
    """Pages of a born-digital PDF from its text layer (no OCR)."""
    from extract.pdf_text import read_text_layers

    return [
        Page(
            number=p.index + 1,
            width=p.width,
            height=p.height,
            text=p.text,
            words=p.words,
            text_source="pdf_text",
        )
        for p in read_text_layers(path, 20)
    ]


def sample_pages(path: Path, rendering: str) -> list[Page]:
    """The pages of one sample: the text layer when born digital, else the real reader's OCR
    (cached under ``MAILROOM_PAGE_CACHE`` by file name and content digest)."""
    if rendering == "born_digital" and path.suffix.lower() == ".pdf":
        return pdf_pages(path)
    import hashlib
    import json

    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    cache = PAGE_CACHE / f"{path.stem}-{digest}.json"
    if cache.exists():
        return [Page.model_validate(p) for p in json.loads(cache.read_text())]
    from extract.reader import Reader
    from extract.settings import OcrSettings
    from mailroom.settings import LimitSettings

    with Reader(OcrSettings(workers=1, keep_page_images=False), LimitSettings()) as reader:
        pages = reader.read(path, MEDIA_TYPES[path.suffix.lower()]).pages
    PAGE_CACHE.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps([p.model_dump(mode="json") for p in pages]))
    return pages


def sample_examples(samples: Path, *, read_images: bool) -> list[Example]:
    """The project's samples of the ranked types with their expected fields: born-digital
    PDFs from their text layer; the scans and photos too (read by OCR, cached) when
    ``read_images``."""
    import json

    ranked_types = {t for t, names in FIELDS_BY_TYPE.items() if set(names) & set(RANKED_FIELDS)}
    out: list[Example] = []
    for js in sorted((samples / "expected").glob("*.json")):
        want = json.loads(js.read_text())
        path = samples / want.get("file", "")
        rendering = want.get("rendering", "")
        if want.get("doc_type") not in {t.value for t in ranked_types} or \
                path.suffix.lower() not in (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"):
            continue
        born_digital = rendering == "born_digital" and path.suffix.lower() == ".pdf"
        if not born_digital and not read_images:
            continue
        pages = pdf_pages(path) if born_digital else sample_pages(path, rendering)
        out.append(Example(tuple(pages), DocType(want["doc_type"]),
                           dict(want.get("fields", {})), "samples"))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Fit the field rankers on generated layouts.")
    ap.add_argument("--out", type=Path, default=MODEL_FILE.parent,
                    help="folder to write rankers.joblib in")
    ap.add_argument("--docs", type=int, default=960, help="generated documents to fit on")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--samples", type=Path, default=None,
                    help="also fit on this samples/ folder's documents of the ranked types "
                    "(scans read by OCR once, cached)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t = time.monotonic()
    examples = generated_examples(args.seed, args.docs)
    if args.samples is not None:
        own = sample_examples(args.samples, read_images=True)
        examples += own
        print(f"fitting on {len(own)} documents of {args.samples} too")
    tabs = tables(examples)
    rankers = fit(tabs)
    rankers.trained_on["documents"] = len(examples)
    rankers.trained_on["seed"] = args.seed
    rankers.trained_on["samples"] = str(args.samples) if args.samples else None
    out = args.out / MODEL_FILE.name
    rankers.save(out)
    held = generated_examples(args.seed + 1, max(args.docs // 4, 24))
    for name, c in sorted(evaluate(rankers, held).items()):
        print(f"{name:20s} held-out generated F1 {f1(c):.3f}  ({c[0]}/{c[1]} got, {c[2]} want)")
    print(f"wrote {out} ({VERSION}, {len(rankers.models)} fields) in "
          f"{time.monotonic() - t:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
