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

from ictal.errors import ConfigError
from ictal.features.table import FeatureTable
from ictal.models.base import Estimator
from ictal.models.config import ModelConfig
from ictal.models.labels import seizure_columns
from ictal.models.loop import EpochCallback
from ictal.models.registry import build_estimator, unit_of


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


def seizure_scores(estimator: Estimator, table: FeatureTable, rows: np.ndarray,
                   background: tuple[str, ...] | list[str]) -> np.ndarray:
    """``(len(rows),)`` float64: the monitor's seizure score of each row -- the summed
    probability of its seizure classes (:func:`~ictal.models.labels.seizure_columns`)."""
    proba = estimator.predict_proba(table.subset(np.asarray(rows, dtype=np.int64)))
    return proba[:, seizure_columns(estimator.classes_.tolist(), background)].sum(axis=1)


def patient_folds(table: FeatureTable, rows: np.ndarray, k: int, *,
                  background: tuple[str, ...] | list[str], seed: int = 0) -> list[np.ndarray]:
    """``rows`` dealt into ``k`` folds by patient (no patient in two folds): the patients of
    each class -- a patient's label that is not ``background`` (the first in name order),
    else the background -- shuffled with ``seed`` and dealt in turn, so that each fold's
    complement keeps every class. Returns the rows of each fold (empty folds dropped)."""
    rows = np.asarray(rows, dtype=np.int64)
    labels: dict[str, set[str]] = {}
    for p, label in zip(table.patient[rows].tolist(), table.label[rows].tolist(), strict=True):
        labels.setdefault(p, set()).add(label)
    kind = {p: min((c for c in ls if c not in background), default=min(ls))
            for p, ls in labels.items()}
    rng = np.random.default_rng(seed)
    fold_of: dict[str, int] = {}
    turn = 0
    for cls in sorted(set(kind.values())):
        members = sorted(p for p, c in kind.items() if c == cls)
        for i in rng.permutation(len(members)):
            fold_of[members[i]] = turn % k
            turn += 1
    which = np.asarray([fold_of[p] for p in table.patient[rows].tolist()])
    return [rows[which == f] for f in range(k) if (which == f).any()]


def hard_negative_rows(estimator: Estimator, table: FeatureTable, rows: np.ndarray,
                       background: tuple[str, ...] | list[str], bar: float) -> np.ndarray:
    """The rows of ``rows`` labelled with a ``background`` class whose seizure score under
    ``estimator`` (:func:`seizure_scores`) is at least ``bar``: ``(M,)`` int64, in the
    order of ``rows``."""
    rows = np.asarray(rows, dtype=np.int64)
    candidates = rows[np.isin(table.label[rows], list(background))]
    if not len(candidates):
        return candidates
    return candidates[seizure_scores(estimator, table, candidates, background) >= bar]


def mine_hard_negatives(table: FeatureTable, rows: np.ndarray, config: ModelConfig,
                        classes: list[str], epochs: int, *, seed: int = 0,
                        threads: int | None = 1, device: str = "cpu") -> np.ndarray:
    """Hard negatives of ``rows`` scored out of fold: ``train.hard_negative_folds`` models,
    each trained for ``epochs`` epochs on the rows of the other folds' patients
    (:func:`patient_folds`), score the background rows of their fold -- what a model
    deployed on new patients would alarm on, not what it remembers of the ones it saw."""
    tc = config.train
    plain = config.model_copy(update={"train": tc.model_copy(update={
        "epochs": epochs, "patience": None, "hard_negatives": 1})})
    found = []
    folds = patient_folds(table, rows, tc.hard_negative_folds, background=tc.background,
                          seed=seed)
    for fold in folds:
        others = np.setdiff1d(rows, fold)
        if not len(others):
            continue
        est = fit_rows(table, others, None, plain, classes, seed=seed, threads=threads,
                       device=device)
        found.append(hard_negative_rows(est, table, fold, tc.background,
                                        tc.hard_negative_bar))
    return np.sort(np.concatenate(found)) if found else np.zeros(0, np.int64)


def with_hard_negatives(rows: np.ndarray, hard: np.ndarray, times: int) -> np.ndarray:
    """``rows`` with the ``hard`` ones among them repeated ``times`` times in all (a row
    index may then appear several times: :meth:`FeatureTable.subset` repeats it)."""
    rows = np.asarray(rows, dtype=np.int64)
    extra = np.repeat(hard[np.isin(hard, rows)], max(0, times - 1))
    return np.concatenate([rows, extra])


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
    With ``train.hard_negatives`` ``k`` > 1 (sample-level models) the hard negatives of
    ``refit_rows`` are mined -- by the model so made (:func:`hard_negative_rows`), or with
    ``train.hard_negative_folds`` >= 2 out of fold by as many models trained for its epochs
    (:func:`mine_hard_negatives`) -- and everything above is done again from scratch, same
    split and seed, with each of them ``k`` times in the rows fitted (the validation rows
    are not repeated: the epoch is still chosen on the held-out patients as they are).
    Returns the estimator and the selection run's history (its validation curves and the
    epoch kept), which the refit model does not have; ``hard_negatives``: how many rows
    were mined.
    """
    tc = config.train
    if tc.hard_negatives > 1 and unit_of(config.arch) != "sample":  # before any fit
        raise ConfigError(f"train.hard_negatives: the {config.arch} model decides per "
                          "seizure, hard negatives are windows",
                          hint="mine hard negatives with a sample-level model (e.g. fast)")
    est, selection = _fit_and_refit(table, fit_part, val_part, config, classes,
                                    refit_rows=refit_rows, seed=seed, threads=threads,
                                    on_epoch=on_epoch, device=device)
    if tc.hard_negatives <= 1:
        return est, selection
    if tc.hard_negative_folds >= 2:
        epochs = est.history_.best_epoch + 1  # a refit model's best epoch is its last
        hard = mine_hard_negatives(table, refit_rows, config, classes, epochs, seed=seed,
                                   threads=threads, device=device)
    else:
        hard = hard_negative_rows(est, table, refit_rows, tc.background,
                                  tc.hard_negative_bar)
    est, selection = _fit_and_refit(
        table, with_hard_negatives(fit_part, hard, tc.hard_negatives), val_part, config,
        classes, refit_rows=with_hard_negatives(refit_rows, hard, tc.hard_negatives),
        seed=seed, threads=threads, on_epoch=on_epoch, device=device)
    selection["hard_negatives"] = len(hard)
    return est, selection


def _fit_and_refit(table: FeatureTable, fit_part: np.ndarray, val_part: np.ndarray | None,
                   config: ModelConfig, classes: list[str], *, refit_rows: np.ndarray,
                   seed: int, threads: int | None, on_epoch: EpochCallback | None,
                   device: str) -> tuple[Estimator, dict[str, Any]]:
    """:func:`fit_selected` without the hard negatives."""
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
