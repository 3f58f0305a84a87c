"""Comparison of configurations over fold metrics (seed 002).

One-tailed Mann-Whitney U test for every ordered pair of the ``e`` configurations, with the
Bonferroni-corrected threshold ``alpha / (e (e - 1))`` (seed 002, §3).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import mannwhitneyu


@dataclass(frozen=True)
class Comparison:
    """``a`` is better than ``b`` on ``metric`` when ``p < alpha_bonferroni``."""

    a: str
    b: str
    metric: str
    u: float
    p: float
    alpha_bonferroni: float
    significant: bool
    median_a: float
    median_b: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def bonferroni_alpha(alpha: float, e: int) -> float:
    """``alpha / (e (e - 1))`` for ``e`` experiments compared pairwise in both directions."""
    return alpha / (e * (e - 1)) if e > 1 else alpha


def compare_configurations(scores: dict[str, list[float]], *, metric: str = "f1_macro",
                           alpha: float = 0.05) -> list[Comparison]:
    """Test ``H1: a > b`` for every ordered pair of configurations' fold scores."""
    names = list(scores)
    thr = bonferroni_alpha(alpha, len(names))
    out = []
    for a in names:
        for b in names:
            if a == b:
                continue
            xa = np.asarray(scores[a], dtype=float)
            xb = np.asarray(scores[b], dtype=float)
            xa, xb = xa[~np.isnan(xa)], xb[~np.isnan(xb)]
            if len(xa) == 0 or len(xb) == 0:
                continue
            res = mannwhitneyu(xa, xb, alternative="greater")
            out.append(Comparison(a, b, metric, float(res.statistic), float(res.pvalue), thr,
                                  bool(res.pvalue < thr), float(np.median(xa)),
                                  float(np.median(xb))))
    return out
