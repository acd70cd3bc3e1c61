from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from mailroom.models import DocType
from mailroom.records import Dossier
from validate.dossiers import load_dossiers

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "dossiers.json"

ONE = {
    "dossier_id": "AST-2026-000101",
    "status": "open",
    "opened_on": "2026-03-02",
    "event_date": "2026-03-01",
    "event_type": "vehicle_breakdown",
    "policy_number": "CTR00000001",
    "beneficiary": {"first_name": "Claire", "last_name": "MARTIN", "email": "c.martin@example.fr"},
    "vehicle_registration": "GH-412-KL",
    "guarantees": [{"code": "HOTEL", "label": "Frais d'hôtel", "ceiling": "80.00", "per": "night"}],
    "missions": [
        {
            "mission_id": "M-1",
            "provider_name": "Dépannage Dupuis",
            "provider_siret": "73282932000074",
            "service": "towing",
            "agreed_amount": "180.00",
        }
    ],
    "required_documents": ["invoice", "bank_details"],
}


def test_json_array_loads_typed_dossiers(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps([ONE]), encoding="utf-8")
    dossiers, errors = load_dossiers(path)
    assert errors == []
    (d,) = dossiers
    assert d.event_date == date(2026, 3, 1)
    assert d.missions[0].agreed_amount == Decimal("180.00")
    assert d.guarantees[0].per == "night"
    assert d.required_documents == (DocType.INVOICE, DocType.BANK_DETAILS)


def test_the_generated_samples_load_without_errors() -> None:
    dossiers, errors = load_dossiers(SAMPLE)
    assert errors == []
    assert len(dossiers) == len(json.loads(SAMPLE.read_text(encoding="utf-8")))
    assert any(d.status == "closed" for d in dossiers)


def test_json_lines_with_a_bad_line_loads_the_others(tmp_path: Path) -> None:
    bad = dict(ONE, dossier_id="AST-2026-000102", event_date="2026-13-45")
    other = dict(ONE, dossier_id="AST-2026-000103")
    path = tmp_path / "d.jsonl"
    path.write_text(
        "\n".join([json.dumps(ONE), json.dumps(bad), "{not json", json.dumps(other)]) + "\n",
        encoding="utf-8",
    )
    dossiers, errors = load_dossiers(path)
    assert [d.dossier_id for d in dossiers] == ["AST-2026-000101", "AST-2026-000103"]
    assert [(e.row, e.dossier_id) for e in errors] == [(2, "AST-2026-000102"), (3, None)]
    assert "date de l'événement" in errors[0].message


CSV = """dossier_id,status,opened_on,event_date,event_type,policy_number,beneficiary_first_name,\
beneficiary_last_name,beneficiary_email,vehicle_registration,required_documents,guarantees,missions
AST-2026-000201,open,2026-03-02,2026-03-01,vehicle_breakdown,CTR1,Claire,MARTIN,c@example.fr,\
GH-412-KL,invoice;bank_details,HOTEL:80.00:night:Frais d'hôtel;TAXI:120:event,\
M-1:73282932000074:180.00:towing:Dépannage Dupuis
AST-2026-000202,open,2026-03-02,2026-03-01,volcano,CTR2,Paul,DURAND,,,invoice,,
AST-2026-000203,closed,2026-03-02,2026-03-01,home,CTR3,Anne,PETIT,,,receipt,,
AST-2026-000204,open,2026-03-02,2026-03-01,home,CTR4,,PETIT,,,receipt,,M-9:123:abc
"""


def test_csv_import_reports_bad_rows_and_loads_the_others(tmp_path: Path) -> None:
    path = tmp_path / "dossiers.csv"
    path.write_text(CSV, encoding="utf-8")
    dossiers, errors = load_dossiers(path)
    assert [d.dossier_id for d in dossiers] == ["AST-2026-000201", "AST-2026-000203"]
    first = dossiers[0]
    assert first.beneficiary.email == "c@example.fr"
    assert [g.code for g in first.guarantees] == ["HOTEL", "TAXI"]
    assert first.missions[0].provider_name == "Dépannage Dupuis"
    assert first.missions[0].agreed_amount == Decimal("180.00")
    assert dossiers[1].status == "closed"
    assert [e.row for e in errors] == [2, 4]
    assert "type d'événement" in errors[0].message and "volcano" in errors[0].message
    assert "prénom" in errors[1].message or "SIRET" in errors[1].message


def test_semicolon_csv_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text(
        "dossier_id;beneficiary_first_name;beneficiary_last_name;status\nAST-1;Léa;ROUX;closed\n",
        encoding="utf-8",
    )
    dossiers, errors = load_dossiers(path)
    assert errors == []
    assert dossiers[0].beneficiary.first_name == "Léa" and dossiers[0].status == "closed"


def test_unreadable_or_unknown_content_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "nothing.csv"
    path.write_text("name,age\nx,1\n", encoding="utf-8")
    dossiers, errors = load_dossiers(path)
    assert dossiers == [] and errors[0].row == 0 and "dossier_id" in errors[0].message
    dossiers, errors = load_dossiers(tmp_path / "missing.json")
    assert dossiers == [] and "illisible" in errors[0].message


def test_dossier_ids_and_policies_are_compacted_upper_case() -> None:
    d = Dossier.model_validate(dict(ONE, dossier_id=" ast-2026-000101 ", policy_number="ctr 1"))
    assert d.dossier_id == "AST-2026-000101" and d.policy_number == "CTR1"


def test_a_single_pretty_printed_object_is_one_dossier(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(ONE, indent=2, ensure_ascii=False), encoding="utf-8")
    dossiers, errors = load_dossiers(path)
    assert errors == [] and [d.dossier_id for d in dossiers] == ["AST-2026-000101"]
