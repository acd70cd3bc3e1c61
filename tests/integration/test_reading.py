"""Reading with the real Tesseract, and robustness against hostile files."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from extract.base import FakeOcrEngine
from extract.raster import render_page
from extract.reader import Reader
from extract.settings import OcrSettings
from mailroom.errors import DocumentError, EncryptedPdf, ReadTimeout
from mailroom.settings import LimitSettings

LINES = [
    "FACTURE N° F2026-0042",
    "Dépannage Dupuis, 12 rue des Lilas, 69003 Lyon",
    "Date de la facture : 12 mars 2026",
    "Remorquage du véhicule jusqu'au garage le plus proche",
    "Total hors taxes : 150,00 EUR",
    "Total TTC : 180,00 EUR",
    "Merci de régler par virement bancaire.",
]
DPI = 200


def _text_pdf(path: Path, pages: int = 1) -> Path:
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for _ in range(pages):
        y = 760.0
        for line in LINES:
            c.setFont("Helvetica", 13)
            c.drawString(60, y, line)
            y -= 26
        c.showPage()
    c.save()
    return path


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    pdf = _text_pdf(tmp_path_factory.mktemp("src") / "page.pdf")
    return render_page(pdf, 0, DPI, LimitSettings())


@pytest.fixture(scope="module")
def reader() -> Iterator[Reader]:
    with Reader(OcrSettings(workers=2, dpi=DPI, page_timeout_s=60), LimitSettings()) as r:
        yield r


def _save(pixels: np.ndarray, path: Path) -> Path:
    Image.fromarray(pixels).save(path, dpi=(DPI, DPI))
    return path


@pytest.mark.tesseract
def test_scanned_french_page_reads_with_its_words(
    reader: Reader, scan: np.ndarray, tmp_path: Path
) -> None:
    result = reader.read(_save(scan, tmp_path / "p.png"), "image/png", image_dir=tmp_path / "i")
    page = result.pages[0]
    assert page.text_source == "ocr" and page.rotation == 0
    assert page.ocr_confidence is not None and page.ocr_confidence > 80
    for word in ("FACTURE", "F2026-0042", "Dépannage", "véhicule", "180,00"):
        assert word in page.text
    facture = next(w for w in page.words if w.text == "FACTURE")
    # drawn at x=60 pt, baseline 760 pt from the bottom of an A4 page
    assert facture.bbox.x0 == pytest.approx(60, abs=3)
    assert facture.bbox.y1 == pytest.approx(A4[1] - 760, abs=4)
    assert Image.open(result.page_images[1]).size == (scan.shape[1], scan.shape[0])


@pytest.mark.tesseract
@pytest.mark.parametrize("clockwise", [90, 180, 270])
def test_turned_scan_comes_out_upright(
    reader: Reader, scan: np.ndarray, tmp_path: Path, clockwise: int
) -> None:
    # np.rot90 turns counter-clockwise: the page then needs `clockwise` degrees to be upright
    turned = np.rot90(scan, clockwise // 90).copy()
    page = reader.read(_save(turned, tmp_path / "t.png"), "image/png").pages[0]
    assert page.rotation == clockwise
    assert "Dépannage" in page.text and "180,00" in page.text
    assert page.height > page.width


@pytest.mark.tesseract
def test_multi_page_tiff_reads_every_page(reader: Reader, scan: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "two.tif"
    frames = [Image.fromarray(scan), Image.fromarray(scan)]
    frames[0].save(
        path, save_all=True, append_images=frames[1:], dpi=(DPI, DPI), compression="tiff_lzw"
    )
    pages = reader.read(path, "image/tiff").pages
    assert [p.number for p in pages] == [1, 2]
    assert all("FACTURE" in p.text for p in pages)


@pytest.mark.tesseract
def test_mixed_pdf_gives_both_sources(reader: Reader, scan: np.ndarray, tmp_path: Path) -> None:
    png = _save(scan, tmp_path / "scan.png")
    path = tmp_path / "mixed.pdf"
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setFont("Helvetica", 12)
    c.drawString(72, 760, "Lettre d'accompagnement pour le dossier AST-2026-004217")
    c.showPage()
    c.drawImage(str(png), 0, 0, *A4)
    c.showPage()
    c.save()
    pages = reader.read(path, "application/pdf").pages
    assert [p.text_source for p in pages] == ["pdf_text", "ocr"]
    assert "AST-2026-004217" in pages[0].text and "Dépannage" in pages[1].text


@pytest.mark.tesseract
def test_page_ocr_over_the_timeout_raises_read_timeout(scan: np.ndarray, tmp_path: Path) -> None:
    with (
        Reader(OcrSettings(workers=1, dpi=DPI, page_timeout_s=0.05), LimitSettings()) as r,
        pytest.raises(ReadTimeout),
    ):
        r.read(_save(scan, tmp_path / "p.png"), "image/png")


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
@pytest.mark.tesseract
def test_password_protected_pdf_raises_encrypted_pdf(reader: Reader, tmp_path: Path) -> None:
    plain = _text_pdf(tmp_path / "plain.pdf")
    locked = tmp_path / "locked.pdf"
    subprocess.run(
        ["qpdf", "--encrypt", "u", "o", "256", "--", str(plain), str(locked)], check=True
    )
    with pytest.raises(EncryptedPdf):
        reader.read(locked, "application/pdf")


# ----------------------------------------------------------------- hostile inputs

MALFORMED = Path(__file__).resolve().parents[2].parent / "shared" / "eval-data" / "malformed"
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".fuzz": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".tif": "image/tiff",
}


def _malformed_files() -> list[Path]:
    if not MALFORMED.is_dir():
        return []
    return sorted(
        p for p in MALFORMED.rglob("*") if p.is_file() and p.suffix not in (".out", ".md")
    )


@pytest.fixture(scope="module")
def hostile_reader() -> Iterator[Reader]:
    # the fake engine: these tests are about parsing hostile files, not about OCR quality
    with Reader(
        OcrSettings(workers=2, dpi=150, page_timeout_s=20), LimitSettings(), FakeOcrEngine()
    ) as r:
        yield r


@pytest.mark.evaldata
@pytest.mark.parametrize(
    "path",
    _malformed_files()
    or [
        pytest.param(
            None,
            marks=pytest.mark.skip(
                reason=f"{MALFORMED} not found: the malformed-input corpus is not installed"
            ),
        )
    ],
    ids=lambda p: f"{p.parent.name}/{p.name}" if p else "absent",
)
def test_malformed_inputs_are_read_or_refused_cleanly(hostile_reader: Reader, path: Path) -> None:
    # .gif/.ico bombs are handed over as images: Pillow identifies them by content
    media_type = MEDIA_TYPES.get(path.suffix, "image/png")
    started = time.monotonic()
    try:
        result = hostile_reader.read(path, media_type)
    except DocumentError as e:
        assert e.reason and e.message
    else:
        assert result.pages and all(p.number == i + 1 for i, p in enumerate(result.pages))
    assert time.monotonic() - started < 60, "a hostile file must not hang the reader"


@pytest.mark.tesseract
def test_a_started_reading_gives_pytesseracts_words_and_a_cancelled_one_leaves_nothing(
    scan: np.ndarray, tmp_path: Path
) -> None:
    """TesseractEngine.start runs the command pytesseract's image_to_data runs: same words,
    boxes and confidences; cancel kills the process and removes its files."""
    import glob
    import tempfile

    import pytesseract

    from extract.tesseract import TesseractEngine, parse_tsv, write_bmp

    engine = TesseractEngine()
    ours = engine.start(scan, dpi=DPI, timeout_s=60).result()
    bmp = write_bmp(scan, tmp_path / "page.bmp", DPI) or tmp_path / "page.bmp"
    theirs = parse_tsv(
        pytesseract.image_to_data(str(bmp), lang="fra+eng", config=f"--psm 3 --dpi {DPI}")
    )
    assert ours == theirs and len(ours) > 20
    before = set(glob.glob(f"{tempfile.gettempdir()}/mailroom-ocr-*"))
    running = engine.start(scan, dpi=DPI, timeout_s=60)
    process = running._proc
    running.cancel()
    assert process.poll() is not None
    assert set(glob.glob(f"{tempfile.gettempdir()}/mailroom-ocr-*")) <= before
