"""Generate the broken inputs of ``samples/bad/`` and their expected outcomes.

Run ``python samples/bad/make_bad.py`` (from the repository root) to rebuild the files and
``expected.json``; the output is deterministic except for the encrypted PDFs (qpdf draws a
random salt). Each file is named after what is wrong with it, and ``expected.json`` maps it to
the outcome a correct pipeline reaches: a :class:`mailroom.errors.QuarantineReason` value, or
``"read"`` when the file is damaged but still readable and must not be quarantined.

Needs reportlab, Pillow and the ``qpdf`` program.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

HERE = Path(__file__).resolve().parent
SEED = 20260302

LETTER = [
    "Dépannage Exemple SARL - 12 rue des Essais, 69000 Lyon",
    "FACTURE N° F-TEST-0001 du 12/03/2026",
    "Remorquage du véhicule de la garde au garage le plus proche",
    "Total HT : 150,00 EUR   TVA 20 % : 30,00 EUR   Total TTC : 180,00 EUR",
]


def _pdf(lines: list[str] = LETTER, *, pages: int = 1, compress: bool = False) -> bytes:
    """A small text PDF made with reportlab."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=1 if compress else 0, invariant=1)
    for _ in range(pages):
        y = 780.0
        for line in lines:
            c.setFont("Helvetica", 12)
            c.drawString(60, y, line)
            y -= 24
        c.showPage()
    c.save()
    return out.getvalue()


def _blank_pdf(pages: int) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=1, invariant=1)
    for _ in range(pages):
        c.showPage()
    c.save()
    return out.getvalue()


def _qpdf_encrypt(pdf: bytes, user: str, owner: str) -> bytes:
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        raise SystemExit("qpdf is needed to make the encrypted samples")
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
        src.write_bytes(pdf)
        subprocess.run(
            [qpdf, "--encrypt", user, owner, "256", "--", str(src), str(dst)], check=True
        )
        return dst.read_bytes()


def empty() -> bytes:
    return b""


def random_bytes() -> bytes:
    return random.Random(SEED).randbytes(4096)


def truncated_pdf() -> bytes:
    """Cut in the middle of the first page's content stream: no page tree, no xref survive."""
    pdf = _pdf(compress=True)
    start = pdf.index(b"stream\n") + len(b"stream\n")
    end = pdf.index(b"endstream", start)
    return pdf[: (start + end) // 2]


def broken_xref_pdf() -> bytes:
    """Every xref offset and the startxref pointer are wrong; the objects are all intact.

    Readers rebuild the cross-reference table by scanning the objects, so this must be read.
    """
    pdf = _pdf()
    xref = pdf.rindex(b"\nxref\n") + 1
    startxref = pdf.rindex(b"startxref")
    table = pdf[xref:startxref]
    broken = bytearray(table)
    rnd = random.Random(SEED)
    for i, line in enumerate(table.split(b"\n")):
        if len(line) >= 18 and line[10:11] == b" " and line.rstrip().endswith(b"n"):
            offset = sum(len(x) + 1 for x in table.split(b"\n")[:i])
            broken[offset : offset + 10] = b"%010d" % rnd.randrange(10**9)
    tail = b"startxref\n999999\n%%EOF\n"
    return pdf[:xref] + bytes(broken) + tail


def encrypted_pdf() -> bytes:
    return _qpdf_encrypt(_pdf(), "user", "owner")


def empty_user_password_pdf() -> bytes:
    """Encrypted with an owner password only: any reader opens it without asking."""
    return _qpdf_encrypt(_pdf(), "", "owner")


def zero_body_jpeg() -> bytes:
    """SOI, a JFIF header, then EOI: no frame, no scan, no pixels."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x48\x00\x48\x00\x00"
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _scan_png() -> bytes:
    img = Image.new("L", (400, 300), 255)
    rnd = random.Random(SEED)
    img.putdata([255 if rnd.random() > 0.05 else 0 for _ in range(400 * 300)])
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def corrupt_idat_png() -> bytes:
    """Bytes of the compressed image data overwritten; the chunk's CRC no longer matches.

    Only a bad CRC over intact data would be read by lenient decoders (Pillow does not check
    the CRC of image data); here the data itself cannot be inflated.
    """
    png = bytearray(_scan_png())
    idat = png.index(b"IDAT")
    data_at = idat + 4 + 2  # after the 2-byte zlib header
    png[data_at : data_at + 64] = bytes(b ^ 0xA5 for b in png[data_at : data_at + 64])
    return bytes(png)


def truncated_idat_png() -> bytes:
    """The file stops in the middle of its image data."""
    png = _scan_png()
    idat = png.index(b"IDAT")
    (length,) = struct.unpack(">I", png[idat - 4 : idat])
    return png[: idat + 4 + length // 3]


def truncated_tiff() -> bytes:
    img = Image.new("L", (600, 400), 255)
    rnd = random.Random(SEED)
    img.putdata([rnd.randrange(256) for _ in range(600 * 400)])
    out = io.BytesIO()
    img.save(out, format="TIFF")  # uncompressed: strips first, then the IFD at the end...
    data = out.getvalue()
    # ...unless Pillow wrote the IFD first: cut inside the pixel data either way.
    return data[: len(data) // 2] if data[4:8] != b"\x08\x00\x00\x00" else data[:60_000]


def png_bomb() -> bytes:
    """30000 x 30000 pixels (900 megapixels) declared, all white, in about 110 KB."""
    width = height = 30_000
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grayscale
    row = b"\x00" + b"\xff" * (width // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


def _zip_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2026, 3, 2, 0, 0, 0))  # no clock: reproducible
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (60, 40), 1).save(out, format="GIF")
    return out.getvalue()


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            _zip_entry("[Content_Types].xml"),
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"><Override PartName="/word/document.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"'
            "/></Types>",
        )
        z.writestr(
            _zip_entry("word/document.xml"),
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Facture F-TEST-0001</w:t>'
            "</w:r></w:p></w:body></w:document>",
        )
    return out.getvalue()


def text_as_jpg() -> bytes:
    return "\n".join(LETTER).encode("utf-8") + b"\n"


def broken_boundary_eml() -> bytes:
    """Declares one boundary and uses another; the PDF attachment is intact."""
    pdf = base64.encodebytes(_pdf())
    return (
        b"From: Beneficiaire Test <beneficiaire@example.org>\n"
        b"To: gestion@assistance.example\n"
        b"Subject: Facture de remorquage\n"
        b"Date: Mon, 16 Mar 2026 09:12:00 +0100\n"
        b"Message-ID: <broken-boundary@example.org>\n"
        b"MIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="==declared=="\n\n'
        b"This is a multi-part message in MIME format.\n"
        b"--==actual==\n"
        b"Content-Type: text/plain; charset=utf-8\n\n"
        b"Ci-joint.\n"
        b"--==actual==\n"
        b"Content-Type: application/pdf\n"
        b'Content-Disposition: attachment; filename="facture.pdf"\n'
        b"Content-Transfer-Encoding: base64\n\n" + pdf + b"--==actual==--\n"
    )


def zip_only_eml() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Beneficiaire Test <beneficiaire@example.org>"
    msg["To"] = "gestion@assistance.example"
    msg["Subject"] = "Documents"
    msg["Date"] = "Mon, 16 Mar 2026 09:30:00 +0100"
    msg["Message-ID"] = "<zip-only@example.org>"
    msg.set_content("Ci-joint.\n\nEnvoyé de mon iPhone\n")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(_zip_entry("facture.pdf"), _pdf())
    msg.add_attachment(
        archive.getvalue(), maintype="application", subtype="zip", filename="documents.zip"
    )
    msg.set_boundary("==zip-only-boundary==")  # not random: the file is reproducible
    return msg.as_bytes()


def too_many_pages_pdf() -> bytes:
    """301 blank pages, one more than the default ``limits.max_pages``."""
    return _blank_pdf(301)


def blank_page_pdf() -> bytes:
    """A page with nothing on it: no text layer, nothing for OCR to read."""
    return _blank_pdf(1)


SAMPLES: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty.pdf": (empty, "empty_file"),
    "random-bytes.pdf": (random_bytes, "unsupported_type"),
    "truncated-mid-stream.pdf": (truncated_pdf, "corrupt_file"),
    "broken-xref.pdf": (broken_xref_pdf, "read"),
    "encrypted.pdf": (encrypted_pdf, "encrypted_pdf"),
    "empty-user-password.pdf": (empty_user_password_pdf, "read"),
    "zero-body.jpg": (zero_body_jpeg, "corrupt_file"),
    "corrupt-idat-bad-crc.png": (corrupt_idat_png, "corrupt_file"),
    "truncated-idat.png": (truncated_idat_png, "corrupt_file"),
    "truncated.tif": (truncated_tiff, "corrupt_file"),
    "bomb-30000x30000.png": (png_bomb, "decompression_bomb"),
    "gif-named.pdf": (gif, "unsupported_type"),
    "docx-named.pdf": (docx, "unsupported_type"),
    "text-named.jpg": (text_as_jpg, "unsupported_type"),
    "broken-boundary.eml": (broken_boundary_eml, "read"),
    "zip-only.eml": (zip_only_eml, "unsupported_type"),
    "too-many-pages.pdf": (too_many_pages_pdf, "too_many_pages"),
    "blank-page.pdf": (blank_page_pdf, "no_text"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}
    total = 0
    for name, (make, outcome) in SAMPLES.items():
        data = make()
        (args.out / name).write_bytes(data)
        expected[name] = outcome
        total += len(data)
    (args.out / "expected.json").write_text(
        json.dumps(expected, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    sys.stderr.write(f"{len(expected)} files, {total} bytes in {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
