"""plan_recording: the crop geometry of a recording, on the tiny phantom and on tiny files."""

from pathlib import Path

import numpy as np
import pytest

from ictal.io import write_video
from ictal.manifest import Manifest, Recording, Stream, load_manifest
from ictal.manifest.groundtruth import load_ground_truth
from ictal.preprocess.boxes import box_area, clip_box, contains, expand_box
from ictal.preprocess.config import PreprocessConfig, variant_config
from ictal.preprocess.planner import PlanError, plan_recording
from ictal.preprocess.qc import qc_indices


@pytest.mark.slow
def test_planner_on_the_tiny_phantom(phantom: Path) -> None:
    manifest = load_manifest(phantom / "manifest.yaml")
    volumes = cropped = 0
    for rec in manifest.recordings:
        gt = load_ground_truth(phantom / "groundtruth" / f"{rec.id}.npz")
        plan = plan_recording(manifest, rec.id, variant_config("B"))
        assert set(plan.streams) == {"ir", "depth"}
        assert plan.depth_planes is not None  # fitted and reported either way
        if plan.bed_volume is None:  # the tiny scenes are coarse: no bed found, noted
            assert plan.depth_crop_method == "algorithm1" and plan.notes == (
                "no floor or bed found on the first depth frame: depth-cropped with "
                "Algorithm 1 instead",)
        else:
            assert plan.depth_crop_method == "bed-volume" and plan.notes == ()
            volumes += 1
        assert plan.detection_ran and plan.detection_ok and len(plan.keyframes) == 1
        key = plan.keyframes[0]
        assert key.detection_box is not None and key.bed is not None
        # the seeds' rule: bed + person box, +30 % per side, clipped to the frame
        assert key.crop_box == clip_box(expand_box(key.detection_box, 0.3), plan.width,
                                        plan.height)
        x0, y0, x1, y1 = (int(v) for v in gt.patient_box[0])
        assert contains(key.crop_box, ((x0 + x1) // 2, (y0 + y1) // 2) * 2), rec.id
        cropped += box_area(key.crop_box) < plan.width * plan.height
        assert (plan.n_frames, plan.fps) == (gt.n_frames, gt.fps)
        assert plan.qc_frames == qc_indices(plan.n_frames) and plan.qc_frames[-1] == gt.n_frames - 1
        assert plan.ir_window is not None and plan.ir_window.lo < plan.ir_window.hi
        assert plan.config == variant_config("B").model_dump(mode="json")
    assert volumes > 0 and cropped > 0  # the 64 x 53 scenes are coarse: not every one

    rec = manifest.recordings[0]
    off = plan_recording(manifest, rec.id, PreprocessConfig(detection={"enabled": False}))
    assert off.keyframes[0].crop_box == (0, 0, off.width, off.height)
    assert off.detection_ok and not off.detection_ran
    a = plan_recording(manifest, rec.id, variant_config("A"))
    assert not a.apply_depth_crop and a.depth_crop_method is None
    assert a.keyframes[0].crop_box != (0, 0, a.width, a.height)  # boxes from the depth crop
    again = plan_recording(manifest, rec.id, variant_config("B", PreprocessConfig(
        detection={"redetect_every": 100})))
    assert [k.frame for k in again.keyframes] == list(range(0, again.n_frames, 100))


def test_without_depth_the_depth_crop_is_skipped_and_noted(manifest: Manifest) -> None:
    rec = manifest.recordings[0]
    only_ir = manifest.model_copy(update={"recordings": [rec.model_copy(update={
        "streams": [s for s in rec.streams if s.kind == "ir"]})]})
    config = variant_config("B", PreprocessConfig(detection={"enabled": False}))
    plan = plan_recording(only_ir, "R1", config)
    assert plan.depth_planes is None and plan.bed_volume is None
    assert not plan.apply_depth_crop and set(plan.streams) == {"ir"}
    assert plan.notes[0] == "no depth stream registered with the source: depth cropping skipped"


def test_unregistered_depth_is_a_plan_error(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    write_video(tmp_path / "ir.mkv", iter(rng.integers(0, 4000, (3, 24, 32), np.uint16)), 30)
    write_video(tmp_path / "depth.mkv", iter(rng.integers(0, 4000, (3, 20, 32), np.uint16)), 30)
    manifest = Manifest(labels=["FLE"], recordings=[Recording(id="R1", patient="P1", streams=[
        Stream(kind="ir", path=str(tmp_path / "ir.mkv"), fps=30),
        Stream(kind="depth", path=str(tmp_path / "depth.mkv"), fps=30)])])
    with pytest.raises(PlanError, match="depth 32x20 is not registered with ir 32x24") as err:
        plan_recording(manifest, "R1", variant_config("B"))
    assert "pixel-aligned" in (err.value.hint or "")
