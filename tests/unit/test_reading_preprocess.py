"""OpenCV clean-up decisions on synthetic pages: page finding, text size, specks, lighting."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from extract.base import OcrWord
from extract.page_ocr import OcrRead, page_from_ocr
from extract.preprocess import (
    despeckle,
    find_page,
    prepare,
    text_height,
    upscale_factor,
    warp_page,
)


def _text_page(h: int, w: int, char_px: int, paper: int = 245, ink: int = 20) -> np.ndarray:
    """Lines of character-sized dark blocks on paper."""
    img = np.full((h, w), paper, dtype=np.uint8)
    pitch = char_px * 2
    for y in range(char_px * 3, h - char_px * 3, pitch):
        for x in range(w // 12, w - w // 12, max(2, char_px * 2 // 3)):
            img[y : y + char_px, x : x + max(1, char_px // 2)] = ink
    return img


def test_text_height_is_the_size_of_the_characters() -> None:
    assert text_height(_text_page(1200, 900, 24)) == pytest.approx(24, abs=1)
    assert text_height(_text_page(1200, 900, 10)) == pytest.approx(10, abs=1)


def test_text_height_is_not_fooled_by_specks_of_noise() -> None:
    img = _text_page(1200, 900, 24)
    rng = np.random.default_rng(1)
    ys, xs = rng.integers(0, 1200, 4000), rng.integers(0, 900, 4000)
    img[ys, xs] = 0
    assert text_height(img) == pytest.approx(24, abs=2)


def test_small_text_is_enlarged_and_large_text_is_not() -> None:
    assert upscale_factor(10.0, (1000, 800)) == pytest.approx(3.0)
    assert upscale_factor(15.0, (1000, 800)) == pytest.approx(2.0)
    assert upscale_factor(26.0, (3500, 2480)) == 1.0
    assert upscale_factor(None, (1000, 800)) == 1.0
    # never beyond the pixel budget
    assert upscale_factor(10.0, (5000, 5000)) * 5000 <= 5500


def test_small_print_page_is_upscaled_and_its_boxes_stay_in_points() -> None:
    img = _text_page(1100, 800, 10)
    prepared = prepare(img)
    assert "upscale" in prepared.enhanced and prepared.scale == pytest.approx(3.0)
    assert prepared.image.shape == (3300, 2400)
    word = OcrWord("Total", left=300, top=600, width=150, height=60, confidence=90.0)
    read = OcrRead([word], prepared.image, 0, 0.0, prepared.enhanced, prepared.scale)
    page = page_from_ocr(1, read, dpi=100)
    # 100 dpi as loaded: the page is 8 x 11 inches whatever the upscaling
    assert page.width == pytest.approx(576) and page.height == pytest.approx(792)
    assert page.words[0].bbox.x0 == pytest.approx(300 / 300 * 72)


def test_isolated_specks_are_removed_and_characters_kept() -> None:
    img = _text_page(1200, 900, 24)
    clean = img.copy()
    img[5, 5] = img[1195, 7] = img[600, 3] = 0  # specks in the margins
    out = despeckle(img, 24.0)
    assert out[5, 5] > 200 and out[1195, 7] > 200 and out[600, 3] > 200
    assert np.array_equal(out[100:1100, 100:800], clean[100:1100, 100:800])


def test_a_speckled_scan_is_despeckled() -> None:
    img = _text_page(1600, 1200, 24)
    rng = np.random.default_rng(2)
    img[rng.integers(0, 1600, 3000), rng.integers(0, 1200, 3000)] = 0
    assert "despeckle" in prepare(img).enhanced


def test_a_dark_printed_band_is_not_taken_for_a_shadow() -> None:
    """A letterhead printed on a dark band must stay readable: white on dark, not washed
    out as if the band were a shadow."""
    img = _text_page(3500, 2480, 26)
    img[:400, :] = 110  # the band
    img[150:200, 400:1400:30] = 250  # white lettering on it
    prepared = prepare(img)
    assert "flatten" not in prepared.enhanced
    assert float(prepared.image[50:120, 100:300].mean()) < 150  # the band is still dark


def _photo(page: np.ndarray, size: tuple[int, int], corners: np.ndarray) -> np.ndarray:
    h, w = page.shape
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, corners.astype(np.float32))
    return cv2.warpPerspective(
        page, matrix, size, borderMode=cv2.BORDER_CONSTANT, borderValue=60
    )


def test_photographed_page_is_found_and_warped_flat() -> None:
    page = _text_page(1400, 1000, 20)
    corners = np.array([[180, 120], [1080, 160], [1120, 1380], [140, 1330]], dtype=np.float32)
    photo = _photo(page, (1300, 1500), corners)
    found = find_page(photo)
    assert found is not None
    assert np.abs(found - corners).max() < 15
    flat = warp_page(photo, found)
    assert flat.shape[0] > flat.shape[1]  # portrait, like the page
    assert float(np.median(flat)) > 200  # no dark surround left
    assert "page" in prepare(photo).enhanced


def test_a_scan_filling_the_image_is_not_cut() -> None:
    assert find_page(_text_page(1400, 1000, 20)) is None
    banded = _text_page(1400, 1000, 20)
    banded[:160, :] = 80  # a dark header band touching the image's edges
    assert find_page(banded) is None


def test_a_photographed_page_running_out_of_the_picture_is_still_found() -> None:
    page = _text_page(1400, 1000, 20)
    corners = np.array([[180, 120], [1080, 160], [1120, 1560], [140, 1560]], dtype=np.float32)
    photo = _photo(page, (1300, 1500), corners)  # the page's foot is cut by the frame
    assert find_page(photo) is not None
