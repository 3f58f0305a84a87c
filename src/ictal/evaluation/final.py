"""The model to export: trained on every patient, its epoch chosen on an inner patient split."""

from __future__ import annotations

from typing import Any

import numpy as np

from ictal.errors import ConfigError
from ictal.evaluation.metrics import classification_metrics
from ictal.evaluation.splits import inner_split
from ictal.features.table import FeatureTable
from ictal.models.base import Estimator
from ictal.models.config import ModelConfig
from ictal.models.loop import EpochCallback
from ictal.training.fit import fit_selected, predict_rows


def train_final(table: FeatureTable, config: ModelConfig, *, selection: str = "honest",
                seed: int = 0, threads: int | None = 1,
                on_epoch: EpochCallback | None = None,
                device: str = "cpu") -> tuple[Estimator, dict[str, Any]]:
    """Train the model to export on every patient of ``table``.

    ``selection="honest"`` holds out an inner patient-grouped split to pick the epoch (and
    reports its metrics; with ``train.refit`` the exported model is then trained again on
    every row for that many epochs); ``"none"`` trains on all rows for ``train.epochs``
    epochs.
    Returns the estimator and a summary for the run folder / bundle.
    """
    classes = sorted(set(table.label.tolist()))
    rows = np.arange(len(table))
    if selection == "honest":
        fit_part, val_part = inner_split(table, rows, seed=seed)
    elif selection == "none":
        fit_part, val_part = rows, None
    else:
        raise ConfigError(f"unknown selection {selection!r} for final training",
                          hint="use honest (inner patient split) or none (all epochs)")
    est, history = fit_selected(table, fit_part, val_part, config, classes, refit_rows=rows,
                                seed=seed, threads=threads, on_epoch=on_epoch, device=device)
    info: dict[str, Any] = {
        "selection": selection, "rows": len(table), "fit_rows": len(fit_part),
        "patients": sorted(set(table.patient.tolist())), "classes": classes,
        "history": history, "seed": seed,
    }
    if val_part is not None and "refit_rows" not in history:  # a refit model saw them
        pred = predict_rows(est, table, val_part, classes)
        info["validation_patients"] = sorted(set(table.patient[val_part].tolist()))
        info["validation_metrics"] = classification_metrics(pred.y, pred.proba, classes)
    return est, info
