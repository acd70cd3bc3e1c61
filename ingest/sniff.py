"""What a file is, from its first bytes, never from its name.

Senders rename files freely (a Word document called ``facture.pdf``, a photo saved as
``scan.tmp``), so the media type is decided only from magic numbers. PDF readers accept the
``%PDF-`` header anywhere in the first 1024 bytes (some generators prepend junk), and so do we.
E-mails have no magic number: an ``.eml`` is recognised by RFC 5322 header lines at its start.

``sniff`` needs only the head of a file (:data:`HEAD_SIZE` bytes is enough for every rule).
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

HEAD_SIZE = 4096
"""How many leading bytes :func:`sniff` looks at; reading more changes nothing."""

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
EMAIL = "message/rfc822"
TEXT = "text/plain"
ZIP = "application/zip"
GIF = "image/gif"
WEBP = "image/webp"
HEIC = "image/heic"
EXE = "application/x-msdownload"
OCTET_STREAM = "application/octet-stream"
OLE = "application/x-ole-storage"
RAR = "application/vnd.rar"
SEVEN_ZIP = "application/x-7z-compressed"
GZIP = "application/gzip"
BMP = "image/bmp"
RTF = "application/rtf"
HTML = "text/html"

SUPPORTED: frozenset[str] = frozenset({PDF, PNG, JPEG, TIFF, EMAIL})
"""The media types the pipeline reads; anything else is quarantined as unsupported_type."""

_NAMES: dict[str, str] = {
    PDF: "document PDF",
    PNG: "image PNG",
    JPEG: "image JPEG",
    TIFF: "image TIFF",
    EMAIL: "e-mail",
    TEXT: "texte brut",
    ZIP: "archive ZIP ou document Word/Office",
    GIF: "image GIF",
    WEBP: "image WebP",
    HEIC: "photo HEIC (iPhone)",
    EXE: "programme Windows (exécutable)",
    OLE: "ancien document Word/Excel (.doc/.xls)",
    RAR: "archive RAR",
    SEVEN_ZIP: "archive 7-Zip",
    GZIP: "archive GZIP",
    BMP: "image BMP",
    RTF: "document RTF",
    HTML: "page HTML",
    OCTET_STREAM: "fichier de type inconnu",
}

_HEADER_NAMES = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "received",
        "return-path",
        "reply-to",
        "sender",
        "delivered-to",
        "x-mailer",
        "content-type",
        "content-transfer-encoding",
        "in-reply-to",
        "references",
        "dkim-signature",
        "arc-seal",
        "authentication-results",
        "received-spf",
        "thread-topic",
        "thread-index",
        "user-agent",
        "importance",
        "x-original-to",
        "envelope-to",
    }
)
# Headers only a real message has (Content-Type alone is also on MIME body parts).
_MESSAGE_HEADERS = frozenset(
    {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "received",
        "return-path",
        "delivered-to",
        "sender",
    }
)
_HEADER_LINE = re.compile(rb"^([!-9;-~]{1,76}):[ \t]?")
_MBOX_FROM = re.compile(rb"^From \S+")

_OOXML_MARKERS = (b"[Content_Types].xml", b"word/", b"xl/", b"ppt/")
_ODF_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument."


def describe(media_type: str) -> str:
    """A French name for a media type, for messages a gestionnaire reads."""
    return _NAMES.get(media_type, f"fichier de type {media_type}")


def sniff(head: bytes) -> str:
    """The media type of a file from its first bytes (see :data:`HEAD_SIZE`)."""
    if not head:
        return OCTET_STREAM
    if b"%PDF-" in head[:1024] or _looks_like_damaged_pdf(head):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF  # classic TIFF and BigTIFF, both byte orders
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in (
        b"heic",
        b"heix",
        b"hevc",
        b"hevx",
        b"heim",
        b"heis",
        b"mif1",
        b"msf1",
        b"avif",
    ):
        return HEIC
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return ZIP  # also docx/xlsx/pptx/odt: all zip containers
    if head.startswith(b"MZ"):
        return EXE
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if head.startswith(b"Rar!\x1a\x07"):
        return RAR
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return SEVEN_ZIP
    if head.startswith(b"\x1f\x8b"):
        return GZIP
    if head.startswith(b"{\\rtf"):
        return RTF
    if head.startswith(b"BM") and len(head) >= 14 and head[6:10] == b"\x00\x00\x00\x00":
        return BMP
    if _looks_like_email(head):
        return EMAIL
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html")):
        return HTML
    return OCTET_STREAM


def is_office_zip(head: bytes) -> bool:
    """Whether a zip head looks like an Office/OpenDocument file (for a clearer message)."""
    return any(m in head for m in _OOXML_MARKERS) or _ODF_MIMETYPE in head


_PDF_OBJECT = re.compile(rb"(?:^|[\s>])\d{1,10}\s+\d{1,5}\s+obj\b")
_PDF_STRUCTURE = (b"endobj", b"xref", b"trailer", b"/Type", b"stream")


def _looks_like_damaged_pdf(head: bytes) -> bool:
    """PDF objects without the header: a PDF whose first bytes were damaged.

    Called a PDF so that the reader tries it and, failing, reports a damaged file rather than
    an unsupported type; nothing but a PDF writes ``1 0 obj`` followed by PDF keywords.
    """
    return _PDF_OBJECT.search(head) is not None and any(k in head for k in _PDF_STRUCTURE)


def _looks_like_email(head: bytes) -> bool:
    """RFC 5322 header lines at the start, allowing an mbox ``From `` line and CRLF.

    At least two known header names must appear before the first blank line, one of them a
    header only whole messages carry, and every line before it must be a header or a folded
    continuation; a text file with a ``Subject:`` line in its middle is not an e-mail.
    """
    text = head.lstrip(b"\xef\xbb\xbf")
    lines = text.replace(b"\r\n", b"\n").split(b"\n")
    if lines and _MBOX_FROM.match(lines[0]):
        lines = lines[1:]
    # The last line may be cut by the head's size: do not judge it.
    complete = lines[:-1] if len(lines) > 1 else lines
    known: set[str] = set()
    seen_header = False
    for line in complete:
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            if not seen_header:
                return False
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            return False
        seen_header = True
        name = match.group(1).decode("ascii").lower()
        if name in _HEADER_NAMES:
            known.add(name)
    return len(known) >= 2 and bool(known & _MESSAGE_HEADERS)
