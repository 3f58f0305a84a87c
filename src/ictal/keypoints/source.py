"""What every keypoint source shares: its contract, its errors, the recording's video.

A source turns one recording of a manifest into a :class:`~ictal.keypoints.store.KeypointTrack`
(one store format for all four: ``model``, ``kinect``, ``file``, ``phantom``). Its
:meth:`KeypointSource.key` is what a resumed run compares with a shard's provenance: a shard
made with the same key is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

from ictal.errors import IctalError
from ictal.keypoints.store import KeypointTrack
from ictal.manifest import Manifest, Recording, Stream

#: Video stream kinds keypoints are found in, preferred first (Kinect IR before depth).
VIDEO_KINDS = ("rgb", "ir", "depth")


class KeypointInputError(IctalError):
    """A keypoint input (file, stream, ground truth) is malformed: the message names the file
    and the row; nothing is written for the recording."""


class KeypointSource(Protocol):
    """One way of getting keypoints; ``name`` is the CLI's ``--source``."""

    name: str

    def key(self) -> dict[str, Any]:
        """Provenance that decides whether a shard is up to date (source, model hashes...)."""

    def __call__(self, manifest: Manifest, rec: Recording) -> KeypointTrack:
        """The keypoints of ``rec``; :class:`KeypointInputError` on malformed input."""


@dataclass(frozen=True)
class VideoFrames:
    """The frames keypoints refer to: a recording's video stream and its header."""

    stream: Stream
    path: Path
    fps: Fraction
    width: int
    height: int
    n_frames: int


def video_of(manifest: Manifest, rec: Recording, kind: str | None = None) -> VideoFrames:
    """The video stream of ``rec`` (``kind``, else the first of :data:`VIDEO_KINDS` present),
    probed for its frame rate, size and length."""
    from ictal.io import probe, source_kind

    kinds = (kind,) if kind else VIDEO_KINDS
    stream = next((s for k in kinds for s in rec.streams if s.kind == k), None)
    if stream is None:
        raise KeypointInputError(
            f"recording {rec.id} has no {' / '.join(kinds)} stream "
            f"(it has: {', '.join(s.kind for s in rec.streams)})",
            hint="add the video stream to the manifest")
    path = Path(manifest.resolve(stream))
    info = probe(path, fps=None if source_kind(path) == "video" else stream.fps)
    return VideoFrames(stream, path, info.fps, info.width, info.height, info.n_frames)
