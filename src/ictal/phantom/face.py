"""Ground truth of the patient's face: 23 facial landmarks on the phantom's head.

The head is an ellipsoid (:func:`ictal.phantom.body.body_solids`, semi-axes 0.105 / 0.08 /
0.09 m at 1.75 m along the head's long axis, its width and its depth) turned by ``R_head``;
the landmarks -- seed 004's 23 facial keypoints in ``ictal.keypoints``' order (eyebrows, eyes,
nose, lips) -- lie on its front surface at fixed places of an average face, scaled with the
body's height; the lower lip follows the ``jaw`` opening as the jaw solid does. The renderer
does not draw them (the head is a plain ellipsoid), so they score trackers of the head and
the face's placement, not the face model's reading of features it cannot see.

File: ``DIR/groundtruth/<recording id>.face.npz``, written just before the recording's
ground truth (whose presence marks a complete recording). Arrays, for each camera view
``<v>`` (``views`` (V,) str, the ground truth's view names: ``""`` for a single camera),
prefix ``""`` for the first view and ``view/<v>/`` for the others:

==============  ==================  ===========================================================
key             shape, dtype        meaning
==============  ==================  ===========================================================
``format``      () int              1
``names``       (23,) str           landmark names (``ictal.keypoints.FACE_LANDMARKS``)
``face_3d``     (T, 23, 3) float32  camera coordinates (m; ``x`` right, ``y`` down, ``z`` fwd)
``face_2d``     (T, 23, 2) float32  projected (px, the view's own pixels, centres at integers)
``visible``     (T, 23) bool        the face turns towards the camera at the landmark
==============  ==================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ictal.fsutil import atomic_path
from ictal.phantom.body import BodyShape, J
from ictal.phantom.scene import Camera

FORMAT = 1
FACE_NAMES: tuple[str, ...] = (
    "right_brow_outer", "right_brow_middle", "right_brow_inner",
    "left_brow_inner", "left_brow_middle", "left_brow_outer",
    "right_eye_outer", "right_eye_top", "right_eye_inner", "right_eye_bottom",
    "left_eye_inner", "left_eye_top", "left_eye_outer", "left_eye_bottom",
    "nose_bridge", "nose_tip", "nose_right", "nose_left", "nose_base",
    "mouth_right", "lip_top", "mouth_left", "lip_bottom",
)
# (up the head, towards the patient's right, protrusion beyond the ellipsoid), metres at 1.75 m
_LOCAL = np.array([
    (0.026, 0.050, 0.0), (0.030, 0.034, 0.0), (0.026, 0.014, 0.0),
    (0.026, -0.014, 0.0), (0.030, -0.034, 0.0), (0.026, -0.050, 0.0),
    (0.0, 0.046, 0.0), (0.008, 0.032, 0.002), (0.0, 0.018, 0.0), (-0.008, 0.032, 0.0),
    (0.0, -0.018, 0.0), (0.008, -0.032, 0.002), (0.0, -0.046, 0.0), (-0.008, -0.032, 0.0),
    (0.008, 0.0, 0.004), (-0.030, 0.0, 0.022), (-0.036, 0.016, 0.008),
    (-0.036, -0.016, 0.008), (-0.042, 0.0, 0.010),
    (-0.060, 0.026, 0.0), (-0.054, 0.0, 0.004), (-0.060, -0.026, 0.0), (-0.066, 0.0, 0.004),
])
_HEAD_SEMI = np.array([0.105, 0.08, 0.09])  # metres at 1.75 m (body_solids' head ellipsoid)
LIP_BOTTOM = FACE_NAMES.index("lip_bottom")
JAW_DROP = 0.025  # m at full opening, as the jaw solid moves


def face_points(shape: BodyShape, joints: np.ndarray, r_head: np.ndarray,
                jaw: np.ndarray | None = None, offsets: np.ndarray | None = None) -> np.ndarray:
    """The 23 landmarks ``(T, 23, 3)`` float64 in world coordinates (m).

    Args:
        shape: the patient's body.
        joints: ``(T, 25, 3)`` world joints of :func:`~ictal.phantom.body.forward_kinematics`.
        r_head: ``(T, 3, 3)`` the head's world rotation (its ``frames["R_head"]``).
        jaw: ``(T,)`` jaw opening in ``[0, 1]`` (default closed).
        offsets: ``(T, 23, 3)`` displacements of the landmarks on the face (up the head,
            towards the patient's right, out of the face; metres at 1.75 m), e.g. a facial
            expression (:mod:`ictal.phantom.hkn`); default none.
    """
    T = joints.shape[0]
    s = shape.height / 1.75
    local = np.broadcast_to(_LOCAL, (T, *_LOCAL.shape)).copy()
    if offsets is not None:
        local += np.asarray(offsets, float)
    if jaw is not None:
        local[:, LIP_BOTTOM, 0] -= JAW_DROP * np.clip(np.asarray(jaw, float), 0, 1) / s
    x, y = local[..., 0] / _HEAD_SEMI[0], local[..., 1] / _HEAD_SEMI[1]
    surface = _HEAD_SEMI[2] * np.sqrt(np.clip(1 - x**2 - y**2, 0, 1))
    p = np.stack([local[..., 0], local[..., 1], surface + local[..., 2]], -1) * s
    return joints[:, J["Head"], None, :] + np.einsum("tij,tkj->tki", r_head, p)


def facing(points_c: np.ndarray, head_c: np.ndarray, forward_c: np.ndarray) -> np.ndarray:
    """Whether each landmark faces the camera: ``(T, K, 3)`` camera-frame points, the head
    centre ``(T, 3)`` and the face's forward direction ``(T, 3)`` -> ``(T, K)`` bool (the
    outward normal at the point, approximated by point - centre blended with forward, points
    towards the camera at the origin)."""
    normal = points_c - head_c[:, None] + 0.1 * forward_c[:, None]
    return np.einsum("tki,tki->tk", normal, -points_c) > 0


@dataclass(frozen=True)
class FaceTruth:
    """The face ground truth of one view (see the module docstring)."""

    face_3d: np.ndarray
    face_2d: np.ndarray
    visible: np.ndarray


def face_truth(shape: BodyShape, joints: np.ndarray, frames: dict[str, np.ndarray],
               dof: dict[str, np.ndarray], camera: Camera) -> FaceTruth:
    """The face ground truth of the patient as ``camera`` sees it."""
    world = face_points(shape, joints, frames["R_head"], dof.get("jaw"))
    pts = camera.to_camera(world)
    head = camera.to_camera(joints[:, J["Head"]])
    forward = np.einsum("ij,tj->ti", camera.R, frames["R_head"][:, :, 2])
    return FaceTruth(pts.astype(np.float32), camera.project_camera(pts).astype(np.float32),
                     facing(pts, head, forward))


def face_truth_path(rec_id: str) -> str:
    """Where the face ground truth of ``rec_id`` lies, relative to the dataset directory."""
    return f"groundtruth/{rec_id}.face.npz"


def save_face_truth(path: Path | str, views: Sequence[tuple[str, FaceTruth]]) -> None:
    """Write the face ground truth of every view (the first one at the top level) atomically."""
    arrays: dict[str, np.ndarray] = {"format": np.array(FORMAT), "names": np.array(FACE_NAMES),
                                     "views": np.array([name for name, _ in views], dtype=str)}
    for i, (name, truth) in enumerate(views):
        prefix = "" if i == 0 else f"view/{name}/"
        arrays[prefix + "face_3d"] = truth.face_3d
        arrays[prefix + "face_2d"] = truth.face_2d
        arrays[prefix + "visible"] = truth.visible
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        np.savez_compressed(fh, **arrays)


def load_face_truth(path: Path | str, view: str | None = None) -> FaceTruth:
    """The face ground truth of ``view`` (default: the first) from a ``.face.npz`` file.

    Raises:
        KeyError: the file has no such view.
        OSError / ValueError: the file cannot be read.
    """
    with np.load(path, allow_pickle=False) as data:
        names = [str(v) for v in data["views"]]
        if view is None or view == names[0]:
            prefix = ""
        elif view in names:
            prefix = f"view/{view}/"
        else:
            raise KeyError(f"{path}: no view {view!r} (it has {', '.join(map(repr, names))})")
        return FaceTruth(data[prefix + "face_3d"], data[prefix + "face_2d"],
                         data[prefix + "visible"].astype(bool))
