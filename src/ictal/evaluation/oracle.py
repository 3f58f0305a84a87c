"""The ground-truth oracle: the same protocol on features from the phantom's true 3D joints.

A classifier on video features is bounded by what the phantom's movements separate at all. The
oracle measures that bound: every sample of the video feature table (same recording, frames,
label, patient, fold assignment) gets, instead of the backbone's features, per-limb movement
figures computed from the phantom's ground-truth 3D joints over the sample's frames
``[start_frame, stop_frame)`` -- speed, acceleration, path, amplitude, dominant frequency, share
of power in 0.4-1.8 Hz and periodicity of each limb (:func:`ictal.keypoints.semiology.
movement_features`, the figures of ``ictal semiology``) -- and goes through the same model and
cross-validation. Its macro F1 beside the video features' (and their ratio) says how much of
the separable signal the video pipeline recovers.

Limbs (Kinect v2 joints of the ground truth, camera coordinates, metres): the head relative to
the neck, each wrist relative to its shoulder, each ankle relative to its hip, the
spine-shoulder joint (trunk), and each wrist in the room. The figures are compressed by
``sign(x) log(1 + |x|)`` (no statistic of the data, so nothing leaks across folds).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ictal.errors import IctalError
from ictal.features.table import FeatureTable
from ictal.keypoints.semiology import FEATURES, movement_features
from ictal.manifest import Manifest
from ictal.manifest.groundtruth import find_ground_truth, load_ground_truth

#: Oracle limbs: name -> (Kinect joint, reference joint or None).
ORACLE_LIMBS: dict[str, tuple[str, str | None]] = {
    "head": ("Head", "Neck"),
    "left_arm": ("WristLeft", "ShoulderLeft"), "right_arm": ("WristRight", "ShoulderRight"),
    "left_leg": ("AnkleLeft", "HipLeft"), "right_leg": ("AnkleRight", "HipRight"),
    "trunk": ("SpineShoulder", None),
    "left_wrist": ("WristLeft", None), "right_wrist": ("WristRight", None),
}
#: Column names of the oracle's features, ``<limb>.<feature>``.
ORACLE_COLUMNS: tuple[str, ...] = tuple(f"{limb}.{f}" for limb in ORACLE_LIMBS for f in FEATURES)


def _limb_signals(joints: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    idx = {n: i for i, n in enumerate(names)}
    out = {}
    for limb, (distal, ref) in ORACLE_LIMBS.items():
        p = joints[:, idx[distal]].astype(np.float64)
        out[limb] = p - joints[:, idx[ref]] if ref is not None else p
    return out


def oracle_features(joints: np.ndarray, joint_names: list[str], fps: float, start: int,
                    stop: int) -> np.ndarray:
    """``(F,)`` float32 figures of frames ``[start, stop)`` of ``joints`` ``(T, 25, 3)`` m."""
    sig = _limb_signals(joints[start:stop], joint_names)
    vals = []
    for limb in ORACLE_LIMBS:
        f = movement_features(sig[limb], fps)
        vals += [f[k] for k in FEATURES]
    x = np.nan_to_num(np.asarray(vals, np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    return (np.sign(x) * np.log1p(np.abs(x))).astype(np.float32)


def oracle_table(table: FeatureTable, manifest: Manifest) -> FeatureTable:
    """The oracle's table: ``table``'s rows (identities, labels, frames) with features
    ``(N, 1, F)`` from the ground truth of each row's recording (``groundtruth/<id>.npz``
    beside the manifest, or ``meta.groundtruth``)."""
    recs = {r.id: r for r in manifest.recordings}
    feats = np.zeros((len(table), 1, len(ORACLE_COLUMNS)), np.float32)
    for rec_id in np.unique(table.recording):
        rec = recs.get(str(rec_id))
        if rec is None:
            raise IctalError(f"feature rows of recording {rec_id} which the manifest lacks",
                             hint="build the oracle from the manifest the features came from")
        path = find_ground_truth(manifest, rec)
        if path is None:
            raise IctalError(f"recording {rec_id}: no ground truth beside the manifest",
                             hint="the oracle needs a phantom dataset (`ictal phantom`)")
        gt = load_ground_truth(path)
        names = list(gt.joint_names)
        rows = np.flatnonzero(table.recording == rec_id)
        for i in rows:
            a = max(int(table.start_frame[i]), 0)
            b = min(int(table.stop_frame[i]), gt.n_frames)
            if b - a >= 4:
                feats[i, 0] = oracle_features(gt.joints_3d, names, float(gt.fps), a, b)
    attrs = {**table.attrs, "backbone": "ground-truth-oracle", "columns": list(ORACLE_COLUMNS)}
    return replace(table, features=feats, mask=np.ones((len(table), 1), bool), attrs=attrs)
