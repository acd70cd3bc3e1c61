"""What the classifier's confidence is worth: accuracy per confidence bin, and the gap (ECE).

:func:`reliability` gives the accuracy of the predictions whose confidence falls in each bin;
``mailroom train`` prints it for its held-out part, ``python -m mailroom.classify_eval`` for the
outside sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

BINS: tuple[float, ...] = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001)


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    n: int
    accuracy: float
    mean_confidence: float


def reliability(pairs: Sequence[tuple[float, bool]], bins: Sequence[float] = BINS) -> list[Bin]:
    """Accuracy and mean confidence of the predictions in each confidence bin (empty bins
    left out)."""
    out = []
    for low, high in zip(bins, bins[1:], strict=False):
        inside = [(c, r) for c, r in pairs if low <= c < high]
        if inside:
            out.append(
                Bin(
                    low,
                    min(high, 1.0),
                    len(inside),
                    sum(r for _, r in inside) / len(inside),
                    sum(c for c, _ in inside) / len(inside),
                )
            )
    return out


def expected_calibration_error(pairs: Sequence[tuple[float, bool]]) -> float:
    """Weighted mean gap between confidence and accuracy over :data:`BINS`."""
    n = len(pairs)
    return (
        sum(b.n / n * abs(b.accuracy - b.mean_confidence) for b in reliability(pairs)) if n else 0.0
    )


def write_reliability(title: str, pairs: Sequence[tuple[float, bool]], out: TextIO) -> None:
    out.write(
        f"{title}: reliability on {len(pairs)} (ECE {expected_calibration_error(pairs):.3f})\n"
    )
    for b in reliability(pairs):
        out.write(
            f"  confidence [{b.low:.2f}, {b.high:.2f}): n={b.n:<5} accuracy {b.accuracy:.3f}"
            f"  mean confidence {b.mean_confidence:.3f}\n"
        )
