"""Scan batches in the pipeline: where a read stack's documents are, and what each one found
carries into its own run (its pages, the dossier its separator sheet names, the review check
of an unsure cut). The decision itself is ``ingest/split.py``; the runner is
``Pipeline._split_batch``; ``docs/batches.md`` says what an operator sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from classify.base import Classifier
from ingest.settings import SplitSettings
from ingest.split import PageFeatures, Segment, SplitPlan, page_features, plan_batch
from mailroom.models import BatchLayout, Check, Document, Match, MatchCandidate, Page, SplitMode
from mailroom.records import Dossier


@dataclass(frozen=True)
class BatchPart:
    """A document found in a scan batch: its pages, already read with the batch."""

    pages: list[Page]
    page_images: dict[int, Path]
    dossier_reference: str | None = None
    checks: tuple[Check, ...] = ()


def plan_split(
    pages: list[Page],
    page_images: dict[int, Path],
    classifier: Classifier,
    settings: SplitSettings,
    mode: SplitMode,
    *,
    workers: int = 1,
) -> SplitPlan:
    """Where the documents of a read batch begin and end: each page's features (its words as
    read, its image's barcodes and ink, the classifier's type of the page alone), then the
    joint decision. A batch with a text layer (not a scan) is cut only at separator sheets.

    The pages are looked at by ``workers`` threads (image decoding and barcode reading let
    go of the GIL): the split keeps pace with a reading spread over as many processes."""
    if mode == "off" or len(pages) < 2:  # nothing to cut: no page looked at
        return plan_batch([PageFeatures(number=p.number) for p in pages], mode, settings)
    scanned = all(p.text_source == "ocr" for p in pages)

    def features_of(page: Page) -> PageFeatures:
        kind = classifier.classify([page]) if scanned and page.words else None
        return page_features(
            page,
            page_images.get(page.number),
            settings,
            doc_type=kind.doc_type if kind else None,
            type_confidence=kind.confidence if kind else 0.0,
        )

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="split") as pool:
        features = list(pool.map(features_of, pages))
    return plan_batch(features, mode, settings, evidence=scanned)


def part_of(batch: Document, segment: Segment, page_images: dict[int, Path]) -> BatchPart:
    """The pages of one segment of a read batch, numbered from 1 as its own document's."""
    numbers = list(enumerate(segment.pages, start=1))
    return BatchPart(
        pages=[batch.pages[n - 1].model_copy(update={"number": j}) for j, n in numbers],
        page_images={j: page_images[n] for j, n in numbers if n in page_images},
        dossier_reference=segment.dossier_reference,
        checks=unsure_check(segment, batch),
    )


def unsure_check(segment: Segment, batch: Document) -> tuple[Check, ...]:
    """The review check of a document whose boundaries in its batch are not sure."""
    if not segment.unsure:
        return ()
    return (
        Check(
            code="split.unsure",
            status="warn",
            message=f"découpage à vérifier (pages {segment.first} à {segment.last} du lot de "
            f"{batch.page_count} pages)",
            blocking=True,
        ),
    )


def with_separator_dossier(match: Match, given: Dossier | None) -> Match:
    """A separator sheet naming a dossier assigns the document to it: the operator's word is
    the strongest key. A document whose own keys point at another dossier is ambiguous
    between the two; a dossier that is unknown or closed changes nothing."""
    if given is None or given.status != "open":
        return match
    sheet = MatchCandidate(
        dossier_id=given.dossier_id,
        score=1.0,
        reasons=("référence dossier sur l'intercalaire",),
    )
    others = tuple(c for c in match.candidates if c.dossier_id != given.dossier_id)
    if match.status == "matched" and match.dossier_id != given.dossier_id:
        return Match(status="ambiguous", score=match.score, candidates=(sheet, *others))
    return Match(
        status="matched", dossier_id=given.dossier_id, score=1.0, candidates=(sheet, *others)
    )


# How a batch was cut, in the words of the reason a gestionnaire reads.
_METHOD_WORDS = {
    "none": "un seul document",
    "separators": "intercalaires",
    "evidence": "découpage sur le contenu des pages",
}


def batch_reason(plan: SplitPlan, found: int) -> str:
    """The batch record's reason: how many documents were found, how, and the pages left out."""
    dropped = f", pages écartées : {', '.join(map(str, plan.dropped))}" if plan.dropped else ""
    return f"{found} document(s) trouvé(s) dans le lot ({_METHOD_WORDS[plan.method]}{dropped})"


def layout_of(plan: SplitPlan) -> BatchLayout:
    """What the batch's record keeps of its cut: which pages are separator sheets (and the
    dossiers they name), which are blank, which boundaries were unsure."""
    return BatchLayout(
        method=plan.method,
        separators=tuple(sorted(plan.separators)),
        blanks=tuple(n for n in plan.dropped if n not in plan.separators),
        references={n: ref for n, ref in plan.separators.items() if ref},
        unsure=plan.unsure,
    )


def segments_from_starts(
    starts: Iterable[int], page_count: int, layout: BatchLayout
) -> tuple[Segment, ...]:
    """The documents a person's cut makes: each start page begins a document that runs to the
    page before the next start. The pages that belong to no document (separator sheets,
    blank pages) stay out; a start on one of them begins its document at the next page kept;
    the first page kept always begins one. A document right after a separator sheet naming a
    dossier is given that dossier, as the split gave it."""
    dropped = layout.dropped
    kept = [n for n in range(1, page_count + 1) if n not in dropped]
    wanted = {n for n in starts if 1 <= n <= page_count}
    firsts = {next((k for k in kept if k >= n), None) for n in wanted}
    if kept:
        firsts.add(kept[0])
    segments: list[Segment] = []
    current: list[int] = []
    for n in kept:
        if n in firsts and current:
            segments.append(_person_segment(current, layout))
            current = []
        current.append(n)
    if current:
        segments.append(_person_segment(current, layout))
    return tuple(segments)


def _person_segment(pages: list[int], layout: BatchLayout) -> Segment:
    before = [n for n in range(pages[0] - 1, 0, -1) if n not in layout.blanks]
    reference = layout.references.get(before[0]) if before else None
    return Segment(pages[0], pages[-1], tuple(pages), dossier_reference=reference)
