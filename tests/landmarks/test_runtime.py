"""Loading a model file: hash and tensor checks, and the input contract."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ictal.errors import CheckpointError, ShapeError
from ictal.landmarks.files import MEDIAPIPE_0_10_21, source_dir
from ictal.landmarks.runtime import TfliteModel


@pytest.mark.parametrize("spec", MEDIAPIPE_0_10_21.models, ids=lambda s: s.name)
def test_every_model_runs_with_the_registered_tensors(models: None, spec: object) -> None:
    model = TfliteModel(spec.name, threads=1)  # type: ignore[attr-defined]
    size = model.input_size
    outputs = model(np.zeros((size, size, 3), np.float32))
    assert [o.shape for o in outputs] == [tuple(s) for s in model.spec.outputs]
    assert all(np.isfinite(o).all() for o in outputs)
    with pytest.raises(ShapeError):
        model(np.zeros((size, size + 1, 3), np.float32))


def test_a_missing_or_changed_file_is_refused_with_the_install_command(
        models: None, tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"pose_detection\.tflite is missing") as info:
        TfliteModel("pose_detection", tmp_path)
    assert f"ictal landmarks install --dir {tmp_path}" in (info.value.hint or "")
    folder = source_dir(tmp_path)
    folder.mkdir(parents=True)
    data = bytearray((source_dir() / "pose_detection.tflite").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "pose_detection.tflite").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="bad hash"):
        TfliteModel("pose_detection", tmp_path)


def test_tensors_other_than_registered_are_refused(models: None, tmp_path: Path) -> None:
    spec = MEDIAPIPE_0_10_21.get("face_landmark")
    folder = source_dir(tmp_path)
    folder.mkdir(parents=True)
    shutil.copy(source_dir() / spec.filename, folder / spec.filename)
    wrong = replace(MEDIAPIPE_0_10_21, files=tuple(
        replace(f, outputs=((1, 1404), (1, 1))) if f.name == spec.name else f
        for f in MEDIAPIPE_0_10_21.files))
    with pytest.raises(CheckpointError, match="outputs"):
        TfliteModel("face_landmark", tmp_path, source=wrong)
