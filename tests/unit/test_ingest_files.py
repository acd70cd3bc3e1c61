from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.errors import InputNotFound
from ingest.files import iter_inputs, walk_folder
from mailroom.errors import DocumentError, MailroomError


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_folders_are_walked_recursively_in_sorted_order(tmp_path: Path) -> None:
    for rel in ["b/2.pdf", "a.pdf", "b/1.pdf", "c/d/e.png", "B.tif"]:
        _touch(tmp_path / rel)
    got = [p.relative_to(tmp_path).as_posix() for p in iter_inputs([tmp_path])]
    assert got == ["B.tif", "a.pdf", "b/1.pdf", "b/2.pdf", "c/d/e.png"]


def test_hidden_and_temporary_files_are_skipped(tmp_path: Path) -> None:
    keep = _touch(tmp_path / "facture.pdf")
    for rel in [
        ".hidden.pdf",
        ".git/objects/x.pdf",
        "~$lettre.docx",
        "scan.tmp",
        "scan.pdf.part",
        "f.pdf.crdownload",
        ".f.pdf.swp",
        "notes.swp",
        "Thumbs.db",
        ".DS_Store",
        "sub/.DS_Store",
    ]:
        _touch(tmp_path / rel)
    assert list(iter_inputs([tmp_path])) == [keep]


def test_a_file_given_directly_is_yielded_even_with_a_temporary_name(tmp_path: Path) -> None:
    f = _touch(tmp_path / "scan.tmp")
    assert list(iter_inputs([f])) == [f]


def test_files_and_folders_mixed_keep_the_given_order(tmp_path: Path) -> None:
    z = _touch(tmp_path / "z.pdf")
    a = _touch(tmp_path / "dir" / "a.pdf")
    assert list(iter_inputs([z, tmp_path / "dir"])) == [z, a]


def test_each_file_is_yielded_once_even_when_given_twice(tmp_path: Path) -> None:
    f = _touch(tmp_path / "a.pdf")
    assert list(iter_inputs([f, tmp_path, f])) == [f]


def test_symlink_loops_end(tmp_path: Path) -> None:
    f = _touch(tmp_path / "d" / "a.pdf")
    os.symlink(tmp_path / "d", tmp_path / "d" / "loop")
    os.symlink(tmp_path, tmp_path / "d" / "up")
    assert list(iter_inputs([tmp_path])) == [f]


def test_broken_symlinks_and_fifos_are_skipped(tmp_path: Path) -> None:
    f = _touch(tmp_path / "a.pdf")
    os.symlink(tmp_path / "missing.pdf", tmp_path / "broken.pdf")
    os.mkfifo(tmp_path / "pipe.pdf")
    assert list(iter_inputs([tmp_path])) == [f]


def test_missing_path_is_a_usage_error_not_a_document_error(tmp_path: Path) -> None:
    with pytest.raises(InputNotFound) as info:
        list(iter_inputs([tmp_path / "nope.pdf"]))
    assert isinstance(info.value, MailroomError)
    assert not isinstance(info.value, DocumentError)
    assert "nope.pdf" in str(info.value)


def test_empty_folder_gives_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert list(iter_inputs([tmp_path / "empty"])) == []


def test_a_drop_folder_walk_takes_no_link_and_skips_the_excluded_folders(tmp_path: Path) -> None:
    outside = _touch(tmp_path / "outside" / "releve.pdf")
    root = tmp_path / "depot"
    _touch(root / "b" / "2.pdf")
    _touch(root / "a.pdf")
    _touch(root / "traites" / "deja.pdf")
    _touch(root / ".cache" / "x.pdf")
    (root / "lien.pdf").symlink_to(outside)
    (root / "dossier-lie").symlink_to(outside.parent, target_is_directory=True)
    done = root / "traites"
    got = [
        p.relative_to(root).as_posix()
        for p in walk_folder(root, follow_links=False, excluded=lambda p: p == done)
    ]
    assert got == ["a.pdf", "b/2.pdf"]
    followed = [p.relative_to(root).as_posix() for p in walk_folder(root)]
    assert followed == ["a.pdf", "b/2.pdf", "dossier-lie/releve.pdf", "traites/deja.pdf"]
