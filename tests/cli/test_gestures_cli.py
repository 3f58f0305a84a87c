"""`ictal evaluate` of a GESTURES seizure-level model: 10 folds by default, n_min printed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.evaluation.synthetic import synthetic_table
from typer.testing import CliRunner

from ictal.cli.main import build_app
from ictal.features.store import write_features


@pytest.mark.slow
def test_evaluate_gestures_seizure_prints_n_min_and_runs_ten_folds(tmp_path: Path) -> None:
    table = synthetic_table(patients=10, events=2, samples=4, timesteps=1,
                            classes=("FOS", "TCS"), signal=3.0)
    events = sorted(set(table.event.tolist()))
    tcs = {e for e in events if table.label[table.event == e][0] == "TCS"}
    # r = 0.5 ... 0.9 over the TCS: r_max 0.9 -> n_min = ceil(1 / 0.1) = 10
    ratios = dict(zip(sorted(tcs), np.linspace(0.5, 0.9, len(tcs)), strict=True))
    table.attrs["preprocess"] = {"temporal": {"label_rule": "gestures"}}
    table.attrs["events"] = {e: {"t0": 0.0, "t1": 10.0,
                                 "tG": 10.0 * ratios[e] if e in tcs else None, "label": ""}
                             for e in events}
    store = write_features(tmp_path / "features.h5", table)
    res = CliRunner().invoke(build_app(), [
        "evaluate", str(store), "--out", str(tmp_path / "run"), "--model", "gestures-seizure",
        "--set", "n_segments=4", "--set", "aggregation=mean", "--set", "train.epochs=2",
        "--protocol", "gestures-10fold", "--selection", "seed", "--no-mlflow"],
        env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "over 10 TCS" in res.output and "r_max 0.90" in res.output
    assert "n_min = ceil(1 / (1 - r_max)) = 10 segments" in res.output
    assert "this run: n = 4 (fewer: some TCS may get no snippet after tG)" in res.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["k"] == 10 and len(metrics["folds"]) == 10
