"""Classification + field extraction speed, OCR excluded (goal: under 50 ms per page).

Reads every sample document once (text layer or OCR, not timed), then times the classifier
and the field extractor over those pages, several rounds, and prints milliseconds per page.

    .venv/bin/python bench/understand.py [--samples samples] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from classify.model import SklearnClassifier  # noqa: E402
from extract.fields import ContractFieldExtractor  # noqa: E402
from extract.reader import Reader  # noqa: E402
from ingest.sniff import sniff  # noqa: E402
from mailroom.models import Page  # noqa: E402
from mailroom.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=Path, default=REPO / "samples")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    settings = Settings()
    documents: list[list[Page]] = []
    with Reader(settings.ocr, settings.limits, text_layer=settings.ocr.text_layer) as reader:
        for expected in sorted((args.samples / "expected").glob("*.json")):
            path = args.samples / json.loads(expected.read_text())["file"]
            media_type = sniff(path.read_bytes()[:4096])
            if media_type == "message/rfc822":
                continue
            documents.append(reader.read(path, media_type).pages)
    pages = sum(len(d) for d in documents)
    classifier = SklearnClassifier()
    extractor = ContractFieldExtractor()
    classifier.classify(documents[0])  # load the model and spaCy outside the timing
    extractor.extract(documents[0], classifier.classify(documents[0]).doc_type)

    per_page_ms: list[float] = []
    classify_ms: list[float] = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        spent_classify = 0.0
        for doc_pages in documents:
            t0 = time.perf_counter()
            result = classifier.classify(doc_pages)
            spent_classify += time.perf_counter() - t0
            extractor.extract(doc_pages, result.doc_type)
        elapsed = time.perf_counter() - started
        per_page_ms.append(1000 * elapsed / pages)
        classify_ms.append(1000 * spent_classify / pages)
    print(f"documents: {len(documents)}, pages: {pages}, rounds: {args.rounds}")
    print(f"classification: {statistics.median(classify_ms):.1f} ms/page (median)")
    print(
        f"classification + extraction: {statistics.median(per_page_ms):.1f} ms/page "
        f"(median; best {min(per_page_ms):.1f}) — goal < 50"
    )


if __name__ == "__main__":
    main()
