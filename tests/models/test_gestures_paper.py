"""Seed 002 as published: n any integer (its n_min = 15), AdamW for both models, a seizure is
TCS when it has a tG, n_min from the data's r_max."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ictal.errors import ConfigError
from ictal.features.table import FeatureTable
from ictal.models.config import ModelConfig
from ictal.models.gestures import (
    SeizureClassifier,
    generalisation_ratios,
    min_segments,
    seizure_sequences,
    tsn_indices,
)
from ictal.models.loop import make_optimizer
from ictal.models.presets import load_model_config, preset


def test_any_number_of_segments_from_one_including_the_papers_n_min() -> None:
    for n in (1, 3, 15, 16, 17):
        cfg = load_model_config("gestures-seizure", {"n_segments": n})
        assert cfg.n_segments == n
        assert len(tsn_indices(100, n, None, None)) == n
    with pytest.raises(ConfigError, match="n_segments"):
        load_model_config("gestures-seizure", {"n_segments": 0})


def test_min_segments_is_seed_002s_n_min() -> None:
    assert min_segments(0.93) == 15  # seed 002 §3.2
    assert min_segments(0.75) == 4 and min_segments(0.5) == 2 and min_segments(0.0) == 1
    # with n_min segments the whole last segment lies after tG in a seizure of ratio r_max
    # (whatever the Beta draw), with one fewer it does not
    rng = np.random.default_rng(0)
    for r_max in (0.6, 0.8, 0.93):
        n = min_segments(r_max)
        assert (n - 1) / n >= r_max > (n - 2) / (n - 1)
        k = 1000
        for _ in range(20):
            assert tsn_indices(k, n, 1.0, rng)[-1] >= r_max * k
    with pytest.raises(ValueError, match="r_max"):
        min_segments(1.0)
    events = {"a": {"t0": 10.0, "t1": 20.0, "tG": 15.0}, "b": {"t0": 0.0, "t1": 4.0, "tG": None},
              "c": {"t0": 0.0, "t1": 10.0, "tG": 9.3}}
    assert generalisation_ratios(events).tolist() == pytest.approx([0.5, 0.93])


def test_both_gestures_presets_train_with_adamw() -> None:
    for name in ("gestures", "gestures-seizure"):
        cfg = preset(name)
        assert cfg.train.optimizer == "adamw" and cfg.train.weight_decay > 0
        opt = make_optimizer([torch.nn.Parameter(torch.zeros(2))], cfg.train)
        assert isinstance(opt, torch.optim.AdamW)
    assert preset("gestures").train.lr == 1e-3 and preset("gestures-seizure").train.lr == 1e-2


def _tcs_without_late_snippets() -> FeatureTable:
    """Two seizures of three snippets each, Eq. 1 labels: S1 generalises at 0.95 of its length,
    after its last sampled snippet's midpoint (every snippet FOS); S2 is focal."""
    n = 6
    t = np.array([0.0, 1.0, 2.0, 0.0, 1.0, 2.0])
    attrs = {"preprocess": {"temporal": {"label_rule": "gestures", "focal_label": "FOS",
                                         "generalised_label": "TCS"}},
             "events": {"S1": {"t0": 0.0, "t1": 3.0, "tG": 2.85, "label": "TCS"},
                        "S2": {"t0": 0.0, "t1": 3.0, "tG": None, "label": "FOS"}}}
    return FeatureTable(
        features=np.zeros((n, 1, 2), np.float32), mask=np.ones((n, 1), bool),
        patient=np.array(["P1"] * n), recording=np.array(["R1"] * 3 + ["R2"] * 3),
        event=np.array(["S1"] * 3 + ["S2"] * 3), label=np.array(["FOS"] * n),
        view=np.array([""] * n), start_frame=(t * 15).astype(np.int64),
        stop_frame=(t * 15 + 15).astype(np.int64), fps=np.full(n, 15.0), t_start=t,
        t_stop=t + 1.0, attrs=attrs)


def test_a_seizure_is_tcs_when_it_has_a_tg(caplog: pytest.LogCaptureFixture) -> None:
    table = _tcs_without_late_snippets()
    assert table.seizure_truth() == {"S1": "TCS", "S2": "FOS"}
    sz = seizure_sequences(table, positive="TCS", negative="FOS")
    assert dict(zip(sz.event.tolist(), sz.label.tolist(), strict=True)) == {
        "S1": "TCS", "S2": "FOS"}
    units = SeizureClassifier(positive_label="TCS").units
    est = SeizureClassifier(positive_label="TCS")
    est.classes_ = np.array(["FOS", "TCS"])
    assert est.units(table).label.tolist() == ["TCS", "FOS"] and callable(units)
    # a store without the events' times falls back to the snippets, and says so
    table.attrs.pop("events")
    assert table.seizure_truth() is None
    sz = seizure_sequences(table, positive="TCS", negative="FOS")
    assert sz.label.tolist() == ["FOS", "FOS"]
    assert "without a stored tG" in caplog.text
    # features labelled by event (seeds 000/001) keep their labels: no tG rule
    table.attrs["events"] = {"S1": {"t0": 0.0, "t1": 3.0, "tG": 2.85, "label": "TCS"}}
    table.attrs["preprocess"] = {"temporal": {"label_rule": "event"}}
    assert table.seizure_truth() is None


def test_model_config_keeps_n_segments_an_integer() -> None:
    with pytest.raises(ValueError):
        ModelConfig.model_validate({"arch": "gestures-seizure", "n_segments": 2.5})
