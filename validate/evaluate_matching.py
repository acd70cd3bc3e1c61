"""How well matching does against documents whose true dossier is known.

:func:`score_matching` sorts every case into one outcome:

* ``right``: matched automatically to its true dossier;
* ``wrong``: matched automatically to another dossier, or matched while it belongs to none
  (the worst error);
* ``review_listed``: not matched, its true dossier among the candidates shown to the person;
* ``review_no_dossier``: not matched, and it belongs to no dossier (unknown sender, advert…);
* ``review_no_key``: not matched, belongs to a dossier, but offers no key at all (no candidate):
  a person must look, which is the right outcome for e.g. a lone till receipt;
* ``review_misleading``: not matched, its true dossier missing from non-empty candidates.

``correct`` counts all but ``wrong`` and ``review_misleading``. :func:`cases_from_expected`
builds Documents straight from ``samples/expected/*.json`` (fields and page texts, no OCR).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailroom.models import (
    DocType,
    Document,
    EmailInfo,
    ExtractedField,
    Page,
    Source,
    document_id_for,
    sha256_hex,
)
from mailroom.records import Dossier
from validate.matching import match_document
from validate.settings import DossierSettings

log = logging.getLogger(__name__)

OUTCOMES = (
    "right",
    "wrong",
    "review_listed",
    "review_no_dossier",
    "review_no_key",
    "review_misleading",
)
_AMOUNT_FIELDS = {"total_excl_tax", "vat_amount", "total_incl_tax", "requested_amount"}
_DATE_FIELDS = {"invoice_date", "receipt_date", "issue_date", "incapacity_start", "incapacity_end"}


def outcome(doc: Document, truth: str | None) -> str:
    match = doc.match
    if match is None:
        raise ValueError(f"{doc.document_id} has not been matched")
    if match.status == "matched":
        return "right" if match.dossier_id == truth else "wrong"
    if truth is None:
        return "review_no_dossier"
    if not match.candidates:
        return "review_no_key"
    if any(c.dossier_id == truth for c in match.candidates):
        return "review_listed"
    return "review_misleading"


def score_matching(
    cases: Sequence[tuple[Document, str | None]],
    dossiers: Sequence[Dossier],
    settings: DossierSettings | None = None,
) -> dict[str, Any]:
    """Match every case's document and count the outcomes (see the module's docstring)."""
    settings = settings or DossierSettings()
    counts: Counter[str] = Counter({o: 0 for o in OUTCOMES})
    details: list[dict[str, Any]] = []
    for doc, truth in cases:
        doc = doc.model_copy()
        doc.match = match_document(doc, dossiers, settings)
        result = outcome(doc, truth)
        counts[result] += 1
        details.append(
            {
                "document": doc.source.path or doc.document_id,
                "truth": truth,
                "status": doc.match.status,
                "dossier_id": doc.match.dossier_id,
                "score": doc.match.score,
                "outcome": result,
                "candidates": [c.dossier_id for c in doc.match.candidates],
            }
        )
    total = len(cases)
    with_dossier = sum(1 for _, truth in cases if truth is not None)
    correct = total - counts["wrong"] - counts["review_misleading"]
    return {
        "total": total,
        "counts": dict(counts),
        "wrong_automatic_matches": counts["wrong"],
        "right_automatic_matches": counts["right"],
        "correct": correct,
        "correct_share": round(correct / total, 4) if total else None,
        "automatic_share": round(counts["right"] / with_dossier, 4) if with_dossier else None,
        "details": details,
    }


# --------------------------------------------------------------------------- samples


def _field(name: str, value: str) -> ExtractedField:
    kind = "amount" if name in _AMOUNT_FIELDS else "date" if name in _DATE_FIELDS else "text"
    return ExtractedField.model_validate(
        {"value": value, "confidence": 1.0, "page": 1, "kind": kind}
    )


def _document(
    name: str, entry: dict[str, Any], channel: str, email: EmailInfo | None
) -> Document | None:
    pages = entry.get("pages") or []
    if not entry.get("doc_type") or not pages:
        return None  # nothing to read: quarantined before matching
    text = "\n".join(p["text"] for p in pages)
    sha = sha256_hex(f"{name}\n{text}".encode())
    return Document(
        document_id=document_id_for(sha),
        sha256=sha,
        source=Source(channel=channel, path=name, email=email),  # type: ignore[arg-type]
        page_count=len(pages),
        pages=[
            Page(number=i, width=595.0, height=842.0, text=p["text"], text_source="pdf_text")
            for i, p in enumerate(pages, start=1)
        ],
        doc_type=DocType(entry["doc_type"]),
        doc_type_confidence=1.0,
        fields={n: _field(n, v) for n, v in entry.get("fields", {}).items()},
    )


def cases_from_expected(expected_dir: Path) -> list[tuple[Document, str | None]]:
    """One case per document (an e-mail gives one per part with text) and its true dossier."""
    cases: list[tuple[Document, str | None]] = []
    for path in sorted(Path(expected_dir).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "parts" in data:
            email = EmailInfo.model_validate(
                {
                    "message_id": data.get("message_id"),
                    "from": data.get("from"),
                    "subject": data.get("subject"),
                    "date": datetime.now(UTC) if False else None,
                }
            )
            for k, part in enumerate(data["parts"]):
                doc = _document(f"{path.stem}#{k}", part, "email", email)
                if doc is not None:
                    cases.append((doc, part.get("dossier_id")))
            continue
        doc = _document(path.stem, data, data.get("channel", "scan"), None)
        if doc is not None:
            cases.append((doc, data.get("dossier_id")))
    return cases
