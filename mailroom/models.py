"""The Document that flows through the stages, and its small frozen parts.

What the CLI prints with ``--json`` is :meth:`Document.to_record`, the serialisation of this
model described in CONTRACT.md, never a hand-written dict. Pixels never live here: pages hold
object-store keys, not arrays. Money is ``Decimal`` and dates are ``date`` inside; they become
the contract's strings only at the edge.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mailroom.errors import QuarantineReason


class DocType(StrEnum):
    INVOICE = "invoice"
    RECEIPT = "receipt"
    MEDICAL_CERTIFICATE = "medical_certificate"
    BANK_DETAILS = "bank_details"
    CLAIM_LETTER = "claim_letter"
    OTHER = "other"


class Status(StrEnum):
    RECEIVED = "received"  # in flight; never a final status
    FILED = "filed"
    NEEDS_REVIEW = "needs_review"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"
    SPLIT = "split"  # an e-mail whose parts became documents of their own; never printed
    # a scan batch's document replaced by a person's new cut of the batch (``superseded_by``
    # names its successors): kept for its history, out of the queue, the GED and the counts
    SUPERSEDED = "superseded"


FINAL_STATUSES = frozenset(
    {Status.FILED, Status.NEEDS_REVIEW, Status.QUARANTINED, Status.DUPLICATE}
)


Channel = Literal["scan", "email", "upload"]
SplitMode = Literal["separators", "auto", "off"]  # how a scanned stack is cut (ingest/split.py)
TextSource = Literal["pdf_text", "ocr", "mixed"]
FieldValue = str | Decimal | date


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BBox(Frozen):
    """A rectangle in PDF points from the page's top-left corner."""

    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def union(cls, boxes: list[BBox]) -> BBox:
        return cls(
            x0=min(b.x0 for b in boxes),
            y0=min(b.y0 for b in boxes),
            x1=max(b.x1 for b in boxes),
            y1=max(b.y1 for b in boxes),
        )

    def overlaps(self, other: BBox) -> bool:
        """Whether the two rectangles share some area."""
        return min(self.x1, other.x1) > max(self.x0, other.x0) and \
            min(self.y1, other.y1) > max(self.y0, other.y0)

    def as_list(self) -> list[float]:
        return [round(self.x0, 2), round(self.y0, 2), round(self.x1, 2), round(self.y1, 2)]


class Word(Frozen):
    """One word as read, with its box and the reader's confidence (0-100)."""

    text: str
    bbox: BBox
    confidence: float = 100.0
    line: int = 0  # line number within the page, in reading order
    block: int = 0

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # A page holds hundreds of words and every read page crosses a process boundary:
        # pickled as plain values, a word travels several times faster than pydantic's state.
        b = self.bbox
        return _word, (self.text, b.x0, b.y0, b.x1, b.y1, self.confidence, self.line, self.block)


def _word(
    text: str, x0: float, y0: float, x1: float, y1: float, confidence: float, line: int,
    block: int,
) -> Word:
    """A word from values that were valid when it was pickled (no second validation)."""
    return Word.model_construct(
        text=text, bbox=BBox.model_construct(x0=x0, y0=y0, x1=x1, y1=y1),
        confidence=confidence, line=line, block=block,
    )


# a till roll prints 32 to 56 characters a line (57 to 80 mm paper), a letter or an invoice
# on A4 some 75 to 140
TILL_ROLL_MAX_CHARS = 60
TILL_ROLL_MIN_WORDS = 8


def chars_per_line(words: Iterable[tuple[str, float, float]]) -> float | None:
    """How many characters a page's lines hold, from its words' ``(text, x0, x1)``: the width
    of its text over the median width of a character in its words of three letters or more
    (None: too few words to tell)."""
    words = list(words)
    sized = [(x1 - x0) / len(t) for t, x0, x1 in words if len(t) >= 3 and t.isalnum()]
    if len(sized) < TILL_ROLL_MIN_WORDS:
        return None
    char_w = statistics.median(sized)
    extent = _percentile(sorted(x1 for _, _, x1 in words), 98) - \
        _percentile(sorted(x0 for _, x0, _ in words), 2)
    return extent / char_w if char_w > 0 else None


def prints_as_till_roll(words: Iterable[tuple[str, float, float]]) -> bool:
    """The lines of these words (``(text, x0, x1)``) hold no more characters than a till
    roll's."""
    capacity = chars_per_line(words)
    return capacity is not None and capacity <= TILL_ROLL_MAX_CHARS


def _percentile(ordered: list[float], q: float) -> float:
    """The q-th percentile of sorted values, interpolated linearly (numpy's default)."""
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


class Page(Frozen):
    number: int  # 1-based
    width: float  # PDF points, of the upright page
    height: float
    text: str
    words: tuple[Word, ...] = ()
    text_source: Literal["pdf_text", "ocr"]
    ocr_confidence: float | None = None  # mean word confidence 0-100, OCR pages only
    rotation: int = 0  # degrees applied to make the page upright (0/90/180/270)
    deskew_angle: float = 0.0
    image_key: str | None = None  # object-store key of the upright page image, when rendered
    # Tesseract's work on an OCR page: full-page recognitions, and the smaller readings
    # (orientation detections, one-line re-readings of doubtful values)
    recognitions: int = 0
    other_readings: int = 0

    def prints_as_till_roll(self) -> bool:
        """The page's lines hold no more characters than a till roll's (whatever the shape
        of the photograph or scan around it)."""
        return prints_as_till_roll((w.text, w.bbox.x0, w.bbox.x1) for w in self.words)


class Learned(Frozen):
    """Where a value learned from corrections came from: how many corrected documents taught
    it, and whether they were found by the sender (``"SIRET 84212345600017"``) or by the
    layout (the printed labels' fingerprint, with its similarity)."""

    corrections: int
    sender: str | None = None
    layout: float | None = None  # fingerprint similarity (0-1) when found by layout

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"corrections": self.corrections}
        if self.sender is not None:
            out["sender"] = self.sender
        if self.layout is not None:
            out["layout"] = round(self.layout, 3)
        return out


class ExtractedField(Frozen):
    """One field's value, how sure we are of it, and where it is on which page.

    ``kind`` says how ``value`` is typed so that a stored record reads back exactly (JSON has
    no Decimal or date); it is inferred from the value when not given. ``learned`` is set when
    the value was read at the place corrections of the same sender or layout taught.
    """

    value: FieldValue
    confidence: float  # 0-1
    page: int | None = None
    bbox: BBox | None = None
    source: str = "text"  # "text", "facturx", "correction", ...
    kind: Literal["text", "amount", "date"] = "text"
    learned: Learned | None = None

    @model_validator(mode="before")
    @classmethod
    def _typed_value(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "value" not in data:
            return data
        data = dict(data)
        value = data["value"]
        kind = data.get("kind")
        if kind is None:
            kind = (
                "amount"
                if isinstance(value, Decimal)
                else "date"
                if isinstance(value, date)
                else "text"
            )
            data["kind"] = kind
        if kind == "amount" and not isinstance(value, Decimal):
            data["value"] = Decimal(str(value))
        elif kind == "date" and isinstance(value, str):
            data["value"] = date.fromisoformat(value)
        if isinstance(data.get("bbox"), list | tuple):
            x0, y0, x1, y1 = data["bbox"]
            data["bbox"] = {"x0": x0, "y0": y0, "x1": x1, "y1": y1}
        return data

    def record(self) -> dict[str, Any]:
        """The contract's form: ``{"value", "confidence", "page", "bbox"}``."""
        out: dict[str, Any] = {
            "value": format_value(self.value),
            "confidence": round(self.confidence, 3),
        }
        if self.page is not None:
            out["page"] = self.page
        if self.bbox is not None:
            out["bbox"] = self.bbox.as_list()
        if self.learned is not None:
            out["learned"] = self.learned.record()
        return out


def format_value(value: FieldValue) -> str:
    """The contract's text form: amounts with two decimals, ISO dates, strings as they are."""
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01')):f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


class Check(Frozen):
    code: str
    status: Literal["pass", "warn", "fail"]
    message: str
    blocking: bool = False


class MatchCandidate(Frozen):
    dossier_id: str
    score: float
    reasons: tuple[str, ...] = ()


class Match(Frozen):
    status: Literal["matched", "ambiguous", "unmatched"]
    dossier_id: str | None = None
    score: float | None = None
    candidates: tuple[MatchCandidate, ...] = ()


class EmailInfo(Frozen):
    message_id: str | None = None
    from_: str | None = Field(default=None, alias="from", serialization_alias="from")
    subject: str | None = None
    date: datetime | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Source(Frozen):
    channel: Channel = "upload"
    path: str | None = None  # where the input was found; for an email part: "<eml path>#<part>"
    email: EmailInfo | None = None
    filename: str | None = None  # the name the sender gave; never used as a path
    default_type: DocType | None = None  # what the channel says it carries (a folder route)
    split_mode: SplitMode | None = None  # how the channel says its stacks are cut (a route)
    pages: tuple[int, int] | None = None  # [first, last] 1-based pages of the file at ``path``


class BatchLayout(Frozen):
    """How a scan batch was cut, kept on the batch's record: the pages that belong to no
    document, the dossier references its separator sheets carry, who cut it last."""

    method: str  # "separators", "evidence", "person" (a gestionnaire's cut)
    separators: tuple[int, ...] = ()  # 1-based pages of the batch file
    blanks: tuple[int, ...] = ()
    references: dict[int, str] = Field(default_factory=dict)  # separator page -> dossier
    unsure: tuple[int, ...] = ()  # pages whose boundary (or its absence) the split doubted

    @property
    def dropped(self) -> frozenset[int]:
        return frozenset(self.separators) | frozenset(self.blanks)


class Document(BaseModel):
    """One document, from its original bytes to its final status."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    document_id: str
    sha256: str
    source: Source
    media_type: str | None = None
    size: int = 0
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    original_key: str | None = None
    parent_id: str | None = None  # the email a body or attachment came from
    page_count: int | None = None
    pages: list[Page] = Field(default_factory=list)
    doc_type: DocType | None = None
    doc_type_confidence: float | None = None
    fields: dict[str, ExtractedField] = Field(default_factory=dict)
    match: Match | None = None
    checks: list[Check] = Field(default_factory=list)
    status: Status = Status.RECEIVED
    reason: str | None = None
    quarantine_reason: QuarantineReason | None = None
    duplicate_of: str | None = None
    ged_entry_id: str | None = None
    completeness_request_id: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)  # stage name -> seconds
    batch: BatchLayout | None = None  # a scan batch cut into documents: how it was cut
    superseded_by: list[str] = Field(default_factory=list)  # SUPERSEDED: the documents after
    # the model versions that read it: {"classifier": "base" | "doctype-2-…", "rankers": …}
    models: dict[str, str] = Field(default_factory=dict)

    @property
    def text_source(self) -> TextSource | None:
        sources = {p.text_source for p in self.pages}
        if not sources:
            return None
        if len(sources) > 1:
            return "mixed"
        return "pdf_text" if sources == {"pdf_text"} else "ocr"

    @property
    def ocr_confidence(self) -> float | None:
        """Mean word confidence over the OCR'd pages, weighted by their word count."""
        total = 0.0
        count = 0
        for page in self.pages:
            if page.text_source == "ocr" and page.words:
                total += sum(w.confidence for w in page.words)
                count += len(page.words)
        return round(total / count, 1) if count else None

    @property
    def text(self) -> str:
        return "\n\f".join(p.text for p in self.pages)

    def to_record(self) -> dict[str, Any]:
        """The contract's JSON record. Stages not yet run are left out rather than faked."""
        record: dict[str, Any] = {
            "document_id": self.document_id,
            "sha256": self.sha256,
            "source": self.source.model_dump(mode="json", by_alias=True, exclude_none=True),
            "page_count": self.page_count,
        }
        if self.doc_type is not None:
            record["doc_type"] = self.doc_type.value
            record["doc_type_confidence"] = self.doc_type_confidence
        if self.pages:
            record["text_source"] = self.text_source
            if self.ocr_confidence is not None:
                record["ocr_confidence"] = self.ocr_confidence
        if self.doc_type is not None:
            record["fields"] = {name: f.record() for name, f in self.fields.items()}
        if self.match is not None:
            record["match"] = self.match.model_dump(mode="json", exclude_none=True)
        if self.checks:
            record["checks"] = [
                c.model_dump(mode="json", exclude={"blocking"}) for c in self.checks
            ]
        record["status"] = self.status.value
        if self.reason is not None:
            record["reason"] = self.reason
        if self.quarantine_reason is not None:
            record["quarantine_reason"] = self.quarantine_reason.value
        if self.duplicate_of is not None:
            record["duplicate_of"] = self.duplicate_of
        if self.parent_id is not None:
            record["parent_id"] = self.parent_id
        if self.superseded_by:
            record["superseded_by"] = list(self.superseded_by)
        if self.models:
            record["models"] = dict(self.models)
        record["ged_entry_id"] = self.ged_entry_id
        record["completeness_request_id"] = self.completeness_request_id
        return record


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_id_for(sha256: str) -> str:
    """The stable id of a document: the same bytes always give the same id."""
    return f"doc-{sha256[:20]}"
