"""Model selection on a held-out split, then (optionally) a refit on every training row."""

from __future__ import annotations

import numpy as np
import pytest
from tests.evaluation.synthetic import synthetic_table

from ictal.errors import ConfigError
from ictal.evaluation.splits import inner_split
from ictal.features.table import FeatureTable
from ictal.models.config import ModelConfig, TrainConfig
from ictal.models.presets import preset
from ictal.training.fit import (
    fit_selected,
    hard_negative_rows,
    mine_hard_negatives,
    patient_folds,
    with_hard_negatives,
)


def _config(refit: bool) -> ModelConfig:
    return preset("fast").model_copy(update={
        "lstm_units": (8, 8), "fc_units": (8, 4), "dropout": 0.0,
        "train": TrainConfig(epochs=12, batch_size=32, patience=4, refit=refit)})


def _split(patients: int, seed: int) -> tuple[FeatureTable, np.ndarray, np.ndarray, np.ndarray,
                                              list[str]]:
    """A synthetic table, its rows, an inner patient split of them and the classes."""
    table = synthetic_table(patients=patients, signal=2.0)
    rows = np.arange(len(table))
    fit_part, val_part = inner_split(table, rows, seed=seed)
    return table, rows, fit_part, val_part, sorted(set(table.label.tolist()))


def test_refit_trains_on_every_training_row_for_the_selected_epochs() -> None:
    table, rows, fit_part, val_part, classes = _split(8, seed=0)

    plain, plain_history = fit_selected(table, fit_part, val_part, _config(False), classes,
                                        refit_rows=rows)
    refit, history = fit_selected(table, fit_part, val_part, _config(True), classes,
                                  refit_rows=rows)
    chosen = history["best_epoch"] + 1
    # the selection run is the same; the returned model was trained again, on all rows
    assert history["val_f1"] == plain_history["val_f1"] and "refit_rows" not in plain_history
    assert history["refit_rows"] == len(rows)
    assert len(refit.history_.train_loss) == chosen and not refit.history_.val_f1
    assert not np.allclose(refit.predict_proba(table.features, table.mask),
                           plain.predict_proba(table.features, table.mask))


def test_no_refit_when_the_selection_rows_are_all_the_training_rows() -> None:
    table, _, fit_part, val_part, classes = _split(6, seed=1)
    # the seeds' protocol: the validation rows are the test fold, never trained on
    est, history = fit_selected(table, fit_part, val_part, _config(True), classes,
                                refit_rows=fit_part)
    assert "refit_rows" not in history and est.history_.val_f1


def _hard_table() -> tuple[FeatureTable, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Seizure (FLE) and non-seizure (NE) patients; the last NE row of every event is a
    confounder: an FLE row's picture, labelled NE (scratching taken for a seizure)."""
    table = synthetic_table(patients=8, classes=("FLE", "NE"), signal=2.0, samples=8)
    fle = np.flatnonzero(table.label == "FLE")
    confounders = np.flatnonzero((table.label == "NE") & (np.arange(len(table)) % 8 == 7))
    table.features[confounders] = table.features[fle[: len(confounders)]]
    table.mask[confounders] = table.mask[fle[: len(confounders)]]
    rows = np.arange(len(table))
    fit_part, val_part = inner_split(table, rows, seed=0)
    return table, rows, fit_part, val_part, confounders


def _hard_config(times: int) -> ModelConfig:
    return preset("fast").model_copy(update={
        "lstm_units": (8, 8), "fc_units": (8, 4), "dropout": 0.0,
        "train": TrainConfig(epochs=30, batch_size=32, hard_negatives=times,
                             class_scale={"NE": 2.0})})


def test_with_hard_negatives_repeats_the_hard_rows_of_the_given_rows_only() -> None:
    rows = np.array([3, 4, 5, 6])
    out = with_hard_negatives(rows, np.array([4, 9]), 3)
    assert out.tolist() == [3, 4, 5, 6, 4, 4]  # 9 is not among the rows
    assert with_hard_negatives(rows, np.array([4]), 1).tolist() == rows.tolist()


def test_hard_negatives_are_mined_by_the_first_model_and_weigh_more_in_the_second() -> None:
    table, rows, fit_part, val_part, confounders = _hard_table()
    classes = ["FLE", "NE"]
    plain, plain_history = fit_selected(table, fit_part, val_part, _hard_config(1), classes,
                                        refit_rows=rows)
    hard = hard_negative_rows(plain, table, rows, ("NE",), 0.5)
    assert "hard_negatives" not in plain_history
    assert set(hard.tolist()) <= set(np.flatnonzero(table.label == "NE").tolist())
    assert len(np.intersect1d(hard, confounders)) >= len(confounders) // 2  # found
    mined, history = fit_selected(table, fit_part, val_part, _hard_config(8), classes,
                                  refit_rows=rows)
    assert history["hard_negatives"] == len(hard)

    def seizure_score(est: object, index: np.ndarray) -> float:
        proba = est.predict_proba(table.subset(index))  # type: ignore[attr-defined]
        return float(proba[:, 0].mean())

    fit_hard = np.intersect1d(hard, fit_part)
    assert seizure_score(mined, fit_hard) < seizure_score(plain, fit_hard) - 0.1
    seizures = np.intersect1d(np.flatnonzero(table.label == "FLE"), fit_part)
    assert seizure_score(mined, seizures) > 0.5  # the seizures are still seizures


def test_hard_negatives_need_a_sample_level_model() -> None:
    table, rows, fit_part, val_part, _ = _hard_table()
    config = preset("gestures-seizure").model_copy(update={
        "train": TrainConfig(epochs=2, batch_size=8, hard_negatives=3)})
    epochs: list[int] = []
    with pytest.raises(ConfigError, match="hard negatives are windows"):
        fit_selected(table, fit_part, val_part, config, ["FLE", "NE"], refit_rows=rows,
                     on_epoch=lambda epoch, total: epochs.append(epoch))
    assert epochs == []  # refused before any model is trained


def test_patient_folds_keep_patients_whole_and_every_class_outside_each_fold() -> None:
    table, rows, *_ = _hard_table()
    folds = patient_folds(table, rows, 3, background=("NE",), seed=4)
    assert sorted(np.concatenate(folds).tolist()) == rows.tolist()
    patients = [set(table.patient[f].tolist()) for f in folds]
    assert all(not (a & b) for i, a in enumerate(patients) for b in patients[i + 1:])
    for fold in folds:
        assert set(table.label[np.setdiff1d(rows, fold)].tolist()) == {"FLE", "NE"}


def test_out_of_fold_mining_finds_the_confounders_of_unseen_patients() -> None:
    table, rows, _, _, confounders = _hard_table()
    config = _hard_config(8).model_copy(update={"train": _hard_config(8).train.model_copy(
        update={"hard_negative_folds": 2})})
    hard = mine_hard_negatives(table, rows, config, ["FLE", "NE"], epochs=20)
    assert set(hard.tolist()) <= set(np.flatnonzero(table.label == "NE").tolist())
    assert len(np.intersect1d(hard, confounders)) >= len(confounders) // 2
    _, history = fit_selected(table, *_hard_table()[2:4], config, ["FLE", "NE"],
                              refit_rows=rows)
    assert history["hard_negatives"] >= len(confounders) // 2
