"""3D from depth: an analytic scene (a hand before a wall, holes) and the phantom (mm error)."""

from __future__ import annotations

import numpy as np
import pytest

from ictal.keypoints.depth import LiftOptions, back_project, lift_frames, surface_depth
from ictal.keypoints.extract import maybe_lift
from ictal.keypoints.layout import B
from ictal.keypoints.phantom import PhantomSource
from ictal.manifest import Manifest
from ictal.preprocess.depth_geometry import Intrinsics


def test_the_hand_keeps_its_depth_not_the_wall_behind_it() -> None:
    depth = np.full((424, 512), 3000, np.uint16)  # a wall at 3 m
    depth[200:212, 300:306] = 1500  # a hand at 1.5 m, 6 px wide
    depth[100:110, 100:110] = 0  # a hole
    depth[103, 103] = 2000
    uv = np.array([[303.0, 205.0], [306.4, 211.0], [50.0, 50.0], [104.0, 104.0],
                   [np.nan, np.nan], [511.0, 423.0]])
    z = surface_depth(depth, uv)
    assert z[0] == 1500 and z[1] == 1500  # on the hand, and at its edge over the wall
    assert z[2] == 3000 and z[5] == 3000  # wall; the frame's corner (window clipped)
    assert np.isnan(z[3])  # one valid pixel in a hole is not a surface
    assert np.isnan(z[4])
    assert surface_depth(depth, uv[3:4], LiftOptions(min_valid=1))[0] == 2000


def test_back_projection_inverts_the_pinhole() -> None:
    k = Intrinsics()
    xyz = np.array([[0.3, -0.2, 2.5], [-1.0, 0.5, 4.0]])
    uv = np.stack([k.fx * xyz[:, 0] / xyz[:, 2] + k.cx, k.fy * xyz[:, 1] / xyz[:, 2] + k.cy], 1)
    np.testing.assert_allclose(back_project(uv, xyz[:, 2] * 1000, k), xyz, atol=1e-6)
    # scaled to another width, the same points
    half = k.scaled(256)
    np.testing.assert_allclose(back_project(uv / 2, xyz[:, 2] * 1000, half), xyz, atol=1e-6)
    pts = np.array([[10.0, 10.0, 0.0]])  # a gap stays a gap
    assert np.isnan(lift_frames(pts, np.full((20, 20), 1000, np.uint16), k)).all()


def test_phantom_truth_lifted_through_its_depth_lands_on_the_joints(phantom: Manifest) -> None:
    rec = phantom.recordings[0]
    truth = PhantomSource()(phantom, rec)
    flat = PhantomSource()(phantom, rec)
    flat.body_3d = None
    flat.face_3d = None
    lifted = maybe_lift(phantom, rec, flat, LiftOptions())
    assert lifted.attrs["three_d"]["method"] == "depth back-projection"
    err = np.linalg.norm(lifted.body_3d - truth.body_3d, axis=-1) * 1000  # mm
    # the surface lies in front of the joint centres by about a limb's radius (+ sensor noise)
    assert np.nanmedian(err) < 120
    # joints on the body's midline sit deeper than the surface: the error is mostly along z
    along = np.abs(lifted.body_3d[..., 2] - truth.body_3d[..., 2]) * 1000
    assert np.nanmedian(along) == pytest.approx(np.nanmedian(err), rel=0.6)
    assert np.isfinite(lifted.body_3d[:, B["head"]]).mean() > 0.9
