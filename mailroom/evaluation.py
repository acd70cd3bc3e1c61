"""``mailroom eval``: the accuracy harness.

Scores document type accuracy and per-field precision / recall / F1, overall, per type and per
rendering, on ``samples/`` (the generator's ground truth) and on each third-party set of
``../shared/eval-data/``, reading each set's own ground truth:

- ``invoice2data``: invoice2data's expected JSON (keys mapped to the contract's field names);
  the headline is the share of invoices whose number, date and total incl. tax are all right.
- ``facturx``: the embedded CII XML (``extracted-xml/``) is the truth; the ``text`` path reads
  the visible text with the XML ignored, the ``xml`` path reads the embedded XML.
- ``sroie``: scanned receipts read with our own OCR; keys date, total, company.

A wrong value counts as a false positive and a false negative; an absent one as a false
negative; a value where the truth has none as a false positive. Amounts compare as decimals,
dates as ISO dates (every reading of an ambiguous ground-truth date), text case-, accent- and
punctuation-insensitively, and names also without a company's legal form (SARL, GmbH, SDN
BHD...), which issuers print or leave out as they please.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from mailroom.fraud_eval import eval_fraud, fraud_figures
from mailroom.models import Document, Status, format_value
from mailroom.settings import Settings

DEFAULT_EVAL_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "eval-data"
SETS = ("samples", "invoice2data", "facturx", "sroie")
#: Sets scored only when named: SROIE's 200 fitting receipts (tune there, report on sroie-subset),
#: the scan batches made from the samples (boundaries; ~10 minutes of OCR) and the fraud signals'
#: false alarms (the whole pipeline over every shared set).
EXTRA_SETS = ("sroie-train", "batches", "fraud")
# Generated on each run rather than read, and not part of "all": ``samples/blind/``'s corpus,
# laid out by someone who had not read the extractor.
GENERATED_SETS = ("blind",)

AMOUNT_FIELDS = {
    "total_excl_tax",
    "vat_amount",
    "total_incl_tax",
    "requested_amount",
}
DATE_FIELDS = {"invoice_date", "receipt_date", "issue_date", "incapacity_start", "incapacity_end"}


# -- comparing values ------------------------------------------------------------------------


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _amount(value: Any) -> Decimal | None:
    """An amount of the truth or ours; a currency mark beside it ("RM8.60", "$8.60") is not
    part of the amount."""
    text = re.sub(r"[^\d.,\-]", "", str(value)).replace(",", "")
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


_TRUTH_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d/%m/%y",
    "%d-%m-%y",
    "%d.%m.%y",
    "%y-%m-%d",
    "%d %b %Y",
    "%d %B %Y",
    "%d/%b/%Y",
    "%d-%b-%Y",
    "%Y%m%d",
    "%m/%d/%Y",
)


def truth_dates(text: str) -> set[str]:
    """Every reading of a ground-truth date string (some sets print ambiguous dates)."""
    text = text.strip()
    readings = set()
    for fmt in _TRUTH_DATE_FORMATS:
        try:
            readings.add(datetime.strptime(text, fmt).date().isoformat())
        except ValueError:
            continue
    return readings


NAME_FIELDS = {
    "supplier_name", "customer_name", "merchant_name", "account_holder", "sender_name",
    "patient_name", "practitioner_name",
}
# A company's legal form is printed or not as the issuer pleases (the Factur-X XML names
# "Au bon moulin", the page prints "Au bon moulin SARL"): names are compared without it.
_LEGAL_FORM_RE = re.compile(
    r"\b(sarl|sas|sasu|sa|eurl|sci|snc|gmbh|ag|ltd|limited|llc|inc|plc|bv|nv|srl|spa|sl|"
    r"sdn\s*bhd|bhd|s\s*b)\b\.?",
    re.IGNORECASE,
)


def _fold_name(text: str) -> str:
    return _fold(_LEGAL_FORM_RE.sub(" ", text))


def same_value(name: str, predicted: str, truth: Any) -> bool:
    if name in NAME_FIELDS:
        return _fold_name(predicted) == _fold_name(str(truth)) and _fold_name(str(truth)) != ""
    if name in AMOUNT_FIELDS:
        return _amount(predicted) is not None and _amount(predicted) == _amount(truth)
    if name in DATE_FIELDS:
        return predicted in (truth_dates(str(truth)) or {str(truth)})
    return _fold(predicted) == _fold(str(truth)) and _fold(str(truth)) != ""


# -- scores ----------------------------------------------------------------------------------


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


@dataclass
class Score:
    """Type accuracy and field counts, overall and by group (type, rendering, field)."""

    name: str
    docs: int = 0
    type_right: int = 0
    fields: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    groups: dict[str, dict[str, Counts]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Counts))
    )
    group_docs: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    errors: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    rates: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (right, of)
    seconds: float = 0.0

    def add(
        self,
        label: str,
        predicted_type: str | None,
        truth_type: str | None,
        predicted: dict[str, str],
        truth: dict[str, Any],
        groups: Sequence[str] = (),
        only: Iterable[str] | None = None,
    ) -> dict[str, Counts]:
        self.docs += 1
        type_ok = truth_type is None or predicted_type == truth_type
        self.type_right += type_ok
        for g in groups:
            self.group_docs[g][0] += 1
            self.group_docs[g][1] += type_ok
        if not type_ok:
            self.errors.append(f"{label}: type {predicted_type} instead of {truth_type}")
        names = set(only) if only is not None else set(predicted) | set(truth)
        result: dict[str, Counts] = {}
        for name in sorted(names):
            c = Counts()
            p, t = predicted.get(name), truth.get(name)
            if p is not None and t is not None and same_value(name, p, t):
                c.tp = 1
            else:
                c.fp = int(p is not None)
                c.fn = int(t is not None)
                if c.fp or c.fn:
                    self.errors.append(f"{label}: {name} = {p!r}, expected {t!r}")
            result[name] = c
            self.fields[name].add(c)
            for g in groups:
                self.groups[g][name].add(c)
        return result

    @staticmethod
    def total(counts: dict[str, Counts]) -> Counts:
        out = Counts()
        for c in counts.values():
            out.add(c)
        return out

    def as_dict(self) -> dict[str, Any]:
        def fields_dict(counts: dict[str, Counts]) -> dict[str, Any]:
            return {
                n: {
                    "precision": round(c.precision, 4),
                    "recall": round(c.recall, 4),
                    "f1": round(c.f1, 4),
                    "tp": c.tp,
                    "fp": c.fp,
                    "fn": c.fn,
                }
                for n, c in sorted(counts.items())
            }

        return {
            "set": self.name,
            "documents": self.docs,
            "type_accuracy": round(self.type_right / self.docs, 4) if self.docs else None,
            "field_f1": round(self.total(self.fields).f1, 4),
            "fields": fields_dict(self.fields),
            "groups": {
                g: {
                    "documents": self.group_docs[g][0],
                    "type_accuracy": round(self.group_docs[g][1] / self.group_docs[g][0], 4)
                    if self.group_docs[g][0]
                    else None,
                    "field_f1": round(self.total(c).f1, 4),
                    "fields": fields_dict(c),
                }
                for g, c in sorted(self.groups.items())
            },
            "extra": self.extra,
            "rates": {k: {"right": ok, "of": n} for k, (ok, n) in self.rates.items()},
            "seconds": round(self.seconds, 1),
            "errors": self.errors,
        }

    def render(self, out: Any = sys.stdout, show_errors: int = 15) -> None:
        d = self.as_dict()
        print(f"\n== {self.name}: {self.docs} documents, {self.seconds:.0f} s", file=out)
        if d["type_accuracy"] is not None:
            print(
                f"type accuracy {d['type_accuracy']:.3f}   field F1 {d['field_f1']:.3f}", file=out
            )
        for key, value in self.extra.items():
            print(f"{key}: {value}", file=out)
        for key, (right, of) in self.rates.items():
            print(f"{key}: {right}/{of} = {right / of:.1%}", file=out)
        print(f"{'field':<22} {'P':>6} {'R':>6} {'F1':>6}  tp/fp/fn", file=out)
        for n, c in sorted(self.fields.items()):
            print(
                f"{n:<22} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f}  {c.tp}/{c.fp}/{c.fn}",
                file=out,
            )
        if self.groups:
            print(f"{'group':<34} {'docs':>5} {'type':>6} {'F1':>6}", file=out)
            for g, gd in d["groups"].items():
                ta = gd["type_accuracy"]
                print(
                    f"{g:<34} {gd['documents']:>5} {ta if ta is not None else '-':>6} "
                    f"{gd['field_f1']:6.3f}",
                    file=out,
                )
        for line in self.errors[:show_errors]:
            print(f"  ✗ {line}", file=out)
        if len(self.errors) > show_errors:
            print(f"  … {len(self.errors) - show_errors} more", file=out)


# -- running the product ---------------------------------------------------------------------


class Understander:
    """Reads, classifies and extracts one file without storing anything (external sets)."""

    def __init__(self, settings: Settings) -> None:
        from classify.model import SklearnClassifier
        from extract.fields import ContractFieldExtractor
        from extract.reader import Reader

        self.reader = Reader(settings.ocr, settings.limits, text_layer=settings.ocr.text_layer)
        self.classifier = SklearnClassifier(settings.classify.model_path)
        self.field_extractor = ContractFieldExtractor()

    def __call__(self, path: Path, media_type: str) -> tuple[str, dict[str, str]]:
        pages = self.reader.read(path, media_type).pages
        result = self.classifier.classify(pages)
        fields = self.field_extractor.extract(pages, result.doc_type)
        again = self.reader.reread(path, media_type, pages, list(fields.values()))
        if again is not pages:
            fields = self.field_extractor.extract(again, result.doc_type)
        return result.doc_type.value, {k: format_value(v.value) for k, v in fields.items()}

    def close(self) -> None:
        self.reader.close()


def _media_type(path: Path) -> str:
    from ingest.sniff import sniff

    with path.open("rb") as f:
        return sniff(f.read(4096))


def _record_fields(doc: Document) -> dict[str, str]:
    return {k: format_value(v.value) for k, v in doc.fields.items()}


def process_samples(
    settings: Settings, root: Path, limit: int | None = None
) -> dict[Path, list[Document]]:
    """Run every sample through the whole pipeline (fresh temporary stores); documents by input."""
    from mailroom.pipeline import build_pipeline

    expected_files = sorted((root / "expected").glob("*.json"))[:limit]
    paths = [root / json.loads(p.read_text())["file"] for p in expected_files]
    by_path: dict[Path, list[Document]] = {p: [] for p in paths}
    with tempfile.TemporaryDirectory(prefix="mailroom-eval-") as tmp:
        settings = settings.model_copy(deep=True)
        settings.storage.data_dir = Path(tmp)
        with build_pipeline(settings) as pipeline:
            if (root / "dossiers.json").exists():
                pipeline.import_dossiers(root / "dossiers.json")
            for doc in pipeline.process_paths(paths):
                by_path[Path(str(doc.source.path).split("#")[0])].append(doc)
    return by_path


def score_samples(
    root: Path, by_path: dict[Path, list[Document]], name: str = "samples", by_family: bool = False
) -> Score:
    """Compare the pipeline's documents with the generator's truth (e-mails part by part);
    ``by_family`` adds a group per layout family (the expectation's ``variant``)."""
    score = Score(name)
    for exp_file in sorted((root / "expected").glob("*.json")):
        expected = json.loads(exp_file.read_text())
        path = root / expected["file"]
        if path not in by_path:
            continue
        docs = by_path[path]
        rendering = expected.get("rendering", "unknown")
        if "parts" in expected:
            for part in expected["parts"]:
                doc = _find_part(docs, part)
                label = f"{path.name}#{part.get('filename') or part.get('part')}"
                _add_doc(score, label, doc, part, rendering, by_family)
        else:
            _add_doc(score, path.name, docs[0] if docs else None, expected, rendering, by_family)
    score.extra.update(_matching_figures(root, by_path))
    score.extra.update(fraud_figures(d for docs in by_path.values() for d in docs))
    return score


def _matching_figures(root: Path, by_path: dict[Path, list[Document]]) -> dict[str, Any]:
    """Matching outcomes against the true dossier of each document, and straight-through."""
    from validate.evaluate_matching import outcome

    outcomes: dict[str, int] = defaultdict(int)
    wrong: list[str] = []
    finals = filed = 0
    for exp_file in sorted((root / "expected").glob("*.json")):
        expected = json.loads(exp_file.read_text())
        path = root / expected["file"]
        for doc in by_path.get(path, []):
            if doc.status is Status.DUPLICATE:
                continue
            finals += 1
            filed += doc.status is Status.FILED
            if doc.match is None:
                continue
            truth = expected.get("dossier_id")
            if "parts" in expected:
                part = next((p for p in expected["parts"] if _find_part([doc], p)), None)
                truth = part.get("dossier_id") if part else truth
            result = outcome(doc, truth)
            outcomes[result] += 1
            if result in ("wrong", "review_misleading"):
                wrong.append(f"{doc.source.path}: {result} ({doc.match.dossier_id} vs {truth})")
    total = sum(outcomes.values())
    correct = total - outcomes["wrong"] - outcomes["review_misleading"]
    figures: dict[str, Any] = {
        "matching outcomes": dict(sorted(outcomes.items())),
        "wrong automatic matches": outcomes["wrong"],
        "right dossier or correctly sent to review": (
            f"{correct}/{total} = {correct / total:.1%}" if total else "-"
        ),
        "straight-through (filed without a person)": (
            f"{filed}/{finals} = {filed / finals:.1%}" if finals else "-"
        ),
    }
    if wrong:
        figures["matching errors"] = wrong
    return figures


def eval_samples(settings: Settings, root: Path, limit: int | None = None) -> Score:
    """The generator's ground truth, through the whole pipeline."""
    return score_samples(root, process_samples(settings, root, limit))


def _find_part(docs: list[Document], part: dict[str, Any]) -> Document | None:
    for doc in docs:
        if part.get("part") == "body" and str(doc.source.path).endswith("#body"):
            return doc
        if part.get("filename") and doc.source.filename == part.get("filename"):
            return doc
    return None


def _add_doc(
    score: Score,
    label: str,
    doc: Document | None,
    truth: dict[str, Any],
    rendering: str,
    by_family: bool = False,
) -> None:
    truth_type = truth.get("doc_type")
    groups = [f"type:{truth_type}", f"rendering:{rendering}"]
    if by_family:
        groups.append(f"family:{truth_type}/{truth.get('variant', 'body')}")
    if doc is None or doc.doc_type is None:
        reason = "missing" if doc is None else f"{doc.status.value}: {doc.reason}"
        score.add(label, None, truth_type, {}, truth.get("fields", {}), groups)
        score.errors.append(f"{label}: not understood ({reason})")
        return
    score.add(
        label, doc.doc_type.value, truth_type, _record_fields(doc), truth.get("fields", {}), groups
    )


def eval_blind(
    settings: Settings,
    target: Path | None = None,
    limit: int | None = None,
    *,
    seed: int | None = None,
    count: int | None = None,
) -> Score:
    """``samples/blind/``'s corpus, generated into ``target`` (a temporary folder when None) and
    run through the whole pipeline like ``samples/``; scored per type, rendering and family."""
    generator = _blind_generator()
    seed = generator.DEFAULT_SEED if seed is None else seed
    count = generator.DEFAULT_COUNT if count is None else count
    with tempfile.TemporaryDirectory(prefix="mailroom-blind-") as tmp:
        root = target or Path(tmp)
        generator.generate(root, seed, count)
        by_path = process_samples(settings, root, limit)
        score = score_samples(root, by_path, name=f"blind (seed {seed}, {count} files)",
                              by_family=True)
    return score


def _blind_generator() -> Any:
    """The generator's module; it lives beside the package, in the repository's samples/."""
    repo = str(Path(__file__).resolve().parent.parent)
    if repo not in sys.path:
        sys.path.append(repo)
    import samples.blind.generate as generator

    return generator


INVOICE2DATA_KEYS = {
    "invoice_number": "invoice_number",
    "date": "invoice_date",
    "amount": "total_incl_tax",
    "amount_untaxed": "total_excl_tax",
    "amount_tax": "vat_amount",
    "vat": "supplier_vat_number",
    "siren": "supplier_siren",
    "iban": "iban",
    "currency": "currency",
}
HEADLINE = ("invoice_number", "invoice_date", "total_incl_tax")


def eval_invoice2data(settings: Settings, root: Path, limit: int | None = None) -> Score:
    score = Score("invoice2data")
    understand = Understander(settings)
    all_right = {"pdf": [0, 0], "png": [0, 0]}
    try:
        for truth_file in sorted(root.glob("*.json"))[:limit]:
            truth_raw = json.loads(truth_file.read_text())
            truth_raw = truth_raw[0] if isinstance(truth_raw, list) else truth_raw
            truth = {
                ours: str(truth_raw[theirs]).replace(" ", "")
                if ours in ("supplier_vat_number", "supplier_siren")
                else truth_raw[theirs]
                for theirs, ours in INVOICE2DATA_KEYS.items()
                if theirs in truth_raw
            }
            for ext in ("pdf", "png"):
                path = truth_file.with_suffix(f".{ext}")
                if not path.exists():
                    continue
                doc_type, fields = understand(path, _media_type(path))
                label = path.name
                counts = score.add(
                    label,
                    doc_type,
                    "invoice",
                    fields,
                    truth,
                    [f"rendering:{ext}"],
                    only=truth.keys(),
                )
                ok = all(counts[n].tp for n in HEADLINE if n in counts)
                all_right[ext][0] += ok
                all_right[ext][1] += 1
    finally:
        understand.close()
    score.rates.update(
        (f"number+date+total right ({ext})", (ok, n)) for ext, (ok, n) in all_right.items() if n
    )
    return score


CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def facturx_truth(xml_path: Path) -> dict[str, Any]:
    """The fields of the contract that a CII XML states, read independently of the product."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    tree = etree.parse(str(xml_path), parser)

    def first(xpath: str) -> str | None:
        found = tree.xpath(xpath, namespaces=CII)
        if not found:
            return None
        value = found[0] if isinstance(found[0], str) else found[0].text
        return value.strip() if value else None

    seller = "//ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty"
    settlement = "//ram:ApplicableHeaderTradeSettlement"
    summation = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    truth: dict[str, Any] = {
        "invoice_number": first("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID"),
        "supplier_name": first(f"{seller}/ram:Name"),
        "supplier_vat_number": first(
            f"{seller}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"
        ),
        "customer_name": first("//ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/ram:Name"),
        "currency": first(f"{settlement}/ram:InvoiceCurrencyCode"),
        "total_excl_tax": first(f"{summation}/ram:TaxBasisTotalAmount"),
        "vat_amount": first(f"{summation}/ram:TaxTotalAmount"),
        "total_incl_tax": first(f"{summation}/ram:GrandTotalAmount"),
        "iban": first(
            f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans"
            "/ram:PayeePartyCreditorFinancialAccount/ram:IBANID"
        ),
    }
    issued = first(
        "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"
    )
    if issued and re.fullmatch(r"\d{8}", issued):
        truth["invoice_date"] = date(int(issued[:4]), int(issued[4:6]), int(issued[6:])).isoformat()
    legal = first(f"{seller}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0009']")
    if legal:
        truth["supplier_siret"] = legal
    # SIRENE's scheme holds the seller's SIREN, or a whole SIRET whose first 9 digits it is
    sirene = first(f"{seller}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']")
    if sirene and re.fullmatch(r"\d{9}|\d{14}", sirene.replace(" ", "")):
        truth["supplier_siren"] = sirene.replace(" ", "")[:9]
    if truth.get("supplier_vat_number"):
        truth["supplier_vat_number"] = truth["supplier_vat_number"].replace(" ", "").upper()
    if truth.get("iban"):
        truth["iban"] = truth["iban"].replace(" ", "").upper()
    return {k: v for k, v in truth.items() if v}


def facturx_pairs(root: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for xml in sorted((root / "extracted-xml").glob("*.xml")):
        parts = xml.name.removesuffix(".factur-x.xml").split("__")
        pdf = root.joinpath(*parts[:-1], parts[-1] + ".pdf")
        if pdf.exists():
            pairs.append((pdf, xml))
    return pairs


def eval_facturx(settings: Settings, root: Path, limit: int | None = None) -> list[Score]:
    from extract.facturx import read_facturx

    text_score, xml_score = Score("facturx (visible text, XML ignored)"), Score("facturx (XML)")
    understand = Understander(settings)
    try:
        for pdf, xml in facturx_pairs(root)[:limit]:
            truth = facturx_truth(xml)
            group = [f"set:{pdf.parent.name}"]
            doc_type, fields = understand(pdf, "application/pdf")
            text_score.add(pdf.name, doc_type, "invoice", fields, truth, group, only=truth.keys())
            invoice = read_facturx(pdf)
            xml_fields = (
                {k: format_value(v.value) for k, v in invoice.to_fields().items()}
                if invoice
                else {}
            )
            xml_score.add(pdf.name, None, None, xml_fields, truth, group, only=truth.keys())
    finally:
        understand.close()
    return [text_score, xml_score]


SROIE_KEYS = {"company": "merchant_name", "date": "receipt_date", "total": "total_incl_tax"}


def eval_sroie(settings: Settings, root: Path, limit: int | None = None) -> Score:
    score = Score("sroie (own OCR)")
    understand = Understander(settings)
    try:
        for key_file in sorted((root / "key").glob("*.json"))[:limit]:
            raw = json.loads(key_file.read_text())
            truth = {ours: raw[theirs] for theirs, ours in SROIE_KEYS.items() if raw.get(theirs)}
            image = root / "img" / (key_file.stem + ".jpg")
            if not image.exists():
                continue
            doc_type, fields = understand(image, _media_type(image))
            score.add(image.name, doc_type, "receipt", fields, truth, only=truth.keys())
    finally:
        understand.close()
    return score


def _eval_batches(settings: Settings, root: Path, limit: int | None = None) -> Score:
    from mailroom.batch_eval import eval_batches  # scan batches made from samples/

    return eval_batches(settings, root, limit)


RUNNERS: dict[str, Callable[..., Any]] = {
    "samples": eval_samples,
    "invoice2data": eval_invoice2data,
    "facturx": eval_facturx,
    "sroie": eval_sroie,
    "sroie-train": eval_sroie,
    "batches": _eval_batches,
    "fraud": eval_fraud,
}


def run(
    settings: Settings,
    which: Sequence[str],
    *,
    samples: Path,
    eval_data: Path,
    limit: int | None = None,
) -> list[Score]:
    roots = {
        "samples": samples,
        "invoice2data": eval_data / "invoice2data-compare",
        "facturx": eval_data / "facturx-fr",
        "sroie": eval_data / "sroie-subset",
        "sroie-train": eval_data / "sroie-train",
        "batches": samples,
        "fraud": eval_data,
    }
    scores: list[Score] = []
    for name in which:
        root = roots[name]
        if not root.exists():
            print(f"eval: {name}: {root} not found, skipped", file=sys.stderr)
            continue
        started = time.monotonic()
        result = RUNNERS[name](settings, root, limit)
        batch = result if isinstance(result, list) else [result]
        for s in batch:
            s.seconds = time.monotonic() - started
        scores.extend(batch)
    return scores


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "sets",
        nargs="*",
        choices=[*SETS, *EXTRA_SETS, *GENERATED_SETS, "all", "lofo", "learning"],
        default=["samples"],
        help="which sets to score (default: samples; 'all' is every set read from disk); "
        "lofo: the field rankers fitted on all generated layout families but one and measured "
        "on the one left out",
    )
    parser.add_argument("--lofo-docs", type=int, default=36,
                        help="lofo: generated documents per layout family")
    parser.add_argument("--lofo-families", nargs="+", default=None,
                        help="lofo: only these layout families (default: all)")
    parser.add_argument("--learning-tests", type=int, default=4,
                        help="learning: documents measured per family (after 5 taught)")
    parser.add_argument("--learning-families", nargs="+", default=None,
                        help="learning: only the families whose name holds one of these")
    parser.add_argument(
        "--keep", type=Path, default=None, help="blind: generate the corpus here and keep it"
    )
    parser.add_argument("--seed", type=int, default=None, help="blind: the generator's seed")
    parser.add_argument("--count", type=int, default=None, help="blind: how many files")
    parser.add_argument(
        "--samples", type=Path, default=Path(__file__).resolve().parent.parent / "samples"
    )
    parser.add_argument("--eval-data", type=Path, default=DEFAULT_EVAL_DATA)
    parser.add_argument("--limit", type=int, default=None, help="first N documents of each set")
    parser.add_argument("--json-out", type=Path, default=None, help="write all scores as JSON")
    parser.add_argument("--errors", type=int, default=15, help="errors to list per set")


def main(args: argparse.Namespace, settings: Settings) -> int:
    which = list(SETS) if "all" in args.sets else list(dict.fromkeys(args.sets))
    which += [s for s in (*GENERATED_SETS, "lofo", "learning")
              if s in args.sets and s not in which]
    lofo = None
    if "lofo" in which:
        from extract.fields.lofo import run_lofo

        lofo = run_lofo(per_family=args.lofo_docs, samples=args.samples,
                        families=args.lofo_families)
        lofo.render()
    learning = None
    if "learning" in which:  # mailroom/learning_eval.py: the learning curve per family
        from mailroom.learning_eval import run_learning

        learning = run_learning(settings, seed=args.seed if args.seed is not None else 7,
                                tests=args.learning_tests, families=args.learning_families)
        learning.render()
    read = [s for s in which if s not in (*GENERATED_SETS, "lofo", "learning")]
    scores = run(settings, read, samples=args.samples, eval_data=args.eval_data, limit=args.limit)
    if "blind" in which:
        started = time.monotonic()
        blind = eval_blind(settings, args.keep, args.limit, seed=args.seed, count=args.count)
        blind.seconds = time.monotonic() - started
        scores.append(blind)
    for s in scores:
        s.render(show_errors=args.errors)
    if args.json_out:
        out: list[Any] = [s.as_dict() for s in scores] + ([lofo.as_dict()] if lofo else [])
        out += [learning.as_dict()] if learning else []
        args.json_out.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    return 0
