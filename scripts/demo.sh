#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the demo on samples/ with the embedded defaults
# (filesystem object store + SQLite, no server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/mailroom demo "$@"
