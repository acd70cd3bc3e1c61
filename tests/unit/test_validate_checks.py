from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from mailroom.models import DocType, Document, ExtractedField, Page, Source
from mailroom.records import Beneficiary, Dossier, Guarantee, Mission
from storage.dossiers import MemoryDossierRegistry
from validate.checks import compute_coverage, run_checks
from validate.ged import make_ged_entry
from validate.settings import DossierSettings

TODAY = date(2026, 7, 20)
SETTINGS = DossierSettings()
SIRET = "73282932000074"  # valid Luhn
VAT = "FR44732829320"

DOSSIER = Dossier(
    dossier_id="AST-2026-004217",
    event_date=date(2026, 7, 1),
    event_type="vehicle_breakdown",
    beneficiary=Beneficiary(first_name="Claire", last_name="MARTIN"),
    guarantees=(
        Guarantee(
            code="REMORQUAGE", label="Dépannage / remorquage", ceiling=Decimal("250"), per="event"
        ),
        Guarantee(code="HOTEL", label="Frais d'hôtel", ceiling=Decimal("80.00"), per="night"),
        Guarantee(
            code="VEHICULE_REMPL",
            label="Véhicule de remplacement",
            ceiling=Decimal("65"),
            per="day",
        ),
    ),
    missions=(
        Mission(
            mission_id="M-118204",
            provider_name="Dépannage Dupuis",
            provider_siret=SIRET,
            service="towing",
            agreed_amount=Decimal("180.00"),
        ),
    ),
)


def _invoice(
    text: str = "", doc_id: str = "doc-1", **fields: str | Decimal | date | None
) -> Document:
    base: dict[str, str | Decimal | date | None] = {
        "supplier_name": "Dépannage Dupuis",
        "supplier_siret": SIRET,
        "supplier_vat_number": VAT,
        "invoice_number": "F2026-0042",
        "invoice_date": date(2026, 7, 2),
        "total_excl_tax": Decimal("150.00"),
        "vat_amount": Decimal("30.00"),
        "total_incl_tax": Decimal("180.00"),
    }
    base.update(fields)
    return Document(
        document_id=doc_id,
        sha256=doc_id.ljust(64, "0"),
        source=Source(channel="scan"),
        pages=[
            Page(
                number=1,
                width=595,
                height=842,
                text=text or "Remorquage plateau",
                text_source="pdf_text",
            )
        ],
        doc_type=DocType.INVOICE,
        fields={
            k: ExtractedField(value=v, confidence=0.9) for k, v in base.items() if v is not None
        },
    )


def _by_code(
    doc: Document, dossier: Dossier | None = DOSSIER, registry: MemoryDossierRegistry | None = None
):  # type: ignore[no-untyped-def]
    checks = run_checks(
        doc, dossier, registry=registry or MemoryDossierRegistry(), settings=SETTINGS, today=TODAY
    )
    return {c.code: c for c in checks}


def test_a_clean_mission_invoice_passes_every_blocking_check() -> None:
    checks = _by_code(_invoice())
    assert not [c for c in checks.values() if c.blocking]
    assert {
        "invoice.totals_consistent",
        "invoice.vat_rate",
        "identifiers.siret_valid",
        "identifiers.vat_valid",
        "invoice.date_in_future",
        "invoice.date_before_event",
        "invoice.duplicate",
        "mission.amount_over_agreed",
        "guarantees.coverage",
    } <= set(checks)


def test_an_amount_charged_outside_vat_makes_up_the_totals_gap() -> None:
    # a hotel's tourist tax is charged without VAT: TTC = HT + TVA + that line
    text = ("Nuitée chambre double 2 75,00 10 % 150,00\n"
            "Taxe de séjour (1,50 x 2 nuits) - non soumise à TVA 3,00\n"
            "Total TVA 30,00\nTaxe de séjour 3,00\nTotal TTC 183,00")
    c = _by_code(_invoice(text, total_incl_tax=Decimal("183.00")))["invoice.totals_consistent"]
    assert c.status == "pass" and "3,00 €" in c.message
    # the same gap with no such line, or another gap, still blocks
    plain = _by_code(_invoice(total_incl_tax=Decimal("183.00")))["invoice.totals_consistent"]
    assert plain.status == "fail"
    other = _by_code(_invoice(text, total_incl_tax=Decimal("185.00")))
    assert other["invoice.totals_consistent"].status == "fail"


def test_totals_that_do_not_add_up_block() -> None:
    c = _by_code(_invoice(total_incl_tax=Decimal("190.00")))["invoice.totals_consistent"]
    assert c.status == "fail" and c.blocking and "190,00 €" in c.message
    ok = _by_code(_invoice(total_incl_tax=Decimal("180.02")))["invoice.totals_consistent"]
    assert ok.status == "pass"


def test_vat_rate_mix_passes_when_shown_and_warns_otherwise() -> None:
    hotel = _invoice(
        text="Nuitée 10 % 104,17\nTaxe de séjour exo. 9,66",
        total_excl_tax=Decimal("113.83"),
        vat_amount=Decimal("10.42"),
        total_incl_tax=Decimal("124.25"),
    )
    assert _by_code(hotel)["invoice.vat_rate"].status == "pass"
    odd = _invoice(
        total_excl_tax=Decimal("100.00"),
        vat_amount=Decimal("22.00"),
        total_incl_tax=Decimal("122.00"),
    )
    c = _by_code(odd)["invoice.vat_rate"]
    assert c.status == "warn" and not c.blocking
    assert (
        _by_code(_invoice(vat_amount=Decimal("8.25"), total_incl_tax=Decimal("158.25")))[
            "invoice.vat_rate"
        ].status
        == "pass"
    )  # 5,5 %


def test_bad_identifiers_block() -> None:
    checks = _by_code(_invoice(supplier_siret="73282932000075", iban="FR7630006000011234567890188"))
    assert checks["identifiers.siret_valid"].blocking
    assert checks["identifiers.iban_valid"].blocking
    wrong_siren = _by_code(_invoice(supplier_vat_number="FR55338727183"))["identifiers.vat_valid"]
    assert wrong_siren.status == "fail" and "SIREN" in wrong_siren.message


def test_invoice_dated_in_the_future_or_before_the_event_blocks() -> None:
    assert _by_code(_invoice(invoice_date=date(2026, 8, 1)))["invoice.date_in_future"].blocking
    before = _by_code(_invoice(invoice_date=date(2026, 6, 20)))["invoice.date_before_event"]
    assert before.blocking and "01/07/2026" in before.message
    assert "invoice.date_before_event" not in _by_code(_invoice(), dossier=None)


def test_the_same_invoice_filed_in_any_dossier_is_a_duplicate() -> None:
    registry = MemoryDossierRegistry()
    first = _invoice(doc_id="doc-first")
    registry.add_ged_entry(
        make_ged_entry(
            first,
            "AST-2026-999999",
            searchable_pdf_key=None,
            filed_at=datetime(2026, 7, 3, tzinfo=UTC),
        )
    )
    again = _invoice(doc_id="doc-again", invoice_number="F 2026/0042")
    c = _by_code(again, registry=registry)["invoice.duplicate"]
    assert c.status == "fail" and c.blocking and "AST-2026-999999" in c.message
    # The filed document itself is not its own duplicate.
    assert _by_code(first, registry=registry)["invoice.duplicate"].status == "pass"


def test_provider_invoice_over_the_agreed_amount_is_an_ecart() -> None:
    over = _invoice(
        total_excl_tax=Decimal("170.00"),
        vat_amount=Decimal("34.00"),
        total_incl_tax=Decimal("204.00"),
    )
    c = _by_code(over)["mission.amount_over_agreed"]
    assert c.status == "fail" and c.blocking and "M-118204" in c.message
    # Within 5 % and 2 €: tolerated.
    near = _invoice(
        total_excl_tax=Decimal("151.50"),
        vat_amount=Decimal("30.30"),
        total_incl_tax=Decimal("181.80"),
    )
    assert _by_code(near)["mission.amount_over_agreed"].status == "pass"
    # Another supplier: no mission, no check.
    assert "mission.amount_over_agreed" not in _by_code(_invoice(supplier_siret="55210055400013"))


def test_coverage_uses_per_event_and_per_night_ceilings() -> None:
    tow = compute_coverage(
        _invoice(
            total_excl_tax=Decimal("250"),
            vat_amount=Decimal("50"),
            total_incl_tax=Decimal("300.00"),
        ),
        DOSSIER,
    )
    assert tow is not None and tow.guarantee_code == "REMORQUAGE"
    assert tow.covered == Decimal("250.00") and tow.remainder == Decimal("50.00")
    hotel = _invoice(
        text="Hôtel de la Gare\nNuitée chambre double 3 90,00 10 % 270,00",
        supplier_siret="59956840900289",
        supplier_vat_number=None,
        total_excl_tax=Decimal("270.00"),
        vat_amount=Decimal("27.00"),
        total_incl_tax=Decimal("297.00"),
    )
    cov = compute_coverage(hotel, DOSSIER)
    assert cov is not None and cov.guarantee_code == "HOTEL" and cov.units == 3
    assert cov.covered == Decimal("240.00")
    c = _by_code(hotel)["guarantees.coverage"]
    assert c.status == "warn" and "240,00 €" in c.message and "3 nuits" in c.message


def test_costs_no_guarantee_covers_are_reported_not_blocked() -> None:
    pharmacy = Document(
        document_id="doc-r",
        sha256="1" * 64,
        source=Source(),
        pages=[
            Page(
                number=1,
                width=200,
                height=400,
                text="PHARMACIE CENTRALE\nTOTAL 12,00",
                text_source="ocr",
            )
        ],
        doc_type=DocType.RECEIPT,
        fields={"total_incl_tax": ExtractedField(value=Decimal("12.00"), confidence=0.9)},
    )
    c = _by_code(pharmacy)["guarantees.coverage"]
    assert c.status == "warn" and not c.blocking and "aucune garantie" in c.message


def _certificate(**dates: date) -> Document:
    return Document(
        document_id="doc-m",
        sha256="2" * 64,
        source=Source(),
        doc_type=DocType.MEDICAL_CERTIFICATE,
        fields={k: ExtractedField(value=v, confidence=0.9) for k, v in dates.items()},
    )


def test_medical_dates_must_be_coherent() -> None:
    ok = _certificate(
        issue_date=date(2026, 7, 1),
        incapacity_start=date(2026, 7, 1),
        incapacity_end=date(2026, 7, 10),
    )
    assert _by_code(ok)["medical.dates_coherent"].status == "pass"
    for bad in (
        _certificate(issue_date=date(2026, 7, 5), incapacity_start=date(2026, 7, 1)),
        _certificate(incapacity_start=date(2026, 7, 10), incapacity_end=date(2026, 7, 1)),
        _certificate(issue_date=date(2026, 8, 1)),
        _certificate(issue_date=date(2026, 3, 1)),  # months before the event
    ):
        c = _by_code(bad)["medical.dates_coherent"]
        assert c.status == "fail" and c.blocking, bad.fields


def test_a_copy_without_its_siret_is_found_by_the_supplier_name() -> None:
    registry = MemoryDossierRegistry()
    registry.add_ged_entry(
        make_ged_entry(
            _invoice(doc_id="doc-first"),
            "AST-1",
            searchable_pdf_key=None,
            filed_at=datetime(2026, 7, 3, tzinfo=UTC),
        )
    )
    copy = _invoice(
        doc_id="doc-copy",
        supplier_siret=None,
        supplier_vat_number=None,
        supplier_name="DEPANNAGE  DUPUIS",
    )
    assert _by_code(copy, registry=registry)["invoice.duplicate"].status == "fail"
    # Same name and number but another establishment's SIRET: another supplier.
    namesake = _invoice(
        doc_id="doc-other", supplier_siret="55210055400013", supplier_vat_number=None
    )
    assert _by_code(namesake, registry=registry)["invoice.duplicate"].status == "pass"
