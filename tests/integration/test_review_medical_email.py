"""The secret médical through an e-mail, end to end: the real pipeline reads an .eml carrying a
medical certificate (a born-digital sample, no OCR), and the review application refuses the
e-mail's original and record to a gestionnaire, audits it, and serves them to the medical team.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mailroom.models import DocType, Status
from mailroom.settings import Settings
from review.app import build_app
from review.sample_data import seed
from review.settings import ReviewSettings
from review.store import open_review_store
from storage.settings import StorageSettings

pytestmark = [pytest.mark.slow]

CERTIFICATE = "medical_certificate-03-constatation-fr-born_digital.pdf"
USERS = (("alice", "alice-password", "gestionnaire"), ("marie", "marie-password", "medical"))


def _eml(certificate: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Camille Vidal <camille.vidal@example.fr>"
    msg["To"] = "remboursements@example.fr"
    msg["Subject"] = "Mon arrêt de travail"
    msg["Message-ID"] = "<certificat-1@example.fr>"
    msg.set_content(
        "Bonjour, vous trouverez ci-joint mon certificat médical pour mon dossier. Cordialement."
    )
    msg.add_attachment(
        certificate, maintype="application", subtype="pdf", filename="certificat_medical.pdf"
    )
    return msg.as_bytes()


@pytest.fixture(scope="module")
def client_and_ids(
    tmp_path_factory: pytest.TempPathFactory, samples_dir: Path
) -> Iterator[tuple[TestClient, str, str, Path]]:
    data_dir = tmp_path_factory.mktemp("review-medical-email")
    eml = data_dir.parent / "arret.eml"
    eml.write_bytes(_eml((samples_dir / "documents" / CERTIFICATE).read_bytes()))
    docs = seed(data_dir, [eml], dossiers=samples_dir / "dossiers.json", users=USERS)  # type: ignore[arg-type]
    [certificate] = [d for d in docs if d.doc_type is DocType.MEDICAL_CERTIFICATE]
    email_id = certificate.parent_id
    assert email_id is not None
    settings = Settings(storage=StorageSettings(data_dir=data_dir))
    app = build_app(settings, ReviewSettings(session_secret="m" * 40))  # type: ignore[arg-type]
    with TestClient(app) as client:
        yield client, email_id, certificate.document_id, data_dir


def _login(client: TestClient, username: str, password: str) -> None:
    import re

    client.cookies.clear()
    form = client.get("/login").text
    token = re.search(r'name="login_token" value="([^"]+)"', form)
    assert token is not None
    r = client.post(
        "/login",
        data={"username": username, "password": password, "login_token": token[1]},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_gestionnaire_gets_the_emails_original_and_record_refused_and_audited(
    client_and_ids: tuple[TestClient, str, str, Path],
) -> None:
    client, email_id, certificate_id, data_dir = client_and_ids
    _login(client, "alice", "alice-password")
    for path in (f"/documents/{email_id}/original", f"/api/documents/{email_id}"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert b"%PDF" not in r.content
    store = open_review_store(StorageSettings(data_dir=data_dir))
    try:
        refused = [e for e in store.audit_events(document_id=email_id) if not e.allowed]
    finally:
        store.close()
    assert {e.action for e in refused} == {"download", "api"}
    assert all(certificate_id in (e.detail or "") for e in refused)


def test_medical_team_gets_the_email(client_and_ids: tuple[TestClient, str, str, Path]) -> None:
    client, email_id, _, _ = client_and_ids
    _login(client, "marie", "marie-password")
    assert client.get(f"/documents/{email_id}/original").status_code == 200
    record = client.get(f"/api/documents/{email_id}")
    assert record.status_code == 200 and record.json()["status"] == Status.SPLIT.value
