"""Maps scored against a ground truth built here: geometry, moving limb, pointing, mass."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from ictal.explain.attribute import WindowMap
from ictal.explain.truth import SampleGeometry, moving_limb, score_window
from ictal.manifest.groundtruth import GroundTruth
from ictal.phantom.body import JOINT_NAMES
from ictal.preprocess.frames import fit_square

T = 6


def _truth() -> GroundTruth:
    """A 200 x 100 frame: patient box (40, 20)-(160, 80), the right hand swinging at x 120-140,
    y 30, a staff member at (0, 0)-(30, 100) in frames 3-5."""
    joints = np.zeros((T, 25, 2), np.float32)
    joints[:, :, 0], joints[:, :, 1] = 100, 50  # everything still at the centre
    hand = [JOINT_NAMES.index(n) for n in ("WristRight", "HandRight", "HandTipRight")]
    for t in range(T):
        joints[t, hand] = (120 + 20 * (t % 2), 30)
    staff = np.full((1, T, 4), -1, np.int32)
    staff[0, 3:] = (0, 0, 30, 100)
    present = np.zeros((1, T), bool)
    present[0, 3:] = True
    z = np.zeros(3)
    return GroundTruth(
        recording="R", fps=Fraction(30), width=200, height=100, joint_names=JOINT_NAMES,
        joints_3d=np.zeros((T, 25, 3), np.float32), joints_2d=joints,
        labels=("FLE", "TLE", "NE"), label=np.zeros(T, np.uint8),
        phase_names=("pre-ictal", "ictal", "tonic", "clonic", "post-ictal"),
        phase=np.ones(T, np.uint8), patient_box=np.tile([40, 20, 160, 80], (T, 1)),
        bed_box=np.tile([30, 10, 170, 90], (T, 1)), staff_boxes=staff, staff_present=present,
        bed_plane=np.zeros(4), bed_corners=np.zeros((4, 3)), bed_axis="x", K=np.eye(3),
        R=np.eye(3), t=z, t0=0.0, t1=1.0, tG=None, jerks=np.zeros(0))


def _geometry() -> SampleGeometry:
    """The whole 200 x 100 frame fit into 50 x 50 (scale 0.25, 12 rows of padding above)."""
    _, geo = fit_square(np.zeros((1, 100, 200), np.float32), 50)
    return SampleGeometry.of(None, geo, 50, (200, 100))


def test_geometry_maps_source_boxes_into_the_square() -> None:
    geo = _geometry()
    assert geo.visible() == pytest.approx((0, 12, 50, 37))
    assert geo.box((40, 20, 160, 80)) == pytest.approx((10, 17, 40, 32))
    cropped = SampleGeometry.of((100, 0, 200, 100), {"resized": [50, 50], "pad": [0, 0]}, 50,
                                (200, 100))
    assert cropped.box((120, 30, 140, 50)) == pytest.approx((10, 15, 20, 25))


def test_the_moving_limb_is_the_swinging_hand() -> None:
    name, box, travel = moving_limb(_truth(), np.arange(T))
    assert name == "right arm" and travel > 0
    assert box[0] < 120 and box[2] > 140 and box[1] < 30 < box[3]


def _map(cells: list[tuple[slice, slice]]) -> WindowMap:
    values = np.zeros((T, 50, 50), np.float32)
    for rows, cols in cells:
        values[:, rows, cols] = 1.0
    return WindowMap(values, 0, "occlusion", 0.9, float(values.sum()), 0.0)


def test_a_map_on_the_hand_hits_and_sits_on_the_patient() -> None:
    gt, geo = _truth(), _geometry()
    score = score_window(_map([(slice(18, 21), slice(31, 34))]), gt, np.arange(T), geo)
    assert score["hit"] and score["limb"] == "right arm"
    assert score["patient"] == pytest.approx(1.0) and score["staff"] == 0
    assert 0 < score["chance"] < 0.2 and score["staff_present"]
    assert (score["label"], score["phase"]) == ("FLE", "ictal")


def test_a_map_on_the_staff_misses() -> None:
    gt, geo = _truth(), _geometry()
    score = score_window(_map([(slice(14, 36), slice(0, 6))]), gt, np.arange(T), geo)
    assert not score["hit"] and score["patient"] == 0
    # the staff is there in half the frames: half the mass on the staff, half on the room
    assert score["staff"] == pytest.approx(0.5) and score["background"] == pytest.approx(0.5)
    empty = score_window(_map([]), gt, np.arange(T), geo)
    assert not empty["hit"] and np.isnan(empty["patient"])
