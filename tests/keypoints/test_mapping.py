"""Mappings of other tools' layouts to ictal's: checked against each layout's named order."""

from __future__ import annotations

import numpy as np
import pytest

from ictal.keypoints.layout import BODY_JOINTS, FACE_LANDMARKS
from ictal.keypoints.mapping import (
    BLAZEPOSE33,
    COCO17,
    FACE68,
    FACEMESH468,
    KINECT25,
    OPENPOSE18,
    OPENPOSE25,
    WHOLEBODY133_BODY,
    WHOLEBODY133_FACE,
    Mapping,
    MappingError,
    body_mapping_for,
    face_mapping_for,
)
from ictal.landmarks import POSE_LANDMARKS
from ictal.phantom.body import JOINT_NAMES

# the tools' documented orders (COCO keypoints; OpenPose's output docs)
COCO = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
        "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
        "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")
BODY25 = ("Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
          "MidHip", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar",
          "LEar", "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel")
COCO18 = ("Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
          "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar")

# what each ictal joint is, in each layout's names
EXPECTED = {
    "coco": {"head": {"left_ear", "right_ear"}, "neck": {"left_shoulder", "right_shoulder"},
             "spine_base": {"left_hip", "right_hip"}},
    "openpose": {"head": {"LEar", "REar"}, "neck": {"Neck"}, "left_shoulder": {"LShoulder"},
                 "right_shoulder": {"RShoulder"}, "left_elbow": {"LElbow"},
                 "right_elbow": {"RElbow"}, "left_wrist": {"LWrist"}, "right_wrist": {"RWrist"},
                 "left_hip": {"LHip"}, "right_hip": {"RHip"}},
    "kinect": {"head": {"Head"}, "neck": {"SpineShoulder"}, "left_shoulder": {"ShoulderLeft"},
               "right_shoulder": {"ShoulderRight"}, "left_elbow": {"ElbowLeft"},
               "right_elbow": {"ElbowRight"}, "left_wrist": {"WristLeft"},
               "right_wrist": {"WristRight"}, "left_hip": {"HipLeft"},
               "right_hip": {"HipRight"}, "spine_base": {"SpineBase"}},
}


def _names(mapping: Mapping, names: tuple[str, ...]) -> dict[str, set[str]]:
    return {joint: {names[i] for i in idx}
            for joint, idx in zip(mapping.target, mapping.rule, strict=True)}


@pytest.mark.parametrize(("mapping", "names"), [(COCO17, COCO), (BLAZEPOSE33, POSE_LANDMARKS),
                                                (WHOLEBODY133_BODY, COCO + ("x",) * 116)])
def test_coco_style_layouts_name_the_same_joints(mapping: Mapping, names: tuple[str, ...]
                                                 ) -> None:
    got = _names(mapping, names)
    for joint in BODY_JOINTS:
        want = EXPECTED["coco"].get(joint, {joint})
        assert got[joint] == want, joint


@pytest.mark.parametrize(("mapping", "names", "mid_hip"), [
    (OPENPOSE25, BODY25, {"MidHip"}), (OPENPOSE18, COCO18, {"LHip", "RHip"})])
def test_openpose_layouts(mapping: Mapping, names: tuple[str, ...], mid_hip: set[str]) -> None:
    got = _names(mapping, names)
    assert got == {**EXPECTED["openpose"], "spine_base": mid_hip}


def test_kinect_layout() -> None:
    assert _names(KINECT25, JOINT_NAMES) == EXPECTED["kinect"]


def test_face_layouts_put_each_landmark_on_the_same_side() -> None:
    # iBUG 68: 17-21 the right brow, 22-26 the left, 36-41 the right eye, 42-47 the left,
    # 48 the right mouth corner, 54 the left (the subject's sides)
    rule = dict(zip(FACE68.target, FACE68.rule, strict=True))
    assert all(17 <= i <= 21 for n, idx in rule.items() if n.startswith("right_brow")
               for i in idx)
    assert all(36 <= i <= 41 for n, idx in rule.items() if n.startswith("right_eye")
               for i in idx)
    assert all(42 <= i <= 47 for n, idx in rule.items() if n.startswith("left_eye")
               for i in idx)
    assert rule["mouth_right"] == (48,) and rule["mouth_left"] == (54,)
    # COCO-WholeBody's face = the 68 points after 23 body and feet points
    assert [tuple(i - 23 for i in idx) for idx in WHOLEBODY133_FACE.rule] == list(FACE68.rule)
    # the mesh: every landmark one vertex, the eye corners those the face tracker aligns on
    mesh = dict(zip(FACEMESH468.target, FACEMESH468.rule, strict=True))
    assert mesh["right_eye_outer"] == (33,) and mesh["left_eye_outer"] == (263,)
    assert len(FACEMESH468.rule) == len(FACE_LANDMARKS) == 23


def test_midpoints_take_the_lowest_confidence_and_gaps_propagate() -> None:
    pts = np.zeros((2, 17, 3))
    pts[..., 0] = np.arange(17) * 10.0
    pts[..., 1] = 5.0
    pts[..., 2] = 0.9
    pts[0, 3, 2] = 0.4  # left ear less sure
    pts[1, 4, :] = (np.nan, np.nan, 0.0)  # right ear missing on frame 1
    out = COCO17(pts)
    assert out.shape == (2, 11, 3) and out.dtype == np.float32
    assert out[0, 0, 0] == pytest.approx(35.0) and out[0, 0, 2] == pytest.approx(0.4)
    assert np.isnan(out[1, 0, :2]).all() and out[1, 0, 2] == 0  # head: a gap, not one ear
    assert out[1, BODY_JOINTS.index("left_wrist"), 0] == pytest.approx(90.0)
    # a point with score 0 is missing even with coordinates
    pts[0, 9, 2] = 0.0
    assert np.isnan(COCO17(pts)[0, BODY_JOINTS.index("left_wrist"), 0])


def test_layout_sizes_and_refusals() -> None:
    assert body_mapping_for(17) is COCO17 and body_mapping_for(33) is BLAZEPOSE33
    assert body_mapping_for(25, openpose=True) is OPENPOSE25
    assert face_mapping_for(70).n_points == 70 and face_mapping_for(478).n_points == 478
    with pytest.raises(MappingError, match="no body layout with 21 points"):
        body_mapping_for(21)
    with pytest.raises(MappingError, match=r"expected \(frames, 17"):
        COCO17(np.zeros((3, 18, 3)))
