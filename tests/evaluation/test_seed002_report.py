"""Seed 002's layout in the report: Table 1 (median (IQR) of accuracy, TCS F1, TCS PR-AUC),
confusion counts, Fig. 2; no unrelated published table; levels kept apart; full run names."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ictal.cli.learn import compare_level
from ictal.errors import ConfigError
from ictal.evaluation.cv import CVResult, run_cross_validation
from ictal.evaluation.report import write_report
from ictal.evaluation.seed002 import (
    figure2_points,
    fold_table1,
    median_iqr,
    pooled_counts,
)
from ictal.features.table import FeatureTable
from ictal.models.config import TrainConfig
from ictal.models.presets import preset

pytestmark = pytest.mark.slow  # three 10-fold cross-validations (about 20 s)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[CVResult, ...]:
    from tests.evaluation.synthetic import synthetic_table

    out = tmp_path_factory.mktemp("seed002")
    t = synthetic_table(patients=10, events=2, samples=5, timesteps=1,
                        classes=("FOS", "TCS"), signal=3.0)
    train = TrainConfig(epochs=8, batch_size=16, lr=1e-2, optimizer="adamw", select_on="loss")
    snippet = run_cross_validation(
        t, model_config=preset("gestures").model_copy(update={"train": train}),
        protocol="gestures-10fold", selection="seed", out_dir=out / "snippet", progress=False)
    seizure = []
    for agg, n, gamma in (("mean", 4, 2.0), ("blstm", 4, math.inf)):
        cfg = preset("gestures-seizure").model_copy(update={
            "name": f"{agg}-n{n}", "n_segments": n, "gamma": gamma, "aggregation": agg,
            "aggregation_units": 4, "train": train})
        seizure.append(run_cross_validation(t, model_config=cfg, protocol="gestures-10fold",
                                            selection="seed", out_dir=out / agg,
                                            progress=False))
    return (snippet, *seizure)


def test_table1_columns_are_median_iqr_of_accuracy_tcs_f1_and_pr_auc(
        runs: tuple[CVResult, ...]) -> None:
    snippet = runs[0]
    assert len(snippet.folds) == 10  # gestures-10fold without --k
    m = fold_table1(snippet)
    for i, f in enumerate(snippet.folds):
        cm = np.asarray(f.metrics["confusion"])  # classes FOS, TCS: TCS positive (index 1)
        tp, fp, fn = cm[1, 1], cm[0, 1], cm[1, 0]
        assert m["f1"][i] == pytest.approx(2 * tp / (2 * tp + fp + fn))
        assert m["accuracy"][i] == pytest.approx(f.metrics["accuracy"])
        assert m["pr_auc"][i] == pytest.approx(f.metrics["pr_auc"])
    assert median_iqr([0.9, 0.8, 1.0, 0.7]) == "85.0 (15.0)"
    assert median_iqr([math.nan, 0.5]) == "50.0 (0.0)"
    c = pooled_counts(runs[1])
    assert sum(c.values()) == 20  # one unit per seizure: 10 patients x 2 events


def test_report_shows_seed_002s_tables_and_figure_not_seed_000s(
        runs: tuple[CVResult, ...], tmp_path: Path) -> None:
    page = write_report([CVResult.load(r.run_dir) for r in runs], tmp_path / "r.html").read_text()
    assert "Table 1 layout" in page and "Fig. 2 layout" in page
    assert "93.9 (18.3)" in page and "R(2+1)D-34 (32)" in page  # published Table 1
    assert "<td>77</td><td>104</td><td>2</td><td>0</td>" in page  # published counts
    assert "0.833 ± 0.061" not in page  # seed 000's Table 2 stays out
    m = fold_table1(runs[1])
    assert f"<td>{median_iqr(m['accuracy'])}</td><td>{median_iqr(m['f1'])}</td>" in page
    assert "MEAN, n = 4, γ = 2.0" in page and "BLSTM, n = 4, γ = ∞" in page
    # levels in seed 002's words: the snippet classifier's unit is a snippet, in Table 1
    # and in the confusion counts, as for the published (snippet-level) Table 1 rows
    assert page.count("<td>snippet FC</td><td>snippet</td>") == 2
    assert page.count("<td>BLSTM, n = 4, γ = ∞</td><td>seizure</td>") == 2
    assert page.count("<td>R(2+1)D-34 (8)</td><td>snippet</td>") == 1
    assert "<td>snippet FC</td><td>sample</td>" not in page
    # the pooled heading is for sample-level models only; seizure-level ones are apart
    assert "Seizure-level models (one prediction per seizure" in page
    assert page.count("mean probability over each seizure") == 1
    # fold sizes of a seizure-level run count seizures
    assert "test seizures" in page and "test samples" in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 3 * 3 + 1  # three figures per run, and Fig. 2
    assert all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)
    points = figure2_points(list(runs))
    assert [(p["aggregation"], p["n_segments"], p["gamma"]) for p in points] == [
        ("mean", 4, 2.0), ("blstm", 4, math.inf)]


def test_a_report_of_seed_000_runs_keeps_its_table(make_table: Callable[..., FeatureTable],
                                                   tmp_path: Path) -> None:
    t = make_table(patients=5, samples=3)
    cfg = preset("fast").model_copy(update={"lstm_units": (4, 4), "fc_units": (4, 4),
                                            "train": TrainConfig(epochs=1, batch_size=64)})
    r = run_cross_validation(t, model_config=cfg, out_dir=tmp_path / "a", progress=False)
    page = write_report([r], tmp_path / "r.html").read_text()
    assert "0.833 ± 0.061" in page and "Table 1 layout" not in page


def test_compare_keeps_levels_apart() -> None:
    assert compare_level(["sample", "sample"], None) == "sample"
    assert compare_level(["seizure", "seizure"], None) == "seizure"
    assert compare_level(["sample", "seizure"], None) == "seizure"
    assert compare_level(["sample", "seizure"], "seizure") == "seizure"
    with pytest.raises(ConfigError, match="mixes levels"):
        compare_level(["sample", "seizure"], "sample")


def test_compare_names_runs_in_full_on_a_narrow_terminal(runs: tuple[CVResult, ...]) -> None:
    import os
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "ictal", "compare",
                          *(str(r.run_dir) for r in runs), "--metric", "accuracy"],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "COLUMNS": "80"})
    assert res.returncode == 0, res.stderr
    for i, r in enumerate(runs):
        assert f"#{i + 1} {r.label} — {r.unit}-level model" in res.stdout
    assert "accuracy (seizure level)" in res.stdout
