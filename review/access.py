"""Who may see what: medical certificates (secret médical) and the containers that hold one."""

from __future__ import annotations

from mailroom.models import DocType, Document, Status
from review.store import User


def is_medical(doc: Document) -> bool:
    return doc.doc_type is DocType.MEDICAL_CERTIFICATE


def is_container(doc: Document) -> bool:
    """An input whose parts became documents of their own (an e-mail, a scan batch)."""
    return doc.status is Status.SPLIT or doc.media_type == "message/rfc822"


def may_see_medical(user: User) -> bool:
    return user.role == "medical"
