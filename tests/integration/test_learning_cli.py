"""Learning from corrections through the command line, as a back office would: an invoice is
ingested, a gestionnaire's corrections of it are imported with ``mailroom corrections
import``, and the next invoices of the same invoicing program (another garage) and of the
same garage come out right. Born-digital PDFs of invented invoices; real classifier,
extractor and SQLite stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from reportlab.pdfgen import canvas

from tests.unit.learning_pages import SALES, Sale, atelier_invoice

FONT_SIZE = 9.0  # Helvetica at 9 pt: about the 5 points a character of the laid-out pages


def _pdf(sale: Sale, path: Path, shift: float = 0.0) -> Path:
    page = atelier_invoice(sale, shift=shift)
    pdf = canvas.Canvas(str(path), pagesize=(page.width, page.height))
    pdf.setFont("Helvetica", FONT_SIZE)
    for word in page.words:
        pdf.drawString(word.bbox.x0, page.height - word.bbox.y1 + 2, word.text)
    pdf.showPage()
    pdf.save()
    return path


def _mailroom(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MAILROOM_STORAGE__DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "mailroom.cli", *args],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )


def _ingest(path: Path, data_dir: Path) -> dict[str, object]:
    result = _mailroom("ingest", str(path), "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    return record


def test_a_correction_imported_with_the_cli_makes_the_next_invoice_come_out_right(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    first = _ingest(_pdf(SALES[0], tmp_path / "first.pdf"), data)
    assert first["doc_type"] == "invoice"
    fields = first["fields"]
    assert isinstance(fields, dict)
    assert fields.get("invoice_number", {}).get("value") != "PC-20931"  # not read alone
    lines = tmp_path / "corrections.jsonl"
    lines.write_text(
        json.dumps({"sha256": "0" * 64, "fields": {"invoice_number": "X"}}) + "\n"
        + json.dumps({"sha256": first["sha256"], "doc_type": "invoice",
                      "fields": {"invoice_number": "PC-20931", "invoice_date": "03/02/2026",
                                 "customer_name": "Lucie Fabregat"}}) + "\n",
        encoding="utf-8",
    )
    result = _mailroom("corrections", "import", str(lines), data_dir=data)
    assert result.returncode == 0, result.stderr
    assert "ligne 1" in result.stderr and "unknown document" in result.stderr
    assert "1 correction(s) enregistrée(s) sur 2 ligne(s)" in result.stderr

    other_garage = _ingest(_pdf(SALES[2], tmp_path / "other.pdf"), data)
    learned = other_garage["fields"]
    assert isinstance(learned, dict)
    assert learned["invoice_number"]["value"] == "PC-31877"
    assert learned["invoice_number"]["learned"]["corrections"] == 1
    assert "layout" in learned["invoice_number"]["learned"]
    assert learned["customer_name"]["value"] == "Ines Carvallo"

    same = Sale("Garage Verchamp", SALES[0].siret, "PC-20990", "12/04/2026", "80,00", "16,00",
                "96,00", "Hugo Lemarchal")
    again = _ingest(_pdf(same, tmp_path / "same.pdf", shift=-60.0), data)
    mine = again["fields"]
    assert isinstance(mine, dict)
    assert mine["invoice_number"]["value"] == "PC-20990"
    assert mine["invoice_number"]["learned"]["sender"] == f"SIREN {SALES[0].siret[:9]}"

    report = _mailroom("report", data_dir=data)
    assert report.returncode == 0, report.stderr
    assert "Corrections par semaine" in report.stdout
