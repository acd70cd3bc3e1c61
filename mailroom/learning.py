"""Learning from corrections, end to end: recording a correction (from the review application
or ``mailroom corrections import``), and reading a new document with the corrections of its
sender or layout (the pipeline's ``learn`` stage). ``docs/learning.md`` tells the whole story.

A correction records the document's corrected values, where each sits on its pages
(:func:`extract.fields.learned.teach`), the document's sender keys and its layout fingerprint.
Recording never changes a filed document; a document still in review takes its corrected
fields (and type) at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extract.fields.base import FIELDS_BY_TYPE
from extract.fields.fingerprint import Fingerprint
from extract.fields.learned import (
    LEARNABLE,
    Lesson,
    Place,
    apply_lessons,
    describe_key,
    drawn_place,
    sender_keys_of_fields,
    sender_keys_of_pages,
    teach,
)
from mailroom.models import (
    BBox,
    DocType,
    Document,
    ExtractedField,
    FieldValue,
    Status,
    format_value,
)
from mailroom.settings import LearningSettings

if TYPE_CHECKING:
    from mailroom.pipeline import Pipeline
    from storage.corrections import Correction, CorrectionStore

log = logging.getLogger(__name__)

CORRECTED_CONFIDENCE = 1.0


def make_correction(
    doc: Document,
    values: Mapping[str, FieldValue],
    username: str,
    doc_type: DocType | None = None,
    *,
    drawn: Mapping[str, tuple[int, BBox]] | None = None,
    earlier: Correction | None = None,
) -> Correction:
    """The correction of ``doc``: its corrected ``values`` (typed), where they are printed, its
    sender keys (from its identifiers as corrected, and its e-mail sender) and fingerprint.
    ``drawn``: boxes the gestionnaire drew (page, box) for values the reading missed there;
    ``earlier``: the document's previous correction, whose drawn places are kept for the
    values that did not change."""
    from storage.corrections import Correction

    kind = doc_type or doc.doc_type or DocType.OTHER
    texts = {name: format_value(v) for name, v in values.items()}
    drawn = dict(drawn or {})
    hints = {
        name: (f.page, f.bbox)
        for name, f in doc.fields.items()
        if name in texts and f.page is not None and f.bbox is not None
        and format_value(f.value) == texts[name]
    } | drawn
    places = teach(doc.pages, texts, hints)  # type: ignore[arg-type]
    places |= _drawn_places(doc, texts, drawn, places, earlier)
    identifiers = {n: format_value(f.value) for n, f in doc.fields.items()} | texts
    email = doc.source.email.from_ if doc.source.email is not None else None
    return Correction(
        document_id=doc.document_id,
        sha256=doc.sha256,
        doc_type=kind.value,
        username=username,
        values=texts,
        places=tuple(places.values()),
        sender_keys=tuple(sorted(sender_keys_of_fields(identifiers, email))),
        signature=Fingerprint.of(doc.pages).signature,
    )


def _drawn_places(
    doc: Document,
    texts: Mapping[str, str],
    drawn: Mapping[str, tuple[int, BBox]],
    found: Mapping[str, Place],
    earlier: Correction | None,
) -> dict[str, Place]:
    """The places of drawn boxes: where the value was not found printed inside the box (a
    value the reading missed or misread), the box itself; an earlier drawn place stays while
    its value is the same and nothing new was drawn or found for it."""
    out: dict[str, Place] = {}
    pages = {p.number: p for p in doc.pages}
    for name, (number, box) in drawn.items():
        place = found.get(name)
        if name not in texts or number not in pages or name not in LEARNABLE:
            continue
        if place is None or place.page != number or not place.box.overlaps(box):
            out[name] = drawn_place(name, texts[name], pages[number], box)
    for place in earlier.places if earlier is not None else ():
        if place.drawn and place.name not in drawn and place.name not in found \
                and texts.get(place.name) == place.value:
            out[place.name] = place
    return out



def corrected_fields(
    doc: Document, correction: Correction, values: Mapping[str, FieldValue]
) -> dict[str, ExtractedField]:
    """The document's fields with the corrected values, each at the place found for it."""
    places = {p.name: p for p in correction.places}
    fields = dict(doc.fields)
    for name, value in values.items():
        place = places.get(name)
        old = fields.get(name)
        fields[name] = ExtractedField(
            value=value,
            confidence=CORRECTED_CONFIDENCE,
            page=place.page if place else (old.page if old else None),
            bbox=place.box if place else (old.bbox if old else None),
            source="correction",
        )
    return fields


# --------------------------------------------------------------------------- reading


def lessons_for(
    doc: Document,
    store: CorrectionStore,
    *,
    min_similarity: float,
    limit: int,
    strong_similarity: float = 0.75,
) -> list[Lesson]:
    """The corrections that teach this document: those of its sender (a key it prints or was
    sent from) first; else those of the most alike layouts. Never the document's own."""
    assert doc.doc_type is not None
    kind = doc.doc_type.value
    email = doc.source.email.from_ if doc.source.email is not None else None
    keys = sender_keys_of_pages(doc.pages, email)
    lessons = [
        Lesson(c.correction_id, c.places, sender=describe_key(key), document_id=c.document_id)
        for c, key in store.by_keys(kind, sorted(keys), limit=limit)
        if c.document_id != doc.document_id
    ]
    if lessons:
        return lessons
    fingerprint = Fingerprint.of(doc.pages)
    return [
        Lesson(c.correction_id, c.places, layout=similarity, document_id=c.document_id,
               strong=similarity >= strong_similarity)
        for c, similarity in store.by_layout(kind, fingerprint, min_similarity, limit=limit)
        if c.document_id != doc.document_id
    ]


def learn(doc: Document, store: CorrectionStore, settings: LearningSettings) -> None:
    """Read the document's learned fields (the pipeline's ``learn`` stage) and record which
    corrections served which field."""
    if doc.doc_type is None or not doc.pages:
        return
    lessons = lessons_for(
        doc,
        store,
        min_similarity=settings.min_layout_similarity,
        limit=settings.max_corrections,
        strong_similarity=settings.strong_layout_similarity,
    )
    if not lessons:
        return
    fields = apply_lessons(doc.pages, doc.fields, lessons, FIELDS_BY_TYPE.get(doc.doc_type, ()))
    doc.fields = fields
    uses = [
        (lesson.document_id, name)
        for name, f in fields.items()
        if f.learned is not None
        for lesson in lessons
        if any(p.name == name for p in lesson.places)
    ]
    store.record_uses(doc.document_id, uses)


# --------------------------------------------------------------------------- import


@dataclass
class ImportSummary:
    lines: int = 0
    recorded: int = 0
    documents_updated: int = 0  # in review: their corrected fields taken at once
    errors: list[str] = field(default_factory=list)
    refit: str | None = None  # how a background refit was started, if one was

    def text(self) -> str:
        started = (
            f"\nréapprentissage lancé en arrière-plan / background refit started ({self.refit})"
            if self.refit else ""
        )
        return self._text() + started

    def _text(self) -> str:
        return (
            f"{self.recorded} correction(s) enregistrée(s) sur {self.lines} ligne(s), "
            f"{self.documents_updated} document(s) à revoir mis à jour, "
            f"{len(self.errors)} erreur(s) / {self.recorded} correction(s) recorded, "
            f"{len(self.errors)} error(s)"
        )


class LineError(ValueError):
    """One line of a corrections file that cannot be used: in French and English."""


def _parse_line(raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise LineError(f"JSON illisible / malformed JSON ({e.msg}, colonne {e.colno})") from e
    if not isinstance(data, dict):
        raise LineError("un objet JSON est attendu / a JSON object is expected")
    return data


def _document(pipeline: Pipeline, data: Mapping[str, Any]) -> Document:
    sha = data.get("sha256")
    document_id = data.get("document_id")
    if not sha and not document_id:
        raise LineError("ni sha256 ni document_id / neither sha256 nor document_id")
    doc = (
        pipeline.metadata.find_by_sha256(str(sha))
        if sha
        else pipeline.metadata.get(str(document_id))
    )
    if doc is None:
        which = f"sha256 {sha}" if sha else f"document_id {document_id}"
        raise LineError(f"document inconnu / unknown document ({which})")
    if not doc.pages:
        raise LineError(
            f"le document {doc.document_id} n'a pas de page lue (statut {doc.status.value}) / "
            "the document has no read page"
        )
    return doc


def typed_values(doc_type: DocType, fields: Mapping[str, Any]) -> dict[str, FieldValue]:
    """The corrected values in their types; a field unknown for the type or a malformed value
    is a :class:`LineError` naming it."""
    from extract.corrected import InvalidCorrection, parse_correction

    allowed = FIELDS_BY_TYPE.get(doc_type, ())
    values: dict[str, FieldValue] = {}
    for name, text in fields.items():
        if name not in allowed:
            raise LineError(
                f"champ inconnu pour « {doc_type.value} » / unknown field for this type: {name}"
            )
        if not isinstance(text, str | int | float):
            raise LineError(f"{name} : une valeur texte est attendue / a text value is expected")
        try:
            values[name] = parse_correction(name, str(text))
        except InvalidCorrection as e:
            raise LineError(f"{name} : {e} / malformed value") from e
    return values


def record(
    pipeline: Pipeline,
    doc: Document,
    values: Mapping[str, FieldValue],
    username: str,
    doc_type: DocType | None = None,
) -> tuple[Correction, bool]:
    """Record a correction of ``doc``; a document in review takes the corrected fields at once
    (a filed document never changes). Returns the correction and whether ``doc`` changed."""
    store = pipeline.corrections
    if store is None:
        raise LineError("pas de magasin de corrections / no corrections store")
    correction = make_correction(doc, values, username, doc_type)
    store.add(correction)
    if doc.status is not Status.NEEDS_REVIEW:
        return correction, False
    if doc_type is not None and doc_type is not doc.doc_type:
        doc.doc_type = doc_type
        doc.doc_type_confidence = 1.0
        keep = set(FIELDS_BY_TYPE.get(doc_type, ()))
        doc.fields = {n: f for n, f in doc.fields.items() if n in keep}
    doc.fields = corrected_fields(doc, correction, values)
    pipeline.recheck(doc)
    pipeline.metadata.save(doc)
    return correction, True


def import_corrections(
    pipeline: Pipeline, path: Path, *, username: str = "import"
) -> ImportSummary:
    """``mailroom corrections import FILE.jsonl``: one correction a line; a bad line is an
    error naming its number, and the other lines still count."""
    summary = ImportSummary()
    with path.open(encoding="utf-8") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            summary.lines += 1
            try:
                data = _parse_line(raw)
                doc = _document(pipeline, data)
                doc_type = doc.doc_type
                if data.get("doc_type") is not None:
                    try:
                        doc_type = DocType(str(data["doc_type"]))
                    except ValueError as e:
                        raise LineError(
                            f"type inconnu / unknown doc_type: {data['doc_type']}"
                        ) from e
                if doc_type is None:
                    raise LineError("type de document absent / no doc_type")
                fields = data.get("fields") or {}
                if not isinstance(fields, dict):
                    raise LineError("« fields » doit être un objet / fields must be an object")
                if not fields and data.get("doc_type") is None:
                    raise LineError("rien à corriger / nothing to correct")
                values = typed_values(doc_type, fields)
                _, changed = record(
                    pipeline, doc, values, username,
                    doc_type if doc_type is not doc.doc_type else None,
                )
            except LineError as e:
                summary.errors.append(f"ligne {number} : {e}")
                continue
            summary.recorded += 1
            summary.documents_updated += int(changed)
    if summary.recorded and pipeline.corrections is not None:
        from mailroom.versions import refit_if_due

        summary.refit = refit_if_due(pipeline.settings, pipeline.corrections)
    return summary
