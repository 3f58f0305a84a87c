"""``ictal evaluate --executor ray`` on the session's local 2-CPU Ray cluster: folds and
nested-search trials in parallel give the local run's metrics, predictions and models; a killed
driver's rerun reuses the finished folds."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from ictal.evaluation.cv import run_cross_validation
from ictal.executor import ExecutorConfig, open_executor
from ictal.features.store import read_features, write_features
from ictal.features.table import FeatureTable
from ictal.models.config import ModelConfig, TrainConfig
from ictal.models.presets import preset

pytestmark = pytest.mark.slow


def _small() -> ModelConfig:
    return preset("fast").model_copy(update={
        "name": "small", "lstm_units": (8, 8), "fc_units": (8, 4),
        "train": TrainConfig(epochs=3, batch_size=16, patience=None)})


def _without_times(metrics: dict) -> dict:
    for fold in metrics["folds"]:
        fold.pop("seconds")
    return metrics


def assert_same_run(a: Path, b: Path, k: int) -> None:
    left = _without_times(json.loads((a / "metrics.json").read_text()))
    right = _without_times(json.loads((b / "metrics.json").read_text()))
    assert left == right
    for i in range(k):
        with np.load(a / "folds" / f"fold_{i:02d}.npz") as x, \
                np.load(b / "folds" / f"fold_{i:02d}.npz") as y:
            for name in x.files:
                np.testing.assert_array_equal(x[name], y[name])
        sa = torch.load(a / "folds" / f"fold_{i:02d}.pt", weights_only=False)
        sb = torch.load(b / "folds" / f"fold_{i:02d}.pt", weights_only=False)
        assert repr(sa) == repr(sb)


def test_folds_and_trials_in_parallel_give_the_local_metrics(
        ray_address: str, make_table: Callable[..., FeatureTable], tmp_path: Path) -> None:
    t = make_table(patients=4, samples=3, signal=3.0)
    kw = {"model_config": _small(), "k": 2, "search_trials": 2, "search_epochs": (2, 3),
          "search_batch": (8, 16), "progress": False}
    local = run_cross_validation(t, out_dir=tmp_path / "local", **kw)
    with open_executor(ExecutorConfig(kind="ray")) as ex:
        ray_run = run_cross_validation(t, out_dir=tmp_path / "ray", executor=ex, **kw)
    assert [f.search["trials"] for f in ray_run.folds] == [f.search["trials"]
                                                           for f in local.folds]
    assert ray_run.summary == local.summary
    assert_same_run(tmp_path / "local", tmp_path / "ray", 2)


def test_a_killed_driver_reruns_only_the_unfinished_folds(
        ray_address: str, make_table: Callable[..., FeatureTable], tmp_path: Path) -> None:
    t = make_table(patients=4, samples=3, signal=3.0)
    store = tmp_path / "features.h5"
    write_features(store, t)
    k = 2
    config = tmp_path / "model.yaml"
    config.write_text(json.dumps(_small().model_dump(mode="json")))
    cmd = [sys.executable, "-m", "ictal", "evaluate", str(store), "--model", str(config),
           "--k", str(k), "--no-mlflow"]
    # the local run, in this process, on the table as the command reads it
    run_cross_validation(read_features(store), model_config=_small(), k=k,
                         out_dir=tmp_path / "local", progress=False)
    run = tmp_path / "ray"
    one_at_a_time = tmp_path / "executor.yaml"  # the second fold starts after the first
    one_at_a_time.write_text("executor:\n  max_in_flight: 1\n")
    ray_cmd = [*cmd, "--out", str(run), "--executor", "ray", "--ray-address", ray_address,
               "--executor-config", str(one_at_a_time)]
    driver = subprocess.Popen(ray_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    end = time.monotonic() + 300
    folds = run / "folds"
    while driver.poll() is None and time.monotonic() < end and not (
            folds.is_dir() and list(folds.glob("fold_*.json"))):
        time.sleep(0.02)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    said = driver.stdout.read().decode() if driver.stdout else ""
    finished = sorted(folds.glob("fold_*.json"))
    assert 1 <= len(finished) < k, said
    assert "ray executor on" in said  # where it ran is said
    stamps = {p.name: p.stat().st_mtime_ns for p in finished}
    # the rerun (here, on the same cluster: no second start of Python, torch and Ray) with
    # what the command passes
    with open_executor(ExecutorConfig(kind="ray")) as ex:
        run_cross_validation(read_features(store), model_config=_small(), k=k, out_dir=run,
                             progress=False, executor=ex)
    assert {p.name: p.stat().st_mtime_ns for p in finished} == stamps  # reused, not redone
    assert_same_run(tmp_path / "local", run, k)
