"""The sample generator: reproducible, valid identifiers, ground truth for every document."""

from __future__ import annotations

import email
import json
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from email import policy
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from samples.generate import DOC_TYPES, RENDERINGS, generate  # noqa: E402
from samples.synth import ids  # noqa: E402

CONTRACT_FIELDS = {
    "invoice": {
        "supplier_name",
        "supplier_siren",
        "supplier_siret",
        "supplier_vat_number",
        "invoice_number",
        "invoice_date",
        "total_excl_tax",
        "vat_amount",
        "total_incl_tax",
        "currency",
        "iban",
        "customer_name",
        "dossier_reference",
        "policy_number",
        "vehicle_registration",
    },
    "receipt": {"merchant_name", "receipt_date", "total_incl_tax", "currency", "payment_method"},
    "medical_certificate": {
        "practitioner_name",
        "practitioner_id",
        "patient_name",
        "issue_date",
        "incapacity_start",
        "incapacity_end",
        "dossier_reference",
    },
    "bank_details": {"account_holder", "iban", "bic"},
    "claim_letter": {"sender_name", "dossier_reference", "policy_number", "requested_amount"},
    "other": set(),
}
REQUIRED = {
    "invoice": {
        "supplier_name",
        "supplier_siret",
        "invoice_number",
        "invoice_date",
        "total_excl_tax",
        "vat_amount",
        "total_incl_tax",
        "currency",
        "customer_name",
    },
    "receipt": CONTRACT_FIELDS["receipt"],
    "medical_certificate": {"practitioner_name", "practitioner_id", "patient_name", "issue_date"},
    "bank_details": {"account_holder", "iban"},
    "claim_letter": {"sender_name", "requested_amount"},
    "other": set(),
}
AMOUNT = re.compile(r"^\d+\.\d{2}$")
PLATE = re.compile(r"^[A-HJ-NP-TV-Z]{2}-\d{3}-[A-HJ-NP-TV-Z]{2}$")
DOSSIER_REF = re.compile(r"^AST-\d{4}-\d{6}$")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    generate(out, seed=11, per_type=2)
    return out


def _expected(out: Path) -> list[dict[str, Any]]:
    return [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted((out / "expected").glob("*.json"))
    ]


def _field_entries(out: Path) -> list[dict[str, Any]]:
    """Every document's ground truth, email parts included."""
    entries = []
    for exp in _expected(out):
        if exp.get("parts"):
            entries += [p for p in exp["parts"] if p["part"] != "inline"]
        else:
            entries.append(exp)
    return entries


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s).upper()


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        generate(out, seed=5, per_type=1, emails=1)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    assert any(str(f).endswith(".pdf") for f in files_a)
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_another_seed_gives_other_documents(tmp_path: Path) -> None:
    generate(tmp_path / "a", seed=1, per_type=1, renderings=["born_digital"], emails=0)
    generate(tmp_path / "b", seed=2, per_type=1, renderings=["born_digital"], emails=0)
    pdfs_a = sorted((tmp_path / "a" / "documents").glob("*.pdf"))
    pdfs_b = sorted((tmp_path / "b" / "documents").glob("*.pdf"))
    assert (
        pdfs_a
        and [p.name for p in pdfs_a] != []
        and all(x.read_bytes() != y.read_bytes() for x, y in zip(pdfs_a, pdfs_b, strict=True))
    )


def test_every_document_has_its_expected_json_and_back(generated: Path) -> None:
    docs = {p.stem for p in (generated / "documents").iterdir()}
    exps = {p.stem for p in (generated / "expected").iterdir()}
    assert docs == exps
    for exp in _expected(generated):
        assert (generated / exp["file"]).is_file()
        assert exp["rendering"] in [*RENDERINGS, "email"]
        assert exp["rendering"] in exp["file"] or exp["rendering"] == "email"


def test_every_kind_and_rendering_is_present(generated: Path) -> None:
    exps = _expected(generated)
    assert {e["doc_type"] for e in exps if e["doc_type"]} == set(DOC_TYPES)
    assert {e["rendering"] for e in exps} == {*RENDERINGS, "email"}


def test_fields_are_the_contract_fields_of_their_kind(generated: Path) -> None:
    for entry in _field_entries(generated):
        names = set(entry["fields"])
        kind = entry["doc_type"]
        assert names <= CONTRACT_FIELDS[kind], (entry.get("file"), names - CONTRACT_FIELDS[kind])
        assert REQUIRED[kind] <= names, (entry.get("file"), REQUIRED[kind] - names)
        assert all(
            isinstance(v, str) and v == " ".join(v.split()) and v for v in entry["fields"].values()
        )


def test_identifiers_are_valid(generated: Path) -> None:
    checked = 0
    for entry in _field_entries(generated):
        f = entry["fields"]
        if "supplier_siret" in f:
            assert len(f["supplier_siret"]) == 14 and ids.luhn_ok(f["supplier_siret"])
            assert ids.luhn_ok(f["supplier_siret"][:9])
            assert f["supplier_siren"] == f["supplier_siret"][:9]
            checked += 1
        if "supplier_vat_number" in f:
            assert ids.vat_ok(f["supplier_vat_number"])
            assert f["supplier_vat_number"][4:] == f["supplier_siret"][:9]
        if "iban" in f:
            assert f["iban"].startswith("FR") and len(f["iban"]) == 27 and ids.iban_ok(f["iban"])
            bank, branch, account, key = (
                f["iban"][4:9],
                f["iban"][9:14],
                f["iban"][14:25],
                f["iban"][25:],
            )
            assert ids.rib_key(bank, branch, account) == key
        if "bic" in f:
            assert len(f["bic"]) in (8, 11) and f["bic"].isalnum() and f["bic"].isupper()
        if "practitioner_id" in f:
            assert f["practitioner_id"].isdigit() and len(f["practitioner_id"]) in (9, 11)
        if "vehicle_registration" in f:
            assert PLATE.match(f["vehicle_registration"])
        if "dossier_reference" in f:
            assert DOSSIER_REF.match(f["dossier_reference"])
    assert checked


def test_iban_check_digits_agree_with_an_independent_validator() -> None:
    schwifty = pytest.importorskip("schwifty")
    iban = ids.french_iban("30004", "00819", "00012345678")
    assert ids.iban_ok(iban) and str(schwifty.IBAN(iban).compact) == iban
    assert ids.vat_number("732829320") == "FR44732829320"
    assert not ids.iban_ok(iban[:-1] + str((int(iban[-1]) + 1) % 10))


def test_dates_amounts_and_codes_are_normalised(generated: Path) -> None:
    for entry in _field_entries(generated):
        f = entry["fields"]
        for name, value in f.items():
            if name.endswith("_date") or name.startswith("incapacity_"):
                date.fromisoformat(value)
            if name.startswith("total_") or name in ("vat_amount", "requested_amount"):
                assert AMOUNT.match(value), (name, value)
        if "currency" in f:
            assert f["currency"] in {"EUR", "GBP", "USD", "CHF"}
        if "payment_method" in f:
            assert f["payment_method"] in {"card", "cash", "cheque", "transfer"}
        if {"incapacity_start", "incapacity_end"} <= set(f):
            assert f["incapacity_start"] <= f["incapacity_end"]


def test_invoice_totals_add_up(generated: Path) -> None:
    invoices = [e for e in _field_entries(generated) if e["doc_type"] == "invoice"]
    assert invoices
    for e in invoices:
        f = e["fields"]
        assert Decimal(f["total_excl_tax"]) + Decimal(f["vat_amount"]) == Decimal(
            f["total_incl_tax"]
        )


def test_printed_identifiers_appear_in_the_page_text(generated: Path) -> None:
    for entry in _field_entries(generated):
        text = _squash("\n".join(p["text"] for p in entry.get("pages", [])))
        for name in (
            "invoice_number",
            "supplier_siren",
            "supplier_siret",
            "iban",
            "dossier_reference",
            "policy_number",
            "practitioner_id",
            "bic",
            "supplier_vat_number",
        ):
            if name in entry["fields"]:
                assert _squash(entry["fields"][name]) in text, (entry.get("file"), name)
        plate = entry["fields"].get("vehicle_registration")
        if plate:
            assert plate.replace("-", "") in text.replace("-", "")


def test_documents_belong_to_known_dossiers(generated: Path) -> None:
    dossiers = {
        d["dossier_id"]: d
        for d in json.loads((generated / "dossiers.json").read_text(encoding="utf-8"))
    }
    assert len(dossiers) >= 15
    for entry in _field_entries(generated):
        if entry["dossier_id"] is not None:
            assert entry["dossier_id"] in dossiers
        ref = entry["fields"].get("dossier_reference")
        if ref:
            assert ref == entry["dossier_id"]


def test_world_holds_the_matching_hard_cases(generated: Path) -> None:
    dossiers = json.loads((generated / "dossiers.json").read_text(encoding="utf-8"))
    last_names = [d["beneficiary"]["last_name"] for d in dossiers]
    assert "MARTIN" in last_names and "MARTINS" in last_names
    policies = [d["policy_number"] for d in dossiers]
    assert any(policies.count(p) == 2 for p in policies)
    closed = {d["dossier_id"] for d in dossiers if d["status"] == "closed"}
    assert closed
    entries = _field_entries(generated)
    assert any(e["dossier_id"] in closed for e in entries)
    assert any(e["dossier_id"] is None and e["doc_type"] == "claim_letter" for e in entries)
    agreed = {
        (m["provider_siret"], d["dossier_id"]): Decimal(m["agreed_amount"])
        for d in dossiers
        for m in d["missions"]
    }
    over = [
        e
        for e in entries
        if e["doc_type"] == "invoice"
        and (e["fields"]["supplier_siret"], e["dossier_id"]) in agreed
        and Decimal(e["fields"]["total_incl_tax"])
        > agreed[(e["fields"]["supplier_siret"], e["dossier_id"])]
    ]
    assert over


def test_emails_parse_with_the_stdlib_and_carry_encoded_names(generated: Path) -> None:
    emls = sorted((generated / "documents").glob("*.eml"))
    assert len(emls) == 3
    saw_dotdot = saw_2047_name = False
    for path in emls:
        raw = path.read_bytes()
        assert re.search(rb"^Subject: [^\r\n]*=\?utf-8\?", raw, re.M)
        msg = email.message_from_bytes(raw, policy=policy.default)
        exp = json.loads((generated / "expected" / f"{path.stem}.json").read_text("utf-8"))
        assert msg["Subject"] == exp["subject"] and not msg["Subject"].isascii()
        assert msg.get_content_type() == "multipart/mixed"
        types = [p.get_content_type() for p in msg.walk()]
        nested = {"multipart/alternative", "multipart/related", "text/plain", "text/html"}
        assert nested <= set(types)
        inline = [p for p in msg.walk() if p.get("Content-ID")]
        assert inline and inline[0].get_content_type() == "image/png"
        names = [p.get_filename() for p in msg.iter_attachments()]
        expected_names = [p["filename"] for p in exp["parts"] if p["part"] == "attachment"]
        assert names == expected_names
        saw_dotdot |= any("../" in n for n in names)
        saw_2047_name |= b'filename="=?utf-8?b?' in raw
        assert any(not n.isascii() for n in names)
        for part in msg.iter_attachments():
            payload = part.get_content()
            assert len(payload) > 500
        body = msg.get_body(preferencelist=("plain",)).get_content()
        assert exp["parts"][0]["fields"]["sender_name"] in body
    assert saw_dotdot and saw_2047_name


def test_photos_with_exif_orientation_show_upright(tmp_path: Path) -> None:
    out = tmp_path / "s"
    generate(
        out,
        seed=3,
        per_type=3,
        renderings=["photo"],
        languages=["fr"],
        emails=0,
        doc_types=["claim_letter", "medical_certificate"],
    )
    oriented = 0
    for exp in _expected(out):
        info = exp["rendering_info"]
        if exp["file"].endswith(".jpg") and "exif_orientation" in info:
            img = Image.open(out / exp["file"])
            assert img.getexif().get(0x0112) == info["exif_orientation"]
            upright = ImageOps.exif_transpose(img)
            assert upright.height > upright.width  # A4 portrait once the EXIF is applied
            if info["exif_orientation"] in (6, 8):
                assert img.width > img.height  # ... while the stored pixels lie sideways
            oriented += 1
    assert oriented


def test_turned_pages_are_stored_sideways(generated: Path) -> None:
    for exp in _expected(generated):
        if exp["rendering"] == "rotated" and exp["file"].endswith((".png", ".jpg")):
            img = Image.open(generated / exp["file"])
            angle = exp["rendering_info"]["rotation"][0]
            assert (img.width > img.height) == (angle in (90, 270))


def test_command_line_writes_the_set_and_refuses_bad_renderings(tmp_path: Path) -> None:
    script = ROOT / "samples" / "generate.py"
    ok = subprocess.run(
        [
            sys.executable,
            str(script),
            "--out",
            str(tmp_path),
            "--per-type",
            "1",
            "--renderings",
            "born_digital",
            "--languages",
            "fr",
            "--emails",
            "0",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert len(list((tmp_path / "documents").glob("*.pdf"))) == len(DOC_TYPES)
    assert (tmp_path / "dossiers.json").is_file()
    bad = subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path), "--renderings", "fax"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "fax" in bad.stderr


COMMITTED = ROOT / "samples"


def test_committed_set_covers_every_kind_and_rendering_twice() -> None:
    exps = _expected(COMMITTED)
    assert 40 <= len(exps) <= 65
    for kind in DOC_TYPES:
        assert sum(e["doc_type"] == kind for e in exps) >= 2, kind
    for rendering in RENDERINGS:
        assert sum(e["rendering"] == rendering for e in exps) >= 2, rendering
    assert sum(e["file"].endswith(".eml") for e in exps) == 3
    assert any(e["file"].endswith(".tiff") and e["page_count"] > 1 for e in exps)
    assert any(e["rendering_info"].get("mixed") for e in exps if "rendering_info" in e)
    size = sum(p.stat().st_size for p in COMMITTED.rglob("*") if p.is_file())
    assert size < 12 * 1024 * 1024


def test_mixed_pdf_has_text_on_page_one_only() -> None:
    pdfium = pytest.importorskip("pypdfium2")
    mixed = [e for e in _expected(COMMITTED) if e.get("rendering_info", {}).get("mixed")]
    assert mixed
    doc = pdfium.PdfDocument(COMMITTED / mixed[0]["file"])
    try:
        texts = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()
    assert len(texts) == 2 and len(texts[0].strip()) > 100 and not texts[1].strip()


# ----------------------------------------------------------------------- documents from abroad

FOREIGN_WORDS = {
    "en": ("invoice",),
    "es": ("factura",),
    "it": ("fattura",),
    "de": ("rechnung",),
}


@pytest.fixture(scope="module")
def with_foreign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("foreign")
    generate(out, seed=13, per_type=1, renderings=["born_digital"], emails=1, foreign=20)
    return out


def _foreign(out: Path) -> list[dict[str, Any]]:
    return [e for e in _expected(out) if "-x" in e["file"]]


def test_foreign_documents_do_not_change_the_others(tmp_path: Path, with_foreign: Path) -> None:
    plain = tmp_path / "plain"
    generate(plain, seed=13, per_type=1, renderings=["born_digital"], emails=1)
    names = sorted(p.name for p in (plain / "documents").iterdir())
    assert names and all("-x" not in n for n in names)
    for sub in ("documents", "expected"):
        for p in (plain / sub).iterdir():
            assert p.read_bytes() == (with_foreign / sub / p.name).read_bytes(), p.name
    assert (plain / "dossiers.json").read_bytes() == (with_foreign / "dossiers.json").read_bytes()


def test_foreign_invoices_cover_every_language_and_kind_in_their_own_words(
    with_foreign: Path,
) -> None:
    invoices = [e for e in _foreign(with_foreign) if e["doc_type"] == "invoice"]
    assert len(invoices) == 20
    assert {(e["language"], e["variant"]) for e in invoices} == {
        (lang, kind)
        for lang in ("en", "es", "it", "de")
        for kind in ("hotel", "garage", "tow", "clinic", "rental")
    }
    lengths = []
    for e in invoices:
        text = "\n".join(p["text"] for p in e["pages"])
        assert any(w in text.lower() for w in FOREIGN_WORDS[e["language"]]), e["file"]
        assert "facture" not in text.lower() and "siret" not in text.lower()
        lengths.append(len(text.splitlines()))
    assert min(lengths) <= 10 and max(lengths) >= 20  # short slips and full pages


def test_foreign_documents_carry_valid_contract_fields(with_foreign: Path) -> None:
    entries = _foreign(with_foreign)
    assert {e["doc_type"] for e in entries} == {
        "invoice",
        "receipt",
        "claim_letter",
        "medical_certificate",
    }
    assert {e["language"] for e in entries if e["doc_type"] == "receipt"} == {
        "en",
        "es",
        "it",
        "de",
    }
    for e in entries:
        f = e["fields"]
        assert set(f) <= CONTRACT_FIELDS[e["doc_type"]], e["file"]
        text = _squash("\n".join(p["text"] for p in e["pages"]))
        if e["doc_type"] == "invoice":
            assert {"supplier_name", "invoice_number", "invoice_date", "total_incl_tax"} <= set(f)
            if {"total_excl_tax", "vat_amount"} <= set(f):
                assert Decimal(f["total_excl_tax"]) + Decimal(f["vat_amount"]) == Decimal(
                    f["total_incl_tax"]
                )
            assert _squash(f["invoice_number"]) in text
        if "iban" in f:
            assert f["iban"][:2] in {"GB", "ES", "IT", "DE"} and ids.iban_ok(f["iban"])
            assert f["iban"] in text
        if "currency" in f:
            assert f["currency"] in {"EUR", "GBP", "USD"}
        for name, value in f.items():
            if name.endswith("_date") or name.startswith("incapacity_"):
                date.fromisoformat(value)
            if name.startswith("total_") or name in ("vat_amount", "requested_amount"):
                assert AMOUNT.match(value), (name, value)
        if "dossier_reference" in f:
            assert f["dossier_reference"] == e["dossier_id"] and f["dossier_reference"] in text


def test_command_line_adds_foreign_documents(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "samples" / "generate.py"),
            "--out",
            str(tmp_path),
            "--per-type",
            "1",
            "--renderings",
            "born_digital",
            "--emails",
            "0",
            "--foreign",
            "2",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert len(list((tmp_path / "documents").glob("*-x0*.pdf"))) == 8
