"""Model selection on a held-out split, then (optionally) a refit on every training row."""

from __future__ import annotations

import numpy as np
from tests.evaluation.synthetic import synthetic_table

from ictal.evaluation.splits import inner_split
from ictal.features.table import FeatureTable
from ictal.models.config import ModelConfig, TrainConfig
from ictal.models.presets import preset
from ictal.training.fit import fit_selected


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
