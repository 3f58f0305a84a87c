"""Seed 004's Table 1 report: pooled F1 / accuracy of the sign's class beside the published
numbers, accuracy per subject, late fusion, runs not there listed as not run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score
from tests.models.semiology_data import semiology_table

from ictal.evaluation.cv import CVResult, run_cross_validation
from ictal.evaluation.seed004 import (
    binary_scores,
    explain_agcn_run,
    fold_estimator,
    fused_scores,
    write_seed004_report,
)
from ictal.models.config import TrainConfig
from ictal.models.presets import preset

TINY = {"agcn_channels": (4,), "agcn_strides": (1,), "tcn_channels": (4,),
        "train": TrainConfig(epochs=2, batch_size=8)}


def _pooled(result: CVResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Truth (1 = dystonia), probability of dystonia and table rows over every fold."""
    pos = result.classes.index("dystonia")
    y = np.concatenate([f.y for f in result.folds]) == pos
    p = np.concatenate([f.proba[:, pos] for f in result.folds])
    return y.astype(int), p, np.concatenate([f.rows for f in result.folds])


def _row(page: str, name: str) -> list[str]:
    """The cells of the table row whose first cell is ``name``."""
    match = re.search(rf"<tr><td>{re.escape(name)}</td>(.*?)</tr>", page)
    assert match, name
    return re.findall(r"<td[^>]*>(.*?)</td>", match.group(1))


def test_binary_scores_match_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    y, pred = rng.integers(0, 2, 40), rng.integers(0, 2, 40)
    s = binary_scores(y, pred)
    assert s["f1"] == pytest.approx(f1_score(y, pred))
    assert s["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert s["sensitivity"] == pytest.approx(((pred == 1) & (y == 1)).sum() / (y == 1).sum())
    assert s["tp"] + s["tn"] + s["fp"] + s["fn"] == s["n"] == 40
    assert np.isnan(binary_scores(np.zeros(3, int), np.zeros(3, int))["f1"])


@pytest.mark.slow  # two 6-fold leave-one-subject-out runs
def test_report_of_dystonia_runs(tmp_path: Path) -> None:
    # classes sorted: dystonia (index 0) before no-dystonia; the positive class is dystonia
    table = semiology_table(patients=6, seizures=2, labels=("no-dystonia", "dystonia"),
                            signal=1.5)
    runs = {}
    for model in ("agcn-body", "tcn-body"):
        cfg = preset(model).model_copy(update=TINY)
        runs[model] = run_cross_validation(
            table, model_config=cfg, protocol="loso", selection="seed", seed=0,
            out_dir=tmp_path / "runs" / f"dystonia-{model}", progress=False)
    out = write_seed004_report(tmp_path / "runs", tmp_path / "report" / "report.html")
    page = out.read_text()

    y, p, _ = _pooled(runs["agcn-body"])
    cells = _row(page, "AGCN<sub>p</sub>")
    assert cells[0] == f"{f1_score(y, p >= 0.5, zero_division=np.nan):.2f}".replace("nan", "-")
    assert cells[1:4] == ["0.78", f"{accuracy_score(y, p >= 0.5):.2f}", "0.76"]
    assert cells[5].endswith("(6)")  # accuracy per subject over the six left-out subjects
    y, p, _ = _pooled(runs["tcn-body"])
    cells = _row(page, "TCN<sub>p</sub>")
    assert cells[:2] == [f"{f1_score(y, p >= 0.5):.2f}", "0.76"]
    # the runs not there are listed as such: AGCN_p + KD, the three emotion rows and the two
    # lateralisation rows
    assert page.count("not run") == 6
    # late fusion: mean of the two runs' probabilities, seizure by seizure
    ya, pa, ra = _pooled(runs["agcn-body"])
    _, pb, rb = _pooled(runs["tcn-body"])
    order = np.argsort(rb)[np.searchsorted(np.sort(rb), ra)]
    fused = (pa + pb[order]) / 2 >= 0.5
    cells = _row(page, "AGCN + TCN, late fusion (mean probability)")
    assert cells[2] == f"{accuracy_score(ya, fused):.2f}"
    assert fused_scores(runs["agcn-body"], runs["tcn-body"], "dystonia")["accuracy"] == (
        pytest.approx(accuracy_score(ya, fused)))
    figure = tmp_path / "report" / "figures" / "seed004_table1.png"
    assert figure.read_bytes()[:4] == b"\x89PNG" and 'src="figures/seed004_table1.png"' in page
    # which keypoint channels the tables held (this synthetic table records no variant)
    assert re.search(r"Keypoint inputs .*?<code>not recorded</code>", page, re.S)


@pytest.mark.slow
def test_report_refuses_runs_that_are_not_leave_one_subject_out(tmp_path: Path) -> None:
    table = semiology_table(patients=6, seizures=1, labels=("no-dystonia", "dystonia"))
    cfg = preset("agcn-body").model_copy(update=TINY)
    run_cross_validation(table, model_config=cfg, protocol="grouped-kfold", k=2,
                         selection="seed", out_dir=tmp_path / "runs" / "dystonia-agcn-body",
                         progress=False)
    with pytest.raises(ValueError, match="loso"):
        write_seed004_report(tmp_path / "runs", tmp_path / "report.html")


@pytest.mark.slow  # a 4-fold leave-one-subject-out run and its attribution
def test_explanation_and_speed_in_the_report(tmp_path: Path) -> None:
    table = semiology_table(patients=4, seizures=2, labels=("no-dystonia", "dystonia"),
                            signal=1.5)
    table.attrs["task"] = "dystonia"
    # 6 epochs (one step each on 6 clips): the preset's zero last layer passes no gradient
    # back on the first step, and B_k must have moved for the check below
    cfg = preset("agcn-body").model_copy(
        update={**TINY, "train": TrainConfig(epochs=6, batch_size=8)})
    run_dir = tmp_path / "runs" / "dystonia-agcn-body"
    result = run_cross_validation(table, model_config=cfg, protocol="loso", selection="seed",
                                  seed=0, out_dir=run_dir, progress=False)
    path = explain_agcn_run(run_dir, table, windows=4)
    with np.load(path) as z:
        assert z["nodes"].tolist()[:2] == ["head", "neck"]
        assert sorted(z["rows"].tolist()) == list(range(len(table)))  # each seizure once
        assert z["joints"].shape == (8, 11) and z["moments"].shape == (8, 4)
        assert z["learned"].shape == (4, 1, 3, 11, 11)  # folds, blocks, subsets, V, V
        assert z["fixed"].shape == (1, 3, 11, 11)
        # the attribution is the fold's own model on its own left-out seizures
        fold = result.folds[2]
        sel = z["fold"] == 2
        joints, _ = fold_estimator(result, 2).attribution(table.subset(fold.rows), windows=4)
        np.testing.assert_allclose(z["joints"][sel], joints)
        assert z["y"][sel].tolist() == (fold.y == result.classes.index("dystonia")).tolist()
        # B_k moved away from its initial 1e-6 during training
        assert np.abs(z["learned"] - 1e-6).max() > 1e-4
    other = semiology_table(patients=4, seizures=2, labels=("no-dystonia", "dystonia"), seed=1)
    other.attrs["task"] = "dystonia"
    with pytest.raises(ValueError, match="not the one the run was trained on"):
        explain_agcn_run(run_dir, other)
    (tmp_path / "runs" / "speed.json").write_text(json.dumps([{
        "task": "dystonia", "model": "agcn-body", "folds": 4, "seconds_per_fold": 1.25,
        "inference_timesteps_per_s": 12345.0, "clips": 8, "timesteps": 16, "threads": 1}]))
    page = write_seed004_report(tmp_path / "runs", tmp_path / "report.html").read_text()
    assert "Which keypoints and moments drive the decisions" in page
    figure = tmp_path / "figures" / "seed004_dystonia-agcn-body_explain.png"
    assert figure.read_bytes()[:4] == b"\x89PNG"
    assert 'src="figures/seed004_dystonia-agcn-body_explain.png"' in page
    assert re.search(r"<td>dystonia</td><td>agcn-body</td><td>1.2</td><td>4</td>"
                     r"<td>12,345</td><td>8 x 16</td><td>1</td>", page)
