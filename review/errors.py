"""What the review refuses, and why: the exceptions the routes turn into pages."""

from __future__ import annotations

from mailroom.errors import MailroomError


class Refused(MailroomError):
    """The user's role does not allow this (a medical document for a non-medical role)."""


class NotFound(MailroomError, KeyError):
    """No such document or dossier."""


class ActionError(MailroomError, ValueError):
    """An action that cannot be done now (approve without a dossier...); message for the user."""


class NeedsReason(ActionError):
    """Approval of a document with a failed check, without a reason typed."""

    def __init__(self, message: str, failing: list[str]) -> None:
        super().__init__(message)
        self.failing = failing


class NeedsConfirmation(ActionError):
    """A dossier chosen below the match threshold, not yet confirmed."""

    def __init__(self, message: str, dossier_id: str, score: float) -> None:
        super().__init__(message)
        self.dossier_id = dossier_id
        self.score = score
