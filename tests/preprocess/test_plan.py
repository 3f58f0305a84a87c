"""RecordingPlan: its JSON file, and what it says about the crops."""

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ictal.errors import ConfigError
from ictal.manifest import Montage
from ictal.preprocess.bed_volume import BedVolume
from ictal.preprocess.depth_crop import fit_depth_planes
from ictal.preprocess.intensity import IrWindow
from ictal.preprocess.plan import PLAN_FORMAT, KeyframeCrop, RecordingPlan

H, W = 53, 64


def depth_frame() -> np.ndarray:
    """A bed along x at about 2 m, closer towards its middle row (Algorithm 1 finds it)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    return np.rint(2000 + 5 * x + 3 * (y - 20.5) ** 2).astype(np.uint16)


def make_plan(**changes: object) -> RecordingPlan:
    fields: dict[str, object] = dict(
        recording="R1", patient="P1", variant="B", source="ir",
        streams={"ir": "/data/ir.mkv", "depth": "/data/depth.mkv"}, fps=Fraction(30000, 1001),
        n_frames=100, width=W, height=H, depth_planes=fit_depth_planes(depth_frame()),
        apply_depth_crop=True,
        keyframes=(KeyframeCrop(0, (4, 5, 60, 40), (10, 10, 50, 34), ((10, 12, 50, 34), 0.9),
                                ((20, 10, 40, 30), 0.75), True),
                   KeyframeCrop(50, (0, 0, W, H), None, None, None, False)),
        ir_window=IrWindow(100.0, 4000.5), qc_frames=(0, 25, 50, 74, 99),
        notes=("frame 50: nothing found",),
        config={"detection": {"enabled": True, "detector": "depth-mask"},
                "depth_crop": {"enabled": True}},
        created="2026-01-01T00:00:00+00:00", version="9.9")
    fields.update(changes)
    return RecordingPlan(**fields)  # type: ignore[arg-type]


def test_json_round_trip(tmp_path: Path) -> None:
    plan = make_plan()
    path = plan.save(tmp_path / "R1" / "plan.json")
    data = json.loads(path.read_text())
    assert data["format"] == PLAN_FORMAT and data["fps"] == "30000/1001"
    again = RecordingPlan.load(path)
    assert again.to_dict() == plan.to_dict()
    assert again.fps == Fraction(30000, 1001) and again.keyframes == plan.keyframes
    assert isinstance(again.keyframes[0].crop_box, tuple)
    assert again.keyframes[0].bed == ((10, 12, 50, 34), 0.9)
    assert again.ir_window == IrWindow(100.0, 4000.5)
    for a, b in zip(again.crop_bounds(), plan.crop_bounds(), strict=True):
        np.testing.assert_array_equal(a, b)
    montage = Montage(small_box=(0, 0, 24, 18), large_view="bed", small_view="face")
    with_montage = make_plan(montage=montage, depth_planes=None, apply_depth_crop=False)
    assert RecordingPlan.from_dict(with_montage.to_dict()).montage == montage


def test_bed_volume_round_trips_and_wins_over_the_planes(tmp_path: Path) -> None:
    volume = BedVolume(
        floor_normal=(0.0, -0.7071, -0.7071), floor_offset=2000.0, mattress_mm=600.0,
        low_mm=250.0, high_mm=1500.0, centre=(0.0, 0.0), axes=((1.0, 0.0), (0.0, 1.0)),
        half_extent=(1100.0, 600.0), intrinsics=(365.0, 365.0, 32.0, 26.5), width=W, height=H)
    plan = make_plan(bed_volume=volume)
    again = RecordingPlan.load(plan.save(tmp_path / "plan.json"))
    assert again.bed_volume == volume
    for got, want in zip(again.crop_bounds(), volume.bounds(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert again.depth_crop_method == "bed-volume"


def test_load_names_the_file_and_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({**make_plan().to_dict(), "format": "something-else/1"}))
    with pytest.raises(ConfigError, match="not a preprocessing plan"):
        RecordingPlan.load(path)
    data = make_plan().to_dict()
    del data["keyframes"]
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"plan\.json: cannot read the preprocessing plan"):
        RecordingPlan.load(path)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read"):
        RecordingPlan.load(path)
    with pytest.raises(ConfigError, match="cannot read"):
        RecordingPlan.load(tmp_path / "missing.json")


def test_crop_box_in_force_and_what_was_applied() -> None:
    plan = make_plan()
    assert plan.crop_box_at(0) == plan.crop_box_at(49) == (4, 5, 60, 40)
    assert plan.crop_box_at(50) == plan.crop_box_at(99) == (0, 0, W, H)
    assert not plan.detection_ok and plan.detection_ran
    assert plan.depth_crop_method == "algorithm1"
    off = make_plan(config={"detection": {"enabled": False}},
                    keyframes=(KeyframeCrop(0, (0, 0, W, H), None, None, None, True),))
    assert off.detection_ok and not off.detection_ran  # ok, but nothing was detected
    montage = Montage(small_box=(0, 0, 24, 18), large_view="bed", small_view="face")
    assert not make_plan(montage=montage).detection_ran
    skipped = make_plan(depth_planes=None, apply_depth_crop=False)
    assert skipped.depth_crop_method is None and skipped.crop_bounds() is None
