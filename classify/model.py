"""The document-type classifier: TF-IDF word and character n-grams, a few language-independent
cues, a logistic regression with sigmoid-calibrated probabilities (scikit-learn).

The trained model ships inside the package (``classify/model/doctype.joblib``) and is loaded
lazily, once per path. :mod:`classify.train` retrains it from expected files and from the
review app's corrections.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classify.base import Classification, Classifier
from classify.features import MAX_CHARS, CueFeatures, prepare_text
from mailroom.errors import ConfigurationError
from mailroom.models import DocType, Page

log = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "model" / "doctype.joblib"
MIN_TEXT_CHARS = 20  # fewer letters and digits than this: nothing to classify on
EMPTY_TEXT_CONFIDENCE = 0.2
MAX_PAGES = 3  # the first pages say what a document is


def build_pipeline(*, seed: int = 0) -> Any:
    """The untrained scikit-learn pipeline."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import StandardScaler

    words = TfidfVectorizer(
        preprocessor=prepare_text,
        analyzer="word",
        token_pattern=r"(?u)\b(?=\w*[^\W\d_])\w\w+\b",  # words with a letter: numbers are cues
        ngram_range=(1, 2),
        min_df=2,
        max_df=0.9,
        max_features=12000,
        sublinear_tf=True,
        dtype=float,
    )
    chars = TfidfVectorizer(
        preprocessor=prepare_text,
        analyzer="char_wb",
        ngram_range=(3, 5),
        min_df=3,
        max_features=25000,
        sublinear_tf=True,
        dtype=float,
    )
    cues = Pipeline([("cues", CueFeatures()), ("scale", StandardScaler())])
    features = FeatureUnion(
        [("words", words), ("chars", chars), ("cues", cues)],
        transformer_weights={"words": 1.0, "chars": 1.0, "cues": 0.1},
    )
    linear = LogisticRegression(C=2.0, max_iter=3000, class_weight="balanced", random_state=seed)
    calibrated = CalibratedClassifierCV(linear, method="sigmoid", cv=3, ensemble=False)
    return Pipeline([("features", features), ("model", calibrated)])


@dataclass
class TextModel:
    """A fitted pipeline and what it was trained on."""

    pipeline: Any
    classes: tuple[DocType, ...]
    n_examples: int
    sklearn_version: str
    info: dict[str, Any] = field(default_factory=dict)

    def predict_proba(self, texts: Sequence[str]) -> list[dict[DocType, float]]:
        from sklearn import config_context

        with config_context(assume_finite=True, skip_parameter_validation=True):
            proba = self.pipeline.predict_proba(list(texts))
        labels = [DocType(c) for c in self.pipeline.classes_]
        out = []
        for row in proba:
            scores = {t: 0.0 for t in DocType}
            for label, p in zip(labels, row, strict=True):
                scores[label] = float(p)
            out.append(scores)
        return out

    def predict(self, texts: Sequence[str]) -> list[DocType]:
        return [max(s, key=lambda t: s[t]) for s in self.predict_proba(texts)]


def fit(examples: Iterable[tuple[str, DocType]], *, seed: int = 0) -> TextModel:
    """Fit a new :class:`TextModel` on (text, type) pairs."""
    import sklearn

    texts: list[str] = []
    labels: list[str] = []
    for text, doc_type in examples:
        texts.append(text)
        labels.append(DocType(doc_type).value)
    if len(set(labels)) < 2:
        raise ValueError("training needs examples of at least two document types")
    pipeline = build_pipeline(seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        pipeline.fit(texts, labels)
    _drop_training_leftovers(pipeline)
    return TextModel(
        pipeline=pipeline,
        classes=tuple(DocType(c) for c in pipeline.classes_),
        n_examples=len(texts),
        sklearn_version=sklearn.__version__,
    )


def _drop_training_leftovers(pipeline: Any) -> None:
    """TfidfVectorizer keeps every pruned term in ``stop_words_``: useless and large."""
    for _, transformer in pipeline.named_steps["features"].transformer_list:
        if hasattr(transformer, "stop_words_"):
            del transformer.stop_words_


_CACHE: dict[Path, TextModel] = {}
_LOCK = threading.Lock()


def load_model(path: Path | None = None) -> TextModel:
    """The model at ``path`` (the shipped one by default), loaded once and kept."""
    import joblib
    import sklearn

    resolved = (path or DEFAULT_MODEL_PATH).resolve()
    with _LOCK:
        cached = _CACHE.get(resolved)
        if cached is not None:
            return cached
        if not resolved.exists():
            raise ConfigurationError(f"document-type model not found: {resolved}")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = joblib.load(resolved)
        except (OSError, EOFError, ValueError, AttributeError, ImportError) as e:
            raise ConfigurationError(f"document-type model unreadable: {resolved}: {e}") from e
        if not isinstance(model, TextModel):
            raise ConfigurationError(f"not a mailroom document-type model: {resolved}")
        if model.sklearn_version != sklearn.__version__:
            log.warning(
                "document-type model trained with scikit-learn %s, running %s: retrain it "
                "with `mailroom train` if results look wrong",
                model.sklearn_version,
                sklearn.__version__,
            )
        _CACHE[resolved] = model
        return model


# Till receipts are printed on paper rolls 57-80 mm wide: their pages are far taller than
# wide, where invoices, letters and forms are A4 or Letter (height/width 1.29-1.41). The text
# model cannot see the paper, so the shape is a separate piece of evidence, applied as odds.
# A photograph or a scan of a till slip may be any shape (a slip photographed on a table):
# lines that hold no more characters than a till roll's are the same evidence.
NARROW_PAGE_RATIO = 1.9
NARROW_PAGE_RECEIPT_ODDS = 4.0


def is_narrow_page(page: Page) -> bool:
    return page.width > 0 and page.height / page.width >= NARROW_PAGE_RATIO


# What only a till prints: the cash tendered and the change given back, the cashier, the
# rounding of a cash total, the shop's farewell. Many tills head their slip "TAX INVOICE"
# (Malaysia, Singapore, Australia...) or "simplified invoice", which the text model reads as
# an invoice; two of these marks or more are evidence for a receipt, applied as odds like the
# paper's shape. An invoice asks to be paid later: it has no change and no cashier.
_AMOUNT_TAIL = r"[^\n]*?\d[.,]\d{2}\b"
TILL_MARKS: dict[str, re.Pattern[str]] = {
    "change": re.compile(
        r"^[^\n\d]{0,12}\b(?:change(?:\s+due)?|rendu(?:\s+monnaie)?|monnaie\s+rendue|cambio|"
        r"resto|r[üu]ckgeld|zur[üu]ck)\b" + _AMOUNT_TAIL,
        re.IGNORECASE | re.MULTILINE,
    ),
    "tendered": re.compile(
        r"^[^\n\d]{0,12}\b(?:cash(?:\s+received|\s+tendered|\s+paid)?|tendered|esp[eè]ces|"
        r"efectivo|entregado|contanti|gegeben)\b" + _AMOUNT_TAIL,
        re.IGNORECASE | re.MULTILINE,
    ),
    "card": re.compile(
        r"^[^\n\d]{0,12}\b(?:master\s*card|visa|debit\s+card|credit\s+card|carte\s+bancaire|"
        r"tarjeta|bancomat|ec-karte)\b" + _AMOUNT_TAIL,
        re.IGNORECASE | re.MULTILINE,
    ),
    "cashier": re.compile(
        r"\b(?:cashier|caissi[eè]re?|h[oô]tesse\s+de\s+caisse|cajer[oa]|cassiere|kassierer(?:in)?)"
        r"\b",
        re.IGNORECASE,
    ),
    "rounding": re.compile(r"\bround(?:ing|ed)\b|\barrondi\b", re.IGNORECASE),
    "cash_bill": re.compile(r"\bcash\s+(?:bill|sale|receipt)\b", re.IGNORECASE),
    "farewell": re.compile(
        r"\b(?:come\s+again|goods\s+sold\s+are\s+not|not\s+(?:returnable|refundable)|"
        r"keep\s+(?:your|the)\s+receipt|merci\s+de\s+votre\s+visite|a\s+bient[oô]t)\b",
        re.IGNORECASE,
    ),
}
MIN_TILL_MARKS = 2
TILL_RECEIPT_ODDS = 6.0
# a hotel's folio names its cashier and the card it was paid with too: not enough alone
_FOLIO_MARKS = frozenset({"cashier", "card"})


def till_marks(text: str) -> set[str]:
    """Which marks of a till receipt (``TILL_MARKS``) the text shows."""
    return {name for name, pattern in TILL_MARKS.items() if pattern.search(text)}


def looks_like_a_till_slip(text: str) -> bool:
    marks = till_marks(text)
    return len(marks) >= MIN_TILL_MARKS and not marks <= _FOLIO_MARKS


def _with_odds(result: Classification, doc_type: DocType, odds: float) -> Classification:
    """``result`` updated with evidence that multiplies the odds of ``doc_type`` by ``odds``."""
    weighted = {t: p * (odds if t is doc_type else 1.0) for t, p in result.scores.items()}
    total = sum(weighted.values()) or 1.0
    scores = {t: p / total for t, p in weighted.items()}
    best = max(scores, key=lambda t: scores[t])
    return Classification(best, round(scores[best], 4), scores)


def page_text(pages: Sequence[Page]) -> str:
    """The text the classifier reads: the first pages, cut at the model's length."""
    text = "\n".join(p.text for p in pages[:MAX_PAGES])
    return text[:MAX_CHARS]


_ALNUM_RE = re.compile(r"[^\W_]")


def _meaningful_chars(text: str) -> int:
    return len(_ALNUM_RE.findall(text))


class SklearnClassifier:
    """The shipped (or a retrained) TF-IDF + logistic-regression model behind the Protocol.

    A text with fewer than ``min_chars`` letters and digits is ``other`` with a low
    confidence: there is nothing to read, a person must look.
    """

    def __init__(self, model_path: Path | None = None, *, min_chars: int = MIN_TEXT_CHARS):
        self.model_path = model_path
        self.min_chars = min_chars

    @property
    def model(self) -> TextModel:
        return load_model(self.model_path)

    def classify(self, pages: Sequence[Page]) -> Classification:
        text = page_text(pages)
        result = self.classify_text(text)
        if pages and (is_narrow_page(pages[0]) or pages[0].prints_as_till_roll()) and \
                result.scores:
            result = _with_odds(result, DocType.RECEIPT, NARROW_PAGE_RECEIPT_ODDS)
        if result.scores and looks_like_a_till_slip(text):
            result = _with_odds(result, DocType.RECEIPT, TILL_RECEIPT_ODDS)
        return result

    def classify_text(self, text: str) -> Classification:
        if _meaningful_chars(text) < self.min_chars:
            rest = (1.0 - EMPTY_TEXT_CONFIDENCE) / (len(DocType) - 1)
            scores = {t: (EMPTY_TEXT_CONFIDENCE if t == DocType.OTHER else rest) for t in DocType}
            return Classification(DocType.OTHER, EMPTY_TEXT_CONFIDENCE, scores)
        scores = self.model.predict_proba([text])[0]
        best = max(scores, key=lambda t: scores[t])
        return Classification(best, round(scores[best], 4), scores)


def classify_pages(pages: Sequence[Page], classifier: Classifier | None = None) -> Classification:
    """The stage's entry: the type of the document made of ``pages``."""
    return (classifier or SklearnClassifier()).classify(pages)
