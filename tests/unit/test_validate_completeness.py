from __future__ import annotations

import email
import html
from datetime import UTC, date, datetime, timedelta
from email import policy
from pathlib import Path

from mailroom.models import DocType
from mailroom.records import Beneficiary, CompletenessRequest, Dossier, GedEntry
from storage.dossiers import MemoryDossierRegistry
from validate.completeness import Outbox, plan_requests, render_request, run_completeness
from validate.settings import RequestSettings

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
SETTINGS = RequestSettings(reminder_after_days=15)


def _dossier(
    dossier_id: str,
    required: tuple[DocType, ...],
    email: str | None = "helene.lefevre@example.fr",
    **kw: object,
) -> Dossier:
    return Dossier(
        dossier_id=dossier_id,
        policy_number="CTR88412077",
        event_date=date(2026, 5, 28),
        event_type="vehicle_breakdown",
        beneficiary=Beneficiary(
            first_name="Hélène",
            last_name="LEFÈVRE",
            email=email,
            address="3 rue des Lilas, 37000 Tours",
        ),
        required_documents=required,
        **kw,  # type: ignore[arg-type]
    )


A = _dossier("AST-2026-000001", (DocType.INVOICE, DocType.RECEIPT, DocType.BANK_DETAILS))
B = _dossier("AST-2026-000002", (DocType.INVOICE, DocType.BANK_DETAILS))
C = _dossier("AST-2026-000003", (DocType.INVOICE,), status="closed")
D = _dossier("AST-2026-000004", (DocType.MEDICAL_CERTIFICATE,), email=None)


def _apply(existing: list[CompletenessRequest], actions: list) -> list[CompletenessRequest]:  # type: ignore[type-arg]
    by_id = {r.request_id: r for r in existing}
    for a in actions:
        by_id[a.request.request_id] = a.request
    return list(by_id.values())


def test_exactly_the_dossiers_missing_pieces_get_one_request_with_those_pieces() -> None:
    received = {A.dossier_id: {"invoice"}, B.dossier_id: {"invoice", "bank_details"}}
    actions = plan_requests([A, B, C, D], received, [], now=T0, settings=SETTINGS)
    assert [(a.action, a.request.dossier_id, a.request.missing) for a in actions] == [
        ("send", A.dossier_id, ("receipt", "bank_details")),
        ("send", D.dossier_id, ("medical_certificate",)),
    ]
    a_req, d_req = (a.request for a in actions)
    assert a_req.channel == "email" and "helene.lefevre@example.fr" in a_req.recipient
    assert d_req.channel == "letter" and "Tours" in d_req.recipient


def test_rerunning_sends_nothing_new() -> None:
    received = {A.dossier_id: {"invoice"}}
    first = plan_requests([A, B], received, [], now=T0, settings=SETTINGS)
    existing = _apply([], first)
    again = plan_requests([A, B], received, existing, now=T0 + timedelta(days=3), settings=SETTINGS)
    assert again == []


def test_a_reminder_after_the_delay_then_nothing_until_the_next_delay() -> None:
    existing = _apply([], plan_requests([B], {}, [], now=T0, settings=SETTINGS))
    assert plan_requests([B], {}, existing, now=T0 + timedelta(days=14), settings=SETTINGS) == []
    later = T0 + timedelta(days=15)
    (remind,) = plan_requests([B], {}, existing, now=later, settings=SETTINGS)
    assert remind.action == "remind" and remind.delivers
    assert remind.request.state == "reminded" and remind.request.reminded_at == later
    assert remind.request.subject.startswith("Relance")
    assert "1er juin 2026" in remind.request.body_text
    existing = _apply(existing, [remind])
    assert plan_requests([B], {}, existing, now=later + timedelta(days=1), settings=SETTINGS) == []


def test_a_received_piece_narrows_then_closes_the_request() -> None:
    existing = _apply([], plan_requests([B], {}, [], now=T0, settings=SETTINGS))
    (narrow,) = plan_requests(
        [B], {B.dossier_id: {"invoice"}}, existing, now=T0 + timedelta(days=2), settings=SETTINGS
    )
    assert narrow.action == "narrow" and not narrow.delivers
    assert narrow.request.missing == ("bank_details",)
    existing = _apply(existing, [narrow])
    (close,) = plan_requests(
        [B],
        {B.dossier_id: {"invoice", "bank_details"}},
        existing,
        now=T0 + timedelta(days=3),
        settings=SETTINGS,
    )
    assert close.action == "close" and close.request.state == "closed"
    existing = _apply(existing, [close])
    assert (
        plan_requests(
            [B],
            {B.dossier_id: {"invoice", "bank_details"}},
            existing,
            now=T0 + timedelta(days=40),
            settings=SETTINGS,
        )
        == []
    )


def test_a_dossier_closed_meanwhile_gets_its_request_closed_and_nothing_else() -> None:
    existing = _apply([], plan_requests([B], {}, [], now=T0, settings=SETTINGS))
    closed_b = B.model_copy(update={"status": "closed"})
    (close,) = plan_requests(
        [closed_b], {}, existing, now=T0 + timedelta(days=30), settings=SETTINGS
    )
    assert close.action == "close"


def test_texts_are_french_cite_dossier_and_policy_and_list_pieces_in_plain_words() -> None:
    texts = render_request(A, ["invoice", "bank_details"], kind="request", today=date(2026, 6, 1))
    for body in (texts.body_text, html.unescape(texts.body_html), html.unescape(texts.letter_html)):
        assert "AST-2026-000001" in body and "CTR88412077" in body
        assert "la facture du dépanneur" in body
        assert "relevé d'identité bancaire (RIB)" in body
    assert "Bonjour Hélène LEFÈVRE" in texts.body_text
    assert "<li>" in texts.body_html and "3 rue des Lilas" in texts.letter_html


def test_html_escapes_what_comes_from_the_import() -> None:
    odd = _dossier("AST-2026-000009", (DocType.INVOICE,)).model_copy(
        update={"beneficiary": Beneficiary(first_name="<b>Jo</b>", last_name="X")}
    )
    texts = render_request(odd, ["invoice"], kind="request")
    assert "<b>Jo</b>" not in texts.body_html and "&lt;b&gt;" in texts.body_html
    assert "<b>Jo</b>" in texts.body_text


def test_run_completeness_delivers_to_the_outbox_and_saves(tmp_path: Path) -> None:
    registry = MemoryDossierRegistry()
    for d in (A, B, D):
        registry.upsert(d)
    registry.add_ged_entry(
        GedEntry(
            ged_entry_id="ged-1",
            document_id="doc-1",
            dossier_id=B.dossier_id,
            doc_type=DocType.INVOICE,
            received_at=T0,
            filed_at=T0,
            channel="scan",
            fields={},
            sha256="0" * 64,
            original_key=None,
            searchable_pdf_key=None,
        )
    )
    outbox = Outbox(tmp_path / "outbox", sender=SETTINGS.sender)
    actions = run_completeness(registry, outbox, now=T0, settings=SETTINGS)
    assert sorted(a.request.dossier_id for a in actions) == [
        A.dossier_id,
        B.dossier_id,
        D.dossier_id,
    ]
    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert len([f for f in files if f.endswith(".eml")]) == 2  # D has no e-mail: letter only
    assert len([f for f in files if f.endswith(".html")]) == 3
    eml = next((tmp_path / "outbox").glob("*.eml"))
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["Subject"].startswith("Pièces manquantes – dossier")
    assert "remboursement" in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert run_completeness(registry, outbox, now=T0 + timedelta(days=1), settings=SETTINGS) == []
    assert len(list((tmp_path / "outbox").iterdir())) == len(files)
