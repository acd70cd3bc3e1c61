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


# ----------------------------------------------------------------------------- people


def test_name_rows_under_the_practitioners_and_the_insureds_headings(
    extractor: LayoutFieldExtractor,
) -> None:
    # the same "Nom Prénom" label twice, without its colon: the heading above says whose
    page = _form(
        "avis d'arrêt de travail",
        "identification de l'assuré(e)",
        "Nom Prénom BRAULT Anselme",
        "Né(e) le 1 4 0 2 1 9 8 1",
        "identification du praticien prescripteur",
        "Nom Prénom VIGNAL Odile",
        "Identifiant 1 0 0 0 0 0 0 0 0 0 9",
        "arrêt de travail",
        "du 0 4 1 1 2 0 2 5 au 1 9 1 1 2 0 2 5 inclus",
    )
    fields = extractor.extract([page], DocType.MEDICAL_CERTIFICATE)
    assert fields["patient_name"].value == "BRAULT Anselme"
    assert fields["practitioner_name"].value == "VIGNAL Odile"


def test_surname_over_given_name_is_the_patient(extractor: LayoutFieldExtractor) -> None:
    page = laid_out_page(
        (40, 40, "CENTRE HOSPITALIER DE NULLEPART"),
        (300, 60, "Dr Ysolde Karminski"),
        (300, 75, "Praticien hospitalier"),
        (200, 120, "CERTIFICAT MEDICAL"),
        (50, 160, "Nom : TREMOULET"),
        (50, 175, "Prénom : Baptistin"),
        (50, 190, "DDN : 02/05/1961"),
        (50, 230, "Je soussignée, Docteur Ysolde Karminski, certifie avoir examiné ce jour le"),
        (50, 245, "patient susnommé. Arrêt de travail du 04/11/2025 au 19/11/2025 inclus."),
        (300, 280, "Nullepart, le 04/11/2025"),
    )
    fields = extractor.extract([page], DocType.MEDICAL_CERTIFICATE)
    assert fields["patient_name"].value == "Baptistin TREMOULET"


def test_claim_form_surname_in_its_column_names_the_sender(
    extractor: LayoutFieldExtractor,
) -> None:
    page = laid_out_page(
        (200, 40, "DEMANDE DE REMBOURSEMENT DE FRAIS"),
        (48, 120, "Nom :"), (120, 120, "TREMOULET"),
        (48, 140, "Prénom :"), (120, 140, "Baptistin"),
        (48, 160, "N° de dossier : ZZ-2025-000017"),
        (44, 200, "Nature de la dépense Date Montant"),
        (44, 220, "Frais de remorquage 02/11/25 412,50 €"),
        (44, 240, "Nuit d'hôtel 03/11/25 88,00 €"),
        (284, 270, "TOTAL DEMANDÉ 500,50 €"),
        (44, 310, "Fait à Nullepart, le 09/11/2025 Signature :"),
    )
    fields = extractor.extract([page], DocType.CLAIM_LETTER)
    assert fields["sender_name"].value == "Baptistin TREMOULET"


def test_first_of_the_month_misread_is_a_date(extractor: LayoutFieldExtractor) -> None:
    from extract.fields.candidates import date_candidates
    from extract.fields.layout import build_layout

    page = laid_out_page((40, 40, "Nullepart, le ler novembre 2025"),
                         (40, 60, "repos à compter du Ier mars 2026, soit"))
    found = [c.value for c in date_candidates(build_layout([page]).rows, ["fr"])]
    assert found == [date(2025, 11, 1), date(2026, 3, 1)]
