"""Issue #21's security points, each tried in a real headless Chromium as a person would, and
the flow points that had no browser test (one save for every field, French formats).

1. an e-mail carrying a medical certificate: its original, record, page and pages refused to a
   gestionnaire, served to the medical team, every access audited (the real pipeline reads the
   e-mail: a born-digital sample certificate attached, no OCR);
2. 30 wrong passwords in the log-in form, then the right one is not accepted at once;
3. a failing check blocks approval without a typed reason; a dossier below the threshold asks
   for confirmation; the same invoice is not filed twice in one dossier;
4. ``?error=`` text in a link shows nothing;
5. a field value with markup is refused in the form and never executes.

The other documents are invented invoices (tests/integration/review_browser.py).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mailroom.models import BBox, Check, DocType, Document, Status, Word
from mailroom.records import Beneficiary, Dossier
from mailroom.settings import Settings, StorageSettings
from review.sample_data import seed
from storage.filesystem import FilesystemObjectStore
from storage.sql import SqlDossierRegistry, SqlMetadataStore, sqlite_url
from tests.integration.review_browser import add_users, audit_of, invoice, log_in, served

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CERTIFICATE = "medical_certificate-03-constatation-fr-born_digital.pdf"
GESTIONNAIRE = ("alice", "alice-password", "gestionnaire")
MEDICAL = ("marie", "marie-password", "medical")
DOSSIER = "AST-2026-000931"
# Markup that would run if it ever reached the page as HTML.
PAYLOAD = '<img src=x onerror="window.pwned=1">'


def _space(text: str) -> str:
    """French numbers use narrow and non-breaking spaces: compare them as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


# --- 1. the secret médical through an e-mail ------------------------------------------------


@dataclass
class MailSite:
    url: str
    data_dir: Path
    email_id: str
    certificate_id: str
    body_id: str  # the e-mail's text, a part without the secret


def _eml(certificate: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Lucie Fabre <lucie.fabre@example.fr>"
    msg["To"] = "remboursements@example.fr"
    msg["Subject"] = "Mon certificat pour le dossier"
    msg["Message-ID"] = "<certificat-navigateur-1@example.fr>"
    msg.set_content("Bonjour, voici le certificat demandé. Bien à vous, Lucie Fabre.")
    msg.add_attachment(
        certificate, maintype="application", subtype="pdf", filename="certificat_medical.pdf"
    )
    return msg.as_bytes()


@pytest.fixture(scope="module")
def mail_site(tmp_path_factory: pytest.TempPathFactory, samples_dir: Path) -> Iterator[MailSite]:
    data_dir = tmp_path_factory.mktemp("review-secret-email")
    eml = data_dir.parent / "certificat-navigateur.eml"
    eml.write_bytes(_eml((samples_dir / "documents" / CERTIFICATE).read_bytes()))
    docs = seed(data_dir, [eml], dossiers=samples_dir / "dossiers.json", users=())
    [certificate] = [d for d in docs if d.doc_type is DocType.MEDICAL_CERTIFICATE]
    assert certificate.parent_id is not None
    [body] = [d for d in docs if d.parent_id == certificate.parent_id and d is not certificate]
    add_users(data_dir, [GESTIONNAIRE, MEDICAL])  # type: ignore[list-item]
    with served(data_dir, "e" * 40) as url:
        yield MailSite(
            url, data_dir, certificate.parent_id, certificate.document_id, body.document_id
        )
    shutil.rmtree(data_dir, ignore_errors=True)


def test_gestionnaire_gets_the_emails_original_record_and_pages_refused_and_audited(
    page: Page, mail_site: MailSite
) -> None:
    site = mail_site
    log_in(page, site.url, GESTIONNAIRE[0], GESTIONNAIRE[1])
    email = f"{site.url}/documents/{site.email_id}"
    for path in ("", "/original", "/pages/1/screen", "/pages/1.png"):
        response = page.goto(email + path)
        assert response is not None and response.status == 403, path
        assert "équipe médicale" in page.locator("[data-testid=refusal]").inner_text(), path
        assert b"%PDF" not in response.body() and b"JVBERi0" not in response.body(), path
    response = page.goto(f"{site.url}/api/documents/{site.email_id}")
    assert response is not None and response.status == 403
    assert site.certificate_id not in page.content()
    assert "Fabre" not in page.content()
    # the certificate itself, as before
    response = page.goto(f"{site.url}/documents/{site.certificate_id}")
    assert response is not None and response.status == 403
    # the e-mail's other part stays open, on its own
    response = page.goto(f"{site.url}/documents/{site.body_id}")
    assert response is not None and response.status == 200

    refused = [e for e in audit_of(site.data_dir, site.email_id) if e.username == "alice"]
    assert {e.action for e in refused} == {"view", "download", "image", "api"}
    assert not any(e.allowed for e in refused)
    # the audit says which certificate the e-mail holds
    assert all(site.certificate_id in (e.detail or "") for e in refused)


def test_medical_team_gets_the_email_and_its_accesses_are_audited(
    page: Page, mail_site: MailSite
) -> None:
    site = mail_site
    log_in(page, site.url, MEDICAL[0], MEDICAL[1])
    response = page.goto(f"{site.url}/documents/{site.email_id}")
    assert response is not None and response.status == 200
    # the original is a download: fetched with the browser's session, as the link would
    original = page.request.get(f"{site.url}/documents/{site.email_id}/original")
    assert original.status == 200 and b"certificat_medical.pdf" in original.body()
    response = page.goto(f"{site.url}/api/documents/{site.email_id}")
    assert response is not None and response.status == 200
    assert response.json()["document_id"] == site.email_id
    # and the certificate's pages, as Chromium asks for them (it takes WebP)
    with page.expect_response(lambda r: "/pages/1/screen" in r.url) as image:
        page.goto(f"{site.url}/documents/{site.certificate_id}")
    assert image.value.status == 200
    assert "image/webp" in image.value.request.all_headers()["accept"]
    # WebP, or the stored PNG of a clean born-digital page when that is smaller
    assert image.value.headers["content-type"] in ("image/webp", "image/png")
    assert image.value.headers["vary"] == "Accept"
    assert page.evaluate("document.querySelector('.sheet img').naturalWidth") > 0

    allowed = [e for e in audit_of(site.data_dir, site.email_id) if e.username == "marie"]
    assert {"view", "download", "api"} <= {e.action for e in allowed}
    assert all(e.allowed for e in allowed)


# --- 2. log-in throttling -------------------------------------------------------------------


def test_thirty_wrong_passwords_then_the_right_one_is_not_accepted_at_once(
    page: Page, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    add_users(tmp_path, [GESTIONNAIRE])  # type: ignore[list-item]
    caplog.set_level(logging.WARNING, logger="review")
    with served(tmp_path, "t" * 40) as url:  # its own throttle: the lock stays in this test
        page.goto(f"{url}/login")
        statuses = []
        for n in range(30):
            page.fill("input[name=username]", GESTIONNAIRE[0])
            page.fill("input[name=password]", f"mauvais-mot-de-passe-{n}")
            with page.expect_response(f"{url}/login") as answer:
                page.click("button[type=submit]")
            statuses.append(answer.value.status)
            page.wait_for_load_state()
        assert statuses[:3] == [401, 401, 401] and statuses[-1] == 429
        page.fill("input[name=username]", GESTIONNAIRE[0])
        page.fill("input[name=password]", GESTIONNAIRE[1])
        with page.expect_response(f"{url}/login") as answer:
            page.click("button[type=submit]")
        page.wait_for_load_state()
        assert answer.value.status == 429
        assert int(answer.value.headers["retry-after"]) > 60
        assert page.url.startswith(f"{url}/login")
        alert = page.locator("[role=alert]").inner_text()
        assert "verrouillé" in alert and "Réessayez dans" in alert
        # no session was opened: the queue still sends the browser to the log-in form
        page.goto(f"{url}/")
        assert page.url.startswith(f"{url}/login")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("locked" in r.getMessage() for r in warnings)
    assert any("failed log-in" in r.getMessage() for r in warnings)


# --- 3, 4, 5 and the flow: invented invoices ------------------------------------------------


@dataclass
class Site:
    url: str
    data_dir: Path
    ids: dict[str, str]


def _documents(objects: FilesystemObjectStore) -> dict[str, Document]:
    failing = Check(code="invoice.totals_consistent", status="fail", message="écart de 30 €")
    lemoine = (
        Word(text="Garage", bbox=BBox(x0=300, y0=400, x1=350, y1=414)),
        Word(text="Lemoine", bbox=BBox(x0=355, y0=400, x1=420, y1=414)),
    )
    return {
        "failing": invoice(objects, 31, dossier=DOSSIER, total=Decimal("150.00"), checks=[failing]),
        "below": invoice(objects, 32, dossier=DOSSIER, score=0.45, reason="dossier à choisir"),
        "first": invoice(
            objects, 33, dossier=DOSSIER, supplier="Carrosserie Vasseur", number="V-88"
        ),
        "copy": invoice(
            objects, 34, dossier=DOSSIER, supplier="Carrosserie Vasseur", number="V-88"
        ),
        "markup": invoice(objects, 35, dossier=DOSSIER),
        "read-markup": invoice(objects, 36, dossier=DOSSIER, supplier=f"Garage {PAYLOAD}"),
        "flow": invoice(
            objects,
            37,
            dossier=DOSSIER,
            supplier="Garage Lemoire",
            total=Decimal("1234.56"),
            words=lemoine,
            extra={
                "invoice_date": date(2026, 3, 12),
                "total_excl_tax": Decimal("1028.80"),
                "vat_amount": Decimal("205.76"),
            },
            doubtful=["supplier_name"],
        ),
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("review-security")
    settings = Settings(storage=StorageSettings(data_dir=data_dir))
    metadata = SqlMetadataStore(sqlite_url(settings.storage.sqlite_path))
    registry = SqlDossierRegistry(sqlite_url(settings.storage.sqlite_path))
    try:
        registry.upsert(
            Dossier(
                dossier_id=DOSSIER,
                event_date=date(2026, 2, 27),
                event_type="vehicle_breakdown",
                policy_number="CTR-9",
                beneficiary=Beneficiary(first_name="Hugo", last_name="PERRIN"),
            )
        )
        docs = _documents(FilesystemObjectStore(settings.storage.objects_dir))
        for doc in docs.values():
            metadata.save(doc)
    finally:
        metadata.close()
        registry.close()
    add_users(data_dir, [GESTIONNAIRE])  # type: ignore[list-item]
    with served(data_dir, "f" * 40) as url:
        yield Site(url, data_dir, {k: d.document_id for k, d in docs.items()})
    shutil.rmtree(data_dir, ignore_errors=True)


def _status(site: Site, key: str) -> Status:
    metadata = SqlMetadataStore(sqlite_url(site.data_dir / "mailroom.sqlite3"))
    try:
        doc = metadata.get(site.ids[key])
        assert doc is not None
        return doc.status
    finally:
        metadata.close()


def _open(page: Page, site: Site, key: str) -> None:
    response = page.goto(f"{site.url}/documents/{site.ids[key]}")
    assert response is not None and response.status == 200


def test_a_failing_check_blocks_approval_until_a_reason_is_typed(page: Page, site: Site) -> None:
    log_in(page, site.url, GESTIONNAIRE[0], GESTIONNAIRE[1])
    _open(page, site, "failing")
    here = page.url
    approve = page.locator("[data-testid=approve]")
    assert "malgré" in approve.inner_text()
    # the form itself refuses: the reason is required
    approve.click()
    assert page.url == here
    assert (
        page.evaluate("document.querySelector('[data-testid=approve-reason]').validity.valid")
        is False
    )
    # and so does the server, the browser's check taken away
    page.evaluate(
        "document.querySelector('[data-testid=approve-reason]').removeAttribute('required')"
    )
    approve.click()
    page.wait_for_selector("[data-testid=error]")
    assert "indiquez le motif" in page.locator("[data-testid=error]").inner_text()
    assert page.locator("[data-testid=status]").get_attribute("data-status") == "needs_review"
    assert _status(site, "failing") is Status.NEEDS_REVIEW
    # with a typed reason it is filed, and the reason is in the history
    page.fill("[data-testid=approve-reason]", "écart expliqué par un avoir du garage")
    page.locator("[data-testid=approve]").click()
    page.wait_for_selector("[data-testid=message]")
    assert "classé en GED" in page.locator("[data-testid=message]").inner_text()
    assert _status(site, "failing") is Status.FILED
    _open(page, site, "failing")
    assert (
        "écart expliqué par un avoir du garage" in page.locator("[data-testid=audit]").inner_text()
    )


def test_a_dossier_below_the_threshold_asks_for_confirmation(page: Page, site: Site) -> None:
    log_in(page, site.url, GESTIONNAIRE[0], GESTIONNAIRE[1])
    _open(page, site, "below")
    assert page.locator("[data-testid=chosen-dossier]").count() == 0
    page.click(f"[data-testid=choose-{DOSSIER}]")
    page.wait_for_selector("[data-testid=error]")
    assert "confirmez" in page.locator("[data-testid=error]").inner_text()
    assert page.locator("[data-testid=chosen-dossier]").count() == 0  # not taken yet
    page.click(f"[data-testid=confirm-{DOSSIER}]")
    page.wait_for_selector("[data-testid=chosen-dossier]")
    assert DOSSIER in page.locator("[data-testid=chosen-dossier]").inner_text()
    assert "sous le seuil" in page.locator("[data-testid=audit]").inner_text()


def test_the_same_invoice_cannot_be_filed_twice_in_one_dossier(page: Page, site: Site) -> None:
    log_in(page, site.url, GESTIONNAIRE[0], GESTIONNAIRE[1])
    _open(page, site, "first")
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=message]")
    assert _status(site, "first") is Status.FILED
    _open(page, site, "copy")  # another scan of the same invoice: other bytes, same number
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=error]")
    assert "ne peut pas l'être deux fois" in page.locator("[data-testid=error]").inner_text()
    assert _status(site, "copy") is Status.NEEDS_REVIEW
    # whatever the reason: the same form posted with one, from this session
    csrf = page.locator("#approve-form input[name=csrf_token]").input_value()
    answer = page.request.post(
        f"{site.url}/documents/{site.ids['copy']}/approve",
        form={"csrf_token": csrf, "reason": "je le classe quand même"},
    )
    assert answer.ok  # the document page again, with its error
    assert _status(site, "copy") is Status.NEEDS_REVIEW
    registry = SqlDossierRegistry(sqlite_url(site.data_dir / "mailroom.sqlite3"))
    try:
        pair = {site.ids["first"], site.ids["copy"]}
        filed = [e for e in registry.ged_entries(DOSSIER) if e.document_id in pair]
    finally:
        registry.close()
    assert [e.document_id for e in filed] == [site.ids["first"]]


def test_messages_from_a_link_are_not_shown(page: Page, site: Site) -> None:
    injected = (
        "?error=<script>window.pwned=1</script>Session expirée, rappelez le 0899"
        "&message=Compte bloqué&flash=Compte bloqué"
    )
    response = page.goto(f"{site.url}/login{injected}")
    assert response is not None
    assert page.locator("[role=alert]").count() == 0
    log_in(page, site.url, GESTIONNAIRE[0], GESTIONNAIRE[1])
    for path in ("/", f"/documents/{site.ids['markup']}", "/dossiers", "/summary"):
        page.goto(site.url + path + injected)
        text = page.locator("main").inner_text()
        assert "0899" not in text and "Compte bloqué" not in text, path
        assert page.locator("[data-testid=error], [data-testid=message], [role=alert]").count() == 0
        assert page.evaluate("window.pwned") is None, path


def test_a_field_value_with_markup_is_refused_and_never_runs(page: Page, site: Site) -> None:
    log_in(page, site.url, GESTIONNAIRE[0], GESTIONNAIRE[1])
    # a value read by the machine with markup in it: shown as text, on the queue and the page
    assert page.evaluate("window.pwned") is None
    _open(page, site, "read-markup")
    assert page.locator("[data-testid=field-supplier_name]").input_value() == f"Garage {PAYLOAD}"
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    # typed by a person: refused in the form, the field as it was
    _open(page, site, "markup")
    page.evaluate("window.notReloaded = true")
    field = page.locator("[data-testid=field-supplier_name]")
    field.fill(f"Garage {PAYLOAD}")
    field.press("Enter")
    page.wait_for_selector("[data-testid=error]")
    assert "Fournisseur" in page.locator("[data-testid=error]").inner_text()
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("window.pwned") is None
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    _open(page, site, "markup")
    assert page.locator("[data-testid=field-supplier_name]").input_value() == "Garage 35"
    assert page.evaluate("window.pwned") is None
    corrections = [
        e for e in audit_of(site.data_dir, site.ids["markup"]) if e.action == "correct_field"
    ]
    assert corrections == []
    # nor is the machine's markup kept as a training label when a person changes that document
    _open(page, site, "read-markup")
    field = page.locator("[data-testid=field-invoice_number]")
    field.fill("F-36-B")
    field.press("Enter")
    page.wait_for_selector("[data-testid=message]")  # the field left alone is no error
    assert page.locator("[data-testid=error]").count() == 0
    labels = (site.data_dir / "labelled-examples.jsonl").read_text().splitlines()
    examples = [json.loads(line) for line in labels]
    [mine] = [e for e in examples if e["fields"].get("invoice_number") == "F-36-B"]
    assert "supplier_name" not in mine["fields"]
    assert not any("onerror" in json.dumps(e) for e in examples)


def test_one_save_for_all_fields_keeps_the_scroll_moves_the_box_in_french_formats(
    page: Page, site: Site
) -> None:
    log_in(page, site.url, GESTIONNAIRE[0], GESTIONNAIRE[1])
    _open(page, site, "flow")
    assert page.locator("[data-testid=field-invoice_date]").input_value() == "12/03/2026"
    assert _space(page.locator("[data-testid=field-total_incl_tax]").input_value()) == "1 234,56 €"
    box = page.locator("rect.box[data-field=supplier_name]")
    assert float(box.get_attribute("x") or 0) == 60
    page.fill("[data-testid=field-supplier_name]", "Garage Lemoine")
    page.fill("[data-testid=field-invoice_date]", "13/03/2026")
    page.evaluate("window.scrollTo(0, 250)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 100  # the page is long enough for the scroll to mean something
    page.evaluate("window.notReloaded = true")
    page.locator("[data-testid=field-invoice_date]").press("Enter")
    page.wait_for_selector("[data-testid=message]")
    assert page.evaluate("window.notReloaded") is True
    assert abs(page.evaluate("window.scrollY") - scrolled) < 40
    # both fields saved at once, shown in French; the box moved to the words of the new name
    assert page.locator("[data-testid=field-invoice_date]").input_value() == "13/03/2026"
    assert page.locator("[data-testid=field-supplier_name]").input_value() == "Garage Lemoine"
    box = page.locator("rect.box[data-field=supplier_name]")
    assert float(box.get_attribute("x") or 0) == 300
    history = _space(page.locator("[data-testid=audit]").inner_text())
    assert "Fournisseur" in history and "Garage Lemoire" in history and "Garage Lemoine" in history
    assert "12/03/2026" in history and "13/03/2026" in history
    # and on the queue: the amount as a French reader writes it
    page.goto(f"{site.url}/")
    assert "1 234,56 €" in _space(page.locator("[data-testid=queue]").inner_text())
