"""Errors of the ingest stage that are not a document's fault."""

from __future__ import annotations

from pathlib import Path

from mailroom.errors import MailroomError


class InputNotFound(MailroomError):
    """A path given on the command line does not exist: bad arguments, not a bad document."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"input not found: {path}")
