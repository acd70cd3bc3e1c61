"""The Reader end to end with the fake OCR engine: media types, sources, images, errors."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from extract.base import FakeOcrEngine, OcrWord
from extract.images import choose_dpi, frame_count, load_frame
from extract.page_ocr import with_missed_words
from extract.reader import Reader, page_runs
from extract.settings import OcrSettings
from mailroom.errors import (
    CorruptFile,
    DecompressionBomb,
    EncryptedPdf,
    ReadTimeout,
    TooManyPages,
    UnsupportedType,
)
from mailroom.settings import LimitSettings

LIMITS = LimitSettings(max_pages=10, max_image_pixels=20_000_000)


def _marked(w: int = 600, h: int = 800) -> Image.Image:
    img = Image.new("L", (w, h), 255)
    img.paste(0, (20, 20, 120, 120))  # top-left mark: "upright" for the fake engine
    return img


@pytest.fixture(scope="module")
def reader() -> Iterator[Reader]:
    with Reader(OcrSettings(workers=1, dpi=100, page_timeout_s=20), LIMITS, FakeOcrEngine()) as r:
        yield r


def _mixed_pdf(path: Path) -> Path:
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setFont("Helvetica", 12)
    c.drawString(72, 760, "Facture numéro F2026-0042 pour le dossier AST-2026-004217")
    c.drawString(72, 740, "Total TTC 180,00 EUR, merci de votre confiance")
    c.showPage()
    buf = io.BytesIO()
    _marked().save(buf, format="PNG")
    c.drawImage(ImageReader(io.BytesIO(buf.getvalue())), 0, 0, *A4)
    c.showPage()
    c.save()
    return path


def test_mixed_pdf_gives_text_and_ocr_pages(reader: Reader, tmp_path: Path) -> None:
    pdf = _mixed_pdf(tmp_path / "mixed.pdf")
    result = reader.read(pdf, "application/pdf", image_dir=tmp_path / "img")
    assert [p.text_source for p in result.pages] == ["pdf_text", "ocr"]
    first, second = result.pages
    assert "F2026-0042" in first.text and first.ocr_confidence is None
    assert second.text.startswith("Facture numéro 42") and second.ocr_confidence == 91.0
    assert second.width == pytest.approx(A4[0], abs=1) and second.height == pytest.approx(
        A4[1], abs=1
    )
    assert sorted(result.page_images) == [1, 2]
    assert result.page_images[2].name == "page-0002.png"
    assert all(p.is_file() for p in result.page_images.values())


def test_text_page_words_have_boxes_in_points_from_top_left(reader: Reader, tmp_path: Path) -> None:
    result = reader.read(_mixed_pdf(tmp_path / "m.pdf"), "application/pdf")
    word = next(w for w in result.pages[0].words if w.text == "Facture")
    assert word.bbox.x0 == pytest.approx(72, abs=1)
    assert word.bbox.y1 == pytest.approx(A4[1] - 760, abs=4)  # baseline 760 pt from the bottom
    assert result.page_images == {}


def test_multi_page_tiff_gives_every_frame(reader: Reader, tmp_path: Path) -> None:
    path = tmp_path / "scan.tif"
    frames = [_marked(), _marked(), _marked()]
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(150, 150))
    result = reader.read(path, "image/tiff")
    assert [p.number for p in result.pages] == [1, 2, 3]
    assert result.pages[0].width == pytest.approx(600 * 72 / 150)


def test_exif_orientation_is_honoured(tmp_path: Path) -> None:
    upright = _marked(300, 400)
    # stored turned, with EXIF Orientation 6 (display rotated 90 clockwise)
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "photo.jpg"
    stored.save(path, exif=exif)
    loaded = load_frame(path, 0, LIMITS)
    assert loaded.pixels.shape == (400, 300)
    assert loaded.pixels[:150, :150].mean() < loaded.pixels[-150:, -150:].mean()


def test_phone_photo_without_dpi_is_sized_about_a4_wide() -> None:
    dpi = choose_dpi(3024, 4032, None)
    assert 3024 * 72 / dpi == pytest.approx(595, abs=2)
    assert choose_dpi(2480, 3508, (300, 300)) == 300
    assert choose_dpi(2480, 3508, (72, 72)) != 72  # a 72-dpi default is not believed
    assert choose_dpi(2480, 3508, (0, 0)) > 0


def test_text_plain_is_rendered_and_read_from_its_text_layer(
    reader: Reader, tmp_path: Path
) -> None:
    body = tmp_path / "body.txt"
    body.write_text(
        "Bonjour,\n\nJe vous adresse la facture du dépannage (dossier AST-2026-004217).\n"
        "Montant : 180,00 €\n\nCordialement,\nClaire Martin\n",
        encoding="utf-8",
    )
    result = reader.read(body, "text/plain")
    assert [p.text_source for p in result.pages] == ["pdf_text"]
    text = result.pages[0].text
    assert "AST-2026-004217" in text and "dépannage" in text and "180,00 €" in text
    assert text.splitlines()[0] == "Bonjour,"


def test_unsupported_media_type_is_refused(reader: Reader, tmp_path: Path) -> None:
    path = tmp_path / "x.docx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedType):
        reader.read(path, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


def test_truncated_pdf_is_corrupt(reader: Reader, tmp_path: Path) -> None:
    pdf = _mixed_pdf(tmp_path / "full.pdf").read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(pdf[: len(pdf) // 3])
    try:
        result = reader.read(broken, "application/pdf")
    except CorruptFile:
        return
    assert result.pages  # PDFium repaired what it could: read, never a crash


def test_garbage_bytes_are_corrupt(reader: Reader, tmp_path: Path) -> None:
    path = tmp_path / "noise.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(CorruptFile):
        reader.read(path, "image/png")
    with pytest.raises(CorruptFile):
        reader.read(path, "application/pdf")


def test_too_many_pages(reader: Reader, tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for n in range(11):
        c.drawString(72, 700, f"Page {n}")
        c.showPage()
    c.save()
    with pytest.raises(TooManyPages):
        reader.read(path, "application/pdf")


def test_huge_image_is_a_decompression_bomb(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("L", (6000, 4000), 255).save(path)  # 24 Mpx > 20 Mpx limit
    with pytest.raises(DecompressionBomb):
        frame_count(path, LIMITS)


def test_huge_pdf_page_is_a_decompression_bomb(reader: Reader, tmp_path: Path) -> None:
    path = tmp_path / "poster.pdf"
    c = canvas.Canvas(str(path), pagesize=(14000, 14000), invariant=1)
    c.rect(10, 10, 100, 100, fill=1)
    c.showPage()
    c.save()
    with pytest.raises(DecompressionBomb):
        reader.read(path, "application/pdf")


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
def test_password_protected_pdf_is_encrypted(reader: Reader, tmp_path: Path) -> None:
    plain = _mixed_pdf(tmp_path / "plain.pdf")
    locked = tmp_path / "locked.pdf"
    subprocess.run(
        ["qpdf", "--encrypt", "u", "o", "256", "--", str(plain), str(locked)], check=True
    )
    with pytest.raises(EncryptedPdf):
        reader.read(locked, "application/pdf")
    owner_only = tmp_path / "owner.pdf"
    subprocess.run(
        ["qpdf", "--encrypt", "", "o", "256", "--", str(plain), str(owner_only)], check=True
    )
    assert reader.read(owner_only, "application/pdf").pages[0].text_source == "pdf_text"


@dataclass(frozen=True)
class _CrashingEngine(FakeOcrEngine):
    """Dies like a C library segfaulting in the worker."""

    def recognize(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> list[OcrWord]:
        os._exit(139)


def test_a_crash_in_a_worker_is_a_corrupt_file_and_the_pool_recovers(tmp_path: Path) -> None:
    with Reader(OcrSettings(workers=1, dpi=100), LIMITS, _CrashingEngine()) as r:
        with pytest.raises(CorruptFile):
            r.read(_mixed_pdf(tmp_path / "a.pdf"), "application/pdf")
        # the text-only part of a document still reads on the rebuilt pool
        body = tmp_path / "b.txt"
        body.write_text("Madame, Monsieur, veuillez trouver ci-joint ma demande de remboursement.")
        assert r.read(body, "text/plain").pages[0].text_source == "pdf_text"


def test_a_worker_killed_from_outside_does_not_fail_the_next_document(tmp_path: Path) -> None:
    with Reader(OcrSettings(workers=1, dpi=100), LIMITS, FakeOcrEngine()) as r:
        r.warm_up()
        pool, _ = r._executor()
        for process in list(pool._processes.values()):
            os.kill(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not pool._broken and time.monotonic() < deadline:
            time.sleep(0.05)
        assert r.read(_mixed_pdf(tmp_path / "b.pdf"), "application/pdf").pages


def test_fake_mark_helper_is_sane() -> None:
    arr = np.asarray(_marked())
    assert FakeOcrEngine._dark_quadrant(arr) == 0


@dataclass(frozen=True)
class _HangingOnDarkEngine(FakeOcrEngine):
    """Hangs on a mostly dark page (like Tesseract stuck on a hostile image)."""

    def recognize(self, image: np.ndarray, *, dpi: int, timeout_s: float) -> list[OcrWord]:
        if float(image.mean()) < 128:
            time.sleep(60)
        return super().recognize(image, dpi=dpi, timeout_s=timeout_s)


def test_a_hung_document_times_out_without_failing_a_concurrent_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import extract.reader as reader_module

    monkeypatch.setattr(reader_module, "GUARD_MARGIN_S", 1.0)
    dark = tmp_path / "dark.png"
    Image.new("L", (600, 800), 20).save(dark)
    good = []
    for i in range(4):
        path = tmp_path / f"good-{i}.png"
        _marked().save(path)
        good.append(path)
    outcome: dict[str, object] = {}

    def read_dark(r: Reader) -> None:
        try:
            r.read(dark, "image/png")
        except Exception as e:  # noqa: BLE001 - recorded for the assertion
            outcome["dark"] = e

    with Reader(
        OcrSettings(workers=2, dpi=100, page_timeout_s=1), LIMITS, _HangingOnDarkEngine()
    ) as r:
        r.warm_up()
        thread = threading.Thread(target=read_dark, args=(r,))
        thread.start()
        texts = [r.read(path, "image/png").pages[0].text for path in good]
        thread.join(timeout=60)
        # after the hung page's pool was killed, the next document reads on a fresh pool
        texts.append(r.read(good[0], "image/png").pages[0].text)
    assert isinstance(outcome.get("dark"), ReadTimeout)
    assert all(text.startswith("Facture numéro 42") for text in texts)


def test_two_threads_read_documents_at_the_same_time(tmp_path: Path) -> None:
    import threading

    paths = []
    for i in range(6):
        path = tmp_path / f"p-{i}.png"
        _marked().save(path)
        paths.append(path)
    results: dict[int, str] = {}

    def read(r: Reader, index: int) -> None:
        results[index] = r.read(paths[index], "image/png").pages[0].text

    with Reader(OcrSettings(workers=2, dpi=100), LIMITS, FakeOcrEngine()) as r:
        threads = [threading.Thread(target=read, args=(r, i)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(results) == list(range(6))
    assert all(text.startswith("Facture numéro 42") for text in results.values())


def test_pages_are_split_into_one_run_per_worker() -> None:
    assert page_runs(1, 2) == [range(0, 1)]
    assert page_runs(6, 2) == [range(0, 6)]  # short: one run, opened once
    assert page_runs(50, 2) == [range(0, 25), range(25, 50)]
    runs = page_runs(51, 4)
    assert [i for run in runs for i in run] == list(range(51)) and len(runs) == 4


@pytest.mark.parametrize("text_layer", ["pdfplumber", "pdfium"])
def test_both_text_layer_readers_give_the_same_words_and_lines(
    text_layer: str, tmp_path: Path
) -> None:
    pdf = tmp_path / "long.pdf"
    c = canvas.Canvas(str(pdf), pagesize=A4, invariant=1)
    for n in range(9):
        c.setFont("Helvetica", 11)
        c.drawString(72, 760, f"Facture numéro F2026-{n:04d} du 12/03/2026")
        c.drawString(72, 740, "Dépannage Dupuis    Total TTC : 180,00 EUR")
        c.drawString(300, 700, "IBAN FR76 3000 6000 0112 3456 7890 189")
        c.showPage()
    c.save()
    with Reader(
        OcrSettings(workers=2, dpi=100), LIMITS, FakeOcrEngine(), text_layer=text_layer
    ) as r:  # type: ignore[arg-type]
        result = r.read(pdf, "application/pdf")
    assert [p.number for p in result.pages] == list(range(1, 10))
    assert all(p.text_source == "pdf_text" for p in result.pages)
    page = result.pages[3]
    assert page.text.splitlines() == [
        "Facture numéro F2026-0003 du 12/03/2026",
        "Dépannage Dupuis Total TTC : 180,00 EUR",
        "IBAN FR76 3000 6000 0112 3456 7890 189",
    ]
    first = page.words[0]
    assert first.text == "Facture"
    assert first.bbox.x0 == pytest.approx(72, abs=1)
    assert first.bbox.y1 == pytest.approx(841.89 - 760, abs=4)
    assert result.page_images == {}  # no previews rendered when no image_dir is given


def test_tesseract_starts_before_the_clean_up_only_while_a_core_would_idle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import extract.reader as reader_module
    from extract.base import FakeOcrEngine
    from extract.reader import Reader
    from extract.settings import OcrSettings
    from mailroom.settings import LimitSettings

    monkeypatch.setattr(reader_module.os, "cpu_count", lambda: 2)
    reader = Reader(OcrSettings(workers=1), LimitSettings(), engine=FakeOcrEngine())
    seen: list[tuple[bool, int]] = []

    def tasks(path: Path, kind: str, indexes: tuple[int, ...], image_dir: object,
              start_early: bool) -> tuple[dict[int, object], dict[int, Path]]:
        seen.append((start_early, reader._pages_in_flight))
        if kind == "boom":
            raise RuntimeError("a page failed")
        return {}, {}

    monkeypatch.setattr(reader, "_ocr_tasks", tasks)
    reader._ocr_pages(Path("one.png"), "image", (0,), None)  # one page, two cores
    reader._ocr_pages(Path("two.pdf"), "pdf", (0, 1), None)  # the pages fill the cores
    reader._pages_in_flight = 1  # another document's page is being read
    reader._ocr_pages(Path("other.png"), "image", (0,), None)
    reader._pages_in_flight = 0
    with pytest.raises(RuntimeError):
        reader._ocr_pages(Path("bad.png"), "boom", (0,), None)  # type: ignore[arg-type]
    assert seen == [(True, 1), (False, 2), (False, 2), (True, 1)]
    assert reader._pages_in_flight == 0  # counted back, even after a failure


def test_words_only_the_other_reading_has_are_added_to_the_kept_one() -> None:
    kept = [OcrWord("GST", 10, 100, 40, 20, 95.0, 1, 1, 1),
            OcrWord("@", 60, 100, 20, 20, 95.0, 1, 1, 1)]
    other = [
        OcrWord("GST", 12, 101, 40, 20, 90.0, 1, 1, 3),  # the same word: not twice
        OcrWord("1.08", 300, 100, 50, 20, 91.0, 1, 1, 3),  # where the kept reading has none
        OcrWord("xx", 300, 200, 30, 20, 30.0, 1, 1, 4),  # not sure of it
        OcrWord("---", 300, 240, 30, 20, 95.0, 1, 1, 5),  # a rule, no letter or digit
    ]
    out = with_missed_words(kept, other)
    assert [w.text for w in out] == ["GST", "@", "1.08"]
    assert out[2].block == 3  # numbered apart from the kept reading's blocks
    assert with_missed_words([], other) == other


def test_a_line_the_kept_reading_lacks_comes_whole_once_one_of_its_words_is_sure() -> None:
    kept = [OcrWord("NO.", 10, 200, 40, 20, 95.0, 1, 1, 1)]
    other = [
        # the shop's name, its first and last words less sure than the middle ones
        OcrWord("TED", 10, 100, 40, 30, 36.0, 2, 1, 1),
        OcrWord("HENG", 60, 100, 50, 30, 90.0, 2, 1, 1),
        OcrWord("&", 120, 100, 15, 30, 77.0, 2, 1, 1),
        OcrWord("BOOKS", 140, 100, 60, 30, 51.0, 2, 1, 1),
        OcrWord("|", 210, 100, 5, 30, 80.0, 2, 1, 1),  # a rule beside it stays out
        # a line the kept reading has in part: only its sure words
        OcrWord("NO.", 10, 200, 40, 20, 90.0, 3, 1, 1),
        OcrWord("53,", 60, 200, 30, 20, 40.0, 3, 1, 1),
        # a line of specks, none sure
        OcrWord("ee", 10, 300, 20, 20, 29.0, 4, 1, 1),
        OcrWord("Sen", 40, 300, 30, 20, 45.0, 4, 1, 1),
    ]
    out = with_missed_words(kept, other)
    assert [w.text for w in out] == ["NO.", "TED", "HENG", "&", "BOOKS"]
