"""What a video player needs to draw keypoints: skeleton per frame and per-limb activity lanes.

:func:`overlay_payload` turns a :class:`~ictal.keypoints.store.KeypointTrack` into plain JSON
data for a front-end overlay (the labelling screen draws the skeleton on the frame shown, found
by its index ``floor(t * fps)`` -- frame-exact -- and the lanes beside the MOI lanes):

* ``fps`` ``"num/den"``, ``width``, ``height`` (the keypoints' pixel space; integer
  coordinates at pixel centres), ``bones`` and ``face_outlines`` (index pairs / chains of
  :mod:`ictal.keypoints.layout`), ``joints`` / ``landmarks`` names;
* ``frames``: the frame indices, ``body`` ``[[x, y, c] x 11]`` and ``face`` ``[[x, y, c] x 23]``
  per frame (``null`` for a gap), coordinates rounded to 0.1 px;
* ``lanes``: per limb of :data:`~ictal.keypoints.layout.LIMBS`, windows of ``window_s``
  (``start_frame``, ``stop_frame``, ``speed`` in the semiology's unit, ``level`` in
  ``[0, 1]``: the speed over the recording's 95th percentile of all limbs' window speeds,
  clipped; ``null`` where the limb was not measured).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ictal.keypoints.layout import BODY_BONES, BODY_JOINTS, FACE_LANDMARKS, FACE_OUTLINES
from ictal.keypoints.semiology import windows_table
from ictal.keypoints.store import KeypointTrack


def frame_points(rows: np.ndarray) -> list[Any]:
    """``(T, K, 3)`` rows as JSON: per frame ``[[x, y, c] | None] x K`` (0.1 px, confidence to
    3 places), ``None`` for a frame without any keypoint."""
    out: list[Any] = []
    for frame in rows:
        if not (frame[:, 2] > 0).any():
            out.append(None)
            continue
        out.append([[round(float(x), 1), round(float(y), 1), round(float(c), 3)]
                    if c > 0 and math.isfinite(x) and math.isfinite(y) else None
                    for x, y, c in frame])
    return out


def activity_lanes(track: KeypointTrack, window_s: float = 1.0) -> dict[str, list[dict]]:
    """Per-limb activity windows (see the module docstring)."""
    rows = windows_table(track, window_s=window_s)
    speeds = np.array([r["speed"] for r in rows], float)
    ref = float(np.nanpercentile(speeds, 95)) if np.isfinite(speeds).any() else math.nan
    lanes: dict[str, list[dict]] = {}
    for r in rows:
        speed = r["speed"]
        level = None
        if math.isfinite(speed) and math.isfinite(ref):
            level = round(min(1.0, speed / ref), 3) if ref > 0 else 0.0
        lanes.setdefault(r["limb"], []).append({
            "start_frame": r["start_frame"], "stop_frame": r["stop_frame"],
            "speed": round(speed, 5) if math.isfinite(speed) else None, "level": level,
            "unit": f"{r['unit']}/s"})
    return lanes


def overlay_payload(track: KeypointTrack, *, window_s: float = 1.0) -> dict[str, Any]:
    """The JSON-ready overlay of one recording (see the module docstring)."""
    return {
        "recording": track.recording,
        "fps": f"{track.fps.numerator}/{track.fps.denominator}",
        "width": track.width, "height": track.height,
        "joints": list(BODY_JOINTS), "landmarks": list(FACE_LANDMARKS),
        "bones": [list(b) for b in BODY_BONES],
        "face_outlines": [list(c) for c in FACE_OUTLINES],
        "source": track.attrs.get("source"),
        "frames": [int(f) for f in track.frames],
        "body": frame_points(track.body), "face": frame_points(track.face),
        "lanes": activity_lanes(track, window_s),
    }
