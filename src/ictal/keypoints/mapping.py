"""Mappings from other tools' keypoint layouts to ictal's 11 joints and 23 face landmarks.

Each mapping is data: for every ictal keypoint, the indices of the source points whose mean is
that keypoint (one index = the point itself; two = their midpoint). Its confidence is the
lowest of theirs, and it is a gap (NaN, confidence 0) when any of them is missing -- a
midpoint of one ear is not the head. Indices are 0-based, in each tool's documented order.

Body (``left`` / ``right`` = the patient's side):

=============== ============ ============ ============== ============== ============
ictal           COCO-17      BlazePose 33 OpenPose 25    OpenPose 18    Kinect v2 25
=============== ============ ============ ============== ============== ============
head            ears 3, 4    ears 7, 8    ears 17, 18    ears 16, 17    Head 3
neck            shoulders    shoulders    Neck 1         Neck 1         SpineShoulder
                5, 6         11, 12                                     20
left_shoulder   5            11           5              5              4
right_shoulder  6            12           2              2              8
left_elbow      7            13           6              6              5
right_elbow     8            14           3              3              9
left_wrist      9            15           7              7              6
right_wrist     10           16           4              4              10
left_hip        11           23           12             11             12
right_hip       12           24           9              8              16
spine_base      hips 11, 12  hips 23, 24  MidHip 8       hips 8, 11     SpineBase 0
=============== ============ ============ ============== ============== ============

COCO-17 is MoveNet's, MMPose's and Keypoint R-CNN's body layout; COCO-WholeBody (133 points,
MMPose's ``wholebody`` models) begins with it. Face (68 points: dlib / iBUG 300-W, OpenPose's
``face_keypoints_2d`` whose points 68-69 are the pupils, COCO-WholeBody's points 23-90; 468:
MediaPipe's face mesh):

=================== ============ ===========
ictal               68 points    mesh 468
=================== ============ ===========
right_brow_outer    17           70
right_brow_middle   19           105
right_brow_inner    21           107
left_brow_inner     22           336
left_brow_middle    24           334
left_brow_outer     26           300
right_eye_outer     36           33
right_eye_top       37, 38       159
right_eye_inner     39           133
right_eye_bottom    40, 41       145
left_eye_inner      42           362
left_eye_top        43, 44       386
left_eye_outer      45           263
left_eye_bottom     46, 47       374
nose_bridge         27           168
nose_tip            30           1
nose_right          31           98
nose_left           35           327
nose_base           33           2
mouth_right         48           61
lip_top             51           0
mouth_left          54           291
lip_bottom          57           17
=================== ============ ===========
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ictal.errors import IctalError
from ictal.keypoints.layout import BODY_JOINTS, FACE_LANDMARKS

Rule = tuple[tuple[int, ...], ...]


class MappingError(IctalError):
    """Points do not fit the layout they are said to have."""


@dataclass(frozen=True)
class Mapping:
    """How one source layout becomes ictal's: ``rule[k]`` = source indices of keypoint ``k``."""

    name: str
    n_points: int
    rule: Rule
    target: tuple[str, ...]

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """``(T, n_points, 3)`` ``(x, y, confidence)`` -> ``(T, K, 3)`` float32 in ictal's
        layout (see :mod:`ictal.keypoints.layout`); a source point with NaN coordinates or
        confidence 0 is missing."""
        return apply_rule(points, self.rule, self.n_points, self.name)


def apply_rule(points: np.ndarray, rule: Rule, n_points: int, name: str = "source"
               ) -> np.ndarray:
    """The mean of each rule's source points, their lowest confidence; gaps where any is
    missing. ``points`` ``(T, N, C)`` with ``C >= 3``: coordinates ``[..., :C-1]``, confidence
    last; returns ``(T, len(rule), C)`` float32."""
    points = np.asarray(points, np.float64)
    if points.ndim != 3 or points.shape[1] != n_points:
        raise MappingError(f"{name}: expected (frames, {n_points}, coordinates + confidence) "
                           f"points, got shape {points.shape}")
    coords, conf = points[..., :-1], points[..., -1]
    missing = ~np.isfinite(coords).all(-1) | ~(conf > 0)
    out = np.empty((points.shape[0], len(rule), points.shape[2]), np.float64)
    for k, idx in enumerate(rule):
        sel = list(idx)
        gap = missing[:, sel].any(1)
        out[:, k, :-1] = coords[:, sel].mean(1)
        out[:, k, -1] = conf[:, sel].min(1)
        out[gap, k, :-1] = np.nan
        out[gap, k, -1] = 0.0
    return out.astype(np.float32)


def _body(*points: int | tuple[int, ...]) -> Rule:
    """A body rule from the source indices of the 11 joints, in ictal's order."""
    if len(points) != len(BODY_JOINTS):
        raise ValueError(f"a body rule needs {len(BODY_JOINTS)} joints, got {len(points)}")
    return tuple(v if isinstance(v, tuple) else (v,) for v in points)


COCO17 = Mapping("coco17", 17, _body((3, 4), (5, 6), 5, 6, 7, 8, 9, 10, 11, 12, (11, 12)),
                 BODY_JOINTS)
BLAZEPOSE33 = Mapping("blazepose33", 33,
                      _body((7, 8), (11, 12), 11, 12, 13, 14, 15, 16, 23, 24, (23, 24)),
                      BODY_JOINTS)
OPENPOSE25 = Mapping("openpose25", 25, _body((17, 18), 1, 5, 2, 6, 3, 7, 4, 12, 9, 8),
                     BODY_JOINTS)
OPENPOSE18 = Mapping("openpose18", 18, _body((16, 17), 1, 5, 2, 6, 3, 7, 4, 11, 8, (8, 11)),
                     BODY_JOINTS)
KINECT25 = Mapping("kinect25", 25, _body(3, 20, 4, 8, 5, 9, 6, 10, 12, 16, 0), BODY_JOINTS)

_FACE68_RULE: Rule = ((17,), (19,), (21,), (22,), (24,), (26,), (36,), (37, 38), (39,),
                      (40, 41), (42,), (43, 44), (45,), (46, 47), (27,), (30,), (31,), (35,),
                      (33,), (48,), (51,), (54,), (57,))
FACE68 = Mapping("face68", 68, _FACE68_RULE, FACE_LANDMARKS)
FACE70 = Mapping("face70", 70, _FACE68_RULE, FACE_LANDMARKS)  # OpenPose: 68 + 2 pupils
FACEMESH468 = Mapping("facemesh468", 468, tuple((i,) for i in (
    70, 105, 107, 336, 334, 300, 33, 159, 133, 145, 362, 386, 263, 374, 168, 1, 98, 327, 2,
    61, 0, 291, 17)), FACE_LANDMARKS)
#: COCO-WholeBody (133 points): body 0-16, feet 17-22, face 23-90, hands 91-132.
WHOLEBODY133_BODY = Mapping("wholebody133", 133, COCO17.rule, BODY_JOINTS)
WHOLEBODY133_FACE = Mapping("wholebody133", 133,
                            tuple(tuple(i + 23 for i in idx) for idx in _FACE68_RULE),
                            FACE_LANDMARKS)

BODY_MAPPINGS: dict[str, Mapping] = {m.name: m for m in (
    COCO17, BLAZEPOSE33, OPENPOSE25, OPENPOSE18, KINECT25, WHOLEBODY133_BODY)}
FACE_MAPPINGS: dict[str, Mapping] = {m.name: m for m in (
    FACE68, FACE70, FACEMESH468, WHOLEBODY133_FACE)}


def body_mapping_for(n_points: int, *, openpose: bool = False) -> Mapping:
    """The body mapping of a layout with ``n_points`` points (17 COCO, 33 BlazePose, 25 / 18
    OpenPose when ``openpose``, 133 COCO-WholeBody)."""
    table = {17: COCO17, 33: BLAZEPOSE33, 133: WHOLEBODY133_BODY}
    if openpose:
        table = {25: OPENPOSE25, 18: OPENPOSE18}
    if n_points not in table:
        raise MappingError(f"no body layout with {n_points} points "
                           f"(known: {', '.join(map(str, sorted(table)))})")
    return table[n_points]


def face_mapping_for(n_points: int) -> Mapping:
    """The face mapping of a layout with ``n_points`` points (68, 70, 468 or 133)."""
    table = {68: FACE68, 70: FACE70, 468: FACEMESH468, 478: FACEMESH468, 133: WHOLEBODY133_FACE}
    if n_points not in table:
        raise MappingError(f"no face layout with {n_points} points "
                           f"(known: {', '.join(map(str, sorted(table)))})")
    m = table[n_points]
    if n_points == 478:  # MediaPipe's mesh with the 10 iris points appended
        return Mapping("facemesh478", 478, m.rule, m.target)
    return m
