"""An e-mail (``.eml`` or a message fetched over IMAP) taken apart: its body and attachments.

Parsing is the stdlib :mod:`email` package with ``policy.default``, which decodes RFC 2047
subjects and file names and RFC 2231 parameters, and is lenient with broken messages: what it
could not understand is listed in each part's ``defects``. Those defects are kept on the
:class:`ParsedEmail` so the pipeline can record them; a malformed message still gives whatever
can be decoded, and only a message with nothing decodable at all raises
:class:`~mailroom.errors.CorruptFile`.

Rules, each for a reason:

* Nested multiparts are walked recursively, and so are attached e-mails (``message/rfc822``,
  the usual "transférer en pièce jointe"): their attachments become attachments, their body,
  when it says something, becomes a ``text/plain`` attachment.
* ``multipart/alternative`` gives one body: ``text/plain`` when present, else the text of the
  HTML (scripts and styles dropped, ``<blockquote>`` treated as a quoted reply). The other
  alternatives are still walked for images (an HTML part's ``multipart/related`` photos).
* The body counts only when it "says something": after quoted replies, attributions ("Le ...
  a écrit :"), signatures, disclaimers and "Envoyé de mon iPhone" lines are removed, and
  greetings and courtesy words are not counted, at least ``min_body_words`` words remain. A
  cover note such as "Bonjour, ci-joint ma facture. Cordialement" is not a document.
* Inline images smaller than ``min_inline_bytes`` or with a side under ``min_inline_side``
  pixels are signature logos and tracking pixels, not documents, and are dropped. The size is
  read from the image header (PNG, GIF, JPEG, BMP, WebP) without decoding it, so no imaging
  library runs on untrusted bytes here; an image whose header we cannot read is judged by its
  byte size alone. Attachments (``Content-Disposition: attachment``) are always kept.
* Signature parts (S/MIME, PGP) and calendar/vCard parts without a file name are not
  documents and are dropped.
* An attachment's name is never a path: :func:`safe_filename` makes a bare, capped, printable
  basename, with ``part-<path>.<ext>`` as fallback. Its media type is :func:`~ingest.sniff.sniff`
  of its bytes, never the declared Content-Type.
"""

from __future__ import annotations

import logging
import re
import struct
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

from ingest.sniff import (
    EMAIL,
    GIF,
    HEIC,
    JPEG,
    PDF,
    PNG,
    TEXT,
    TIFF,
    WEBP,
    ZIP,
    sniff,
)
from mailroom.errors import CorruptFile, EmptyFile
from mailroom.models import EmailInfo

log = logging.getLogger(__name__)

MAX_DEPTH = 12
"""Deeper nesting of multiparts and attached e-mails is not walked (a crafted message)."""
MAX_PARTS = 500
"""More parts than this in one message are not walked (a crafted message)."""
MAX_NAME_CHARS = 120

_SKIPPED_TYPES = frozenset(
    {
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-signature",
        "application/pgp-keys",
        "application/ms-tnef",  # winmail.dat: Outlook's rich-text wrapper, carries no pages
    }
)
_IMAGE_TYPES = frozenset({PNG, JPEG, GIF, WEBP, TIFF, HEIC, "image/bmp"})
_EXTENSIONS = {
    PDF: ".pdf",
    PNG: ".png",
    JPEG: ".jpg",
    TIFF: ".tif",
    EMAIL: ".eml",
    TEXT: ".txt",
    ZIP: ".zip",
    GIF: ".gif",
    WEBP: ".webp",
    HEIC: ".heic",
    "image/bmp": ".bmp",
    "application/x-msdownload": ".exe",
}
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)
_UNSAFE_CHARS = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')


@dataclass(frozen=True)
class Attachment:
    """One document found in an e-mail."""

    filename: str | None  # as the sender named it, decoded; never used as a path
    safe_name: str  # a bare basename, safe to show and to store under
    media_type: str  # sniffed from ``data``; text/plain for an attached e-mail's body
    data: bytes
    inline: bool
    part_path: str  # where it was in the message, "2.1" = first part of the second part


@dataclass(frozen=True)
class ParsedEmail:
    info: EmailInfo
    body_text: str | None  # None when the body says nothing (see the module's rules)
    attachments: list[Attachment]
    defects: tuple[str, ...] = field(default=())  # what the parser found malformed


def parse_email(
    raw: bytes,
    *,
    min_body_words: int = 6,
    min_inline_bytes: int = 8 * 1024,
    min_inline_side: int = 120,
) -> ParsedEmail:
    """Take an e-mail apart. Raises EmptyFile or CorruptFile only when nothing is usable."""
    if not raw.strip():
        raise EmptyFile("e-mail sans contenu")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as e:  # the stdlib parser is lenient; anything raised here is fatal
        raise CorruptFile(f"e-mail illisible : {e}") from e
    walker = _Walker(min_body_words, min_inline_bytes, min_inline_side)
    body = walker.message(msg, "", 0)
    info = _info(msg)
    if not msg.keys() and not walker.attachments:
        # Without a single header line this is not an e-mail but a blob read as one.
        raise CorruptFile("aucun en-tête d'e-mail lisible")
    return ParsedEmail(
        info=info,
        body_text=body,
        attachments=walker.attachments,
        defects=tuple(walker.defects),
    )


# --- headers -------------------------------------------------------------------------------


def _header(msg: Message, name: str) -> str | None:
    """A header's decoded text, falling back to a manual decode when the policy chokes."""
    try:
        value = msg.get(name)
        if value is None:
            return None
        text = str(value)
    except Exception:
        raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
        if raw is None:
            return None
        try:
            text = str(make_header(decode_header(raw)))
        except Exception:
            text = raw
    text = " ".join(text.split())
    return text or None


def _info(msg: Message) -> EmailInfo:
    when: datetime | None = None
    date_text = _header(msg, "Date")
    if date_text:
        try:
            when = parsedate_to_datetime(date_text)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    return EmailInfo.model_validate(
        {
            "message_id": _header(msg, "Message-ID"),
            "from": _header(msg, "From"),
            "subject": _header(msg, "Subject"),
            "date": when,
        }
    )


# --- walking -------------------------------------------------------------------------------


class _Walker:
    def __init__(self, min_body_words: int, min_inline_bytes: int, min_inline_side: int) -> None:
        self.min_body_words = min_body_words
        self.min_inline_bytes = min_inline_bytes
        self.min_inline_side = min_inline_side
        self.attachments: list[Attachment] = []
        self.defects: list[str] = []
        self.parts = 0

    def message(self, msg: Message, path: str, depth: int) -> str | None:
        """Walk one message; return its body text if it says something."""
        fragments: list[str] = []
        if msg.get_content_maintype() == "multipart":
            self.part(msg, path, depth, fragments, True)
        else:
            self.part(msg, _join(path, 1), depth, fragments, True)
        text = "\n\n".join(f for f in fragments if f.strip())
        return body_if_meaningful(text, self.min_body_words)

    def _note_defects(self, part: Message, path: str) -> None:
        for defect in getattr(part, "defects", ()):
            self.defects.append(f"{path or 'message'}: {type(defect).__name__}")

    def part(
        self, part: Message, path: str, depth: int, fragments: list[str], text_wanted: bool
    ) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            if self.parts == MAX_PARTS + 1:
                self.defects.append(f"{path}: more than {MAX_PARTS} parts, rest not read")
            return
        if depth > MAX_DEPTH:
            self.defects.append(f"{path}: nested deeper than {MAX_DEPTH}, not read")
            return
        self._note_defects(part, path)
        ctype = part.get_content_type()
        if ctype == "message/rfc822" or (ctype in ("message/global",) and part.is_multipart()):
            self._attached_message(part, path, depth)
            return
        if part.is_multipart():
            self._multipart(part, path, depth, fragments, text_wanted)
            return
        if part.get_content_maintype() == "multipart":
            # Declared multipart but the parser found no parts: a broken boundary.
            salvaged = _salvage_parts(part)
            if salvaged:
                self.defects.append(f"{path or 'message'}: parts recovered despite bad boundary")
                for i, child in enumerate(salvaged, 1):
                    self.part(child, _join(path, i), depth + 1, fragments, text_wanted)
                return
        self._leaf(part, path or "1", fragments, text_wanted)

    def _multipart(
        self, part: Message, path: str, depth: int, fragments: list[str], text_wanted: bool
    ) -> None:
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        chosen: int | None = None
        if part.get_content_subtype() == "alternative" and text_wanted:
            chosen = _best_alternative(children)
        for i, child in enumerate(children, 1):
            wants = text_wanted and (chosen is None or chosen == i - 1)
            self.part(child, _join(path, i), depth + 1, fragments, wants)

    def _attached_message(self, part: Message, path: str, depth: int) -> None:
        payload = part.get_payload()
        inner: Message | None = None
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            inner = payload[0]
        if inner is None:
            data = _decoded_bytes(part)
            if data.strip():
                try:
                    inner = BytesParser(policy=policy.default).parsebytes(data)
                except Exception:
                    inner = None
        if inner is None:
            self.defects.append(f"{path}: attached e-mail not readable")
            return
        body = self.message(inner, path, depth + 1)
        if body is not None:
            subject = _header(inner, "Subject")
            self.attachments.append(
                Attachment(
                    filename=_filename(part),
                    safe_name=safe_filename(subject and f"{subject}.txt", path, TEXT),
                    media_type=TEXT,
                    data=body.encode("utf-8"),
                    inline=False,
                    part_path=path,
                )
            )

    def _leaf(self, part: Message, path: str, fragments: list[str], text_wanted: bool) -> None:
        ctype = part.get_content_type()
        disposition = part.get_content_disposition()
        filename = _filename(part)
        is_attachment = disposition == "attachment" or filename is not None
        if part.get_content_maintype() == "text" and not is_attachment:
            if ctype in ("text/plain", "text/html"):
                if text_wanted:
                    text = _decoded_text(part)
                    fragments.append(html_to_text(text) if ctype == "text/html" else text)
            else:
                log.debug("part %s (%s) is neither body nor document, left out", path, ctype)
            return
        if ctype in _SKIPPED_TYPES:
            return
        data = _decoded_bytes(part)
        media_type = sniff(data[:4096])
        inline = disposition != "attachment" and (
            disposition == "inline" or part.get("Content-ID") is not None or filename is None
        )
        if inline and media_type in _IMAGE_TYPES and self._is_tiny(data, media_type):
            log.debug("inline image %s (%d bytes) is a logo or pixel, left out", path, len(data))
            return
        self.attachments.append(
            Attachment(
                filename=filename,
                safe_name=safe_filename(filename, path, media_type),
                media_type=media_type,
                data=data,
                inline=inline,
                part_path=path,
            )
        )

    def _is_tiny(self, data: bytes, media_type: str) -> bool:
        if len(data) < self.min_inline_bytes:
            return True
        size = image_size(data, media_type)
        return size is not None and min(size) < self.min_inline_side


def _join(path: str, index: int) -> str:
    return f"{path}.{index}" if path else str(index)


def _best_alternative(children: list[Message]) -> int | None:
    """The index of the alternative to read the body from: plain text first, then HTML."""
    best: tuple[int, int] | None = None
    for i, child in enumerate(children):
        score = _text_score(child)
        if score and (best is None or score > best[0]):
            best = (score, i)
    return None if best is None else best[1]


def _text_score(part: Message) -> int:
    for sub in part.walk():
        if sub.get_content_disposition() == "attachment":
            continue
        ctype = sub.get_content_type()
        if ctype == "text/plain":
            return 2
        if ctype == "text/html":
            return 1
    return 0


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name is None:
        return None
    name = " ".join(str(name).split())
    return name or None


def _decoded_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _decoded_text(part: Message) -> str:
    if isinstance(part, EmailMessage):
        try:
            content = part.get_content()
            if isinstance(content, str):
                return content
        except Exception:  # unknown charset, broken transfer encoding
            pass
    data = _decoded_bytes(part)
    charset = part.get_content_charset() or "utf-8"
    for encoding in (charset, "utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


_BOUNDARY_LINE = re.compile(rb"^--([^\s]{1,200}?)(--)?[ \t]*\r?$", re.MULTILINE)


def _salvage_parts(part: Message) -> list[Message]:
    """Parts of a multipart whose declared boundary is missing or wrong.

    The most frequent ``--token`` line of the body is taken as the real boundary.
    """
    payload = part.get_payload()
    if isinstance(payload, str):
        body = payload.encode("utf-8", "surrogateescape")
    elif isinstance(payload, bytes):
        body = payload
    else:
        return []
    tokens = Counter(m.group(1) for m in _BOUNDARY_LINE.finditer(body))
    if not tokens:
        return []
    token, _ = tokens.most_common(1)[0]
    pieces = re.split(rb"^--" + re.escape(token) + rb"(?:--)?[ \t]*\r?\n?", body, flags=re.M)
    parser = BytesParser(policy=policy.default)
    parts: list[Message] = []
    for piece in pieces[1:]:  # pieces[0] is the preamble
        if not piece.strip():
            continue
        try:
            parts.append(parser.parsebytes(piece))
        except Exception:
            continue
    return parts


# --- file names ----------------------------------------------------------------------------


def safe_filename(name: str | None, part_path: str, media_type: str) -> str:
    """A bare, printable, capped basename; ``part-<path><ext>`` when nothing is left."""
    fallback = f"part-{(part_path or '1').replace('.', '-')}{_EXTENSIONS.get(media_type, '.bin')}"
    if not name:
        return fallback
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    name = _UNSAFE_CHARS.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    stem = name.split(".", 1)[0].lower()
    if not name or set(name) <= {".", "_"} or stem in _WINDOWS_RESERVED:
        return fallback
    if len(name) > MAX_NAME_CHARS:
        dot = name.rfind(".")
        suffix = name[dot:] if dot > 0 and len(name) - dot <= 10 else ""
        name = name[: MAX_NAME_CHARS - len(suffix)].rstrip(" .") + suffix
    return name


# --- body text -----------------------------------------------------------------------------


class _HtmlText(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})
    _BLOCK = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "tr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "table",
            "ul",
            "ol",
            "hr",
            "section",
            "article",
            "header",
            "footer",
            "pre",
            "address",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.skip = 0
        self.quote = 0

    def _newline(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip += 1
        elif tag == "blockquote":
            self._newline()
            self.quote += 1
        elif tag in self._BLOCK:
            self._newline()
        elif tag in ("td", "th"):
            self.lines[-1] += " "

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self._newline()
            self.quote = max(0, self.quote - 1)
        elif tag in self._BLOCK:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = " ".join(data.split())  # in HTML a newline is only white space
        if not text:
            if data and self.lines[-1].strip() and not self.lines[-1].endswith(" "):
                self.lines[-1] += " "
            return
        if not self.lines[-1].strip():
            self.lines[-1] = "> " * self.quote
        elif data[:1].isspace() and not self.lines[-1].endswith(" "):
            self.lines[-1] += " "
        self.lines[-1] += text
        if data[-1:].isspace():
            self.lines[-1] += " "


def html_to_text(html: str) -> str:
    """The readable text of an HTML body; blockquotes come out as ``> `` quoted lines."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; be safe on pathological input
        return re.sub(r"<[^>]*>", " ", html)
    return "\n".join(line.rstrip() for line in parser.lines).strip()


_ATTRIBUTION = re.compile(
    r"^\s*(le\s.{3,200}?\sa\s+[ée]crit\s*:|on\s.{3,200}?\swrote\s*:"
    r"|-{2,}\s*(original message|message d'origine|message original)\s*-{2,})\s*$",
    re.IGNORECASE,
)
_OUTLOOK_HEADER = re.compile(r"^\s*(de|from)\s*:\s*\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*(envoy[ée]|sent|date)\s*:\s*\S", re.IGNORECASE)
_DEVICE_LINE = re.compile(
    r"^\s*(envoy[ée] (de|depuis|à partir de) (mon|ma|mon\s+\w+|l'application|outlook).*"
    r"|sent from (my|mail for|outlook|yahoo).*"
    r"|(get|obtenir|télécharger) outlook (for|pour) .*"
    r"|envoy[ée] avec .*)$",
    re.IGNORECASE,
)
_DISCLAIMER = re.compile(
    r"(confidenti(el|al)\w*.*(destinataire|recipient|intended|addressee)"
    r"|(destinataire|recipient|intended|addressee).*confidenti(el|al)"
    r"|avant d'imprimer|before printing|think before you print"
    r"|ce (message|courriel|mail) (a été|est) (généré|envoyé) automatiquement"
    r"|merci de ne pas répondre"
    r"|please do not reply"
    r"|antivirus|scanned for viruses)",
    re.IGNORECASE | re.DOTALL,
)
_COURTESY_WORDS = frozenset(
    """bonjour bonsoir salut hello hi dear madame monsieur mme mr mlle messieurs dames cher chère
    chers cordialement cdlt cdt bien amicalement sincères salutations distinguées meilleures
    regards best kind thanks thank you merci beaucoup bonne journée soirée ci joint jointe joints
    jointes pj veuillez trouver please find attached attachment pièce pièces voici""".split()  # noqa: SIM905
)
_WORD = re.compile(r"[^\W\d_]{2,}")


def _is_attribution(line: str) -> bool:
    """Whether a line introduces a quoted reply ("Le 2 mars 2026, X <x@y> a écrit :").

    It must carry a date or an address, unlike "Le médecin a écrit :" inside a letter.
    """
    match = _ATTRIBUTION.match(line)
    return match is not None and ("-----" in line or re.search(r"\d|@", line) is not None)


def strip_reply(text: str) -> str:
    """The text without quoted replies, attributions, device lines and disclaimers.

    The signature is kept: it often names the sender, which the body's reader needs.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if _is_attribution(line) or (
            i + 1 < len(lines) and _is_attribution(f"{line} {lines[i + 1]}")
        ):
            break  # mail clients wrap long attributions over two lines
        if (
            _OUTLOOK_HEADER.match(line)
            and any(k.strip() for k in kept)
            and any(_OUTLOOK_NEXT.match(n) for n in lines[i + 1 : i + 4])
        ):
            break  # "De : ... Envoyé : ..." opens a quoted Outlook reply
        if line.lstrip().startswith(">"):
            continue
        if _DEVICE_LINE.match(line):
            continue
        kept.append(line.rstrip())
    paragraphs = re.split(r"\n\s*\n", "\n".join(kept))
    paragraphs = [p for p in paragraphs if not _DISCLAIMER.search(p)]
    return "\n\n".join(p.strip("\n") for p in paragraphs if p.strip()).strip()


def meaningful_words(text: str) -> list[str]:
    """The words that say something: the signature, greetings and courtesies left out."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.rstrip() in ("--", "__"):
            lines = lines[:i]
            break
    words = _WORD.findall("\n".join(lines))
    return [w for w in words if w.lower() not in _COURTESY_WORDS]


def body_if_meaningful(text: str, min_words: int = 6) -> str | None:
    """The cleaned body when it has at least ``min_words`` real words, else None."""
    cleaned = strip_reply(text)
    if len(meaningful_words(cleaned)) < min_words:
        return None
    return cleaned


# --- image sizes ---------------------------------------------------------------------------


def image_size(data: bytes, media_type: str) -> tuple[int, int] | None:
    """Width and height from an image's header, or None when it cannot be read cheaply."""
    try:
        if media_type == PNG and len(data) >= 24 and data[12:16] == b"IHDR":
            w, h = struct.unpack(">II", data[16:24])
            return int(w), int(h)
        if media_type == GIF and len(data) >= 10:
            w, h = struct.unpack("<HH", data[6:10])
            return int(w), int(h)
        if media_type == "image/bmp" and len(data) >= 26:
            w, h = struct.unpack("<ii", data[18:26])
            return abs(int(w)), abs(int(h))
        if media_type == WEBP and len(data) >= 30:
            return _webp_size(data)
        if media_type == JPEG:
            return _jpeg_size(data)
    except struct.error:
        return None
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and data[20:21] == b"\x2f":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF_MARKERS and i + 9 <= n:
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(w), int(h)
        if marker == 0xDA:  # start of scan before any frame header
            return None
        i += 2 + length
    return None
