from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ictal.errors import ConfigError
from ictal.evaluation.cv import CVResult, run_cross_validation
from ictal.features.table import FeatureTable
from ictal.models.config import ModelConfig, TrainConfig
from ictal.models.presets import preset


def _small(epochs: int = 30, patience: int | None = 12, batch: int = 32) -> ModelConfig:
    return preset("fast").model_copy(update={
        "name": "small", "lstm_units": (16, 16), "fc_units": (16, 8), "dropout": 0.2,
        "train": TrainConfig(epochs=epochs, batch_size=batch, patience=patience)})


@pytest.mark.slow
def test_separable_classes_reach_high_macro_f1_and_the_run_folder_describes_itself(
        make_table: Callable[..., FeatureTable], tmp_path: Path) -> None:
    t = make_table(patients=10, signal=3.0)
    r = run_cross_validation(t, model_config=_small(patience=None), out_dir=tmp_path / "run",
                             progress=False)
    assert r.summary["f1_macro"]["mean"] > 0.9
    assert r.seizure_summary["f1_macro"]["mean"] > 0.9
    assert len(r.folds) == 5
    for f in r.folds:
        assert not set(f.train_patients) & set(f.test_patients)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["selection"] == "honest" and metrics["protocol"] == "grouped-kfold"
    assert metrics["leaky"] is False
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["model_config"]["lstm_units"] == [16, 16]
    assert (tmp_path / "run" / "folds" / "fold_04.pt").exists()
    loaded = CVResult.load(tmp_path / "run")
    assert np.allclose(loaded.pooled()[1], r.pooled()[1])
    # honest selection: the validation patients come from the training side only
    for f in r.folds:
        assert f.sizes["validation"]["n_samples"] > 0
        assert f.sizes["fit"]["n_samples"] + f.sizes["validation"]["n_samples"] == \
            f.sizes["train"]["n_samples"]


@pytest.mark.slow
def test_leaky_protocol_scores_higher_than_grouped_with_patient_offsets(
        make_table: Callable[..., FeatureTable], tmp_path: Path) -> None:
    t = make_table(patients=10, events=2, samples=8, signal=0.0, offset=3.0)
    cfg = _small(epochs=40, patience=15)
    grouped = run_cross_validation(t, model_config=cfg, protocol="grouped-kfold",
                                   selection="seed", out_dir=tmp_path / "g", progress=False)
    leaky = run_cross_validation(t, model_config=cfg, protocol="leaky-kfold",
                                 selection="seed", out_dir=tmp_path / "l", progress=False)
    assert leaky.leaky and "LEAKY" in leaky.label
    assert leaky.summary["f1_macro"]["mean"] > 0.9
    assert leaky.summary["f1_macro"]["mean"] > grouped.summary["f1_macro"]["mean"] + 0.25


def test_finished_folds_are_reused_and_other_configs_refused(
        make_table: Callable[..., FeatureTable], tmp_path: Path) -> None:
    t = make_table(patients=5, samples=3)
    cfg = _small(epochs=2, patience=None)
    first = run_cross_validation(t, model_config=cfg, out_dir=tmp_path, progress=False)
    # mark fold 2 so that reuse is visible
    meta_path = tmp_path / "folds" / "fold_02.json"
    meta = json.loads(meta_path.read_text())
    meta["metrics"]["f1_macro"] = -7.0
    meta_path.write_text(json.dumps(meta))
    (tmp_path / "folds" / "fold_03.json").unlink()  # an unfinished fold is recomputed
    again = run_cross_validation(t, model_config=cfg, out_dir=tmp_path, progress=False)
    # one patient per test fold: ROC-AUC is undefined and is written as null, not NaN
    text = (tmp_path / "metrics.json").read_text()
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert data["folds"][0]["metrics"]["roc_auc"] is None
    assert np.isnan(again.fold_scores("roc_auc")).all()
    assert again.folds[2].metrics["f1_macro"] == -7.0
    assert again.folds[3].metrics["f1_macro"] == first.folds[3].metrics["f1_macro"]
    with pytest.raises(ConfigError, match="different configuration"):
        run_cross_validation(t, model_config=cfg, selection="seed", out_dir=tmp_path,
                             progress=False)
    # features of the same shape made otherwise (a new backbone revision) are not mixed in
    changed = t.subset(np.arange(len(t)))
    changed.features = changed.features + np.float32(0.5) * changed.mask[..., None]
    with pytest.raises(ConfigError, match="different configuration"):
        run_cross_validation(changed, model_config=cfg, out_dir=tmp_path, progress=False)


def test_seed_selection_uses_the_test_fold_for_validation(
        make_table: Callable[..., FeatureTable], tmp_path: Path) -> None:
    t = make_table(patients=5, samples=3)
    r = run_cross_validation(t, model_config=_small(epochs=2, patience=None), selection="seed",
                             out_dir=tmp_path, progress=False)
    assert r.selection == "seed"
    assert all(f.sizes["validation"] == f.sizes["test"] for f in r.folds)


def test_no_selection_fits_every_training_patient_for_the_configured_epochs(
        make_table: Callable[..., FeatureTable], tmp_path: Path) -> None:
    t = make_table(patients=5, samples=3)
    r = run_cross_validation(t, model_config=_small(epochs=3, patience=None), selection="none",
                             out_dir=tmp_path / "none", progress=False)
    assert r.selection == "none"
    for f in r.folds:
        assert f.sizes["fit"] == f.sizes["train"]
        assert f.sizes["validation"]["n_samples"] == 0
        assert f.history["best_epoch"] == 2 and len(f.history["train_loss"]) == 3
        assert f.history["val_loss"] == []
    honest = run_cross_validation(t, model_config=_small(epochs=3, patience=None),
                                  out_dir=tmp_path / "honest", progress=False)
    assert all(f.sizes["fit"]["n_samples"] < f.sizes["train"]["n_samples"]
               for f in honest.folds)
    with pytest.raises(ConfigError, match="unknown selection mode 'last'"):
        run_cross_validation(t, model_config=_small(epochs=1), selection="last",  # type: ignore[arg-type]
                             out_dir=tmp_path / "bad", progress=False)
    assert not (tmp_path / "bad").exists()


def test_gestures_seizure_model_cross_validates_at_seizure_level(
        make_table: Callable[..., FeatureTable], tmp_path: Path) -> None:
    t = make_table(patients=10, events=2, samples=5, timesteps=1,
                   classes=("FOS", "TCS"), signal=3.0)
    cfg = preset("gestures-seizure").model_copy(update={
        "n_segments": 4, "aggregation": "mean",
        "train": TrainConfig(epochs=40, batch_size=16, lr=1e-2, optimizer="adamw",
                             select_on="loss")})
    r = run_cross_validation(t, model_config=cfg, out_dir=tmp_path, progress=False)
    assert r.unit == "seizure"
    assert sum(len(f.y) for f in r.folds) == 20  # one unit per event
    assert r.summary["f1_macro"]["mean"] > 0.8


def test_nested_search_runs_on_training_patients_only(
        make_table: Callable[..., FeatureTable], tmp_path: Path) -> None:
    t = make_table(patients=10, samples=3, signal=3.0)
    r = run_cross_validation(t, model_config=_small(epochs=2, patience=None), k=2,
                             search_trials=2, search_epochs=(2, 3), search_batch=(16, 32),
                             out_dir=tmp_path, progress=False)
    for f in r.folds:
        assert f.search is not None and len(f.search["trials"]) == 2
        best = f.search["best_config"]
        assert 32 <= best["lstm_units"][0] <= 256 and 2 <= best["train"]["epochs"] <= 3


def test_a_refused_run_writes_nothing_and_a_resume_removes_temporaries(
        make_table: Callable[..., FeatureTable], tmp_path: Path) -> None:
    t = make_table(patients=4, samples=2)
    cfg = _small(epochs=1, patience=None)
    with pytest.raises(ConfigError, match="unknown protocol"):
        run_cross_validation(t, model_config=cfg, protocol="bogus", out_dir=tmp_path / "run",
                             progress=False)
    assert not (tmp_path / "run" / "config.json").exists()  # the corrected run may go there
    stale = [tmp_path / "run" / ".metrics.ictal-tmp-a1.json",
             tmp_path / "run" / "folds" / ".fold_00.ictal-tmp-b2.pt"]  # a killed run's
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    run_cross_validation(t, model_config=cfg, k=2, out_dir=tmp_path / "run", progress=False)
    assert (tmp_path / "run" / "config.json").exists()
    assert not any(path.exists() for path in stale)
