"""Measure field extraction on the shared evaluation sets (a developer's tool, not the product).

    .venv/bin/python bench/fields.py invoice2data|facturx|sroie|samples [--verbose]

The field extractor alone, on pages read once (``mailroom eval`` scores the whole pipeline;
this prints what it does not: the extractor's CPU time per page, and per-field accuracy with
each miss shown). Reads ``../shared/eval-data`` (or ``MAILROOM_EVAL_DATA``). The
data is third-party ground truth used only for measuring; nothing from it is kept.
``samples`` reads the committed synthetic set (``samples/expected/*.json``) and prints
precision, recall and F1 per field and per rendering; the OCR'd pages of each image rendering
are cached as JSON under ``MAILROOM_PAGE_CACHE`` (default ``/tmp/mailroom-fields-pages``) so
each file is read by Tesseract once.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import re
import sys
import time
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extract.fields import ContractFieldExtractor  # noqa: E402
from extract.fields.ranker import MEDIA_TYPES, pdf_pages, sample_pages  # noqa: E402
from mailroom.errors import DocumentError  # noqa: E402
from mailroom.evaluation import DEFAULT_EVAL_DATA, facturx_pairs, facturx_truth  # noqa: E402
from mailroom.models import BBox, DocType, ExtractedField, Page, Word  # noqa: E402

log = logging.getLogger(__name__)

EVAL = Path(os.environ.get("MAILROOM_EVAL_DATA", DEFAULT_EVAL_DATA))
SAMPLES = REPO / "samples"


_CPU_MS: list[float] = []  # extraction CPU time per page, for each document measured
EXTRACTOR = ContractFieldExtractor()  # one for the run: spaCy is loaded once


def extract_fields(pages: Sequence[Page], doc_type: DocType,
                   language: str | None = None) -> dict[str, ExtractedField]:
    """The stage's entry, timed (CPU time, so that other processes do not count)."""
    t = time.process_time()
    fields = EXTRACTOR.extract(pages, doc_type, language=language)
    _CPU_MS.append((time.process_time() - t) * 1000 / max(len(pages), 1))
    return fields


def box_csv_pages(path: Path, width: float, height: float) -> list[Page]:
    """SROIE ``box/*.csv`` lines (x1,y1,...,x4,y4,text) as one page of words."""
    words: list[Word] = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for line_no, row in enumerate(csv.reader(f)):
            if len(row) < 9:
                continue
            xs = [float(v) for v in row[0:8:2]]
            ys = [float(v) for v in row[1:8:2]]
            text = ",".join(row[8:])
            tokens = text.split()
            if not tokens:
                continue
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
            step = (x1 - x0) / max(len(text), 1)
            pos = 0
            for tok in tokens:
                i = text.index(tok, pos)
                pos = i + len(tok)
                words.append(Word(text=tok, bbox=BBox(x0=x0 + i * step, y0=y0,
                                                      x1=x0 + pos * step, y1=y1),
                                  line=line_no, block=line_no))
    text = "\n".join(w.text for w in words)
    return [Page(number=1, width=width, height=height, text=text, words=tuple(words),
                 text_source="ocr", ocr_confidence=90.0)]


def _eq_amount(got: ExtractedField | None, want: object) -> bool:
    if isinstance(want, str):
        want = re.sub(r"[^0-9.\-]", "", want) or None
    return got is not None and want is not None and \
        Decimal(str(got.value)) == Decimal(str(want)).quantize(Decimal("0.01"))


def _eq_text(got: ExtractedField | None, want: object) -> bool:
    if got is None or want is None:
        return False
    norm = lambda s: re.sub(r"[\s#.\-]", "", str(s)).upper()  # noqa: E731
    return norm(got.value) == norm(want)


def _show(name: str, fields: dict[str, ExtractedField], wanted: dict[str, object],
          ok: dict[str, bool], verbose: bool) -> None:
    if not verbose:
        return
    print(f"== {name}")
    for k, good in ok.items():
        got = fields.get(k)
        print(f"  {'ok ' if good else 'BAD'} {k}: got {got.value if got else None!r}"
              f" ({got.confidence if got else '-'}) want {wanted.get(k)!r}")


def run_invoice2data(verbose: bool) -> dict[str, list[bool]]:
    scores: dict[str, list[bool]] = {}
    for js in sorted((EVAL / "invoice2data-compare").glob("*.json")):
        pdf = js.with_suffix(".pdf")
        if not pdf.exists():
            continue
        want = json.loads(js.read_text())[0]
        fields = extract_fields(pdf_pages(pdf), DocType.INVOICE)
        wanted: dict[str, object] = {}
        ok: dict[str, bool] = {}
        checks = {
            "invoice_number": ("invoice_number", _eq_text),
            "invoice_date": ("date", lambda g, w: g is not None and str(g.value) == w),
            "total_incl_tax": ("amount", _eq_amount),
            "total_excl_tax": ("amount_untaxed", _eq_amount),
            "vat_amount": ("amount_tax", _eq_amount),
            "currency": ("currency", _eq_text),
            "iban": ("iban", _eq_text),
        }
        for field_name, (key, eq) in checks.items():
            if key not in want:
                continue
            wanted[field_name] = want[key]
            ok[field_name] = eq(fields.get(field_name), want[key])
            scores.setdefault(field_name, []).append(ok[field_name])
        if "vat" in want and isinstance(want["vat"], str):
            wanted["supplier_vat_number"] = want["vat"]
            ok["supplier_vat_number"] = _eq_text(fields.get("supplier_vat_number"), want["vat"])
            scores.setdefault("supplier_vat_number", []).append(ok["supplier_vat_number"])
        _show(js.stem, fields, wanted, ok, verbose)
    return scores


def run_facturx(verbose: bool) -> dict[str, list[bool]]:
    scores: dict[str, list[bool]] = {}
    root = EVAL / "facturx-fr"
    for pdf, xml in facturx_pairs(root):
        rel = pdf.relative_to(root)
        truth = facturx_truth(xml)
        pages = pdf_pages(pdf)
        text = "\n".join(p.text for p in pages)
        fields = extract_fields(pages, DocType.INVOICE)
        ok: dict[str, bool] = {}
        for k, v in truth.items():
            got = fields.get(k)
            if k in ("total_excl_tax", "vat_amount", "total_incl_tax"):
                good = _eq_amount(got, v)
            elif k == "invoice_date":
                good = got is not None and str(got.value) == v
            elif k == "supplier_siret":
                good = got is not None and str(got.value).startswith(str(v)[:9])
            elif k in ("supplier_name", "customer_name"):
                # the XML holds the registered name, the page often adds the legal form
                good = got is not None and _loose_name(str(got.value)) == _loose_name(str(v))
            else:
                good = _eq_text(got, v)
            # score only what the visible text shows
            visible = _visible(k, v, text)
            if not visible and not good:
                continue
            ok[k] = good
            scores.setdefault(k, []).append(good)
        _show(str(rel), fields, truth, ok, verbose)
    return scores


def _loose(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def _loose_name(s: str) -> str:
    from extract.fields.lexicon import LEGAL_FORMS

    forms = {f for f in LEGAL_FORMS if " " not in f and len(f) <= 5}
    return _loose(" ".join(t for t in s.split() if t.lower().strip(".,") not in forms))


def _visible(key: str, value: object, text: str) -> bool:
    flat = re.sub(r"[\s.]", "", text).upper()
    if key in ("total_excl_tax", "vat_amount", "total_incl_tax"):
        v = Decimal(str(value)).quantize(Decimal("0.01"))
        a = f"{v:f}"
        return a.replace(".", ",") in flat.replace(".", "") or a.replace(".", "") in flat
    if key == "invoice_date":
        d = date.fromisoformat(str(value))
        return any(x in text for x in (d.strftime("%d/%m/%Y"), d.strftime("%d.%m.%Y"),
                                       d.isoformat(), d.strftime("%d-%m-%Y")))
    if key == "currency":
        return True
    return re.sub(r"[\s.]", "", str(value)).upper()[:9] in flat


def run_sroie(verbose: bool) -> dict[str, list[bool]]:
    from PIL import Image

    scores: dict[str, list[bool]] = {}
    root = EVAL / "sroie-subset"
    for key in sorted((root / "key").glob("*.json")):
        want = json.loads(key.read_text())
        img = next((root / "img").glob(key.stem + ".*"))
        with Image.open(img) as im:
            w, h = im.size
        pages = box_csv_pages(root / "box" / (key.stem + ".csv"), w, h)
        fields = extract_fields(pages, DocType.RECEIPT, "en")
        ok = {
            "receipt_date": _sroie_date(fields.get("receipt_date"), want.get("date", "")),
            "total_incl_tax": _eq_amount(fields.get("total_incl_tax"), want.get("total")),
            "merchant_name": fields.get("merchant_name") is not None and
            _loose(str(fields["merchant_name"].value)) == _loose(want.get("company", "")),
        }
        for k, v in ok.items():
            scores.setdefault(k, []).append(v)
        _show(key.stem, fields, {"receipt_date": want.get("date"),
                                 "total_incl_tax": want.get("total"),
                                 "merchant_name": want.get("company")}, ok, verbose)
    return scores


def _sroie_date(got: ExtractedField | None, want: str) -> bool:
    if got is None or not want:
        return False
    from extract.normalize import parse_date

    d = parse_date(want)
    return d is not None and got.value == d


def _sample_eq(name: str, got: ExtractedField, want: str) -> bool:
    from mailroom.models import format_value

    value = format_value(got.value)
    if name.endswith("_name") or name == "account_holder":
        return " ".join(value.split()).casefold() == " ".join(want.split()).casefold()
    return value == want


def run_samples(verbose: bool) -> dict[str, list[bool]]:
    """Per field: one True per right value, one False per wrong, missing or spurious one."""
    scores: dict[str, list[bool]] = {}
    counts: dict[str, list[int]] = {}  # key -> [true positives, extracted, expected]
    for js in sorted((SAMPLES / "expected").glob("*.json")):
        try:
            want = json.loads(js.read_text())
            path = SAMPLES / want["file"]
            if path.suffix.lower() not in MEDIA_TYPES:
                continue  # e-mails: their parts are documents of their own
            rendering = want.get("rendering", "")
            pages = sample_pages(path, rendering)
        except (OSError, ValueError, DocumentError) as e:
            log.warning("%s: skipped (%s)", js.name, e)
            continue
        fields = extract_fields(pages, DocType(want["doc_type"]))
        truth: dict[str, str] = want.get("fields", {})
        ok: dict[str, bool] = {}
        group = "born_digital/clean_scan" if rendering in ("born_digital", "clean_scan") \
            else "degraded/photo/rotated"
        for k in sorted(set(truth) | set(fields)):
            got = fields.get(k)
            good = got is not None and k in truth and _sample_eq(k, got, truth[k])
            ok[k] = good
            for key in (k, "@" + group):
                c = counts.setdefault(key, [0, 0, 0])
                c[0] += good
                c[1] += got is not None
                c[2] += k in truth
            scores.setdefault(k, []).append(good)
        _show(f"{js.stem} ({rendering})", fields, dict(truth), ok, verbose)
    for key, (tp, n_got, n_want) in sorted(counts.items()):
        p = tp / n_got if n_got else 1.0
        r = tp / n_want if n_want else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"F1 {key:28s} P {p:5.3f} R {r:5.3f} F1 {f1:5.3f}  ({tp}/{n_got} got, {n_want} want)")
    return scores


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("which", choices=["invoice2data", "facturx", "sroie", "samples"])
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    runner = {"invoice2data": run_invoice2data, "facturx": run_facturx,
              "sroie": run_sroie, "samples": run_samples}[args.which]
    t = time.perf_counter()
    scores = runner(args.verbose)
    elapsed = time.perf_counter() - t
    total = right = 0
    for k, v in sorted(scores.items()):
        print(f"{k:22s} {sum(v):3d}/{len(v):3d}  {100 * sum(v) / len(v):5.1f} %")
        total += len(v)
        right += sum(v)
    if total:
        print(f"{'all':22s} {right:3d}/{total:3d}  {100 * right / total:5.1f} %  ({elapsed:.1f} s)")
    if len(_CPU_MS) > 1:
        timed = sorted(_CPU_MS[1:])  # the first document loads spaCy
        print(f"extraction CPU ms/page: mean {sum(timed) / len(timed):.1f}, "
              f"median {timed[len(timed) // 2]:.1f}, p90 {timed[int(0.9 * len(timed))]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
