#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the whole test suite: unit tests, then integration tests
# with the real Tesseract. In CI (CI=true) a missing service or tool is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OMP_THREAD_LIMIT=1
# Style and types of the product packages: both must be clean.
PRODUCT=(mailroom ingest extract classify validate storage review)
.venv/bin/ruff check "${PRODUCT[@]}"
.venv/bin/mypy "${PRODUCT[@]}"
.venv/bin/python -m pytest tests/unit -q -p no:cacheprovider
.venv/bin/python -m pytest tests/integration -q -p no:cacheprovider "$@"
