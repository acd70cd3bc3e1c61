from __future__ import annotations

import base64
import io
import random
from email import policy
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from PIL import Image

from ingest.email import body_if_meaningful, html_to_text, parse_email, safe_filename
from mailroom.errors import CorruptFile, EmptyFile

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
CLAIM = (
    "Bonjour,\n\nSuite à la panne de mon véhicule GH-412-KL le 1er mars, je vous transmets la "
    "facture du dépanneur pour le dossier AST-2026-004217 et vous demande le remboursement de "
    "180 euros.\n\nCordialement,\nClaire MARTIN"
)


def _png(size: tuple[int, int], noise: bool = False) -> bytes:
    img = Image.new("RGB", size, "white")
    if noise:
        rnd = random.Random(7)
        img.putdata([(rnd.randrange(256),) * 3 for _ in range(size[0] * size[1])])
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _jpeg_photo(size: tuple[int, int] = (600, 800)) -> bytes:
    rnd = random.Random(3)
    img = Image.new("L", size)
    img.putdata([rnd.randrange(256) for _ in range(size[0] * size[1])])
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=70)
    return out.getvalue()


def _base(subject: str = "Dossier AST-2026-004217") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Claire Martin <claire.martin@example.fr>"
    msg["To"] = "gestion@assistance.example"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Mar 2026 10:15:00 +0100"
    msg["Message-ID"] = "<abc123@example.fr>"
    return msg


def test_headers_become_email_info() -> None:
    msg = _base()
    msg.set_content(CLAIM)
    parsed = parse_email(msg.as_bytes())
    assert parsed.info.message_id == "<abc123@example.fr>"
    assert parsed.info.from_ == "Claire Martin <claire.martin@example.fr>"
    assert parsed.info.subject == "Dossier AST-2026-004217"
    assert parsed.info.date is not None and parsed.info.date.utcoffset() is not None
    assert parsed.info.date.isoformat() == "2026-03-02T10:15:00+01:00"
    assert parsed.body_text is not None and "AST-2026-004217" in parsed.body_text
    assert parsed.attachments == []


def test_nested_multipart_gives_plain_body_and_every_attachment_with_its_path() -> None:
    msg = _base()
    msg.set_content(CLAIM)
    msg.add_alternative(f"<p>{CLAIM}</p>", subtype="html")
    msg.make_mixed()
    inner = EmailMessage()
    inner.add_attachment(PDF, maintype="application", subtype="pdf", filename="facture.pdf")
    inner.add_attachment(_jpeg_photo(), maintype="image", subtype="jpeg", filename="ticket.jpg")
    msg.attach(inner)
    parsed = parse_email(msg.as_bytes())
    assert parsed.body_text is not None
    assert "<p>" not in parsed.body_text
    assert parsed.body_text.count("AST-2026-004217") == 1  # plain chosen, html not added
    got = [(a.part_path, a.safe_name, a.media_type, a.inline) for a in parsed.attachments]
    assert got == [
        ("2.1", "facture.pdf", "application/pdf", False),
        ("2.2", "ticket.jpg", "image/jpeg", False),
    ]
    assert parsed.attachments[0].data == PDF


def test_html_only_alternative_gives_the_text_without_scripts_or_styles() -> None:
    msg = _base()
    html = (
        "<html><head><style>p {color: red}</style><title>t</title></head><body>"
        "<script>var secret = 'do not read';</script>"
        f"<div>{CLAIM.replace(chr(10), '<br>')}</div>"
        "<blockquote>Le dossier est clos depuis longtemps déjà pour vous et moi</blockquote>"
        "</body></html>"
    )
    msg.set_content(html, subtype="html")
    parsed = parse_email(msg.as_bytes())
    assert parsed.body_text is not None
    assert "AST-2026-004217" in parsed.body_text
    assert "secret" not in parsed.body_text and "color" not in parsed.body_text
    assert "clos" not in parsed.body_text  # a blockquote is a quoted reply
    assert "Claire MARTIN" in parsed.body_text.splitlines()[-1]


def test_rfc2047_subject_and_accented_file_names_are_decoded() -> None:
    msg = _base(subject="Remboursement frais d'hôtel — dossier réf. AST-2026-004217")
    msg.set_content(CLAIM)
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="facture_hôtel.pdf")
    raw = msg.as_bytes()
    assert b"=?utf-8?" in raw  # the subject really is RFC 2047 encoded on the wire
    parsed = parse_email(raw)
    assert parsed.info.subject == "Remboursement frais d'hôtel — dossier réf. AST-2026-004217"
    assert parsed.attachments[0].filename == "facture_hôtel.pdf"
    assert parsed.attachments[0].safe_name == "facture_hôtel.pdf"


def test_outlook_style_rfc2047_file_name_parameter_is_decoded() -> None:
    raw = (
        b"From: a@example.fr\r\nTo: b@example.fr\r\nSubject: =?iso-8859-1?q?re=E7u?=\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain\r\n\r\nci-joint\r\n"
        b'--XX\r\nContent-Type: application/pdf; name="=?utf-8?q?re=C3=A7u_n=C2=B03.pdf?="\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(PDF).replace(b"\n", b"\r\n")
        + b"--XX--\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.info.subject == "reçu"
    assert parsed.attachments[0].filename == "reçu n°3.pdf"
    assert parsed.body_text is None  # "ci-joint" says nothing


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("/abs/path/facture.pdf", "facture.pdf"),
        ("..", "part-3.pdf"),
        ("...", "part-3.pdf"),
        ("", "part-3.pdf"),
        ("fac\x00ture\x1b.pdf", "facture.pdf"),
        ("a<b>c:d|e?f*.pdf", "a_b_c_d_e_f_.pdf"),
        ("CON.pdf", "part-3.pdf"),
        ("\u202egnp.pdf", "gnp.pdf"),
        ("   .hidden.pdf  ", "hidden.pdf"),
    ],
)
def test_attachment_names_are_made_safe(name: str, expected: str) -> None:
    assert safe_filename(name, "3", "application/pdf") == expected


def test_long_attachment_names_are_capped_keeping_the_extension() -> None:
    safe = safe_filename("x" * 500 + ".pdf", "1", "application/pdf")
    assert len(safe) <= 120 and safe.endswith(".pdf")


def test_path_traversal_attachment_name_is_never_a_path() -> None:
    msg = _base()
    msg.set_content(CLAIM)
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="../../etc/passwd")
    parsed = parse_email(msg.as_bytes())
    (att,) = parsed.attachments
    assert att.filename == "../../etc/passwd"
    assert att.safe_name == "passwd"
    assert "/" not in att.safe_name and ".." not in att.safe_name


def test_media_type_comes_from_the_bytes_not_the_declared_content_type() -> None:
    msg = _base()
    msg.set_content(CLAIM)
    msg.add_attachment(PDF, maintype="application", subtype="octet-stream", filename="scan")
    msg.add_attachment(
        b"PK\x03\x04" + b"\x00" * 40, maintype="application", subtype="pdf", filename="facture.pdf"
    )
    parsed = parse_email(msg.as_bytes())
    assert [a.media_type for a in parsed.attachments] == ["application/pdf", "application/zip"]


def test_inline_logo_is_skipped_but_inline_photo_is_kept() -> None:
    msg = _base()
    msg.set_content(CLAIM)
    msg.add_alternative(f"<p>{CLAIM}</p><img src='cid:logo'><img src='cid:photo'>", subtype="html")
    html_part = list(msg.iter_parts())[1]
    assert isinstance(html_part, EmailMessage)
    logo = _png((200, 60))
    photo = _jpeg_photo()
    assert len(photo) > 8 * 1024
    html_part.add_related(logo, maintype="image", subtype="png", cid="<logo>")
    html_part.add_related(photo, maintype="image", subtype="jpeg", cid="<photo>")
    parsed = parse_email(msg.as_bytes())
    assert len(parsed.attachments) == 1
    kept = parsed.attachments[0]
    assert kept.inline and kept.media_type == "image/jpeg" and kept.data == photo
    assert kept.safe_name == "part-2-3.jpg"


def test_large_but_thin_inline_banner_is_skipped() -> None:
    msg = _base()
    msg.set_content(CLAIM)
    banner = _png((1200, 80), noise=True)
    assert len(banner) > 8 * 1024
    msg.add_attachment(
        banner, maintype="image", subtype="png", disposition="inline", cid="<banner>"
    )
    assert parse_email(msg.as_bytes()).attachments == []


def test_attached_tiny_image_is_kept_because_the_sender_attached_it() -> None:
    msg = _base()
    msg.set_content(CLAIM)
    msg.add_attachment(_png((50, 50)), maintype="image", subtype="png", filename="rib.png")
    (att,) = parse_email(msg.as_bytes()).attachments
    assert not att.inline and att.media_type == "image/png"


def test_attached_email_is_walked_and_its_body_becomes_a_text_attachment() -> None:
    inner = _base(subject="Ma demande de remboursement")
    inner.set_content(CLAIM)
    inner.add_attachment(PDF, maintype="application", subtype="pdf", filename="facture.pdf")
    outer = _base(subject="TR: Ma demande de remboursement")
    outer.set_content("Pour info.\n\n-- \nAccueil")
    outer.add_attachment(inner)
    parsed = parse_email(outer.as_bytes())
    assert parsed.body_text is None
    by_path = {a.part_path: a for a in parsed.attachments}
    assert by_path["2.2"].media_type == "application/pdf"
    assert by_path["2.2"].safe_name == "facture.pdf"
    body = by_path["2"]
    assert body.media_type == "text/plain"
    assert "AST-2026-004217" in body.data.decode("utf-8")
    assert body.safe_name == "Ma demande de remboursement.txt"


def test_malformed_mime_with_a_wrong_boundary_still_gives_its_attachment() -> None:
    raw = (
        b"From: a@example.fr\nTo: b@example.fr\nSubject: facture\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="DECLARED"\n\n'
        b"preamble\n--ACTUAL\nContent-Type: text/plain; charset=utf-8\n\n"
        + CLAIM.encode()
        + b"\n--ACTUAL\nContent-Type: application/pdf\n"
        b'Content-Disposition: attachment; filename="f.pdf"\n'
        b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(PDF) + b"--ACTUAL--\n"
    )
    parsed = parse_email(raw)
    assert parsed.defects  # what was malformed is reported
    (att,) = parsed.attachments
    assert att.data == PDF and att.safe_name == "f.pdf" and att.media_type == "application/pdf"
    assert parsed.body_text is not None and "AST-2026-004217" in parsed.body_text


def test_truncated_message_without_closing_boundary_keeps_what_arrived() -> None:
    msg = _base()
    msg.set_content(CLAIM)
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="facture.pdf")
    raw = msg.as_bytes()
    raw = raw[: raw.rindex(b"--")]  # drop the closing boundary
    parsed = parse_email(raw)
    assert parsed.attachments and parsed.attachments[0].data == PDF


def test_quoted_reply_only_body_says_nothing() -> None:
    msg = _base(subject="RE: Dossier AST-2026-004217")
    msg.set_content(
        "Merci.\n\nLe lun. 2 mars 2026 à 10:15, Assistance <gestion@assistance.example> a "
        "écrit :\n> Madame, nous avons bien reçu votre demande concernant le dossier\n"
        "> AST-2026-004217 et revenons vers vous rapidement.\n\nEnvoyé de mon iPhone\n"
    )
    assert parse_email(msg.as_bytes()).body_text is None


def test_attribution_wrapped_over_two_lines_is_still_a_quoted_reply() -> None:
    text = (
        "OK merci.\n\nLe lun. 2 mars 2026 à 10:15, Service Assistance Clients <\n"
        "gestion.dossiers@assistance.example> a écrit :\n\n> Bonjour, votre dossier est ouvert.\n"
    )
    assert body_if_meaningful(text) is None


def test_body_above_a_quoted_reply_is_kept_without_the_quote() -> None:
    text = (
        f"{CLAIM}\n\nEnvoyé de mon iPhone\n\nOn Mon, Mar 2, 2026 at 10:15 AM Assistance "
        "<gestion@assistance.example> wrote:\n> Votre dossier est ouvert sous la référence X.\n"
    )
    body = body_if_meaningful(text)
    assert body is not None
    assert "iPhone" not in body and "wrote" not in body and "référence X" not in body
    assert "AST-2026-004217" in body


def test_disclaimer_and_signature_do_not_count_as_saying_something() -> None:
    text = (
        "Bonjour,\nCi-joint.\nCordialement\n-- \nJean Dupont\nResponsable des achats chez "
        "Transports Dupont et Fils, 12 rue des Lilas\n\nCe message et ses pièces jointes sont "
        "confidentiels et destinés exclusivement à leur destinataire."
    )
    assert body_if_meaningful(text) is None


def test_minimum_word_count_is_a_parameter() -> None:
    msg = _base()
    msg.set_content("Remboursement dossier AST-2026-004217 svp.")
    raw = msg.as_bytes()
    assert parse_email(raw).body_text is None
    assert parse_email(raw, min_body_words=3).body_text is not None


def test_signature_parts_are_not_documents() -> None:
    msg = _base()
    msg.set_content(CLAIM)
    msg.add_attachment(
        b"0\x82\x05\x00", maintype="application", subtype="pkcs7-signature", filename="smime.p7s"
    )
    assert parse_email(msg.as_bytes()).attachments == []


def test_legacy_mime_classes_and_latin1_body_parse() -> None:
    outer = MIMEMultipart()
    outer["From"] = "x@example.fr"
    outer["Subject"] = "facture"
    outer.attach(MIMEText(CLAIM, "plain", "iso-8859-1"))
    pdf = MIMEApplication(PDF, "pdf")
    pdf.add_header("Content-Disposition", "attachment", filename="f.pdf")
    outer.attach(pdf)
    parsed = parse_email(outer.as_bytes(policy=policy.SMTP))
    assert parsed.body_text is not None and "véhicule" in parsed.body_text
    assert parsed.attachments[0].media_type == "application/pdf"


def test_empty_input_is_an_empty_file_and_headerless_bytes_are_corrupt() -> None:
    with pytest.raises(EmptyFile):
        parse_email(b"  \r\n")
    with pytest.raises(CorruptFile):
        parse_email(bytes(random.Random(1).randrange(256) for _ in range(2000)))


def test_html_to_text_keeps_line_structure_and_entities() -> None:
    text = html_to_text("<p>Montant&nbsp;: 12,30&euro;</p><p>Dossier <b>AST-1</b></p>")
    assert text.splitlines() == ["Montant : 12,30€", "Dossier AST-1"]
