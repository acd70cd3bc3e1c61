"""Models refitted on corrections (issue #19): the field rankers learn from corrected
documents, versions are recorded with a manifest, a running pipeline reads the newest promoted
version and records it, a refit starts after N corrections, a worse refit is not promoted,
and a medical certificate's values stay out of the models."""

from __future__ import annotations

import io
import json
import pickle
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from classify.fake import FixedClassifier
from extract.fields import ContractFieldExtractor
from extract.fields.ranker import Example, Rankers, Table
from mailroom.learning import import_corrections
from mailroom.models import DocType, Page
from mailroom.pipeline import Pipeline
from mailroom.refit import (
    Corrected,
    Stores,
    correction_tables,
    fit_rankers,
    refit_rankers,
    scoped_text,
    vocabulary,
)
from mailroom.settings import LearningSettings, Settings, StorageSettings
from mailroom.versions import ModelVersions, due, refit_if_due, refit_now
from storage import (
    build_correction_store,
    build_metadata_store,
    build_model_store,
    build_object_store,
)
from storage.dossiers import MemoryDossierRegistry
from tests.unit.laid_out import laid_out_page
from tests.unit.test_learning import PagesReader
from tests.unit.test_review_app import INVOICE, World, login, world  # noqa: F401 - fixture

# invented members (who the letters are about) and brokers (who sign them)
MEMBERS = [("Ysolde", "KERVAREC"), ("Aurèle", "MANDIN"), ("Solène", "BRAQUET"),
           ("Odon", "FRESSIER"), ("Maëlys", "TOURVIEL"), ("Gaspard", "LINOTTE"),
           ("Hortense", "VAUDRIN"), ("Anselme", "CORBIC"), ("Clémence", "ARDOUIN"),
           ("Barnabé", "QUINTARD")]
BROKERS = [("Liliane", "PORCHET"), ("Firmin", "DELAGE"), ("Noémie", "RASTEL"),
           ("Jules", "BOUTAREL"), ("Perrine", "GALMOT"), ("Tristan", "ESCOFFIER"),
           ("Adèle", "MORNAC"), ("Victor", "SAULCY"), ("Honorine", "VALLAS"),
           ("Céleste", "DURBAN")]
TAUGHT = range(0, 8)  # the letters corrected
NEW = (8, 9)  # letters of the same broker's template, never corrected


def member(i: int) -> str:
    first, last = MEMBERS[i]
    return f"{first} {last}"


def broker_letter(i: int) -> Page:
    """An invented broker's letter on behalf of a member: the member's name in the header's
    right block, the broker's under the letter. The member is the letter's sender_name."""
    first, last = BROKERS[(i + 3) % len(BROKERS)]
    return laid_out_page(
        (40, 40, "Cabinet Orvalle Courtage"),
        (40, 55, "4 place du Marché 86000 Poitiers"),
        (330, 100, f"Adhérent n° 4{i}71-B"),
        (330, 115, member(i)),
        (40, 200, "Madame, Monsieur,"),
        (40, 220, "Pour le compte de notre adhérent, nous vous transmettons la facture de "
                  f"{400 + 13 * i},00 euros"),
        (40, 235, f"dont {120 + 7 * i},00 euros restent à sa charge et vous sont demandés."),
        (40, 250, "Veuillez agréer nos salutations distinguées."),
        (330, 320, f"{first} {last}"),
        (330, 335, "Courtier"),
    )




def _settings(tmp_path: Path, refit_after: int = 0) -> Settings:
    # 60 generated pages for the base rows instead of 960, 24 to compare on instead of 96
    # (seconds, not minutes): a field
    # fitted on so few reads generated pages less well than the shipped model, hence the
    # wider tolerance than the default 0.01 (the held-out corrections still decide)
    settings = Settings(
        storage=StorageSettings(data_dir=tmp_path / "data"),
        learning=LearningSettings(enabled=False, refit_after=refit_after, refit_ranker_docs=60,
                                  refit_eval_pages=24, refit_tolerance=0.25),
    )
    settings.ocr.workers = 1
    return settings


@pytest.fixture
def letters(tmp_path: Path) -> Iterator[tuple[Pipeline, Path, Settings]]:
    """A pipeline on the data folder's stores (what a refit reads), reading broker letters,
    the learn-by-layout step off: what changes comes from the rankers alone."""
    settings = _settings(tmp_path)
    pages = {f"l{i}": broker_letter(i) for i in range(len(MEMBERS))}
    objects = build_object_store(settings.storage)
    pipeline = Pipeline(
        settings,
        objects=objects,
        metadata=build_metadata_store(settings.storage),
        reader=PagesReader(pages),  # type: ignore[arg-type]
        classifier=FixedClassifier(DocType.CLAIM_LETTER, 0.95),
        registry=MemoryDossierRegistry(),
        field_extractor=ContractFieldExtractor(),
        corrections=build_correction_store(settings.storage),
        versions=ModelVersions(build_model_store(settings.storage), objects,
                               settings.storage.data_dir / "models"),
    )
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(len(MEMBERS)):
        out = io.BytesIO()
        Image.new("L", (16 + i, 16), 255).save(out, format="PNG")
        (folder / f"l{i}.png").write_bytes(out.getvalue())
    yield pipeline, folder, settings
    pipeline.close()


def _correct(pipeline: Pipeline, folder: Path, tmp_path: Path, which: range) -> None:
    lines = []
    for i in which:
        [doc] = pipeline.process_file(folder / f"l{i}.png")
        lines.append({"sha256": doc.sha256, "fields": {"sender_name": member(i)}})
    path = tmp_path / "corrections.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    summary = import_corrections(pipeline, path)
    assert (summary.recorded, summary.errors) == (len(lines), [])


def test_refitted_rankers_choose_the_corrected_candidate_on_a_new_document(
    letters: tuple[Pipeline, Path, Settings], tmp_path: Path
) -> None:
    pipeline, folder, settings = letters
    [before] = pipeline.process_file(folder / f"l{NEW[0]}.png")
    # the shipped rankers take the broker who signs for the member
    assert before.fields["sender_name"].value != member(NEW[0])
    assert before.to_record()["models"] == {"rankers": "base"}

    _correct(pipeline, folder, tmp_path, TAUGHT)
    result = refit_now(settings, kinds=("rankers",))
    assert result is not None
    [version] = result.versions
    assert re.fullmatch(r"rankers-1-[0-9a-f]{8}", version.version)
    assert version.promoted, version.manifest
    manifest = version.manifest
    assert manifest["corrections"] == len(TAUGHT) and manifest["held_out_corrections"] == 1
    assert manifest["refitted_fields"] == ["sender_name"] and manifest["replaces"] == "base"
    assert manifest["held_out"]["new"] >= manifest["held_out"]["current"]
    assert (settings.storage.data_dir / "models" / f"{version.version}.joblib").exists()

    # the same running pipeline, never restarted, reads the next letter with the new version
    [after] = pipeline.process_file(folder / f"l{NEW[1]}.png")
    assert after.fields["sender_name"].value == member(NEW[1])
    assert after.to_record()["models"] == {"rankers": version.version}
    stored = pipeline.metadata.get(after.document_id)
    assert stored is not None and stored.models == {"rankers": version.version}


def _flipped(current: Rankers | None, base: dict[str, Table], corrected: dict[str, Table],
             weight: float) -> Rankers:
    """A refit gone wrong: every label of the corrected fields turned over."""
    def flip(t: Table) -> Table:
        return Table(t.x, [1 - y for y in t.y], t.doc)

    return fit_rankers(current, {k: flip(v) for k, v in base.items()},
                       {k: flip(v) for k, v in corrected.items()}, weight)


def test_a_refit_that_scores_worse_is_recorded_but_not_promoted(
    letters: tuple[Pipeline, Path, Settings], tmp_path: Path
) -> None:
    pipeline, folder, settings = letters
    _correct(pipeline, folder, tmp_path, TAUGHT)
    from mailroom.refit import corrected_documents

    assert pipeline.corrections is not None
    stores = Stores(pipeline.corrections, pipeline.metadata, pipeline.objects,
                    build_model_store(settings.storage), settings.storage.data_dir / "models")
    items, last = corrected_documents(stores.corrections, stores.metadata)
    version = refit_rankers(stores, settings, items, last, fit=_flipped)
    stores.models.close()
    assert not version.promoted
    assert version.manifest["promoted"] is False and "worse" in version.manifest["reason"]
    [after] = pipeline.process_file(folder / f"l{NEW[1]}.png")
    assert after.models == {"rankers": "base"}  # the version not promoted reads nothing


def test_a_refit_starts_after_n_corrections_and_not_before(tmp_path: Path) -> None:
    settings = _settings(tmp_path, refit_after=3)
    corrections = build_correction_store(settings.storage)
    models = build_model_store(settings.storage)
    started: list[str] = []

    def start(s: Settings) -> str:
        started.append("refit")
        return "test"

    from storage.corrections import Correction

    for n in range(2):
        corrections.add(Correction(f"doc-{n}", f"{n:064x}", "claim_letter", "gest1",
                                   {"sender_name": member(n)}))
        assert refit_if_due(settings, corrections, start) is None
    corrections.add(Correction("doc-2", f"{2:064x}", "claim_letter", "gest1",
                               {"sender_name": member(2)}))
    assert due(settings, corrections, models)
    holder = models.try_lock()
    assert holder is not None and models.try_lock() is None  # one refit at a time
    assert refit_if_due(settings, corrections, start) is None  # one is running
    models.unlock(holder)
    assert refit_if_due(settings, corrections, start) == "test" and started == ["refit"]
    # a refit recorded up to the newest correction: not due until three more arrive
    from storage.model_store import ModelVersion

    models.add(ModelVersion("rankers", "rankers-1-00000000", True, int(
        corrections.revision().split(":")[1])))
    assert not due(settings, corrections, models)
    never = _settings(tmp_path, refit_after=0)
    assert refit_if_due(never, corrections, start) is None
    models.close()
    corrections.close()


def test_a_medical_certificates_values_stay_out_of_the_models() -> None:
    patient = "Ombeline FARGEAU"
    page = laid_out_page(
        (40, 40, "Docteur Aristide PLUVINEL"),
        (40, 100, "CERTIFICAT MÉDICAL"),
        (40, 130, f"Je soussigné certifie avoir examiné {patient}"),
        (40, 145, "le 03/02/2026 et prescris un arrêt de travail du 03/02/2026 au 10/02/2026."),
    )
    truth = {"patient_name": patient, "practitioner_name": "Aristide PLUVINEL"}
    item = Corrected(None, Example((page,), DocType.MEDICAL_CERTIFICATE, truth, "c"),  # type: ignore[arg-type]
                     page.text)
    tables = correction_tables([item] * 7)
    assert set(tables) <= {"patient_name", "practitioner_name"}  # medical fields only
    rankers = fit_rankers(None, {}, tables, 5.0)
    assert rankers.models  # fitted
    raw = pickle.dumps({"models": rankers.models, "trained_on": rankers.trained_on})
    for word in ("Ombeline", "FARGEAU", "PLUVINEL"):
        assert word.encode() not in raw and word.encode("utf-16-le") not in raw
    # the classifier reads only the words the generated corpus prints too
    known = vocabulary(["Certificat médical : arrêt de travail du patient, docteur"])
    text = scoped_text(page.text, "medical_certificate", known)
    assert "FARGEAU" not in text and "PLUVINEL" not in text and "travail" in text
    assert scoped_text(page.text, "claim_letter", known) == page.text


def test_the_review_page_says_which_model_versions_read_the_document(
    world: World,  # noqa: F811 - the review tests' fixture
) -> None:
    doc = world.metadata.get(INVOICE)
    assert doc is not None
    login(world.client, "alice")
    assert 'data-testid="models"' not in world.client.get(f"/documents/{INVOICE}").text
    doc.models = {"classifier": "base", "rankers": "rankers-3-0a1b2c3d"}
    world.metadata.save(doc)
    page = world.client.get(f"/documents/{INVOICE}").text
    shown = re.search(r'data-testid="models"[^>]*>([^<]+)<', page)
    assert shown is not None
    assert shown.group(1) == "lu par classifieur base, champs rankers-3-0a1b2c3d"
