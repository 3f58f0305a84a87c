"""The phantom's face ground truth: 23 landmarks on the head, their file, every view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ictal.manifest.groundtruth import load_ground_truth
from ictal.phantom import GenerateResult
from ictal.phantom.body import BodyShape, J, Placement, forward_kinematics
from ictal.phantom.face import (
    FACE_NAMES,
    face_points,
    face_truth_path,
    facing,
    load_face_truth,
)

N = {name: i for i, name in enumerate(FACE_NAMES)}


def _pose(T: int = 3, **dof: np.ndarray) -> tuple[BodyShape, np.ndarray, dict[str, np.ndarray]]:
    shape = BodyShape(1.75, 1.0)
    place = Placement(hip=np.array([0.0, 0.0, 0.6]), heading=0.0)
    dofs = {k: np.asarray(v, float) for k, v in dof.items()} or {"roll": np.zeros(T)}
    joints, frames = forward_kinematics(shape, place, dofs)
    return shape, joints, frames


def test_face_points_lie_on_the_front_of_the_head_symmetrically() -> None:
    shape, joints, frames = _pose()
    pts = face_points(shape, joints, frames["R_head"])
    head = joints[:, J["Head"]]
    assert pts.shape == (3, 23, 3)
    # supine, heading 0: world z = up, out of the face
    rel = pts[0] - head[0]
    assert (rel[:, 2] > 0.05).all()  # every landmark in front of (above) the face
    # left / right pairs mirror each other across the head's mid-plane
    for right, left in (("right_eye_outer", "left_eye_outer"), ("mouth_right", "mouth_left"),
                        ("right_brow_inner", "left_brow_inner")):
        assert rel[N[right], 1] == pytest.approx(-rel[N[left], 1], abs=1e-9)
        assert rel[N[right], 0] == pytest.approx(rel[N[left], 0], abs=1e-9)
    # order along the head: brows above eyes above the nose tip above the mouth
    assert rel[N["right_brow_middle"], 0] > rel[N["right_eye_top"], 0] > rel[N["nose_tip"], 0]
    assert rel[N["nose_tip"], 0] > rel[N["lip_top"], 0] > rel[N["lip_bottom"], 0]
    assert rel[N["nose_tip"], 2] == rel[:, 2].max()  # the nose protrudes most


def test_the_jaw_opens_the_lower_lip_only() -> None:
    shape, joints, frames = _pose(jaw=np.array([0.0, 1.0]))
    pts = face_points(shape, joints, frames["R_head"], np.array([0.0, 1.0]))
    moved = np.linalg.norm(pts[1] - pts[0], axis=-1)
    assert moved[N["lip_bottom"]] > 0.02
    assert np.delete(moved, N["lip_bottom"]).max() < 1e-9


def test_the_face_turns_with_the_head_and_hides_from_a_camera_behind() -> None:
    shape, joints, frames = _pose(head_turn=np.array([0.0, 1.2]))
    pts = face_points(shape, joints, frames["R_head"])
    head = joints[:, J["Head"]]
    # the head turns about its long axis: the nose tip swings sideways, the distance stays
    d = np.linalg.norm(pts[:, N["nose_tip"]] - head, axis=-1)
    assert d[0] == pytest.approx(d[1], rel=1e-9)
    assert abs(pts[1, N["nose_tip"], 1] - pts[0, N["nose_tip"], 1]) > 0.05
    # a camera above the face (looking down -z) sees it; one below the head does not
    forward = frames["R_head"][:, :, 2]
    above = head[:, None] + np.array([0.0, 0.0, 1.0])  # camera at the origin: shift the points
    seen = facing(pts[:1] - above[:1], head[:1] - above[0], forward[:1])
    below = head[:, None] - np.array([0.0, 0.0, 1.0])
    hidden = facing(pts[:1] - below[:1], head[:1] - below[0], forward[:1])
    assert seen.all() and not hidden.any()


def test_generated_recordings_carry_face_ground_truth(tiny_dataset: tuple[Path, GenerateResult]
                                                      ) -> None:
    out, result = tiny_dataset
    for rec in result.manifest.recordings:
        gt = load_ground_truth(out / "groundtruth" / f"{rec.id}.npz")
        face = load_face_truth(out / face_truth_path(rec.id))
        assert face.face_3d.shape == (gt.n_frames, 23, 3)
        assert face.face_2d.shape == (gt.n_frames, 23, 2)
        # the landmarks sit around the head joint, within a head's size
        dist = np.linalg.norm(face.face_3d - gt.joints_3d[:, None, J["Head"]], axis=-1)
        assert (dist < 0.16).all() and (dist > 0.03).all()
        # and project like the joints do (same camera)
        K = gt.K
        proj = face.face_3d[..., :2] / face.face_3d[..., 2:] * K[[0, 1], [0, 1]] + K[:2, 2]
        np.testing.assert_allclose(face.face_2d, proj, atol=1e-3)
