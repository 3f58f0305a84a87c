"""Fit an estimator on rows of a FeatureTable and predict rows: the step every protocol uses.

Sample-level models (LSTM, I3D head, GESTURES snippets) see feature rows; the GESTURES
seizure-level model sees seizures (event x view snippet sequences) and its predictions are
averaged over the views of each event (multi-view consensus, seed 002).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ictal.features.table import FeatureTable
from ictal.training.config import ModelConfig
from ictal.training.loop import EpochCallback


def is_seizure_level(config: ModelConfig) -> bool:
    """Whether the model classifies whole seizures rather than feature rows."""
    return config.arch == "gestures-seizure"


def _binary_names(classes: list[str], config: ModelConfig) -> tuple[str, str]:
    positive = config.positive_label or classes[-1]
    if positive not in classes or len(classes) != 2:
        from ictal.errors import ConfigError

        raise ConfigError(f"the seizure-level model needs two classes with {positive!r} among "
                          f"them, got {classes}", hint="set positive_label in the model config")
    negative = next(c for c in classes if c != positive)
    return positive, negative


def fit_rows(table: FeatureTable, train_rows: np.ndarray, val_rows: np.ndarray | None,
             config: ModelConfig, classes: list[str], *, seed: int = 0,
             threads: int | None = 1, on_epoch: EpochCallback | None = None,
             device: str = "cpu") -> Any:
    """Train ``config``'s estimator on ``train_rows``; ``val_rows`` select the kept epoch."""
    from ictal.models import build_estimator

    est = build_estimator(config, seed=seed, threads=threads, device=device)
    if is_seizure_level(config):
        from ictal.models.gestures import seizure_sequences

        pos, neg = _binary_names(classes, config)
        tr = seizure_sequences(table.subset(train_rows), positive=pos, negative=neg)
        validation = None
        if val_rows is not None and len(val_rows):
            va = seizure_sequences(table.subset(val_rows), positive=pos, negative=neg)
            validation = (va.sequences, va.label)
        return est.fit(tr.sequences, tr.label, validation=validation,
                       classes=np.asarray(sorted(classes)), on_epoch=on_epoch)
    validation = None
    if val_rows is not None and len(val_rows):
        validation = (table.features[val_rows], table.label[val_rows], table.mask[val_rows])
    return est.fit(table.features[train_rows], table.label[train_rows],
                   mask=table.mask[train_rows], validation=validation,
                   classes=np.asarray(sorted(classes)), on_epoch=on_epoch)


def fit_selected(table: FeatureTable, fit_part: np.ndarray, val_part: np.ndarray | None,
                 config: ModelConfig, classes: list[str], *, refit_rows: np.ndarray,
                 seed: int = 0,
                 threads: int | None = 1, on_epoch: EpochCallback | None = None,
                 device: str = "cpu") -> tuple[Any, dict[str, Any]]:
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
    """Predictions for some rows: one entry per unit (a feature row, or a seizure).

    Attributes:
        unit: ``(M,)`` str unit ids (row index as text, or event id).
        group: ``(M,)`` str seizure (event) each unit belongs to, for seizure-level pooling.
        patient: ``(M,)`` str.
        y: ``(M,)`` int64 true class index; proba: ``(M, C)`` float64.
        rows: ``(M,)`` int64 table row of each unit (first row of a seizure), for traceability.
    """

    unit: np.ndarray
    group: np.ndarray
    patient: np.ndarray
    y: np.ndarray
    proba: np.ndarray
    rows: np.ndarray


def seizure_key(table: FeatureTable) -> np.ndarray:
    """The seizure each row belongs to: its event id, or ``rec:<recording>`` outside events."""
    return np.where(table.event != "", table.event,
                    "rec:" + table.recording.astype(object)).astype(str)


def predict_rows(estimator: Any, table: FeatureTable, rows: np.ndarray, config: ModelConfig,
                 classes: list[str]) -> Predictions:
    """Predict ``rows`` of ``table`` with a fitted estimator."""
    index = {c: i for i, c in enumerate(sorted(classes))}
    if is_seizure_level(config):
        from ictal.models.gestures import consensus, seizure_sequences

        pos, neg = _binary_names(classes, config)
        sz = seizure_sequences(table.subset(rows), positive=pos, negative=neg)
        proba = estimator.predict_proba(sz.sequences)
        events, mean = consensus(proba, sz.event)
        first = {e: i for i, e in reversed(list(enumerate(sz.event.tolist())))}
        y = np.asarray([index[sz.label[first[e]]] for e in events.tolist()], dtype=np.int64)
        patient = np.asarray([sz.patient[first[e]] for e in events.tolist()], dtype=str)
        src = np.asarray([rows[sz.rows[first[e]][0]] for e in events.tolist()], dtype=np.int64)
        return Predictions(events, events, patient, y, mean, src)
    proba = estimator.predict_proba(table.features[rows], table.mask[rows])
    y = np.asarray([index[v] for v in table.label[rows].tolist()], dtype=np.int64)
    return Predictions(rows.astype(str), seizure_key(table)[rows], table.patient[rows], y,
                       proba, rows.astype(np.int64))


def train_final(table: FeatureTable, config: ModelConfig, *, selection: str = "honest",
                seed: int = 0, threads: int | None = 1,
                on_epoch: EpochCallback | None = None,
                device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    """Train the model to export on every patient of ``table``.

    ``selection="honest"`` holds out an inner patient-grouped split to pick the epoch (and
    reports its metrics; with ``train.refit`` the exported model is then trained again on
    every row for that many epochs); ``"none"`` trains on all rows for ``train.epochs``
    epochs.
    Returns the estimator and a summary for the run folder / bundle.
    """
    from ictal.errors import ConfigError
    from ictal.evaluation.metrics import classification_metrics
    from ictal.evaluation.splits import inner_split

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
        pred = predict_rows(est, table, val_part, config, classes)
        info["validation_patients"] = sorted(set(table.patient[val_part].tolist()))
        info["validation_metrics"] = classification_metrics(pred.y, pred.proba, classes)
    return est, info
