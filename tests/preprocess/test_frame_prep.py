"""FramePrep: the per-frame spatial steps, fixed once a recording is planned."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from ictal.errors import ShapeError
from ictal.io import open_video
from ictal.preprocess.config import variant_config
from ictal.preprocess.frame_prep import FramePrep
from ictal.preprocess.intensity import IrWindow
from ictal.preprocess.planner import plan_recording

H, W = 53, 64  # the recording of conftest.py


def test_frame_prep_is_immutable_and_checks_its_input() -> None:
    prep = FramePrep(variant_config("B"), None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        prep.window = IrWindow(0.0, 1.0)  # type: ignore[misc]
    ir16 = np.zeros((2, 4, 5), np.uint16)
    with pytest.raises(ShapeError, match="16-bit frames need an IR window"):
        prep.source(ir16, None, crop_depth=False)
    grey = np.full((2, 4, 5), 7, np.uint8)
    out, dep = prep.source(grey, None, crop_depth=True)
    assert out is grey and dep is None  # 8-bit frames pass through; no depth, no crop
    bounds = (np.zeros((4, 5), np.float32), np.ones((4, 5), np.float32))
    rgb = np.zeros((2, 4, 5, 3), np.uint8)
    with pytest.raises(ShapeError, match="registered with the depth"):
        FramePrep(variant_config("B"), bounds, None).source(
            rgb, np.zeros((2, 4, 5), np.uint16), crop_depth=True)
    converted = FramePrep(variant_config("B"), None, IrWindow(0.0, 10.0)).to_8bit(
        np.full((1, 2, 2), 10, np.uint16))
    assert converted.dtype == np.uint8 and int(converted.max()) == 255


def test_cropping_first_gives_the_same_pixels(manifest, recording_dir: Path) -> None:
    config = variant_config("B")
    plan = plan_recording(manifest, "R1", config)
    prep = FramePrep(config, plan.depth_planes.bounds(), plan.ir_window)
    with open_video(recording_dir / "ir.mkv") as r:
        ir = r.read(0, 12)
    with open_video(recording_dir / "depth.mkv") as r:
        depth = r.read(0, 12)
    full, _ = prep.source(ir, depth, crop_depth=True)
    for box in [(5, 7, 40, 30), (0, 0, W, H), (50, 40, 64, 53), (3, 1, 9, 50)]:
        x0, y0, x1, y1 = box
        np.testing.assert_array_equal(prep.cropped(ir, depth, box, crop_depth=True),
                                      full[:, y0:y1, x0:x1])
