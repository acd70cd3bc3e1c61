from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from mailroom.models import DocType, Document, EmailInfo, ExtractedField, Page, Source
from mailroom.records import Beneficiary, Dossier, Mission
from validate.matching import DossierIndex, canonical, match_document, name_similarity
from validate.settings import DossierSettings

SETTINGS = DossierSettings()


def _dossier(dossier_id: str, first: str, last: str, **kw: Any) -> Dossier:
    return Dossier(
        dossier_id=dossier_id,
        beneficiary=Beneficiary(first_name=first, last_name=last, email=kw.pop("email", None)),
        **kw,
    )


MARTIN = _dossier(
    "AST-2026-000010",
    "Océane",
    "MARTIN",
    email="oceane.martin@example.com",
    event_date=date(2026, 7, 3),
    policy_number="CTR81002874",
    vehicle_registration="GF-626-MF",
    missions=(
        Mission(
            mission_id="M-1",
            provider_siret="59956840900289",
            agreed_amount=Decimal("141.00"),
            service="hotel",
        ),
    ),
)
MARTINS = _dossier(
    "AST-2026-000011",
    "Océane",
    "MARTINS",
    email="oceane.martins@example.com",
    event_date=date(2026, 7, 10),
    policy_number="CTR25072059",
)
PERRIN_A = _dossier(
    "AST-2026-000020",
    "Émilie",
    "PERRIN",
    email="emilie.perrin@example.org",
    event_date=date(2026, 2, 8),
    policy_number="PA9765189",
)
PERRIN_B = _dossier(
    "AST-2026-000021",
    "Émilie",
    "PERRIN",
    email="emilie.perrin@example.org",
    event_date=date(2026, 5, 26),
    policy_number="PA9765189",
)
CLOSED = _dossier(
    "AST-2026-000030",
    "Loïc",
    "OLIVIER",
    email="loic.olivier@example.fr",
    status="closed",
    event_date=date(2026, 7, 22),
    policy_number="PA9578382",
    vehicle_registration="XP-948-ZH",
)
ALL = [MARTIN, MARTINS, PERRIN_A, PERRIN_B, CLOSED]


def _doc(
    doc_type: DocType = DocType.CLAIM_LETTER,
    text: str = "",
    fields: dict[str, str | Decimal | date] | None = None,
    sender: str | None = None,
    subject: str | None = None,
) -> Document:
    return Document(
        document_id="doc-test",
        sha256="0" * 64,
        source=Source(
            channel="email" if sender or subject else "scan",
            email=EmailInfo.model_validate({"from": sender, "subject": subject})
            if sender or subject
            else None,
        ),
        pages=[Page(number=1, width=595, height=842, text=text, text_source="ocr")],
        doc_type=doc_type,
        fields={
            k: ExtractedField(value=v, confidence=0.9, page=1) for k, v in (fields or {}).items()
        },
    )


def test_dossier_reference_in_the_text_matches_with_its_reason() -> None:
    m = match_document(_doc(text="Objet : remboursement - dossier AST-2026-000010"), ALL, SETTINGS)
    assert m.status == "matched" and m.dossier_id == "AST-2026-000010"
    assert any("référence de dossier AST-2026-000010 page 1" in r for r in m.candidates[0].reasons)


def test_reference_read_with_ocr_confusions_and_no_dashes_still_matches() -> None:
    for printed in ("A5T-2O26-OOOO1O", "AST 2026 000010", "AST2026000010", "AST-2O26-0000I0"):
        m = match_document(_doc(text=f"V/Réf. : {printed}\nMerci"), ALL, SETTINGS)
        assert m.dossier_id == "AST-2026-000010", printed
    assert canonical("A5T-2O26") == canonical("AST2026")


def test_a_longer_number_containing_a_reference_is_not_a_reference() -> None:
    m = match_document(_doc(text="Commande AST20260000109 livrée"), ALL, SETTINGS)
    assert m.status == "unmatched"


def test_lookalike_names_are_not_matched_on_the_name_alone() -> None:
    for holder in ("OCÉANE MARTINS", "Océane MARTIN", "MME OCEANE MARTIN"):
        m = match_document(
            _doc(DocType.BANK_DETAILS, fields={"account_holder": holder}), ALL, SETTINGS
        )
        assert m.status != "matched", holder
        assert {c.dossier_id for c in m.candidates} >= {MARTIN.dossier_id, MARTINS.dossier_id}


def test_name_with_the_sender_address_decides_between_lookalikes() -> None:
    m = match_document(
        _doc(
            fields={"sender_name": "Océane MARTINS"}, sender="Océane <oceane.martins@example.com>"
        ),
        ALL,
        SETTINGS,
    )
    assert m.status == "matched" and m.dossier_id == MARTINS.dossier_id


def test_two_dossiers_on_one_policy_are_ambiguous_on_the_policy_alone() -> None:
    m = match_document(_doc(text="Contrat n° PA9765189"), ALL, SETTINGS)
    assert m.status == "ambiguous"
    assert {c.dossier_id for c in m.candidates[:2]} == {PERRIN_A.dossier_id, PERRIN_B.dossier_id}
    # Name and e-mail are the same person's on both: still ambiguous.
    m = match_document(
        _doc(
            fields={"policy_number": "PA9765189", "sender_name": "Émilie PERRIN"},
            sender="emilie.perrin@example.org",
        ),
        ALL,
        SETTINGS,
    )
    assert m.status == "ambiguous"


def test_two_dossiers_on_one_policy_another_key_decides() -> None:
    m = match_document(
        _doc(
            text="Police PA9765189 - dossier AST-2026-000021", fields={"sender_name": "E. Perrin"}
        ),
        ALL,
        SETTINGS,
    )
    assert m.status == "matched" and m.dossier_id == PERRIN_B.dossier_id
    # A certificate dated at the first event: outside the second one's window.
    m = match_document(
        _doc(
            DocType.MEDICAL_CERTIFICATE,
            fields={"patient_name": "PERRIN Émilie", "issue_date": date(2026, 2, 8)},
            sender="emilie.perrin@example.org",
        ),
        ALL,
        SETTINGS,
    )
    assert m.status == "matched" and m.dossier_id == PERRIN_A.dossier_id


def test_a_closed_dossier_cited_is_a_candidate_never_a_match() -> None:
    m = match_document(
        _doc(
            text="dossier AST-2026-000030, immatriculation XP-948-ZH, contrat PA9578382",
            fields={"sender_name": "Loïc Olivier"},
            sender="loic.olivier@example.fr",
        ),
        ALL,
        SETTINGS,
    )
    assert m.status == "ambiguous" and m.dossier_id is None
    assert m.candidates[0].dossier_id == CLOSED.dossier_id
    assert any("clos" in r for r in m.candidates[0].reasons)


def test_unknown_sender_is_unmatched() -> None:
    m = match_document(
        _doc(
            text="Bonjour, je vous adresse mes frais.",
            fields={"sender_name": "Jean INCONNU"},
            sender="jean.inconnu@example.net",
        ),
        ALL,
        SETTINGS,
    )
    assert m.status == "unmatched" and m.candidates == ()


def test_provider_siret_and_agreed_amount_of_one_mission_match() -> None:
    m = match_document(
        _doc(
            DocType.INVOICE,
            fields={
                "supplier_siret": "59956840900289",
                "total_incl_tax": Decimal("141.00"),
                "invoice_date": date(2026, 7, 5),
            },
        ),
        ALL,
        SETTINGS,
    )
    assert m.status == "matched" and m.dossier_id == MARTIN.dossier_id
    assert any("mission M-1" in r for r in m.candidates[0].reasons)
    # The SIRET alone is not enough.
    m = match_document(
        _doc(DocType.INVOICE, fields={"supplier_siret": "59956840900289"}), ALL, SETTINGS
    )
    assert m.status != "matched"


def test_keys_pointing_at_two_dossiers_go_to_review() -> None:
    m = match_document(
        _doc(DocType.INVOICE, text="Dossier AST-2026-000010\nImmatriculation XP-948-ZH"),
        ALL,
        SETTINGS,
    )
    assert m.status == "ambiguous"


def test_reference_in_the_email_subject_matches_an_attachment() -> None:
    m = match_document(
        _doc(DocType.RECEIPT, text="TOTAL 12,00 EUR", subject="Frais – dossier AST-2026-000011"),
        ALL,
        SETTINGS,
    )
    assert m.dossier_id == MARTINS.dossier_id
    assert "objet de l'e-mail" in m.candidates[0].reasons[0]


def test_name_similarity_ignores_order_accents_and_titles() -> None:
    assert name_similarity("PERRIN Émilie", "Emilie Perrin") == 100
    assert name_similarity("MME OCÉANE MARTINS", "Océane MARTINS") == 100
    assert name_similarity("Océane MARTIN", "Océane MARTINS") < 100


_texts = st.lists(
    st.sampled_from(
        [
            "dossier AST-2026-000030",
            "A5T-2O26-OOOO3O",
            "XP-948-ZH",
            "PA9578382",
            "loic.olivier@example.fr",
            "Loïc OLIVIER",
            "AST-2026-000010",
            "CTR81002874",
            "bonjour",
        ]
    ),
    max_size=6,
).map("\n".join)


@hyp_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=_texts,
    name=st.sampled_from(["Loïc Olivier", "OLIVIER Loïc", "Océane MARTIN", "x"]),
    sender=st.sampled_from([None, "loic.olivier@example.fr", "Loïc <loic.olivier@example.fr>"]),
    threshold=st.floats(0.0, 1.0),
    margin=st.floats(0.0, 0.5),
    doc_type=st.sampled_from(list(DocType)),
)
def test_no_closed_dossier_is_ever_matched(
    text: str, name: str, sender: str | None, threshold: float, margin: float, doc_type: DocType
) -> None:
    settings = DossierSettings(match_threshold=threshold, match_margin=margin)
    doc = _doc(
        doc_type, text=text, fields={"sender_name": name, "customer_name": name}, sender=sender
    )
    for dossiers in (ALL, [CLOSED]):
        m = match_document(doc, dossiers, settings)
        if m.status == "matched":
            assert m.dossier_id != CLOSED.dossier_id


def test_an_index_built_once_gives_the_same_answers_and_is_never_stale() -> None:
    doc = _doc(text="dossier AST-2026-000010")
    index = DossierIndex(ALL)
    assert match_document(doc, index, SETTINGS) == match_document(doc, ALL, SETTINGS)
    renamed = [MARTIN.model_copy(update={"dossier_id": "AST-2026-000099"}), MARTINS]
    m = match_document(doc, renamed, SETTINGS)
    assert m.status == "unmatched"
