"""A gestionnaire moves a boundary on a scan batch's strip of pages, in headless Chromium, and
sees the new documents.

The batch is a PDF of invented documents with PATCHT separator sheets, one of them put in the
wrong place by the operator (inside an invoice, instead of after it); the real pipeline (the
sheets read from the page images, Tesseract on the sheets) files it into the data directory;
the review application is the real one, served by uvicorn in a thread.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mailroom.models import Document, Status
from mailroom.settings import StorageSettings
from review.sample_data import seed
from storage.sql import SqlMetadataStore, sqlite_url
from tests.integration.review_browser import log_in, served
from tests.unit.test_review_batches import SHEET, build_stack

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.tesseract]

PASSWORD = "alice-password"

# invoice page 1, a sheet put too early, invoice page 2, a RIB, a sheet, a claim letter:
# the sheets cut it as [1], [3-4], [6]; the person's cut is [1-3], [4], [6]
STACK = [
    "FACTURE N° FA-5530\nMenuiserie des Quatre Vents\n12 rue des Ajoncs 29200 Brest\n"
    "Facture du 14/02/2026\nRemplacement d'une porte fracturée\nPage 1/2",
    SHEET,
    "FACTURE N° FA-5530 (suite)\nMain d'oeuvre 3 heures\nTotal HT 410,00\nTVA 20 % 82,00\n"
    "Total TTC 492,00\nPage 2/2",
    "Relevé d'identité bancaire\nTitulaire du compte : Yannick LE GOFF\n"
    "IBAN FR76 1558 9297 0000 0123 4567 890\nBIC CMBRFR2BXXX",
    SHEET,
    "Objet : demande de remboursement\nMadame, Monsieur,\nJe vous prie de bien vouloir me "
    "rembourser la facture jointe.\nCordialement,\nYannick LE GOFF",
]


@dataclass
class Site:
    url: str
    data_dir: Path
    docs: list[Document]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("review-batch")
    stack = build_stack(data_dir / "lot-0415.pdf", STACK)
    docs = seed(data_dir, [stack], dossiers=None,
                users=[("alice", PASSWORD, "gestionnaire")])
    assert [d.source.pages for d in docs] == [(1, 1), (3, 4), (6, 6)]
    with served(data_dir, secret="c" * 40) as url:
        yield Site(url, data_dir, docs)
    shutil.rmtree(data_dir, ignore_errors=True)


def test_a_gestionnaire_moves_a_boundary_on_the_strip_and_sees_the_new_documents(
    page: Page, site: Site
) -> None:
    log_in(page, site.url, "alice", PASSWORD)
    # from the queue, a document's "lot" badge leads to its batch
    badges = page.locator("[data-testid=batch-badge]")
    assert badges.count() == 3
    badges.first.click()
    batch_id = site.docs[0].parent_id
    page.wait_for_url(f"{site.url}/batches/{batch_id}")
    strip = page.locator("[data-testid=strip] li")
    assert strip.count() == 6
    assert page.locator("[data-role=separator]").count() == 2
    assert page.locator("[data-testid=strip] img").count() == 6
    assert page.locator("[data-testid=start-3]").is_checked()
    # the boundary before page 3 moves to page 4: the invoice takes its second page back
    page.locator("[data-testid=start-3]").uncheck()
    page.locator("[data-testid=start-4]").check()
    page.click("[data-testid=apply-cuts]")
    page.wait_for_url(f"{site.url}/batches/{batch_id}")
    message = page.locator("[data-testid=message]").inner_text()
    assert "2 nouveau(x) document(s)" in message and "1 inchangé(s)" in message
    rows = page.locator("[data-testid=batch-documents] tbody tr")
    assert [r.split("\t")[1] for r in rows.all_inner_texts()] == ["1 à 3", "4", "6"]
    assert page.locator("[data-testid=superseded-documents] tbody tr").count() == 2
    assert page.locator("[data-testid=start-4]").is_checked()
    assert not page.locator("[data-testid=start-3]").is_checked()
    # the new invoice opens with its two pages, and says where it came from
    page.locator("[data-testid=batch-document]").first.click()
    assert "pages 1 à 3" in page.locator("[data-testid=batch-link]").inner_text()
    assert page.locator("figure.page").count() == 2
    # the queue holds the new documents, not the replaced ones
    page.goto(f"{site.url}/")
    storage = StorageSettings(data_dir=site.data_dir)
    metadata = SqlMetadataStore(sqlite_url(storage.sqlite_path))
    try:
        replaced = [metadata.get(d.document_id) for d in site.docs[:2]]
    finally:
        metadata.close()
    assert all(d is not None and d.status is Status.SUPERSEDED for d in replaced)
    queue = page.locator("[data-testid=queue]").inner_html()
    assert all(d.document_id not in queue for d in site.docs[:2])
    assert site.docs[2].document_id in queue
    assert page.locator("[data-testid=batch-badge]").count() == 3
