from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ictal.manifest import load_manifest
from ictal.manifest.groundtruth import save_ground_truth
from ictal.phantom import GenerateResult, GroundTruthError, load_ground_truth
from ictal.phantom.body import JOINT_NAMES
from ictal.phantom.scene import MAT_BLANKET, MAT_CLOTHES, MAT_SKIN

from .conftest import decode16


def _gts(out: Path) -> list:
    m = load_manifest(out / "manifest.yaml")
    return [(rec, load_ground_truth(out / rec.meta["groundtruth"])) for rec in m.recordings]


def test_ground_truth_matches_manifest_and_projection(
        tiny_dataset: tuple[Path, GenerateResult]) -> None:
    out, _ = tiny_dataset
    m = load_manifest(out / "manifest.yaml")
    for rec, gt in _gts(out):
        assert gt.recording == rec.id and gt.n_frames == rec.stream("ir").n_frames
        assert gt.joint_names == JOINT_NAMES and gt.joints_3d.shape == (gt.n_frames, 25, 3)
        sz = next(e for e in m.events_of(rec.id) if e.label != "NE")
        assert (gt.t0, gt.t1) == (pytest.approx(sz.t0), pytest.approx(sz.t1))
        t = np.arange(gt.n_frames) / float(gt.fps)
        labels = np.array(gt.frame_labels())
        assert (labels[(t >= sz.t0) & (t < sz.t1)] == sz.label).all()
        assert (labels[(t < sz.t0) | (t >= sz.t1)] == "NE").all()
        # projected 3-D joints are the 2-D joints
        X = gt.joints_3d.astype(float)
        uv = X @ gt.K.T
        np.testing.assert_allclose(uv[..., :2] / uv[..., 2:], gt.joints_2d, atol=1e-3)
        # the patient box contains every projected joint that is inside the frame
        inside = ((gt.joints_2d[..., 0] >= 0) & (gt.joints_2d[..., 0] <= gt.width - 1)
                  & (gt.joints_2d[..., 1] >= 0) & (gt.joints_2d[..., 1] <= gt.height - 1))
        box = gt.patient_box[:, None, :].astype(float)
        u, v = gt.joints_2d[..., 0], gt.joints_2d[..., 1]
        within = (u >= box[..., 0] - 1) & (u <= box[..., 2]) & (v >= box[..., 1] - 1) & (
            v <= box[..., 3])
        assert within[inside].all()
        # the bed plane holds the mattress corners; the body lies above it
        n, d = gt.bed_plane[:3], gt.bed_plane[3]
        assert abs(np.linalg.norm(n) - 1) < 1e-9
        np.testing.assert_allclose(gt.bed_corners @ n + d, 0, atol=1e-9)
        assert ((X @ n + d)[:, [0, 1, 2, 3]] > 0.02).all()  # spine and head above the mattress


def test_depth_at_the_patient_is_above_the_bed_plane(
        tiny_dataset: tuple[Path, GenerateResult]) -> None:
    out, _ = tiny_dataset
    for rec, gt in _gts(out)[:2]:
        depth = decode16(out / rec.stream("depth").path)
        assert depth.shape == (gt.n_frames, gt.height, gt.width) and depth.dtype == np.uint16
        assert (depth == 0).any(axis=(1, 2)).all(), "Kinect pepper noise / invalid pixels"
        x0, y0, x1, y1 = gt.patient_box[0]
        K_inv = np.linalg.inv(gt.K)
        vv, uu = np.mgrid[y0:y1, x0:x1]
        z = depth[0, y0:y1, x0:x1].astype(float) / 1000.0
        rays = np.stack([uu, vv, np.ones_like(uu)], -1) @ K_inv.T
        X = rays * z[..., None]
        height = X @ gt.bed_plane[:3] + gt.bed_plane[3]
        valid = z > 0
        # the patient's box mostly shows the patient on (above) the mattress or the mattress
        near_bed = valid & (np.abs(height) < 0.5)
        assert np.median(height[near_bed]) > -0.01
        assert np.percentile(height[near_bed], 90) > 0.05


def test_bed_axis_is_recorded(tiny_dataset: tuple[Path, GenerateResult]) -> None:
    out, _ = tiny_dataset
    axes = {gt.bed_axis for _, gt in _gts(out)}
    assert axes <= {"x", "y"} and axes


def test_reader_round_trip_and_errors(tiny_dataset: tuple[Path, GenerateResult],
                                      tmp_path: Path) -> None:
    out, _ = tiny_dataset
    _, gt = _gts(out)[0]
    save_ground_truth(gt, tmp_path / "copy.npz")
    again = load_ground_truth(tmp_path / "copy.npz")
    np.testing.assert_array_equal(again.joints_2d, gt.joints_2d)
    assert again.tG == gt.tG and again.fps == gt.fps and again.staff_boxes.shape == (
        gt.staff_present.shape[0], gt.n_frames, 4)
    arrays = gt.to_arrays()
    del arrays["bed_plane"]
    np.savez(tmp_path / "broken.npz", **arrays)
    with pytest.raises(GroundTruthError, match="bed_plane"):
        load_ground_truth(tmp_path / "broken.npz")
    with pytest.raises(GroundTruthError, match="cannot read"):
        load_ground_truth(tmp_path / "missing.npz")


def test_materials_of_the_patient_are_distinct() -> None:
    assert len({MAT_SKIN, MAT_CLOTHES, MAT_BLANKET}) == 3
