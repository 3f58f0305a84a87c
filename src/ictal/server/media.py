"""Media on the server: safe paths under the storage root, probing, transcoding, Range replies.

Raw recordings never leave the server: browsers get an H.264 / MP4 preview (yuv420p,
``+faststart``, a keyframe every ``gop`` frames so a seek decodes at most ``gop`` frames),
streamed with HTTP Range requests (seed 003, §III-C: "only compressed video is streamed to the
front-end, while keeping raw data available for processing").
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ictal.errors import VideoError
from ictal.server.errors import NotFoundError, OutsideRootError

log = logging.getLogger(__name__)

#: Pixel formats whose samples have more than 8 bits (Kinect infrared / depth).
HIGH_BIT_FORMATS = frozenset({"gray16le", "gray16be", "gray12le", "gray10le", "gray14le"})
#: Frames sampled from the start of a 16-bit recording to fix its 8-bit window.
WINDOW_SAMPLE_FRAMES = 60
#: Percentiles of the non-zero samples that map to grey 0 and 255.
WINDOW_PERCENTILES = (0.5, 99.5)
CHUNK = 256 * 1024


def resolve_inside(root: Path, relative: str) -> Path:
    """``root / relative`` resolved (symlinks followed); :class:`OutsideRootError` if it escapes.

    Refuses absolute paths, ``..`` that climb out, and symlinks pointing outside ``root`` — the
    check is on the fully resolved path (``Path.resolve`` + ``is_relative_to``), so no spelling
    of a path can get around it.
    """
    root = root.resolve()
    if "\x00" in relative:
        raise OutsideRootError("path contains a NUL byte")
    candidate = Path(relative)
    if candidate.is_absolute() or relative.startswith(("/", "\\")):
        raise OutsideRootError(
            f"absolute paths are refused: give a path relative to the storage root ({relative!r})"
        )
    resolved = (root / candidate).resolve()
    if not resolved.is_relative_to(root):
        raise OutsideRootError(f"{relative!r} points outside the storage root")
    return resolved


def check_inside(root: Path, path: Path) -> Path:
    """``path`` resolved, verified to lie under ``root`` (for paths read from the database)."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise OutsideRootError(f"{path} lies outside {root}")
    return resolved


@dataclass(frozen=True)
class StorageItem:
    name: str
    path: str  # relative to the root, '/'-separated
    is_dir: bool
    size_bytes: int | None


def list_directory(root: Path, relative: str) -> tuple[str, list[StorageItem]]:
    """Entries of a directory under ``root`` (entries whose target escapes it are left out)."""
    root = root.resolve()
    directory = resolve_inside(root, relative or ".")
    if not directory.is_dir():
        raise NotFoundError(f"no directory {relative!r} in the storage root")
    items = []
    for entry in sorted(directory.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower())):
        if entry.name.startswith("."):
            continue
        target = entry.resolve()
        if not target.is_relative_to(root) or not target.exists():
            continue
        is_dir = target.is_dir()
        items.append(StorageItem(
            name=entry.name, path=entry.relative_to(root).as_posix(), is_dir=is_dir,
            size_bytes=None if is_dir else target.stat().st_size,
        ))
    rel = directory.relative_to(root).as_posix()
    return ("" if rel == "." else rel), items


# --- probing -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VideoInfo:
    """What the server stores about a raw stream file."""

    fps: Fraction
    width: int
    height: int
    n_frames: int
    pix_fmt: str
    window: tuple[int, int] | None  # 16-bit -> 8-bit grey window, None for 8-bit video


def probe_video(path: Path) -> VideoInfo:
    """Frame rate, size, frame count, pixel format and (16-bit only) the grey window.

    The frame count is read from the container when it records one, otherwise counted by
    demuxing (no decoding). Raises :class:`~ictal.errors.VideoError` naming the file.
    """
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(path, "has no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            if not rate:
                raise VideoError(path, "has no frame rate", hint="re-mux it with a frame rate")
            fps = Fraction(rate).limit_denominator(1001)
            ctx = stream.codec_context
            pix_fmt = ctx.format.name if ctx.format is not None else ""
            n_frames = stream.frames or sum(
                1 for p in container.demux(stream) if p.size > 0
            )
            width, height = ctx.width, ctx.height
        window = grey_window(path) if pix_fmt in HIGH_BIT_FORMATS else None
    except av.FFmpegError as err:
        raise VideoError(path, f"cannot read the video: {err}",
                         hint="register a video file (MP4, AVI, MKV, ...)") from err
    if n_frames == 0:
        raise VideoError(path, "contains no frames")
    return VideoInfo(fps, width, height, n_frames, pix_fmt, window)


def grey_window(path: Path) -> tuple[int, int]:
    """The fixed ``(lo, hi)`` of a 16-bit stream: percentiles of its first frames' valid pixels.

    Zero is Kinect's "no measurement" and is left out. ``hi > lo`` always.
    """
    samples = []
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i >= WINDOW_SAMPLE_FRAMES:
                break
            values = frame.to_ndarray()[::4, ::4]
            samples.append(values[values > 0].ravel())
    data = np.concatenate(samples) if samples else np.zeros(0, np.uint16)
    if data.size == 0:
        return 0, 1
    lo, hi = (int(v) for v in np.percentile(data, WINDOW_PERCENTILES))
    return lo, max(hi, lo + 1)


def to_grey8(frame: np.ndarray, window: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` ``uint16`` -> ``(H, W)`` ``uint8``: ``window`` maps linearly to 0..255."""
    lo, hi = window
    scaled = (frame.astype(np.float32) - lo) * (255.0 / (hi - lo))
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


# --- transcoding ---------------------------------------------------------------------------------
class TranscodeCancelledError(Exception):
    """The server is shutting down; the preview is left unfinished and redone at next start."""


def transcode_preview(
    source: Path, target: Path, *, n_frames: int, window: tuple[int, int] | None, gop: int = 30,
    crf: int = 23, progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Write the browser preview of ``source`` to ``target``; return the frames written.

    8-bit video becomes yuv420p H.264 as is; 16-bit infrared / depth is scaled to 8-bit grey by
    the recording's fixed ``window`` (one window for the whole file, so brightness does not
    pump). ``progress`` gets a percentage about every 1 % of ``n_frames``. The file appears
    atomically at ``target`` (:class:`ictal.io.writers.H264Writer`).
    """
    from ictal.io.writers import H264Writer

    step = max(1, n_frames // 100)
    written = 0
    try:
        with av.open(str(source)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            ctx = stream.codec_context
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            fps = Fraction(rate).limit_denominator(1001)
            with H264Writer(target, fps, ctx.width, ctx.height, gop=gop, crf=crf) as writer:
                for frame in container.decode(stream):
                    if cancel is not None and cancel.is_set():
                        raise TranscodeCancelledError(str(source))
                    if window is not None:
                        image = to_grey8(frame.to_ndarray(), window)
                    elif frame.format.name in ("gray", "gray8"):
                        image = frame.to_ndarray()
                    else:
                        image = frame.to_ndarray(format="rgb24")
                    writer.write(image)
                    written += 1
                    if progress is not None and written % step == 0:
                        progress(min(99.0, 100.0 * written / max(n_frames, 1)))
    except av.FFmpegError as err:
        raise VideoError(source, f"transcoding failed at frame {written}: {err}") from err
    if written == 0:
        raise VideoError(source, "decoded to zero frames")
    return written


# --- HTTP Range ----------------------------------------------------------------------------------
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiableError(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, stop)`` (stop exclusive) of a single-range ``Range`` header, or ``None``.

    ``None`` = serve the whole file (no header, or a multi-range / unparsable one, which
    RFC 9110 allows a server to ignore). :class:`RangeNotSatisfiableError` for a range past the end.
    """
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if m is None:
        return None
    first, last = m.groups()
    if not first and not last:
        return None
    if not first:  # suffix range: the last N bytes
        n = int(last)
        if n == 0:
            raise RangeNotSatisfiableError(header)
        return max(0, size - n), size
    start = int(first)
    stop = size if not last else min(int(last) + 1, size)
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiableError(header)
    return start, stop


def iter_file(path: Path, start: int, stop: int) -> Iterator[bytes]:
    """Bytes ``[start, stop)`` of ``path`` in chunks (never the whole file in memory)."""
    with path.open("rb") as fh:
        fh.seek(start)
        left = stop - start
        while left > 0:
            chunk = fh.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
