"""Source ``file``: keypoints made by other tools, mapped to ictal's layouts.

``ictal keypoints MANIFEST --source file --files DIR --format FORMAT`` looks for each
recording's file in ``DIR``: ``<recording>.csv`` / ``.npy`` / ``.json``, or a folder
``<recording>/`` of per-frame JSON files (OpenPose). Formats (mappings in
:mod:`ictal.keypoints.mapping`):

``movenet``
    MoveNet's output, COCO-17: a CSV of one row per frame, 51 values ``y, x, score`` for each
    of the 17 keypoints, normalised to the frame (``[0, 1]``, the frame's edges); or an
    ``.npy`` of shape ``(T, 17, 3)`` (``(T, 1, 1, 17, 3)`` as the model returns it). Body only.
``mediapipe``
    MediaPipe Pose's 33 normalised landmarks: a CSV of 132 values per row, ``x, y, z,
    visibility`` each (confidence = visibility). Body only.
``openpose``
    OpenPose's ``--write_json`` folder: one ``*_<frame number>_keypoints.json`` per frame with
    ``people[].pose_keypoints_2d`` (BODY_25 or COCO-18, ``x, y, c`` in pixels) and optionally
    ``face_keypoints_2d`` (70 points). Body and face.
``mmpose``
    MMPose's inferencer JSON (``--pred-out-dir``): a list of ``{"frame_id", "instances":
    [{"keypoints": [[x, y], ...], "keypoint_scores": [...]}]}``, or the demo scripts'
    ``{"instance_info": [...]}``; 17 points (COCO), 133 (COCO-WholeBody: body and face) or 68
    (a face model), pixels. ``frame_id`` counts from ``frame_base`` (the inferencer: 0).

CSV files may have a header row; a header naming a ``frame`` column (frame index) and / or a
``t`` column (seconds) puts them first, before the values. Without ``frame``, a row's frame is
its ``t`` when given (which must lie on the video's frame grid, within a quarter of a frame),
else its position. Normalised coordinates become pixels as ``x * width - 0.5`` (the store's
pixel centres); pixel formats are taken as they are. Several people on a frame (OpenPose,
MMPose): the patient is picked by :class:`~ictal.keypoints.tracking.PatientTracker`.

Refused, naming the file and the row, nothing written: a row with the wrong number of columns,
a NaN or infinite value (write a missing point's score as 0), a frame or time beyond the video
or not increasing, a time off the frame grid.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ictal.keypoints.mapping import (
    BLAZEPOSE33,
    COCO17,
    Mapping,
    MappingError,
    body_mapping_for,
    face_mapping_for,
)
from ictal.keypoints.source import KeypointInputError, VideoFrames, video_of
from ictal.keypoints.store import KeypointTrack
from ictal.keypoints.tracking import PatientTracker
from ictal.manifest import Manifest, Recording

FORMATS = ("movenet", "mediapipe", "openpose", "mmpose")
#: A timestamp may lie this many frames off the frame grid.
TIME_TOLERANCE = 0.25


def _gaps(T: int, k: int) -> np.ndarray:
    out = np.full((T, k, 3), np.nan, np.float32)
    out[..., 2] = 0
    return out


def read_table(path: Path, n_values: int, video: VideoFrames
               ) -> tuple[np.ndarray, np.ndarray]:
    """A CSV of ``n_values`` numbers per row, optionally after ``frame`` / ``t`` columns.

    Returns:
        ``frames (N,)`` int64 and ``values (N, n_values)`` float64.

    Raises:
        KeypointInputError: naming the file and the (1-based) row.
    """
    try:
        with path.open(newline="") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError) as err:
        raise KeypointInputError(f"{path}: cannot read the file ({err})") from err
    header: list[str] = []
    first = 1
    if rows and not _is_number(rows[0][0]):
        header = [c.strip().lower() for c in rows[0]]
        rows, first = rows[1:], 2
    lead = [c for c in header[:2] if c in ("frame", "t")]
    width = len(lead) + n_values
    values = np.empty((len(rows), width), np.float64)
    for i, row in enumerate(rows):
        where = f"{path}: row {i + first}"
        if len(row) != width:
            raise KeypointInputError(
                f"{where} has {len(row)} columns, expected {width} "
                f"({' + '.join([*lead, str(n_values)])} values)",
                hint="check the --format: each format has a fixed number of values per row")
        try:
            values[i] = [float(c) for c in row]
        except ValueError as err:
            raise KeypointInputError(f"{where}: {err}") from err
        if not np.isfinite(values[i]).all():
            raise KeypointInputError(f"{where}: NaN or infinite value",
                                     hint="write a keypoint that was not found with score 0")
    n = len(rows)
    if "frame" in lead:
        col = values[:, lead.index("frame")]
        if (col != np.round(col)).any():
            k = int(np.flatnonzero(col != np.round(col))[0])
            raise KeypointInputError(f"{path}: row {k + first}: frame {col[k]:g} is not an "
                                     "integer")
        frames = col.astype(np.int64)
    elif "t" in lead:
        frames = _frames_of_times(path, values[:, lead.index("t")], video, first)
    else:
        frames = np.arange(n, dtype=np.int64)
    if "frame" in lead and "t" in lead:
        t = values[:, lead.index("t")]
        expect = frames * (video.fps.denominator / video.fps.numerator)
        off = np.abs(t - expect) * float(video.fps)
        if (off > TIME_TOLERANCE).any():
            k = int(np.flatnonzero(off > TIME_TOLERANCE)[0])
            raise KeypointInputError(
                f"{path}: row {k + first}: t = {t[k]:g} s does not match frame {frames[k]} "
                f"({expect[k]:.4f} s at {video.fps} fps)",
                hint="the file was made from a video at another frame rate or start")
    _check_frames(path, frames, video, first)
    return frames, values[:, len(lead):]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _frames_of_times(path: Path, t: np.ndarray, video: VideoFrames, first: int) -> np.ndarray:
    exact = t * float(video.fps)
    frames = np.round(exact).astype(np.int64)
    off = np.abs(exact - frames)
    if (off > TIME_TOLERANCE).any():
        k = int(np.flatnonzero(off > TIME_TOLERANCE)[0])
        raise KeypointInputError(
            f"{path}: row {k + first}: t = {t[k]:g} s falls between frames of the "
            f"{video.fps} fps video ({exact[k]:.2f} frames)",
            hint="the file was made from a video at another frame rate")
    return frames


def _check_frames(path: Path, frames: np.ndarray, video: VideoFrames, first: int) -> None:
    if not len(frames):
        return
    bad = np.flatnonzero(np.r_[frames[0] < 0, np.diff(frames) <= 0])
    if len(bad):
        k = int(bad[0])
        raise KeypointInputError(f"{path}: row {k + first}: frame {frames[k]} does not follow "
                                 "the previous row's", hint="rows go in time order, one per frame")
    if frames[-1] >= video.n_frames:
        k = int(np.flatnonzero(frames >= video.n_frames)[0])
        raise KeypointInputError(
            f"{path}: row {k + first}: frame {frames[k]} (t = "
            f"{frames[k] / float(video.fps):.3f} s) is beyond the video {video.path.name} "
            f"({video.n_frames} frames, {video.n_frames / float(video.fps):.3f} s)",
            hint="the keypoints were made from another (longer) video")


def _normalised_to_px(xy: np.ndarray, video: VideoFrames) -> np.ndarray:
    return xy * np.array([video.width, video.height]) - 0.5


def load_movenet(path: Path, video: VideoFrames) -> tuple[np.ndarray, np.ndarray]:
    """MoveNet rows -> frames ``(N,)`` and COCO-17 points ``(N, 17, 3)`` ``(x px, y px,
    score)``."""
    if path.suffix.lower() == ".npy":
        try:
            raw = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise KeypointInputError(f"{path}: cannot read the array ({err})") from err
        raw = raw.reshape(raw.shape[0], *raw.shape[-2:]) if raw.ndim >= 3 else raw
        if raw.ndim != 3 or raw.shape[1:] != (17, 3):
            raise KeypointInputError(f"{path}: shape {raw.shape}, expected (frames, 17, 3) "
                                     "rows of (y, x, score)")
        bad = np.flatnonzero(~np.isfinite(raw).all(axis=(1, 2)))
        if len(bad):
            raise KeypointInputError(f"{path}: row {bad[0]} (frame) holds NaN or infinite "
                                     "values", hint="write a missed keypoint with score 0")
        frames = np.arange(len(raw), dtype=np.int64)
        _check_frames(path, frames, video, 0)
        values = raw.reshape(len(raw), 51).astype(np.float64)
    else:
        frames, values = read_table(path, 51, video)
    yxs = values.reshape(-1, 17, 3)
    pts = np.stack([yxs[..., 1], yxs[..., 0], yxs[..., 2]], -1)
    pts[..., :2] = _normalised_to_px(pts[..., :2], video)
    return frames, pts


def load_mediapipe(path: Path, video: VideoFrames) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe Pose rows -> frames and BlazePose-33 points ``(N, 33, 3)``."""
    frames, values = read_table(path, 132, video)
    xyzv = values.reshape(-1, 33, 4)
    pts = np.stack([xyzv[..., 0], xyzv[..., 1], xyzv[..., 3]], -1)
    pts[..., :2] = _normalised_to_px(pts[..., :2], video)
    return frames, pts


def _triples(values: Any, where: str) -> np.ndarray:
    arr = np.asarray(values, np.float64)
    if arr.ndim != 1 or len(arr) % 3:
        raise KeypointInputError(f"{where}: {len(arr)} values, not a list of (x, y, c) triples")
    if not np.isfinite(arr).all():
        raise KeypointInputError(f"{where}: NaN or infinite value")
    return arr.reshape(-1, 3)


def load_openpose(folder: Path, video: VideoFrames
                  ) -> tuple[np.ndarray, list[list[np.ndarray]], list[list[np.ndarray]]]:
    """OpenPose's per-frame JSON folder -> frames, and per frame each person's body and face
    points (``(N, 3)`` pixels)."""
    files = sorted(folder.glob("*.json"))
    numbered = []
    for f in files:
        m = re.search(r"(\d+)(?:_keypoints)?\.json$", f.name)
        if m is None:
            raise KeypointInputError(f"{f}: no frame number in the file name",
                                     hint="OpenPose names them <video>_<frame>_keypoints.json")
        numbered.append((int(m.group(1)), f))
    numbered.sort()
    frames = np.array([n for n, _ in numbered], np.int64)
    _check_frames(folder, frames, video, 0)
    bodies, faces = [], []
    for n, f in numbered:
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError) as err:
            raise KeypointInputError(f"{f}: not a JSON file ({err})") from err
        people = data.get("people", []) if isinstance(data, dict) else None
        if people is None:
            raise KeypointInputError(f"{f}: no 'people' list", hint="an OpenPose JSON file")
        b, fc = [], []
        for p, person in enumerate(people):
            where = f"{f}: person {p} (frame {n})"
            b.append(_triples(person.get("pose_keypoints_2d", []), where))
            fc.append(_triples(person.get("face_keypoints_2d", []), where))
        bodies.append(b)
        faces.append(fc)
    return frames, bodies, faces


def load_mmpose(path: Path, video: VideoFrames, frame_base: int = 0
                ) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """MMPose's JSON -> frames and per frame each instance's points ``(N, 3)`` pixels."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise KeypointInputError(f"{path}: not a JSON file ({err})") from err
    if isinstance(data, dict):
        data = data.get("instance_info")
    if not isinstance(data, list):
        raise KeypointInputError(f"{path}: expected a list of frames or 'instance_info'",
                                 hint="MMPose's inferencer writes a list of frame records")
    frames, people = [], []
    for i, rec in enumerate(data):
        where = f"{path}: record {i}"
        if not isinstance(rec, dict) or "instances" not in rec:
            raise KeypointInputError(f"{where}: no 'instances'")
        frames.append(int(rec.get("frame_id", i + frame_base)) - frame_base)
        inst = []
        for k, person in enumerate(rec["instances"]):
            xy = np.asarray(person.get("keypoints", []), np.float64)
            sc = np.asarray(person.get("keypoint_scores", []), np.float64)
            if xy.ndim != 2 or xy.shape[1] != 2 or sc.shape != (len(xy),):
                raise KeypointInputError(f"{where} (frame {frames[-1]}), instance {k}: "
                                         f"keypoints {xy.shape} and scores {sc.shape} do not "
                                         "match", hint="(N, 2) keypoints and (N,) scores")
            pts = np.concatenate([xy, sc[:, None]], 1)
            if not np.isfinite(pts).all():
                raise KeypointInputError(f"{where} (frame {frames[-1]}), instance {k}: NaN")
            inst.append(pts)
        people.append(inst)
    arr = np.array(frames, np.int64)
    _check_frames(path, arr, video, 0)
    return arr, people


def _pick(tracker: PatientTracker, people: Sequence[np.ndarray], body: Mapping | None
          ) -> int | None:
    if body is None:
        return 0 if len(people) else None
    return tracker([body(p[None])[0] for p in people])


class FileSource:
    """Keypoints from other tools' files (see the module docstring).

    Args:
        folder: where the files are.
        fmt: one of :data:`FORMATS`.
        frame_base: MMPose's first ``frame_id`` (0; its demo scripts count from 1).
    """

    name = "file"

    def __init__(self, folder: Path | str, fmt: str, *, frame_base: int = 0) -> None:
        if fmt not in FORMATS:
            raise KeypointInputError(f"unknown keypoint file format {fmt!r}",
                                     hint=f"use one of {', '.join(FORMATS)}")
        self.folder = Path(folder)
        self.fmt = fmt
        self.frame_base = frame_base

    def key(self) -> dict[str, Any]:
        return {"source": self.name, "format": self.fmt}

    def find(self, rec: Recording) -> Path:
        """The file (or OpenPose folder) of ``rec``."""
        names = {"movenet": (".csv", ".npy"), "mediapipe": (".csv",), "mmpose": (".json",),
                 "openpose": ("",)}[self.fmt]
        for suffix in names:
            p = self.folder / f"{rec.id}{suffix}"
            if p.exists():
                return p
        raise KeypointInputError(
            f"recording {rec.id}: no {self.fmt} keypoints in {self.folder} (looked for "
            f"{', '.join(rec.id + (s or '/') for s in names)})")

    def __call__(self, manifest: Manifest, rec: Recording) -> KeypointTrack:
        path = self.find(rec)
        video = video_of(manifest, rec)
        T = video.n_frames
        body, face = _gaps(T, 11), _gaps(T, 23)
        mapping: str
        try:
            if self.fmt in ("movenet", "mediapipe"):
                load = load_movenet if self.fmt == "movenet" else load_mediapipe
                frames, pts = load(path, video)
                m = COCO17 if self.fmt == "movenet" else BLAZEPOSE33
                body[frames] = m(pts)
                mapping = m.name
            else:
                tracker = PatientTracker(video.width, video.height)
                if self.fmt == "openpose":
                    frames, bodies, faces = load_openpose(path, video)
                else:
                    frames, bodies = load_mmpose(path, video, self.frame_base)
                    faces = [[p if len(p) in (68, 133) else p[:0] for p in people]
                             for people in bodies]
                names = set()
                for row, (f, people) in enumerate(zip(frames, bodies, strict=True)):
                    n = {len(p) for p in people}
                    bm = self._body_mapping(n, path, f)
                    i = _pick(tracker, people, bm)
                    if i is None:
                        continue
                    if bm is not None:
                        body[f] = bm(people[i][None])[0]
                        names.add(bm.name)
                    fpts = faces[row][i] if i < len(faces[row]) else np.zeros((0, 3))
                    if len(fpts):
                        fm = face_mapping_for(len(fpts))
                        face[f] = fm(fpts[None])[0]
                        names.add(fm.name)
                mapping = "+".join(sorted(names))
        except MappingError as err:
            raise KeypointInputError(f"{path}: {err}") from err
        return KeypointTrack(recording=rec.id, fps=video.fps, width=video.width,
                             height=video.height, frames=np.arange(T), body=body, face=face,
                             attrs={**self.key(), "input": str(path), "mapping": mapping,
                                    "video": str(video.path)})

    def _body_mapping(self, sizes: set[int], path: Path, frame: int) -> Mapping | None:
        if len(sizes) > 1:
            raise KeypointInputError(f"{path}: frame {frame}: people with different numbers "
                                     f"of keypoints {sorted(sizes)}")
        if not sizes:
            return None
        n = sizes.pop()
        if self.fmt == "mmpose" and n == 68:
            return None  # a face model: no body
        return body_mapping_for(n, openpose=self.fmt == "openpose")
