"""Media on the server: safe paths under the storage root, uploads, probing, transcoding,
Range replies.

Raw recordings never leave the server: browsers get an H.264 / MP4 preview (yuv420p,
``+faststart``, a keyframe every ``gop`` frames so a seek decodes at most ``gop`` frames),
streamed with HTTP Range requests (seed 003, §III-C: "only compressed video is streamed to the
front-end, while keeping raw data available for processing").

Paths a client gives are relative to the storage root; every file-system error on them becomes
a 4xx naming that relative path (:func:`user_file_errors`), never the server's directories.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import threading
import uuid
from collections.abc import AsyncIterable, Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from starlette.concurrency import run_in_threadpool

from ictal.errors import VideoError
from ictal.server.errors import InvalidError, NotFoundError, OutsideRootError, TooLargeError

log = logging.getLogger(__name__)

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
    """``path`` resolved, verified to lie under ``root`` (for paths read from the database);
    the error names the file only (it may reach a client)."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise OutsideRootError(f"{path.name!r} lies outside its root folder: was it moved?")
    return resolved


@contextlib.contextmanager
def user_file_errors(shown: str) -> Iterator[None]:
    """Turn the ``OSError`` of a file-system call on a client's path into a 4xx naming the
    path as the client gave it (``shown``): 404 when it does not exist, 422 otherwise (a name
    too long for the file system, no permission, ...)."""
    try:
        yield
    except (FileNotFoundError, NotADirectoryError) as err:
        raise NotFoundError(f"no file or directory {shown!r} in the storage root") from err
    except OSError as err:
        if err.errno == errno.ENAMETOOLONG:
            raise InvalidError(
                f"{shown[:80]!r}... is too long a path for the server's file system: give a "
                "shorter one") from err
        reason = os.strerror(err.errno) if err.errno else type(err).__name__
        raise InvalidError(f"{shown!r} cannot be read on the server ({reason})") from err


@dataclass(frozen=True)
class StorageItem:
    name: str
    path: str  # relative to the root, '/'-separated
    is_dir: bool
    size_bytes: int | None


def list_directory(root: Path, relative: str) -> tuple[str, list[StorageItem]]:
    """Entries of a directory under ``root`` (entries whose target escapes it, or that cannot
    be read, are left out)."""
    root = root.resolve()
    directory = resolve_inside(root, relative or ".")
    with user_file_errors(relative):
        if not directory.is_dir():
            raise NotFoundError(f"no directory {relative!r} in the storage root")
        entries = list(directory.iterdir())
    items = [item for entry in entries if (item := _storage_item(root, entry)) is not None]
    items.sort(key=lambda i: (not i.is_dir, i.name.lower()))
    rel = directory.relative_to(root).as_posix()
    return ("" if rel == "." else rel), items


def _storage_item(root: Path, entry: Path) -> StorageItem | None:
    """``entry`` of a listed directory, or ``None`` when hidden, escaping ``root`` or
    unreadable."""
    if entry.name.startswith("."):
        return None
    try:
        target = entry.resolve()
        if not target.is_relative_to(root) or not target.exists():
            return None
        is_dir = target.is_dir()
        size = None if is_dir else target.stat().st_size
    except OSError:
        return None
    return StorageItem(name=entry.name, path=entry.relative_to(root).as_posix(), is_dir=is_dir,
                       size_bytes=size)


def stored_video(root: Path, relative: str) -> Path:
    """The file ``relative`` names under ``root``, resolved; 400 when it escapes the root, 404
    when it is not a file, 422 when the file system refuses the name."""
    path = resolve_inside(root, relative)
    with user_file_errors(relative):
        if not path.is_file():
            raise NotFoundError(f"no file {relative!r} in the storage root")
    return path


# --- uploads -------------------------------------------------------------------------------------
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".avi", ".mkv", ".mpg", ".mpeg", ".asf",
                            ".wmv", ".webm"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def upload_target(directory: Path, filename: str) -> Path:
    """Where an upload called ``filename`` is kept: ``directory/<random>-<safe stem><suffix>``
    (never an existing file, never outside ``directory``); :class:`InvalidError` when
    ``filename`` is not a video file name."""
    suffix = Path(filename).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        allowed = ", ".join(sorted(VIDEO_SUFFIXES))
        raise InvalidError(f"{filename!r} is not a video file name ({allowed})")
    safe = _UNSAFE.sub("_", Path(filename).stem)[:80] or "upload"
    return directory / f"{uuid.uuid4().hex[:12]}-{safe}{suffix}"


async def save_upload(chunks: AsyncIterable[bytes], target: Path, limit: int) -> int:
    """Stream ``chunks`` to ``target``; return its size in bytes.

    The bytes go to a hidden ``.part`` file beside ``target`` (never held in memory), renamed
    to ``target`` once complete. Above ``limit`` bytes :class:`TooLargeError` (413), for an
    empty body :class:`InvalidError`; on any failure nothing is left behind. File I/O runs in
    worker threads.
    """
    partial = target.with_name(f".{target.name}.part")
    await run_in_threadpool(target.parent.mkdir, parents=True, exist_ok=True)
    size = 0
    fh = await run_in_threadpool(partial.open, "wb")
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise TooLargeError(f"upload exceeds the limit of {limit} bytes")
            await run_in_threadpool(fh.write, chunk)
        await run_in_threadpool(fh.close)
        if size == 0:
            raise InvalidError("the upload is empty")
        await run_in_threadpool(partial.replace, target)
    except BaseException:
        fh.close()
        partial.unlink(missing_ok=True)
        raise
    return size


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

    Reads the container's metadata through :func:`ictal.io.probe` (no full decode). Raises
    :class:`~ictal.errors.VideoError` naming the file.
    """
    from ictal.io import probe

    info = probe(path)
    if info.n_frames == 0:
        raise VideoError(path, "contains no frames")
    window = grey_window(path) if info.dtype == np.uint16 else None
    return VideoInfo(info.fps, info.width, info.height, info.n_frames, info.pix_fmt, window)


def probe_for_client(path: Path, shown: str) -> tuple[VideoInfo, int]:
    """:func:`probe_video` and the file's size in bytes, for a file a client named ``shown``:
    each failure is a 4xx naming ``shown``, not the server's path."""
    with user_file_errors(shown):
        size = path.stat().st_size
        try:
            info = probe_video(path)
        except VideoError as err:
            hint = f" ({err.hint})" if err.hint else ""
            raise InvalidError(f"{shown}: {err.cause}{hint}") from err
    return info, size


def grey_window(path: Path) -> tuple[int, int]:
    """The fixed ``(lo, hi)`` of a 16-bit stream: percentiles of its first frames' valid pixels.

    Zero is Kinect's "no measurement" and is left out (:func:`ictal.preprocess.intensity.
    fit_ir_window`, on every 4th pixel of the first frames). ``hi > lo`` always.
    """
    from ictal.io import open_video
    from ictal.preprocess.intensity import fit_ir_window

    with open_video(path) as reader:
        first = reader.read(0, min(WINDOW_SAMPLE_FRAMES, reader.info.n_frames))
    low, high = WINDOW_PERCENTILES
    window = fit_ir_window(first[:, ::4, ::4], low_percentile=low, high_percentile=high)
    lo = int(window.lo)
    return lo, max(int(window.hi), lo + 1)


def to_grey8(frame: np.ndarray, window: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` ``uint16`` -> ``(H, W)`` ``uint8``: ``window`` maps linearly to 0..255."""
    from ictal.preprocess.intensity import IrWindow, to_uint8

    return to_uint8(frame, IrWindow(*window))


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
    from ictal.io import open_video
    from ictal.io.writers import H264Writer

    step = max(1, n_frames // 100)
    written = 0
    with open_video(source) as reader:
        info = reader.info
        with H264Writer(target, info.fps, info.width, info.height, gop=gop, crf=crf) as writer:
            for _, frame in reader.iter_frames():
                if cancel is not None and cancel.is_set():
                    raise TranscodeCancelledError(str(source))
                writer.write(to_grey8(frame, window) if window is not None else frame)
                written += 1
                if progress is not None and written % step == 0:
                    progress(min(99.0, 100.0 * written / max(n_frames, 1)))
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
