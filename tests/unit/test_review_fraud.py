"""The review application's fraud pages: evidence side by side, the audited IBAN confirmation."""

from __future__ import annotations

from datetime import UTC, datetime

from mailroom.models import Check
from storage import StorageSettings, build_fraud_store
from storage.fraud import Evidence, FraudStore, SupplierIban
from tests.unit.test_review_app import INVOICE, World, login, world  # noqa: F401

SUPPLIER = "siren:732829320"
KNOWN = "FR7630006000011234567890189"
NEW = "FR7610278060410002058790128"


def _flag(world: World) -> FraudStore:  # noqa: F811
    store = build_fraud_store(StorageSettings(data_dir=world.data_dir))
    store.add_iban(SupplierIban(SUPPLIER, KNOWN, "doc-earlier", "seen", datetime.now(UTC)))
    store.add_iban(SupplierIban(SUPPLIER, NEW, INVOICE, "pending", datetime.now(UTC)))
    store.add_evidence(
        [
            Evidence(
                INVOICE,
                "fraud.iban_changed",
                None,
                {"supplier": SUPPLIER, "iban": NEW, "known": [KNOWN]},
            ),
            Evidence(
                INVOICE,
                "fraud.edited_pdf",
                None,
                {
                    "revisions": 2,
                    "removed": ["3000"],
                    "added": ["1027"],
                    "earlier_text": "IBAN FR76 3000",
                    "later_text": "IBAN FR76 1027",
                },
            ),
        ]
    )
    doc = world.metadata.get(INVOICE)
    assert doc is not None
    doc.checks = [
        Check(code="fraud.iban_changed", status="fail", message="IBAN différent", blocking=True),
        Check(code="fraud.edited_pdf", status="fail", message="PDF modifié", blocking=True),
    ]
    world.metadata.save(doc)
    return store


def test_the_document_page_shows_the_fraud_signals_and_the_confirm_button(
    world: World,  # noqa: F811
) -> None:
    _flag(world)
    login(world.client, "alice")
    page = world.client.get(f"/documents/{INVOICE}").text
    assert 'data-testid="fraud-signals"' in page and 'data-testid="confirm-iban"' in page
    evidence = world.client.get(f"/documents/{INVOICE}/fraud").text
    assert KNOWN in evidence and NEW in evidence
    assert "IBAN FR76 3000" in evidence and "IBAN FR76 1027" in evidence  # both revisions
    assert "<del>3000</del>" in evidence and "<ins>1027</ins>" in evidence


def test_confirming_the_new_iban_makes_it_known_and_is_audited(world: World) -> None:  # noqa: F811
    store = _flag(world)
    csrf = login(world.client, "alice")
    r = world.client.post(
        f"/documents/{INVOICE}/fraud/confirm-iban",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "confirm" in r.headers["location"]
    assert {r.iban: r.state for r in store.ibans(SUPPLIER)} == {KNOWN: "seen", NEW: "confirmed"}
    [confirmed] = [r for r in store.ibans(SUPPLIER) if r.iban == NEW]
    assert confirmed.confirmed_by == "alice"
    doc = world.metadata.get(INVOICE)
    assert doc is not None
    check = next(c for c in doc.checks if c.code == "fraud.iban_changed")
    assert check.status == "pass" and not check.blocking and "alice" in check.message
    [event] = [
        e for e in world.store.audit_events(document_id=INVOICE) if e.action == "confirm_iban"
    ]
    assert event.username == "alice" and event.after["iban"] == NEW  # type: ignore[index]
    again = world.client.post(f"/documents/{INVOICE}/fraud/confirm-iban", data={"csrf_token": csrf})
    assert "aucun changement" in again.text  # nothing left to confirm


def test_confirming_needs_the_csrf_token(world: World) -> None:  # noqa: F811
    store = _flag(world)
    login(world.client, "alice")
    r = world.client.post(f"/documents/{INVOICE}/fraud/confirm-iban", data={})
    assert r.status_code == 403
    assert {r.iban: r.state for r in store.ibans(SUPPLIER)}[NEW] == "pending"
