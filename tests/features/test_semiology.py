"""Seed 004's seizure-level semiology tables from a keypoint store and its manifest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ictal.errors import ConfigError
from ictal.features.semiology import (
    SemiologyInputs,
    crop_descriptor,
    event_signs,
    semiology_table,
    task_label,
    write_hkn_dataset,
)
from ictal.features.streams import stream_layout
from ictal.manifest.io import load_manifest
from ictal.manifest.schema import Event


def test_signs_and_task_labels() -> None:
    ev = Event(id="e", recording="r", t0=0, t1=1, label="HKN", seizure_types="Emotion",
               meta={"signs": ["dystonia", "dystonia-left"]})
    signs = event_signs(ev)
    assert signs == {"dystonia", "dystonia-left", "emotion"}
    assert task_label(signs, "dystonia") == "dystonia"
    assert task_label(signs, "emotion") == "emotion"
    assert task_label(set(), "emotion") == "no-emotion"
    assert task_label(signs, "lateralisation") == "left"
    assert task_label({"dystonia"}, "lateralisation") is None
    with pytest.raises(ConfigError, match="unknown semiology task"):
        task_label(signs, "tremor")


def test_crop_descriptor_sees_change_and_structure() -> None:
    crops = np.zeros((3, 24, 24), np.uint8)
    crops[1, :12] = 255
    f = crop_descriptor(crops)
    assert f.shape == (3, 81) and f.dtype == np.float32
    assert np.allclose(f[0], 0) and f[1, :36].max() == pytest.approx(1.0)
    assert f[1, -9:].max() > 0 and f[2, -9:].max() > 0  # the change in and out


def test_phantom_dataset_gives_tables_for_every_task(tmp_path: Path) -> None:
    path = write_hkn_dataset(tmp_path, seed=0, n_patients=4, n_seizures=5,
                             duration_s=(3.0, 3.0), progress=False)
    manifest = load_manifest(path, check_files=False)
    assert len(manifest.events) == 5 and len(manifest.patients) == 4
    inputs = SemiologyInputs(manifest, tmp_path / "keypoints", tmp_path / "appearance")
    table = semiology_table(inputs, "dystonia", frames=16)
    assert table.features.shape == (5, 16, 33 + 69 + 2 * 81)
    layout = stream_layout(table.attrs)
    assert set(layout) == {"body", "face", "body_app", "face_app"}
    truth = {e.id: ("dystonia" if "dystonia" in e.meta["signs"] else "no-dystonia")
             for e in manifest.events}
    assert [truth[e] for e in table.event] == table.label.tolist()
    body = table.features[..., :33].reshape(5, 16, 11, 3)
    assert np.all(np.abs(body[..., :2]) < 20)  # centred and scaled by the shoulders
    lat = semiology_table(inputs, "lateralisation", frames=16)
    assert set(lat.label) <= {"left", "right"} and len(lat) < 5
    three = semiology_table(SemiologyInputs(manifest, tmp_path / "keypoints"), "emotion",
                            frames=8, coords="3d")
    assert three.features.shape == (5, 8, 102) and "body_app" not in stream_layout(three.attrs)
    # resumable: a second run writes nothing new and gives the same manifest
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "keypoints").iterdir()}
    write_hkn_dataset(tmp_path, seed=0, n_patients=4, n_seizures=5, duration_s=(3.0, 3.0),
                      progress=False)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "keypoints").iterdir()} == before
    empty = SemiologyInputs(manifest, tmp_path / "nothing")
    with pytest.raises(ConfigError, match="no seizure"):
        semiology_table(empty, "dystonia")
