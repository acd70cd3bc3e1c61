"""A completeness request sent through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from pydantic import SecretStr

from mailroom.models import DocType
from mailroom.records import Beneficiary, Dossier
from validate.completeness import DeliveryError, Outbox, SmtpSender, new_request
from validate.settings import RequestSettings


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        self.messages.append((envelope, email.message_from_bytes(raw, policy=policy.default)))  # type: ignore[arg-type]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_server_with_login() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()

    def authenticate(
        server: SmtpServer, session: Session, envelope: Envelope, mechanism: str, auth_data: object
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == b"mailroom"
            and (auth_data.password == b"s3cret")
        )
        return AuthResult(success=ok, handled=False)

    controller = Controller(  # plain-text AUTH is fine on loopback, for a test
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


DOSSIER = Dossier(
    dossier_id="AST-2026-004217",
    policy_number="CTR88412077",
    event_date=date(2026, 3, 1),
    event_type="vehicle_breakdown",
    beneficiary=Beneficiary(
        first_name="Hélène", last_name="LEFÈVRE", email="helene.lefevre@example.fr"
    ),
    required_documents=(DocType.INVOICE, DocType.BANK_DETAILS),
)


def _request():  # type: ignore[no-untyped-def]
    return new_request(
        DOSSIER, ["invoice", "bank_details"], now=datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    )


def test_a_request_is_delivered_and_parsed_back(
    smtp_server: tuple[_Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp_server
    settings = RequestSettings(delivery="smtp", smtp_host="127.0.0.1", smtp_port=port)
    sender = SmtpSender(settings, letters=Outbox(tmp_path, sender=settings.sender))
    sender.deliver(_request())
    ((envelope, msg),) = inbox.messages
    assert envelope.rcpt_tos == ["helene.lefevre@example.fr"]
    assert msg["Subject"] == "Pièces manquantes – dossier AST-2026-004217"
    assert "Hélène LEFÈVRE" in str(msg["To"])
    assert msg["X-Mailroom-Dossier"] == "AST-2026-004217"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Bonjour Hélène LEFÈVRE" in text
    assert "votre relevé d'identité bancaire (RIB)" in text
    assert "contrat n° CTR88412077" in text
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<li>" in html


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_is_used_and_the_password_never_appears_in_errors(
    smtp_server_with_login: tuple[_Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp_server_with_login
    good = RequestSettings(
        delivery="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_user="mailroom",
        smtp_password=SecretStr("s3cret"),
    )
    SmtpSender(good, letters=Outbox(tmp_path, sender=good.sender)).deliver(_request())
    assert len(inbox.messages) == 1
    bad = good.model_copy(update={"smtp_password": SecretStr("wrong-pw")})
    with pytest.raises(DeliveryError) as caught:
        SmtpSender(bad, letters=Outbox(tmp_path, sender=bad.sender), timeout_s=5).deliver(
            _request()
        )
    assert "SMTPAuthenticationError" in str(caught.value)
    assert "wrong-pw" not in str(caught.value)
    assert len(inbox.messages) == 1


def test_an_unreachable_server_is_a_delivery_error(tmp_path: Path) -> None:
    settings = RequestSettings(delivery="smtp", smtp_host="127.0.0.1", smtp_port=_free_port())
    with pytest.raises(DeliveryError):
        SmtpSender(settings, letters=Outbox(tmp_path, sender=settings.sender), timeout_s=2).deliver(
            _request()
        )
