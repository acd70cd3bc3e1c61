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
from typing import TYPE_CHECKING, TextIO

from ingest.errors import InputNotFound
from mailroom import __version__
from mailroom.errors import MailroomError
from mailroom.logs import configure
from mailroom.models import Channel, Document, Status
from mailroom.settings import Settings

if TYPE_CHECKING:
    from mailroom.pipeline import Pipeline
    from validate.report import Report

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
    settings: Settings,
    paths: list[Path],
    *,
    as_json: bool,
    channel: Channel,
    dossiers: Path | None = None,
) -> list[Document]:
    """One batch: import dossiers if given, process every input, then ask for missing pieces.

    Records are printed once the batch is done, so that each can say which completeness
    request concerns its dossier.
    """
    from ingest.files import iter_inputs
    from mailroom.pipeline import build_pipeline

    inputs = list(iter_inputs(paths))
    progress = Progress(sys.stderr, len(inputs))
    docs: list[Document] = []
    started = time.monotonic()
    with build_pipeline(settings) as pipeline:
        if dossiers is not None:
            _import_dossiers(pipeline, dossiers)
        for doc in pipeline.process_paths(
            inputs, channel=channel, on_done=lambda path, _: progress.step(path.name)
        ):
            docs.append(doc)
        progress.close()
        actions = pipeline.request_missing_pieces()
        requests = {a.request.dossier_id: a.request.request_id for a in actions}
        for doc in docs:
            dossier_id = doc.match.dossier_id if doc.match else None
            if dossier_id in requests and doc.status is not Status.DUPLICATE:
                doc.completeness_request_id = requests[dossier_id]
                pipeline.metadata.save(doc)
    if as_json:
        for doc in docs:
            sys.stdout.write(json.dumps(doc.to_record(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    print(_summary(docs, time.monotonic() - started), file=sys.stderr)
    if actions:
        sent = Counter(a.action for a in actions)
        print(
            "demandes de pièces : " + ", ".join(f"{n} {k}" for k, n in sorted(sent.items())),
            file=sys.stderr,
        )
    return docs


def _import_dossiers(pipeline: Pipeline, path: Path) -> int:
    counts, errors = pipeline.import_dossiers(path)
    for error in errors:
        where = f" ({error.dossier_id})" if error.dossier_id else ""
        print(f"{path}: ligne {error.row}{where} : {error.message}", file=sys.stderr)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "aucun dossier"
    print(f"dossiers importés depuis {path} : {summary}; {len(errors)} erreur(s)", file=sys.stderr)
    return len(errors)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    docs = _run_ingest(
        settings, args.paths, as_json=args.json, channel=args.channel, dossiers=args.dossiers
    )
    if not args.json:
        _print_table(docs, sys.stdout)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    samples = args.samples
    documents = samples / "documents"
    if not documents.is_dir():
        print(f"mailroom demo: no sample documents in {documents}", file=sys.stderr)
        return EXIT_USAGE
    dossiers = samples / "dossiers.json"
    with tempfile.TemporaryDirectory(prefix="mailroom-demo-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        settings.storage.data_dir = data_dir
        print(f"Demo on {documents} (embedded stores in {data_dir})", file=sys.stderr)
        docs = _run_ingest(
            settings,
            [documents],
            as_json=args.json,
            channel="scan",
            dossiers=dossiers if dossiers.exists() else None,
        )
        if not args.json:
            _print_table(docs, sys.stdout)
            _print_report(settings, sys.stdout)
        # The same bytes again: every input is recognised as a duplicate.
        again = _run_ingest(settings, [documents], as_json=False, channel="scan")
        dupes = sum(d.status is Status.DUPLICATE for d in again)
        print(f"Second pass over the same files: {dupes}/{len(again)} recognised as duplicates.")
        outbox = settings.requests.outbox_dir or data_dir / "outbox"
        if outbox.is_dir():
            print(f"Completeness requests written: {len(list(outbox.glob('*.eml')))} in {outbox}")
    return EXIT_OK


def cmd_dossiers_import(args: argparse.Namespace, settings: Settings) -> int:
    from mailroom.pipeline import build_pipeline

    if not args.file.is_file():
        print(f"mailroom: {args.file}: no such file", file=sys.stderr)
        return EXIT_USAGE
    with build_pipeline(settings) as pipeline:
        _import_dossiers(pipeline, args.file)
    return EXIT_OK


def cmd_ged_list(args: argparse.Namespace, settings: Settings) -> int:
    from storage import build_dossier_registry

    registry = build_dossier_registry(settings.storage)
    try:
        entries = registry.ged_entries(args.dossier)
    finally:
        registry.close()
    for entry in entries:
        if args.json:
            print(entry.model_dump_json())
            continue
        fields = ", ".join(f"{k}={v['value']}" for k, v in list(entry.fields.items())[:3])
        print(
            f"{entry.ged_entry_id}  {entry.dossier_id}  {entry.doc_type:<20} "
            f"{entry.filed_at:%Y-%m-%d %H:%M}  {entry.channel:<6} {entry.confidentiality:<8} "
            f"{fields}"
        )
    if not args.json:
        print(f"{len(entries)} entrée(s) GED", file=sys.stderr)
    return EXIT_OK


def cmd_requests(args: argparse.Namespace, settings: Settings) -> int:
    from mailroom.pipeline import build_pipeline

    with build_pipeline(settings) as pipeline:
        if args.action == "send":
            for action in pipeline.request_missing_pieces():
                r = action.request
                print(
                    f"{action.action:<7} {r.dossier_id}  {', '.join(r.missing)}  ({r.request_id})"
                )
        if args.action == "list":
            for request in pipeline.registry.requests():
                print(
                    f"{request.request_id}  {request.dossier_id}  {request.state:<9} "
                    f"{', '.join(request.missing)}"
                )
    return EXIT_OK


def _report(settings: Settings) -> Report:
    from storage import build_dossier_registry, build_metadata_store
    from validate.report import build_report

    metadata = build_metadata_store(settings.storage)
    registry = build_dossier_registry(settings.storage)
    try:
        return build_report(metadata.list_documents(), registry.ged_entries(), registry.requests())
    finally:
        metadata.close()
        registry.close()


def _print_report(settings: Settings, out: TextIO) -> None:
    from validate.report import report_table

    out.write("\n" + report_table(_report(settings)) + "\n")


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from validate.report import report_csv, report_png, report_table

    report = _report(settings)
    if args.format == "png":
        out = args.out or Path("mailroom-report.png")
        report_png(report, out)
        print(f"chart written to {out}", file=sys.stderr)
        return EXIT_OK
    text = report_csv(report) if args.format == "csv" else report_table(report)
    if args.format == "table":
        from io import StringIO

        from mailroom.learning_cli import print_weekly

        weekly = StringIO()
        print_weekly(settings, weekly)
        text = text.rstrip("\n") + "\n" + weekly.getvalue()
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
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
    ingest.add_argument(
        "--dossiers",
        type=Path,
        default=None,
        metavar="FILE",
        help="import these dossiers (JSON, JSON Lines or CSV) before matching",
    )
    ingest.set_defaults(func=cmd_ingest)

    dossiers = sub.add_parser("dossiers", help="the registry of assistance dossiers")
    dossiers_sub = dossiers.add_subparsers(dest="dossiers_command", required=True)
    dossiers_import = dossiers_sub.add_parser("import", help="load or update dossiers")
    dossiers_import.add_argument("file", type=Path, metavar="FILE")
    dossiers_import.set_defaults(func=cmd_dossiers_import)

    ged = sub.add_parser("ged", help="the documents filed in the GED")
    ged_sub = ged.add_subparsers(dest="ged_command", required=True)
    ged_list = ged_sub.add_parser("list", help="list GED entries")
    ged_list.add_argument("--dossier", default=None, help="only this dossier's entries")
    ged_list.add_argument("--json", action="store_true")
    ged_list.set_defaults(func=cmd_ged_list)

    requests = sub.add_parser("requests", help="completeness requests (demandes de pièces)")
    requests.add_argument(
        "action",
        choices=["send", "list"],
        help="send: compare dossiers with what arrived and send/remind; list",
    )
    requests.set_defaults(func=cmd_requests)

    report = sub.add_parser("report", help="activity summary (tableau de synthèse)")
    report.add_argument("--format", choices=["table", "csv", "png"], default="table")
    report.add_argument("--out", type=Path, default=None)
    report.set_defaults(func=cmd_report)

    demo = sub.add_parser("demo", help="run the pipeline on samples/ with the embedded defaults")
    demo.add_argument("--samples", type=Path, default=SAMPLES_DIR)
    demo.add_argument("--data-dir", type=Path, default=None, help="keep the stores here")
    demo.add_argument("--json", action="store_true")
    demo.set_defaults(func=cmd_demo)

    evaluate = sub.add_parser("eval", help="measure accuracy on samples/ and the evaluation sets")
    from mailroom.evaluation import add_arguments

    add_arguments(evaluate)
    evaluate.set_defaults(func=cmd_eval)

    from mailroom.watch import add_watch_commands

    add_watch_commands(sub)
    from review.cli import add_review_commands

    add_review_commands(sub)
    from mailroom.learning_cli import add_corrections_commands

    add_corrections_commands(sub)
    from mailroom.worker import add_worker_commands

    add_worker_commands(sub)

    # Parsed by classify.train itself (see main); listed here for --help.
    sub.add_parser(
        "train",
        help="retrain the classifier from labelled examples (--help); --corrections: refit "
        "the classifier and the field rankers on the stored corrections, as a new version",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"] and "--corrections" in argv:
        # the classifier and the field rankers refitted on the stored corrections, versioned
        from mailroom.versions import train_on_corrections

        configure(Settings().log_level)
        return train_on_corrections([a for a in argv[1:] if a != "--"], Settings())
    if argv[:1] == ["train"]:
        # classify.train owns its options (--from, --labels, --out, ...): hand them over as is.
        from classify.train import main as train_main

        return int(train_main([a for a in argv[1:] if a != "--"]))
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
