"""The long-running channels: ``mailroom watch folder DIR``, ``mailroom watch imap`` and
``mailroom watch status``.

Each runner builds the pipeline once, installs SIGTERM/SIGINT handlers that only set a stop
event (the current document is finished, then the watcher returns and the process exits 0),
and runs the watcher from :mod:`ingest.watch_folder` or :mod:`ingest.imap`. Recovery after a
crash is described in ``docs/operations.md``.

Until ``Settings`` nests them, the two sections are read from the environment here
(``MAILROOM_WATCH__*``, ``MAILROOM_IMAP__*``).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.imap import watch_imap
from ingest.settings import FolderWatchSettings, ImapSettings
from ingest.watch_folder import watch_folder
from ingest.watch_state import read_statuses
from mailroom.errors import MailroomError
from mailroom.settings import Settings

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_CANNOT_RUN = 3

M = TypeVar("M", bound=BaseModel)


def _section(settings: Settings, name: str, model: type[M]) -> M:
    """``settings.<name>`` once Settings nests it; until then, from ``MAILROOM_<NAME>__*``."""
    nested = getattr(settings, name, None)
    if isinstance(nested, model):
        return nested
    env_model = type(
        f"_{model.__name__}FromEnv",
        (BaseSettings, model),
        {
            "model_config": SettingsConfigDict(
                env_prefix=f"MAILROOM_{name.upper()}__",
                env_nested_delimiter="__",
                env_file=".env",
                extra="ignore",
            ),
            "__module__": __name__,
        },
    )
    loaded = env_model()
    return model.model_validate(loaded.model_dump())


def folder_settings(settings: Settings) -> FolderWatchSettings:
    return _section(settings, "watch", FolderWatchSettings)


def imap_settings(settings: Settings) -> ImapSettings:
    return _section(settings, "imap", ImapSettings)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT; the previous handlers come back afterwards."""
    stop = threading.Event()

    def handler(signum: int, frame: object) -> None:
        log.warning(
            "%s received: finishing the current document, then stopping",
            signal.Signals(signum).name,
        )
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_folder_watcher(
    settings: Settings,
    root: Path,
    *,
    watch: FolderWatchSettings | None = None,
    stop_event: threading.Event | None = None,
) -> int:
    """Build the pipeline and watch ``root`` until stopped; returns the exit status (0)."""
    from mailroom.pipeline import build_pipeline
    from mailroom.worker import sink_for

    watch = watch or folder_settings(settings)
    with build_pipeline(settings) as pipeline, _stop(stop_event) as stop:
        sink = sink_for(settings, pipeline)  # the queue when a broker is set
        watch_folder(root, sink, watch, stop, data_dir=settings.storage.data_dir)
    return EXIT_OK


def run_imap_watcher(
    settings: Settings,
    *,
    imap: ImapSettings | None = None,
    stop_event: threading.Event | None = None,
) -> int:
    """Build the pipeline and watch the mailbox until stopped; returns the exit status (0)."""
    from mailroom.pipeline import build_pipeline
    from mailroom.worker import sink_for

    imap = imap or imap_settings(settings)
    with build_pipeline(settings) as pipeline, _stop(stop_event) as stop:
        sink = sink_for(settings, pipeline)  # the queue when a broker is set
        watch_imap(sink, imap, stop, data_dir=settings.storage.data_dir)
    return EXIT_OK


@contextmanager
def _stop(given: threading.Event | None) -> Iterator[threading.Event]:
    if given is not None:
        yield given
    else:
        with stop_on_signals() as stop:
            yield stop


def health(data_dir: Path) -> list[dict[str, Any]]:
    """What each watcher writing under ``data_dir`` is doing: its status file, plus ``alive``
    (its process runs) and ``stale_s`` (seconds since it last wrote; a live watcher writes at
    least every few seconds, even when idle)."""
    now = datetime.now(UTC)
    statuses = read_statuses(data_dir)
    for status in statuses:
        try:
            updated = datetime.fromisoformat(str(status.get("updated_at")))
            status["stale_s"] = round((now - updated).total_seconds(), 1)
        except ValueError:
            status["stale_s"] = None
    return statuses


# -- command line -----------------------------------------------------------------------


def cmd_watch_folder(args: argparse.Namespace, settings: Settings) -> int:
    watch = folder_settings(settings)
    if args.polling:
        watch = watch.model_copy(update={"mode": "polling"})
    if args.stable_delay is not None:
        watch = watch.model_copy(update={"stable_delay_s": args.stable_delay})
    return run_folder_watcher(settings, args.dir, watch=watch)


def cmd_watch_imap(args: argparse.Namespace, settings: Settings) -> int:
    return run_imap_watcher(settings)


def cmd_watch_status(args: argparse.Namespace, settings: Settings) -> int:
    statuses = health(settings.storage.data_dir)
    if args.json:
        sys.stdout.write(json.dumps(statuses, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    if not statuses:
        print(f"no watcher has run with data dir {settings.storage.data_dir}")
        return EXIT_OK
    for s in statuses:
        state = s.get("state") if s.get("alive") else f"not running (last: {s.get('state')})"
        print(f"{s['name']} ({s['kind']}, {s['target']}): {state}")
        print(
            f"  last poll {s.get('last_poll')}, backlog {s.get('backlog')}, "
            f"processed {s.get('processed')}, failed {s.get('failed')}, "
            f"oldest waiting {s.get('oldest_waiting_s')} s"
        )
        if s.get("current"):
            print(f"  now: {s['current']}")
        if s.get("last_error"):
            print(f"  last error ({s.get('last_error_at')}): {s['last_error']}")
    return EXIT_OK


def add_watch_commands(subparsers: Any) -> None:
    """Register ``watch folder DIR``, ``watch imap`` and ``watch status``; each sets
    ``func(args, settings)``."""
    watch = subparsers.add_parser("watch", help="watch a drop folder or an IMAP mailbox")
    sub = watch.add_subparsers(dest="watch_command", required=True)

    folder = sub.add_parser("folder", help="watch a drop folder (scanner output) until stopped")
    folder.add_argument("dir", type=Path, metavar="DIR")
    folder.add_argument("--polling", action="store_true", help="poll instead of file events")
    folder.add_argument(
        "--stable-delay", type=float, default=None, help="seconds a file must stay unchanged"
    )
    folder.set_defaults(func=cmd_watch_folder)

    imap = sub.add_parser("imap", help="watch the IMAP mailbox (MAILROOM_IMAP__*) until stopped")
    imap.set_defaults(func=cmd_watch_imap)

    status = sub.add_parser("status", help="what each watcher is doing")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_watch_status)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mailroom.watch ...``: the watch commands on their own."""
    from mailroom.logs import configure

    parser = argparse.ArgumentParser(prog="mailroom")
    parser.add_argument("--log-level", default=None)
    parser.add_argument("--log-json", action="store_true")
    add_watch_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    settings = Settings()
    configure(args.log_level or settings.log_level, json_lines=args.log_json)
    func: Callable[[argparse.Namespace, Settings], int] = args.func
    try:
        return int(func(args, settings))
    except MailroomError as e:  # storage unreachable, no such folder: the program cannot run
        print(f"mailroom: {e}", file=sys.stderr)
        return EXIT_CANNOT_RUN


if __name__ == "__main__":
    sys.exit(main())
