"""Shared test set-up. In CI (``CI=true``) a missing tool or data set is a failure, not a skip."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
EVAL_DATA = REPO.parent / "shared" / "eval-data"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _tesseract_problem() -> str | None:
    if shutil.which("tesseract") is None:
        return "the tesseract binary is not installed (bash scripts/setup.sh installs it)"
    langs = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, check=False
    ).stdout.split()
    missing = {"fra", "eng", "osd"} - set(langs)
    if missing:
        return f"Tesseract language data missing: {', '.join(sorted(missing))}"
    return None


def _browser_problem() -> str | None:
    if not Path("/usr/bin/chromium").exists():
        return "Debian chromium is not installed (bash scripts/setup.sh installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    needs = {
        "tesseract": _tesseract_problem(),
        "evaldata": None if EVAL_DATA.is_dir() else f"{EVAL_DATA} not found",
        "browser": _browser_problem(),
    }
    for item in items:
        for marker, problem in needs.items():
            if problem and item.get_closest_marker(marker):
                if IN_CI:
                    raise pytest.UsageError(f"CI needs {marker}: {problem}")
                item.add_marker(pytest.mark.skip(reason=problem))


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def eval_data_dir() -> Path:
    return EVAL_DATA
