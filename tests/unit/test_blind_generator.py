"""The blind corpus's generator (samples/blind/): deterministic, every type, the contract's
formats in its truth, and files that open."""

from __future__ import annotations

import email
import json
import random
import re
from datetime import date
from decimal import Decimal
from email import policy
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image

from samples.blind.generate import DEFAULT_COUNT, TYPES, generate, make_cases, plan
from samples.blind.ids import iban_ok, luhn_ok

SMALL = 7  # one file of each kind: five types, other, one e-mail
CONTRACT_FIELDS = {
    "invoice": {
        "supplier_name", "supplier_siren", "supplier_siret", "supplier_vat_number",
        "invoice_number", "invoice_date", "total_excl_tax", "vat_amount", "total_incl_tax",
        "currency", "iban", "customer_name", "dossier_reference", "policy_number",
        "vehicle_registration",
    },
    "receipt": {"merchant_name", "receipt_date", "total_incl_tax", "currency", "payment_method"},
    "medical_certificate": {
        "practitioner_name", "practitioner_id", "patient_name", "issue_date", "incapacity_start",
        "incapacity_end", "dossier_reference",
    },
    "bank_details": {"account_holder", "iban", "bic"},
    "claim_letter": {"sender_name", "dossier_reference", "policy_number", "requested_amount"},
    "other": set(),
}
DATES = {"invoice_date", "receipt_date", "issue_date", "incapacity_start", "incapacity_end"}
AMOUNTS = {"total_excl_tax", "vat_amount", "total_incl_tax", "requested_amount"}
NAMES = {"supplier_name", "customer_name", "merchant_name", "account_holder", "sender_name",
         "patient_name", "practitioner_name"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("blind")
    generate(root, seed=3, count=SMALL)
    return root


def _expectations(root: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((root / "expected").glob("*.json"))]


def _documents(root: Path) -> list[dict[str, Any]]:
    """Every document the corpus holds: the files, and an e-mail's body and attachments."""
    out = []
    for exp in _expectations(root):
        out.extend(exp.get("parts", [exp]))
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_cases(
    corpus: Path, tmp_path: Path
) -> None:
    generate(tmp_path, seed=3, count=SMALL)
    first, again = _files(corpus), _files(tmp_path)
    assert first.keys() == again.keys()
    assert [name for name in first if first[name] != again[name]] == []
    other = random.Random(4)
    assert make_cases(other, 3, "X") != make_cases(random.Random(3), 3, "X")


def test_every_type_is_present_with_its_layout_families(corpus: Path) -> None:
    docs = _documents(corpus)
    assert {d["doc_type"] for d in docs} == set(CONTRACT_FIELDS)
    assert any(d["rendering"] == "email" for d in _expectations(corpus))
    assert {d.get("rendering") for d in docs} >= {"born_digital", "clean_scan", "degraded_scan"}


def test_the_default_size_is_about_ten_files_of_each_type() -> None:
    counts = dict(plan(DEFAULT_COUNT))
    assert sum(counts.values()) == DEFAULT_COUNT
    for doc_type, _, families, _ in TYPES:
        assert 8 <= counts[doc_type] <= 12, (doc_type, counts)
        assert len(families) >= 3, doc_type
    assert counts["email"] >= 2


def _check_value(name: str, value: str) -> None:
    assert value == value.strip() and value, (name, value)
    if name in DATES:
        assert date.fromisoformat(value).isoformat() == value
    elif name in AMOUNTS:
        assert re.fullmatch(r"\d+\.\d{2}", value), (name, value)
    elif name == "currency":
        assert value == "EUR"
    elif name == "supplier_siret":
        assert re.fullmatch(r"\d{14}", value) and luhn_ok(value), value
    elif name == "supplier_siren":
        assert re.fullmatch(r"\d{9}", value) and luhn_ok(value), value
    elif name == "supplier_vat_number":
        assert re.fullmatch(r"FR\d{11}", value)
        assert int(value[2:4]) == (12 + 3 * (int(value[4:]) % 97)) % 97, value
    elif name == "iban":
        assert re.fullmatch(r"FR\d{12}[0-9A-Z]{11}\d{2}", value) and iban_ok(value), value
    elif name == "bic":
        assert re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", value), value
    elif name == "practitioner_id":
        assert re.fullmatch(r"\d{11}|\d{9}", value), value
        if len(value) == 11:
            assert luhn_ok(value), value
    elif name == "vehicle_registration":
        assert re.fullmatch(r"[A-HJ-NP-TV-Z]{2}-\d{3}-[A-HJ-NP-TV-Z]{2}", value), value
    elif name == "payment_method":
        assert value in {"card", "cash", "cheque", "transfer"}
    elif name in ("dossier_reference", "policy_number", "invoice_number"):
        assert value == value.upper() and " " not in value, (name, value)
    elif name in NAMES:
        assert value == " ".join(value.split()), (name, value)


def test_expected_fields_are_the_contracts_in_its_formats(corpus: Path) -> None:
    for doc in _documents(corpus):
        fields = doc["fields"]
        assert set(fields) <= CONTRACT_FIELDS[doc["doc_type"]], doc
        for name, value in fields.items():
            _check_value(name, value)
        if doc["doc_type"] == "invoice":
            assert fields["supplier_siren"] == fields.get("supplier_siret", "")[:9] or \
                "supplier_siret" not in fields
            if "vat_amount" in fields:
                assert Decimal(fields["total_excl_tax"]) + Decimal(fields["vat_amount"]) <= \
                    Decimal(fields["total_incl_tax"])  # a hotel's stay tax bears no VAT
        if doc["doc_type"] == "medical_certificate":
            assert fields["incapacity_start"] <= fields["incapacity_end"]


def test_every_family_draws_the_contracts_formats_whatever_the_seed() -> None:
    """Each family drawn with many seeds (drawn only, not scanned: fast), so that a field
    a small corpus happens not to draw is checked too."""
    for doc_type, builder, families, _ in TYPES:
        for family in families:
            for seed in range(6):
                rng = random.Random(seed)
                case = make_cases(rng, 1, "Assistance Horizon")[0]
                drawn = builder(rng, case, family)
                assert drawn.doc_type == doc_type and drawn.pdf.startswith(b"%PDF")
                assert set(drawn.fields) <= CONTRACT_FIELDS[doc_type], (family, drawn.fields)
                for name, value in drawn.fields.items():
                    _check_value(name, value)


def test_every_expected_document_exists_and_opens(corpus: Path) -> None:
    for exp in _expectations(corpus):
        path = corpus / exp["file"]
        assert path.is_file(), path
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            pdf = pdfium.PdfDocument(path)
            assert len(pdf) == exp["page_count"]
            pdf.close()
        elif suffix == ".eml":
            msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            attachments = [part.get_filename() for part in msg.iter_attachments()]
            assert attachments == [p["filename"] for p in exp["parts"] if p["part"] ==
                                   "attachment"]
            body = msg.get_body(("plain",))
            assert body is not None and "rembourser" in body.get_content()
        else:
            with Image.open(path) as image:
                image.load()
                assert getattr(image, "n_frames", 1) == exp["page_count"]
                assert min(image.size) > 500


def test_dossiers_hold_every_document_open_and_a_closed_look_alike(corpus: Path) -> None:
    dossiers = json.loads((corpus / "dossiers.json").read_text())
    by_id = {d["dossier_id"]: d for d in dossiers}
    assert len(by_id) == len(dossiers)
    for d in dossiers:
        assert re.fullmatch(r"AST-20\d\d-\d{6}", d["dossier_id"])
        assert d["status"] in ("open", "closed")
        assert {"first_name", "last_name", "email", "address"} <= set(d["beneficiary"])
        for mission in d["missions"]:
            assert luhn_ok(mission["provider_siret"])
    closed = [d for d in dossiers if d["status"] == "closed"]
    assert len(closed) == 1
    twins = [d for d in dossiers if d["status"] == "open"
             and d["vehicle_registration"] == closed[0]["vehicle_registration"]]
    assert twins, "the closed dossier looks like an open one"
    for doc in _documents(corpus):
        if doc.get("dossier_id"):
            assert by_id[doc["dossier_id"]]["status"] == "open"
