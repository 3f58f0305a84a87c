"""Source ``phantom``: the phantom's ground truth as keypoints (2D and 3D, every frame).

Body: the ground truth's 25 Kinect v2 joints (``joints_2d`` / ``joints_3d``) through the
``kinect25`` mapping (:mod:`ictal.keypoints.mapping`), confidence 1 on every frame (the truth
is known under a blanket too). Face: the 23 landmarks of ``groundtruth/<id>.face.npz``
(:mod:`ictal.phantom.face`), confidence 1 where the face turns towards the camera, a gap where
it turns away. A montage's keypoints are those of the camera filling the frame, in the frame's
pixels. Pixel convention: integer coordinates at pixel centres, as the store's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ictal.keypoints.mapping import KINECT25, apply_rule
from ictal.keypoints.source import KeypointInputError
from ictal.keypoints.store import KeypointTrack
from ictal.manifest import Manifest, Recording
from ictal.manifest.groundtruth import GroundTruthError, find_ground_truth, load_ground_truth
from ictal.phantom.face import face_truth_path, load_face_truth


def ground_truth_file(manifest: Manifest, rec: Recording) -> Path:
    """The ground-truth ``.npz`` of ``rec``: ``meta.groundtruth`` or ``groundtruth/<id>.npz``
    beside the manifest."""
    path = find_ground_truth(manifest, rec)
    if path is None:
        raise KeypointInputError(f"recording {rec.id}: no phantom ground truth beside the "
                                 "manifest", hint="--source phantom needs a dataset made by "
                                                  "`ictal phantom`")
    return path


class PhantomSource:
    """Keypoints from the phantom's ground truth."""

    name = "phantom"

    def key(self) -> dict[str, Any]:
        return {"source": self.name}

    def __call__(self, manifest: Manifest, rec: Recording) -> KeypointTrack:
        path = ground_truth_file(manifest, rec)
        try:
            gt = load_ground_truth(path)
        except GroundTruthError as err:
            raise KeypointInputError(str(err), hint=err.hint) from err
        T = gt.n_frames
        ones = np.ones((T, 25, 1), np.float32)
        body = KINECT25(np.concatenate([gt.joints_2d, ones], -1))
        body_3d = apply_rule(np.concatenate([gt.joints_3d, ones], -1), KINECT25.rule, 25)
        face_file = path.parent / Path(face_truth_path(rec.id)).name
        face = np.full((T, 23, 3), np.nan, np.float32)
        face[..., 2] = 0
        face_3d = np.full((T, 23, 3), np.nan, np.float32)
        has_face = face_file.is_file()
        if has_face:
            truth = load_face_truth(face_file, gt.view or None)
            if truth.face_2d.shape[0] != T:
                raise KeypointInputError(
                    f"{face_file}: {truth.face_2d.shape[0]} frames, the ground truth has {T}",
                    hint="regenerate the recording with `ictal phantom`")
            seen = truth.visible
            face[seen, :2] = truth.face_2d[seen]
            face[seen, 2] = 1.0
            face_3d[seen] = truth.face_3d[seen]
        return KeypointTrack(
            recording=rec.id, fps=gt.fps, width=gt.width, height=gt.height,
            frames=np.arange(T), body=body, face=face, body_3d=body_3d[..., :3],
            face_3d=face_3d, view=gt.view,
            attrs={**self.key(), "input": str(path), "recipe": gt.recipe,
                   "face_input": str(face_file) if has_face else None,
                   "three_d": "ground truth (camera coordinates, m)"})
