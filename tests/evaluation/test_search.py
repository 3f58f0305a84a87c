from __future__ import annotations

import numpy as np
from tests.evaluation.synthetic import synthetic_table

from ictal.evaluation.search import random_search
from ictal.models.config import TrainConfig
from ictal.models.presets import preset


def test_search_is_seeded_stays_in_range_and_never_touches_other_rows() -> None:
    t = synthetic_table(patients=8, samples=3, signal=2.0)
    train_rows = np.flatnonzero(~np.isin(t.patient, ["P06", "P07"]))
    t.features[~np.isin(np.arange(len(t)), train_rows)] = np.nan  # poison the held-out rows
    base = preset("fast").model_copy(update={"train": TrainConfig(epochs=2, batch_size=32)})
    kw = {"classes": ["FLE", "TLE"], "n_trials": 3, "seed": 5, "epochs": (2, 4),
          "batch": (16, 64)}
    a = random_search(t, train_rows, base, **kw)
    b = random_search(t, train_rows, base, **kw)
    assert [x["params"] for x in a.trials] == [x["params"] for x in b.trials]
    assert np.isfinite(a.best_value) and 0 <= a.best_value <= 1
    for trial in a.trials:
        p = trial["params"]
        assert 32 <= p["lstm_units_1"] <= 256 and 16 <= p["fc_units_1"] <= 128
        assert 0 <= p["dropout"] <= 0.5 and 0 <= p["recurrent_dropout"] <= 0.5
        assert p["loss"] in ("mse", "bce") and 2 <= p["epochs"] <= 4
    assert a.best_config.train.epochs == max(a.trials, key=lambda x: x["value"])[
        "params"]["epochs"]
