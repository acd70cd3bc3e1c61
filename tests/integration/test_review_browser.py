"""The review application end to end, in a real headless Chromium driven by Playwright.

The data is the real pipeline's output on born-digital samples (no OCR) with the sample
dossiers imported; the server is uvicorn in a thread. The browser and its pages come from
conftest.py, the shared helpers from review_browser.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mailroom.models import DocType, Document, Status
from mailroom.settings import Settings
from review.app import build_app
from review.sample_data import SAMPLE_FILES, running_server, seed
from review.settings import ReviewSettings
from review.store import open_review_store
from storage.settings import StorageSettings
from storage.sql import SqlDossierRegistry, SqlMetadataStore, sqlite_url
from tests.integration.review_browser import log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

USERS = (
    ("alice", "alice-password", "gestionnaire"),
    ("marie", "marie-password", "medical"),
)

# The browser marker makes a missing Chromium or playwright a skip on a laptop and a failure
# in CI (tests/conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.browser]


@dataclass
class Site:
    url: str
    data_dir: Path
    docs: dict[str, Document]  # by sample file name


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, samples_dir: Path) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("review-data")
    docs = seed(
        data_dir,
        [samples_dir / "documents" / name for name in SAMPLE_FILES],
        dossiers=samples_dir / "dossiers.json",
        users=USERS,  # type: ignore[arg-type]
    )
    by_name = {d.source.filename: d for d in docs}
    # the rental invoice cites its dossier and its mission: it goes straight to the GED;
    # the others need a person, which is what these tests exercise
    invoice = by_name.pop("invoice-05-rental-fr-born_digital.pdf")
    assert invoice.status is Status.FILED, invoice.reason
    assert all(d.status is Status.NEEDS_REVIEW for d in by_name.values()), [
        d.reason for d in by_name.values()
    ]
    settings = Settings(storage=StorageSettings(data_dir=data_dir))
    app = build_app(settings, ReviewSettings(session_secret="b" * 40))  # type: ignore[arg-type]
    with running_server(app) as url:
        yield Site(url, data_dir, {d.source.filename or "": d for d in docs})
    shutil.rmtree(data_dir, ignore_errors=True)


def test_without_a_session_every_page_redirects_to_login(page: Page, site: Site) -> None:
    doc = site.docs["invoice-05-rental-fr-born_digital.pdf"]
    for path in ("/", f"/documents/{doc.document_id}", "/summary", "/dossiers"):
        page.goto(site.url + path)
        assert page.url.startswith(f"{site.url}/login")
        assert page.locator("input[name=password]").is_visible()


def test_gestionnaire_corrects_chooses_dossier_approves_and_finds_the_ged_entry(
    page: Page, site: Site, tmp_path: Path
) -> None:
    doc = site.docs["bank_details-02-letter-fr-born_digital.pdf"]
    log_in(page, site.url, "alice", "alice-password")
    queue = page.locator("[data-testid=queue]")
    assert queue.locator(f"a[href='/documents/{doc.document_id}']").count() == 1
    # No medical certificate in a gestionnaire's queue.
    medical = site.docs["medical_certificate-03-constatation-fr-born_digital.pdf"]
    assert queue.locator(f"a[href='/documents/{medical.document_id}']").count() == 0
    page.screenshot(path=str(tmp_path / "queue.png"))

    queue.locator(f"a[href='/documents/{doc.document_id}']").click()
    page.wait_for_url(f"{site.url}/documents/{doc.document_id}")
    # Clicking a field highlights its box on the page.
    page.locator("tr.field[data-field=iban] th").click()
    assert "active" in (page.locator("rect.box[data-field=iban]").get_attribute("class") or "")

    field = page.locator("[data-testid=field-account_holder]")
    field.fill("  Océane   MARTIN ")
    page.evaluate("window.scrollTo(0, 200)")
    where = "document.querySelector('[data-testid=field-account_holder]')"
    top = page.evaluate(f"{where}.getBoundingClientRect().top")
    page.evaluate("window.notReloaded = true")
    page.keyboard.press("Enter")  # one save for the fields, without reloading the page
    page.wait_for_selector("[data-testid=message]")
    assert page.locator("[data-testid=field-account_holder]").input_value() == "Océane MARTIN"
    assert "Titulaire :" in page.locator("[data-testid=audit]").inner_text()
    # no reload, and no jump: the field is about where it was on the screen (its row may
    # have grown by the "corrigé" tag), not 200 px up at the top of a reloaded page
    assert page.evaluate("window.notReloaded") is True
    assert abs(page.evaluate(f"{where}.getBoundingClientRect().top") - top) < 40

    page.click("[data-testid='choose-AST-2026-003634']")
    confirm = page.locator("[data-testid='confirm-AST-2026-003634']")
    if confirm.count():  # below the match threshold: the choice is confirmed
        confirm.click()
    page.wait_for_selector("[data-testid=chosen-dossier]")
    assert "AST-2026-003634" in page.locator("[data-testid=chosen-dossier]").inner_text()

    page.click("[data-testid=approve]")
    page.wait_for_load_state()
    assert "classé en GED" in page.locator("[data-testid=message]").inner_text()
    page.goto(f"{site.url}/dossiers/AST-2026-003634")
    entries = page.locator("[data-testid=ged-entries]").inner_text()
    assert "Océane MARTIN" in entries

    settings = Settings(storage=StorageSettings(data_dir=site.data_dir))
    registry = SqlDossierRegistry(sqlite_url(settings.storage.sqlite_path))
    metadata = SqlMetadataStore(sqlite_url(settings.storage.sqlite_path))
    try:
        [entry] = [
            e for e in registry.ged_entries("AST-2026-003634") if e.document_id == doc.document_id
        ]
        assert entry.doc_type is DocType.BANK_DETAILS
        assert entry.fields["account_holder"]["value"] == "Océane MARTIN"
        assert entry.ged_entry_id in entries
        filed = metadata.get(doc.document_id)
        assert filed is not None and filed.status is Status.FILED
        assert filed.fields["account_holder"].source == "correction"
    finally:
        registry.close()
        metadata.close()


def test_gestionnaire_opening_a_medical_certificate_by_url_is_refused_and_audited(
    page: Page, site: Site
) -> None:
    medical = site.docs["medical_certificate-03-constatation-fr-born_digital.pdf"]
    log_in(page, site.url, "alice", "alice-password")
    response = page.goto(f"{site.url}/documents/{medical.document_id}")
    assert response is not None and response.status == 403
    assert "équipe médicale" in page.locator("[data-testid=refusal]").inner_text()
    assert "Camille" not in page.content()
    image = page.goto(f"{site.url}/documents/{medical.document_id}/pages/1.png")
    assert image is not None and image.status == 403

    store = open_review_store(StorageSettings(data_dir=site.data_dir))
    try:
        refused = [
            (e.username, e.action)
            for e in store.audit_events(document_id=medical.document_id)
            if not e.allowed
        ]
    finally:
        store.close()
    assert ("alice", "view") in refused and ("alice", "image") in refused


def test_medical_team_opens_the_certificate_and_sees_the_refusals(page: Page, site: Site) -> None:
    medical = site.docs["medical_certificate-03-constatation-fr-born_digital.pdf"]
    log_in(page, site.url, "marie", "marie-password")
    response = page.goto(f"{site.url}/documents/{medical.document_id}")
    assert response is not None and response.status == 200
    assert page.locator("[data-testid=field-patient_name]").input_value() == "Camille VIDAL"
    assert page.locator("rect.box").count() >= 3


def test_post_without_the_csrf_token_is_refused(page: Page, site: Site) -> None:
    doc = site.docs["claim_letter-01-table-fr-born_digital.pdf"]
    log_in(page, site.url, "alice", "alice-password")
    # Same browser session (its cookie goes along), but no token: a forged cross-site form.
    response = page.request.post(
        f"{site.url}/documents/{doc.document_id}/approve", form={"note": "x"}, max_redirects=0
    )
    assert response.status == 403
    page.goto(f"{site.url}/documents/{doc.document_id}")
    assert page.locator("[data-testid=status]").get_attribute("data-status") == "needs_review"
