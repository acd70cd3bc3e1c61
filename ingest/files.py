"""The input files behind the paths a user gives: files as they are, folders walked.

Folders are walked recursively in a stable order (names sorted at every level), so two runs
over the same tree see the same files in the same order. What a scanner, an editor or a
browser leaves behind is skipped: dot-files and dot-folders, Office lock files (``~$x.docx``),
partial downloads and swap files. Symbolic links are followed, but a folder already walked
(known by its device and inode) is never entered twice, so a link loop ends and a file reached
by two ways is yielded once. Sockets, FIFOs and
devices are skipped: only regular files are documents.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ingest.errors import InputNotFound

log = logging.getLogger(__name__)

_SKIPPED_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})
_SKIPPED_SUFFIXES = (".tmp", ".part", ".crdownload", ".swp", ".swx", ".partial", ".download")


def is_skipped_name(name: str) -> bool:
    """Whether a file or folder name is hidden or temporary, hence never an input."""
    lowered = name.lower()
    return (
        name.startswith(".")
        or name.startswith("~$")
        or name.endswith("~")
        or lowered in _SKIPPED_NAMES
        or lowered.endswith(_SKIPPED_SUFFIXES)
    )


def iter_inputs(paths: Iterable[Path]) -> Iterator[Path]:
    """Every input file under ``paths``, each once, in a stable order.

    A path given directly is yielded if it is a regular file, even with a hidden or temporary
    name (the user asked for it); folders are walked. A missing path raises
    :class:`~ingest.errors.InputNotFound` before anything is yielded for it.
    """
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()
    for path in paths:
        path = Path(path)
        try:
            st = path.stat()
        except OSError as e:  # missing, a dangling link, a folder on the way not readable
            raise InputNotFound(path) from e
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key not in seen_dirs:
                seen_dirs.add(key)
                yield from _walk(path, seen_dirs, seen_files)
        elif stat.S_ISREG(st.st_mode):
            if _first_time(st, seen_files):
                yield path
        else:
            log.warning("skipping %s: not a regular file", path)


def _first_time(st: os.stat_result, seen: set[tuple[int, int]]) -> bool:
    key = (st.st_dev, st.st_ino)
    if key in seen:
        return False
    seen.add(key)
    return True


def walk_folder(
    folder: Path,
    *,
    follow_links: bool = True,
    excluded: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    """The files under ``folder``, names sorted at every level, hidden and temporary names
    skipped: the one folder walker, for the paths a user gives and for the drop-folder watcher.

    ``follow_links``: symbolic links are followed, a folder is entered once and a file yielded
    once (known by device and inode); when false, links are skipped (a drop folder's watcher
    takes only what was put in it). ``excluded`` says which folders are not entered.
    """
    yield from _walk(folder, set(), set(), follow_links=follow_links, excluded=excluded)


def _walk(
    folder: Path,
    seen_dirs: set[tuple[int, int]],
    seen_files: set[tuple[int, int]],
    *,
    follow_links: bool = True,
    excluded: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        log.warning("cannot list %s: %s", folder, e)
        return
    for entry in entries:
        if is_skipped_name(entry.name):
            continue
        child = Path(entry.path)
        try:
            st = entry.stat(follow_symlinks=follow_links)
        except OSError:
            if follow_links:
                log.warning("skipping %s: broken link or unreadable", child)
            continue
        if stat.S_ISDIR(st.st_mode):
            if excluded is not None and excluded(child):
                continue
            if follow_links:
                key = (st.st_dev, st.st_ino)
                if key in seen_dirs:
                    log.info("skipping %s: folder already walked (symbolic link)", child)
                    continue
                seen_dirs.add(key)
            yield from _walk(
                child, seen_dirs, seen_files, follow_links=follow_links, excluded=excluded
            )
        elif stat.S_ISREG(st.st_mode):
            if not follow_links or _first_time(st, seen_files):
                yield child
        else:
            log.debug("skipping %s: not a regular file", child)
