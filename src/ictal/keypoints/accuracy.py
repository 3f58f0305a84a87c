"""Keypoint accuracy against ground truth (the phantom's, or any reference track).

* **PCK@0.1** -- the share of the reference's keypoints (on frames where the prediction has a
  skeleton) that the prediction places within 0.1 of the torso length (the reference's neck to
  spine base on that frame); a missed keypoint counts as wrong;
* **mean 2D error** per joint (px), over the keypoints the prediction gives;
* **found** -- the share of frames with a skeleton at all; **on patient** -- of those, the share
  whose skeleton is the patient's: the median distance of its joints to the reference's below
  half the torso length (a skeleton on staff, a chair or the pillow fails);
* **3D error** (mm) per joint where both tracks have 3D.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ictal.keypoints.layout import BODY_JOINTS, B
from ictal.keypoints.store import KeypointTrack


def torso_length(track: KeypointTrack) -> np.ndarray:
    """``(T,)`` px from neck to spine base."""
    return np.linalg.norm(track.body[:, B["neck"], :2] - track.body[:, B["spine_base"], :2],
                          axis=-1)


def score_body(pred: KeypointTrack, truth: KeypointTrack, *, threshold: float = 0.1
               ) -> dict[str, Any]:
    """Accuracy of ``pred``'s body keypoints against ``truth`` (same frames; see the module
    docstring). Returns plain numbers: ``pck``, ``found``, ``on_patient``, ``error_px``
    (mean), ``error_px_per_joint``, ``error_3d_mm`` (median, or ``None``), ``frames``."""
    if len(pred) != len(truth) or not (pred.frames == truth.frames).all():
        raise ValueError(f"{pred.recording}: the tracks cover different frames")
    torso = torso_length(truth)
    seen = pred.body[..., 2] > 0
    found = seen.any(1)
    err = np.linalg.norm(pred.body[..., :2] - truth.body[..., :2], axis=-1)
    err = np.where(seen, err, np.inf)
    ok = err <= threshold * torso[:, None]
    med = np.array([np.median(e[np.isfinite(e)]) if np.isfinite(e).any() else np.inf
                    for e in err])
    on_patient = found & (med <= 0.5 * torso)
    finite = np.where(np.isfinite(err), err, np.nan)
    per_joint = {name: (float(np.nanmean(finite[:, k])) if np.isfinite(finite[:, k]).any()
                        else None) for k, name in enumerate(BODY_JOINTS)}
    e3 = None
    if pred.body_3d is not None and truth.body_3d is not None:
        d = np.linalg.norm(pred.body_3d - truth.body_3d, axis=-1) * 1000
        e3 = float(np.nanmedian(d)) if np.isfinite(d).any() else None
    return {
        "frames": len(pred), "found": float(found.mean()),
        "on_patient": float(on_patient.sum() / max(1, found.sum())),
        "pck": float(ok[found].mean()) if found.any() else 0.0,
        "error_px": float(np.nanmean(finite)) if np.isfinite(finite).any() else None,
        "error_px_per_joint": per_joint, "error_3d_mm": e3,
    }
