"""OpenCV clean-up of a grayscale page before OCR: page finding, scale, lighting, noise, skew.

The only module of the stage that imports cv2. A clean scan is left alone: each correction
runs only when a measurement says the page needs it:

- a photo whose page stands out from a darker surround (a table, a desk) is cut out along the
  page's four corners and warped flat (perspective);
- text too small for Tesseract (whose models want characters some 20-30 px tall: low-dpi scans,
  photos) is upscaled until it is about ``TARGET_TEXT_PX`` tall;
- salt-and-pepper specks are removed; sensor or JPEG noise is smoothed;
- lighting that varies across the page (shadows, vignetting) is divided out, the paper's
  brightness being measured at the scale of half a scanned page (a sixth of a photographed
  one) so that a printed dark band
  or a logo is not mistaken for a shadow;
- faded ink is stretched back to black on white;
- a skew of at least ``MIN_SKEW`` degrees is corrected;
- on request (a first reading was poor), faint print made of dots (faded thermal paper) is
  smoothed into strokes and stretched to black, and never despeckled.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

log = logging.getLogger(__name__)

MAX_SKEW = 10.0  # degrees searched either way
MIN_SKEW = 0.3  # below this the page is left as it is
UNEVEN_BACKGROUND = 40  # grey levels between the bright and dark parts of the paper
LOW_CONTRAST = 60  # grey levels between the ink and the paper: below, faded ink is stretched
NOISY_SIGMA = 6.0  # estimated noise standard deviation (grey levels)
# Tesseract reads best characters some 20-30 px tall: shorter ones (ink-weighted median
# height) are upscaled to about TARGET_TEXT_PX
MIN_TEXT_PX = 20
TARGET_TEXT_PX = 30
MAX_UPSCALE = 3.0
MAX_UPSCALED_PIXELS = 30_000_000  # an upscaled page stays below this (A4 at 550 dpi): memory
SPECKS_PER_MEGAPIXEL = 150  # isolated tiny dark dots above which the page is despeckled
SCAN_LIGHT_SCALE = 2  # a scan's paper brightness is measured over half the page
CAMERA_LIGHT_SCALE = 6  # a photo's over a sixth
BACKGROUND_SIDE = 300  # the paper's brightness is estimated on an image this large
PREVIEW_SIDE = 1200  # the reduced page on which the skew and the page outline are measured
MIN_PAGE_AREA = 0.2  # a page found in a photo covers at least this share of the image
MAX_PAGE_AREA = 0.92  # ... and at most this share: above, the image is the page (a scan)
DOT_PRINT_SIGMA = 1.0  # px at the page's own resolution: joins the dots of a thermal print


def init_worker() -> None:
    """One OpenCV thread per process: pages are parallelised by processes."""
    cv2.setNumThreads(1)


@dataclass(frozen=True)
class Assessment:
    background_range: float
    contrast: float
    noise_sigma: float
    specks: float = 0.0  # isolated tiny dark dots per megapixel

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
    def speckled(self) -> bool:
        return self.specks >= SPECKS_PER_MEGAPIXEL

    @property
    def clean(self) -> bool:
        return not (self.uneven or self.low_contrast or self.noisy or self.speckled)


@dataclass(frozen=True)
class Prepared:
    image: np.ndarray  # what is OCR'd (and shown to reviewers), upright, grayscale
    deskew_angle: float  # degrees applied (counter-clockwise positive), 0 when left alone
    enhanced: tuple[str, ...]  # which corrections ran
    scale: float = 1.0  # pixels of ``image`` per pixel of the input (upscaling, page warp)


def rotate_quarter(image: np.ndarray, degrees_cw: int) -> np.ndarray:
    """Rotate by a multiple of 90 degrees clockwise."""
    turns = (degrees_cw // 90) % 4
    if turns == 0:
        return image
    codes = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(image, codes[turns])


def _small(image: np.ndarray, target: int = 1000) -> tuple[np.ndarray, float]:
    """The image reduced so that its longer side is ``target`` px, and the scale applied.
    Halvings by Gaussian pyramid first (several times faster than an area resize of a whole
    page by an odd factor), then an area resize for the rest."""
    h, w = image.shape[:2]
    scale = min(1.0, target / max(h, w))
    if scale >= 1.0:
        return image, 1.0
    out = image
    while max(out.shape[:2]) >= 2 * target and min(out.shape[:2]) >= 4:
        out = cv2.pyrDown(out)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if (out.shape[1], out.shape[0]) != size:
        out = cv2.resize(out, size, interpolation=cv2.INTER_AREA)
    return out, scale


def _background(small: np.ndarray, camera: bool = False) -> np.ndarray:
    """The paper's brightness at each point: text, tables, logos and printed bands removed
    by a closing as large as half the page (a scanner lights the page evenly: what is
    dark at a smaller scale is print), or a sixth for a photograph (``camera``: its light
    varies faster, and what is found of a page in it is only the page), then smoothed."""
    fraction = CAMERA_LIGHT_SCALE if camera else SCAN_LIGHT_SCALE
    k = max(3, (min(small.shape[:2]) // fraction) | 1)
    closed = cv2.morphologyEx(
        small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    )
    return cv2.GaussianBlur(closed, (0, 0), sigmaX=k / 8, borderType=cv2.BORDER_REPLICATE)


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


def otsu_level(image: np.ndarray) -> float:
    """Otsu's threshold between ink and paper, from every other pixel of the page."""
    level, _ = cv2.threshold(image[::2, ::2], 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(level)


def _ink_mask(image: np.ndarray, level: float | None = None) -> np.ndarray:
    """Ink white on black: below ``level`` (Otsu's threshold of ``image`` when None)."""
    if level is None:
        _, binary = cv2.threshold(image, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    else:
        _, binary = cv2.threshold(image, level, 255, cv2.THRESH_BINARY_INV)
    return binary


def _components(binary: np.ndarray) -> np.ndarray:
    """Connected components' stats (x, y, w, h, area), the background excluded."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    return stats[1:]


def _sample_rows(image: np.ndarray) -> np.ndarray:
    """The middle half of a tall page's rows: enough characters and specks to measure them,
    for half the cost of labelling the whole page."""
    h = image.shape[0]
    if h < 1600:
        return image
    return image[h // 4 : h - h // 4]


def text_height(image: np.ndarray, stats: np.ndarray | None = None) -> float | None:
    """Typical height (px) of the character-like ink blobs, or None when there are too few.

    The median is weighted by the blobs' ink so that specks of noise, however many, do not
    pass for small print. ``stats``: the page's ink components when already computed."""
    if stats is None:
        stats = _components(_ink_mask(image))
    if len(stats) == 0:
        return None
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    glyph = (h >= 4) & (h <= image.shape[0] / 10) & (w <= 3 * h) & (area >= 0.1 * w * h)
    if int(glyph.sum()) < 20:
        return None
    heights, weights = h[glyph], area[glyph].astype(np.float64)
    order = np.argsort(heights)
    cumulative = np.cumsum(weights[order])
    return float(heights[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _speck_area(glyph_px: float | None) -> float:
    return max(2.0, (glyph_px or 25.0) * 0.012) ** 2  # 4 px² for 25-px text


def count_specks(image: np.ndarray, glyph_px: float | None, stats: np.ndarray | None = None
                 ) -> float:
    """Isolated dark dots much smaller than a period, per megapixel."""
    if stats is None:
        stats = _components(_ink_mask(image))
    if len(stats) == 0:
        return 0.0
    tiny = int(np.count_nonzero(stats[:, 4] <= _speck_area(glyph_px)))
    return tiny * 1e6 / max(1, image.size)


def _centre(image: np.ndarray, size: int = 1024) -> np.ndarray:
    h, w = image.shape[:2]
    top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return image[top : top + size, left : left + size]


def assess(
    image: np.ndarray,
    glyph_px: float | None = None,
    stats: np.ndarray | None = None,
    *,
    camera: bool = False,
    preview: np.ndarray | None = None,
    sample: np.ndarray | None = None,
) -> Assessment:
    """Measure what the page needs: the paper's brightness range, the contrast of the ink,
    the noise (on the centre of the page, at full resolution) and the specks (in ``sample``,
    the part of the page whose ink components ``stats`` are, by default the whole page)."""
    source = image if preview is None else preview
    background = _background(_small(source, BACKGROUND_SIDE)[0], camera)
    bg_lo, bg_hi = np.percentile(background, [2, 98])
    ink, paper = ink_and_paper(image)
    return Assessment(
        background_range=float(bg_hi - bg_lo),
        contrast=paper - ink,
        noise_sigma=noise_sigma(_centre(image)),
        specks=count_specks(image if sample is None else sample, glyph_px, stats),
    )


def _order_corners(points: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left."""
    pts = points.reshape(4, 2).astype(np.float32)
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array(
        [pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]],
        dtype=np.float32,
    )


def find_page(image: np.ndarray, preview: np.ndarray | None = None) -> np.ndarray | None:
    """The four corners (full-resolution pixels, clockwise from top-left) of a page lying on a
    darker surround, or None when the image is the page already (a scan) or no clear
    quadrilateral stands out."""
    small, scale = _small(image if preview is None else preview, 800)
    if preview is not None:
        scale *= preview.shape[1] / image.shape[1]
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    _, bright = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    k = max(3, (min(small.shape[:2]) // 30) | 1)
    bright = cv2.morphologyEx(
        bright, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    )
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    largest = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(largest) / float(small.shape[0] * small.shape[1])
    if not MIN_PAGE_AREA <= area <= MAX_PAGE_AREA:
        return None
    hull = cv2.convexHull(largest)
    quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    if len(quad) != 4 or not cv2.isContourConvex(quad):
        return None
    if cv2.contourArea(quad) < 0.85 * cv2.contourArea(hull):
        return None
    # a photographed sheet shows the surround on three sides at least (its fourth edge may
    # run out of the picture); a bright region held by the image's edges on two sides or
    # more is part of a scan (the paper below a dark printed band), not a sheet
    h, w = small.shape[:2]
    margin = 0.01 * max(h, w)
    xs, ys = quad[:, 0, 0], quad[:, 0, 1]
    touched = (
        int(xs.min() < margin) + int(ys.min() < margin)
        + int(xs.max() > w - 1 - margin) + int(ys.max() > h - 1 - margin)
    )
    if touched >= 2:
        return None
    # the surround must really be darker than the page (not a white page on white)
    mask = np.zeros_like(small)
    cv2.fillConvexPoly(mask, quad.reshape(-1, 2), 255)
    inside = float(np.median(small[mask > 0]))
    outside_px = small[mask == 0]
    if outside_px.size == 0 or inside - float(np.median(outside_px)) < 30:
        return None
    return _order_corners(quad / scale)


def warp_page(image: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The page inside ``corners`` as a flat rectangle, sides as long as the longer of each
    pair of opposite sides."""
    tl, tr, br, bl = corners
    width = round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    target = np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32
    )
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(
        image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


def upscale_factor(glyph_px: float | None, shape: tuple[int, ...]) -> float:
    """How much to enlarge a page whose characters are ``glyph_px`` tall (1.0: not at all)."""
    if glyph_px is None or glyph_px >= MIN_TEXT_PX:
        return 1.0
    factor = min(MAX_UPSCALE, TARGET_TEXT_PX / glyph_px)
    pixels = shape[0] * shape[1]
    factor = min(factor, math.sqrt(MAX_UPSCALED_PIXELS / max(1, pixels)))
    return factor if factor > 1.05 else 1.0


def estimate_skew(image: np.ndarray, preview: np.ndarray | None = None) -> float:
    """The rotation (degrees, counter-clockwise positive, as ``deskew`` applies it) that
    makes text lines horizontal, found by maximising the sharpness of the row profile.
    """
    small, _ = _small(image if preview is None else preview, PREVIEW_SIDE)
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


def despeckle(image: np.ndarray, glyph_px: float | None) -> np.ndarray:
    """Paint isolated dark dots much smaller than a period with the paper around them."""
    binary = _ink_mask(image)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    limit = _speck_area(glyph_px)
    tiny = np.zeros(count, dtype=bool)
    tiny[1:] = stats[1:, cv2.CC_STAT_AREA] <= limit
    mask = tiny[labels]
    if not mask.any():
        return image
    paper = cv2.medianBlur(image, 5)
    out = image.copy()
    out[mask] = paper[mask]
    return out


def enhance(
    image: np.ndarray,
    assessment: Assessment,
    glyph_px: float | None = None,
    *,
    camera: bool = False,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Even out lighting, restore contrast and remove noise, each only where measured."""
    done: list[str] = []
    out = image
    if assessment.speckled:
        out = despeckle(out, glyph_px)
        done.append("despeckle")
    if assessment.noisy:
        out = cv2.medianBlur(out, 3)
        done.append("denoise")
    if assessment.uneven:
        small, _ = _small(out, BACKGROUND_SIDE)
        background = cv2.resize(
            _background(small, camera), (out.shape[1], out.shape[0]),
            interpolation=cv2.INTER_LINEAR,
        )
        out = cv2.divide(out, np.maximum(background, 1), scale=255)
        done.append("flatten")
    if assessment.low_contrast:
        ink, paper = ink_and_paper(out)
        if paper - ink > 10:
            out = _levels(out, ink, paper)
            done.append("contrast")
    return out, tuple(done)


def smooth(image: np.ndarray) -> np.ndarray:
    """Blur the page slightly so that print made of dots (a faded thermal receipt, a dot-matrix
    slip) joins into strokes again: broken into specks, it is neither measured nor read."""
    return cv2.GaussianBlur(image, (0, 0), DOT_PRINT_SIGMA)


def stretch(image: np.ndarray) -> np.ndarray:
    """Darkest print to black, the paper (the page's median) to white. Otsu's split, which
    ``assess`` measures the contrast with, takes faint grey print for paper when a few dark
    marks (a punched hole, a smudge) stand for the ink: this does not."""
    lo, paper = np.percentile(image[::2, ::2], [1, 50])
    if paper - lo <= 10:
        return image
    return _levels(image, float(lo), float(paper))


def _levels(image: np.ndarray, ink: float, paper: float) -> np.ndarray:
    """Grey level ``ink`` to black and ``paper`` to white, linearly, clipped."""
    lut = np.clip((np.arange(256, dtype=np.float32) - ink) * (255.0 / (paper - ink)), 0, 255)
    return cv2.LUT(image, lut.astype(np.uint8))


def prepare(
    image: np.ndarray,
    *,
    enhance_pages: bool = True,
    camera: bool = False,
    dotted: bool = False,
) -> Prepared:
    """Flatten a photographed page, clean up a page that needs it, enlarge small text and
    deskew small angles; a clean, straight page at a good resolution is returned untouched.
    ``camera``: the image is known to be a photograph (no resolution declared); a page found
    lying on a darker surround is taken for one too. ``dotted``: the print is taken to be
    faint and made of dots (see :func:`smooth`, :func:`stretch`): the page is smoothed and
    stretched first and never despeckled (its specks are the print). The reader asks for it
    when a first reading was poor.

    The clean-up runs at the page's own resolution (cheaper, and specks are recognisable
    as specks there), the enlargement after it."""
    out = image
    steps: list[str] = []
    scale = 1.0
    preview = _small(image, PREVIEW_SIDE)[0]
    if enhance_pages:
        corners = find_page(out, preview)
        if corners is not None:
            out = warp_page(out, corners)  # same pixel density: the scale is unchanged
            steps.append("page")
            camera = True
            preview = _small(out, PREVIEW_SIDE)[0]
        if dotted:
            out = stretch(smooth(out))
            steps.append("smooth")
        sample = _sample_rows(out)
        stats = _components(_ink_mask(sample, otsu_level(out)))
        glyph_px = text_height(sample, stats)
        assessment = assess(
            out, glyph_px, stats, camera=camera, preview=preview, sample=sample
        )
        if dotted:
            assessment = replace(assessment, specks=0.0)
        if not assessment.clean:
            out, done = enhance(out, assessment, glyph_px, camera=camera)
            steps.extend(done)
        factor = upscale_factor(glyph_px, out.shape)
        if factor > 1.0:
            out = cv2.resize(out, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
            scale = factor
            steps.append("upscale")
        if steps:
            log.debug("page prepared (%s): %s, text %s px", ", ".join(steps), assessment,
                      glyph_px)
    angle = estimate_skew(out, preview if out is image else None)
    if abs(angle) >= MIN_SKEW:
        out = rotate_small_angle(out, angle)
    else:
        angle = 0.0
    return Prepared(image=out, deskew_angle=angle, enhanced=tuple(steps), scale=scale)


def resized(image: np.ndarray, factor: float) -> np.ndarray:
    """``image`` scaled by ``factor``: bicubic when enlarged, by area when reduced."""
    if factor == 1.0:
        return image
    interpolation = cv2.INTER_CUBIC if factor > 1.0 else cv2.INTER_AREA
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=interpolation)


def plain_view(
    image: np.ndarray, rotation: int, scale: float, deskew_angle: float
) -> np.ndarray:
    """``image`` turned, enlarged and deskewed as :func:`prepare` (after a quarter turn) did
    it, but not cleaned up: the same geometry, the original pixels."""
    view = resized(rotate_quarter(image, rotation), scale)
    return rotate_small_angle(view, deskew_angle) if deskew_angle else view


def resized_to(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` scaled to ``width`` x ``height`` pixels (bilinear), as three channels: a
    line as the second reader (:mod:`extract.line_reader`) takes it."""
    line = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.repeat(line[None, :, :], 3, axis=0) if line.ndim == 2 else line.transpose(2, 0, 1)
