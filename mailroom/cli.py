"""The ``mailroom`` command line (CONTRACT.md). Records go to stdout, everything else to stderr.

Exit status: 0 when every input reached a final status (filed, needs_review, quarantined,
duplicate); 2 for bad arguments; 3 when the program itself could not run (storage unreachable,
Tesseract missing).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ingest.errors import InputNotFound
from mailroom import __version__
from mailroom.errors import MailroomError
from mailroom.logs import configure
from mailroom.models import Document, Status
from mailroom.settings import Settings

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"


class Progress:
    """A one-line progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, stream: TextIO, total: int | None = None) -> None:
        self.stream = stream
        self.total = total
        self.done = 0
        self.enabled = stream.isatty()
        self.started = time.monotonic()

    def step(self, label: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 30
        if self.total:
            filled = int(width * self.done / self.total)
            bar = "█" * filled + "·" * (width - filled)
            head = f"[{bar}] {self.done}/{self.total}"
        else:
            head = f"{self.done}"
        self.stream.write(f"\r{head} {label[-40:]:<40}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _summary(docs: Sequence[Document], elapsed: float) -> str:
    by_status = Counter(d.status.value for d in docs)
    parts = [f"{n} {status}" for status, n in sorted(by_status.items())]
    return f"{len(docs)} document(s) en {elapsed:.1f} s : " + ", ".join(parts)


def _run_ingest(
    settings: Settings, paths: list[Path], *, as_json: bool, channel: str
) -> list[Document]:
    from ingest.files import iter_inputs
    from mailroom.pipeline import build_pipeline

    inputs = list(iter_inputs(paths))
    progress = Progress(sys.stderr, len(inputs))
    docs: list[Document] = []
    started = time.monotonic()

    def on_done(path: Path, produced: list[Document]) -> None:
        progress.step(path.name)
        for doc in produced:
            if as_json:
                sys.stdout.write(json.dumps(doc.to_record(), ensure_ascii=False) + "\n")
                sys.stdout.flush()

    with build_pipeline(settings) as pipeline:
        for doc in pipeline.process_paths(inputs, channel=channel, on_done=on_done):
            docs.append(doc)
    progress.close()
    print(_summary(docs, time.monotonic() - started), file=sys.stderr)
    return docs


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    docs = _run_ingest(settings, args.paths, as_json=args.json, channel=args.channel)
    if not args.json:
        _print_table(docs, sys.stdout)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    samples = args.samples
    documents = samples / "documents"
    if not documents.is_dir():
        print(f"mailroom demo: no sample documents in {documents}", file=sys.stderr)
        return EXIT_USAGE
    with tempfile.TemporaryDirectory(prefix="mailroom-demo-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        settings.storage.data_dir = data_dir
        print(f"Demo on {documents} (embedded stores in {data_dir})", file=sys.stderr)
        docs = _run_ingest(settings, [documents], as_json=args.json, channel="scan")
        if not args.json:
            _print_table(docs, sys.stdout)
        # The same bytes again: every document is recognised as a duplicate.
        again = _run_ingest(settings, [documents], as_json=False, channel="scan")
        dupes = sum(d.status is Status.DUPLICATE for d in again)
        print(f"Second pass over the same files: {dupes}/{len(again)} recognised as duplicates.")
    return EXIT_OK


def _print_table(docs: Sequence[Document], out: TextIO) -> None:
    for doc in docs:
        name = doc.source.filename or Path(doc.source.path or doc.document_id).name
        kind = f"{doc.doc_type.value} {doc.doc_type_confidence:.2f}" if doc.doc_type else "-"
        fields = ", ".join(
            f"{k}={v.model_dump(mode='json')['value']}" for k, v in list(doc.fields.items())[:4]
        )
        line = f"{name[:38]:<38} {kind:<26} {doc.status.value:<12} {doc.text_source or '-':<8}"
        out.write(line + (f" {fields}" if fields else "") + "\n")
        if doc.status is Status.QUARANTINED:
            out.write(f"{'':<38} ↳ {doc.quarantine_reason}: {doc.reason}\n")


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from mailroom.evaluation import main as eval_main

    return eval_main(args, settings)


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from classify.train import main as train_main

    return train_main(args.train_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailroom", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mailroom {__version__}")
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default: setting)")
    parser.add_argument("--log-json", action="store_true", help="log lines as JSON on stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="process files or folders once")
    ingest.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    ingest.add_argument("--json", action="store_true", help="one JSON record per document")
    ingest.add_argument(
        "--channel",
        choices=["scan", "email", "upload"],
        default="upload",
        help="how the files arrived (default: upload)",
    )
    ingest.set_defaults(func=cmd_ingest)

    demo = sub.add_parser("demo", help="run the pipeline on samples/ with the embedded defaults")
    demo.add_argument("--samples", type=Path, default=SAMPLES_DIR)
    demo.add_argument("--data-dir", type=Path, default=None, help="keep the stores here")
    demo.add_argument("--json", action="store_true")
    demo.set_defaults(func=cmd_demo)

    evaluate = sub.add_parser("eval", help="measure accuracy on samples/ and the evaluation sets")
    from mailroom.evaluation import add_arguments

    add_arguments(evaluate)
    evaluate.set_defaults(func=cmd_eval)

    train = sub.add_parser("train", help="retrain the classifier from labelled examples")
    train.add_argument("train_args", nargs=argparse.REMAINDER)
    train.set_defaults(func=cmd_train)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings()
    configure(args.log_level or settings.log_level, json_lines=args.log_json)
    try:
        return int(args.func(args, settings))
    except InputNotFound as e:
        print(f"mailroom: {e}", file=sys.stderr)
        return EXIT_USAGE
    except MailroomError as e:
        print(f"mailroom: {e}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
