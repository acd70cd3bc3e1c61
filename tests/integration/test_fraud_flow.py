"""The fraud signals end to end through ``mailroom ingest`` with real files and the real OCR:
a receipt, then the same receipt photographed again (turned, cropped, re-encoded), a
born-digital invoice whose IBAN an incremental update swapped after issue, and an honest
invoice of the same supplier. The first two carry a ``fraud.`` check and are not filed; the
honest one carries none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from samples.synth.tamper import invoice_pdf, rephotograph, swap_text_incrementally

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]

OLD_IBAN = "FR76 3000 6000 0112 3456 7890 189"
NEW_IBAN = "FR76 1027 8060 4100 0205 8790 128"


def _ingest(*paths: Path, data_dir: Path) -> list[dict[str, Any]]:
    env = {**os.environ, "MAILROOM_STORAGE__DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "mailroom.cli", "ingest", *map(str, paths), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _fraud(record: dict[str, Any]) -> list[str]:
    return [
        f"{c['code']}:{c['status']}"
        for c in record.get("checks", [])
        if c["code"].startswith("fraud.") and c["status"] != "pass"
    ]


def test_a_rephotographed_receipt_and_an_edited_invoice_are_caught_and_an_honest_one_is_not(
    samples_dir: Path, tmp_path: Path
) -> None:
    receipt = samples_dir / "documents" / "receipt-05-restaurant-en-clean_scan.png"
    data = tmp_path / "data"
    [first] = _ingest(receipt, data_dir=data)
    assert first["doc_type"] == "receipt" and _fraud(first) == []

    again = rephotograph(receipt, tmp_path / "photo-again.jpg", angle=90, quality=65)
    original = invoice_pdf(tmp_path / "issued.pdf", number="F2026-0042", iban=OLD_IBAN)
    edited = swap_text_incrementally(
        original, tmp_path / "facture-F2026-0042.pdf", OLD_IBAN, NEW_IBAN
    )
    honest = invoice_pdf(
        tmp_path / "facture-F2026-0057.pdf",
        number="F2026-0057",
        issued="19/03/2026",
        iban=OLD_IBAN,
        customer="Paul DURAND",
        lines=(("Dépannage sur place", Decimal("95.00")), ("Majoration de nuit", Decimal("30.00"))),
    )
    records = {
        Path(r["source"]["path"]).name: r for r in _ingest(again, edited, honest, data_dir=data)
    }

    photo = records["photo-again.jpg"]
    assert _fraud(photo) == ["fraud.same_content:fail"], photo["checks"]
    assert photo["status"] != "filed"
    assert receipt.name in photo["reason"] and first["document_id"] in photo["reason"]

    forged = records["facture-F2026-0042.pdf"]
    assert "fraud.edited_pdf:fail" in _fraud(forged), forged["checks"]
    assert forged["status"] != "filed"
    message = next(c["message"] for c in forged["checks"] if c["code"] == "fraud.edited_pdf")
    assert "3000 6000 0112 3456 7890 189" in message and "1027 8060 4100 0205 8790 128" in message

    clean = records["facture-F2026-0057.pdf"]
    assert clean["doc_type"] == "invoice"
    assert _fraud(clean) == [], clean["checks"]
