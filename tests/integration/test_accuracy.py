"""Accuracy regression: fails when the product reads worse than the issue's bars (samples/,
invoice2data, Factur-X) or, on SROIE, a little under what it measured (figures from
`mailroom eval`; the README's accuracy section has them all)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailroom.evaluation import eval_facturx, eval_invoice2data, eval_sroie, score_samples
from mailroom.models import Document
from mailroom.settings import Settings

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]

# The bars on samples/ (#3), not floors under the measured figures: these tests fail the
# day the product reads the samples worse than the bars. Measured 2026-12-06 in brackets.
SAMPLES_TYPE_ACCURACY = 0.99  # (1.000)
SAMPLES_F1 = {  # rendering -> bar of the field F1
    "rendering:born_digital": 0.97,  # (1.000)
    "rendering:clean_scan": 0.97,  # (0.980)
    "rendering:email": 0.93,  # (0.993)
    "rendering:rotated": 0.93,  # (0.989)
    "rendering:photo": 0.93,  # (0.989)
    "rendering:degraded_scan": 0.93,  # (0.990)
}
SAMPLES_FIELD_F1 = 0.85  # no field below (lowest: customer_name 0.909)


def test_samples_type_accuracy_and_field_f1_per_rendering(
    sample_run: dict[Path, list[Document]], samples_dir: Path
) -> None:
    score = score_samples(samples_dir, sample_run).as_dict()
    assert score["type_accuracy"] >= SAMPLES_TYPE_ACCURACY, score["errors"][:20]
    below = {
        group: score["groups"][group]["field_f1"]
        for group, floor in SAMPLES_F1.items()
        if score["groups"][group]["field_f1"] < floor
    }
    assert not below, (below, score["errors"][:40])
    weak = {
        name: counts["f1"]
        for name, counts in score["fields"].items()
        if counts["f1"] < SAMPLES_FIELD_F1
    }
    assert not weak, (weak, score["errors"][:40])


def test_samples_matching_makes_no_wrong_automatic_match(
    sample_run: dict[Path, list[Document]], samples_dir: Path
) -> None:
    extra = score_samples(samples_dir, sample_run).extra
    assert extra["wrong automatic matches"] == 0, extra.get("matching errors")


@pytest.mark.evaldata
def test_invoice2data_number_date_and_total(eval_data_dir: Path) -> None:
    """The bar: number, date and total incl. tax all right on >= 90 % of the invoices (14/15)."""
    score = eval_invoice2data(Settings(), eval_data_dir / "invoice2data-compare")
    right = sum(ok for ok, _ in score.rates.values())
    total = sum(n for _, n in score.rates.values())
    assert total and right / total >= 0.90, (score.rates, score.errors)


@pytest.mark.evaldata
def test_facturx_xml_is_exact_and_visible_text_close(eval_data_dir: Path) -> None:
    """The bars: 100 % through the XML, >= 0.95 from the visible text alone (0.962)."""
    text, xml = eval_facturx(Settings(), eval_data_dir / "facturx-fr")
    assert xml.as_dict()["field_f1"] == 1.0, xml.errors
    assert text.as_dict()["field_f1"] >= 0.95, text.errors


@pytest.mark.evaldata
def test_sroie_date_total_and_company_from_our_own_ocr(eval_data_dir: Path) -> None:
    """100 till receipts from their raw images (about six minutes). Floors a little under the
    measured 0.96 / 0.96 / 0.88 (the bars are 0.95 / 0.95 / 0.85): one receipt read differently by
    another build of the OCR engines must not fail the suite, a rule that stops working must."""
    fields = eval_sroie(Settings(), eval_data_dir / "sroie-subset").as_dict()["fields"]
    floors = {"receipt_date": 0.93, "total_incl_tax": 0.93, "merchant_name": 0.84}
    low = {n: fields[n]["recall"] for n, floor in floors.items() if fields[n]["recall"] < floor}
    assert not low, low
