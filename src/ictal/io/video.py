"""Open any frame source by its name: video containers, ``.npy`` stacks, PNG sequences."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Literal

from ictal.errors import UnsupportedVideoError, VideoError
from ictal.io.arrays import NpyReader
from ictal.io.container import ContainerReader
from ictal.io.imageseq import ImageSequenceReader, is_glob
from ictal.io.reader import VideoInfo, VideoReader
from ictal.timebase import as_fps

#: Container suffixes read with FFmpeg.
VIDEO_SUFFIXES = frozenset({
    ".mp4", ".m4v", ".mov", ".avi", ".mpg", ".mpeg", ".m2v", ".vob", ".ts", ".m2ts",
    ".asf", ".wmv", ".mkv", ".webm", ".gif",
})
#: Frame rate assumed for ``.npy`` stacks and PNG sequences when none is given: Kinect v2's.
DEFAULT_STILLS_FPS = Fraction(30)

Kind = Literal["video", "npy", "images"]


def source_kind(path: Path | str) -> Kind:
    """Which reader ``path`` needs, from its name alone; :class:`UnsupportedVideoError` if none."""
    text = str(path)
    p = Path(text)
    if is_glob(text) or p.is_dir():
        return "images"
    suffix = p.suffix.lower()
    if suffix == ".npy":
        return "npy"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    if suffix == ".png":
        raise UnsupportedVideoError(
            p, "a single PNG is not a sequence",
            hint="pass its directory or a glob like 'dir/*.png'",
        )
    raise UnsupportedVideoError(
        p, f"unsupported file type {suffix or '(no extension)'!r}",
        hint=f"ictal reads {', '.join(sorted(VIDEO_SUFFIXES))}, .npy and PNG directories/globs",
    )


def open_video(
    path: Path | str,
    *,
    threads: int = 2,
    kind: Kind | None = None,
    fps: Fraction | float | str | None = None,
) -> VideoReader:
    """Open a frame source for reading; use the result as a context manager.

    ``kind`` overrides the choice made from the name (``"video"``, ``"npy"``, ``"images"``).
    ``fps`` is the frame rate of ``.npy`` stacks and PNG sequences, which do not store one
    (default :data:`DEFAULT_STILLS_FPS`); containers carry their own and reject ``fps``.
    ``threads`` is the number of decoder threads for containers.
    """
    kind = kind or source_kind(path)
    if kind == "video":
        if fps is not None:
            raise VideoError(path, "a video container has its own frame rate",
                             hint="resample with iter_frames(fps=...) instead")
        return ContainerReader(path, threads=threads)
    rate = DEFAULT_STILLS_FPS if fps is None else as_fps(fps)
    if kind == "npy":
        return NpyReader(path, fps=rate)
    if kind == "images":
        return ImageSequenceReader(path, fps=rate)
    raise UnsupportedVideoError(path, f"unknown source kind {kind!r}",
                                hint="use 'video', 'npy' or 'images'")


def probe(
    path: Path | str, *, kind: Kind | None = None, fps: Fraction | float | str | None = None
) -> VideoInfo:
    """Metadata of a frame source without decoding it (at most its first frame)."""
    with open_video(path, kind=kind, fps=fps, threads=1) as reader:
        return reader.info
