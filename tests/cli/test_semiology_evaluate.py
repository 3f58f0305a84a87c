"""`ictal evaluate --task`: seed 004's leave-one-subject-out run on a keypoint store, and its
options refused where they do not belong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ictal.features.semiology import write_hkn_dataset


@pytest.fixture(scope="module")
def hkn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The phantom HKN cohort in small: 4 patients (2 with dystonia), one 3 s clip each."""
    out = tmp_path_factory.mktemp("hkn")
    write_hkn_dataset(out, seed=0, n_patients=4, n_seizures=4, duration_s=(3.0, 3.0),
                      progress=False)
    return out


def _evaluate(ictal, hkn: Path, out: Path, *extra: str) -> tuple[int, str]:
    """``ictal evaluate`` of the cohort's keypoint store: exit code, stdout and stderr."""
    res = ictal("evaluate", hkn / "keypoints", "--out", out, "--no-mlflow", *extra)
    return res.code, " ".join(res.text.split())  # the error's lines joined


@pytest.mark.slow  # renders 4 clips' crops, then 4 folds of a tiny TCN
def test_task_runs_loso_on_the_keypoint_store(hkn: Path, tmp_path: Path, ictal) -> None:
    code, output = _evaluate(
        ictal, hkn, tmp_path / "run", "--task", "dystonia",
        "--manifest", str(hkn / "manifest.yaml"),
        "--appearance", str(hkn / "appearance"), "--frames", "8", "--model", "tcn-body",
        "--set", "tcn_channels=[4]", "--set", "train.epochs=1", "--protocol", "loso",
        "--selection", "seed")
    assert code == 0, output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["classes"] == ["dystonia", "no-dystonia"]
    assert len(metrics["folds"]) == 4  # one per subject
    assert metrics["table"]["shape"][1] == 8  # --frames timesteps per clip


@pytest.mark.slow
def test_semiology_options_are_checked(hkn: Path, tmp_path: Path, ictal) -> None:
    manifest = str(hkn / "manifest.yaml")
    code, output = _evaluate(ictal, hkn, tmp_path / "a", "--manifest", manifest, "--frames", "8")
    assert code == 2 and "--manifest, --frames only go with --task" in output
    code, output = _evaluate(ictal, hkn, tmp_path / "b", "--task", "tremor", "--manifest", manifest)
    assert code == 2 and "no seed 004 task" in output
    code, output = _evaluate(ictal, hkn, tmp_path / "c", "--task", "emotion")
    assert code == 2 and "--task needs --manifest" in output
    code, output = _evaluate(ictal, hkn, tmp_path / "d", "--task", "emotion",
                             "--manifest", manifest, "--frames", "0")
    assert code == 2 and "--frames" in output
    code, output = _evaluate(ictal, hkn, tmp_path / "e", "--task", "emotion",
                             "--manifest", manifest, "--coords", "4d")
    assert code == 2 and "coords must be one of 2d, 3d, body-3d" in output
    code, output = _evaluate(ictal, hkn, tmp_path / "f", "--task", "emotion",
                             "--manifest", manifest, "--axes", "body")
    assert code == 2 and "its own frame" in output
    assert not any((tmp_path / d / "metrics.json").exists() for d in "abcdef")
