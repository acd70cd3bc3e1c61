"""The mailbox a watcher reads: the Protocol the IMAP adapter (:mod:`ingest.imap`) implements.

Messages are named by their UID inside one UIDVALIDITY of one folder. A mailbox never marks a
message by reading it (fetches are ``BODY.PEEK``); only :meth:`Mailbox.mark_done` and
:meth:`Mailbox.set_aside` change it on the server.
"""

from __future__ import annotations

import threading
from typing import Protocol

from mailroom.errors import MailroomError


class MailboxUnavailable(MailroomError):
    """The server cannot be reached, dropped the connection or refused a command: the watcher
    reconnects and tries again; no message is blamed for it."""


class Mailbox(Protocol):
    @property
    def label(self) -> str:
        """``user@host:port/folder``: names the mailbox in logs and in the journal."""
        ...

    def open(self) -> int:
        """Connect, log in, select the folder; returns its UIDVALIDITY."""
        ...

    def pending_uids(self) -> list[int]:
        """UIDs of the messages not yet marked done nor set aside, ascending."""
        ...

    def fetch(self, uid: int) -> bytes | None:
        """The raw message (RFC 5322 bytes), without setting ``\\Seen``; None if it is gone."""
        ...

    def mark_done(self, uid: int) -> None: ...

    def set_aside(self, uid: int, reason: str) -> None: ...

    def wait(self, timeout_s: float, stop_event: threading.Event) -> bool:
        """Wait for new mail (IDLE), at most ``timeout_s``; True if the server announced some."""
        ...

    def source_path(self, uidvalidity: int, uid: int) -> str:
        """``imap://user@host/INBOX;UIDVALIDITY=..;UID=..`` (RFC 5092)."""
        ...

    def close(self) -> None: ...
