"""Forms filled in boxes (a sick-leave notice's dates one digit a box, read clean or through
a scan whose boxes' sides come out as brackets, bars and ones), each on a small page built in
the test (words with boxes, no OCR)."""

from __future__ import annotations

from datetime import date

import pytest

from extract.fields import LayoutFieldExtractor
from extract.fields.candidates import boxed_dates
from mailroom.models import DocType, Page
from tests.unit.laid_out import Piece, laid_out_page


@pytest.fixture(scope="module")
def extractor() -> LayoutFieldExtractor:
    return LayoutFieldExtractor()


def _form(*lines: str) -> Page:
    pieces: list[Piece] = [(40, 40 + 25 * i, text) for i, text in enumerate(lines)]
    return laid_out_page(*pieces)


@pytest.mark.parametrize(("text", "want"), [
    ("du 0 4 1 1 2 0 2 5 au 1 9 1 1 2 0 2 5", [date(2025, 11, 4), date(2025, 11, 19)]),
    ("le 04|11|2025", [date(2025, 11, 4)]),
    ("le 0 4 | 1 1 | 2 0 2 5", [date(2025, 11, 4)]),
    # a scan: the boxes' sides read as brackets, bars, slashes, and a side read as a one
    ("du [0]411[1/2[0[2]5| au", [date(2025, 11, 4)]),
    ("le [0 |4[1|1|[2|0|2|5|", [date(2025, 11, 4)]),
    ("au 1119111112101215| inclus", [date(2025, 11, 19)]),
])
def test_dates_in_boxes_are_read(text: str, want: list[date]) -> None:
    assert [d for d, _, _ in boxed_dates(text)] == want


@pytest.mark.parametrize("text", [
    "N° 2 8 4 0 5 7 5 1 1 2 3 4 5",  # thirteen digits: a registration number
    "réf 04112025",  # no box: a number
    "Total 1 250 300",  # not cut as a day, a month and a year
    "tél 06 71 33 90 12",
    "[1[2[3[4[5[6[7[8]",  # no real date however the sides are read
])
def test_other_digit_runs_are_no_boxed_date(text: str) -> None:
    assert boxed_dates(text) == []


def test_sick_leave_period_and_issue_date_in_boxes(extractor: LayoutFieldExtractor) -> None:
    page = _form(
        "avis d'arrêt de travail",
        "identification de l'assuré(e)",
        "Nom Prénom BRAULT Anselme",
        "Né(e) le 1 4 0 2 1 9 8 1",
        "arrêt de travail",
        "du 0 4 1 1 2 0 2 5 au 1 9 1 1 2 0 2 5 inclus",
        "Fait le 0 4 1 1 2 0 2 5 Signature du médecin",
        "La loi n° 78-17 du 6 janvier 1978 relative à l'informatique s'applique",
    )
    fields = extractor.extract([page], DocType.MEDICAL_CERTIFICATE)
    assert fields["incapacity_start"].value == date(2025, 11, 4)
    assert fields["incapacity_end"].value == date(2025, 11, 19)
    assert fields["issue_date"].value == date(2025, 11, 4)


def test_scanned_boxes_give_the_period(extractor: LayoutFieldExtractor) -> None:
    page = _form(
        "avis d'arrêt de travail",
        "Nom Prénom BRAULT Anselme",
        "arrêt de travail",
        "du [0]411[1/2[0[2]5| au [1[9[1]1[2]0[2[5] inclus",
        "Fait le [0 |4[1|1|[2|0|2|5| Signature du médecin",
    )
    fields = extractor.extract([page], DocType.MEDICAL_CERTIFICATE)
    assert fields["incapacity_start"].value == date(2025, 11, 4)
    assert fields["incapacity_end"].value == date(2025, 11, 19)
