"""Why a document could not be processed, in words a gestionnaire understands.

Every error a stage raises for a bad document is a :class:`DocumentError` carrying a
:class:`QuarantineReason`; the runner's single error boundary turns it into a quarantined
record with the original kept. Errors of the installation itself (storage unreachable, a
missing Tesseract) are :class:`MailroomError` but not ``DocumentError``: they are retried or
stop the program, they never quarantine a document. ``docs/quarantine.md`` lists the reasons.
"""

from __future__ import annotations

from enum import StrEnum


class QuarantineReason(StrEnum):
    UNSUPPORTED_TYPE = "unsupported_type"
    EMPTY_FILE = "empty_file"
    CORRUPT_FILE = "corrupt_file"
    ENCRYPTED_PDF = "encrypted_pdf"
    TOO_LARGE = "too_large"
    TOO_MANY_PAGES = "too_many_pages"
    DECOMPRESSION_BOMB = "decompression_bomb"
    NO_TEXT = "no_text"
    OCR_FAILED = "ocr_failed"
    TIMEOUT = "timeout"
    INTERNAL_ERROR = "internal_error"


EXPLANATIONS: dict[QuarantineReason, str] = {
    QuarantineReason.UNSUPPORTED_TYPE: (
        "Ce type de fichier n'est pas pris en charge (PDF, PNG, JPEG, TIFF ou e-mail .eml "
        "attendus)."
    ),
    QuarantineReason.EMPTY_FILE: "Le fichier est vide.",
    QuarantineReason.CORRUPT_FILE: "Le fichier est endommagé et ne peut pas être lu.",
    QuarantineReason.ENCRYPTED_PDF: (
        "Le PDF est protégé par un mot de passe : demander à l'expéditeur une version non protégée."
    ),
    QuarantineReason.TOO_LARGE: "Le fichier dépasse la taille maximale acceptée.",
    QuarantineReason.TOO_MANY_PAGES: "Le document dépasse le nombre de pages maximal accepté.",
    QuarantineReason.DECOMPRESSION_BOMB: (
        "L'image est anormalement grande une fois décompressée (fichier suspect)."
    ),
    QuarantineReason.NO_TEXT: "Aucun texte n'a pu être lu sur le document.",
    QuarantineReason.OCR_FAILED: "La lecture automatique (OCR) du document a échoué.",
    QuarantineReason.TIMEOUT: "La lecture du document a pris trop de temps et a été arrêtée.",
    QuarantineReason.INTERNAL_ERROR: (
        "Une erreur interne a empêché le traitement ; l'original est conservé et l'équipe "
        "technique est prévenue."
    ),
}


class MailroomError(Exception):
    """Base of every error mailroom raises on purpose."""


class ConfigurationError(MailroomError):
    """The installation cannot run: a missing program, a bad setting."""


class StorageError(MailroomError):
    """Storage could not be reached or written. Retried, never a quarantine."""


class DocumentError(MailroomError):
    """A document that cannot be processed. Carries its reason and a sentence for people."""

    reason: QuarantineReason = QuarantineReason.INTERNAL_ERROR

    def __init__(self, detail: str = "", *, reason: QuarantineReason | None = None) -> None:
        if reason is not None:
            self.reason = reason
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        sentence = EXPLANATIONS[self.reason]
        return f"{sentence} ({self.detail})" if self.detail else sentence


class UnsupportedType(DocumentError):
    reason = QuarantineReason.UNSUPPORTED_TYPE


class EmptyFile(DocumentError):
    reason = QuarantineReason.EMPTY_FILE


class CorruptFile(DocumentError):
    reason = QuarantineReason.CORRUPT_FILE


class EncryptedPdf(DocumentError):
    reason = QuarantineReason.ENCRYPTED_PDF


class TooLarge(DocumentError):
    reason = QuarantineReason.TOO_LARGE


class TooManyPages(DocumentError):
    reason = QuarantineReason.TOO_MANY_PAGES


class DecompressionBomb(DocumentError):
    reason = QuarantineReason.DECOMPRESSION_BOMB


class NoText(DocumentError):
    reason = QuarantineReason.NO_TEXT


class OcrFailed(DocumentError):
    reason = QuarantineReason.OCR_FAILED


class ReadTimeout(DocumentError):
    reason = QuarantineReason.TIMEOUT
