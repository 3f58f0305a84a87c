"""Attributions scored against the phantom's ground truth (:mod:`ictal.manifest.groundtruth`).

For a window of a phantom recording the ground truth knows, frame by frame, where the patient,
the staff and every joint are. Two scores, per window:

* **pointing game** (Zhang et al. 2016): does the peak of the window's map (summed over its
  frames) fall on the *moving limb* - the limb whose joints travel furthest in the image
  during the window (head, left / right arm, left / right leg, trunk), boxed over the
  window's frames and grown by 5 % of the patient box's diagonal. ``chance`` is the share of
  the visible picture that box covers: what a peak dropped at random would score.
* **mass**: the shares of the map's mass on the patient's box, on the staff's boxes (outside
  the patient's) and on the rest (bed, room, padding), frame by frame.

Ground-truth boxes are in source pixels; :func:`source_to_sample` maps them into the
backbone's input pixels with the sample's crop box and square-frame geometry, where the maps
live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ictal.errors import ShapeError
from ictal.explain.attribute import WindowMap, tied_peak
from ictal.manifest.groundtruth import GroundTruth

#: Limbs of the Kinect v2 skeleton (joint names) whose movement the pointing game looks for.
LIMBS: dict[str, tuple[str, ...]] = {
    "head": ("Head", "Neck"),
    "left arm": ("ElbowLeft", "WristLeft", "HandLeft", "HandTipLeft", "ThumbLeft"),
    "right arm": ("ElbowRight", "WristRight", "HandRight", "HandTipRight", "ThumbRight"),
    "left leg": ("KneeLeft", "AnkleLeft", "FootLeft"),
    "right leg": ("KneeRight", "AnkleRight", "FootRight"),
    "trunk": ("SpineBase", "SpineMid", "SpineShoulder", "ShoulderLeft", "ShoulderRight",
              "HipLeft", "HipRight"),
}
#: Phase names of a seizure (the rest is pre- or post-ictal).
ICTAL_PHASES = ("ictal", "tonic", "clonic")
LIMB_MARGIN = 0.05  # of the patient box's diagonal


@dataclass(frozen=True)
class SampleGeometry:
    """How source pixels became a sample's pixels: ``x = left + (u - x0) * sx``.

    Attributes:
        crop_box: ``(x0, y0, x1, y1)`` of the crop in source pixels.
        sx, sy: resize factors of the crop (resized width / crop width, height likewise).
        left, top: padding before the resized crop in the square frame.
        size: side of the square frame.
    """

    crop_box: tuple[int, int, int, int]
    sx: float
    sy: float
    left: int
    top: int
    size: int

    @classmethod
    def of(cls, crop_box: Sequence[int] | None, geometry: dict[str, Any], size: int,
           frame_size: tuple[int, int]) -> SampleGeometry:
        """From a sample's ``crop_box`` (``None``: the whole ``(width, height)`` frame) and its
        ``provenance["geometry"]`` (:func:`~ictal.preprocess.frames.fit_square`)."""
        x0, y0, x1, y1 = (int(v) for v in (crop_box or (0, 0, *frame_size)))
        if "resized" not in geometry or "pad" not in geometry:
            raise ShapeError(f"sample geometry {geometry} is not a resize + pad to a square",
                             hint="ground-truth scores need the i3d frame style")
        rh, rw = (int(v) for v in geometry["resized"])
        top, left = (int(v) for v in geometry["pad"])
        return cls((x0, y0, x1, y1), rw / max(1, x1 - x0), rh / max(1, y1 - y0), left, top,
                   size)

    def box(self, box: Sequence[float]) -> tuple[float, float, float, float]:
        """A source box in sample pixels, clipped to the square frame (may be empty)."""
        x0, y0, _, _ = self.crop_box
        bx0 = self.left + (box[0] - x0) * self.sx
        by0 = self.top + (box[1] - y0) * self.sy
        bx1 = self.left + (box[2] - x0) * self.sx
        by1 = self.top + (box[3] - y0) * self.sy
        s = float(self.size)
        return (min(max(bx0, 0.0), s), min(max(by0, 0.0), s), min(max(bx1, 0.0), s),
                min(max(by1, 0.0), s))

    def visible(self) -> tuple[float, float, float, float]:
        """The crop's picture inside the square frame (the padding excluded)."""
        return self.box(self.crop_box)


def source_to_sample(crop_box: Sequence[int] | None, geometry: dict[str, Any], size: int,
                     frame_size: tuple[int, int]) -> SampleGeometry:
    """Shorthand of :meth:`SampleGeometry.of`."""
    return SampleGeometry.of(crop_box, geometry, size, frame_size)


def _box_mask(box: Sequence[float], size: int) -> np.ndarray:
    """``(size, size)`` bool: pixels whose centre lies inside ``box``."""
    c = np.arange(size) + 0.5
    xs = (c >= box[0]) & (c < box[2])
    ys = (c >= box[1]) & (c < box[3])
    return ys[:, None] & xs[None, :]


def _valid(box: np.ndarray) -> bool:
    return bool(box[0] >= 0 and box[2] > box[0] and box[3] > box[1])


def moving_limb(gt: GroundTruth, frames: np.ndarray) -> tuple[str, tuple[float, ...], float]:
    """The limb that moves most over source ``frames`` ``(T,)`` int: its name, its box in
    source pixels (its joints over the frames, grown by :data:`LIMB_MARGIN`) and its mean
    joint path length (pixels)."""
    index = {n: i for i, n in enumerate(gt.joint_names)}
    pts = gt.joints_2d[frames]  # (T, 25, 2)
    travel = (np.linalg.norm(np.diff(pts, axis=0), axis=2).sum(0) if len(frames) > 1
              else np.zeros(pts.shape[1]))
    best, best_travel = "trunk", -1.0
    for name, joints in LIMBS.items():
        ids = [index[j] for j in joints if j in index]
        value = float(travel[ids].mean())
        if value > best_travel:
            best, best_travel = name, value
    ids = [index[j] for j in LIMBS[best] if j in index]
    limb = pts[:, ids].reshape(-1, 2)
    boxes = gt.patient_box[frames]
    diag = float(np.median(np.hypot(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])))
    m = LIMB_MARGIN * diag
    box = (float(limb[:, 0].min() - m), float(limb[:, 1].min() - m),
           float(limb[:, 0].max() + 1 + m), float(limb[:, 1].max() + 1 + m))
    return best, box, best_travel


def window_phase(gt: GroundTruth, frames: np.ndarray) -> tuple[str, str]:
    """``(class label, phase)`` most frequent over source ``frames``."""
    label = gt.labels[int(np.bincount(gt.label[frames]).argmax())]
    phase = gt.phase_names[int(np.bincount(gt.phase[frames]).argmax())]
    return label, phase


def source_frames_of(provenance: dict[str, Any], n: int) -> np.ndarray:
    """``(n,)`` source frame of each of a sample's ``n`` frames (from its ``source_frames``;
    spread evenly when the timeline was resampled)."""
    first, stop = (int(v) for v in provenance["source_frames"])
    if stop - first == n:
        return np.arange(first, stop)
    return np.rint(np.linspace(first, stop - 1, n)).astype(np.int64)


def score_window(wmap: WindowMap, gt: GroundTruth, frames: np.ndarray,
                 geo: SampleGeometry) -> dict[str, Any]:
    """Pointing game and mass shares of one window's map.

    Args:
        wmap: the map ``(T, size, size)``.
        frames: ``(T,)`` the source frame of each of its frames.
        geo: the sample's geometry.

    Returns:
        ``{"label", "phase", "limb", "limb_box" (sample px), "hit" (bool), "chance",
        "patient", "staff", "background" (shares of the mass, ``nan`` for an empty map),
        "staff_present" (bool)}``.
    """
    values = wmap.values
    t, h, w = values.shape
    if len(frames) != t or h != geo.size or w != geo.size:
        raise ShapeError(f"a map of shape {values.shape} does not fit {len(frames)} frames "
                         f"of side {geo.size}")
    label, phase = window_phase(gt, frames)
    limb, limb_src, _ = moving_limb(gt, frames)
    limb_box = geo.box(limb_src)
    spatial = values.sum(0)
    py, px = tied_peak(spatial)
    hit = bool(spatial.max() > 0 and limb_box[0] <= px + 0.5 < limb_box[2]
               and limb_box[1] <= py + 0.5 < limb_box[3])
    vis = geo.visible()
    vis_area = max(1e-9, (vis[2] - vis[0]) * (vis[3] - vis[1]))
    chance = max(0.0, (limb_box[2] - limb_box[0])) * max(0.0, (limb_box[3] - limb_box[1]))
    chance = min(1.0, chance / vis_area)
    patient = staff = 0.0
    staff_present = False
    for i, f in enumerate(frames):
        pmask = _box_mask(geo.box(gt.patient_box[f]), h) if _valid(gt.patient_box[f]) else (
            np.zeros((h, w), bool))
        smask = np.zeros((h, w), bool)
        for s in range(gt.staff_boxes.shape[0]):
            box = gt.staff_boxes[s, f]
            if gt.staff_present[s, f] and _valid(box):
                smask |= _box_mask(geo.box(box), h)
                staff_present = True
        patient += float(values[i][pmask].sum())
        staff += float(values[i][smask & ~pmask].sum())
    total = float(values.sum())
    shares = ({"patient": patient / total, "staff": staff / total,
               "background": max(0.0, 1.0 - (patient + staff) / total)} if total > 0 else
              {"patient": float("nan"), "staff": float("nan"), "background": float("nan")})
    return {"label": label, "phase": phase, "limb": limb,
            "limb_box": [round(v, 2) for v in limb_box], "hit": hit, "chance": chance,
            **shares, "staff_present": staff_present}
