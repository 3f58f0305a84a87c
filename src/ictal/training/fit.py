"""Fit an estimator on rows of a FeatureTable and predict rows: the step every protocol uses.

Every classifier meets :class:`~ictal.models.base.Estimator`, so these functions do not know
the architecture: a sample-level model (LSTM, I3D head, GESTURES snippets) predicts each row,
the GESTURES seizure-level model each event (its views averaged, seed 002), and
:class:`Predictions` carries whichever units the model declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ictal.features.table import FeatureTable
from ictal.models.base import Estimator
from ictal.models.config import ModelConfig
from ictal.models.loop import EpochCallback
from ictal.models.registry import build_estimator


def fit_rows(table: FeatureTable, train_rows: np.ndarray, val_rows: np.ndarray | None,
             config: ModelConfig, classes: list[str], *, seed: int = 0,
             threads: int | None = 1, on_epoch: EpochCallback | None = None,
             device: str = "cpu") -> Estimator:
    """Train ``config``'s estimator on ``train_rows``; ``val_rows`` select the kept epoch."""
    est = build_estimator(config, seed=seed, threads=threads, device=device)
    validation = None
    if val_rows is not None and len(val_rows):
        validation = table.subset(val_rows)
    return est.fit(table.subset(train_rows), classes=sorted(classes), validation=validation,
                   on_epoch=on_epoch)


def fit_selected(table: FeatureTable, fit_part: np.ndarray, val_part: np.ndarray | None,
                 config: ModelConfig, classes: list[str], *, refit_rows: np.ndarray,
                 seed: int = 0,
                 threads: int | None = 1, on_epoch: EpochCallback | None = None,
                 device: str = "cpu") -> tuple[Estimator, dict[str, Any]]:
    """Fit on ``fit_part`` with the epoch selected on ``val_part``; refit when configured.

    With ``train.refit`` (and a validation set) a second model is trained from scratch on
    ``refit_rows`` for the selected number of epochs and returned instead. ``refit_rows`` are
    the training rows the protocol allows (``fit_part`` + ``val_part`` when the validation
    rows come from the training patients; never test rows).
    Returns the estimator and the selection run's history (its validation curves and the
    epoch kept), which the refit model does not have.
    """
    est = fit_rows(table, fit_part, val_part, config, classes, seed=seed, threads=threads,
                   on_epoch=on_epoch, device=device)
    selection = est.history_.to_dict()
    if (not config.train.refit or val_part is None or not len(val_part)
            or len(refit_rows) == len(fit_part)):
        return est, selection
    epochs = est.history_.best_epoch + 1
    train = config.train.model_copy(update={"epochs": epochs, "patience": None})
    final = fit_rows(table, refit_rows, None,
                     config.model_copy(update={"train": train}), classes, seed=seed,
                     threads=threads, on_epoch=on_epoch, device=device)
    selection["refit_rows"] = len(refit_rows)
    return final, selection


@dataclass
class Predictions:
    """Predictions for some rows: one entry per unit the estimator predicts (a feature row,
    or a seizure).

    Attributes:
        group: ``(M,)`` str seizure (event) each unit belongs to, for seizure-level pooling.
        patient: ``(M,)`` str.
        y: ``(M,)`` int64 true class index; proba: ``(M, C)`` float64.
        rows: ``(M,)`` int64 table row of each unit (first row of a seizure), for traceability.
    """

    group: np.ndarray
    patient: np.ndarray
    y: np.ndarray
    proba: np.ndarray
    rows: np.ndarray


def predict_rows(estimator: Estimator, table: FeatureTable, rows: np.ndarray,
                 classes: list[str]) -> Predictions:
    """Predict ``rows`` of ``table`` with a fitted estimator."""
    index = {c: i for i, c in enumerate(sorted(classes))}
    part = table.subset(rows)
    units = estimator.units(part)
    proba = estimator.predict_proba(part)
    y = np.asarray([index[v] for v in units.label.tolist()], dtype=np.int64)
    return Predictions(units.group, units.patient, y, proba,
                       np.asarray(rows, dtype=np.int64)[units.rows])
