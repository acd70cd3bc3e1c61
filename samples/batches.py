"""Scan batches made from the sample documents, with the truth of where each document is.

    python samples/batches.py --out DIR [--documents samples] [--seed N]

writes ``DIR/<name>.pdf`` (or ``.tiff``) and ``DIR/<name>.json``: image-only files at 200 dpi
as a mailroom scanner writes a stack, and the documents they hold (``pages`` ``[first,
last]``, ``doc_type``, the sample they were made from, the dossier a separator names). The
kinds of batch:

* ``separators``: documents with a Code 128 ``PATCHT`` sheet between them;
* ``blank-backs``: the same, each separator sheet followed by its blank back (duplex);
* ``dossier-sheets``: separator sheets naming the next document's dossier, in their value
  (``PATCHT AST-…``) or in a second barcode (a QR code);
* ``none``: no separator at all, single-page and multi-page documents mixed;
* ``same-supplier``: no separator, two invoices of one supplier back to back among others;
* ``tiff``: a multi-page TIFF with separator sheets;
* ``none-long``: no separator, eleven documents, two of them of several pages.

Documents come from ``samples/documents`` (their truth from ``samples/expected``), phone
photos left out (a scanner's feeder holds paper). Everything is seeded.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``samples`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pypdfium2 as pdfium  # noqa: E402
from PIL import Image, ImageOps, ImageSequence  # noqa: E402
from reportlab.graphics import renderPDF  # noqa: E402
from reportlab.graphics.barcode import code128, qr  # noqa: E402
from reportlab.graphics.shapes import Drawing  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from samples.synth import raster  # noqa: E402

DPI = 200
A4_PX = (round(A4[0] / 72 * DPI), round(A4[1] / 72 * DPI))
SCANNED = ("born_digital", "clean_scan", "degraded_scan", "rotated")
KINDS = (
    "separators", "blank-backs", "dossier-sheets", "none", "same-supplier", "tiff", "none-long"
)
LONG = 11  # documents of a "none-long" batch, two of them of several pages


@dataclass(frozen=True)
class Sample:
    name: str
    path: Path
    doc_type: str
    truth: dict[str, Any]


def load_samples(root: Path) -> list[Sample]:
    """The sample documents a scanner could have read (no photos, no e-mails)."""
    out = []
    for expected in sorted((root / "expected").glob("*.json")):
        truth = json.loads(expected.read_text())
        if truth.get("rendering") not in SCANNED or "doc_type" not in truth:
            continue
        out.append(Sample(expected.stem, root / truth["file"], truth["doc_type"], truth))
    return out


# -- pages ----------------------------------------------------------------------------------


def scanned_pages(sample: Sample) -> list[Image.Image]:
    """The document's pages as grey A4 images at 200 dpi."""
    if sample.path.suffix.lower() == ".pdf":
        return [_on_a4(im) for im in raster.rasterize(sample.path.read_bytes(), DPI)]
    with Image.open(sample.path) as img:
        frames = [ImageOps.exif_transpose(f.convert("L")) for f in ImageSequence.Iterator(img)]
    return [_on_a4(f) for f in frames]


def _on_a4(img: Image.Image) -> Image.Image:
    page = Image.new("L", A4_PX, 255)
    fitted = ImageOps.contain(img.convert("L"), A4_PX)
    page.paste(fitted, ((A4_PX[0] - fitted.width) // 2, (A4_PX[1] - fitted.height) // 2))
    return page


def separator_page(value: str = "PATCHT", second: str | None = None) -> Image.Image:
    """A separator sheet: a Code 128 barcode of ``value`` (and a QR code of ``second``)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("Helvetica-Bold", 28)
    c.drawCentredString(A4[0] / 2, A4[1] - 120, "INTERCALAIRE")
    barcode = code128.Code128(value, barHeight=90, barWidth=1.8)
    barcode.drawOn(c, (A4[0] - barcode.width) / 2, A4[1] / 2)
    c.setFont("Helvetica", 14)
    c.drawCentredString(A4[0] / 2, A4[1] / 2 - 24, value)
    if second is not None:
        widget = qr.QrCodeWidget(second)
        drawing = Drawing(120, 120)
        drawing.add(widget)
        renderPDF.draw(drawing, c, (A4[0] - 120) / 2, A4[1] / 2 - 200)
        c.drawCentredString(A4[0] / 2, A4[1] / 2 - 220, second)
    c.showPage()
    c.save()
    return raster.rasterize(buf.getvalue(), DPI)[0]


def blank_page(rng: random.Random) -> Image.Image:
    """The blank back of a sheet: paper, a few specks of dust."""
    page = Image.new("L", A4_PX, 255)
    for _ in range(rng.randint(0, 6)):
        x, y = rng.randrange(A4_PX[0]), rng.randrange(A4_PX[1])
        page.putpixel((x, y), rng.randint(90, 200))
    return page


# -- batches --------------------------------------------------------------------------------


def _dossier_of(sample: Sample) -> str | None:
    ref = sample.truth.get("dossier_id") or sample.truth.get("fields", {}).get("dossier_reference")
    return str(ref) if ref else None


def _supplier_pair(samples: Sequence[Sample]) -> tuple[Sample, Sample] | None:
    by_supplier: dict[str, list[Sample]] = {}
    for s in samples:
        name = s.truth.get("fields", {}).get("supplier_name")
        if s.doc_type == "invoice" and name:
            by_supplier.setdefault(str(name).lower(), []).append(s)
    pairs = [v for v in by_supplier.values() if len(v) >= 2]
    return (pairs[0][0], pairs[0][1]) if pairs else None


def compose(
    kind: str, samples: Sequence[Sample], rng: random.Random
) -> tuple[list[Image.Image], list[dict[str, Any]]]:
    """The pages of one batch of ``kind`` and the documents it holds."""
    chosen = list(samples)
    if kind == "same-supplier":
        pair = _supplier_pair(samples)
        if pair is not None:
            rest = [s for s in samples if s not in pair]
            chosen = [rest[0], *pair, *rest[1:]]
    pages: list[Image.Image] = []
    docs: list[dict[str, Any]] = []
    for i, sample in enumerate(chosen):
        reference = None
        if i and kind in ("separators", "blank-backs", "dossier-sheets", "tiff"):
            if kind == "dossier-sheets":
                reference = _dossier_of(sample)
                if reference and i % 2:
                    pages.append(separator_page(f"PATCHT {reference}"))
                else:
                    pages.append(separator_page("PATCHT", second=reference))
            else:
                pages.append(separator_page())
            if kind == "blank-backs":
                pages.append(blank_page(rng))
        own = scanned_pages(sample)
        first = len(pages) + 1
        pages.extend(own)
        doc: dict[str, Any] = {
            "pages": [first, len(pages)],
            "doc_type": sample.doc_type,
            "sample": sample.name,
        }
        if reference:
            doc["dossier_reference"] = reference
        docs.append(doc)
    return pages, docs


def _pick(kind: str, samples: Sequence[Sample], rng: random.Random, size: int) -> list[Sample]:
    multi = [s for s in samples if s.truth.get("page_count", 1) > 1]
    single = [s for s in samples if s.truth.get("page_count", 1) == 1]
    if kind == "none-long":
        long_ones = rng.sample(multi, min(2, len(multi)))
        picked = rng.sample(single, min(LONG - len(long_ones), len(single)))
        for sample in long_ones:
            picked.insert(rng.randrange(len(picked) + 1), sample)
        return picked
    picked = rng.sample(single, min(size - 1, len(single)))
    if multi and kind in ("none", "separators", "same-supplier"):
        picked.insert(rng.randrange(len(picked) + 1), rng.choice(multi))
    return picked


def write_batch(path: Path, pages: Sequence[Image.Image], quality: int = 75) -> Path:
    if path.suffix == ".tiff":
        path.write_bytes(raster.tiff(list(pages), DPI))
    else:
        jpgs = [(raster.jpeg(im, quality), im.width, im.height, DPI) for im in pages]
        path.write_bytes(raster.image_pdf(jpgs))
    return path


def build_batches(
    documents_root: Path, out: Path, *, seed: int = 0, size: int = 5,
    kinds: Sequence[str] = KINDS,
) -> list[Path]:
    """Write one batch of each kind (about ``size`` documents each); their truth beside."""
    samples = load_samples(documents_root)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for n, kind in enumerate(kinds):
        rng = random.Random(f"{seed}:{kind}")
        pages, docs = compose(kind, _pick(kind, samples, rng, size), rng)
        name = f"batch-{n:02d}-{kind}"
        path = write_batch(out / f"{name}.{'tiff' if kind == 'tiff' else 'pdf'}", pages)
        truth = {"file": path.name, "kind": kind, "page_count": len(pages), "documents": docs}
        (out / f"{name}.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False))
        written.append(path)
    return written


def page_count(path: Path) -> int:
    """Pages of a written batch (for tests)."""
    if path.suffix == ".tiff":
        with Image.open(path) as img:
            return sum(1 for _ in ImageSequence.Iterator(img))
    doc = pdfium.PdfDocument(str(path))
    try:
        return len(doc)
    finally:
        doc.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--documents", type=Path, default=Path(__file__).resolve().parent,
        help="a folder with documents/ and expected/ (default: samples/)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=5, help="documents per batch")
    args = parser.parse_args(argv)
    for path in build_batches(args.documents, args.out, seed=args.seed, size=args.size):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

