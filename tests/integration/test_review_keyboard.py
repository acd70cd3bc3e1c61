"""A gestionnaire handles five queued documents with the keyboard alone, in headless Chromium.

The documents are built by hand (no pipeline run, so the test is quick): five invoices in
review for one dossier, one with a field to correct, one whose check fails, the others plain.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mailroom.models import Check, Document, Status
from mailroom.records import Beneficiary, Dossier
from mailroom.settings import Settings
from review.store import open_review_store
from storage.filesystem import FilesystemObjectStore
from storage.settings import StorageSettings
from storage.sql import SqlDossierRegistry, SqlMetadataStore, sqlite_url
from tests.integration.review_browser import add_users, invoice, served

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "alice-password"
DOSSIER = "AST-2026-000777"


@dataclass
class Site:
    url: str
    data_dir: Path
    ids: list[str]


def _invoice(objects: FilesystemObjectStore, n: int) -> Document:
    """N°1 has a doubtful supplier name; n°3's totals do not add up (HT + TVA != TTC)."""
    if n == 3:
        return invoice(
            objects,
            n,
            dossier=DOSSIER,
            total=Decimal("150.00"),
            checks=[
                Check(code="invoice.totals_consistent", status="fail", message="écart de 30 €")
            ],
        )
    if n == 1:
        return invoice(
            objects,
            n,
            dossier=DOSSIER,
            doubtful=["supplier_name"],
            reason="champs à vérifier : supplier_name",
        )
    return invoice(objects, n, dossier=DOSSIER)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("review-keyboard")
    settings = Settings(storage=StorageSettings(data_dir=data_dir))
    metadata = SqlMetadataStore(sqlite_url(settings.storage.sqlite_path))
    objects = FilesystemObjectStore(settings.storage.objects_dir)
    registry = SqlDossierRegistry(sqlite_url(settings.storage.sqlite_path))
    try:
        registry.upsert(
            Dossier(
                dossier_id=DOSSIER,
                event_date=date(2026, 3, 1),
                event_type="vehicle_breakdown",
                policy_number="CTR1",
                beneficiary=Beneficiary(first_name="Claire", last_name="MARTIN"),
            )
        )
        docs = [_invoice(objects, n) for n in range(1, 6)]
        for doc in docs:
            metadata.save(doc)
    finally:
        metadata.close()
        registry.close()
    add_users(data_dir, [("alice", PASSWORD, "gestionnaire")])
    with served(data_dir, "k" * 40) as url:
        yield Site(url, data_dir, [d.document_id for d in docs])
    shutil.rmtree(data_dir, ignore_errors=True)


def test_gestionnaire_handles_five_queued_documents_with_the_keyboard_alone(
    browser: Browser, site: Site
) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{site.url}/login")
        # the form puts the cursor in the user name (autofocus): type only once it is there
        page.wait_for_function("document.activeElement?.name === 'username'")
        page.keyboard.type("alice")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{site.url}/")
        assert "Raccourcis" in page.locator("[data-testid=shortcuts]").inner_text()

        def at(n: int) -> None:
            page.wait_for_url(f"{site.url}/documents/{site.ids[n - 1]}*")
            page.wait_for_load_state()

        page.keyboard.press("o")  # open the first document of the queue
        at(1)
        legend = page.locator("[data-testid=shortcuts]").inner_text()
        assert "valider" in legend and "mettre de côté" in legend
        sheet = page.locator(".sheet").first
        width = sheet.bounding_box()["width"]  # type: ignore[index]
        page.keyboard.press("+")  # zoom on the page, then a quarter turn, then back
        assert sheet.bounding_box()["width"] > width * 1.2  # type: ignore[index]
        page.keyboard.press("r")
        assert sheet.get_attribute("data-turn") == "1"
        page.keyboard.press("0")
        assert sheet.get_attribute("data-turn") == "0"
        page.keyboard.press("c")  # the first doubtful field
        assert page.evaluate("document.activeElement.dataset.testid") == "field-supplier_name"
        page.keyboard.press("Control+A")
        page.keyboard.type("Garage Dupuis")
        page.keyboard.press("Enter")  # saved without leaving the page
        page.wait_for_selector("[data-testid=message]")
        assert page.locator("[data-testid=field-supplier_name]").input_value() == "Garage Dupuis"
        page.keyboard.press("Escape")
        page.keyboard.press("v")  # approve: files it and opens the next one
        at(2)
        assert "classé en GED" in page.locator("[data-testid=message]").inner_text()
        page.keyboard.press("m")  # set aside
        at(3)
        page.keyboard.press("v")  # a check fails: the reason is asked for first
        assert page.evaluate("document.activeElement.dataset.testid") == "approve-reason"
        page.keyboard.type("écart confirmé avec le garage")
        page.keyboard.press("Enter")
        at(4)
        page.keyboard.press("j")  # next, then back
        at(5)
        page.keyboard.press("k")
        at(4)
        page.keyboard.press("v")
        at(5)
        page.keyboard.press("v")
        page.wait_for_url(f"{site.url}/")
        assert "terminée" in page.locator("[data-testid=message]").last.inner_text()
    finally:
        context.close()

    settings = Settings(storage=StorageSettings(data_dir=site.data_dir))
    metadata = SqlMetadataStore(sqlite_url(settings.storage.sqlite_path))
    registry = SqlDossierRegistry(sqlite_url(settings.storage.sqlite_path))
    store = open_review_store(settings.storage)
    try:
        statuses = [metadata.get(i).status for i in site.ids]  # type: ignore[union-attr]
        assert statuses == [Status.FILED, Status.NEEDS_REVIEW, *[Status.FILED] * 3]
        assert store.set_aside_ids() == {site.ids[1]}
        assert len(registry.ged_entries(DOSSIER)) == 4
        first = metadata.get(site.ids[0])
        assert first is not None and first.fields["supplier_name"].value == "Garage Dupuis"
        [approval] = [
            e for e in store.audit_events(document_id=site.ids[2]) if e.action == "approve"
        ]
        assert "écart confirmé avec le garage" in (approval.detail or "")
    finally:
        metadata.close()
        registry.close()
        store.close()
