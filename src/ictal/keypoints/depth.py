"""3D keypoints from a registered depth stream: back-projection through the depth frame.

Each 2D keypoint ``(u, v)`` (pixels of a frame registered to the depth frame: Kinect v2's
infrared and depth share one sensor) gets the depth ``z`` of the body's surface under it and
becomes ``X = (u - cx) z / fx``, ``Y = (v - cy) z / fy``, ``Z = z`` (metres; ictal's camera
frame: ``x`` right, ``y`` down, ``z`` forward) with the Kinect v2 intrinsics of
:class:`ictal.preprocess.depth_geometry.Intrinsics` (``fx = fy = 365``, ``cx = 256``,
``cy = 212`` at 512 px wide, scaled with the width; override them with the camera's own).

Robust to holes and edges (:func:`surface_depth`): the depth is read in a window of
``(2 r + 1)^2`` pixels (``r`` = 3 at 512 px wide) around the keypoint, invalid pixels (0) left
out; of the valid ones,
those within ``band`` mm behind the nearest (its 10th percentile, so one noisy pixel does not
decide) are the body's surface -- a wrist held in front of the wall keeps the wrist's depth, not
the wall's behind it -- and their median is the keypoint's depth. A keypoint with fewer than
``min_valid`` surface pixels, or a gap, stays a 3D gap (NaN). The surface lies in front of
the joint centre by about the limb's radius (2-6 cm): no offset is added; the README gives
the 3D error this leaves against the phantom's ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ictal.keypoints.store import KeypointTrack
from ictal.preprocess.depth_geometry import Intrinsics


@dataclass(frozen=True)
class LiftOptions:
    """How keypoints are lifted (see the module docstring).

    Attributes:
        radius: half-width of the depth window (px); default 3 px at 512 px wide, scaled
            with the frame's width (at least 1).
        band: depth band behind the nearest surface kept (mm).
        min_valid: fewest surface pixels for a depth.
        intrinsics: the depth camera (default Kinect v2, scaled to the frame's width).
    """

    radius: int | None = None
    band: float = 60.0
    min_valid: int = 3
    intrinsics: Intrinsics | None = None


def surface_depth(depth: np.ndarray, uv: np.ndarray, options: LiftOptions = LiftOptions()
                  ) -> np.ndarray:
    """Depth (mm) of the body's surface under each point.

    Args:
        depth: ``(H, W)`` uint16 depth in mm, 0 = invalid.
        uv: ``(K, 2)`` pixel coordinates (integer = pixel centre); NaN = gap.

    Returns:
        ``(K,)`` float64 mm, NaN where unknown.
    """
    h, w = depth.shape
    r = options.radius if options.radius is not None else max(1, round(3 * w / 512))
    out = np.full(len(uv), np.nan)
    ok = np.isfinite(uv).all(1)
    if not ok.any():
        return out
    centre = np.round(uv[ok]).astype(np.int64)
    offs = np.arange(-r, r + 1)
    cols = centre[:, 0, None, None] + offs[None, None, :]
    rows = centre[:, 1, None, None] + offs[None, :, None]
    inside = (cols >= 0) & (cols < w) & (rows >= 0) & (rows < h)
    patch = depth[np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1)].astype(np.float64)
    patch[~inside | (patch <= 0)] = np.nan
    flat = patch.reshape(len(centre), -1)
    valid = np.isfinite(flat).sum(1)
    z = np.full(len(centre), np.nan)
    some = valid > 0
    if some.any():
        near = np.nanpercentile(flat[some], 10, axis=1)
        surface = np.where(flat[some] <= near[:, None] + options.band, flat[some], np.nan)
        count = np.isfinite(surface).sum(1)
        med = np.nanmedian(surface, axis=1)
        z[some] = np.where(count >= options.min_valid, med, np.nan)
    out[np.flatnonzero(ok)] = z
    return out


def back_project(uv: np.ndarray, z_mm: np.ndarray, intrinsics: Intrinsics) -> np.ndarray:
    """``(..., 2)`` pixels and ``(...)`` depths (mm) -> ``(..., 3)`` float32 metres."""
    z = z_mm / 1000.0
    x = (uv[..., 0] - intrinsics.cx) * z / intrinsics.fx
    y = (uv[..., 1] - intrinsics.cy) * z / intrinsics.fy
    return np.stack([x, y, z], -1).astype(np.float32)


def lift_frames(points: np.ndarray, depth: np.ndarray, intrinsics: Intrinsics,
                options: LiftOptions = LiftOptions()) -> np.ndarray:
    """``(K, 3)`` ``(x px, y px, confidence)`` keypoints of one frame -> ``(K, 3)`` metres."""
    uv = np.where(points[:, 2:] > 0, points[:, :2], np.nan).astype(np.float64)
    return back_project(uv, surface_depth(depth, uv, options), intrinsics)


def lift_track(track: KeypointTrack, depth_path: Path | str, *,
               options: LiftOptions = LiftOptions(), depth_fps: object = None) -> KeypointTrack:
    """``track`` with ``body_3d`` / ``face_3d`` from the depth video at ``depth_path`` (whose
    frames must be registered to the keypoints' frames: the same size and frame indices)."""
    from ictal.io import open_video, source_kind

    path = Path(depth_path)
    fps = None if source_kind(path) == "video" else depth_fps
    intr = options.intrinsics or Intrinsics().scaled(track.width)
    body_3d = np.full(track.body.shape, np.nan, np.float32)
    face_3d = np.full(track.face.shape, np.nan, np.float32)
    rows = {int(f): i for i, f in enumerate(track.frames)}
    with open_video(path, fps=fps) as reader:  # type: ignore[arg-type]
        info = reader.info
        if (info.width, info.height) != (track.width, track.height):
            raise ValueError(f"{path}: depth frames are {info.width}x{info.height}, the "
                             f"keypoints' {track.width}x{track.height}: not registered")
        stop = min(info.n_frames, int(track.frames.max()) + 1) if len(track) else 0
        for index, frame in reader.iter_frames(0, stop):
            i = rows.get(index)
            if i is None:
                continue
            body_3d[i] = lift_frames(track.body[i], frame, intr, options)
            face_3d[i] = lift_frames(track.face[i], frame, intr, options)
    attrs = {**track.attrs, "three_d": {
        "method": "depth back-projection", "depth": str(path),
        "intrinsics": {"fx": intr.fx, "fy": intr.fy, "cx": intr.cx, "cy": intr.cy},
        "radius_px": options.radius or max(1, round(3 * track.width / 512)),
        "band_mm": options.band}}
    return replace(track, body_3d=body_3d, face_3d=face_3d, attrs=attrs)
