"""Text preparation and language-independent cues for the document-type model.

The model sees the text three ways: word n-grams, character n-grams (which survive OCR
errors) and a few cues that do not depend on the language: an IBAN-shaped string, a
SIRET-shaped number, a health-professional id, how many amounts and dates, a percent sign...
The cues are features the linear model weighs like any other, never rules.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from classify.lexicon import LOOKALIKE_TERMS
from extract.normalize import find_amounts, find_dates

MAX_CHARS = 6000  # the start of a document says what it is; longer texts are cut

_DIGIT_RE = re.compile(r"\d")
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
_BIC_RE = re.compile(r"\b[A-Z]{4}(?:FR|DE|BE|ES|IT|LU|MC|CH|GB|NL|PT)[A-Z0-9]{2}(?:[A-Z0-9]{3})?\b")
_SIRET_RE = re.compile(r"(?<!\d)\d{3}[ .]?\d{3}[ .]?\d{3}[ .]?\d{5}(?!\d)")
_SIREN_RE = re.compile(r"(?<!\d)\d{3}[ .]\d{3}[ .]\d{3}(?![ .]?\d)")
_RPPS_RE = re.compile(r"(?<![\d ])1\d{10}(?!\d)")
_ADELI_RE = re.compile(r"(?<!\d)\d{2}[ ]?\d[ ]?\d{5}[ ]?\d(?!\d)")
_VAT_RE = re.compile(r"\b(?:FR|DE|BE|ES|IT|NL|LU)[ ]?[0-9A-Z]{2}[ ]?\d{3}[ ]?\d{3}[ ]?\d{3}\b")
_PERCENT_RE = re.compile(r"\d[ ]?%")
_TIME_RE = re.compile(r"\b\d{1,2}[:h]\d{2}\b")
_PLATE_RE = re.compile(r"\b[A-Z]{2}-\d{3}-[A-Z]{2}\b")


_NUMBER_SEP_RE = re.compile(r"(?<=0)[\u00a0\u202f'’.,](?=000(?!0))")
_DECIMAL_RE = re.compile(r"(?<=0)\.(?=0)")
_COMBINING_RE = re.compile(r"[\u0300-\u036f]")
_UPPER_RE = re.compile(r"[^\W\d_a-z]")
_LETTER_RE = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=16)
def prepare_text(text: str) -> str:
    """Lower case, accents removed, every digit written ``0``, white space folded, cut.

    Cached: the word and the character vectorizers prepare the same text one after the other.
    """
    text = text[:MAX_CHARS]
    stripped = _COMBINING_RE.sub("", unicodedata.normalize("NFKD", text))
    digits = _DIGIT_RE.sub("0", stripped.lower())
    # 1.234,56 / 1,234.56 / 1 234,56 all read the same: the number format says where a
    # document comes from, not what it is.
    digits = _NUMBER_SEP_RE.sub("", digits)
    digits = _DECIMAL_RE.sub(",", digits)
    return " ".join(digits.split())


def _fold(text: str) -> str:
    """Lower case, accents removed, apostrophes straight."""
    stripped = _COMBINING_RE.sub("", unicodedata.normalize("NFKD", text))
    return stripped.lower().replace("’", "'")


@lru_cache(maxsize=1)
def _lookalike_re() -> re.Pattern[str]:
    """The words of invoices' look-alikes (quote, reminder, statement...: ``LOOKALIKE_TERMS``)."""
    terms = sorted({_fold(t) for t in LOOKALIKE_TERMS}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)")


def lookalike_terms(text: str) -> int:
    """How many words of invoices' look-alikes ``text`` holds (``LOOKALIKE_TERMS``)."""
    return len(_lookalike_re().findall(_fold(text[:MAX_CHARS])))


CUE_NAMES: tuple[str, ...] = (
    "has_iban",
    "has_bic",
    "has_siret",
    "has_siren",
    "has_vat_number",
    "has_rpps",
    "has_adeli_shape",
    "has_plate",
    "log_amounts",
    "log_dates",
    "log_percents",
    "log_times",
    "log_chars",
    "log_lines",
    "digit_ratio",
    "upper_ratio",
    "amount_line_ratio",
    "log_lookalike_terms",
)


def cue_vector(text: str) -> list[float]:
    """The cues of one raw text (not prepared: case and digits matter here)."""
    text = text[:MAX_CHARS]
    lines = [line for line in text.splitlines() if line.strip()]
    letters = len(_LETTER_RE.findall(text))
    uppers = len(_UPPER_RE.findall(text))
    digits = len(_DIGIT_RE.findall(text))
    # An amount has a digit: most lines have none and need no parsing.
    per_line = [len(find_amounts(line)) if _DIGIT_RE.search(line) else 0 for line in lines]
    amount_lines = sum(1 for n in per_line if n)
    amounts = sum(per_line)
    chars = len(text.strip())
    return [
        float(bool(_IBAN_RE.search(text))),
        float(bool(_BIC_RE.search(text))),
        float(bool(_SIRET_RE.search(text))),
        float(bool(_SIREN_RE.search(text))),
        float(bool(_VAT_RE.search(text))),
        float(bool(_RPPS_RE.search(text))),
        float(bool(_ADELI_RE.search(text))),
        float(bool(_PLATE_RE.search(text))),
        math.log1p(amounts),
        math.log1p(len(find_dates(text))),
        math.log1p(len(_PERCENT_RE.findall(text))),
        math.log1p(len(_TIME_RE.findall(text))),
        math.log1p(chars) / 10.0,
        math.log1p(len(lines)) / 5.0,
        digits / chars if chars else 0.0,
        uppers / letters if letters else 0.0,
        amount_lines / len(lines) if lines else 0.0,
        math.log1p(lookalike_terms(text)),
    ]


class CueFeatures(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """scikit-learn transformer: raw texts -> the cue matrix (dense, float64)."""

    def fit(self, texts: Any, y: Any = None) -> CueFeatures:
        return self

    def transform(self, texts: Any) -> np.ndarray:
        return np.asarray([cue_vector(t) for t in texts], dtype=np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(CUE_NAMES, dtype=object)
