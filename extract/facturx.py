"""Factur-X / ZUGFeRD: the invoice as CII XML embedded in the PDF.

:func:`read_facturx` finds the XML (the ``/EmbeddedFiles`` name tree through pypdfium2's
attachment API, then the document's and pages' ``/AF`` associated files through pdfminer),
parses it with lxml without entities, DTDs or network, and maps the UN/CEFACT
Cross-Industry-Invoice (D16B, Factur-X 1.0 / ZUGFeRD 2.x / XRechnung CII) to the contract's
invoice fields. :func:`cross_check` compares those values with what the page's text gave:
a disagreement is a blocking warning naming both values, never a silent override.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from extract.identifiers import normalize_iban, normalize_siret, normalize_vat
from extract.normalize import fold_name, normalize_reference
from mailroom.errors import CorruptFile, MailroomError
from mailroom.models import Check, ExtractedField, FieldValue

log = logging.getLogger(__name__)

# Attachment names the standards give the XML, in order of preference (compared lower case).
FACTURX_NAMES: tuple[str, ...] = (
    "factur-x.xml",
    "zugferd-invoice.xml",
    "xrechnung.xml",
    "order-x.xml",
)
MAX_XML_BYTES = 20 * 1024 * 1024

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
_ZUGFERD1_NS = "urn:ferd:CrossIndustryDocument:invoice:1p0"

CENT = Decimal("0.01")


class InvalidFacturX(MailroomError):
    """The PDF carries a Factur-X attachment that cannot be read as a CII invoice.

    Not a :class:`~mailroom.errors.DocumentError`: the visible page can still be read, so the
    caller records a check rather than quarantining the document.
    """


@dataclass(frozen=True)
class FacturXInvoice:
    """The invoice the embedded XML describes, in our types."""

    attachment_name: str
    profile: str | None  # MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED, XRECHNUNG
    guideline_id: str | None
    type_code: str | None  # 380 invoice, 381 credit note, 384 corrective, 389 self-billed...
    invoice_number: str | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    supplier_name: str | None = None
    supplier_siret: str | None = None
    supplier_siren: str | None = None
    supplier_vat_number: str | None = None
    customer_name: str | None = None
    currency: str | None = None
    total_excl_tax: Decimal | None = None
    vat_amount: Decimal | None = None
    total_incl_tax: Decimal | None = None
    amount_due: Decimal | None = None
    iban: str | None = None

    @property
    def is_credit_note(self) -> bool:
        return self.type_code in {"381", "261", "262", "396", "532"}

    def to_fields(self, *, confidence: float = 0.99) -> dict[str, ExtractedField]:
        """The contract's invoice fields the XML gives, marked ``source="facturx"``.

        ``due_date``, ``amount_due`` and the profile are not contract fields and are left out.
        """
        out: dict[str, ExtractedField] = {}
        for name in INVOICE_FIELDS:
            value = getattr(self, name)
            if value is not None and value != "":
                out[name] = ExtractedField(value=value, confidence=confidence, source="facturx")
        return out


INVOICE_FIELDS: tuple[str, ...] = (
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
)
assert set(INVOICE_FIELDS) <= {f.name for f in fields(FacturXInvoice)}


# --------------------------------------------------------------------------- finding the XML


def _name_rank(name: str) -> int | None:
    lowered = name.strip().lower()
    if lowered in FACTURX_NAMES:
        return FACTURX_NAMES.index(lowered)
    if lowered.endswith(".xml"):
        return len(FACTURX_NAMES)  # any other XML, kept only if it is a CII invoice
    return None


def _embedded_files_pdfium(pdf_path: Path) -> list[tuple[str, bytes]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(pdf_path))
    except pdfium.PdfiumError as e:
        raise CorruptFile(f"PDF illisible : {e}") from e
    try:
        found: list[tuple[str, bytes]] = []
        for i in range(pdf.count_attachments()):
            attachment = pdf.get_attachment(i)
            name = attachment.get_name()
            if _name_rank(name) is None:
                continue
            try:
                data = bytes(attachment.get_data())
            except pdfium.PdfiumError as e:
                log.debug("attachment %r could not be read: %s", name, e)
                continue
            found.append((name, data))
        return found
    finally:
        pdf.close()


def _associated_files_pdfminer(pdf_path: Path) -> list[tuple[str, bytes]]:
    """Files listed in the catalog's or the pages' ``/AF`` arrays (PDF/A-3 associated files)."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import PDFStream, resolve1
    from pdfminer.psexceptions import PSException

    found: list[tuple[str, bytes]] = []

    def filespecs(af: Any) -> Iterator[Any]:
        for item in resolve1(af) or []:
            spec = resolve1(item)
            if isinstance(spec, dict):
                yield spec

    def text(value: Any) -> str:
        value = resolve1(value)
        if isinstance(value, bytes):
            if value.startswith(b"\xfe\xff"):
                return value[2:].decode("utf-16-be", errors="replace")
            return value.decode("latin-1")
        return str(value) if value is not None else ""

    try:
        with pdf_path.open("rb") as fh:
            parser = PDFParser(fh)
            document = PDFDocument(parser)
            # Factur-X (PDF/A-3) lists its XML in the catalog's /AF; pages are not walked, so
            # a long or hostile PDF costs nothing more here.
            for af in [document.catalog.get("AF")]:
                if af is None:
                    continue
                for spec in filespecs(af):
                    name = text(spec.get("UF") or spec.get("F"))
                    if _name_rank(name) is None:
                        continue
                    ef = resolve1(spec.get("EF")) or {}
                    stream = resolve1(ef.get("UF") or ef.get("F"))
                    if isinstance(stream, PDFStream):
                        found.append((name, stream.get_data()))
    except (PSException, ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
        log.debug("no associated files read from %s: %s", pdf_path, e)
    except Exception as e:  # noqa: BLE001 - pdfminer raises its own zoo on hostile files
        log.debug("no associated files read from %s: %s: %s", pdf_path, type(e).__name__, e)
    return found


def find_facturx_xml(pdf_path: Path) -> tuple[str, bytes] | None:
    """The embedded invoice XML (attachment name, bytes), or None when the PDF has none.

    Named attachments come first (``factur-x.xml``, ``zugferd-invoice.xml``,
    ``ZUGFeRD-invoice.xml``, ``xrechnung.xml``); another ``.xml`` attachment is taken only if
    its root element is a Cross-Industry-Invoice.
    """
    candidates = _embedded_files_pdfium(pdf_path)
    if not any(_name_rank(n) != len(FACTURX_NAMES) for n, _ in candidates):
        candidates += _associated_files_pdfminer(pdf_path)
    candidates.sort(key=lambda c: _name_rank(c[0]) or 0)
    for name, data in candidates:
        if _name_rank(name) == len(FACTURX_NAMES) and b"CrossIndustryInvoice" not in data[:4096]:
            continue
        return name, data
    return None


# --------------------------------------------------------------------------- parsing the XML


def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def _profile(guideline: str | None) -> str | None:
    if not guideline:
        return None
    g = guideline.strip().lower()
    if "extended" in g:
        return "EXTENDED"
    if "basicwl" in g or "basic-wl" in g:
        return "BASIC WL"
    if "minimum" in g:
        return "MINIMUM"
    if re.search(r":basic\b", g):
        return "BASIC"
    if "xrechnung" in g:
        return "XRECHNUNG"
    if "en16931" in g or "comfort" in g:
        return "EN 16931"
    return None


def _amount(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        return Decimal(text.strip()).quantize(CENT)
    except InvalidOperation:
        return None


def _date102(element: Any) -> date | None:
    if element is None or not (element.text or "").strip():
        return None
    fmt = element.get("format", "102")
    value = element.text.strip()
    if fmt != "102" or not re.fullmatch(r"\d{8}", value):
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def _first_text(root: Any, path: str) -> str | None:
    for element in root.iterfind(path, NS):
        text = " ".join((element.text or "").split())
        if text:
            return text
    return None


def _seller_ids(seller: Any) -> tuple[str | None, str | None]:
    """(SIRET, SIREN) from SpecifiedLegalOrganization/ID and GlobalID.

    ISO 6523 scheme 0002 is SIRENE (9 digits SIREN or 14 digits SIRET), 0009 is SIRET.
    """
    siret: str | None = None
    siren: str | None = None
    if seller is None:
        return None, None
    ids = list(seller.iterfind("ram:SpecifiedLegalOrganization/ram:ID", NS))
    ids += list(seller.iterfind("ram:GlobalID", NS))
    for element in ids:
        scheme = (element.get("schemeID") or "").strip()
        digits = re.sub(r"[\s.\-]", "", element.text or "")
        if not digits.isdigit() or scheme not in {"0002", "0009", ""}:
            continue
        if len(digits) == 14 and siret is None:
            siret = normalize_siret(digits)
        elif len(digits) == 9 and siren is None and scheme != "0009":
            siren = digits
    if siren is None and siret is not None:
        siren = siret[:9]
    return siret, siren


def _seller_vat(seller: Any) -> str | None:
    if seller is None:
        return None
    for element in seller.iterfind("ram:SpecifiedTaxRegistration/ram:ID", NS):
        if (element.get("schemeID") or "").upper() == "VA" and element.text:
            return normalize_vat(element.text) or "".join(element.text.split()).upper()
    return None


def _vat_total(settlement: Any, currency: str | None) -> Decimal | None:
    totals = list(
        settlement.iterfind(
            "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount", NS
        )
    )
    if not totals:
        return None
    for element in totals:
        if currency and element.get("currencyID") == currency:
            return _amount(element.text)
    for element in totals:
        if element.get("currencyID") in (None, ""):
            return _amount(element.text)
    return _amount(totals[0].text) if len(totals) == 1 else None


def parse_cii(xml: bytes, *, attachment_name: str = "factur-x.xml") -> FacturXInvoice:
    """Map a CII XML invoice to :class:`FacturXInvoice`. Raises :class:`InvalidFacturX`."""
    from lxml import etree

    if len(xml) > MAX_XML_BYTES:
        raise InvalidFacturX(f"{attachment_name}: {len(xml)} octets, trop volumineux")
    try:
        root = etree.fromstring(xml, parser=_parser())
    except etree.XMLSyntaxError as e:
        raise InvalidFacturX(f"{attachment_name}: XML illisible ({e})") from e
    if root.tag == f"{{{_ZUGFERD1_NS}}}CrossIndustryDocument":
        raise InvalidFacturX(f"{attachment_name}: ZUGFeRD 1.0 n'est pas pris en charge")
    if root.tag != f"{{{NS['rsm']}}}CrossIndustryInvoice":
        raise InvalidFacturX(f"{attachment_name}: pas une facture CII ({root.tag})")

    guideline = _first_text(
        root, "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
    )
    document = root.find("rsm:ExchangedDocument", NS)
    transaction = root.find("rsm:SupplyChainTradeTransaction", NS)
    agreement = (
        transaction.find("ram:ApplicableHeaderTradeAgreement", NS)
        if transaction is not None
        else None
    )
    settlement = (
        transaction.find("ram:ApplicableHeaderTradeSettlement", NS)
        if transaction is not None
        else None
    )
    seller = agreement.find("ram:SellerTradeParty", NS) if agreement is not None else None
    buyer = agreement.find("ram:BuyerTradeParty", NS) if agreement is not None else None
    siret, siren = _seller_ids(seller)

    currency = (
        _first_text(settlement, "ram:InvoiceCurrencyCode") if settlement is not None else None
    )
    summation = "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    iban_text = (
        _first_text(
            settlement,
            "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/"
            "ram:IBANID",
        )
        if settlement is not None
        else None
    )
    supplier_name = _first_text(seller, "ram:Name") if seller is not None else None
    customer_name = _first_text(buyer, "ram:Name") if buyer is not None else None
    number = _first_text(document, "ram:ID") if document is not None else None

    return FacturXInvoice(
        attachment_name=attachment_name,
        profile=_profile(guideline),
        guideline_id=guideline,
        type_code=_first_text(document, "ram:TypeCode") if document is not None else None,
        invoice_number=number,
        invoice_date=_date102(
            document.find("ram:IssueDateTime/udt:DateTimeString", NS)
            if document is not None
            else None
        ),
        due_date=_date102(
            settlement.find(
                "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString", NS
            )
            if settlement is not None
            else None
        ),
        supplier_name=fold_name(supplier_name) if supplier_name else None,
        supplier_siret=siret,
        supplier_siren=siren,
        supplier_vat_number=_seller_vat(seller),
        customer_name=fold_name(customer_name) if customer_name else None,
        currency=currency.upper() if currency else None,
        total_excl_tax=_amount(_first_text(settlement, summation + "ram:TaxBasisTotalAmount"))
        if settlement is not None
        else None,
        vat_amount=_vat_total(settlement, currency) if settlement is not None else None,
        total_incl_tax=_amount(_first_text(settlement, summation + "ram:GrandTotalAmount"))
        if settlement is not None
        else None,
        amount_due=_amount(_first_text(settlement, summation + "ram:DuePayableAmount"))
        if settlement is not None
        else None,
        iban=(normalize_iban(iban_text) or "".join(iban_text.split()).upper())
        if iban_text
        else None,
    )


def read_facturx(pdf_path: Path) -> FacturXInvoice | None:
    """The Factur-X / ZUGFeRD invoice embedded in ``pdf_path``, or None when there is none.

    Raises :class:`~mailroom.errors.CorruptFile` when the PDF cannot be opened and
    :class:`InvalidFacturX` when an invoice attachment exists but is not a readable CII invoice.
    """
    found = find_facturx_xml(Path(pdf_path))
    if found is None:
        return None
    name, data = found
    return parse_cii(data, attachment_name=name)


# --------------------------------------------------------------------------- cross-check


def _fold_text(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", stripped.casefold()).split())


_LEGAL_FORMS = frozenset(
    [
        "sarl",
        "sas",
        "sasu",
        "sa",
        "eurl",
        "sci",
        "snc",
        "scop",
        "selarl",
        "ei",
        "eirl",
        "earl",
        "gmbh",
        "ag",
        "ltd",
        "llc",
        "inc",
        "sl",
        "srl",
        "bv",
    ]
)


def _same_name(a: str, b: str) -> bool:
    """Names agree when equal once case, accents, punctuation and legal forms are ignored, or
    when one is the other plus words (the page often adds an address line or a trade name)."""
    ta = [w for w in _fold_text(a).split() if w not in _LEGAL_FORMS]
    tb = [w for w in _fold_text(b).split() if w not in _LEGAL_FORMS]
    if not ta or not tb:
        return _fold_text(a) == _fold_text(b)
    if ta == tb:
        return True
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    return " ".join(short) in " ".join(long_) and len(short) >= 2


def _same_value(field: str, a: FieldValue, b: FieldValue) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a.quantize(CENT) == b.quantize(CENT)
    if isinstance(a, date) and isinstance(b, date):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        if field.endswith("_name"):
            return _same_name(a, b)
        return normalize_reference(a) == normalize_reference(b)
    return False


def _shown(value: FieldValue) -> str:
    if isinstance(value, Decimal):
        return f"{value.quantize(CENT):f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def cross_check(
    xml_fields: Mapping[str, ExtractedField],
    text_fields: Mapping[str, ExtractedField],
) -> list[Check]:
    """Compare the XML's fields with the visible text's, field by field.

    Each field both sides have and that differs gives a blocking
    ``facturx.text_mismatch`` warning naming the field and both values; the fields that
    agree give one ``pass`` check listing them. Fields only one side has are not compared.
    """
    checks: list[Check] = []
    agreed: list[str] = []
    for name in sorted(set(xml_fields) & set(text_fields)):
        xml_value = xml_fields[name].value
        text_value = text_fields[name].value
        if _same_value(name, xml_value, text_value):
            agreed.append(name)
            continue
        checks.append(
            Check(
                code="facturx.text_mismatch",
                status="warn",
                blocking=True,
                message=(
                    f"{name} : le XML Factur-X indique « {_shown(xml_value)} », "
                    f"le texte de la facture « {_shown(text_value)} »"
                ),
            )
        )
    if agreed:
        checks.append(
            Check(
                code="facturx.text_mismatch",
                status="pass",
                message="XML Factur-X et texte concordent : " + ", ".join(agreed),
            )
        )
    return checks
