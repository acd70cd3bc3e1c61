"""Completeness requests (demandes de pièces): what each open dossier lacks, and asking for it.

:func:`plan_requests` compares each open dossier's ``required_documents`` with the document
types filed for it and says what to do: draft one request per dossier for the missing pieces,
nothing while a request for those pieces is pending, a reminder (relance) after
``reminder_after_days``, narrow a request when some pieces arrived and close it when all did.
Closed dossiers get nothing (and their pending requests are closed).

The texts are Jinja2 templates (``templates/``): an e-mail (text and HTML) and a printable
letter, in French, addressed to the beneficiary, citing the dossier and the policy, listing the
missing pieces in plain words. :class:`Outbox` writes requests as files (``.eml`` and the
letter's ``.html``); :class:`SmtpSender` sends them through an SMTP server.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from mailroom.errors import MailroomError, StorageError
from mailroom.models import DocType
from mailroom.records import CompletenessRequest, Dossier, RequestKind
from validate.settings import RequestSettings

if TYPE_CHECKING:
    from storage.dossiers import DossierRegistry
    from validate.base import RequestSender

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
SIGNATURE = "Le service Remboursements"


class DeliveryError(MailroomError):
    """A request could not be delivered (SMTP server unreachable or refusing). Retried."""


@dataclass(frozen=True)
class RequestAction:
    """One thing to do: ``send`` a new request, ``remind``, ``narrow`` (pieces arrived, some
    still missing) or ``close``. ``request`` is the request as it must be saved; ``send`` and
    ``remind`` must also be delivered."""

    action: Literal["send", "remind", "narrow", "close"]
    request: CompletenessRequest

    @property
    def delivers(self) -> bool:
        return self.action in ("send", "remind")


@dataclass(frozen=True)
class RenderedRequest:
    subject: str
    body_text: str
    body_html: str
    letter_html: str


# --------------------------------------------------------------------------- wording

_EVENT_INVOICE: dict[str, str] = {
    "vehicle_breakdown": "la facture du dépanneur ou du garagiste",
    "accident": "la facture du dépanneur ou du garagiste",
    "medical": "la facture des soins ou de l'hospitalisation",
    "travel": "les factures des frais engagés sur place (hôtel, transport…)",
    "home": "la facture de l'artisan intervenu à votre domicile",
}

_PIECES: dict[str, str] = {
    DocType.INVOICE: "la facture des frais que vous avez avancés",
    DocType.RECEIPT: "les tickets de caisse ou reçus des dépenses avancées",
    DocType.MEDICAL_CERTIFICATE: "le certificat médical (ou l'avis d'arrêt de travail)",
    DocType.BANK_DETAILS: "votre relevé d'identité bancaire (RIB)",
    DocType.CLAIM_LETTER: "votre demande de remboursement écrite et signée, détaillant les frais",
    DocType.OTHER: "les pièces justificatives complémentaires",
}


def piece_label(doc_type: str, dossier: Dossier) -> str:
    """A missing piece in plain words (``votre relevé d'identité bancaire (RIB)``)."""
    if doc_type == DocType.INVOICE and dossier.event_type in _EVENT_INVOICE:
        return _EVENT_INVOICE[dossier.event_type]
    return _PIECES.get(doc_type, f"le document « {doc_type} »")


def _french_date(value: date) -> str:
    """``1er mars 2026``, ``12 mars 2026``."""
    text = format_date(value, format="long", locale="fr_FR")
    return "1er" + text[1:] if value.day == 1 and text.startswith("1 ") else text


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )


def render_request(
    dossier: Dossier,
    missing: Sequence[str],
    *,
    kind: RequestKind,
    today: date | None = None,
    first_sent: date | None = None,
) -> RenderedRequest:
    """The subject, the e-mail (text, HTML) and the printable letter asking for ``missing``."""
    if not missing:
        raise ValueError("a completeness request needs at least one missing piece")
    today = today or date.today()
    subject = (
        f"Relance : pièces manquantes – dossier {dossier.dossier_id}"
        if kind == "reminder"
        else f"Pièces manquantes – dossier {dossier.dossier_id}"
    )
    b = dossier.beneficiary
    context = {
        "dossier": dossier,
        "kind": kind,
        "subject": subject,
        "pieces": [piece_label(t, dossier) for t in missing],
        "greeting": f"Bonjour {b.first_name} {b.last_name}",
        "event_date": _french_date(dossier.event_date) if dossier.event_date else None,
        "first_sent": _french_date(first_sent) if first_sent else None,
        "today": _french_date(today),
        "signature": SIGNATURE,
    }
    env = _environment()
    return RenderedRequest(
        subject=subject,
        body_text=env.get_template("request_email.txt.j2").render(context),
        body_html=env.get_template("request_email.html.j2").render(context),
        letter_html=env.get_template("request_letter.html.j2").render(context),
    )


# --------------------------------------------------------------------------- planning


def _request_id(dossier_id: str, missing: Sequence[str], created_at: datetime) -> str:
    key = f"{dossier_id}|{','.join(missing)}|{created_at.isoformat()}"
    return "req-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _recipient(dossier: Dossier) -> tuple[Literal["email", "letter"], str]:
    b = dossier.beneficiary
    if b.email:
        return "email", formataddr((b.full_name, b.email))
    address = f", {b.address}" if b.address else ""
    return "letter", f"{b.full_name}{address}"


def new_request(dossier: Dossier, missing: Sequence[str], *, now: datetime) -> CompletenessRequest:
    """A pending request for ``missing``, rendered."""
    channel, recipient = _recipient(dossier)
    texts = render_request(dossier, missing, kind="request", today=now.date())
    return CompletenessRequest(
        request_id=_request_id(dossier.dossier_id, missing, now),
        dossier_id=dossier.dossier_id,
        missing=tuple(missing),
        state="pending",
        created_at=now,
        channel=channel,
        recipient=recipient,
        subject=texts.subject,
        body_text=texts.body_text,
        body_html=texts.body_html,
        letter_html=texts.letter_html,
    )


def _rerendered(
    request: CompletenessRequest,
    dossier: Dossier,
    missing: Sequence[str],
    *,
    kind: RequestKind,
    now: datetime,
    **changes: object,
) -> CompletenessRequest:
    texts = render_request(
        dossier, missing, kind=kind, today=now.date(), first_sent=request.created_at.date()
    )
    return request.model_copy(
        update={
            "missing": tuple(missing),
            "subject": texts.subject,
            "body_text": texts.body_text,
            "body_html": texts.body_html,
            "letter_html": texts.letter_html,
            **changes,
        }
    )


def plan_requests(
    dossiers: Sequence[Dossier],
    received: Mapping[str, set[str]],
    existing: Sequence[CompletenessRequest],
    *,
    now: datetime,
    settings: RequestSettings,
) -> list[RequestAction]:
    """What to send, remind, narrow or close, given what each dossier has received.

    ``received`` maps a dossier id to the doc types filed for it; ``existing`` are the requests
    already saved (any state). Running it again with the same inputs plans nothing new.
    """
    delay = timedelta(days=settings.reminder_after_days)
    active: dict[str, list[CompletenessRequest]] = {}
    for request in existing:
        if request.is_active:
            active.setdefault(request.dossier_id, []).append(request)
    actions: list[RequestAction] = []
    for dossier in sorted(dossiers, key=lambda d: d.dossier_id):
        mine = sorted(active.get(dossier.dossier_id, []), key=lambda r: r.created_at)
        if not dossier.is_open:
            actions.extend(
                RequestAction("close", r.model_copy(update={"state": "closed", "closed_at": now}))
                for r in mine
            )
            continue
        have = {str(t) for t in received.get(dossier.dossier_id, set())}
        missing = list(dict.fromkeys(str(t) for t in dossier.required_documents if t not in have))
        covered: set[str] = set()
        for request in mine:
            still = [t for t in request.missing if t in missing]
            if not still:
                closed = request.model_copy(update={"state": "closed", "closed_at": now})
                actions.append(RequestAction("close", closed))
                continue
            covered.update(still)
            last_sent = request.reminded_at or request.created_at
            if now - last_sent >= delay:
                reminded = _rerendered(
                    request,
                    dossier,
                    still,
                    kind="reminder",
                    now=now,
                    state="reminded",
                    reminded_at=now,
                )
                actions.append(RequestAction("remind", reminded))
            elif tuple(still) != request.missing:
                kind: RequestKind = "reminder" if request.reminded_at else "request"
                actions.append(
                    RequestAction(
                        "narrow", _rerendered(request, dossier, still, kind=kind, now=now)
                    )
                )
        uncovered = [t for t in missing if t not in covered]
        if uncovered:
            actions.append(RequestAction("send", new_request(dossier, uncovered, now=now)))
    log.info(
        "completeness: %s",
        ", ".join(f"{a.action} {a.request.dossier_id}" for a in actions) or "nothing to do",
    )
    return actions


# --------------------------------------------------------------------------- delivery


def build_message(request: CompletenessRequest, sender: str) -> EmailMessage:
    """The request as an e-mail: plain text with an HTML alternative."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = request.recipient
    msg["Subject"] = request.subject
    msg["Date"] = format_datetime(request.reminded_at or request.created_at)
    msg["Message-ID"] = make_msgid(idstring=request.request_id)
    msg["X-Mailroom-Dossier"] = request.dossier_id
    msg["X-Mailroom-Request"] = request.request_id
    msg.set_content(request.body_text)
    msg.add_alternative(request.body_html, subtype="html")
    return msg


def _file_stem(request: CompletenessRequest) -> str:
    when = request.reminded_at or request.created_at
    return f"{request.request_id}-{request.kind}-{when.strftime('%Y%m%dT%H%M%S')}"


class Outbox:
    """Writes each delivery as files: ``<id>-<kind>-<when>.eml`` (e-mail requests) and
    ``<id>-<kind>-<when>.html`` (the printable letter, always)."""

    def __init__(self, outbox_dir: Path, *, sender: str) -> None:
        self.outbox_dir = Path(outbox_dir)
        self.sender = sender

    def deliver(self, request: CompletenessRequest) -> list[Path]:
        stem = _file_stem(request)
        written: list[Path] = []
        try:
            self.outbox_dir.mkdir(parents=True, exist_ok=True)
            letter = self.outbox_dir / f"{stem}.html"
            letter.write_text(request.letter_html, encoding="utf-8")
            written.append(letter)
            if request.channel == "email":
                eml = self.outbox_dir / f"{stem}.eml"
                eml.write_bytes(build_message(request, self.sender).as_bytes())
                written.append(eml)
        except OSError as e:
            raise StorageError(f"cannot write to the outbox {self.outbox_dir}: {e}") from e
        log.info("request %s for %s written to %s", request.request_id, request.dossier_id, stem)
        return written


class SmtpSender:
    """Sends e-mail requests through SMTP (STARTTLS and login when configured); letter requests
    (no e-mail address) go to ``letters`` for printing."""

    def __init__(self, settings: RequestSettings, *, letters: Outbox, timeout_s: float = 30.0):
        self.settings = settings
        self.letters = letters
        self.timeout_s = timeout_s

    def deliver(self, request: CompletenessRequest) -> list[Path]:
        if request.channel != "email":
            return self.letters.deliver(request)
        s = self.settings
        msg = build_message(request, s.sender)
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout_s) as smtp:
                smtp.ehlo()
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if s.smtp_user:
                    password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                    smtp.login(s.smtp_user, password)
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as e:
            # Never the password: the settings' SecretStr is not formatted here.
            raise DeliveryError(
                f"envoi de la demande {request.request_id} via {s.smtp_host}:{s.smtp_port} "
                f"impossible : {e.__class__.__name__}: {e}"
            ) from e
        log.info("request %s for %s sent by SMTP", request.request_id, request.dossier_id)
        return []


def make_sender(settings: RequestSettings, data_dir: Path) -> Outbox | SmtpSender:
    """The delivery the settings ask for (``outbox`` or ``smtp``)."""
    outbox = Outbox(settings.outbox_dir or Path(data_dir) / "outbox", sender=settings.sender)
    if settings.delivery == "smtp":
        return SmtpSender(settings, letters=outbox)
    return outbox


def received_by_dossier(registry: DossierRegistry) -> dict[str, set[str]]:
    """The doc types filed in the GED for each dossier."""
    out: dict[str, set[str]] = {}
    for entry in registry.ged_entries():
        out.setdefault(entry.dossier_id, set()).add(str(entry.doc_type))
    return out


def run_completeness(
    registry: DossierRegistry,
    sender: RequestSender,
    *,
    now: datetime,
    settings: RequestSettings,
) -> list[RequestAction]:
    """Plan from the registry's dossiers, GED and requests, deliver what must go out, save.

    A request is saved only once delivered, so a delivery that fails is planned again next
    time rather than lost.
    """
    actions = plan_requests(
        registry.all(),
        received_by_dossier(registry),
        registry.requests(),
        now=now,
        settings=settings,
    )
    for action in actions:
        if action.delivers:
            sender.deliver(action.request)
        registry.save_request(action.request)
    return actions
