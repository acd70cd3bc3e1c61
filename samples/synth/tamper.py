"""Forged pieces for the fraud checks' tests: a born-digital invoice, the same invoice whose
text was changed by an incremental update (as an editor or a fraudster's script saves it), and
a receipt photographed again (turned, cropped, re-encoded).

The incremental update is written by hand, as the PDF specification describes it (7.5.6): the
original bytes are kept whole, then come a new content stream, a new version of the page
pointing at it, an xref section for these two objects and a trailer whose ``/Prev`` is the
original's xref. Readers show the last revision; the first is still in the file.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

INVOICE_LINES = (
    ("Remorquage du véhicule", Decimal("150.00")),
    ("Forfait déplacement", Decimal("40.00")),
)


def invoice_pdf(
    path: Path,
    *,
    supplier: str = "Dépannage Dupuis SARL",
    siret: str = "73282932000074",
    number: str = "F2026-0042",
    issued: str = "12/03/2026",
    iban: str = "FR76 3000 6000 0112 3456 7890 189",
    customer: str = "Claire MARTIN",
    lines: tuple[tuple[str, Decimal], ...] = INVOICE_LINES,
) -> Path:
    """A one-page invoice as invoicing software makes it (reportlab), uncompressed streams."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    excl = sum((amount for _, amount in lines), Decimal("0"))
    vat = (excl * Decimal("0.20")).quantize(Decimal("0.01"))
    c = canvas.Canvas(str(path), pagesize=A4, pageCompression=0)
    c.setAuthor(supplier)
    c.setProducer("Facturo 3.2 (invoicing)")
    _, height = A4
    y = height - 60
    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, y, supplier)
    c.setFont("Helvetica", 10)
    for text in (
        "12 rue des Lilas, 69003 Lyon",
        f"SIRET : {siret}",
        f"TVA intracommunautaire : FR{(12 + 3 * (int(siret[:9]) % 97)) % 97:02d}{siret[:9]}",
    ):
        y -= 14
        c.drawString(50, y, text)
    y -= 40
    c.setFont("Helvetica-Bold", 14)
    c.drawString(50, y, f"FACTURE N° {number}")
    c.setFont("Helvetica", 10)
    y -= 16
    c.drawString(50, y, f"Date : {issued}")
    y -= 14
    c.drawString(50, y, f"Client : {customer}")
    y -= 30
    for label, amount in lines:
        c.drawString(50, y, label)
        c.drawRightString(540, y, f"{amount:.2f} €".replace(".", ","))
        y -= 14
    y -= 10
    for label, amount in (("Total HT", excl), ("TVA 20 %", vat), ("Total TTC", excl + vat)):
        c.drawString(380, y, label)
        c.drawRightString(540, y, f"{amount:.2f} €".replace(".", ","))
        y -= 14
    y -= 30
    c.drawString(50, y, f"Règlement par virement. IBAN : {iban}   BIC : AGRIFRPP")
    c.showPage()
    c.save()
    return path


def swap_text_incrementally(source: Path, target: Path, old: str, new: str) -> Path:
    """``source`` with an incremental update appended that draws ``new`` where page 1 drew
    ``old`` (its content stream rewritten); every byte of ``source`` is kept."""
    import pikepdf

    data = Path(source).read_bytes()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0].obj
        page_ref = page.objgen
        content = pdf.pages[0].Contents.read_bytes()
        if old.encode("latin-1") not in content:
            raise ValueError(f"{old!r} is not drawn as such on page 1")
        content = content.replace(old.encode("latin-1"), new.encode("latin-1"))
        size = int(pdf.trailer.Size)
        root = pdf.trailer.Root.objgen
        new_page = pikepdf.Dictionary(page)
        new_page.Contents = pikepdf.Name("/PLACEHOLDER")
        page_text = new_page.unparse(resolved=False).decode("latin-1")
    page_text = page_text.replace("/PLACEHOLDER", f"{size} 0 R")
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    content_at = len(out)
    out += f"{size} 0 obj\n<< /Length {len(content)} >>\nstream\n".encode()
    out += content + b"\nendstream\nendobj\n"
    page_at = len(out)
    out += f"{page_ref[0]} {page_ref[1]} obj\n{page_text}\nendobj\n".encode("latin-1")
    xref_at = len(out)
    out += (
        f"xref\n0 1\n0000000000 65535 f \n{page_ref[0]} 1\n{page_at:010d} {page_ref[1]:05d} n \n"
        f"{size} 1\n{content_at:010d} 00000 n \n"
        f"trailer\n<< /Size {size + 1} /Root {root[0]} {root[1]} R /Prev {prev} >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode()
    Path(target).write_bytes(bytes(out))
    return target


def rephotograph(source: Path, target: Path, *, angle: float = 90.0, quality: int = 70) -> Path:
    """The page photographed again: its margins cropped, turned by ``angle`` degrees on a
    grey table, shrunk, a little blurred and saved as a JPEG of this quality."""
    from PIL import Image, ImageFilter

    with Image.open(source) as img:
        rgb = img.convert("RGB")
    w, h = rgb.size
    rgb = rgb.crop((int(w * 0.04), int(h * 0.03), int(w * 0.97), int(h * 0.96)))
    rgb = rgb.rotate(angle, expand=True, fillcolor=(200, 200, 195))
    rgb = rgb.resize((int(rgb.width * 0.85), int(rgb.height * 0.85)))
    rgb = rgb.filter(ImageFilter.GaussianBlur(0.6))
    rgb.save(target, "JPEG", quality=quality)
    return target
