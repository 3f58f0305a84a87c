"""The keypoint store: per-frame body and face keypoints of recordings, one HDF5 shard each.

A store is a directory of shards ``<recording>.h5``, written atomically (temporary file, then
rename), so an interrupted run leaves only complete shards and a re-run resumes by skipping
them. Every source (``model``, ``kinect``, ``file``, ``phantom``) writes the same format.

Layout of a shard (``T`` frames, 11 joints, 23 face landmarks; see
:mod:`ictal.keypoints.layout`)::

    /frame      (T,)         int64    source frame index of each row (rows in order)
    /t          (T,)         float64  frame / fps, seconds (the exact time is frame and fps)
    /body       (T, 11, 3)   float32  (x px, y px, confidence); gaps NaN, confidence 0
    /face       (T, 23, 3)   float32  the same for the face
    /body_3d    (T, 11, 3)   float32  camera coordinates, metres (x right, y down, z forward);
    /face_3d    (T, 23, 3)   float32  NaN where unknown; absent when the store is 2D only
    attrs: format "ictal-keypoints/1", recording, fps "num/den", width, height (px of the
           frames the keypoints are in), view, provenance (JSON: source, model and the SHA-256
           of its files, input file and its SHA-256, crop, 3D method, joint / landmark names,
           pixel convention, package version, creation time)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ictal.errors import IctalError
from ictal.fsutil import atomic_path
from ictal.keypoints.layout import BODY_JOINTS, FACE_LANDMARKS

FORMAT = "ictal-keypoints/1"


class KeypointStoreError(IctalError):
    """A keypoint file is missing, unreadable or not an ictal keypoint store."""


@dataclass
class KeypointTrack:
    """The keypoints of one recording (see the module docstring for every array).

    ``frames`` are source frame indices at ``fps``; row ``i`` holds frame ``frames[i]``.
    """

    recording: str
    fps: Fraction
    width: int
    height: int
    frames: np.ndarray
    body: np.ndarray
    face: np.ndarray
    body_3d: np.ndarray | None = None
    face_3d: np.ndarray | None = None
    view: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        T = len(self.frames)
        self.frames = np.asarray(self.frames, np.int64)
        for name, k in (("body", len(BODY_JOINTS)), ("face", len(FACE_LANDMARKS))):
            value = np.asarray(getattr(self, name), np.float32)
            if value.shape != (T, k, 3):
                raise KeypointStoreError(f"{self.recording}: {name} has shape {value.shape}, "
                                         f"expected ({T}, {k}, 3)")
            setattr(self, name, value)
            three = getattr(self, f"{name}_3d")
            if three is not None:
                three = np.asarray(three, np.float32)
                if three.shape != (T, k, 3):
                    raise KeypointStoreError(f"{self.recording}: {name}_3d has shape "
                                             f"{three.shape}, expected ({T}, {k}, 3)")
                setattr(self, f"{name}_3d", three)
        if T > 1 and not (np.diff(self.frames) > 0).all():
            raise KeypointStoreError(f"{self.recording}: frame indices must increase")

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def times(self) -> np.ndarray:
        """``(T,)`` float64 start time of each row's frame (s)."""
        return self.frames * (self.fps.denominator / self.fps.numerator)

    @property
    def has_3d(self) -> bool:
        return self.body_3d is not None

    def found(self, part: str = "body") -> np.ndarray:
        """``(T,)`` bool: the frames where at least one keypoint of ``part`` was seen."""
        return (getattr(self, part)[..., 2] > 0).any(-1)


def shard_path(store: Path | str, recording_id: str) -> Path:
    """Where the keypoints of ``recording_id`` live in the store directory."""
    return Path(store) / f"{recording_id}.h5"


def write_track(path: Path | str, track: KeypointTrack) -> Path:
    """Write ``track`` to the HDF5 file ``path`` atomically."""
    import h5py

    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        h5.create_dataset("frame", data=track.frames)
        h5.create_dataset("t", data=track.times)
        for name in ("body", "face", "body_3d", "face_3d"):
            value = getattr(track, name)
            if value is not None:
                h5.create_dataset(name, data=value, compression="gzip" if len(track) else None,
                                  chunks=(min(len(track), 1024), *value.shape[1:])
                                  if len(track) else None)
        h5.attrs["format"] = FORMAT
        h5.attrs["recording"] = track.recording
        h5.attrs["fps"] = f"{track.fps.numerator}/{track.fps.denominator}"
        h5.attrs["width"] = track.width
        h5.attrs["height"] = track.height
        h5.attrs["view"] = track.view
        h5.attrs["provenance"] = json.dumps(track.attrs, default=str, sort_keys=True)
    return path


def _track_of(h5: Any, name: str) -> KeypointTrack:
    if h5.attrs.get("format") != FORMAT:
        raise KeypointStoreError(
            f"{name}: not an ictal keypoint file (format {h5.attrs.get('format')!r})",
            hint="create it with `ictal keypoints`")
    arrays = {k: h5[k][()] for k in ("frame", "body", "face", "body_3d", "face_3d") if k in h5}
    num, den = (int(x) for x in str(h5.attrs["fps"]).split("/"))
    return KeypointTrack(
        recording=str(h5.attrs["recording"]), fps=Fraction(num, den),
        width=int(h5.attrs["width"]), height=int(h5.attrs["height"]),
        frames=arrays["frame"], body=arrays["body"], face=arrays["face"],
        body_3d=arrays.get("body_3d"), face_3d=arrays.get("face_3d"),
        view=str(h5.attrs.get("view", "")), attrs=json.loads(h5.attrs["provenance"]))


def read_track(path: Path | str) -> KeypointTrack:
    """Read one shard; :class:`KeypointStoreError` names the file when it is not one."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise KeypointStoreError(f"{path}: no such keypoint file",
                                 hint="run `ictal keypoints MANIFEST --out STORE` first")
    try:
        with h5py.File(path, "r") as h5:
            return _track_of(h5, str(path))
    except (OSError, KeyError, ValueError, TypeError) as err:
        raise KeypointStoreError(f"{path}: cannot read the keypoint file ({err})",
                                 hint="re-run `ictal keypoints`; it rewrites damaged shards"
                                 ) from err


def read_track_bytes(data: bytes, name: str = "the keypoint file") -> KeypointTrack:
    """Read one shard held in memory (an upload); errors name it ``name``, never a path.

    Raises:
        KeypointStoreError: not an HDF5 file, not an ictal keypoint shard, or inconsistent
            arrays.
    """
    import io

    import h5py

    try:
        with h5py.File(io.BytesIO(data), "r") as h5:
            return _track_of(h5, name)
    except KeypointStoreError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as err:
        raise KeypointStoreError(
            f"{name}: not a readable ictal keypoint file ({type(err).__name__})",
            hint="send a shard `ictal keypoints` wrote (<recording>.h5), unchanged") from err


def read_provenance(path: Path | str) -> dict[str, Any] | None:
    """The provenance of one shard without its arrays, ``None`` when it is not a complete
    keypoint file."""
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            if h5.attrs.get("format") != FORMAT:
                return None
            return dict(json.loads(h5.attrs["provenance"]))
    except (OSError, KeyError, ValueError):
        return None


def list_shards(store: Path | str) -> list[Path]:
    """Shards of a store directory, sorted by name (temporary files left out)."""
    return sorted(p for p in Path(store).glob("*.h5") if not p.name.startswith("."))


def read_store(store: Path | str) -> dict[str, KeypointTrack]:
    """Every shard of a store directory (or one file), by recording id."""
    store = Path(store)
    if store.is_file():
        track = read_track(store)
        return {track.recording: track}
    shards = list_shards(store)
    if not shards:
        raise KeypointStoreError(f"{store}: the keypoint store holds no shard",
                                 hint="run `ictal keypoints MANIFEST --out STORE` first")
    tracks = [read_track(p) for p in shards]
    return {t.recording: t for t in tracks}
