"""The validate stage's swappable parts, as Protocols.

Matching and checks are pure functions (:func:`validate.matching.match_document`,
:func:`validate.checks.run_checks`); what varies is how a completeness request leaves the
building (an outbox of files, or SMTP) and which matcher the pipeline uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mailroom.models import Document, Match
    from mailroom.records import CompletenessRequest, Dossier
    from validate.settings import DossierSettings


class Matcher(Protocol):
    def __call__(
        self, doc: Document, dossiers: Sequence[Dossier], settings: DossierSettings, /
    ) -> Match: ...


class RequestSender(Protocol):
    def deliver(self, request: CompletenessRequest) -> list[Path]: ...
