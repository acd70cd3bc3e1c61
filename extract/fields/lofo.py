"""Leave-one-layout-family-out evaluation of the field rankers (``mailroom eval lofo``).

The generator (``samples.synth.layouts``) draws documents in layout families. For each family,
the rankers are fitted on the documents of all the other families and measured on the
documents of the family left out: a layout the models never saw. The project's own born-digital
samples (their PDF text layer, no OCR) make one more family, ``samples``, never fitted on when
measured. The rules alone are measured on the same documents, for comparison.

Every document is read once (rules, candidates, features); the fits reuse those rows, so the
run is a few minutes on two cores at the default size.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from extract.fields.ranker import (
    Example,
    Prepared,
    Table,
    add_rows,
    count,
    decide,
    f1,
    final_values,
    fit,
    generated_examples,
    prepared_examples,
    sample_examples,
)
from mailroom.models import DocType, ExtractedField

_TYPES = {DocType.MEDICAL_CERTIFICATE, DocType.BANK_DETAILS, DocType.CLAIM_LETTER,
          DocType.INVOICE}


@dataclass
class FamilyScore:
    family: str
    documents: int
    rules: dict[str, list[int]] = field(default_factory=dict)
    ranker: dict[str, list[int]] = field(default_factory=dict)

    @staticmethod
    def pooled(counts: dict[str, list[int]]) -> list[int]:
        return [sum(c[i] for c in counts.values()) for i in range(3)]


@dataclass
class LofoReport:
    families: list[FamilyScore]

    def mean(self, which: str) -> float:
        scores = [f1(FamilyScore.pooled(getattr(f, which))) for f in self.families]
        return sum(scores) / len(scores) if scores else 0.0

    def render(self, out: TextIO = sys.stdout) -> None:
        print("leave-one-layout-family-out: field F1 on the family left out "
              "(ranked fields, pooled)", file=out)
        print(f"{'family':12s} {'docs':>5s} {'rules':>7s} {'ranker':>7s}", file=out)
        for f in self.families:
            print(f"{f.family:12s} {f.documents:5d} {f1(FamilyScore.pooled(f.rules)):7.3f} "
                  f"{f1(FamilyScore.pooled(f.ranker)):7.3f}", file=out)
        print(f"{'mean':12s} {'':5s} {self.mean('rules'):7.3f} {self.mean('ranker'):7.3f}",
              file=out)
        names = sorted({n for f in self.families for n in f.ranker})
        print("per field (all families pooled): rules / ranker", file=out)
        for n in names:
            r = [sum(f.rules.get(n, [0, 0, 0])[i] for f in self.families) for i in range(3)]
            k = [sum(f.ranker.get(n, [0, 0, 0])[i] for f in self.families) for i in range(3)]
            print(f"  {n:20s} {f1(r):.3f} / {f1(k):.3f}", file=out)

    def as_dict(self) -> dict[str, Any]:
        return {
            "families": [{"family": f.family, "documents": f.documents,
                          "rules_f1": round(f1(FamilyScore.pooled(f.rules)), 4),
                          "ranker_f1": round(f1(FamilyScore.pooled(f.ranker)), 4),
                          "rules": f.rules, "ranker": f.ranker} for f in self.families],
            "mean_rules_f1": round(self.mean("rules"), 4),
            "mean_ranker_f1": round(self.mean("ranker"), 4),
        }


def run_lofo(per_family: int = 36, seed: int = 18, samples: Path | None = None,
             families: Sequence[str] | None = None) -> LofoReport:
    """Fit on all families but one, measure on the one left out, for each family."""
    from samples.synth.layouts import FAMILIES

    fams = tuple(families or FAMILIES)
    examples = generated_examples(seed, per_family * len(fams), fams)
    if samples is not None:
        examples += sample_examples(samples, read_images=False)
    prepared: list[tuple[Example, dict[str, ExtractedField], Prepared]] = \
        list(prepared_examples(examples))
    tabs: dict[str, Table] = {}
    for k, (example, _, prep) in enumerate(prepared):
        add_rows(tabs, k, example, prep)
    family_of = np.array([e.family for e, _, _ in prepared])
    report: list[FamilyScore] = []
    for fam in dict.fromkeys(e.family for e, _, _ in prepared):
        held = {i for i, f in enumerate(family_of) if f == fam}
        train: dict[str, Table] = {}
        for name, t in tabs.items():
            x, y, doc = t.arrays()
            keep = ~np.isin(doc, list(held))
            train[name] = Table([x[keep]], [y[keep]], [doc[keep]])
        rankers = fit(train, fast=True)
        score = FamilyScore(fam, len(held))
        for i in sorted(held):
            example, rules, prep = prepared[i]
            count(score.rules, example, {k: f.value for k, f in rules.items()})
            values = final_values(rules, decide(rankers.models, prep), rankers.models)
            count(score.ranker, example, values)
        report.append(score)
    return LofoReport(report)
