"""Claim emails (.eml) built with the stdlib: nested multiparts, an inline image, encoded names.

Structure: multipart/mixed > [multipart/alternative > [text/plain, multipart/related >
[text/html, image/png (inline, cid)]], attachments...]. The subject is RFC 2047 encoded (the
stdlib does it for non-ASCII), attachment names use RFC 2231 (stdlib default) or, for one
attachment per message, the RFC 2047 form many mail clients write (``filename="=?utf-8?b?..?="``).
Boundaries and Message-ID are fixed so the bytes are reproducible.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str
    subtype: str
    data: bytes
    rfc2047_name: bool = False


def _rfc2047(name: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(name.encode()).decode() + "?="


def build_email(
    *,
    sender: tuple[str, str],
    to: str,
    subject: str,
    body: str,
    sent: datetime,
    message_id: str,
    attachments: list[Attachment],
    inline_png: bytes,
    boundary_seed: str,
) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = f"{sender[0]} <{sender[1]}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent.astimezone(UTC))
    msg["Message-ID"] = message_id
    msg["X-Mailer"] = "Mailroom sample generator"
    msg.set_content(body)
    paragraphs = "".join(
        f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in body.split("\n\n")
    )
    msg.add_alternative(
        f'<html><body style="font-family:Arial">{paragraphs}'
        f'<p><img src="cid:signature-logo" alt="logo" width="80"></p></body></html>',
        subtype="html",
    )
    html_part = next(p for p in msg.walk() if p.get_content_type() == "text/html")
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(
        inline_png,
        "image",
        "png",
        cid="<signature-logo>",
        filename="logo-signature.png",
        disposition="inline",
    )
    placeholders: dict[str, str] = {}
    for k, att in enumerate(attachments):
        name = att.filename
        if att.rfc2047_name:
            name = f"__mailroom_name_{k}__"
            placeholders[name] = _rfc2047(att.filename)
        msg.add_attachment(att.data, maintype=att.maintype, subtype=att.subtype, filename=name)
    for n, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_mailroom_{boundary_seed}_{n}")
    raw = msg.as_bytes()
    for placeholder, encoded in placeholders.items():
        raw = raw.replace(placeholder.encode(), encoded.encode())
    return raw


def sent_at(day: datetime | None = None) -> datetime:
    return day or datetime(2026, 3, 12, 9, 30, tzinfo=UTC)
