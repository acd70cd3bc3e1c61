"""Train the document-type model: from expected files, from the review app's corrections.

``mailroom train --from DIR... [--labels FILE.jsonl] --out PATH`` calls :func:`main`. The
examples come from ``<dir>/expected/*.json`` (``doc_type`` and ``pages[i].text``, or for an
e-mail its ``parts``) and from JSON Lines of ``{"text": ..., "doc_type": ...}``. Each text is
also added with simulated OCR errors so that the model holds on scans, with its labels
translated, read as OCR reads tables, and cut down (lines left out, the top of the page, a
scrap of one to three lines) so
that length is not what makes a type and a scrap gets a low confidence.

The shipped model is rebuilt from a generated corpus (never from ``samples/``, which measures
it)::

    python samples/generate.py --out /tmp/corpus --seed 4242 --per-type 60 --foreign 60 \
        --emails 10 --lookalikes 12 --renderings born_digital
    mailroom train -- --from /tmp/corpus --seed 4242   # or: python -m classify.train --from ...
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from classify.calibration import write_reliability
from classify.features import lookalike_terms
from classify.lexicon import foreign_variant
from classify.model import DEFAULT_MODEL_PATH, MAX_PAGES, TextModel, fit
from mailroom.models import DocType

log = logging.getLogger(__name__)

# Characters OCR takes for one another, both ways.
_CONFUSIONS: dict[str, str] = {
    "o": "0",
    "0": "o",
    "l": "1",
    "1": "l",
    "i": "l",
    "e": "c",
    "c": "e",
    "s": "5",
    "5": "s",
    "b": "6",
    "8": "B",
    "B": "8",
    "O": "0",
    "I": "1",
    "S": "5",
    "a": "à",
    "é": "e",
    "è": "e",
    ",": ".",
    ".": ",",
    "u": "v",
    "n": "r",
}
_MULTI = {"m": "rn", "rn": "m", "w": "vv", "d": "cl", "h": "li"}


def ocr_noise(text: str, rng: random.Random, *, rate: float = 0.05) -> str:
    """``text`` as a mediocre scan would read: swapped look-alikes, dropped and doubled
    characters, lost or split spaces, a few broken words. ``rate`` is per character."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        r = rng.random()
        if r < rate * 0.45 and ch in _CONFUSIONS:
            out.append(_CONFUSIONS[ch])
        elif r < rate * 0.55 and ch in _MULTI:
            out.append(_MULTI[ch])
        elif r < rate * 0.55 and text[i : i + 2] in _MULTI:
            out.append(_MULTI[text[i : i + 2]])
            i += 1
        elif r < rate * 0.75 and ch != "\n":
            pass  # dropped
        elif r < rate * 0.85 and ch == " ":
            pass  # two words glued
        elif r < rate * 0.92 and ch.isalpha():
            out.append(ch + " ")  # a word split
        elif r < rate and ch.isalpha():
            out.append(ch.upper() if ch.islower() else ch.lower())
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def drop_lines(text: str, rng: random.Random) -> str:
    """``text`` with a random 30-60 % of its lines left out, the rest in order: a short
    invoice, a cropped photo, a one-page extract."""
    lines = text.splitlines()
    if len(lines) < 4:
        return text
    keep = max(3, int(len(lines) * rng.uniform(0.4, 0.7)))
    chosen = sorted(rng.sample(range(len(lines)), keep))
    return "\n".join(lines[i] for i in chosen)


def crop_lines(text: str, rng: random.Random) -> str:
    """A run of consecutive lines, most often from the top: a photo of the upper half of a
    page, the first lines a scanner kept, a cut-off e-mail."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 5:
        return text
    size = rng.randint(3, max(3, int(len(lines) * 0.6)))
    start = 0 if rng.random() < 0.6 else rng.randrange(0, len(lines) - size + 1)
    return "\n".join(lines[start : start + size])


_SPLIT_RE = re.compile(r"\s{1,}(?=[-+*€$£]?\s?\d[\d\s.,]*(?:\s?[%€$£A-Z]{0,3})?\s*$)|\s*:\s*")


def split_columns(text: str, rng: random.Random) -> str:
    """``text`` as OCR reads a table: a label and its amount on two lines, and for some
    pages each column read top to bottom one after the other."""
    out: list[str] = []
    for line in text.splitlines():
        parts = [p for p in _SPLIT_RE.split(line) if p.strip()]
        if len(parts) > 1 and rng.random() < 0.7:
            out.extend(parts)
        else:
            out.append(line)
    if rng.random() < 0.3:  # read column by column: labels, then the numbers
        words = [ln for ln in out if not any(ch.isdigit() for ch in ln)]
        numbers = [ln for ln in out if any(ch.isdigit() for ch in ln)]
        out = words + numbers
    return "\n".join(out)


def fragment(text: str, rng: random.Random) -> str:
    """One to three consecutive lines: a scrap that rarely says what the document is, so
    that the model learns to give such texts a low confidence."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 3:
        return text
    size = rng.randint(1, 3)
    start = rng.randrange(0, len(lines) - size + 1)
    return "\n".join(lines[start : start + size])


_INVOICE_MENTIONS: tuple[str, ...] = (
    "Suivant devis n° {ref} accepté le {date}",
    "Réf. devis : {ref}",
    "Selon notre devis {ref} du {date}",
    "Votre commande n° {ref} du {date}",
    "Bon de commande : {ref}",
    "Commande {ref}",
    "Facture définitive, suivant pro forma n° {ref}",
    "Facture établie suivant notre proposition commerciale du {date}",
    "Réf. client : {ref}",
    "N° bon de commande : {ref}",
    "Votre référence commande : {ref}",
    "Offre souscrite : forfait {ref}",
    "Your order no. {ref}",
    "Ihre Bestellung Nr. {ref}",
)


def invoice_mentions(text: str, rng: random.Random) -> str:
    """An invoice that names the quote, the order or the pro forma it follows ("Suivant devis
    n° D-118 accepté", "Votre commande n° ..."), a line inserted near its top: an invoice may
    say "devis" and stay an invoice, so that the word alone is no proof of a look-alike."""
    lines = text.splitlines()
    prefix = rng.choice(["D", "C", "BC", "PF", ""])
    ref = f"{prefix}{rng.randint(2019, 2027)}-{rng.randint(1, 9999)}"
    when = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2019, 2027)}"
    line = rng.choice(_INVOICE_MENTIONS).format(ref=ref, date=when)
    at = rng.randint(0, min(len(lines), 8))
    return "\n".join([*lines[:at], line, *lines[at:]])


# --------------------------------------------------------------------------- reading examples


def _pages_text(pages: Any) -> str:
    if not isinstance(pages, list):
        return ""
    texts = [p.get("text", "") if isinstance(p, dict) else str(p) for p in pages[:MAX_PAGES]]
    return "\n".join(t for t in texts if t)


def _examples_from_record(record: dict[str, Any]) -> Iterator[tuple[str, DocType]]:
    """(text, type) pairs of one expected record: the document, or each part of an e-mail."""
    parts = record.get("parts")
    if isinstance(parts, list) and parts:
        for part in parts:
            if isinstance(part, dict):
                yield from _examples_from_record(part)
        return
    raw_type = record.get("doc_type")
    if raw_type is None:
        return
    try:
        doc_type = DocType(raw_type)
    except ValueError:
        log.warning("unknown doc_type %r skipped", raw_type)
        return
    text = record.get("text") or _pages_text(record.get("pages")) or record.get("body") or ""
    if isinstance(text, str) and text.strip():
        yield text, doc_type


def examples_from_expected(dirs: Sequence[Path]) -> list[tuple[str, DocType]]:
    """Every (text, type) pair of ``<dir>/expected/*.json`` for each dir."""
    examples: list[tuple[str, DocType]] = []
    for directory in dirs:
        expected = Path(directory) / "expected"
        files = sorted(expected.glob("*.json"))
        if not files:
            raise FileNotFoundError(f"no expected/*.json under {directory}")
        for path in files:
            record = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(record, dict):
                examples.extend(_examples_from_record(record))
    return examples


def examples_from_labels(path: Path) -> list[tuple[str, DocType]]:
    """(text, type) pairs of a JSON Lines file of ``{"text": ..., "doc_type": ...}``."""
    examples: list[tuple[str, DocType]] = []
    with Path(path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                examples.append((str(item["text"]), DocType(item["doc_type"])))
            except (ValueError, KeyError, TypeError) as e:
                raise ValueError(f"{path}:{number}: not a labelled example ({e})") from e
    return examples


def augment(
    examples: Iterable[tuple[str, DocType]],
    *,
    noisy_copies: int = 1,
    foreign_share: float = 0.5,
    short_share: float = 0.5,
    crop_share: float = 0.3,
    fragment_share: float = 0.15,
    column_share: float = 0.25,
    mention_share: float = 0.5,
    seed: int = 0,
) -> list[tuple[str, DocType]]:
    """The examples; a share of them again with their labels translated
    (:mod:`classify.lexicon`); a share shortened (:func:`drop_lines`, so that length is not
    what makes an invoice); a share cropped to a run of lines (:func:`crop_lines`); a share
    read as OCR reads tables (:func:`split_columns`); a few scraps (:func:`fragment`); a
    share of the invoices naming the quote or order they follow (:func:`invoice_mentions`);
    ``noisy_copies`` OCR-noised variants of each."""
    rng = random.Random(seed)
    out: list[tuple[str, DocType]] = []
    for text, doc_type in examples:
        out.append((text, doc_type))
        variants = [text]
        if doc_type is DocType.OTHER and lookalike_terms(text):
            # a look-alike of an invoice cut down to lines that lost its telling words (the
            # quote's "Bon pour accord", the reminder's "relance") is no longer one: such a
            # cut is not added as an example of ``other``
            out_before = len(out)
            _augment_one(text, doc_type, variants, out, rng, foreign_share, short_share,
                         crop_share, fragment_share, column_share, mention_share, noisy_copies)
            out[out_before:] = [(t, d) for t, d in out[out_before:] if lookalike_terms(t)]
            continue
        _augment_one(text, doc_type, variants, out, rng, foreign_share, short_share,
                     crop_share, fragment_share, column_share, mention_share, noisy_copies)
    return out


def _augment_one(
    text: str,
    doc_type: DocType,
    variants: list[str],
    out: list[tuple[str, DocType]],
    rng: random.Random,
    foreign_share: float,
    short_share: float,
    crop_share: float,
    fragment_share: float,
    column_share: float,
    mention_share: float,
    noisy_copies: int,
) -> None:
    """The variants of one example (see :func:`augment`), appended to ``out``."""
    if rng.random() < foreign_share:
        foreign = foreign_variant(text, rng)
        if foreign != text:
            out.append((foreign, doc_type))
            variants.append(foreign)
    if rng.random() < short_share:
        short = drop_lines(rng.choice(variants), rng)
        out.append((short, doc_type))
        variants.append(short)
    if rng.random() < crop_share:
        cropped = crop_lines(rng.choice(variants), rng)
        out.append((cropped, doc_type))
        variants.append(cropped)
    if rng.random() < column_share:
        split = split_columns(rng.choice(variants), rng)
        out.append((split, doc_type))
        variants.append(split)
    if rng.random() < fragment_share:
        out.append((fragment(rng.choice(variants), rng), doc_type))
    if doc_type is DocType.INVOICE and rng.random() < mention_share:
        mentioned = invoice_mentions(rng.choice(variants), rng)
        out.append((mentioned, doc_type))
        variants.append(mentioned)
    for _ in range(noisy_copies):
        source = rng.choice(variants)
        out.append((ocr_noise(source, rng, rate=rng.uniform(0.02, 0.10)), doc_type))


# --------------------------------------------------------------------------- training


def train(
    examples: Iterable[tuple[str, DocType]],
    *,
    noisy_copies: int = 1,
    foreign_share: float = 0.5,
    seed: int = 0,
) -> TextModel:
    """A model fitted on ``examples`` and their translated and OCR-noised variants."""
    data = augment(examples, noisy_copies=noisy_copies, foreign_share=foreign_share, seed=seed)
    model = fit(data, seed=seed)
    model.info["counts"] = {t.value: n for t, n in Counter(t for _, t in data).items()}
    return model


def save(model: TextModel, path: Path) -> Path:
    """Write ``model`` to ``path`` (joblib, compressed) atomically: a process loading the model
    meanwhile sees the old file or the new one, never half of it. Returns the path."""
    import os

    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    joblib.dump(model, partial, compress=3)
    os.replace(partial, path)
    return path


def split(
    examples: Sequence[tuple[str, DocType]], *, holdout: float, seed: int
) -> tuple[list[tuple[str, DocType]], list[tuple[str, DocType]]]:
    """A stratified split: ``holdout`` of each type kept aside."""
    by_type: dict[DocType, list[tuple[str, DocType]]] = defaultdict(list)
    for example in examples:
        by_type[example[1]].append(example)
    rng = random.Random(seed)
    kept: list[tuple[str, DocType]] = []
    held: list[tuple[str, DocType]] = []
    for items in by_type.values():
        items = list(items)
        rng.shuffle(items)
        n_held = int(round(len(items) * holdout)) if len(items) > 2 else 0
        held.extend(items[:n_held])
        kept.extend(items[n_held:])
    return kept, held


def evaluate(model: TextModel, examples: Sequence[tuple[str, DocType]]) -> dict[str, Any]:
    """Accuracy overall and per true type, and the confusions, on ``examples``."""
    predicted = model.predict([t for t, _ in examples]) if examples else []
    per_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusions: Counter[tuple[str, str]] = Counter()
    for (_, truth), guess in zip(examples, predicted, strict=True):
        per_type[truth.value][1] += 1
        if guess == truth:
            per_type[truth.value][0] += 1
        else:
            confusions[(truth.value, guess.value)] += 1
    right = sum(v[0] for v in per_type.values())
    return {
        "accuracy": right / len(examples) if examples else 0.0,
        "n": len(examples),
        "per_type": {k: (v[0] / v[1], v[1]) for k, v in sorted(per_type.items())},
        "confusions": dict(confusions.most_common()),
    }


def confidence_pairs(
    model: TextModel, examples: Sequence[tuple[str, DocType]]
) -> list[tuple[float, bool]]:
    """(confidence of the predicted type, whether it is right) for each example."""
    if not examples:
        return []
    scores = model.predict_proba([t for t, _ in examples])
    pairs = []
    for row, (_, truth) in zip(scores, examples, strict=True):
        best = max(row, key=lambda t: row[t])
        pairs.append((row[best], best == truth))
    return pairs


def _print_report(title: str, report: dict[str, Any], out: TextIO) -> None:
    out.write(f"{title}: accuracy {report['accuracy']:.3f} on {report['n']} documents\n")
    for doc_type, (accuracy, n) in report["per_type"].items():
        out.write(f"  {doc_type:<20} {accuracy:.3f}  ({n})\n")
    for (truth, guess), n in report["confusions"].items():
        out.write(f"  confused {truth} -> {guess}: {n}\n")


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """``mailroom train``: fit on a held-out split and report, then refit on all and save."""
    out = out or sys.stdout
    parser = argparse.ArgumentParser(
        prog="mailroom train", description="Retrain the document-type classifier."
    )
    parser.add_argument(
        "--from",
        dest="dirs",
        nargs="+",
        type=Path,
        default=[],
        metavar="DIR",
        help="folders holding expected/*.json (doc_type and pages[].text)",
    )
    parser.add_argument(
        "--labels", type=Path, help="JSON Lines of {text, doc_type} (review corrections)"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_MODEL_PATH, help="where to write the model"
    )
    parser.add_argument("--holdout", type=float, default=0.2, help="share kept for evaluation")
    parser.add_argument("--noisy-copies", type=int, default=1, help="OCR-noised copies per text")
    parser.add_argument("--seed", type=int, default=0)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:  # ``mailroom train -- --from DIR``: argparse passes the "--" on
        argv = argv[1:]
    args = parser.parse_args(argv)
    if not args.dirs and args.labels is None:
        parser.error("give --from DIR... and/or --labels FILE.jsonl")

    examples = examples_from_expected(args.dirs) if args.dirs else []
    if args.labels is not None:
        examples += examples_from_labels(args.labels)
    counts = Counter(t.value for _, t in examples)
    out.write(f"{len(examples)} examples: {dict(sorted(counts.items()))}\n")

    if 0 < args.holdout < 1:
        kept, held = split(examples, holdout=args.holdout, seed=args.seed)
        if held:
            trial = train(kept, noisy_copies=args.noisy_copies, seed=args.seed)
            _print_report("held-out", evaluate(trial, held), out)
            rng = random.Random(args.seed + 1)
            noisy = [(ocr_noise(t, rng, rate=0.08), d) for t, d in held]
            _print_report("held-out, OCR-noised", evaluate(trial, noisy), out)
            short = [(crop_lines(drop_lines(t, rng), rng), d) for t, d in held]
            _print_report("held-out, cut short", evaluate(trial, short), out)
            scraps = [(fragment(t, rng), d) for t, d in held]
            _print_report("held-out, two-line scraps", evaluate(trial, scraps), out)
            for title, subset in (
                ("held-out", held),
                ("held-out, OCR-noised", noisy),
                ("held-out, cut short", short),
                ("held-out, two-line scraps", scraps),
                ("held-out, all of the above", held + noisy + short + scraps),
            ):
                write_reliability(title, confidence_pairs(trial, subset), out)

    model = train(examples, noisy_copies=args.noisy_copies, seed=args.seed)
    model.info["seed"] = args.seed
    model.info["sources"] = [str(d) for d in args.dirs] + (
        [str(args.labels)] if args.labels is not None else []
    )
    path = save(model, args.out)
    out.write(f"model written to {path} ({path.stat().st_size / 1e6:.2f} MB)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
