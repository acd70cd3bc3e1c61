"""samples/bad/ is what make_bad.py makes, and ingest already sees what is wrong with it."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ingest.email import parse_email
from ingest.sniff import HEAD_SIZE, SUPPORTED, sniff
from mailroom.errors import QuarantineReason

BAD = Path(__file__).resolve().parents[2] / "samples" / "bad"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_bad", BAD / "make_bad.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_bad", module)
    spec.loader.exec_module(module)
    return module


make_bad = _load_generator()
EXPECTED: dict[str, str] = json.loads((BAD / "expected.json").read_text(encoding="utf-8"))
RANDOM_SALT = {"encrypted.pdf", "empty-user-password.pdf"}  # qpdf salts each encryption


def test_expected_outcomes_are_quarantine_reasons_or_read() -> None:
    allowed = {r.value for r in QuarantineReason} | {"read"}
    assert set(EXPECTED.values()) <= allowed
    assert set(EXPECTED) == set(make_bad.SAMPLES)
    assert sum((BAD / name).stat().st_size for name in EXPECTED) < 1024 * 1024


@pytest.mark.parametrize("name", sorted(set(make_bad.SAMPLES) - RANDOM_SALT))
def test_committed_sample_is_what_the_generator_makes(name: str) -> None:
    make, outcome = make_bad.SAMPLES[name]
    assert (BAD / name).read_bytes() == make()
    assert EXPECTED[name] == outcome


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sniff_agrees_with_the_expected_outcome(name: str) -> None:
    data = (BAD / name).read_bytes()
    media_type = sniff(data[:HEAD_SIZE])
    if EXPECTED[name] == "empty_file":
        assert data == b""
    elif EXPECTED[name] == "unsupported_type" and media_type != "message/rfc822":
        assert media_type not in SUPPORTED
    else:
        assert media_type in SUPPORTED, f"{name} sniffed as {media_type}"


def test_bad_emails_give_their_attachments() -> None:
    broken = parse_email((BAD / "broken-boundary.eml").read_bytes())
    assert [a.media_type for a in broken.attachments] == ["application/pdf"]
    zipped = parse_email((BAD / "zip-only.eml").read_bytes())
    assert zipped.body_text is None
    assert [a.media_type for a in zipped.attachments] == ["application/zip"]
