"""Classification metrics per fold, their mean +/- std, and seizure-level pooling.

All functions take integer targets ``(N,)`` in ``[0, C)`` and probabilities ``(N, C)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)


def classification_metrics(y: np.ndarray, proba: np.ndarray,
                           classes: list[str]) -> dict[str, Any]:
    """Macro F1 / precision / recall, accuracy, per-class sensitivity and specificity,
    ROC-AUC (binary; macro one-vs-rest for more classes), PR-AUC (average precision of the
    positive class for 2 classes, macro over classes otherwise) and the confusion matrix
    (rows = truth, columns = prediction). AUCs are ``nan`` when a class is missing."""
    c = len(classes)
    pred = proba.argmax(axis=1)
    labels = list(range(c))
    prec, rec, f1, _ = precision_recall_fscore_support(y, pred, labels=labels,
                                                       average="macro", zero_division=0)
    cm = confusion_matrix(y, pred, labels=labels)
    total = cm.sum()
    per_class: dict[str, dict[str, float]] = {}
    for i, name in enumerate(classes):
        tp = cm[i, i]
        fn = cm[i].sum() - tp
        fp = cm[:, i].sum() - tp
        tn = total - tp - fn - fp
        per_class[name] = {
            "sensitivity": float(tp / (tp + fn)) if tp + fn else math.nan,
            "specificity": float(tn / (tn + fp)) if tn + fp else math.nan,
            "support": int(tp + fn),
        }
    present = np.unique(y)
    roc = pr = math.nan
    if len(present) == c:
        if c == 2:
            roc = float(roc_auc_score(y, proba[:, 1]))
            pr = float(average_precision_score(y, proba[:, 1]))
        else:
            roc = float(roc_auc_score(y, proba, multi_class="ovr", average="macro",
                                      labels=labels))
            onehot = np.eye(c)[y]
            pr = float(average_precision_score(onehot, proba, average="macro"))
    return {
        "f1_macro": float(f1), "precision_macro": float(prec), "recall_macro": float(rec),
        "accuracy": float(accuracy_score(y, pred)), "roc_auc": roc, "pr_auc": pr,
        "per_class": per_class, "confusion": cm.tolist(), "n": len(y),
    }


def _flatten(m: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in m.items():
        if key in ("confusion", "n") or (key == "support"):
            continue
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        elif isinstance(value, int | float):
            out[f"{prefix}{key}"] = float(value)
    return out


def flat_metrics(m: dict[str, Any]) -> dict[str, float]:
    """Scalar metrics as ``{"f1_macro": .., "per_class.FLE.sensitivity": ..}``."""
    return _flatten(m)


def summarize_folds(per_fold: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean and (population) std over folds of every scalar metric, ignoring ``nan``."""
    flats = [flat_metrics(m) for m in per_fold]
    keys = sorted({k for f in flats for k in f})
    out: dict[str, dict[str, float]] = {}
    for key in keys:
        vals = np.asarray([f.get(key, math.nan) for f in flats], dtype=np.float64)
        ok = vals[~np.isnan(vals)]
        out[key] = {"mean": float(ok.mean()) if len(ok) else math.nan,
                    "std": float(ok.std()) if len(ok) else math.nan, "n": len(ok)}
    return out


def pool_by_group(y: np.ndarray, proba: np.ndarray, group: np.ndarray,
                  time: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seizure level: mean probability over each group's (seizure's) samples.

    The group's label is the label of its latest sample when ``time`` is given - with
    GESTURES' Eq. 1 labels that is 1 exactly when the seizure generalises, and with one label
    per event it is that label - else the majority of its samples' labels.
    Returns ``(groups, y_group, proba_group)``.
    """
    groups, inverse = np.unique(group, return_inverse=True)
    mean = np.zeros((len(groups), proba.shape[1]))
    np.add.at(mean, inverse, proba)
    mean /= np.bincount(inverse, minlength=len(groups))[:, None]
    y_group = np.zeros(len(groups), dtype=np.int64)
    for g in range(len(groups)):
        members = np.flatnonzero(inverse == g)
        if time is not None:
            y_group[g] = y[members[np.argmax(time[members])]]
        else:
            y_group[g] = np.bincount(y[members]).argmax()
    return groups, y_group, mean
