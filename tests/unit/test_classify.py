from __future__ import annotations

import difflib
import io
import json
import random
from pathlib import Path

import pytest

from classify.base import Classification, Classifier
from classify.fake import FixedClassifier
from classify.features import CUE_NAMES, cue_vector, prepare_text
from classify.lexicon import translate_labels
from classify.model import DEFAULT_MODEL_PATH, SklearnClassifier, classify_pages, load_model
from classify.train import (
    augment,
    evaluate,
    examples_from_expected,
    examples_from_labels,
    main,
    ocr_noise,
    save,
    split,
    train,
)
from mailroom.errors import ConfigurationError
from mailroom.models import DocType, Page

# A small corpus written for these tests: templates with varying names, numbers and dates.
FIRST = ["Claire", "Paul", "Sophie", "Marc", "Nadia", "Louis", "Emma", "Hugo"]
LAST = ["MARTIN", "Durand", "LEROY", "Moreau", "Petit", "GARNIER", "Roux", "Faure"]
TOWNS = ["Lyon", "Nantes", "Lille", "Rennes", "Dijon", "Metz", "Tours", "Nice"]


def _invoice(rng: random.Random) -> str:
    ht = rng.randint(50, 900)
    return (
        f"Garage {rng.choice(LAST)} SARL\n{rng.randint(1, 90)} rue des Lilas {rng.choice(TOWNS)}\n"
        f"SIRET 732 829 320 000{rng.randint(10, 99)}\nFACTURE N° F2026-{rng.randint(100, 999)}\n"
        f"Date : {rng.randint(1, 28):02d}/0{rng.randint(1, 9)}/2026\n"
        f"Remorquage véhicule {ht},00\nTotal HT {ht},00 €\nTVA 20 % {ht // 5},00 €\n"
        f"Total TTC {ht + ht // 5},00 €\nIBAN FR76 3000 6000 0112 3456 7890 189"
    )


def _receipt(rng: random.Random) -> str:
    total = f"{rng.randint(2, 60)},{rng.randint(10, 99)}"
    return (
        f"{rng.choice(['CARREFOUR', 'BOULANGERIE', 'PHARMACIE', 'TOTAL ENERGIES'])}\n"
        f"{rng.choice(TOWNS)}\nTicket {rng.randint(1000, 9999)} Caisse {rng.randint(1, 9)}\n"
        f"{rng.randint(1, 28):02d}/03/2026 {rng.randint(8, 20)}:{rng.randint(10, 59)}\n"
        f"Sandwich {total}\nTOTAL {total} EUR\nCB SANS CONTACT\nMerci de votre visite"
    )


def _medical(rng: random.Random) -> str:
    return (
        f"Dr {rng.choice(FIRST)} {rng.choice(LAST)}\nMédecin généraliste\n"
        f"RPPS 1000{rng.randint(1000000, 9999999)}\nCERTIFICAT MÉDICAL\n"
        f"Je soussigné certifie avoir examiné ce jour {rng.choice(FIRST)} {rng.choice(LAST)}\n"
        f"et constaté une entorse. Arrêt de travail de {rng.randint(2, 15)} jours.\n"
        f"Fait à {rng.choice(TOWNS)} le {rng.randint(1, 28)} mars 2026"
    )


def _rib(rng: random.Random) -> str:
    return (
        f"RELEVÉ D'IDENTITÉ BANCAIRE\nTitulaire du compte : {rng.choice(FIRST)} "
        f"{rng.choice(LAST)}\nBanque 30006 Guichet 00001 Compte 1234567890{rng.randint(1, 9)} "
        f"Clé 89\nIBAN FR76 3000 6000 0112 3456 7890 189\nBIC AGRIFRPP\n"
        f"Domiciliation CA {rng.choice(TOWNS)}"
    )


def _letter(rng: random.Random) -> str:
    return (
        f"{rng.choice(FIRST)} {rng.choice(LAST)}\n{rng.choice(TOWNS)}, le {rng.randint(1, 28)} "
        f"mars 2026\nObjet : demande de remboursement "
        f"dossier AST-2026-00{rng.randint(1000, 9999)}\n"
        f"Madame, Monsieur,\nSuite à la panne de mon véhicule, j'ai avancé les frais "
        f"d'hôtel. Je vous prie de bien vouloir me rembourser la somme de "
        f"{rng.randint(50, 400)} euros.\nVeuillez agréer mes salutations distinguées."
    )


def _other(rng: random.Random) -> str:
    return (
        f"Lettre d'information {rng.choice(['printemps', 'été', 'automne'])} 2026\n"
        f"Partir serein en vacances : vérifiez la pression des pneus et les niveaux.\n"
        f"Notre application évolue : suivez l'arrivée du dépanneur depuis {rng.choice(TOWNS)}.\n"
        f"Plus de {rng.randint(100, 200)} 000 interventions l'an dernier."
    )


MAKERS = {
    DocType.INVOICE: _invoice,
    DocType.RECEIPT: _receipt,
    DocType.MEDICAL_CERTIFICATE: _medical,
    DocType.BANK_DETAILS: _rib,
    DocType.CLAIM_LETTER: _letter,
    DocType.OTHER: _other,
}


def _corpus(n: int, seed: int) -> list[tuple[str, DocType]]:
    rng = random.Random(seed)
    return [(make(rng), doc_type) for doc_type, make in MAKERS.items() for _ in range(n)]


@pytest.fixture(scope="module")
def small_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = train(_corpus(12, seed=1), noisy_copies=1, seed=0)
    return save(model, tmp_path_factory.mktemp("model") / "doctype.joblib")


def _page(text: str) -> Page:
    return Page(number=1, width=595, height=842, text=text, text_source="pdf_text")


def test_a_trained_model_recognises_unseen_documents_of_each_type(small_model_path: Path) -> None:
    classifier = SklearnClassifier(small_model_path)
    for text, doc_type in _corpus(3, seed=99):
        result = classifier.classify([_page(text)])
        assert result.doc_type == doc_type, text
        assert abs(sum(result.scores.values()) - 1.0) < 1e-6
        assert result.confidence == pytest.approx(result.scores[doc_type], abs=1e-4)


def test_the_model_holds_on_ocr_noised_text(small_model_path: Path) -> None:
    classifier = SklearnClassifier(small_model_path)
    rng = random.Random(5)
    held = [(ocr_noise(t, rng, rate=0.08), d) for t, d in _corpus(3, seed=123)]
    report = evaluate(load_model(small_model_path), held)
    assert report["accuracy"] >= 0.85
    assert isinstance(classifier.classify([_page(held[0][0])]), Classification)


@pytest.mark.parametrize("text", ["", "   ", "12", "Page 2/3", "\f\n"])
def test_short_or_empty_text_is_other_with_low_confidence(
    small_model_path: Path, text: str
) -> None:
    result = SklearnClassifier(small_model_path).classify([_page(text)])
    assert result.doc_type == DocType.OTHER
    assert result.confidence < 0.5


def test_classifiers_follow_the_protocol(small_model_path: Path) -> None:
    assert isinstance(SklearnClassifier(small_model_path), Classifier)
    assert isinstance(FixedClassifier(), Classifier)
    fixed = FixedClassifier(DocType.RECEIPT, 0.9).classify([_page("x")])
    assert fixed.doc_type == DocType.RECEIPT and sum(fixed.scores.values()) == pytest.approx(1)


def test_classify_pages_uses_the_given_classifier() -> None:
    result = classify_pages([_page("anything")], FixedClassifier(DocType.BANK_DETAILS))
    assert result.doc_type == DocType.BANK_DETAILS


def test_the_model_is_loaded_once_per_path(small_model_path: Path) -> None:
    assert load_model(small_model_path) is load_model(small_model_path)


def test_a_missing_or_foreign_model_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        load_model(tmp_path / "none.joblib")
    foreign = tmp_path / "foreign.joblib"
    import joblib

    joblib.dump({"not": "a model"}, foreign)
    with pytest.raises(ConfigurationError):
        load_model(foreign)


def test_cues_see_identifiers_and_amounts_whatever_the_language() -> None:
    cues = dict(zip(CUE_NAMES, cue_vector(_rib(random.Random(0))), strict=True))
    assert cues["has_iban"] == 1.0 and cues["has_bic"] == 1.0
    cues = dict(zip(CUE_NAMES, cue_vector("Lorem ipsum dolor sit amet"), strict=True))
    assert cues["has_iban"] == 0.0 and cues["log_amounts"] == 0.0
    receipt = "TOTAL 12,50\nCASH 20,00\nCHANGE 7,50"
    cues = dict(zip(CUE_NAMES, cue_vector(receipt), strict=True))
    assert cues["log_amounts"] > 1.0 and cues["amount_line_ratio"] == 1.0


def test_prepared_text_folds_case_accents_and_digits() -> None:
    assert prepare_text("Total TTC : 1 234,56 €  Réglé") == "total ttc : 0 000,00 € regle"


def test_ocr_noise_changes_text_but_keeps_most_of_it() -> None:
    text = _letter(random.Random(3))
    noisy = ocr_noise(text, random.Random(4), rate=0.08)
    assert noisy != text
    assert 0.6 < difflib.SequenceMatcher(None, text, noisy).ratio() < 0.99


def test_augment_adds_noisy_copies() -> None:
    data = augment(
        _corpus(2, seed=0),
        noisy_copies=2,
        foreign_share=0,
        short_share=0,
        crop_share=0,
        fragment_share=0,
        column_share=0,
        mention_share=0,
        seed=0,
    )
    assert len(data) == 6 * 2 * 3


def test_augment_adds_translated_and_shortened_variants() -> None:
    corpus = [(_invoice(random.Random(1)), DocType.INVOICE)]
    data = augment(
        corpus,
        noisy_copies=0,
        foreign_share=1.0,
        short_share=1.0,
        crop_share=0,
        fragment_share=0,
        column_share=0,
        seed=3,
    )
    assert len(data) == 3
    original, foreign, short = (t for t, _ in data)
    assert "FACTURE" in original and "FACTURE" not in foreign
    assert len(short.splitlines()) < len(original.splitlines())


def test_translate_labels_keeps_capitals() -> None:
    assert translate_labels("FACTURE n° 12\nTotal TTC 12,00", "en") == (
        "INVOICE n° 12\nTotal amount 12,00"
    )


def test_split_keeps_every_type_on_both_sides() -> None:
    kept, held = split(_corpus(10, seed=0), holdout=0.2, seed=0)
    assert {d for _, d in held} == set(MAKERS) == {d for _, d in kept}
    assert len(held) == 12


def _write_expected(root: Path) -> None:
    expected = root / "expected"
    expected.mkdir(parents=True)
    for i, (text, doc_type) in enumerate(_corpus(4, seed=7)):
        record = {"doc_type": doc_type.value, "pages": [{"text": text}, {"text": "page 2"}]}
        (expected / f"{doc_type.value}-{i}.json").write_text(json.dumps(record), "utf-8")
    email = {
        "doc_type": None,
        "parts": [
            {"part": "body", "doc_type": "claim_letter", "pages": [{"text": "Bonjour, ..."}]},
            {"part": "inline", "doc_type": "other", "fields": {}},
        ],
    }
    (expected / "email-00.json").write_text(json.dumps(email), "utf-8")


def test_examples_are_read_from_expected_files_and_email_parts(tmp_path: Path) -> None:
    _write_expected(tmp_path)
    examples = examples_from_expected([tmp_path])
    assert len(examples) == 6 * 4 + 1
    assert ("Bonjour, ...", DocType.CLAIM_LETTER) in examples
    assert all("page 2" in t for t, d in examples if t != "Bonjour, ...")


def test_labels_jsonl_is_read_and_bad_lines_are_named(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"text": "RIB IBAN FR76", "doc_type": "bank_details"}\n\n', "utf-8")
    assert examples_from_labels(labels) == [("RIB IBAN FR76", DocType.BANK_DETAILS)]
    labels.write_text('{"text": "x", "doc_type": "poem"}\n', "utf-8")
    with pytest.raises(ValueError, match="labels.jsonl:1"):
        examples_from_labels(labels)


def test_main_reports_held_out_accuracy_per_type_and_writes_the_model(tmp_path: Path) -> None:
    _write_expected(tmp_path / "set")
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        "\n".join(json.dumps({"text": t, "doc_type": d.value}) for t, d in _corpus(2, seed=8)),
        "utf-8",
    )
    out = io.StringIO()
    model_path = tmp_path / "out" / "model.joblib"
    code = main(
        ["--from", str(tmp_path / "set"), "--labels", str(labels), "--out", str(model_path)],
        out=out,
    )
    assert code == 0 and model_path.exists()
    report = out.getvalue()
    assert "held-out: accuracy" in report
    for doc_type in MAKERS:
        assert doc_type.value in report
    assert SklearnClassifier(model_path).classify([_page(_rib(random.Random(2)))]).doc_type == (
        DocType.BANK_DETAILS
    )


def test_main_refuses_to_run_without_data() -> None:
    with pytest.raises(SystemExit):
        main([], out=io.StringIO())


@pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(), reason="the shipped model is not built")
def test_the_shipped_model_is_small() -> None:
    """Its speed is measured by bench/understand.py, not here."""
    assert DEFAULT_MODEL_PATH.stat().st_size < 5_000_000


@pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(), reason="the shipped model is not built")
def test_the_shipped_model_recognises_the_test_corpus() -> None:
    report = evaluate(load_model(), _corpus(5, seed=2024))
    assert report["accuracy"] >= 0.9, report
