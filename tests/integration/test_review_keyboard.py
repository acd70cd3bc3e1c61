"""A gestionnaire handles five queued documents with the keyboard alone, in headless Chromium.

The documents are built by hand (no pipeline run, so the test is quick): five invoices in
review for one dossier, one with a field to correct, one whose check fails, the others plain.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher
from PIL import Image, ImageDraw

from mailroom.models import (
    BBox,
    Check,
    DocType,
    Document,
    ExtractedField,
    Match,
    MatchCandidate,
    Page,
    Source,
    Status,
    Word,
)
from mailroom.records import Beneficiary, Dossier
from mailroom.settings import Settings
from review.app import build_app
from review.auth import hash_password
from review.sample_data import running_server
from review.settings import ReviewSettings
from review.store import ReviewStore
from storage.base import original_key
from storage.dossiers import SqliteDossierRegistry
from storage.filesystem import FilesystemObjectStore
from storage.settings import StorageSettings
from storage.sqlite import SqliteMetadataStore

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.slow, pytest.mark.browser]
import playwright.sync_api as playwright_sync  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "alice-password"
DOSSIER = "AST-2026-000777"


@dataclass
class Site:
    url: str
    data_dir: Path
    ids: list[str]


def _page_png(label: str) -> bytes:
    image = Image.new("L", (1240, 1754), 255)
    ImageDraw.Draw(image).text((100, 100), label, 0)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _invoice(objects: FilesystemObjectStore, n: int) -> Document:
    sha = f"{n:064x}"
    image_key = f"derived/{sha}/page-0001.png"
    objects.put_bytes(image_key, _page_png(f"FACTURE F-{n}"), content_type="image/png")
    objects.put_bytes(original_key(sha), _page_png("original"), content_type="image/png")
    total = Decimal("120.00") if n != 3 else Decimal("150.00")  # n°3: HT + TVA != TTC
    values = {
        "supplier_name": f"Garage {n}",
        "invoice_number": f"F-{n}",
        "total_excl_tax": Decimal("100.00"),
        "vat_amount": Decimal("20.00"),
        "total_incl_tax": total,
    }
    fields = {
        name: ExtractedField(
            value=value,  # type: ignore[arg-type]
            confidence=0.5 if (n == 1 and name == "supplier_name") else 0.95,
            page=1,
            bbox=BBox(x0=60, y0=60, x1=300, y1=80),
        )
        for name, value in values.items()
    }
    checks = (
        [Check(code="invoice.totals_consistent", status="fail", message="écart de 30 €")]
        if n == 3
        else []
    )
    return Document(
        document_id=f"doc-{n:020x}",
        sha256=sha,
        source=Source(channel="scan", filename=f"facture-{n}.pdf"),
        media_type="image/png",
        original_key=original_key(sha),
        received_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=n),
        page_count=1,
        pages=[
            Page(
                number=1,
                width=595,
                height=842,
                text=f"FACTURE F-{n} Garage {n}",
                words=(Word(text="FACTURE", bbox=BBox(x0=50, y0=50, x1=120, y1=64)),),
                text_source="ocr",
                ocr_confidence=90.0,
                image_key=image_key,
            )
        ],
        doc_type=DocType.INVOICE,
        doc_type_confidence=0.97,
        fields=fields,
        match=Match(
            status="matched",
            dossier_id=DOSSIER,
            score=0.95,
            candidates=(MatchCandidate(dossier_id=DOSSIER, score=0.95),),
        ),
        checks=checks,
        status=Status.NEEDS_REVIEW,
        reason="champs à vérifier : supplier_name" if n == 1 else "contrôle bloquant",
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("review-keyboard")
    settings = Settings(storage=StorageSettings(data_dir=data_dir))
    metadata = SqliteMetadataStore(settings.storage.sqlite_path)
    objects = FilesystemObjectStore(settings.storage.objects_dir)
    registry = SqliteDossierRegistry(settings.storage.sqlite_path)
    store = ReviewStore(settings.storage.sqlite_path)
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
        cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
        store.add_user("alice", hash_password(PASSWORD, hasher=cheap), "gestionnaire")
        docs = [_invoice(objects, n) for n in range(1, 6)]
        for doc in docs:
            metadata.save(doc)
    finally:
        metadata.close()
        registry.close()
        store.close()
    app = build_app(settings, ReviewSettings(session_secret="k" * 40))  # type: ignore[arg-type]
    with running_server(app) as url:
        yield Site(url, data_dir, [d.document_id for d in docs])
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def test_gestionnaire_handles_five_queued_documents_with_the_keyboard_alone(
    browser: Browser, site: Site
) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{site.url}/login")
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
    metadata = SqliteMetadataStore(settings.storage.sqlite_path)
    registry = SqliteDossierRegistry(settings.storage.sqlite_path)
    store = ReviewStore(settings.storage.sqlite_path)
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
