"""Matching measured on the committed samples' truth (fields and texts, no OCR)."""

from __future__ import annotations

from pathlib import Path

from validate.dossiers import load_dossiers
from validate.evaluate_matching import cases_from_expected, score_matching
from validate.settings import DossierSettings

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_samples_have_no_wrong_automatic_match_and_98_percent_right_outcomes() -> None:
    dossiers, errors = load_dossiers(SAMPLES / "dossiers.json")
    assert errors == []
    cases = cases_from_expected(SAMPLES / "expected")
    assert len(cases) >= 40
    result = score_matching(cases, dossiers, DossierSettings())
    assert result["wrong_automatic_matches"] == 0, [
        d for d in result["details"] if d["outcome"] == "wrong"
    ]
    assert result["correct_share"] >= 0.98
    assert result["automatic_share"] >= 0.4  # matching is not just sending everything to review


def test_a_wrong_automatic_match_is_counted_as_such() -> None:
    dossiers, _ = load_dossiers(SAMPLES / "dossiers.json")
    cases = cases_from_expected(SAMPLES / "expected")
    matched = [
        (doc, truth)
        for doc, truth in cases
        if truth is not None and "AST" in doc.text and doc.doc_type is not None
    ][:3]
    assert matched
    liar = [(doc, "AST-0000-000000") for doc, _ in matched]
    result = score_matching(liar, dossiers)
    assert result["right_automatic_matches"] == 0
    assert result["wrong_automatic_matches"] > 0
    assert result["correct_share"] < 1.0
