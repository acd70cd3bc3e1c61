"""The reviewer's flow of issue #21, in headless Chromium, one test per point not covered by
the keyboard, security and batch tests: the page viewer, the queue (sorting, paging, French
columns, full-text search, bulk actions, e-mail bodies by subject and sender), the candidate
dossiers and what tells them apart, the links (GED entry → document and searchable PDF, the
set-aside note, the summary chart).

The documents are invented and built by hand (no pipeline run): invoices in review from
``review_browser.invoice``, an e-mail body, a two-page invoice. Each test drives the page as a
person would (clicks, typing, scrolling) and looks at what the screen shows.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mailroom.models import (
    BBox,
    DocType,
    Document,
    EmailInfo,
    ExtractedField,
    Match,
    MatchCandidate,
    Page,
    Source,
    Status,
    Word,
)
from mailroom.records import Beneficiary, Dossier
from mailroom.settings import Settings, StorageSettings
from storage.filesystem import FilesystemObjectStore
from storage.sql import SqlDossierRegistry, SqlMetadataStore, sqlite_url
from tests.integration.review_browser import add_users, audit_of, invoice, log_in, page_png, served

if TYPE_CHECKING:
    from playwright.sync_api import FloatRect
    from playwright.sync_api import Page as BrowserPage

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "alice-password"
LYON = "AST-2026-000501"
NANTES = "AST-2026-000502"
REIMS = "AST-2026-000503"
DOSSIERS = (
    Dossier(
        dossier_id=LYON,
        event_date=date(2026, 3, 1),
        event_type="vehicle_breakdown",
        policy_number="CTR501",
        beneficiary=Beneficiary(
            first_name="Claire", last_name="MARTIN", address="12 rue des Lilas 69003 Lyon"
        ),
    ),
    Dossier(
        dossier_id=NANTES,
        event_date=date(2026, 2, 14),
        event_type="vehicle_breakdown",
        policy_number="CTR502",
        beneficiary=Beneficiary(
            first_name="Claire", last_name="MARTIN", address="4 quai Turenne 44000 Nantes"
        ),
    ),
    Dossier(
        dossier_id=REIMS,
        event_date=date(2026, 1, 20),
        event_type="vehicle_breakdown",
        policy_number="CTR503",
        beneficiary=Beneficiary(
            first_name="Clément", last_name="MARTINEAU", address="8 place Drouet 51100 Reims"
        ),
    ),
)
IBAN = "FR7630006000011234567890189"  # an invented French IBAN with a valid key


@dataclass
class Site:
    url: str
    data_dir: Path
    docs: list[Document]

    @property
    def ids(self) -> list[str]:
        return [d.document_id for d in self.docs]


@contextmanager
def _site(
    data_dir: Path, build: Callable[[FilesystemObjectStore], list[Document]]
) -> Iterator[Site]:
    """The dossiers and the documents ``build`` makes in the stores of ``data_dir``, a
    gestionnaire's account, the application served."""
    settings = Settings(storage=StorageSettings(data_dir=data_dir))
    metadata = SqlMetadataStore(sqlite_url(settings.storage.sqlite_path))
    objects = FilesystemObjectStore(settings.storage.objects_dir)
    registry = SqlDossierRegistry(sqlite_url(settings.storage.sqlite_path))
    try:
        for dossier in DOSSIERS:
            registry.upsert(dossier)
        docs = build(objects)
        for doc in docs:
            metadata.save(doc)
    finally:
        metadata.close()
        registry.close()
    add_users(data_dir, [("alice", PASSWORD, "gestionnaire")])
    try:
        with served(data_dir, "f" * 40) as url:
            yield Site(url, data_dir, docs)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _record(data_dir: Path, document_id: str) -> Document:
    metadata = SqlMetadataStore(sqlite_url(data_dir / "mailroom.sqlite3"))
    try:
        doc = metadata.get(document_id)
    finally:
        metadata.close()
    assert doc is not None
    return doc


def _email_body(n: int, subject: str, sender: str) -> Document:
    """The body of an invented e-mail in review: no file name, a subject and a sender."""
    return Document(
        document_id=f"mail-{n:020x}",
        sha256=f"{n + 0xE000:064x}",
        source=Source(
            channel="email",
            path=f"/invented/{n}.eml#body",
            email=EmailInfo.model_validate({"subject": subject, "from": sender}),
        ),
        media_type="text/plain",
        original_key=f"originals/{n + 0xE000:064x}",
        received_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        page_count=1,
        pages=[
            Page(
                number=1,
                width=595,
                height=842,
                text="Bonjour, voici ma demande.",
                text_source="pdf_text",
            )
        ],
        doc_type=DocType.OTHER,
        doc_type_confidence=0.4,
        status=Status.NEEDS_REVIEW,
        reason="type incertain",
    )


# --- the page viewer ------------------------------------------------------------------------


def _two_pages(objects: FilesystemObjectStore) -> list[Document]:
    """A two-page invoice whose IBAN is read on page 1 (its box on the words), and an
    ambiguous one with three candidate dossiers."""
    iban_box = BBox(x0=48, y0=400, x1=400, y1=416)
    first = invoice(
        objects,
        1,
        dossier=LYON,
        words=[Word(text=IBAN, bbox=iban_box)],
        extra={"iban": IBAN},
    )
    fields = dict(first.fields)
    fields["iban"] = ExtractedField(value=IBAN, confidence=0.95, page=1, bbox=iban_box)
    # the page image shows the IBAN where its box is (150 dpi: a point is 150/72 pixels)
    image = page_png("FACTURE F-1", [(int(iban_box.y0 * 150 / 72), IBAN)])
    objects.put_bytes(first.pages[0].image_key or "", image, content_type="image/png")
    second_key = f"derived/{first.sha256}/page-0002.png"
    objects.put_bytes(second_key, page_png("CONDITIONS GENERALES"), content_type="image/png")
    second = first.pages[0].model_copy(
        update={"number": 2, "text": "CONDITIONS GENERALES", "words": (), "image_key": second_key}
    )
    two = first.model_copy(
        update={"fields": fields, "page_count": 2, "pages": [first.pages[0], second]}
    )
    ambiguous = invoice(objects, 2, dossier=LYON, score=0.55, reason="dossier à choisir")
    ambiguous = ambiguous.model_copy(
        update={
            "match": Match(
                status="ambiguous",
                score=0.55,
                candidates=(
                    MatchCandidate(dossier_id=LYON, score=0.55),
                    MatchCandidate(dossier_id=NANTES, score=0.54),
                    MatchCandidate(dossier_id=REIMS, score=0.41),
                ),
            )
        }
    )
    return [two, ambiguous]


@pytest.fixture(scope="module")
def viewer_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with _site(tmp_path_factory.mktemp("review-viewer"), _two_pages) as site:
        yield site


def _box(page: BrowserPage, selector: str) -> FloatRect:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


def test_page_viewer_zooms_turns_with_the_boxes_and_switches_pages(
    page: BrowserPage, viewer_site: Site
) -> None:
    log_in(page, viewer_site.url, "alice", PASSWORD)
    page.goto(f"{viewer_site.url}/documents/{viewer_site.ids[0]}")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.sheet img')].every(i => i.complete)"
    )
    sheet = "#page-1 .sheet"
    width = _box(page, sheet)["width"]

    page.click("[data-testid=zoom-in]")
    bigger = _box(page, sheet)["width"]
    assert bigger > width * 1.2
    page.click("[data-view=zoom-out]")
    page.click("[data-view=zoom-out]")
    assert _box(page, sheet)["width"] < width * 0.9

    # A quarter turn: the page lies on its side, and the IBAN's box is still on the IBAN.
    page.click("[data-view=fit]")
    img, rect = f"{sheet} img", f"{sheet} rect.box[data-field=iban]"

    def fractions() -> tuple[float, float]:
        i, r = _box(page, img), _box(page, rect)
        return (
            (r["x"] + r["width"] / 2 - i["x"]) / i["width"],
            (r["y"] + r["height"] / 2 - i["y"]) / i["height"],
        )

    fx, fy = fractions()
    # upright, the box is where the IBAN was drawn (y 400–416 pt of 842)
    assert fy == pytest.approx(408 / 842, abs=0.01)
    page.click("[data-testid=rotate]")
    assert page.locator(sheet).get_attribute("data-turn") == "1"
    # the turn is animated: wait until it has ended
    page.wait_for_function(
        "() => document.querySelector('#page-1 .sheet').getAnimations().length === 0"
    )
    # turned a quarter clockwise, a point at (x, y) of the page goes to (1 - y, x)
    tx, ty = fractions()
    assert tx == pytest.approx(1 - fy, abs=0.01)
    assert ty == pytest.approx(fx, abs=0.01)
    i = _box(page, img)
    assert i["width"] > i["height"]
    page.click("[data-view=fit]")
    assert page.locator(sheet).get_attribute("data-turn") == "0"

    # The thumbnails of a two-page document: the second one brings page 2 on the screen.
    thumbs = page.locator("[data-testid=viewer] .thumbs a")
    assert thumbs.count() == 2
    assert _box(page, "#page-2")["y"] > 900
    thumbs.nth(1).click()
    page.wait_for_function(
        "() => document.querySelector('#page-2').getBoundingClientRect().top < 300"
    )
    assert page.url.endswith("#page-2")
    top = _box(page, "#page-2")["y"]
    assert -5 < top < 300


def test_a_long_iban_is_fully_visible_and_the_decision_stays_on_screen(
    page: BrowserPage, viewer_site: Site
) -> None:
    log_in(page, viewer_site.url, "alice", PASSWORD)
    page.goto(f"{viewer_site.url}/documents/{viewer_site.ids[0]}")
    iban = page.locator("[data-testid=field-iban]")
    shown = iban.input_value()
    assert shown.replace(" ", "") == IBAN
    # every character is inside the input's box, nothing scrolled out of sight: on this
    # screen and on a small laptop's
    for width, height in ((1400, 900), (1024, 700)):
        page.set_viewport_size({"width": width, "height": height})
        assert iban.evaluate("el => el.scrollWidth <= el.clientWidth"), (width, shown)
    page.set_viewport_size({"width": 1400, "height": 900})

    # Scrolled down the long (two pages) document, the decision buttons are still on screen.
    page.mouse.move(300, 500)
    page.mouse.wheel(0, 3000)
    page.wait_for_function("() => window.scrollY > 1000")
    approve = page.locator("[data-testid=approve]")
    where = approve.bounding_box()
    assert where is not None
    assert where["y"] >= 0 and where["y"] + where["height"] <= 900
    # and nothing covers them: a click there lands on the button
    assert approve.evaluate(
        "b => { const r = b.getBoundingClientRect();"
        " return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === b; }"
    )
    assert page.locator("[data-testid=set-aside]").is_visible()


def test_an_ambiguous_document_shows_what_tells_its_candidates_apart(
    page: BrowserPage, viewer_site: Site
) -> None:
    log_in(page, viewer_site.url, "alice", PASSWORD)
    page.locator(f"a[href='/documents/{viewer_site.ids[1]}']").click()
    page.wait_for_url(f"{viewer_site.url}/documents/{viewer_site.ids[1]}*")
    items = page.locator("ul.candidates li")
    assert items.count() == 3
    lyon, nantes, reims = (items.nth(i).inner_text() for i in range(3))
    # two dossiers of the same Claire MARTIN: told apart by the address and the event date
    assert LYON in lyon and "Claire MARTIN" in lyon
    assert "12 rue des Lilas 69003 Lyon" in lyon and "01/03/2026" in lyon
    assert NANTES in nantes and "Claire MARTIN" in nantes
    assert "4 quai Turenne 44000 Nantes" in nantes and "14/02/2026" in nantes
    assert "Clément MARTINEAU" in reims and "20/01/2026" in reims
    assert "Reims" not in lyon + nantes and "Lyon" not in nantes + reims
    # both close candidates may be chosen from there
    assert page.locator(f"[data-testid=choose-{LYON}]").is_visible()
    assert page.locator(f"[data-testid=choose-{NANTES}]").is_visible()


# --- the queue ------------------------------------------------------------------------------

SCANNED = 62  # more than a page (50)


def _morning(objects: FilesystemObjectStore) -> list[Document]:
    """62 scanned invoices for the Lyon dossier (totals and suppliers in another order than
    their arrival) and two e-mail bodies; one invoice has a word only in its read text."""
    docs = []
    for n in range(1, SCANNED + 1):
        total = Decimal("1234.56") if n == 7 else Decimal((n * 37) % 101) + Decimal("0.25")
        words = (
            [Word(text="parebrise", bbox=BBox(x0=50, y0=300, x1=120, y1=314))] if n == 40 else []
        )
        docs.append(
            invoice(
                objects,
                n,
                dossier=LYON,
                supplier=f"Garage {chr(ord('A') + (n * 7) % 26)}{n:02d}",
                total=total.quantize(Decimal("0.01")),
                words=words,
            )
        )
    docs.append(_email_body(1, "Remboursement du dépannage", "claire.martin@example.org"))
    docs.append(_email_body(2, "Pièces manquantes", "paul.durand@example.net"))
    return docs


@pytest.fixture(scope="module")
def queue_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with _site(tmp_path_factory.mktemp("review-queue"), _morning) as site:
        yield site


def _rows(page: BrowserPage) -> list[str]:
    return [
        i
        for i in page.locator("[data-testid=queue] tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.document)"
        )
        if i
    ]


def _amounts(page: BrowserPage) -> list[Decimal]:
    cells = page.locator("[data-testid=queue] tbody tr td.num").all_inner_texts()
    return [
        Decimal(c.replace("\u202f", "").replace("\u00a0€", "").replace(",", "."))
        for c in cells
        if c.strip() != "—"
    ]


def test_queue_sorts_by_a_column_and_pages_keeping_sort_and_filters(
    page: BrowserPage, queue_site: Site
) -> None:
    log_in(page, queue_site.url, "alice", PASSWORD)
    arrival = _rows(page)
    assert len(arrival) == 50
    assert "page 1 / 2" in page.locator("[data-testid=page]").inner_text()

    # Only the scans: the channel filter, then sort by amount.
    page.select_option("select[name=channel]", "scan")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r".*channel=scan.*"))
    page.click("[data-testid=sort-amount]")
    page.wait_for_url(re.compile(r".*sort=amount.*"))
    first = _amounts(page)
    assert len(first) == 50 and first == sorted(first)
    assert _rows(page) != arrival
    assert "62 document(s)" in page.locator("[data-testid=page]").inner_text()

    page.click("[data-testid=next-page]")
    page.wait_for_url(re.compile(r".*page=2.*"))
    assert "channel=scan" in page.url and "sort=amount" in page.url
    assert "page 2 / 2" in page.locator("[data-testid=page]").inner_text()
    second = _amounts(page)
    assert len(second) == SCANNED - 50
    assert second == sorted(second) and min(second) >= max(first)
    channels = page.locator("[data-testid=queue] tbody tr td:nth-child(5)").all_inner_texts()
    assert channels and all(c != "e-mail" for c in channels)
    mails = {d.document_id for d in queue_site.docs if d.source.channel == "email"}
    assert not set(_rows(page)) & mails

    # The other way: the biggest amounts first.
    page.click("[data-testid=sort-amount]")
    page.wait_for_url(re.compile(r".*sort=-amount.*"))
    down = _amounts(page)
    assert down == sorted(down, reverse=True) and down[0] == Decimal("1234.56")


def test_queue_columns_show_beneficiary_supplier_and_amount_in_french(
    page: BrowserPage, queue_site: Site
) -> None:
    log_in(page, queue_site.url, "alice", PASSWORD)
    seventh = queue_site.docs[6]
    row = page.locator(f"[data-testid=queue] tr[data-document='{seventh.document_id}']")
    text = row.inner_text()
    assert "Claire MARTIN" in text  # the chosen dossier's beneficiary
    assert f"Garage {chr(ord('A') + 49 % 26)}07" in text
    assert "1\u202f234,56\u00a0€" in text
    assert "02/03/2026 09:07" in text  # arrival, French


def test_queue_full_text_search_finds_a_word_of_the_body(
    page: BrowserPage, queue_site: Site
) -> None:
    log_in(page, queue_site.url, "alice", PASSWORD)
    page.keyboard.press("/")
    page.keyboard.type("Parebrise")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*text=Parebrise.*"))
    assert _rows(page) == [queue_site.docs[39].document_id]
    # a word read nowhere finds nothing
    page.fill("[data-testid=search]", "introuvable")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*text=introuvable.*"))
    assert _rows(page) == []
    assert "Rien à revoir" in page.locator("[data-testid=queue]").inner_text()


def test_an_email_body_is_named_by_its_subject_and_sender(
    page: BrowserPage, queue_site: Site
) -> None:
    log_in(page, queue_site.url, "alice", PASSWORD)
    page.select_option("select[name=channel]", "email")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r".*channel=email.*"))
    mail = next(d for d in queue_site.docs if d.document_id.startswith("mail-000"))
    link = page.locator(
        f"[data-testid=queue] tr[data-document='{mail.document_id}'] a[data-testid=open]"
    )
    title = link.inner_text()
    assert "Remboursement du dépannage" in title and "claire.martin@example.org" in title
    assert mail.document_id not in title
    link.click()
    page.wait_for_url(f"{queue_site.url}/documents/{mail.document_id}*")
    heading = page.locator("h1").inner_text()
    assert "Remboursement du dépannage" in heading and mail.document_id not in heading


def test_bulk_actions_set_aside_and_file_as_other(
    page: BrowserPage, tmp_path_factory: pytest.TempPathFactory
) -> None:
    def five(objects: FilesystemObjectStore) -> list[Document]:
        return [invoice(objects, n, dossier=LYON) for n in range(1, 6)]

    with _site(tmp_path_factory.mktemp("review-bulk"), five) as site:
        log_in(page, site.url, "alice", PASSWORD)
        aside, other = site.ids[0:2], site.ids[2:4]

        def tick(ids: Sequence[str]) -> None:
            for i in ids:
                page.check(f"[data-testid=queue] tr[data-document='{i}'] input[type=checkbox]")

        tick(aside)
        page.fill("#bulk input[name=note]", "attendre le devis")
        page.click("[data-testid=bulk-set-aside]")
        page.wait_for_selector("[data-testid=message]")
        assert "2 document(s) mis de côté" in page.locator("[data-testid=message]").inner_text()
        assert sorted(_rows(page)) == sorted(site.ids[2:])  # they left the queue
        page.click("a[href='/?aside=1']")
        page.wait_for_url(re.compile(r".*aside=1.*"))
        assert sorted(_rows(page)) == sorted(aside)
        notes = page.locator("[data-testid=note]").all_inner_texts()
        assert notes == ["mis de côté : attendre le devis"] * 2

        page.goto(f"{site.url}/")
        tick(other)
        page.click("[data-testid=bulk-other]")
        page.wait_for_selector("[data-testid=message]")
        assert (
            "2 document(s) passés en « Autre »"
            in page.locator("[data-testid=message]").inner_text()
        )
        for i in other:
            row = page.locator(f"[data-testid=queue] tr[data-document='{i}']")
            if row.count():
                assert "Autre" in row.locator("td:nth-child(4)").inner_text()
        untouched = page.locator(f"[data-testid=queue] tr[data-document='{site.ids[4]}']")
        assert "Facture" in untouched.locator("td:nth-child(4)").inner_text()

        # Audited, each document on its own, under the gestionnaire's name.
        for i in other:
            assert _record(site.data_dir, i).doc_type is DocType.OTHER
            [change] = [e for e in audit_of(site.data_dir, i) if e.action == "change_type"]
            assert change.username == "alice" and "other" in str(change.after)
        for i in aside:
            assert _record(site.data_dir, i).doc_type is DocType.INVOICE
            [note] = [e for e in audit_of(site.data_dir, i) if e.action == "set_aside"]
            assert note.username == "alice" and "attendre le devis" in str(note.after)
        assert [e.action for e in audit_of(site.data_dir, site.ids[4])] == []


# --- links ----------------------------------------------------------------------------------


def test_filed_document_links_set_aside_note_and_summary_chart(
    page: BrowserPage, tmp_path_factory: pytest.TempPathFactory
) -> None:
    def two(objects: FilesystemObjectStore) -> list[Document]:
        return [invoice(objects, n, dossier=LYON) for n in (1, 2)]

    with _site(tmp_path_factory.mktemp("review-links"), two) as site:
        filed, aside = site.ids
        log_in(page, site.url, "alice", PASSWORD)
        page.goto(f"{site.url}/documents/{filed}")
        page.click("[data-testid=approve]")
        page.wait_for_load_state()
        assert "classé en GED" in page.locator("[data-testid=message]").inner_text()

        # The dossier page's GED entry: a link to the document, one to its searchable PDF.
        page.goto(f"{site.url}/dossiers/{LYON}")
        entries = page.locator("[data-testid=ged-entries]")
        to_doc = entries.locator(f"a[href='/documents/{filed}']")
        to_pdf = entries.locator(f"a[href='/documents/{filed}/searchable.pdf']")
        assert to_doc.count() == 1 and to_pdf.count() == 1
        pdf = page.request.get(site.url + (to_pdf.get_attribute("href") or ""))
        assert pdf.status == 200
        assert pdf.headers["content-type"].startswith("application/pdf")
        assert pdf.body().startswith(b"%PDF")
        with page.expect_navigation() as opened:
            to_doc.click()
        answer = opened.value
        assert answer is not None and answer.status == 200
        assert answer.headers["content-type"].startswith("text/html")
        assert page.url == f"{site.url}/documents/{filed}"
        assert page.locator("[data-testid=status]").get_attribute("data-status") == "filed"
        assert "Classé en GED" in page.locator("[data-testid=ged-entry]").inner_text()

        # A set-aside note, on the document page and in the queue's list.
        page.goto(f"{site.url}/documents/{aside}")
        page.fill("#set-aside-form input[name=note]", "rappeler le garage lundi")
        page.click("[data-testid=set-aside]")
        page.wait_for_load_state()
        page.goto(f"{site.url}/documents/{aside}")
        assert (
            "rappeler le garage lundi" in page.locator("[data-testid=set-aside-note]").inner_text()
        )
        page.goto(f"{site.url}/?aside=1")
        row = page.locator(f"[data-testid=queue] tr[data-document='{aside}']")
        assert "rappeler le garage lundi" in row.locator("[data-testid=note]").inner_text()

        # The summary page shows its chart (drawn, not a broken image).
        with page.expect_response(f"{site.url}/summary/chart.png") as chart_info:
            page.goto(f"{site.url}/summary")
        chart = chart_info.value
        assert chart.status == 200 and chart.headers["content-type"] == "image/png"
        img = page.locator("img.chart")
        img.scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('img.chart').complete")
        assert img.evaluate("i => i.naturalWidth") > 200
        assert (img.bounding_box() or {"width": 0})["width"] > 200


# --- a value's place drawn on the page ------------------------------------------------------


@pytest.fixture
def drawing_site(tmp_path: Path) -> Iterator[Site]:
    with _site(tmp_path / "review-draw",
               lambda objects: [invoice(objects, 9, dossier=LYON, number="F-9")]) as site:
        yield site


def test_a_box_drawn_on_the_page_is_the_corrected_fields_place_and_what_it_teaches(
    page: BrowserPage, drawing_site: Site
) -> None:
    """The invoice number was read nowhere near its place: the gestionnaire clicks the
    field's ▭, drags a rectangle on the page around the value, types it and saves. The
    field's box is the rectangle (in page points), drawn on the refreshed page, and the
    correction records it as a drawn place."""
    from storage.corrections import SqlCorrectionStore

    site = drawing_site
    doc_id = site.ids[0]
    log_in(page, site.url, "alice", PASSWORD)
    page.goto(f"{site.url}/documents/{doc_id}")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.sheet img')].every(i => i.complete)"
    )
    img = _box(page, "#page-1 .sheet img")
    page.click("[data-testid=draw-invoice_number]")
    # a rectangle from 50 % to 80 % of the width, 20 % to 23 % of the height
    x0, y0 = img["x"] + 0.5 * img["width"], img["y"] + 0.2 * img["height"]
    x1, y1 = img["x"] + 0.8 * img["width"], img["y"] + 0.23 * img["height"]
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2)
    page.mouse.move(x1, y1)
    page.mouse.up()
    field = page.locator("[data-testid=field-invoice_number]")
    assert field.evaluate("el => el === document.activeElement")
    field.fill("F-9-BIS")
    page.click("[data-testid=save-fields]")
    page.wait_for_selector("[data-testid=message]:has-text('corrigé')")

    doc = _record(site.data_dir, doc_id)
    got = doc.fields["invoice_number"]
    assert got.value == "F-9-BIS" and got.page == 1 and got.bbox is not None
    width, height = doc.pages[0].width, doc.pages[0].height
    assert got.bbox.x0 == pytest.approx(0.5 * width, abs=3)
    assert got.bbox.x1 == pytest.approx(0.8 * width, abs=3)
    assert got.bbox.y0 == pytest.approx(0.2 * height, abs=3)
    assert got.bbox.y1 == pytest.approx(0.23 * height, abs=3)
    # the refreshed page shows the field's box where it was drawn
    rect = _box(page, "#page-1 .sheet rect.box[data-field=invoice_number]")
    now = _box(page, "#page-1 .sheet img")
    assert (rect["x"] - now["x"]) / now["width"] == pytest.approx(0.5, abs=0.01)
    assert (rect["y"] - now["y"]) / now["height"] == pytest.approx(0.2, abs=0.01)

    corrections = SqlCorrectionStore(sqlite_url(site.data_dir / "mailroom.sqlite3"))
    try:
        saved = corrections.get(doc_id)
    finally:
        corrections.close()
    assert saved is not None
    place = next(p for p in saved.places if p.name == "invoice_number")
    assert place.drawn and place.value == "F-9-BIS"
    assert place.box.x0 == pytest.approx(got.bbox.x0, abs=0.1)
