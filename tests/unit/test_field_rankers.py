"""The learned field rankers: candidates, features, calibration, the generator, LOFO."""

from __future__ import annotations

import argparse
import io
import json
from contextlib import redirect_stdout
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from extract.fields import LayoutFieldExtractor
from extract.fields.features import FEATURE_NAMES, name_candidates
from extract.fields.layout import build_rows
from extract.fields.ranker import MODEL_FILE, VERSION, Rankers
from mailroom.models import DocType, Page
from samples.synth.layouts import FAMILIES, generate
from tests.unit.laid_out import Piece, laid_out_page


def page(*lines: Piece) -> Page:
    return laid_out_page(*lines, confidence=95.0, text_source="ocr")


@pytest.fixture(scope="module")
def extractor() -> LayoutFieldExtractor:
    return LayoutFieldExtractor()


def _values(extractor: LayoutFieldExtractor, p: Page, doc_type: DocType) -> dict[str, object]:
    return {k: f.value for k, f in extractor.extract([p], doc_type).items()}


# ----------------------------------------------------------------------------- mechanisms


def test_domiciliation_label_beside_the_holder_is_not_part_of_the_name(
    extractor: LayoutFieldExtractor,
) -> None:
    # two columns read as one line: "Domiciliation JEAN DUPONT", the bank under the
    # heading, the holder's address under the name
    p = page(
        (60, 60, "BANQUE POPULAIRE"),
        (60, 100, "RELEVÉ D'IDENTITÉ BANCAIRE"),
        (60, 140, "Domiciliation"),
        (200, 140, "JEAN DUPONT"),
        (60, 155, "BANQUE POPULAIRE LYON"),
        (200, 155, "12 rue des Lilas"),
        (200, 170, "69003 Lyon"),
        (60, 200, "IBAN FR76 3000 4000 0312 3456 7890 143"),
        (60, 215, "BIC CCBPFRPPLYO"),
    )
    assert build_rows(p)[2].text == "Domiciliation JEAN DUPONT"
    assert _values(extractor, p, DocType.BANK_DETAILS).get("account_holder") == "JEAN DUPONT"


def test_date_of_birth_is_neither_the_issue_date_nor_the_incapacity_start(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page(
        (60, 60, "Docteur Paul MARTIN"),
        (200, 130, "CERTIFICAT MÉDICAL"),
        (60, 170, "Nom : Claire DUBOIS"),
        (60, 185, "DDN : 12/03/1980"),
        (60, 215, "Arrêt de travail à compter du 02/03/2026 jusqu'au 09/03/2026"),
        (60, 240, "Lyon, le 02/03/2026"),
    )
    values = _values(extractor, p, DocType.MEDICAL_CERTIFICATE)
    assert date(1980, 3, 12) not in values.values()
    assert values.get("issue_date") == date(2026, 3, 2)
    assert values.get("incapacity_start") == date(2026, 3, 2)
    assert values.get("incapacity_end") == date(2026, 3, 9)


def test_patient_after_a_civility_is_not_the_practitioner_of_the_header(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page(
        (60, 60, "Dr Hélène ROUSSEAU"),
        (60, 75, "Rhumatologue"),
        (60, 90, "12 rue Pasteur"),
        (60, 105, "69003 Lyon"),
        (200, 150, "CERTIFICAT MÉDICAL"),
        (60, 190, "Je soussignée, certifie que l'état de santé de"),
        (60, 205, "Madame Sophie LAMBERT justifie des soins."),
        (60, 240, "Lyon, le 14 mars 2026"),
    )
    values = _values(extractor, p, DocType.MEDICAL_CERTIFICATE)
    assert values.get("patient_name") == "Sophie LAMBERT"
    assert values.get("practitioner_name") == "Hélène ROUSSEAU"


def test_printed_form_label_with_no_value_is_no_name(extractor: LayoutFieldExtractor) -> None:
    p = page(
        (200, 60, "CERTIFICAT MÉDICAL"),
        (60, 100, "Identification du médecin"),
        (60, 115, "Nom Prénom :"),
        (60, 140, "Identification du patient"),
        (60, 155, "Nom Prénom : Julien GIRARD"),
        (60, 200, "Date de l'examen 05/04/2026"),
    )
    values = _values(extractor, p, DocType.MEDICAL_CERTIFICATE)
    assert values.get("patient_name") == "Julien GIRARD"
    assert not any("Nom Prénom" in str(v) for v in values.values())


def test_form_label_under_the_sender_heading_is_not_the_sender(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page(
        (200, 60, "DEMANDE DE REMBOURSEMENT"),
        (60, 100, "Expéditeur"),
        (60, 115, "Nom Prénom"),
        (320, 100, "Destinataire"),
        (320, 115, "Assistance Plus"),
        (60, 160, "Je vous prie de me rembourser la somme de 80,00 €."),
        (60, 190, "Cordialement,"),
    )
    values = _values(extractor, p, DocType.CLAIM_LETTER)
    assert not any("Nom Prénom" in str(v) for v in values.values())
    assert values.get("requested_amount") == Decimal("80.00")


def test_requested_amount_written_in_running_text_over_two_lines(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page(
        (60, 60, "Marc LEBLANC"),
        (60, 75, "8 rue des Lilas"),
        (60, 90, "44000 Nantes"),
        (330, 130, "Assistance Plus"),
        (330, 145, "Service Remboursements"),
        (60, 200, "Objet : demande de remboursement"),
        (60, 230, "Madame, Monsieur,"),
        (60, 250, "Suite à mon dépannage, je vous prie de bien vouloir me rembourser la somme de"),
        (60, 265, "150,00 € que j'ai réglée au garagiste."),
        (60, 300, "Cordialement,"),
        (60, 320, "Marc LEBLANC"),
    )
    values = _values(extractor, p, DocType.CLAIM_LETTER)
    assert values.get("requested_amount") == Decimal("150.00")
    assert values.get("sender_name") == "Marc LEBLANC"


def test_name_candidates_include_the_name_without_its_glued_label() -> None:
    rows = build_rows(page((60, 60, "Domiciliation JEAN DUPONT")))
    values = {c.value for c, *_ in name_candidates(rows)}
    assert "JEAN DUPONT" in values and "Domiciliation JEAN DUPONT" in values


# ----------------------------------------------------------------------------- the models


def test_shipped_rankers_are_versioned_and_calibrated_to_probabilities() -> None:
    rankers = Rankers.load(MODEL_FILE)
    assert rankers is not None and rankers.version == VERSION
    assert {"account_holder", "patient_name", "requested_amount"} <= set(rankers.models)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(200, len(FEATURE_NAMES)))
    grid = np.linspace(-5, 5, 201)
    for model in rankers.models.values():
        p = model.predict_proba(x)[:, 1]
        assert ((p >= 0) & (p <= 1)).all()
        for calibrated in model.calibrated_classifiers_:
            mapped = calibrated.calibrators[0].predict(grid)
            assert (np.diff(mapped) >= -1e-12).all()  # isotonic: monotone in the score
            assert ((mapped >= 0) & (mapped <= 1)).all()


def test_extracted_confidence_is_the_rankers_probability(
    extractor: LayoutFieldExtractor,
) -> None:
    p = page((60, 60, "RIB"), (60, 100, "Titulaire du compte : Anne MOREAU"),
             (60, 120, "IBAN FR76 3000 4000 0312 3456 7890 143"))
    f = extractor.extract([p], DocType.BANK_DETAILS)["account_holder"]
    assert 0.5 <= f.confidence <= 1.0


def test_missing_model_leaves_the_fields_to_the_rules(tmp_path: Path) -> None:
    assert Rankers.load(tmp_path / "none.joblib") is None


# ----------------------------------------------------------------------------- generator


def test_generator_is_deterministic() -> None:
    a, b = generate(7, 12), generate(7, 12)
    assert [d.pages for d in a] == [d.pages for d in b]
    assert [d.truth for d in a] == [d.truth for d in b]
    assert [d.pages for d in generate(8, 12)] != [d.pages for d in a]


def test_generator_varies_layouts_within_a_family() -> None:
    docs = generate(3, 60)
    assert {d.family for d in docs} == set(FAMILIES)
    assert {d.doc_type for d in docs} == {DocType.MEDICAL_CERTIFICATE, DocType.BANK_DETAILS,
                                          DocType.CLAIM_LETTER, DocType.INVOICE}
    inline_ribs = [d for d in docs if d.family == "inline"
                   and d.doc_type is DocType.BANK_DETAILS] + \
        [d for d in generate(4, 60) if d.family == "inline"
         and d.doc_type is DocType.BANK_DETAILS]
    first_lines = {d.pages[0].text.splitlines()[0] for d in inline_ribs}
    starts = {round(d.pages[0].words[0].bbox.x0) for d in inline_ribs}
    assert len(first_lines) > 1 and len(starts) > 1
    for d in docs:
        assert d.pages[0].words and d.truth


# ----------------------------------------------------------------------------- lofo


def test_lofo_command_prints_a_row_per_family_and_the_mean(tmp_path: Path) -> None:
    from mailroom.evaluation import main
    from mailroom.settings import Settings

    families = ["inline", "prose", "table"]
    args = argparse.Namespace(sets=["lofo"], lofo_docs=12, lofo_families=families,
                              samples=tmp_path, eval_data=tmp_path, limit=None,
                              json_out=tmp_path / "lofo.json", errors=0)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(args, Settings()) == 0
    text = out.getvalue()
    for family in families:
        assert f"\n{family} " in text
    assert "\nmean " in text
    report = json.loads((tmp_path / "lofo.json").read_text())[-1]
    assert [f["family"] for f in report["families"]] == families
    assert 0.0 <= report["mean_ranker_f1"] <= 1.0
