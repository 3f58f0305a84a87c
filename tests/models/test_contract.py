"""One contract for every classifier: each preset's estimator is held to the same test
(STYLE.md §14), as every backbone is in ``tests/backbones``."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import get_args

import numpy as np
import pytest
import torch
from tests.evaluation.synthetic import synthetic_table
from tests.models.semiology_data import semiology_table

from ictal.features.table import FeatureTable
from ictal.models.base import Estimator
from ictal.models.config import Arch, ModelConfig, TrainConfig
from ictal.models.presets import PRESET_TABLE, PRESETS, preset
from ictal.models.registry import ESTIMATORS, build_estimator, unit_of
from ictal.training.fit import fit_rows, predict_rows

CLASSES = ["FLE", "TLE"]


#: Seed 004's architectures read the streams of a seizure-level semiology table.
_STREAM_ARCHS = ("agcn", "tcn", "agcn-kd")


def _small(name: str) -> ModelConfig:
    """The preset with tiny layers and a few epochs (its architecture and loss unchanged)."""
    cfg = preset(name)
    return cfg.model_copy(update={
        "lstm_units": (6, 4), "fc_units": (4, 4), "aggregation_units": 4, "n_segments": 4,
        "agcn_channels": (8, 8, 16), "agcn_strides": (1, 2, 1), "tcn_channels": (8, 8),
        "train": cfg.train.model_copy(update={"epochs": 4, "batch_size": 16}),
    })


def _table(arch: str = "lstm") -> FeatureTable:
    """Six patients, two events each, every event seen from two views (seed 004's models:
    one seizure clip per row with its four streams)."""
    if arch in _STREAM_ARCHS:
        return semiology_table(labels=("FLE", "TLE"))
    base = synthetic_table(patients=6, events=2, samples=5, timesteps=3, features=5)
    other = replace(base, features=base.features + np.float32(0.25), view=np.full(len(base), "b"))
    return FeatureTable.concat([replace(base, view=np.full(len(base), "a")), other])


def _parts(table: FeatureTable) -> tuple[FeatureTable, FeatureTable, FeatureTable]:
    """Train (P00-P03), validation (P04) and test (P05) rows."""
    def rows(*patients: str) -> np.ndarray:
        return np.flatnonzero(np.isin(table.patient, patients))

    return (table.subset(rows("P00", "P01", "P02", "P03")), table.subset(rows("P04")),
            table.subset(rows("P05")))


def test_every_architecture_has_one_estimator_and_every_preset_one_row() -> None:
    assert set(ESTIMATORS) == set(get_args(Arch))
    assert tuple(p.name for p in PRESET_TABLE) == PRESETS
    assert len(set(PRESETS)) == len(PRESETS)
    for row in PRESET_TABLE:
        assert preset(row.name).arch == row.arch and row.description


@pytest.mark.parametrize("name", PRESETS)
def test_estimator_meets_the_contract(name: str) -> None:
    cfg = _small(name)
    table = _table(cfg.arch)
    train, validation, test = _parts(table)
    est = build_estimator(cfg, seed=3)
    assert type(est).unit == unit_of(cfg.arch) and type(est).unit in ("sample", "seizure")
    assert not hasattr(est, "classes_")  # nothing learned before fit

    assert est.fit(train, classes=CLASSES, validation=validation) is est
    assert isinstance(est, Estimator)
    assert est.classes_.tolist() == CLASSES and est.n_features_in_ == table.features.shape[2]
    assert 0 <= est.history_.best_epoch < cfg.train.epochs

    proba = est.predict_proba(test)
    units = est.units(test)
    assert proba.dtype == np.float64 and proba.shape == (len(units), len(CLASSES))
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0)
    # each unit stands for a row of the table and belongs to that row's seizure
    assert np.array_equal(units.group, test.seizure_key()[units.rows])
    assert np.array_equal(units.patient, test.patient[units.rows])
    assert set(units.label.tolist()) <= set(CLASSES)
    if est.unit == "sample":
        assert len(units) == len(test) and np.array_equal(units.label, test.label)
    else:  # one unit per event, its views averaged
        assert sorted(units.group.tolist()) == sorted(set(test.event.tolist()))

    # what a bundle stores restores the same model: identical probabilities
    buffer = io.BytesIO()
    torch.save(est.state(), buffer)
    buffer.seek(0)
    again = build_estimator(cfg).load_state(torch.load(buffer, weights_only=False))
    assert np.array_equal(again.predict_proba(test), proba)
    assert again.classes_.tolist() == CLASSES

    # seeded: the same rows and seed train the same model
    twin = build_estimator(cfg, seed=3).fit(train, classes=CLASSES, validation=validation)
    assert np.array_equal(twin.predict_proba(test), proba)


@pytest.mark.parametrize("name", PRESETS)
def test_fit_rows_and_predict_rows_go_through_the_contract(name: str) -> None:
    cfg = _small(name).model_copy(update={"train": TrainConfig(epochs=2, batch_size=16)})
    table = _table(cfg.arch)
    train_rows = np.flatnonzero(table.patient != "P05")
    test_rows = np.flatnonzero(table.patient == "P05")
    est = fit_rows(table, train_rows, None, cfg, CLASSES, seed=1)
    pred = predict_rows(est, table, test_rows, CLASSES)
    units = est.units(table.subset(test_rows))
    assert np.array_equal(pred.proba, est.predict_proba(table.subset(test_rows)))
    assert np.array_equal(pred.rows, test_rows[units.rows])  # rows of the whole table
    assert np.all(table.patient[pred.rows] == "P05")
    assert np.array_equal(pred.group, table.seizure_key()[pred.rows])
    assert pred.y.tolist() == [CLASSES.index(v) for v in units.label.tolist()]
