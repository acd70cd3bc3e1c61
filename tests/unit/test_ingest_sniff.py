from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage

import pytest
from PIL import Image

from ingest.sniff import SUPPORTED, describe, is_office_zip, sniff


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format=fmt)
    return out.getvalue()


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _eml(crlf: bool = False, mbox: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Claire Martin <claire.martin@example.fr>"
    msg["To"] = "gestion@assistance.example"
    msg["Subject"] = "Dossier AST-2026-004217"
    msg.set_content("Bonjour, voici ma facture.")
    raw = msg.as_bytes()
    if crlf:
        raw = raw.replace(b"\n", b"\r\n")
    if mbox:
        raw = b"From claire.martin@example.fr Mon Mar  2 10:00:00 2026\n" + raw
    return raw


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf"),
        (b"\x00" * 300 + b"%PDF-1.4\n", "application/pdf"),
        (_image("PNG"), "image/png"),
        (_image("JPEG"), "image/jpeg"),
        (_image("TIFF"), "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (b"II+\x00\x08\x00\x00\x00", "image/tiff"),
        (_eml(), "message/rfc822"),
        (_eml(crlf=True), "message/rfc822"),
        (_eml(mbox=True), "message/rfc822"),
        (_image("GIF"), "image/gif"),
        (_image("WEBP"), "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        (_docx(), "application/zip"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "application/x-msdownload"),
        (b"just some text\nwith lines\n", "application/octet-stream"),
        (b"", "application/octet-stream"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_sniff_names_each_type_from_its_bytes(head: bytes, expected: str) -> None:
    assert sniff(head[:4096]) == expected


def test_pdf_header_beyond_first_kilobyte_is_not_a_pdf() -> None:
    assert sniff(b"\x00" * 1100 + b"%PDF-1.4\n") == "application/octet-stream"


def test_extension_lies_are_ignored_only_bytes_count() -> None:
    # sniff never sees a name: a DOCX renamed facture.pdf is still a zip, a text renamed .jpg
    # is still unknown.
    assert sniff(_docx()) == "application/zip"
    assert is_office_zip(_docx())
    assert sniff("Facture n° 42 : 120,00 €".encode()) == "application/octet-stream"


def test_text_with_a_subject_line_in_the_middle_is_not_an_email() -> None:
    text = b"Notes de la reunion\nSubject: budget\nFrom: moi\n\nsuite du texte"
    assert sniff(text) == "application/octet-stream"


def test_mime_body_part_headers_alone_are_not_an_email() -> None:
    part = b"Content-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\nbonjour"
    assert sniff(part) == "application/octet-stream"


def test_email_head_cut_mid_line_is_still_an_email() -> None:
    raw = b"Received: from mx.example by x\r\nFrom: a@b.fr\r\nTo: c@d.fr\r\nSubj"
    assert sniff(raw) == "message/rfc822"


def test_supported_types_are_the_pipeline_inputs() -> None:
    assert {"application/pdf", "image/png", "image/jpeg", "image/tiff", "message/rfc822"} == (
        SUPPORTED
    )
    assert "application/zip" not in SUPPORTED


def test_describe_gives_french_names_for_quarantine_messages() -> None:
    assert "Word" in describe("application/zip")
    assert describe("image/heic").startswith("photo HEIC")
    assert describe("application/x-unknown") == "fichier de type application/x-unknown"


def test_pdf_objects_without_a_header_are_a_damaged_pdf_not_an_unknown_type() -> None:
    damaged = b"UPDF-1\x99\n%\xe2\xe3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    assert sniff(damaged) == "application/pdf"
    assert sniff(b"see item 1 0 obj in the list") == "application/octet-stream"
