"""The validate stage's swappable parts, as Protocols.

The real ones are pure functions: :func:`validate.matching.match_document` (a
:class:`Matcher`), :func:`validate.checks.run_checks` (:class:`DocumentChecks`) and
:func:`validate.fraud.fraud_checks` (:class:`FraudChecks`); ``build_pipeline`` hands them to
the pipeline, and a test may hand it others. A completeness request leaves the building
through a :class:`RequestSender` (an outbox of files, or SMTP).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mailroom.models import Check, Document, Match
    from mailroom.records import CompletenessRequest, Dossier
    from storage.base import MetadataStore
    from storage.dossiers import DossierRegistry
    from storage.fraud import FraudStore
    from validate.fraud import FraudInputs
    from validate.matching import DossierIndex
    from validate.settings import DossierSettings, FraudSettings


class Matcher(Protocol):
    """The dossier a document belongs to, or the candidates a person must choose from."""

    def __call__(
        self,
        doc: Document,
        dossiers: Sequence[Dossier] | DossierIndex,
        settings: DossierSettings,
        /,
    ) -> Match: ...


class DocumentChecks(Protocol):
    """The business checks of a document against its dossier (or none)."""

    def __call__(
        self,
        doc: Document,
        dossier: Dossier | None,
        /,
        *,
        registry: DossierRegistry,
        settings: DossierSettings,
        today: date,
    ) -> list[Check]: ...


class FraudChecks(Protocol):
    """The fraud signals of a document (``fraud.*`` checks); keeps its hashes in ``store``."""

    def __call__(
        self,
        doc: Document,
        inputs: FraudInputs,
        store: FraudStore,
        documents: MetadataStore,
        settings: FraudSettings,
        /,
    ) -> list[Check]: ...


class RequestSender(Protocol):
    def deliver(self, request: CompletenessRequest) -> list[Path]: ...
