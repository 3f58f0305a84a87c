"""Source ``kinect``: Kinect v2 body-joint streams (``kind: joints`` in the manifest).

File format (``ictal-joints/1``): a CSV file with a header row and one row per depth frame on
which the Kinect SDK tracked the patient's body (frames without a body may be left out)::

    frame,SpineBase_x,SpineBase_y,SpineBase_z,SpineBase_u,SpineBase_v,SpineBase_state,...

* ``frame`` -- the index of the depth / infrared frame of the same recording (0-based,
  increasing), so the rows line up exactly with the video;
* then, for each of the 25 joints in the SDK's ``JointType`` order (``SpineBase`` ...
  ``ThumbRight``, :data:`KINECT_JOINTS`), six columns: ``x, y, z`` the SDK's
  ``CameraSpacePoint`` (metres, ``y`` up), ``u, v`` its ``DepthSpacePoint`` from the
  ``CoordinateMapper`` (depth pixels, 512 x 424), ``state`` the ``TrackingState``
  (0 not tracked, 1 inferred, 2 tracked).

ictal keeps ``(u, v)`` as the 2D keypoints (confidence 1 tracked, 0.5 inferred, a gap when not
tracked) and ``(x, -y, z)`` as the 3D ones (ictal's camera frame has ``y`` down). The
recording's depth or infrared stream gives the frame rate and the length: a row naming a
frame beyond it, a joints stream whose declared ``n_frames`` differs from the video's, a row
with the wrong number of columns or a NaN are refused, naming the file and the row.
:func:`write_joints` writes the format (tests, converters).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from ictal.fsutil import atomic_path
from ictal.keypoints.mapping import KINECT25, apply_rule
from ictal.keypoints.source import KeypointInputError, video_of
from ictal.keypoints.store import KeypointTrack
from ictal.manifest import Manifest, Recording
from ictal.phantom.body import JOINT_NAMES as KINECT_JOINTS

FORMAT = "ictal-joints/1"
FIELDS = ("x", "y", "z", "u", "v", "state")
HEADER: tuple[str, ...] = ("frame", *(f"{j}_{f}" for j in KINECT_JOINTS for f in FIELDS))
#: Confidence of each TrackingState.
STATE_CONFIDENCE = {0: 0.0, 1: 0.5, 2: 1.0}


def write_joints(path: Path | str, frames: np.ndarray, camera_xyz: np.ndarray,
                 depth_uv: np.ndarray, state: np.ndarray) -> Path:
    """Write a joints file atomically.

    Args:
        frames: ``(N,)`` depth frame indices.
        camera_xyz: ``(N, 25, 3)`` the SDK's camera space (m, ``y`` up).
        depth_uv: ``(N, 25, 2)`` depth pixels.
        state: ``(N, 25)`` tracking states 0 / 1 / 2.
    """
    path = Path(path)
    with atomic_path(path) as tmp, tmp.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i, f in enumerate(frames):
            row: list[Any] = [int(f)]
            for j in range(25):
                row += [f"{v:.5f}" for v in camera_xyz[i, j]]
                row += [f"{v:.3f}" for v in depth_uv[i, j]]
                row.append(int(state[i, j]))
            w.writerow(row)
    return path


def read_joints(path: Path | str, n_frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read a joints file for a video of ``n_frames`` frames.

    Returns:
        ``frames (N,)`` int64, ``uv (N, 25, 3)`` float32 ``(u, v, confidence)`` and
        ``xyz (N, 25, 4)`` float32 ``(x, y, z, confidence)`` in ictal's camera frame.

    Raises:
        KeypointInputError: naming the file and the row (1-based, the header is row 1).
    """
    path = Path(path)
    try:
        with path.open(newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as err:
        raise KeypointInputError(f"{path}: cannot read the joints file ({err})") from err
    if not rows or tuple(c.strip() for c in rows[0]) != HEADER:
        raise KeypointInputError(
            f"{path}: row 1 is not the {FORMAT} header (frame, then "
            "<Joint>_x,_y,_z,_u,_v,_state for the 25 Kinect v2 joints)",
            hint="see `ictal.keypoints.kinect` (README: Kinect joints files) for the format")
    values = np.empty((len(rows) - 1, len(HEADER)), np.float64)
    for i, row in enumerate(rows[1:]):
        where = f"{path}: row {i + 2}"
        if len(row) != len(HEADER):
            raise KeypointInputError(f"{where} has {len(row)} columns, expected {len(HEADER)}",
                                     hint="every row holds frame + 25 joints x 6 values")
        try:
            values[i] = [float(c) for c in row]
        except ValueError as err:
            raise KeypointInputError(f"{where}: {err}") from err
        bad = [HEADER[k] for k in range(len(row)) if not math.isfinite(values[i, k])]
        if bad:
            raise KeypointInputError(f"{where}: NaN or infinite value in {', '.join(bad[:4])}",
                                     hint="leave a frame without a body out, or set the "
                                     "joint's state to 0")
    frames = values[:, 0].astype(np.int64)
    if len(frames):
        if (values[:, 0] != frames).any() or (np.diff(frames) <= 0).any() or frames[0] < 0:
            k = int(np.flatnonzero(np.r_[frames[0] < 0, np.diff(frames) <= 0])[0])
            raise KeypointInputError(f"{path}: row {k + 2}: frame {values[k, 0]:g} is not an "
                                     "integer after the previous row's",
                                     hint="frames are 0-based depth frame indices, increasing")
        if frames[-1] >= n_frames:
            k = int(np.flatnonzero(frames >= n_frames)[0])
            raise KeypointInputError(
                f"{path}: row {k + 2}: frame {frames[k]} is beyond the video's {n_frames} "
                "frames (the joints stream is longer than the recording)",
                hint="the joints file belongs to another recording, or the video is cut")
    per = values[:, 1:].reshape(-1, 25, 6)
    state = per[..., 5]
    if not np.isin(state, (0, 1, 2)).all():
        k = int(np.flatnonzero(~np.isin(state, (0, 1, 2)).all(1))[0])
        raise KeypointInputError(f"{path}: row {k + 2}: tracking states must be 0, 1 or 2")
    conf = np.vectorize(STATE_CONFIDENCE.get)(state.astype(int)).astype(np.float32) \
        if state.size else np.zeros(state.shape, np.float32)
    uv = np.concatenate([per[..., 3:5], conf[..., None]], -1).astype(np.float32)
    xyz = np.stack([per[..., 0], -per[..., 1], per[..., 2], conf], -1).astype(np.float32)
    return frames, uv, xyz


class KinectSource:
    """Keypoints from a recording's ``joints`` stream (see the module docstring)."""

    name = "kinect"

    def key(self) -> dict[str, Any]:
        return {"source": self.name, "format": FORMAT}

    def __call__(self, manifest: Manifest, rec: Recording) -> KeypointTrack:
        if not rec.has_stream("joints"):
            raise KeypointInputError(
                f"recording {rec.id} has no joints stream",
                hint="list the Kinect joints file as a stream of kind 'joints'")
        stream = rec.stream("joints")
        path = Path(manifest.resolve(stream))
        video = video_of(manifest, rec, "depth" if rec.has_stream("depth") else None)
        if stream.n_frames is not None and stream.n_frames != video.n_frames:
            raise KeypointInputError(
                f"{path}: the joints stream declares {stream.n_frames} frames, the "
                f"{video.stream.kind} video {video.path.name} has {video.n_frames}",
                hint="a joints stream covers the same frames as the recording's video")
        if stream.fps != video.fps:
            raise KeypointInputError(
                f"{path}: the joints stream is at {stream.fps} fps, the video at {video.fps}",
                hint="Kinect body frames come with every depth frame: use the depth's rate")
        frames, uv, xyz = read_joints(path, video.n_frames)
        T = video.n_frames
        body = np.full((T, 11, 3), np.nan, np.float32)
        body[..., 2] = 0
        body_3d = np.full((T, 11, 3), np.nan, np.float32)
        body[frames] = KINECT25(uv)
        mapped = apply_rule(xyz, KINECT25.rule, 25)
        body_3d[frames] = np.where(mapped[..., 3:] > 0, mapped[..., :3], np.nan)
        face = np.full((T, 23, 3), np.nan, np.float32)
        face[..., 2] = 0
        return KeypointTrack(
            recording=rec.id, fps=video.fps, width=video.width, height=video.height,
            frames=np.arange(T), body=body, face=face, body_3d=body_3d, face_3d=None,
            attrs={**self.key(), "input": str(path),
                   "three_d": "Kinect SDK camera space (y negated)", "face": "none"})
