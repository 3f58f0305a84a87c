"""Class weights and the seeds' class-weighted losses.

Every loss takes raw network outputs (logits): ``(N, 1)`` for a binary sigmoid unit or
``(N, C)`` for a softmax layer, integer targets ``(N,)`` and per-class weights ``(C,)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F


def class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Balanced weights ``n / (C * n_c)`` from the training labels only, ``(C,)`` float64.

    A class absent from ``y`` gets weight 0 (it cannot be learned from this fold).
    """
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=n_classes).astype(np.float64)
    weights = np.zeros(n_classes)
    present = counts > 0
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return weights


def scaled_class_weights(y: np.ndarray, classes: Sequence[str],
                         scale: Mapping[str, float] | None = None) -> np.ndarray:
    """:func:`class_weights` of the labels ``y`` (indices into ``classes``), those of the
    classes named in ``scale`` multiplied by its values (``TrainConfig.class_scale``); a
    name that is not a class is ignored. ``(C,)`` float64."""
    weights = class_weights(y, len(classes))
    for i, name in enumerate(classes):
        weights[i] *= float((scale or {}).get(str(name), 1.0))
    return weights


def probabilities(logits: torch.Tensor) -> torch.Tensor:
    """``(N, C)`` class probabilities from ``(N, 1)`` sigmoid or ``(N, C)`` softmax logits."""
    if logits.shape[1] == 1:
        p = torch.sigmoid(logits)
        return torch.cat([1 - p, p], dim=1)
    return torch.softmax(logits, dim=1)


def weighted_loss(kind: str, logits: torch.Tensor, y: torch.Tensor,
                  weights: torch.Tensor) -> torch.Tensor:
    """Mean class-weighted loss.

    ``mse``: weighted mean squared error of the sigmoid / softmax output against the 0/1 or
    one-hot target (seeds 000/001, 2 classes); ``bce``: weighted binary cross-entropy (seed
    002; binary output only); ``cce``: weighted categorical cross-entropy (seed 000, 3 classes;
    for a binary output it equals ``bce``).
    """
    w = weights[y]
    if logits.shape[1] == 1:
        target = y.to(logits.dtype)
        z = logits[:, 0]
        if kind == "mse":
            per = (torch.sigmoid(z) - target) ** 2
        else:  # bce and cce coincide for one sigmoid unit
            per = F.binary_cross_entropy_with_logits(z, target, reduction="none")
    elif kind == "mse":
        onehot = F.one_hot(y, logits.shape[1]).to(logits.dtype)
        per = ((torch.softmax(logits, dim=1) - onehot) ** 2).mean(dim=1)
    elif kind in ("cce", "bce"):
        per = F.cross_entropy(logits, y, reduction="none")
    else:
        raise ValueError(f"unknown loss {kind!r}; use mse, bce or cce")
    return (w * per).sum() / w.sum().clamp_min(1e-12)


def default_loss(n_classes: int, requested: str) -> str:
    """Seed 000's choice when ``requested`` is ``auto``: MSE for 2 classes, CCE for more."""
    if requested != "auto":
        return requested
    return "mse" if n_classes == 2 else "cce"
