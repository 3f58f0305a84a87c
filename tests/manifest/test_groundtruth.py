"""The ground-truth file format shared by the phantom (writer) and preprocessing QC (reader)."""

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ictal.manifest.groundtruth import (
    GroundTruth,
    GroundTruthError,
    ViewTruth,
    load_ground_truth,
    recipe_of,
    save_ground_truth,
)


def make_ground_truth(T: int = 4, S: int = 1, tG: float | None = 1.5) -> GroundTruth:
    rng = np.random.default_rng(0)
    return GroundTruth(
        recording="R1", fps=Fraction(30000, 1001), width=64, height=53,
        joint_names=tuple(f"j{i}" for i in range(25)),
        joints_3d=rng.random((T, 25, 3)).astype(np.float32),
        joints_2d=rng.random((T, 25, 2)).astype(np.float32),
        labels=("FLE", "TLE", "NE"), label=np.array([2, 0, 0, 2][:T], np.uint8),
        phase_names=("pre", "ictal", "tonic", "clonic", "post"),
        phase=np.array([0, 1, 1, 4][:T], np.uint8),
        patient_box=np.tile(np.array([10, 12, 40, 30], np.int32), (T, 1)),
        bed_box=np.tile(np.array([5, 10, 50, 40], np.int32), (T, 1)),
        staff_boxes=np.full((S, T, 4), -1, np.int32), staff_present=np.zeros((S, T), bool),
        bed_plane=np.array([0.0, -1.0, 0.0, 1.2]), bed_corners=rng.random((4, 3)),
        bed_axis="x", K=np.eye(3), R=np.eye(3), t=np.zeros(3), t0=0.5, t1=2.5, tG=tG,
        jerks=np.array([1.6, 1.9]), recipe="abc123",
    )


def test_round_trip(tmp_path: Path) -> None:
    gt = make_ground_truth()
    save_ground_truth(gt, tmp_path / "R1.npz")
    again = load_ground_truth(tmp_path / "R1.npz")
    assert again.recording == "R1" and again.fps == Fraction(30000, 1001)
    assert (again.width, again.height, again.n_frames) == (64, 53, 4)
    assert again.tG == 1.5 and again.bed_axis == "x" and again.recipe == "abc123"
    np.testing.assert_array_equal(again.patient_box, gt.patient_box)
    np.testing.assert_array_equal(again.joints_2d, gt.joints_2d)
    assert again.frame_labels() == ["NE", "FLE", "FLE", "NE"]
    assert recipe_of(tmp_path / "R1.npz") == "abc123"
    save_ground_truth(make_ground_truth(tG=None), tmp_path / "R2.npz")
    assert load_ground_truth(tmp_path / "R2.npz").tG is None


def test_errors_name_the_file_and_the_problem(tmp_path: Path) -> None:
    arrays = make_ground_truth().to_arrays()
    np.savez(tmp_path / "old.npz", **{**arrays, "format": np.array(0)})
    with pytest.raises(GroundTruthError, match="format 0"):
        load_ground_truth(tmp_path / "old.npz")
    np.savez(tmp_path / "short.npz", **{**arrays, "patient_box": np.zeros((3, 4), np.int32)})
    with pytest.raises(GroundTruthError, match="patient_box"):
        load_ground_truth(tmp_path / "short.npz")
    del arrays["K"]
    np.savez(tmp_path / "missing.npz", **arrays)
    with pytest.raises(GroundTruthError, match="missing arrays K"):
        load_ground_truth(tmp_path / "missing.npz")
    with pytest.raises(GroundTruthError, match="cannot read"):
        load_ground_truth(tmp_path / "absent.npz")
    assert recipe_of(tmp_path / "absent.npz") is None


def _small_view(T: int = 4) -> ViewTruth:
    rng = np.random.default_rng(1)
    return ViewTruth(
        name="small", box=(0, 0, 26, 22), joints_3d=rng.random((T, 25, 3)).astype(np.float32),
        joints_2d=rng.random((T, 25, 2)).astype(np.float32),
        patient_box=np.tile(np.array([3, 4, 20, 18], np.int32), (T, 1)),
        bed_box=np.tile(np.array([1, 2, 24, 21], np.int32), (T, 1)),
        staff_boxes=np.full((1, T, 4), -1, np.int32), bed_plane=np.array([0.0, -1.0, 0.0, 2.0]),
        bed_corners=rng.random((4, 3)), bed_axis="y", K=2 * np.eye(3), R=np.eye(3),
        t=np.ones(3))


def test_single_camera_files_stay_format_1(tmp_path: Path) -> None:
    gt = make_ground_truth()
    assert int(gt.to_arrays()["format"]) == 1 and "view_names" not in gt.to_arrays()
    save_ground_truth(gt, tmp_path / "R1.npz")
    again = load_ground_truth(tmp_path / "R1.npz")
    assert again.view_names == ("",) and again.views == ()
    same = again.for_view("")
    assert (same.width, same.height, same.views) == (64, 53, ())
    np.testing.assert_array_equal(same.patient_box, gt.patient_box)


def test_montage_views_round_trip_as_format_2(tmp_path: Path) -> None:
    gt = replace(make_ground_truth(), view="large", views=(_small_view(),))
    arrays = gt.to_arrays()
    assert int(arrays["format"]) == 2 and list(arrays["view_names"]) == ["small"]
    save_ground_truth(gt, tmp_path / "M.npz")
    again = load_ground_truth(tmp_path / "M.npz")
    assert again.view_names == ("large", "small")
    np.testing.assert_array_equal(again.patient_box, gt.patient_box)
    small = again.for_view("small")
    assert (small.width, small.height, small.view, small.views) == (26, 22, "small", ())
    assert small.bed_axis == "y" and small.recording == "R1" and small.n_frames == 4
    np.testing.assert_array_equal(small.patient_box, _small_view().patient_box)
    np.testing.assert_array_equal(small.K, 2 * np.eye(3))
    np.testing.assert_array_equal(small.label, gt.label)  # the timeline is the recording's
    large = again.for_view("large")
    assert (large.width, large.height) == (64, 53)
    np.testing.assert_array_equal(large.joints_2d, gt.joints_2d)
    with pytest.raises(GroundTruthError, match="no view 'side'"):
        again.for_view("side")
    # a view's arrays are checked like the recording's
    broken = dict(arrays)
    broken["view/small/patient_box"] = np.zeros((3, 4), np.int32)
    np.savez(tmp_path / "short.npz", **broken)
    with pytest.raises(GroundTruthError, match="view/small/patient_box"):
        load_ground_truth(tmp_path / "short.npz")
    del broken["view/small/K"]
    np.savez(tmp_path / "missing.npz", **broken)
    with pytest.raises(GroundTruthError, match="view/small/K"):
        load_ground_truth(tmp_path / "missing.npz")
