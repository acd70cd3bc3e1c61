from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from extract.facturx import InvalidFacturX, cross_check, parse_cii, read_facturx
from mailroom.errors import CorruptFile
from mailroom.models import ExtractedField

EVAL_DIR = Path(__file__).resolve().parents[3] / "shared" / "eval-data" / "facturx-fr"
if not EVAL_DIR.exists():
    EVAL_DIR = Path("/work/shared/eval-data/facturx-fr")

CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
  xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>{guideline}</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>FD-2026-0117</ram:ID>
    <ram:TypeCode>{type_code}</ram:TypeCode>
    <ram:IssueDateTime>
      <udt:DateTimeString format="102">20260312</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Dépannage   Dupuis</ram:Name>
        <ram:SpecifiedLegalOrganization>
          <ram:ID schemeID="0009">73282932000074</ram:ID>
        </ram:SpecifiedLegalOrganization>
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="FC">123/456/78901</ram:ID>
        </ram:SpecifiedTaxRegistration>
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="VA">FR 44 732829320</ram:ID>
        </ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Claire MARTIN</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>58</ram:TypeCode>
        <ram:PayeePartyCreditorFinancialAccount>
          <ram:IBANID>FR76 3000 6000 0112 3456 7890 189</ram:IBANID>
        </ram:PayeePartyCreditorFinancialAccount>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:TaxBasisTotalAmount>150.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="USD">32.70</ram:TaxTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">30.00</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>180.00</ram:GrandTotalAmount>
        <ram:DuePayableAmount>180.00</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def _cii(guideline: str = "urn:cen.eu:en16931:2017", type_code: str = "380") -> bytes:
    return CII.format(guideline=guideline, type_code=type_code).encode()


def _visible_pdf() -> bytes:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    c.drawString(72, 760, "Dépannage Dupuis SARL - Facture FD-2026-0117 du 12/03/2026")
    c.drawString(72, 740, "Total TTC : 180,00 EUR")
    c.showPage()
    c.save()
    return buffer.getvalue()


def _pdf_with_attachment(tmp_path: Path, name: str, data: bytes) -> Path:
    pdf = pdfium.PdfDocument(_visible_pdf())
    attachment = pdf.new_attachment(name)
    attachment.set_data(data)
    out = tmp_path / "facture.pdf"
    pdf.save(out)
    pdf.close()
    return out


def _pdf_with_associated_file_only(tmp_path: Path, name: str, data: bytes) -> Path:
    """A hand-written PDF whose XML is reachable only from the catalog's /AF array."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AF [4 0 R] >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        f"<< /Type /Filespec /F ({name}) /UF ({name}) /AFRelationship /Data "
        f"/EF << /F 5 0 R >> >>".encode(),
        b"<< /Type /EmbeddedFile /Subtype /text#2Fxml /Length "
        + str(len(data)).encode()
        + b" >>\nstream\n"
        + data
        + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path = tmp_path / "af-only.pdf"
    path.write_bytes(out.getvalue())
    return path


def test_reads_the_invoice_embedded_in_a_pdf(tmp_path: Path) -> None:
    path = _pdf_with_attachment(tmp_path, "factur-x.xml", _cii())
    invoice = read_facturx(path)
    assert invoice is not None
    assert invoice.attachment_name == "factur-x.xml"
    assert invoice.profile == "EN 16931"
    assert invoice.type_code == "380" and not invoice.is_credit_note
    assert invoice.invoice_number == "FD-2026-0117"
    assert invoice.invoice_date == date(2026, 3, 12)
    assert invoice.supplier_name == "Dépannage Dupuis"
    assert invoice.supplier_siret == "73282932000074"
    assert invoice.supplier_siren == "732829320"
    assert invoice.supplier_vat_number == "FR44732829320"
    assert invoice.customer_name == "Claire MARTIN"
    assert invoice.currency == "EUR"
    assert invoice.total_excl_tax == Decimal("150.00")
    assert invoice.vat_amount == Decimal("30.00")  # the EUR total, not the USD one
    assert invoice.total_incl_tax == Decimal("180.00")
    assert invoice.iban == "FR7630006000011234567890189"


def test_to_fields_gives_contract_fields_marked_as_facturx(tmp_path: Path) -> None:
    invoice = read_facturx(_pdf_with_attachment(tmp_path, "factur-x.xml", _cii()))
    assert invoice is not None
    fields = invoice.to_fields()
    assert set(fields) == {
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
    }
    assert all(f.source == "facturx" for f in fields.values())
    assert fields["total_incl_tax"].model_dump(mode="json")["value"] == "180.00"


@pytest.mark.parametrize("name", ["zugferd-invoice.xml", "ZUGFeRD-invoice.xml", "xrechnung.xml"])
def test_reads_the_other_standard_attachment_names(tmp_path: Path, name: str) -> None:
    invoice = read_facturx(_pdf_with_attachment(tmp_path, name, _cii()))
    assert invoice is not None and invoice.attachment_name == name


def test_reads_an_xml_reachable_only_through_associated_files(tmp_path: Path) -> None:
    invoice = read_facturx(_pdf_with_associated_file_only(tmp_path, "factur-x.xml", _cii()))
    assert invoice is not None
    assert invoice.invoice_number == "FD-2026-0117"


def test_other_attachments_are_not_taken_for_an_invoice(tmp_path: Path) -> None:
    assert read_facturx(_pdf_with_attachment(tmp_path, "photo.jpg", b"\xff\xd8\xff")) is None
    assert read_facturx(_pdf_with_attachment(tmp_path, "notes.xml", b"<notes/>")) is None


def test_a_pdf_without_attachment_has_no_facturx(tmp_path: Path) -> None:
    path = tmp_path / "plain.pdf"
    path.write_bytes(_visible_pdf())
    assert read_facturx(path) is None


def test_a_corrupt_pdf_is_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\nnot really")
    with pytest.raises(CorruptFile):
        read_facturx(path)


def test_an_unreadable_xml_is_reported_not_ignored(tmp_path: Path) -> None:
    with pytest.raises(InvalidFacturX):
        read_facturx(_pdf_with_attachment(tmp_path, "factur-x.xml", b"<rsm:Cross"))
    with pytest.raises(InvalidFacturX):
        parse_cii(b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>")


def test_external_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = (
        _cii()
        .replace(
            b'<?xml version="1.0" encoding="UTF-8"?>',
            f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'.encode(),
        )
        .replace(b"<ram:ID>FD-2026-0117</ram:ID>", b"<ram:ID>&x;</ram:ID>")
    )
    invoice = parse_cii(xml)
    assert "TOP-SECRET" not in repr(invoice)


@pytest.mark.parametrize(
    ("guideline", "profile"),
    [
        ("urn:factur-x.eu:1p0:minimum", "MINIMUM"),
        ("urn:factur-x.eu:1p0:basicwl", "BASIC WL"),
        ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "BASIC"),
        ("urn:cen.eu:en16931:2017", "EN 16931"),
        ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "EXTENDED"),
        ("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0", "XRECHNUNG"),
    ],
)
def test_profile_comes_from_the_guideline(guideline: str, profile: str) -> None:
    assert parse_cii(_cii(guideline=guideline)).profile == profile


def test_credit_note_type_code() -> None:
    invoice = parse_cii(_cii(type_code="381"))
    assert invoice.type_code == "381" and invoice.is_credit_note


def _field(value: object) -> ExtractedField:
    return ExtractedField(value=value, confidence=0.9)  # type: ignore[arg-type]


def test_cross_check_passes_when_xml_and_text_agree() -> None:
    xml = {
        "total_incl_tax": _field(Decimal("180.00")),
        "supplier_name": _field("Dépannage Dupuis"),
        "iban": _field("FR7630006000011234567890189"),
        "invoice_date": _field(date(2026, 3, 12)),
    }
    text = {
        "total_incl_tax": _field(Decimal("180")),
        "supplier_name": _field("DEPANNAGE DUPUIS SARL"),
        "iban": _field("FR76 3000 6000 0112 3456 7890 189"),
        "invoice_date": _field(date(2026, 3, 12)),
        "dossier_reference": _field("AST-2026-004217"),
    }
    checks = cross_check(xml, text)
    assert [(c.code, c.status) for c in checks] == [("facturx.text_mismatch", "pass")]
    assert "total_incl_tax" in checks[0].message


def test_cross_check_names_the_field_and_both_values_when_they_disagree() -> None:
    xml = {"total_incl_tax": _field(Decimal("180.00")), "invoice_number": _field("FD-1")}
    text = {"total_incl_tax": _field(Decimal("18.00")), "invoice_number": _field("FD-1")}
    checks = cross_check(xml, text)
    warn = [c for c in checks if c.status == "warn"]
    assert len(warn) == 1
    assert warn[0].code == "facturx.text_mismatch" and warn[0].blocking
    assert "total_incl_tax" in warn[0].message
    assert "180.00" in warn[0].message and "18.00" in warn[0].message
    assert [c.status for c in checks if c.status == "pass"] == ["pass"]


def test_cross_check_does_not_take_a_different_company_for_the_same() -> None:
    xml = {"supplier_name": _field("Garage Martin")}
    text = {"supplier_name": _field("Garage Dupuis")}
    assert [c.status for c in cross_check(xml, text)] == ["warn"]


# --------------------------------------------------------------------------- eval data

RSM = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}"
RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
UDT = "{urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100}"


def _expected_from_xml(path: Path) -> dict[str, object]:
    """The reference values, read with the standard library, independently of our parser."""
    root = ET.parse(path).getroot()
    doc = root.find(f"{RSM}ExchangedDocument")
    assert doc is not None
    summation = root.find(
        f"{RSM}SupplyChainTradeTransaction/{RAM}ApplicableHeaderTradeSettlement/"
        f"{RAM}SpecifiedTradeSettlementHeaderMonetarySummation"
    )
    assert summation is not None
    raw_date = doc.findtext(f"{RAM}IssueDateTime/{UDT}DateTimeString")
    assert raw_date is not None
    seller = root.find(
        f"{RSM}SupplyChainTradeTransaction/{RAM}ApplicableHeaderTradeAgreement/{RAM}SellerTradeParty"
    )
    assert seller is not None
    return {
        "invoice_number": doc.findtext(f"{RAM}ID"),
        "type_code": doc.findtext(f"{RAM}TypeCode"),
        "invoice_date": date(int(raw_date[:4]), int(raw_date[4:6]), int(raw_date[6:8])),
        "total_excl_tax": Decimal(summation.findtext(f"{RAM}TaxBasisTotalAmount") or "nan"),
        "total_incl_tax": Decimal(summation.findtext(f"{RAM}GrandTotalAmount") or "nan"),
        "supplier_name": seller.findtext(f"{RAM}Name"),
    }


def _eval_pairs() -> list[tuple[Path, Path]]:
    if not EVAL_DIR.exists():
        return []
    pairs = []
    for pdf in sorted(EVAL_DIR.rglob("*.pdf")):
        rel = pdf.relative_to(EVAL_DIR).with_suffix("")
        xml = EVAL_DIR / "extracted-xml" / ("__".join(rel.parts) + ".factur-x.xml")
        if xml.exists():
            pairs.append((pdf, xml))
    return pairs


@pytest.mark.evaldata
def test_reads_every_facturx_of_the_eval_set_as_its_extracted_xml() -> None:
    pairs = _eval_pairs()
    if not pairs:
        pytest.skip("eval-data/facturx-fr is not present")
    assert len(pairs) >= 20
    for pdf, xml in pairs:
        invoice = read_facturx(pdf)
        assert invoice is not None, pdf.name
        expected = _expected_from_xml(xml)
        for name, value in expected.items():
            assert getattr(invoice, name) == value, (pdf.name, name)
        assert invoice.profile in {"MINIMUM", "BASIC WL", "BASIC", "EN 16931"}, pdf.name
        assert invoice.currency == "EUR"
