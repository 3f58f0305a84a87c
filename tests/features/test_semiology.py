"""Seed 004's seizure-level semiology tables from a keypoint store and its manifest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ictal.errors import ConfigError
from ictal.features.semiology import (
    SemiologyInputs,
    _normalised_keypoints,
    body_axes,
    crop_descriptor,
    event_signs,
    semiology_table,
    task_label,
    write_hkn_dataset,
)
from ictal.features.streams import stream_layout
from ictal.keypoints.layout import B
from ictal.keypoints.store import read_track, shard_path
from ictal.manifest.io import load_manifest
from ictal.manifest.schema import Event
from ictal.phantom.hkn import plan_cohort, simulate_clip


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
    # seed 004's inputs: the body from the 3D keypoints, the face from the 2D landmarks
    flat = semiology_table(SemiologyInputs(manifest, tmp_path / "keypoints"), "emotion",
                           frames=8)
    mixed = semiology_table(SemiologyInputs(manifest, tmp_path / "keypoints"), "emotion",
                            frames=8, coords="body-3d")
    assert np.array_equal(mixed.features[..., :33], three.features[..., :33])
    assert np.array_equal(mixed.features[..., 33:], flat.features[..., 33:])
    assert mixed.attrs["coords"] == "body-3d" and mixed.attrs["axes"] == "camera"
    turned = semiology_table(SemiologyInputs(manifest, tmp_path / "keypoints"), "emotion",
                             frames=8, coords="body-3d", axes="body")
    assert np.array_equal(turned.features[..., 33:], flat.features[..., 33:])
    assert not np.allclose(turned.features[..., :33], mixed.features[..., :33])
    with pytest.raises(ConfigError, match="its own frame"):
        semiology_table(SemiologyInputs(manifest, tmp_path / "keypoints"), "emotion",
                        frames=8, axes="body")
    with pytest.raises(ConfigError, match="coords must be one of"):
        semiology_table(SemiologyInputs(manifest, tmp_path / "keypoints"), "emotion",
                        coords="depth")
    # the store's 3D is lifted from the detections: centimetres off the truth, none where
    # the 2D detector missed the frame
    sz = plan_cohort(0, n_patients=4, n_seizures=5)[0]
    truth = simulate_clip(sz, duration_s=(3.0, 3.0))
    track = read_track(shard_path(tmp_path / "keypoints", sz.id))
    assert track.body_3d is not None and track.face_3d is not None
    missed = ~np.isfinite(track.body[:, 0, 0])
    assert np.isnan(track.body_3d[missed]).all() and np.isfinite(track.body_3d[~missed]).all()
    err = np.linalg.norm(track.body_3d[~missed] - truth.body_3d[~missed], axis=-1)
    assert 0.02 < np.median(err) < 0.3
    assert "lifted" in track.attrs["lift_3d"]
    # resumable: a second run writes nothing new and gives the same manifest
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "keypoints").iterdir()}
    write_hkn_dataset(tmp_path, seed=0, n_patients=4, n_seizures=5, duration_s=(3.0, 3.0),
                      progress=False)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "keypoints").iterdir()} == before
    empty = SemiologyInputs(manifest, tmp_path / "nothing")
    with pytest.raises(ConfigError, match="no seizure"):
        semiology_table(empty, "dystonia")


def test_body_axes_undo_the_camera_view() -> None:
    rng = np.random.default_rng(0)
    xyz = rng.normal(scale=0.05, size=(40, 11, 3))
    xyz[:, B["spine_base"]] += [0.1, 0.6, 3.0]  # a body lying across the view
    xyz[:, B["neck"]] += [0.1, 0.0, 3.2]
    xyz[:, B["left_shoulder"]] += [0.3, 0.0, 3.2]
    xyz[:, B["right_shoulder"]] += [-0.1, 0.0, 3.2]
    xyz[3, :] = np.nan  # a missed frame
    kp = np.zeros((40, 11, 3))
    a = _normalised_keypoints(kp, xyz, "body", "3d", "body")
    angle = 1.1
    q = np.array([[np.cos(angle), 0, np.sin(angle)], [0, 1, 0],
                  [-np.sin(angle), 0, np.cos(angle)]]) @ np.array(
        [[1, 0, 0], [0, np.cos(0.4), -np.sin(0.4)], [0, np.sin(0.4), np.cos(0.4)]])
    b = _normalised_keypoints(kp, xyz @ q.T + [0.5, -0.2, 1.0], "body", "3d", "body")
    assert np.allclose(a, b, atol=1e-5)  # another camera, the same body-frame input
    camera = _normalised_keypoints(kp, xyz @ q.T, "body", "3d", "camera")
    assert not np.allclose(camera, a, atol=1e-2)
    spine = np.median(a[:, B["neck"]] - a[:, B["spine_base"]], axis=0)
    assert spine[2] > 0 and np.allclose(spine[:2], 0, atol=0.05 * spine[2])
    r = body_axes(xyz)
    assert np.allclose(r @ r.T, np.eye(3)) and np.linalg.det(r) > 0
    assert np.array_equal(body_axes(np.full((4, 11, 3), np.nan)), np.eye(3))
