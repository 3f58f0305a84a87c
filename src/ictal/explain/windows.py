"""Which windows drove a recording's decision, and which timesteps drove a window.

:func:`window_contributions` works for every estimator (sample- or seizure-level): the
decision of a recording is recomputed without each window in turn (leave one window out, an
occlusion over time at the scale of windows); a window whose removal lowers the decided
class's probability pushed the decision towards it. For a sample-level model the decision is
the mean of the windows' probabilities, so this is exact arithmetic; for a seizure-level model
(GESTURES) it re-runs the model.

:func:`timestep_attribution` attributes one window's prediction to its feature timesteps
(integrated gradients over the classifier's standardised input, from the training mean): the
backbone's timesteps are 0.25 s (motion) or 8 frames (I3D) of the window.

:func:`parse_windows` reads ``--windows``: ``all``, ``top:K`` or indices and ranges
(``0,3,5-7``), checked against the recording's windows.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np
import torch

from ictal.errors import ConfigError
from ictal.explain.chain import ClassifierHead
from ictal.features.table import FeatureTable

_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def decision_probs(estimator: Any, table: FeatureTable) -> np.ndarray:
    """``(K,)`` the recording's decision: the mean of its units' probabilities (as
    :func:`~ictal.models.predict.predict_recording` decides)."""
    part = dataclasses.replace(table, event=np.full(len(table), "", dtype=str))
    return np.asarray(estimator.predict_proba(part), np.float64).mean(axis=0)


def window_contributions(estimator: Any, table: FeatureTable, target: int,
                         probs: np.ndarray | None = None) -> np.ndarray:
    """``(N,)`` float64: how much each row of ``table`` (one recording, time order) raised the
    decision's probability of class column ``target``: ``D - D(without the row)``.

    ``probs``: the rows' ``(N, K)`` probabilities of a sample-level estimator (saves the
    re-runs: ``D`` is their mean). A recording of one window gives ``D - 1 / K`` (its
    removal leaves no evidence, i.e. chance).
    """
    n = len(table)
    if n == 0:
        return np.zeros(0)
    if probs is not None and getattr(estimator, "unit", "sample") == "sample":
        p = np.asarray(probs, np.float64)[:, target]
        k = probs.shape[1]
        if n == 1:
            return np.array([p[0] - 1.0 / k])
        total = p.sum()
        return total / n - (total - p) / (n - 1)
    full = decision_probs(estimator, table)[target]
    out = np.empty(n)
    for i in range(n):
        if n == 1:
            out[i] = full - 1.0 / len(estimator.classes_)
            continue
        keep = np.delete(np.arange(n), i)
        out[i] = full - decision_probs(estimator, table.subset(keep))[target]
    return out


def timestep_attribution(head: ClassifierHead, features: np.ndarray, mask: np.ndarray,
                         target: int, *, steps: int = 32) -> np.ndarray:
    """Integrated gradients of one window's target probability over its feature timesteps.

    Args:
        features: ``(T, F)`` ``float32`` (``-1`` pre-padding), mask ``(T,)`` bool.

    Returns:
        ``(T,)`` float64: each timestep's summed attribution (0 at padding). By completeness
        they add up to the probability minus that of the baseline (the training mean).
    """
    from captum.attr import IntegratedGradients

    x = torch.as_tensor(np.asarray(features, np.float32))[None]
    m = torch.as_tensor(np.asarray(mask, bool))[None]
    z = head.scaled(x, m).detach()
    baseline = torch.where(m[..., None], torch.zeros_like(z), z)  # padding stays padding

    def forward(inp: torch.Tensor) -> torch.Tensor:
        return head.from_scaled(inp, m.expand(inp.shape[0], -1))

    # the LSTM's packed sequences need lengths on the CPU, and cuDNN RNNs refuse backward in
    # eval mode; the classifiers are small, so attribute on the CPU
    attr = IntegratedGradients(forward).attribute(z.requires_grad_(), baselines=baseline,
                                                  target=target, n_steps=steps,
                                                  internal_batch_size=steps)
    per = attr.detach()[0].sum(1).double().numpy()
    per[~np.asarray(mask, bool)] = 0.0
    return per


def parse_windows(spec: str, n_windows: int, *, recording: str = "") -> tuple[str, Any]:
    """``--windows`` -> ``("all", None)``, ``("top", K)`` or ``("list", [indices])``.

    Raises:
        ConfigError: malformed, or an index outside ``[0, n_windows)`` (the message names
            the recording and how many windows it has).
    """
    text = spec.strip().lower()
    where = f"recording {recording}: " if recording else ""
    if text == "all":
        return "all", None
    if text.startswith("top:"):
        try:
            k = int(text[4:])
        except ValueError:
            k = 0
        if k < 1:
            raise ConfigError(f"--windows {spec!r}: top:K needs a whole number K >= 1",
                              hint="e.g. --windows top:3")
        return "top", k
    indices: list[int] = []
    for part in text.split(","):
        match = _RANGE.match(part.strip())
        if match is None:
            raise ConfigError(f"--windows {spec!r}: {part!r} is not an index or a range",
                              hint="use all, top:K, or indices and ranges such as 0,3,5-7")
        lo = int(match.group(1))
        hi = int(match.group(2)) if match.group(2) is not None else lo
        if hi < lo:
            raise ConfigError(f"--windows {spec!r}: the range {part!r} runs backwards",
                              hint="write ranges low-high, e.g. 5-7")
        indices.extend(range(lo, hi + 1))
    outside = sorted({i for i in indices if i >= n_windows})
    if outside:
        raise ConfigError(
            f"{where}window {outside[0]} is outside the recording: it has {n_windows} "
            f"window(s), numbered 0-{n_windows - 1}" if n_windows else
            f"{where}window {outside[0]} is outside the recording: it has no window",
            hint="see the windows of `ictal predict`'s CSV, or use --windows top:3")
    return "list", sorted(set(indices))
