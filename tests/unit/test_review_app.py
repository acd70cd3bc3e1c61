"""The review application through FastAPI's TestClient: log-in, CSRF, roles, audit, corrections.

Stores are real (SQLite, filesystem) in a temporary folder; documents are built by hand.
"""

from __future__ import annotations

import html
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

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
    document_id_for,
    sha256_hex,
)
from mailroom.records import Beneficiary, Dossier
from mailroom.settings import Settings
from review.app import SESSION_COOKIE, create_app
from review.auth import hash_password
from review.settings import ReviewSettings
from review.store import ReviewStore, open_review_store
from storage.base import original_key
from storage.dossiers import MemoryDossierRegistry
from storage.filesystem import FilesystemObjectStore
from storage.settings import StorageSettings
from storage.sql import SqlMetadataStore, sqlite_url
from validate.report import Report

PASSWORD = "correct horse battery"
# The production cost is the library's default; tests hash cheaply (the cost rides in the hash).
CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@dataclass
class World:
    client: TestClient
    store: ReviewStore
    metadata: SqlMetadataStore
    registry: MemoryDossierRegistry
    objects: FilesystemObjectStore
    data_dir: Path


def _page_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (60, 85), "white").save(buf, format="PNG")
    return buf.getvalue()


def _dossier(dossier_id: str, last_name: str, required: tuple[DocType, ...] = ()) -> Dossier:
    return Dossier(
        dossier_id=dossier_id,
        event_date=date(2026, 3, 1),
        event_type="vehicle_breakdown",
        policy_number="CTR1",
        beneficiary=Beneficiary(
            first_name="Claire", last_name=last_name, email=f"{last_name.lower()}@example.fr"
        ),
        required_documents=required,
    )


def _document(objects: FilesystemObjectStore, n: int, doc_type: DocType, **kw: object) -> Document:
    sha = f"{n:064x}"
    key = f"derived/{sha}/page-0001.png"
    objects.put_bytes(key, _page_png(), content_type="image/png")
    page = Page(
        number=1,
        width=600,
        height=850,
        text="FACTURE Garage Dupuis total 120,00",
        words=(Word(text="FACTURE", bbox=BBox(x0=10, y0=10, x1=80, y1=24)),),
        text_source="ocr",
        ocr_confidence=88.0,
        image_key=key,
    )
    original = original_key(sha)
    objects.put_bytes(original, _page_png(), content_type="image/png")
    doc = Document(
        document_id=f"doc-{n:020x}",
        sha256=sha,
        source=Source(channel="scan", filename=f"file-{n}.pdf"),
        media_type="image/png",
        original_key=original,
        received_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=n),
        page_count=1,
        pages=[page],
        doc_type=doc_type,
        doc_type_confidence=0.95,
        status=Status.NEEDS_REVIEW,
        **kw,  # type: ignore[arg-type]
    )
    return doc


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    data_dir = tmp_path / "data"
    settings = Settings(storage=StorageSettings(data_dir=data_dir))
    metadata = SqlMetadataStore(sqlite_url(settings.storage.sqlite_path))
    objects = FilesystemObjectStore(settings.storage.objects_dir)
    registry = MemoryDossierRegistry()
    registry.upsert(_dossier("AST-2026-000001", "MARTIN", (DocType.INVOICE, DocType.BANK_DETAILS)))
    registry.upsert(_dossier("AST-2026-000002", "DURAND"))
    store = open_review_store(settings.storage)
    for name, role in (("alice", "gestionnaire"), ("marie", "medical"), ("root", "admin")):
        store.add_user(name, hash_password(PASSWORD, hasher=CHEAP), role)  # type: ignore[arg-type]
    invoice = _document(
        objects,
        1,
        DocType.INVOICE,
        fields={
            "supplier_name": ExtractedField(
                value="Garage Dupuls", confidence=0.4, page=1, bbox=BBox(x0=10, y0=30, x1=90, y1=44)
            ),
            "total_incl_tax": ExtractedField(value=Decimal("120.00"), confidence=0.95, page=1),
        },
        match=Match(
            status="ambiguous",
            candidates=(
                MatchCandidate(dossier_id="AST-2026-000001", score=0.7, reasons=("nom",)),
                MatchCandidate(dossier_id="AST-2026-000002", score=0.65),
            ),
        ),
        reason="champs à vérifier : supplier_name ; dossier à choisir parmi : AST-2026-000001",
    )
    medical = _document(
        objects,
        2,
        DocType.MEDICAL_CERTIFICATE,
        fields={"patient_name": ExtractedField(value="Claire MARTIN", confidence=0.9)},
        match=Match(status="unmatched"),
        reason="aucun dossier correspondant",
    )
    metadata.save(invoice)
    metadata.save(medical)
    app = create_app(
        settings,
        ReviewSettings(session_secret="s" * 40),  # type: ignore[arg-type]
        metadata=metadata,
        objects=objects,
        registry=registry,
        store=store,
        rehash_passwords=False,
    )
    with TestClient(app) as client:
        yield World(client, store, metadata, registry, objects, data_dir)
    metadata.close()
    store.close()


INVOICE = f"doc-{1:020x}"
MEDICAL = f"doc-{2:020x}"


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in; returns the session's CSRF token (read from a page, as a browser would)."""
    form = client.get("/login").text
    token = re.search(r'name="login_token" value="([^"]+)"', form)
    assert token is not None
    r = client.post(
        "/login",
        data={"username": username, "password": password, "login_token": token.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get("/").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    return csrf.group(1)


# --- log-in, sessions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        f"/documents/{INVOICE}",
        f"/documents/{INVOICE}/pages/1.png",
        f"/api/documents/{INVOICE}",
        "/dossiers",
        "/dossiers/AST-2026-000001",
        "/summary",
        "/summary/chart.png",
    ],
)
def test_every_page_redirects_to_login_without_a_session(world: World, path: str) -> None:
    r = world.client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


def test_wrong_password_is_refused_and_opens_no_session(world: World) -> None:
    form = world.client.get("/login").text
    token = re.search(r'name="login_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    r = world.client.post(
        "/login", data={"username": "alice", "password": "nope-nope-nope", "login_token": token}
    )
    assert r.status_code == 401
    assert SESSION_COOKIE not in world.client.cookies
    assert world.client.get("/", follow_redirects=False).status_code == 303


def test_passwords_are_stored_hashed_with_argon2(world: World) -> None:
    user = world.store.get_user("alice")
    assert user is not None
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")


def test_login_form_without_its_token_is_refused(world: World) -> None:
    r = world.client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert r.status_code == 403


def test_logout_ends_the_session_on_the_server(world: World) -> None:
    csrf = login(world.client, "alice")
    cookie = world.client.cookies[SESSION_COOKIE]
    r = world.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    # Replaying the old cookie no longer works.
    world.client.cookies.set(SESSION_COOKIE, cookie)
    assert world.client.get("/", follow_redirects=False).status_code == 303


def test_disabled_account_loses_its_session(world: World) -> None:
    login(world.client, "alice")
    world.store.set_active("alice", False)
    assert world.client.get("/", follow_redirects=False).status_code == 303


def test_forged_session_cookie_is_refused(world: World) -> None:
    world.client.cookies.set(SESSION_COOKIE, "not-a-signed-value")
    assert world.client.get("/", follow_redirects=False).status_code == 303


# --- CSRF -----------------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused_and_changes_nothing(world: World) -> None:
    login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/fields/supplier_name", data={"value": "Garage Dupuis"}
    )
    assert r.status_code == 403
    doc = world.metadata.get(INVOICE)
    assert doc is not None and doc.fields["supplier_name"].value == "Garage Dupuls"


def test_post_with_another_sessions_csrf_token_is_refused(world: World) -> None:
    other = TestClient(world.client.app)
    stolen = login(other, "root")
    login(world.client, "alice")
    r = world.client.post(f"/documents/{INVOICE}/approve", data={"csrf_token": stolen})
    assert r.status_code == 403


# --- roles and audit -------------------------------------------------------------------------


def test_gestionnaire_does_not_see_medical_certificates_in_the_queue(world: World) -> None:
    login(world.client, "alice")
    page = world.client.get("/").text
    assert INVOICE in page
    assert MEDICAL not in page


@pytest.mark.parametrize(
    "path",
    [
        f"/documents/{MEDICAL}",
        f"/documents/{MEDICAL}/pages/1.png",
        f"/documents/{MEDICAL}/pages/1/screen",
        f"/api/documents/{MEDICAL}",
        f"/documents/{MEDICAL}/original",
    ],
)
@pytest.mark.parametrize("user", ["alice", "root"])
def test_medical_certificate_is_refused_to_other_roles_and_the_refusal_audited(
    world: World, path: str, user: str
) -> None:
    login(world.client, user)
    r = world.client.get(path)
    assert r.status_code == 403
    assert "Claire MARTIN" not in r.text
    events = world.store.audit_events(document_id=MEDICAL)
    assert [(e.username, e.allowed) for e in events] == [(user, False)]


def test_medical_role_sees_medical_certificates_and_each_access_is_audited(world: World) -> None:
    login(world.client, "marie")
    assert MEDICAL in world.client.get("/").text
    r = world.client.get(f"/documents/{MEDICAL}")
    assert r.status_code == 200 and "Claire MARTIN" in r.text
    assert world.client.get(f"/documents/{MEDICAL}/pages/1.png").status_code == 200
    actions = [(e.action, e.allowed) for e in world.store.audit_events(document_id=MEDICAL)]
    assert ("list", True) in actions
    assert ("view", True) in actions
    assert ("image", True) in actions


def test_gestionnaire_cannot_turn_a_document_into_a_medical_certificate(world: World) -> None:
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/type", data={"csrf_token": csrf, "doc_type": "medical_certificate"}
    )
    assert r.status_code == 403
    assert world.metadata.get(INVOICE).doc_type is DocType.INVOICE  # type: ignore[union-attr]


def test_accessing_ordinary_documents_is_not_audited_as_medical(world: World) -> None:
    login(world.client, "alice")
    world.client.get(f"/documents/{INVOICE}")
    assert world.store.audit_events(document_id=INVOICE) == []


# --- corrections ------------------------------------------------------------------------------


def test_correction_is_validated_stored_audited_and_kept_as_labelled_example(
    world: World,
) -> None:
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/fields/total_incl_tax",
        data={"csrf_token": csrf, "value": "1 234,50 €"},
    )
    assert r.status_code == 200 and "corrigé" in r.text
    field = world.metadata.get(INVOICE).fields["total_incl_tax"]  # type: ignore[union-attr]
    assert field.value == Decimal("1234.50")
    assert (field.source, field.confidence) == ("correction", 1.0)
    [event] = world.store.audit_events(document_id=INVOICE)
    assert event.username == "alice" and event.action == "correct_field"
    assert event.before["total_incl_tax"]["value"] == "120.00"
    assert event.after["total_incl_tax"]["value"] == "1234.50"
    # the audit trail shows on the document page, in French: which field, from what to what
    assert "Total TTC : 120,00\u00a0€ → 1\u202f234,50\u00a0€" in html.unescape(r.text)
    lines = (world.data_dir / "labelled-examples.jsonl").read_text(encoding="utf-8").splitlines()
    example = json.loads(lines[-1])
    assert example["doc_type"] == "invoice"
    assert example["fields"]["total_incl_tax"] == "1234.50"
    assert "FACTURE" in example["text"]


def test_correction_in_a_bad_format_is_refused_with_a_message(world: World) -> None:
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/fields/total_incl_tax", data={"csrf_token": csrf, "value": "abc"}
    )
    assert "n'est pas un montant" in html.unescape(r.text)
    assert world.metadata.get(INVOICE).fields["total_incl_tax"].value == Decimal("120.00")  # type: ignore[union-attr]
    assert world.store.audit_events(document_id=INVOICE) == []


def test_field_of_another_document_type_cannot_be_set(world: World) -> None:
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/fields/patient_name", data={"csrf_token": csrf, "value": "X Y"}
    )
    assert "n'existe pas" in html.unescape(r.text)
    assert "patient_name" not in world.metadata.get(INVOICE).fields  # type: ignore[union-attr]


# --- dossier, approval, requests ----------------------------------------------------------------


def test_choose_dossier_then_approve_files_a_ged_entry(world: World) -> None:
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/dossier",
        data={"csrf_token": csrf, "dossier_id": "AST-2026-000002", "confirm": "1"},
    )
    assert r.status_code == 200
    doc = world.metadata.get(INVOICE)
    assert doc is not None and doc.match is not None
    assert (doc.match.status, doc.match.dossier_id) == ("matched", "AST-2026-000002")
    r = world.client.post(f"/documents/{INVOICE}/approve", data={"csrf_token": csrf})
    assert r.status_code == 200
    [entry] = world.registry.ged_entries("AST-2026-000002")
    assert entry.document_id == INVOICE
    assert entry.ged_entry_id in r.text  # said on the next page
    doc = world.metadata.get(INVOICE)
    assert doc is not None and doc.status is Status.FILED and doc.ged_entry_id == entry.ged_entry_id
    # A scan: the searchable copy is a PDF made from the stored page image and the words read.
    assert entry.searchable_pdf_key is not None and entry.searchable_pdf_key.endswith(".pdf")
    assert world.objects.get_bytes(entry.searchable_pdf_key).startswith(b"%PDF")
    actions = [e.action for e in world.store.audit_events(document_id=INVOICE)]
    assert actions == ["choose_dossier", "approve"]


def test_approve_without_a_dossier_is_refused(world: World) -> None:
    csrf = login(world.client, "alice")
    r = world.client.post(f"/documents/{INVOICE}/approve", data={"csrf_token": csrf})
    assert "choisissez d'abord le dossier" in html.unescape(r.text)
    assert world.registry.ged_entries() == []


def test_request_text_is_shown_before_it_is_sent(world: World, tmp_path: Path) -> None:
    csrf = login(world.client, "alice")
    world.client.post(
        f"/documents/{INVOICE}/dossier",
        data={"csrf_token": csrf, "dossier_id": "AST-2026-000001", "confirm": "1"},
    )
    preview = world.client.get(f"/documents/{INVOICE}/request")
    assert preview.status_code == 200
    assert "Pièces manquantes – dossier AST-2026-000001" in preview.text
    assert "relevé d'identité bancaire" in html.unescape(preview.text)
    assert world.registry.requests() == []
    r = world.client.post(f"/documents/{INVOICE}/request", data={"csrf_token": csrf})
    assert "envoyée" in r.text
    [request] = world.registry.requests("AST-2026-000001")
    assert request.missing == ("invoice", "bank_details")
    assert list((world.data_dir / "outbox").glob("*.eml"))
    again = world.client.post(f"/documents/{INVOICE}/request", data={"csrf_token": csrf})
    assert "déjà en cours" in again.text


def test_set_aside_leaves_the_queue_and_shows_under_its_filter(world: World) -> None:
    csrf = login(world.client, "alice")
    world.client.post(f"/documents/{INVOICE}/set-aside", data={"csrf_token": csrf, "note": "appel"})
    assert INVOICE not in world.client.get("/").text
    assert INVOICE in world.client.get("/?aside=1").text


def test_queue_filters_by_reason_and_counts_reasons(world: World) -> None:
    login(world.client, "marie")
    page = world.client.get("/?reason=unmatched").text
    assert MEDICAL in page and INVOICE not in page
    counts = world.client.get("/").text
    assert re.search(r'data-testid="count-unmatched">aucun dossier <b>1</b>', counts)
    assert re.search(r'data-testid="count-fields">champs à vérifier <b>1</b>', counts)


def test_field_boxes_are_drawn_coloured_by_confidence(world: World) -> None:
    login(world.client, "alice")
    page = world.client.get(f"/documents/{INVOICE}").text
    assert re.search(r'<rect class="box low" data-field="supplier_name"', page)


def test_summary_page_and_chart(world: World) -> None:
    login(world.client, "alice")
    assert "Tableau de synthèse" in world.client.get("/summary").text
    chart = world.client.get("/summary/chart.png")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")


def test_dossier_search_finds_by_beneficiary_name(world: World) -> None:
    login(world.client, "alice")
    page = world.client.get("/dossiers?q=durand").text
    assert "AST-2026-000002" in page and "AST-2026-000001" not in page


# --- ouverture après coup -------------------------------------------------------------------


def test_dossier_opened_after_the_fact_is_prefilled_from_the_documents_fields(
    world: World,
) -> None:
    login(world.client, "marie")
    form = world.client.get(f"/documents/{MEDICAL}/open-dossier").text
    assert 'name="first_name" required value="Claire"' in form
    assert 'name="last_name" required value="MARTIN"' in form


def test_opening_a_dossier_after_the_fact_files_the_document_into_it(world: World) -> None:
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/open-dossier",
        data={
            "csrf_token": csrf,
            "dossier_id": "ast-2026-000099",
            "first_name": "Claire",
            "last_name": "MARTIN",
            "event_date": "2026-03-01",
            "event_type": "accident",
            "required_documents": ["invoice", "bank_details"],
        },
    )
    assert r.status_code == 200 and "ouvert après coup" in r.text
    dossier = world.registry.get("AST-2026-000099")
    assert dossier is not None and dossier.beneficiary.full_name == "Claire MARTIN"
    assert [str(t) for t in dossier.required_documents] == ["invoice", "bank_details"]
    doc = world.metadata.get(INVOICE)
    assert doc is not None and doc.match is not None
    assert doc.match.dossier_id == "AST-2026-000099"
    actions = [e.action for e in world.store.audit_events(document_id=INVOICE)]
    assert actions == ["open_dossier", "choose_dossier"]


def test_opening_an_existing_dossier_after_the_fact_is_refused(world: World) -> None:
    csrf = login(world.client, "alice")
    data = {"csrf_token": csrf, "dossier_id": "AST-2026-000001"}
    data |= {"first_name": "X", "last_name": "Y"}
    r = world.client.post(f"/documents/{INVOICE}/open-dossier", data=data)
    assert "existe déjà" in html.unescape(r.text)
    assert world.registry.get("AST-2026-000001").beneficiary.last_name == "MARTIN"  # type: ignore[union-attr]


def test_opening_a_dossier_without_a_name_shows_the_problem(world: World) -> None:
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/open-dossier",
        data={"csrf_token": csrf, "dossier_id": "AST-2026-000100", "first_name": "X"},
    )
    assert "last_name" in r.text
    assert world.registry.get("AST-2026-000100") is None


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example"])
def test_login_never_redirects_off_site(world: World, target: str) -> None:
    form = world.client.get("/login").text
    token = re.search(r'name="login_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    r = world.client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "login_token": token, "next": target},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


# --- secret médical through containers (an e-mail carrying a certificate) -------------------


def _eml_with_attachment(attachment: bytes, name: str) -> bytes:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "claire.martin@example.fr"
    msg["To"] = "remboursements@example.fr"
    msg["Subject"] = "Mon dossier"
    msg.set_content("Bonjour, veuillez trouver ci-joint la pièce demandée pour mon dossier.")
    msg.add_attachment(attachment, maintype="application", subtype="pdf", filename=name)
    return msg.as_bytes()


def _email_container(world: World, n: int, eml: bytes) -> Document:
    sha = f"{n:064x}"
    key = original_key(sha)
    world.objects.put_bytes(key, eml, content_type="message/rfc822")
    email = Document(
        document_id=f"doc-{n:020x}",
        sha256=sha,
        source=Source(channel="email", filename="message.eml"),
        media_type="message/rfc822",
        original_key=key,
        status=Status.SPLIT,
        reason="2 document(s) extrait(s) de l'e-mail",
    )
    world.metadata.save(email)
    return email


def _part(
    world: World, n: int, parent: Document, doc_type: DocType, data: bytes | None = None
) -> Document:
    """A document taken out of ``parent``: ``data`` its bytes (an e-mail's attachment)."""
    part = _document(world.objects, n, doc_type, parent_id=parent.document_id)
    if data is not None:
        sha = sha256_hex(data)
        part = part.model_copy(update={"sha256": sha, "document_id": document_id_for(sha)})
    world.metadata.save(part)
    return part


def _batch_container(world: World, n: int) -> Document:
    """A scanned stack split into documents (no e-mail to read again: parts by parent)."""
    batch = _document(world.objects, n, DocType.OTHER)
    batch = batch.model_copy(update={"status": Status.SPLIT, "doc_type": None})
    world.metadata.save(batch)
    return batch


CONTAINER_PATHS = ("/documents/{id}/original", "/api/documents/{id}", "/documents/{id}")


@pytest.mark.parametrize("template", CONTAINER_PATHS)
def test_email_carrying_a_medical_certificate_is_refused_to_a_gestionnaire_and_audited(
    world: World, template: str
) -> None:
    certificate = b"%PDF-1.4 cert"
    email = _email_container(world, 30, _eml_with_attachment(certificate, "certificat.pdf"))
    body = _part(world, 31, email, DocType.CLAIM_LETTER)
    medical = _part(world, 32, email, DocType.MEDICAL_CERTIFICATE, certificate)
    login(world.client, "alice")
    r = world.client.get(template.format(id=email.document_id))
    assert r.status_code == 403
    assert "certificat médical" in html.unescape(r.text)
    [event] = world.store.audit_events(document_id=email.document_id)
    assert (event.username, event.allowed) == ("alice", False)
    assert medical.document_id in (event.detail or "")
    # the e-mail's other parts stay open to the gestionnaire
    assert world.client.get(f"/api/documents/{body.document_id}").status_code == 200


def test_email_whose_attachment_is_an_already_known_certificate_is_refused(world: World) -> None:
    # The certificate came first on its own; in the e-mail it is a duplicate with no parent.
    certificate = b"%PDF-1.4 certificat medical deja recu"
    sha = sha256_hex(certificate)
    known = _document(world.objects, 40, DocType.MEDICAL_CERTIFICATE)
    known = known.model_copy(update={"sha256": sha, "document_id": document_id_for(sha)})
    world.metadata.save(known)
    email = _email_container(world, 41, _eml_with_attachment(certificate, "scan.pdf"))
    login(world.client, "alice")
    assert world.client.get(f"/documents/{email.document_id}/original").status_code == 403
    assert world.client.get(f"/api/documents/{email.document_id}").status_code == 403


def test_medical_team_gets_the_email_and_each_access_is_audited(world: World) -> None:
    eml = _eml_with_attachment(b"%PDF-1.4 cert", "certificat.pdf")
    email = _email_container(world, 30, eml)
    _part(world, 32, email, DocType.MEDICAL_CERTIFICATE, b"%PDF-1.4 cert")
    login(world.client, "marie")
    r = world.client.get(f"/documents/{email.document_id}/original")
    assert r.status_code == 200 and r.content == eml
    assert world.client.get(f"/api/documents/{email.document_id}").status_code == 200
    events = world.store.audit_events(document_id=email.document_id)
    assert [(e.action, e.allowed) for e in events] == [("download", True), ("api", True)]


def test_email_without_a_medical_part_is_served_to_a_gestionnaire(world: World) -> None:
    email = _email_container(world, 30, _eml_with_attachment(b"%PDF-1.4 facture", "f.pdf"))
    _part(world, 31, email, DocType.INVOICE, b"%PDF-1.4 facture")
    login(world.client, "alice")
    assert world.client.get(f"/documents/{email.document_id}/original").status_code == 200
    assert world.store.audit_events(document_id=email.document_id) == []


def test_scan_batch_holding_a_medical_certificate_is_refused_to_a_gestionnaire(
    world: World,
) -> None:
    batch = _batch_container(world, 33)
    letter = _part(world, 34, batch, DocType.CLAIM_LETTER)
    _part(world, 35, letter, DocType.MEDICAL_CERTIFICATE)  # at any depth
    login(world.client, "alice")
    for path in CONTAINER_PATHS + ("/documents/{id}/pages/1.png",):
        assert world.client.get(path.format(id=batch.document_id)).status_code == 403, path
    assert world.client.get(f"/documents/{letter.document_id}").status_code == 200


# --- log-in throttling and log-in CSRF ------------------------------------------------------


def _login_attempt(client: TestClient, username: str, password: str) -> httpx.Response:
    form = client.get("/login").text
    token = re.search(r'name="login_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    return client.post(
        "/login",
        data={"username": username, "password": password, "login_token": token},
        follow_redirects=False,
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_after_30_wrong_passwords_the_right_one_is_not_accepted_at_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="review.app")
    codes = [
        _login_attempt(world.client, "alice", f"wrong-{i:03d}-xx").status_code for i in range(30)
    ]
    assert set(codes) <= {401, 429} and 429 in codes
    r = _login_attempt(world.client, "alice", PASSWORD)
    assert r.status_code == 429
    assert SESSION_COOKIE not in world.client.cookies
    # however fast or slow the 30 tries came, they locked the account
    assert "verrouillé temporairement" in html.unescape(r.text)
    assert int(r.headers["retry-after"]) >= 600
    warnings = [rec.getMessage() for rec in caplog.records if rec.levelno == logging.WARNING]
    assert any("failed log-in for 'alice'" in m for m in warnings)
    assert any("refused unchecked" in m for m in warnings)
    assert any("account alice locked" in m for m in warnings)


def test_failures_lock_the_account_for_a_while_then_it_opens_again(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    world.client.app.state.throttle.clock = clock  # type: ignore[attr-defined]
    caplog.set_level(logging.WARNING, logger="review.app")
    throttle = world.client.app.state.throttle  # type: ignore[attr-defined]
    waits = []
    for i in range(10):
        r = _login_attempt(world.client, "alice", f"wrong-{i:03d}-xx")
        assert r.status_code == 401  # each try waited its turn: the password was checked
        refusal = throttle.refusal("alice", "testclient")
        waits.append(refusal.wait_s if refusal else 0.0)
        if i < 9:
            clock.now += waits[-1] + 0.5
    assert waits[:3] == [0.0, 0.0, 0.0]  # a few free tries
    assert waits[3:9] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]  # then a growing delay
    assert waits[9] == 900.0  # then a lock
    r = _login_attempt(world.client, "alice", PASSWORD)
    assert r.status_code == 429 and "verrouillé" in html.unescape(r.text)
    assert any("locked" in rec.getMessage() for rec in caplog.records)
    clock.now += 901
    assert _login_attempt(world.client, "alice", PASSWORD).status_code == 303


def test_one_address_guessing_many_accounts_is_locked(world: World) -> None:
    clock = FakeClock()
    world.client.app.state.throttle.clock = clock  # type: ignore[attr-defined]
    for i in range(30):
        r = _login_attempt(world.client, f"user{i}", "wrong-password-x")
        assert r.status_code == 401
        clock.now += 61
    r = _login_attempt(world.client, "alice", PASSWORD)
    assert r.status_code == 429 and "verrouillé" in html.unescape(r.text)


def test_login_token_replayed_without_its_cookie_is_refused(world: World) -> None:
    form = world.client.get("/login").text
    token = re.search(r'name="login_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    elsewhere = TestClient(world.client.app)  # another browser: no log-in cookie
    r = elsewhere.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "login_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert SESSION_COOKIE not in elsewhere.cookies
    # the same form, with the cookie set with it, works
    assert _login_attempt(world.client, "alice", PASSWORD).status_code == 303


def test_mailroom_review_prints_warning_logs(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    from mailroom.cli import main

    def fake_run(app: FastAPI, **kw: object) -> None:
        # logging set up as uvicorn.run sets it up, then a wrong password
        uvicorn.Config(app, log_level=kw["log_level"], access_log=False)  # type: ignore[arg-type]
        _login_attempt(TestClient(app), "alice", "wrong-password-x")

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv("MAILROOM_STORAGE__DATA_DIR", str(world.data_dir))
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        assert main(["review"]) == 0
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "WARNING" in err and "failed log-in for 'alice'" in err


# --- failing checks stop approval ---------------------------------------------------------------


def _matched_invoice(world: World, n: int, **fields: object) -> Document:
    values = {
        "supplier_name": "Garage Dupuis",
        "invoice_number": "F-100",
        "total_excl_tax": Decimal("100.00"),
        "vat_amount": Decimal("20.00"),
        "total_incl_tax": Decimal("120.00"),
    } | fields
    doc = _document(
        world.objects,
        n,
        DocType.INVOICE,
        fields={
            k: ExtractedField(value=v, confidence=0.95)  # type: ignore[arg-type]
            for k, v in values.items()
        },
        match=Match(
            status="matched",
            dossier_id="AST-2026-000002",
            score=0.95,
            candidates=(MatchCandidate(dossier_id="AST-2026-000002", score=0.95),),
        ),
        reason="contrôle bloquant",
    )
    world.metadata.save(doc)
    return doc


def test_approving_a_document_whose_check_fails_without_a_reason_leaves_it_unfiled(
    world: World,
) -> None:
    doc = _matched_invoice(world, 50, total_incl_tax=Decimal("150.00"))  # HT + TVA != TTC
    doc.checks = [Check(code="invoice.totals_consistent", status="fail", message="écart")]
    world.metadata.save(doc)
    csrf = login(world.client, "alice")
    page = world.client.get(f"/documents/{doc.document_id}").text
    assert 'data-testid="approve-reason"' in page
    r = world.client.post(f"/documents/{doc.document_id}/approve", data={"csrf_token": csrf})
    assert "contrôle en échec" in html.unescape(r.text)
    assert world.registry.ged_entries() == []
    assert world.metadata.get(doc.document_id).status is Status.NEEDS_REVIEW  # type: ignore[union-attr]
    r = world.client.post(
        f"/documents/{doc.document_id}/approve",
        data={"csrf_token": csrf, "reason": "  TTC confirmé par téléphone  "},
    )
    [entry] = world.registry.ged_entries()
    assert entry.document_id == doc.document_id
    [approval] = [e for e in world.store.audit_events(document_id=doc.document_id)]
    assert approval.action == "approve"
    assert "invoice.totals_consistent" in (approval.detail or "")
    assert "TTC confirmé par téléphone" in (approval.detail or "")


def test_a_failed_fraud_check_survives_the_recheck_and_blocks_approval(world: World) -> None:
    doc = _matched_invoice(world, 51)
    doc.checks = [Check(code="fraud.iban_changed", status="fail", message="IBAN changé")]
    world.metadata.save(doc)
    csrf = login(world.client, "alice")
    world.client.post(f"/documents/{doc.document_id}/approve", data={"csrf_token": csrf})
    assert world.registry.ged_entries() == []


def test_the_same_invoice_cannot_be_filed_twice_in_one_dossier(world: World) -> None:
    first = _matched_invoice(world, 52)
    second = _matched_invoice(world, 53, supplier_name="GARAGE DUPUIS")  # another copy
    csrf = login(world.client, "alice")
    world.client.post(f"/documents/{first.document_id}/approve", data={"csrf_token": csrf})
    assert len(world.registry.ged_entries("AST-2026-000002")) == 1
    r = world.client.post(
        f"/documents/{second.document_id}/approve",
        data={"csrf_token": csrf, "reason": "je valide quand même"},
    )
    assert "ne peut pas l'être deux fois" in html.unescape(r.text)
    assert len(world.registry.ged_entries("AST-2026-000002")) == 1
    assert world.metadata.get(second.document_id).status is Status.NEEDS_REVIEW  # type: ignore[union-attr]


def test_a_dossier_below_the_match_threshold_asks_for_confirmation(world: World) -> None:
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/dossier", data={"csrf_token": csrf, "dossier_id": "AST-2026-000001"}
    )
    assert "confirmez" in html.unescape(r.text)
    assert 'data-testid="confirm-AST-2026-000001"' in r.text
    doc = world.metadata.get(INVOICE)
    assert doc is not None and doc.match is not None and doc.match.status == "ambiguous"
    world.client.post(
        f"/documents/{INVOICE}/dossier",
        data={"csrf_token": csrf, "dossier_id": "AST-2026-000001", "confirm": "1"},
    )
    doc = world.metadata.get(INVOICE)
    assert doc is not None and doc.match is not None and doc.match.dossier_id == "AST-2026-000001"
    [event] = world.store.audit_events(document_id=INVOICE)
    assert "confirmé sous le seuil" in (event.detail or "")


# --- only the server's own messages ------------------------------------------------------------


def test_messages_in_links_are_not_shown(world: World) -> None:
    login(world.client, "alice")
    bait = "Votre session a expiré, appelez le 01 23 45 67 89"
    for path in (f"/documents/{INVOICE}", "/dossiers/AST-2026-000001", "/"):
        page = world.client.get(path, params={"error": bait, "message": bait, "filed": bait})
        assert bait not in html.unescape(page.text), path


def test_a_server_message_is_shown_once(world: World) -> None:
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/fields/total_incl_tax", data={"csrf_token": csrf, "value": "abc"}
    )
    assert 'data-testid="error"' in r.text
    assert "abc" not in r.history[0].headers["location"]  # kept on the server, not in the link
    assert 'data-testid="error"' not in world.client.get(f"/documents/{INVOICE}").text


# --- markup in field values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["<img src=x onerror=alert(1)>", "Garage <b>Dupuis</b>", "Dupuis &lt;script&gt;"]
)
def test_markup_in_a_field_is_refused_and_never_becomes_a_label(world: World, value: str) -> None:
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/fields/supplier_name", data={"csrf_token": csrf, "value": value}
    )
    assert "balisage" in html.unescape(r.text)
    assert world.metadata.get(INVOICE).fields["supplier_name"].value == "Garage Dupuls"  # type: ignore[union-attr]
    assert not (world.data_dir / "labelled-examples.jsonl").exists()


def test_markup_read_by_the_machine_is_kept_out_of_training_labels(world: World) -> None:
    doc = world.metadata.get(INVOICE)
    assert doc is not None
    doc.fields = {
        **doc.fields,
        "customer_name": ExtractedField(value="<script>x</script>", confidence=0.5),
    }
    world.metadata.save(doc)
    csrf = login(world.client, "alice")
    world.client.post(
        f"/documents/{INVOICE}/fields/total_incl_tax", data={"csrf_token": csrf, "value": "120,00"}
    )
    [line] = (world.data_dir / "labelled-examples.jsonl").read_text(encoding="utf-8").splitlines()
    example = json.loads(line)
    assert "customer_name" not in example["fields"]
    assert example["fields"]["supplier_name"] == "Garage Dupuls"


# --- the reviewer's flow ---------------------------------------------------------------------


def _queued_invoices(world: World, count: int, start: int = 60) -> list[Document]:
    docs = []
    for i in range(count):
        doc = _document(
            world.objects,
            start + i,
            DocType.INVOICE,
            fields={
                "supplier_name": ExtractedField(value=f"Fournisseur {99 - i:02d}", confidence=0.5),
                "total_incl_tax": ExtractedField(value=Decimal(f"{1000 + i}.50"), confidence=0.9),
            },
            reason="champs à vérifier : supplier_name",
        )
        world.metadata.save(doc)
        docs.append(doc)
    return docs


def test_after_set_aside_the_next_document_of_the_filtered_queue_opens(world: World) -> None:
    a, b, c = _queued_invoices(world, 3)
    csrf = login(world.client, "alice")
    file = "reason=fields&sort=-amount"  # c, b, a (largest amount first); INVOICE has no amount
    page = world.client.get(f"/documents/{c.document_id}", params={"file": file}).text
    assert f'href="/documents/{b.document_id}?file=' in page  # next, in the queue's order
    r = world.client.post(
        f"/documents/{c.document_id}/set-aside",
        data={"csrf_token": csrf, "note": "appeler", "file": file},
        follow_redirects=False,
    )
    assert r.headers["location"].startswith(f"/documents/{b.document_id}?file=")
    page = world.client.get(r.headers["location"]).text
    assert "mis de côté" in page  # the flash message about the previous one


def test_after_the_last_document_the_queue_comes_back(world: World) -> None:
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/set-aside",
        data={"csrf_token": csrf, "file": "reason=fields"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/?reason=fields"


def test_queue_pages_sorts_and_shows_supplier_and_amount_columns(world: World) -> None:
    docs = _queued_invoices(world, 60)
    login(world.client, "alice")
    first = world.client.get("/", params={"sort": "-amount"}).text
    assert "page 1 / 2" in first
    assert html.unescape(first).count("1\u202f059,50\u00a0€") == 1  # largest first, in French
    assert docs[59].document_id in first and docs[0].document_id not in first
    second = world.client.get("/", params={"sort": "-amount", "page": "2"}).text
    assert docs[0].document_id in second
    by_supplier = world.client.get("/", params={"sort": "supplier"}).text
    assert by_supplier.index("Fournisseur 40") < by_supplier.index("Fournisseur 89")
    assert "Fournisseur 99" not in by_supplier  # on page 2


def test_queue_full_text_search_over_the_read_text(world: World) -> None:
    doc = _queued_invoices(world, 2)[1]
    page = doc.pages[0].model_copy(update={"text": "Remorquage autoroute A6 sortie Beaune"})
    doc.pages = [page]
    world.metadata.save(doc)
    login(world.client, "alice")
    found = world.client.get("/", params={"text": "beaune remorquage"}).text
    assert doc.document_id in found and INVOICE not in found


def test_bulk_set_aside_of_a_selection(world: World) -> None:
    a, b, c = _queued_invoices(world, 3)
    csrf = login(world.client, "alice")
    r = world.client.post(
        "/bulk",
        data={
            "csrf_token": csrf,
            "action": "set_aside",
            "note": "lot du matin",
            "document_id": [a.document_id, b.document_id],
        },
    )
    assert "2 document(s) mis de côté" in html.unescape(r.text)
    assert world.store.set_aside_ids() == {a.document_id, b.document_id}
    aside = world.client.get("/?aside=1").text
    assert "lot du matin" in aside  # the note shows in the list


def test_bulk_file_as_other(world: World) -> None:
    [a] = _queued_invoices(world, 1)
    csrf = login(world.client, "alice")
    world.client.post(
        "/bulk", data={"csrf_token": csrf, "action": "other", "document_id": [a.document_id]}
    )
    assert world.metadata.get(a.document_id).doc_type is DocType.OTHER  # type: ignore[union-attr]


def test_one_save_for_all_fields_answers_json_for_the_pages_script(world: World) -> None:
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/fields",
        data={
            "csrf_token": csrf,
            "field:supplier_name": "Garage Dupuis",
            "field:total_incl_tax": "120,00 €",  # unchanged, as the page shows it
            "field:invoice_date": "pas une date",
        },
        headers={"Accept": "application/json"},
    )
    answer = r.json()
    assert answer["changed"] == ["supplier_name"]
    assert list(answer["errors"]) == ["invoice_date"]
    doc = world.metadata.get(INVOICE)
    assert doc is not None and doc.fields["supplier_name"].value == "Garage Dupuis"
    assert "invoice_date" not in doc.fields


def test_a_field_read_with_markup_and_left_alone_does_not_stop_the_others(world: World) -> None:
    doc = _matched_invoice(world, 90, supplier_name='Garage <b onclick="x()">Nord</b>')
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{doc.document_id}/fields",
        data={
            "csrf_token": csrf,
            "field:supplier_name": 'Garage <b onclick="x()">Nord</b>',  # as the page shows it
            "field:invoice_number": "F-101",
        },
        headers={"Accept": "application/json"},
    )
    assert r.json()["changed"] == ["invoice_number"] and r.json()["errors"] == {}
    # typed by a person, the same markup is refused
    r = world.client.post(
        f"/documents/{doc.document_id}/fields",
        data={"csrf_token": csrf, "field:supplier_name": "Garage <b>Sud</b>"},
        headers={"Accept": "application/json"},
    )
    assert list(r.json()["errors"]) == ["supplier_name"]


def test_document_page_speaks_french(world: World) -> None:
    login(world.client, "alice")
    page = html.unescape(world.client.get(f"/documents/{INVOICE}").text)
    assert ">à revoir<" in page  # the status
    assert 'value="120,00\u00a0€"' in page  # the amount as a French reader writes it
    assert "courrier numérisé" in page  # the channel
    assert "Raccourcis" in page and "<kbd>v</kbd> valider" in page  # the keyboard legend


def test_email_body_is_named_by_its_subject_and_sender(world: World) -> None:
    doc = _document(world.objects, 70, DocType.CLAIM_LETTER, reason="aucun dossier")
    doc.source = Source(
        channel="email",
        email={"from": "claire.martin@example.fr", "subject": "Remboursement dépannage"},  # type: ignore[arg-type]
    )
    world.metadata.save(doc)
    login(world.client, "alice")
    page = html.unescape(world.client.get("/").text)
    assert "E-mail « Remboursement dépannage » de claire.martin@example.fr" in page


def _full_a4_page(world: World) -> None:
    """The invoice's page image replaced by an A4 page at 300 dpi full of text (a 2.5 MB PNG
    or so): what a scan gives."""
    from PIL import ImageDraw

    big = Image.new("RGB", (2480, 3508), "white")
    draw = ImageDraw.Draw(big)
    for line in range(120):
        text = f"Ligne {line} : désignation, quantité, prix " * 3
        draw.text((150, 120 + line * 27), text, "black")
    buf = io.BytesIO()
    big.save(buf, format="PNG")
    doc = world.metadata.get(INVOICE)
    assert doc is not None and doc.pages[0].image_key is not None
    world.objects.put_bytes(doc.pages[0].image_key, buf.getvalue(), content_type="image/png")


BROWSER_IMAGE_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


def test_page_images_for_the_screen_are_small_webps_for_a_browser_that_takes_them(
    world: World,
) -> None:
    _full_a4_page(world)
    login(world.client, "alice")
    path = f"/documents/{INVOICE}/pages/1/screen"
    r = world.client.get(path, headers={"Accept": BROWSER_IMAGE_ACCEPT})
    assert r.status_code == 200 and r.headers["content-type"] == "image/webp"
    assert len(r.content) <= 300_000
    with Image.open(io.BytesIO(r.content)) as shown:
        assert shown.format == "WEBP" and shown.width == 1600
    # kept by the browser, private (behind the log-in), and told apart by what it accepts
    assert r.headers["cache-control"] == "private, max-age=86400"
    assert r.headers["vary"] == "Accept"
    # a reload asks with the validator and gets no body
    again = world.client.get(
        path, headers={"Accept": BROWSER_IMAGE_ACCEPT, "If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    assert path in world.client.get(f"/documents/{INVOICE}").text


def test_page_images_fall_back_to_jpeg_for_a_browser_without_webp(world: World) -> None:
    _full_a4_page(world)
    login(world.client, "alice")
    path = f"/documents/{INVOICE}/pages/1/screen"
    webp = world.client.get(path, headers={"Accept": BROWSER_IMAGE_ACCEPT})
    for accept in ("image/png,image/jpeg,image/*;q=0.8", "*/*"):
        r = world.client.get(path, headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert r.content.startswith(b"\xff\xd8") and len(r.content) <= 300_000
        with Image.open(io.BytesIO(r.content)) as shown:
            assert shown.format == "JPEG" and shown.width == 1600
        assert r.headers["etag"] != webp.headers["etag"]
        # the WebP's validator does not stand for the JPEG
        stale = world.client.get(
            path, headers={"Accept": accept, "If-None-Match": webp.headers["etag"]}
        )
        assert stale.status_code == 200 and stale.content == r.content


def test_screen_images_fit_the_budget_in_both_formats() -> None:
    # a colour photo of paper with noise: the hardest to compress
    import random

    from PIL import ImageDraw

    from review.page_images import screen_image

    rng = random.Random(7)
    photo = Image.new("RGB", (3000, 4000), (235, 225, 200))
    draw = ImageDraw.Draw(photo)
    for _ in range(40_000):
        x, y = rng.randrange(3000), rng.randrange(4000)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + rng.randrange(2, 12), y + rng.randrange(2, 12)), colour)
    buf = io.BytesIO()
    photo.save(buf, format="PNG")
    for image_format in ("WEBP", "JPEG"):
        data = screen_image(buf.getvalue(), image_format=image_format)  # type: ignore[arg-type]
        assert len(data) <= 300_000
        with Image.open(io.BytesIO(data)) as shown:
            assert shown.format == image_format and shown.width <= 1600


def test_a_small_clean_page_is_sent_as_it_is_stored_unless_the_webp_is_smaller(
    world: World,
) -> None:
    login(world.client, "alice")
    path = f"/documents/{INVOICE}/pages/1/screen"
    # a 60 x 85 white PNG: smaller than any JPEG of it, not than a WebP
    r = world.client.get(path, headers={"Accept": "image/jpeg"})
    assert r.headers["content-type"] == "image/png" and r.content == _page_png()
    r = world.client.get(path, headers={"Accept": BROWSER_IMAGE_ACCEPT})
    assert r.headers["content-type"] == "image/webp" and len(r.content) < len(_page_png())


def test_ged_entries_link_to_the_document_and_its_searchable_pdf(world: World) -> None:
    doc = _matched_invoice(world, 80)
    csrf = login(world.client, "alice")
    world.client.post(f"/documents/{doc.document_id}/approve", data={"csrf_token": csrf})
    page = world.client.get("/dossiers/AST-2026-000002").text
    assert f'href="/documents/{doc.document_id}/searchable.pdf"' in page
    pdf = world.client.get(f"/documents/{doc.document_id}/searchable.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_summary_chart_is_drawn_once_a_minute_at_most(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import review.routes.summary

    drawn: list[Path] = []

    def fake_png(report: Report, path: Path) -> None:
        drawn.append(path)
        assert set(report.by_status) <= {"à revoir", "classé", "en quarantaine", "doublon"}
        path.write_bytes(b"\x89PNG fake")

    monkeypatch.setattr(review.routes.summary, "report_png", fake_png)
    login(world.client, "alice")
    for _ in range(3):
        assert world.client.get("/summary/chart.png").content == b"\x89PNG fake"
    assert len(drawn) == 1


def test_reasons_are_said_again_after_each_change(world: World) -> None:
    csrf = login(world.client, "alice")
    world.client.post(
        f"/documents/{INVOICE}/fields/supplier_name",
        data={"csrf_token": csrf, "value": "Garage Dupuis"},
    )
    doc = world.metadata.get(INVOICE)
    assert doc is not None and "champs à vérifier" not in (doc.reason or "")
    assert "dossier à choisir" in (doc.reason or "")
    world.client.post(
        f"/documents/{INVOICE}/dossier",
        data={"csrf_token": csrf, "dossier_id": "AST-2026-000001", "confirm": "1"},
    )
    doc = world.metadata.get(INVOICE)
    assert doc is not None and "dossier à choisir" not in (doc.reason or "")


def test_a_corrected_fields_box_moves_to_the_words_of_its_new_value(world: World) -> None:
    doc = world.metadata.get(INVOICE)
    assert doc is not None
    words = (
        Word(text="Total", bbox=BBox(x0=10, y0=200, x1=50, y1=212)),
        Word(text="1", bbox=BBox(x0=300, y0=200, x1=306, y1=212)),
        Word(text="234,50", bbox=BBox(x0=310, y0=200, x1=350, y1=212)),
        Word(text="€", bbox=BBox(x0=352, y0=200, x1=360, y1=212)),
    )
    doc.pages = [doc.pages[0].model_copy(update={"words": words})]
    world.metadata.save(doc)
    csrf = login(world.client, "alice")
    world.client.post(
        f"/documents/{INVOICE}/fields/total_incl_tax",
        data={"csrf_token": csrf, "value": "1234.5"},
    )
    field = world.metadata.get(INVOICE).fields["total_incl_tax"]  # type: ignore[union-attr]
    assert field.page == 1
    assert field.bbox == BBox(x0=300, y0=200, x1=350, y1=212)
