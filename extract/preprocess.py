"""OpenCV clean-up of a grayscale page before OCR: quarter turns, deskew, lighting, noise.

The only module of the stage that imports cv2. A clean scan is left alone: each correction
runs only when a measurement says the page needs it (a skew of at least ``MIN_SKEW`` degrees,
a background whose brightness varies across the page, washed-out ink, sensor noise).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np

log = logging.getLogger(__name__)

MAX_SKEW = 10.0  # degrees searched either way
MIN_SKEW = 0.3  # below this the page is left as it is
UNEVEN_BACKGROUND = 40  # grey levels between the bright and dark parts of the background
LOW_CONTRAST = 90  # grey levels between the ink and the paper
NOISY_SIGMA = 6.0  # estimated noise standard deviation (grey levels)


def init_worker() -> None:
    """One OpenCV thread per process: pages are parallelised by processes."""
    cv2.setNumThreads(1)


@dataclass(frozen=True)
class Assessment:
    background_range: float
    contrast: float
    noise_sigma: float

    @property
    def uneven(self) -> bool:
        return self.background_range >= UNEVEN_BACKGROUND

    @property
    def low_contrast(self) -> bool:
        return self.contrast < LOW_CONTRAST

    @property
    def noisy(self) -> bool:
        return self.noise_sigma >= NOISY_SIGMA

    @property
    def clean(self) -> bool:
        return not (self.uneven or self.low_contrast or self.noisy)


@dataclass(frozen=True)
class Prepared:
    image: np.ndarray  # what is OCR'd (and shown to reviewers), upright, grayscale
    deskew_angle: float  # degrees applied (counter-clockwise positive), 0 when left alone
    enhanced: tuple[str, ...]  # which corrections ran


def rotate_quarter(image: np.ndarray, degrees_cw: int) -> np.ndarray:
    """Rotate by a multiple of 90 degrees clockwise."""
    turns = (degrees_cw // 90) % 4
    if turns == 0:
        return image
    codes = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(image, codes[turns])


def _small(image: np.ndarray, target: int = 1000) -> tuple[np.ndarray, float]:
    h, w = image.shape[:2]
    scale = min(1.0, target / max(h, w))
    if scale >= 1.0:
        return image, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def _background(small: np.ndarray) -> np.ndarray:
    """The paper's brightness at each point: text removed by a closing, then smoothed."""
    k = max(3, (min(small.shape[:2]) // 40) | 1)
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(
        cv2.MORPH_RECT, (k, k)))
    return cv2.medianBlur(closed, 2 * (k // 2) + 1 if k < 255 else 255)


def noise_sigma(image: np.ndarray) -> float:
    """Immerkaer's fast noise estimate, over the flat (non-edge) parts of the page."""
    img = image.astype(np.float32)
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
    response = np.abs(cv2.filter2D(img, -1, kernel))
    edges = cv2.Canny(image, 50, 150)
    flat = cv2.dilate(edges, np.ones((3, 3), np.uint8)) == 0
    if flat.sum() < 100:
        return 0.0
    return float(math.sqrt(math.pi / 2) * response[flat].mean() / 6.0)


def ink_and_paper(image: np.ndarray) -> tuple[float, float]:
    """Typical grey levels of the ink and of the paper, split by Otsu's threshold."""
    sample = image[::2, ::2]
    threshold, _ = cv2.threshold(sample, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = sample[sample <= threshold]
    light = sample[sample > threshold]
    if dark.size == 0 or light.size == 0:
        level = float(np.median(sample))
        return level, level
    return float(np.median(dark)), float(np.median(light))


def assess(image: np.ndarray) -> Assessment:
    small, _ = _small(image)
    background = _background(small)
    bg_lo, bg_hi = np.percentile(background, [2, 98])
    ink, paper = ink_and_paper(image)
    return Assessment(
        background_range=float(bg_hi - bg_lo),
        contrast=paper - ink,
        noise_sigma=noise_sigma(_small(image, 2000)[0]),
    )


def estimate_skew(image: np.ndarray) -> float:
    """The rotation (degrees, counter-clockwise positive, as ``deskew`` applies it) that
    makes text lines horizontal, found by maximising the sharpness of the row profile.
    """
    small, _ = _small(image, 1200)
    _, binary = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ys, xs = np.nonzero(binary)
    if len(xs) < 200 or len(xs) > 0.5 * binary.size:
        return 0.0
    if len(xs) > 60_000:
        pick = np.random.default_rng(0).choice(len(xs), 60_000, replace=False)
        xs, ys = xs[pick], ys[pick]
    xs = xs.astype(np.float64) - small.shape[1] / 2
    ys = ys.astype(np.float64) - small.shape[0] / 2
    height = small.shape[0] + small.shape[1]

    def score(angle: float) -> float:
        a = math.radians(angle)
        rows = ys * math.cos(a) + xs * math.sin(a)
        hist = np.bincount((rows + height).astype(np.int64), minlength=2 * height)
        return float(np.sum(np.diff(hist.astype(np.float64)) ** 2))

    coarse = np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 0.5)
    best = max(coarse, key=score)
    fine = np.arange(best - 0.5, best + 0.51, 0.1)
    best = max(fine, key=score)
    if score(best) <= score(0.0) * 1.02:
        return 0.0  # no better than leaving it: a page without clear lines
    return round(-float(best), 2)


def rotate_small_angle(image: np.ndarray, angle: float) -> np.ndarray:
    """Rotate about the centre by ``angle`` degrees (counter-clockwise), same size, white fill."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(
        image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=255,
    )


def enhance(image: np.ndarray, assessment: Assessment) -> tuple[np.ndarray, tuple[str, ...]]:
    """Even out lighting, restore contrast and remove noise, each only where measured."""
    done: list[str] = []
    out = image
    if assessment.noisy:
        out = cv2.medianBlur(out, 3)
        done.append("denoise")
    if assessment.uneven or assessment.low_contrast:
        small, _ = _small(out)
        background = cv2.resize(
            _background(small), (out.shape[1], out.shape[0]), interpolation=cv2.INTER_LINEAR
        )
        out = cv2.divide(out, np.maximum(background, 1), scale=255)
        done.append("flatten")
    if assessment.low_contrast:
        clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
        out = clahe.apply(out)
        ink, paper = ink_and_paper(out)
        if paper - ink > 10:
            # stretch so that the ink is black and the paper white, clipped
            stretched = (out.astype(np.float32) - ink) * (255.0 / (paper - ink))
            out = np.clip(stretched, 0, 255).astype(np.uint8)
        done.append("contrast")
    return out, tuple(done)


def prepare(image: np.ndarray, *, enhance_pages: bool = True) -> Prepared:
    """Deskew small angles and clean up a page that needs it; a clean, straight page is
    returned untouched."""
    out = image
    steps: tuple[str, ...] = ()
    if enhance_pages:
        assessment = assess(image)
        if not assessment.clean:
            out, steps = enhance(image, assessment)
            log.debug("page enhanced (%s): %s", ", ".join(steps), assessment)
    angle = estimate_skew(out)
    if abs(angle) >= MIN_SKEW:
        out = rotate_small_angle(out, angle)
    else:
        angle = 0.0
    return Prepared(image=out, deskew_angle=angle, enhanced=steps)
