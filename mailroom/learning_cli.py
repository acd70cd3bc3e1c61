"""``mailroom corrections import FILE.jsonl`` and ``mailroom corrections list``: the command
line of learning from corrections (mailroom/learning.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from mailroom.settings import Settings

EXIT_OK = 0
EXIT_USAGE = 2


def cmd_corrections_import(args: argparse.Namespace, settings: Settings) -> int:
    from mailroom.learning import import_corrections
    from mailroom.pipeline import build_pipeline

    if not args.file.is_file():
        print(f"mailroom: {args.file}: no such file", file=sys.stderr)
        return EXIT_USAGE
    with build_pipeline(settings) as pipeline:
        summary = import_corrections(pipeline, args.file, username=args.user)
    for error in summary.errors:
        print(f"{args.file}: {error}", file=sys.stderr)
    print(summary.text(), file=sys.stderr)
    return EXIT_OK


def cmd_corrections_export(args: argparse.Namespace, settings: Settings) -> int:
    """The corrections as labelled examples (``{"text", "doc_type", "fields"}`` a line) for
    ``mailroom train --labels``: the classifier refitted with what gestionnaires corrected.
    Medical certificates' corrections stay out unless ``--medical`` (their values are the
    medical team's)."""
    import json

    from storage import build_correction_store, build_metadata_store

    store = build_correction_store(settings.storage)
    metadata = build_metadata_store(settings.storage)
    written = skipped = 0
    try:
        with args.file.open("w", encoding="utf-8") as out:
            for correction in store.all():
                if correction.medical and not args.medical:
                    skipped += 1
                    continue
                doc = metadata.get(correction.document_id)
                if doc is None or not doc.pages:
                    skipped += 1
                    continue
                out.write(json.dumps({"text": doc.text, "doc_type": correction.doc_type,
                                      "fields": correction.values}, ensure_ascii=False) + "\n")
                written += 1
    finally:
        store.close()
        metadata.close()
    print(f"{written} exemple(s) écrit(s) dans {args.file}, {skipped} écarté(s) "
          f"(médical ou document absent) ; mailroom train --labels {args.file}", file=sys.stderr)
    return EXIT_OK


def print_weekly(settings: Settings, out: TextIO) -> None:
    """Corrections per week and how many later fields they served (``mailroom report``)."""
    from storage import build_correction_store

    store = build_correction_store(settings.storage)
    try:
        weeks = store.weekly()
    finally:
        store.close()
    out.write("\nCorrections par semaine (champs servis ensuite)\n")
    if not weeks:
        out.write("  aucune correction\n")
        return
    out.write(f"  {'semaine du':<12} {'corrections':>11} {'champs servis':>14}\n")
    for w in weeks:
        out.write(f"  {w.week.isoformat():<12} {w.corrections:>11} {w.fields_served:>14}\n")
    total_c = sum(w.corrections for w in weeks)
    total_s = sum(w.fields_served for w in weeks)
    out.write(f"  {'total':<12} {total_c:>11} {total_s:>14}\n")


def add_corrections_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    corrections = sub.add_parser("corrections", help="what gestionnaires corrected (learning)")
    corrections_sub = corrections.add_subparsers(dest="corrections_command", required=True)
    importing = corrections_sub.add_parser(
        "import", help="record corrections of ingested documents (JSON Lines)"
    )
    importing.add_argument("file", type=Path, metavar="FILE.jsonl")
    importing.add_argument(
        "--user", default="import", help="who made the corrections (recorded with them)"
    )
    importing.set_defaults(func=cmd_corrections_import)
    exporting = corrections_sub.add_parser(
        "export", help="the corrections as labelled examples for mailroom train --labels"
    )
    exporting.add_argument("file", type=Path, metavar="FILE.jsonl")
    exporting.add_argument("--medical", action="store_true",
                           help="include medical certificates' corrections")
    exporting.set_defaults(func=cmd_corrections_export)
