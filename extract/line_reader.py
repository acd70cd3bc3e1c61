"""A second reader of text lines: PaddleOCR's PP-OCRv4 line recogniser, run by onnxruntime.

Tesseract finds the words of a page and their boxes well, but on the small, worn print of
till receipts its LSTM misreads letters and digits that a more recent recogniser reads right
(an O for a U, a T for an I at a word's end, "13 Mar 208" for 18 Mar 2018, "02/08/2018" for
02/03/2018). PP-OCRv4's recogniser reads one cropped line at a time, without a dictionary,
and gives each character it reads with its probability and its place along the line, so
its characters can be put back into Tesseract's words by where they stand (see
:mod:`extract.fusion`).

The model is the ONNX export shipped in the ``rapidocr-onnxruntime`` wheel (Apache-2.0):
``scripts/setup.sh`` installs that wheel without its own dependencies (which would pull a
second, non-headless OpenCV), and only its model file is used here — it is found where pip
put the package, without importing it. ``MAILROOM_OCR__LINE_MODEL`` points at another copy.
Its character set (Chinese, ASCII and a few Latin accents) is read from the model itself.
"""

from __future__ import annotations

import importlib.util
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extract import preprocess

log = logging.getLogger(__name__)

HEIGHT = 48  # the recogniser reads lines 48 pixels high
BATCH = 8  # lines read in one run, at most
BATCH_SPREAD = 1.5  # ... as wide as the narrowest of them times this (each is padded to the widest)
# a crop wider than this many heights is no line of print (a rule, a crop squashed by a mark
# read as a word): a till roll's line of 60 characters is some 30 heights wide
MAX_ASPECT = 60.0
MODEL_PACKAGE = "rapidocr_onnxruntime"
MODEL_FILE = "models/ch_PP-OCRv4_rec_infer.onnx"


@dataclass(frozen=True)
class LineChar:
    """One character read on a line: where it stands (pixels of the crop, from its left
    edge) and the recogniser's probability for it."""

    text: str
    x: float
    probability: float


@dataclass(frozen=True)
class LineReading:
    chars: tuple[LineChar, ...]

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chars)


def default_model_path() -> Path | None:
    """The recogniser's model in the installed ``rapidocr-onnxruntime`` package, or None."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    return path if path.is_file() else None


class LineRecognizer:
    """Reads cropped text lines (grayscale ``uint8`` arrays) with the PP-OCRv4 model.

    One onnxruntime session per process, on one thread: the reader already reads pages in
    parallel, one process per core."""

    def __init__(self, model_path: Path, *, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        meta = self._session.get_modelmeta().custom_metadata_map
        # CTC: index 0 is the blank, then the model's characters, then the space
        self._chars = ["", *meta["character"].splitlines(), " "]
        self._input = self._session.get_inputs()[0].name

    def read(self, crops: list[np.ndarray]) -> list[LineReading]:
        """The reading of each crop, in order (an empty reading for an empty crop)."""
        out = [LineReading(())] * len(crops)
        order = sorted(
            (i for i, c in enumerate(crops)
             if c.size and min(c.shape[:2]) > 1 and c.shape[1] <= MAX_ASPECT * c.shape[0]),
            key=lambda i: crops[i].shape[1] / crops[i].shape[0],
        )
        for batch in _batches(order, [crops[i].shape[1] / crops[i].shape[0] for i in order]):
            widths = [max(1, math.ceil(HEIGHT * crops[i].shape[1] / crops[i].shape[0]))
                      for i in batch]
            width = max(widths)
            tensor = np.zeros((len(batch), 3, HEIGHT, width), dtype=np.float32)
            for row, (i, w) in enumerate(zip(batch, widths, strict=True)):
                line = preprocess.resized_to(crops[i], w, HEIGHT).astype(np.float32)
                tensor[row, :, :, :w] = (line / 255.0 - 0.5) / 0.5
            probs = self._session.run(None, {self._input: tensor})[0]
            for row, (i, w) in enumerate(zip(batch, widths, strict=True)):
                # one output step per width / steps pixels of the resized line
                step = width / probs.shape[1] * crops[i].shape[0] / HEIGHT
                out[i] = self._decode(probs[row], step, w / width)
        return out

    def _decode(self, probs: np.ndarray, step: float, used: float) -> LineReading:
        best = probs.argmax(axis=1)
        chars: list[LineChar] = []
        previous = 0
        for t, index in enumerate(best[: max(1, round(len(best) * used))]):
            if index != previous and index != 0:
                chars.append(LineChar(self._chars[index], (t + 0.5) * step,
                                      float(probs[t, index])))
            previous = index
        return LineReading(tuple(chars))


def _batches(order: list[int], aspects: list[float]) -> list[list[int]]:
    """``order`` (sorted by aspect) cut into runs of lines of like widths: the recogniser
    reads a batch padded to its widest line, so one long line among short ones would make
    every line of its batch as costly as itself."""
    out: list[list[int]] = []
    first = 0.0
    for i, aspect in zip(order, aspects, strict=True):
        if out and len(out[-1]) < BATCH and aspect <= BATCH_SPREAD * first:
            out[-1].append(i)
        else:
            out.append([i])
            first = aspect
    return out
