"""ictal's keypoint layouts: seed 004's 11 upper-body joints and 23 facial landmarks.

Seed 004 (section 2.2) detects "head, neck, left/right shoulders, left/right elbows,
left/right wrists, left/right hips, and bottom of the spine" and 23 facial keypoints "focusing
on eyebrows, eyes, nose, and mouth". The joints are named here, in this order; the 23 face
points are ours (the seed does not list them): 3 per eyebrow, 4 per eye, 5 on the nose and 4 on
the lips, so that every one of them exists in the common face layouts (dlib / OpenPose's 68 or
70 points, COCO-WholeBody's face, MediaPipe's 468-point mesh) -- see
:mod:`ictal.keypoints.mapping`.

Definitions (``left`` / ``right`` = the patient's own side):

* ``head`` -- the centre of the head (Kinect ``Head``; in 2D layouts the midpoint of the ears);
* ``neck`` -- the base of the neck between the shoulders (Kinect ``SpineShoulder``; OpenPose's
  ``Neck``; the midpoint of the shoulders in COCO and BlazePose);
* ``spine_base`` -- the bottom of the spine (Kinect ``SpineBase``; the midpoint of the hips).

Array layout used by every keypoint source: ``(T, K, 3)`` float32 ``(x px, y px, confidence)``
with ``K`` = 11 body joints or 23 face landmarks; pixels with integer coordinates at pixel
centres (pixel ``i`` covers ``[i - 0.5, i + 0.5)``, OpenCV's and the phantom's convention);
``confidence`` in ``[0, 1]``; a keypoint not seen on a frame (a gap) has ``x = y = NaN`` and
``confidence = 0`` -- gaps are marked, never filled.
"""

from __future__ import annotations

#: The 11 upper-body joints of seed 004, in ictal's order.
BODY_JOINTS: tuple[str, ...] = (
    "head", "neck", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip", "spine_base",
)
#: The 23 facial landmarks, in ictal's order.
FACE_LANDMARKS: tuple[str, ...] = (
    "right_brow_outer", "right_brow_middle", "right_brow_inner",
    "left_brow_inner", "left_brow_middle", "left_brow_outer",
    "right_eye_outer", "right_eye_top", "right_eye_inner", "right_eye_bottom",
    "left_eye_inner", "left_eye_top", "left_eye_outer", "left_eye_bottom",
    "nose_bridge", "nose_tip", "nose_right", "nose_left", "nose_base",
    "mouth_right", "lip_top", "mouth_left", "lip_bottom",
)
B = {name: i for i, name in enumerate(BODY_JOINTS)}
F = {name: i for i, name in enumerate(FACE_LANDMARKS)}

#: Bones of the 11-joint skeleton as (parent, child) indices (drawing, bone vectors).
BODY_BONES: tuple[tuple[int, int], ...] = tuple((B[a], B[b]) for a, b in (
    ("neck", "head"), ("neck", "left_shoulder"), ("neck", "right_shoulder"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("neck", "spine_base"), ("spine_base", "left_hip"), ("spine_base", "right_hip"),
))
#: Outlines drawn through the face landmarks (index chains).
FACE_OUTLINES: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (3, 4, 5), (6, 7, 8, 9, 6), (10, 11, 12, 13, 10), (14, 15, 18),
    (16, 18, 17), (19, 20, 21, 22, 19),
)

#: Limbs and body parts scored by quantitative semiology: the keypoint each is followed by
#: (its distal end) and the joint its movement is measured against (``None``: the frame).
LIMBS: dict[str, tuple[str, str | None]] = {
    "head": ("head", "neck"),
    "left_arm": ("left_wrist", "left_shoulder"),
    "right_arm": ("right_wrist", "right_shoulder"),
    "left_forearm": ("left_wrist", "left_elbow"),
    "right_forearm": ("right_wrist", "right_elbow"),
    "trunk": ("neck", None),
}
#: Left / right pairs of limbs whose difference is the lateralisation index.
LIMB_PAIRS: tuple[tuple[str, str], ...] = (("left_arm", "right_arm"),
                                           ("left_forearm", "right_forearm"))
