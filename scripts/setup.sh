#!/usr/bin/env bash
# Installs what mailroom needs on a Debian machine, from nothing: Tesseract with the French and
# English models, poppler and qpdf, Python with venv, then a virtualenv in .venv with the
# package and its test extras. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# libtesseract-dev, libleptonica-dev and pkg-config: tesserocr (Tesseract in-process) is built
# against the system's Tesseract, so that both engines are the same Tesseract (its PyPI wheel
# carries a Tesseract 5.5 of its own, which reads some words otherwise than Debian's 5.3)
APT_PACKAGES=(tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng tesseract-ocr-osd poppler-utils
              qpdf libtesseract-dev libleptonica-dev pkg-config
              dovecot-imapd openssl chromium python3 python3-venv python3-dev build-essential)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
# tesserocr from source, against the libtesseract installed above (see APT_PACKAGES)
.venv/bin/python -m pip install -q --disable-pip-version-check --no-binary tesserocr 'tesserocr==2.13.0'
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
# PP-OCR's line model for the second reading of till receipts (extract/line_reader.py): the
# wheel carries the model; --no-deps, as its own dependencies would add a non-headless OpenCV
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps 'rapidocr-onnxruntime==1.4.4'
echo "setup: ready ($(.venv/bin/python --version), $(tesseract --version 2>&1 | head -n1))" >&2
