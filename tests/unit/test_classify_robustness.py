"""The classifier on documents unlike the French training set: foreign invoices, short slips,
scraps, OCR'd tables; and the tools that measure its calibration."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from classify.calibration import expected_calibration_error, reliability
from classify.model import DEFAULT_MODEL_PATH, SklearnClassifier
from classify.train import augment, crop_lines, fragment, main, split_columns
from mailroom.classify_eval import sroie_text
from mailroom.models import DocType

LONG = "\n".join(
    [
        "Garage du Centre SARL",
        "12 rue des Lilas 69003 Lyon",
        "FACTURE N° F2026-0042",
        "Date : 12/03/2026",
        "Client : Claire MARTIN",
        "Remorquage véhicule 150,00",
        "Total HT 150,00 €",
        "TVA 20 % 30,00 €",
        "Total TTC 180,00 €",
        "IBAN FR76 3000 6000 0112 3456 7890 189",
    ]
)


def test_crop_lines_keeps_a_run_of_consecutive_lines() -> None:
    for seed in range(20):
        cropped = crop_lines(LONG, random.Random(seed)).splitlines()
        assert 3 <= len(cropped) < len(LONG.splitlines())
        start = LONG.splitlines().index(cropped[0])
        assert LONG.splitlines()[start : start + len(cropped)] == cropped


def test_fragment_is_one_to_three_lines_of_the_text() -> None:
    for seed in range(20):
        scrap = fragment(LONG, random.Random(seed)).splitlines()
        assert 1 <= len(scrap) <= 3
        assert all(line in LONG.splitlines() for line in scrap)


def test_split_columns_puts_amounts_on_their_own_lines_and_keeps_every_word() -> None:
    text = "AMOUNT DUE £49.00\nCASH 50.00\nTotal TTC : 123,45 €"
    outs = [split_columns(text, random.Random(seed)) for seed in range(30)]
    assert any("50.00" in out.splitlines() for out in outs)
    assert any(out.splitlines()[0] == "AMOUNT DUE" for out in outs)
    for out in outs:
        assert sorted(out.replace(":", " ").split()) == sorted(text.replace(":", " ").split())


def test_augment_adds_cropped_column_and_scrap_variants() -> None:
    data = augment(
        [(LONG, DocType.INVOICE)],
        noisy_copies=0,
        foreign_share=0,
        short_share=0,
        crop_share=1.0,
        fragment_share=1.0,
        column_share=1.0,
        seed=1,
    )
    assert len(data) == 4 and {d for _, d in data} == {DocType.INVOICE}
    texts = [t for t, _ in data]
    assert texts[0] == LONG
    assert all(len(t.splitlines()) != len(LONG.splitlines()) for t in texts[1:])


def test_reliability_bins_report_accuracy_against_confidence() -> None:
    pairs = [(0.95, True)] * 9 + [(0.96, False)] + [(0.6, True), (0.6, False)]
    bins = reliability(pairs)
    top = next(b for b in bins if b.low == 0.95)
    assert top.n == 10 and top.accuracy == pytest.approx(0.9)
    mid = next(b for b in bins if b.low == 0.5)
    assert mid.n == 2 and mid.accuracy == pytest.approx(0.5)
    assert expected_calibration_error([(0.9, True)] * 9 + [(0.9, False)]) == pytest.approx(0.0)
    assert expected_calibration_error([(0.99, False)] * 4) == pytest.approx(0.99)


def test_sroie_box_text_keeps_commas_inside_the_text(tmp_path: Path) -> None:
    box = tmp_path / "000.csv"
    box.write_text(
        "72,25,326,25,326,64,72,64,SHOP NAME\n"
        "110,144,383,144,383,163,110,163,NO.53 55,57 & 59, JALAN\n"
        "1,2,3\n",
        "utf-8",
    )
    assert sroie_text(box) == "SHOP NAME\nNO.53 55,57 & 59, JALAN"


def test_train_accepts_the_separator_mailroom_passes_on(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--", "--help"], out=io.StringIO())
    assert e.value.code == 0


# ----------------------------------------------------------------------- the shipped model
# Hand-written documents in the style of what reaches a travel-assistance mailroom from
# abroad; none comes from the generator or from the evaluation sets.

FOREIGN_INVOICES = {
    "en": "Seaview Guest House\n14 Marine Parade, Brighton BN2 1TL\nINVOICE No. 2291\n"
    "Date: 3 August 2026\n2 nights B&B 180.00\nVAT 20% 36.00\nTotal due £216.00",
    "de": "Autoservice Krämer GmbH\nLindenweg 3, 93047 Regensburg\nRechnung Nr. 4471\n"
    "Datum: 12.07.2026\nReparatur Kühlerschlauch 142,00\nMwSt. 19% 26,98\n"
    "Gesamtbetrag 168,98 EUR",
    "es": "Hostal Las Palmeras\nC/ Real 8, 03001 Alicante\nFactura 2026/118\n"
    "Fecha: 04/09/2026\n3 noches 165,00\nIVA 10% 16,50\nImporte total 181,50 €",
    "it": "Officina Moretti snc\nVia Emilia 45, 40121 Bologna\nFattura n. 87/2026\n"
    "Data 22/06/2026\nSostituzione batteria 120,00\nIVA 22% 26,40\nTotale 146,40 €",
}
ENGLISH_LETTER = (
    "Dear Sir or Madam,\nI am writing regarding my travel insurance policy. During my trip to "
    "Lisbon I was admitted to hospital and paid the bill myself. Please reimburse the enclosed "
    "expenses of 640 euros to my bank account.\nYours faithfully,\nPeter Collins"
)
ENGLISH_RECEIPT = (
    "TESCO EXPRESS\nPiccadilly, London\n12/05/2026 14:03\nMeal deal 3.99\nWater 0.85\n"
    "TOTAL 4.84\nCONTACTLESS VISA 4.84\nChange 0.00\nThank you for shopping"
)
shipped = pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(), reason="no shipped model")


@shipped
@pytest.mark.parametrize("language", sorted(FOREIGN_INVOICES))
def test_a_short_foreign_invoice_is_an_invoice_not_a_receipt(language: str) -> None:
    result = SklearnClassifier().classify_text(FOREIGN_INVOICES[language])
    assert result.doc_type == DocType.INVOICE, result
    assert result.scores[DocType.RECEIPT] < 0.3


@shipped
def test_an_english_claim_letter_is_a_confident_claim_letter() -> None:
    result = SklearnClassifier().classify_text(ENGLISH_LETTER)
    assert result.doc_type == DocType.CLAIM_LETTER and result.confidence > 0.8


@shipped
def test_an_english_till_ticket_stays_a_receipt() -> None:
    result = SklearnClassifier().classify_text(ENGLISH_RECEIPT)
    assert result.doc_type == DocType.RECEIPT and result.confidence > 0.8


@shipped
def test_scraps_get_a_lower_confidence_than_whole_documents() -> None:
    classifier = SklearnClassifier()
    whole = classifier.classify_text(FOREIGN_INVOICES["de"]).confidence
    for scrap in ("Total 12,50 EUR", "Claire MARTIN 12 rue des Lilas", "Datum: 12.07.2026"):
        assert classifier.classify_text(scrap).confidence < min(0.75, whole)


@shipped
def test_generated_report_scores_french_and_foreign_documents_and_their_variants(
    tmp_path: Path,
) -> None:
    import json

    from mailroom.classify_eval import generated_report

    expected = tmp_path / "expected"
    expected.mkdir()
    for name, text, doc_type in (
        ("invoice-00-garage-fr-born_digital.json", LONG, "invoice"),
        ("invoice-x00-hotel-en-born_digital.json", FOREIGN_INVOICES["en"], "invoice"),
        ("receipt-x01-cafe-en-born_digital.json", ENGLISH_RECEIPT, "receipt"),
    ):
        record = {"doc_type": doc_type, "pages": [{"text": text}]}
        (expected / name).write_text(json.dumps(record), "utf-8")
    out = io.StringIO()
    pairs = generated_report(tmp_path, SklearnClassifier(), out)
    report = out.getvalue()
    assert len(pairs) == 3 * 4  # three documents, four variants each
    for line in ("french, as written", "foreign, scrap", "foreign invoices, cut short"):
        assert line in report
    assert "reliability on 12" in report


def test_a_narrow_page_shifts_a_hesitation_towards_receipt_but_not_a_clear_answer() -> None:
    from classify.model import SklearnClassifier
    from mailroom.models import Page

    classifier = SklearnClassifier()
    hesitant = "TAX INVOICE\nSUBTOTAL 12.00\nGST 0.72\nTOTAL 12.72\nCASH 20.00\nCHANGE 7.28"
    letter = (
        "Madame, Monsieur,\nSuite à la panne de mon véhicule le 3 mars, je vous prie de bien "
        "vouloir me rembourser les frais engagés.\nDossier AST-2026-004217.\nClaire MARTIN"
    )

    def doc(text: str, width: float, height: float) -> list[Page]:
        return [Page(number=1, width=width, height=height, text=text, text_source="ocr")]

    tall = classifier.classify(doc(hesitant, 200, 700))
    a4 = classifier.classify(doc(hesitant, 595, 842))
    assert tall.scores[DocType.RECEIPT] > a4.scores[DocType.RECEIPT]
    assert tall.doc_type is DocType.RECEIPT
    assert classifier.classify(doc(letter, 200, 700)).doc_type is DocType.CLAIM_LETTER


def test_a_till_slip_photographed_on_a_wide_page_counts_as_narrow_by_its_lines() -> None:
    from classify.model import SklearnClassifier
    from mailroom.models import BBox, Page, Word

    hesitant = ("TAX INVOICE\nSUBTOTAL 12.00\nGST 0.72\nTOTAL 12.72\nCASH 20.00\n"
                "CHANGE 7.28\nTHANK YOU")

    def page(line_chars: int) -> Page:
        """The text set 5 points a character from x = 20 on an A4 page, its lines as wide as
        ``line_chars`` characters (a price at the right end of each)."""
        words = []
        for n, line in enumerate(hesitant.splitlines()):
            label, _, price = line.rpartition(" ")
            x = 20.0
            for tok in label.split():
                words.append(Word(text=tok, bbox=BBox(x0=x, y0=100 + 12 * n, x1=x + 5 * len(tok),
                                                      y1=110 + 12 * n)))
                x += 5 * (len(tok) + 1)
            right = 20.0 + 5 * line_chars
            words.append(Word(text=price, bbox=BBox(x0=right - 5 * len(price), y0=100 + 12 * n,
                                                    x1=right, y1=110 + 12 * n)))
        return Page(number=1, width=595, height=842, text=hesitant, words=tuple(words),
                    text_source="ocr")

    slip, a4_print = page(40), page(100)  # a till roll's 40 characters a line, or an A4's 100
    assert slip.prints_as_till_roll() and not a4_print.prints_as_till_roll()
    classifier = SklearnClassifier()
    assert classifier.classify([slip]).scores[DocType.RECEIPT] > \
        classifier.classify([a4_print]).scores[DocType.RECEIPT]
