"""Video writers: lossless 16-bit FFV1/MKV and a browser-friendly H.264/MP4 preview.

Both are context managers that encode into a temporary file next to the target and rename it
onto the target only when :meth:`close` succeeds (:func:`ictal.fsutil.atomic_path`): a crash or
an exception inside the ``with`` block leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

import av
import numpy as np

from ictal.errors import ShapeError, UnsupportedVideoError, VideoError
from ictal.fsutil import atomic_path
from ictal.io.container import ffmpeg_reason
from ictal.timebase import as_fps

log = logging.getLogger(__name__)

#: Pixel formats :class:`Ffv1Writer` accepts -> (frame dtype, channels).
FFV1_PIX_FMTS: dict[str, tuple[type[np.generic], int]] = {
    "gray16le": (np.uint16, 1),
    "gray": (np.uint8, 1),
    "rgb24": (np.uint8, 3),
}
#: FFV1 codes RGB from packed ``bgr0`` (a lossless channel shuffle of ``rgb24``).
_FFV1_CODED_FMT = {"gray16le": "gray16le", "gray": "gray", "rgb24": "bgr0"}
#: FFV1 level 3 accepts these slice counts; more slices = more decoder threads can share a frame.
FFV1_SLICES = (4, 6, 9, 12, 16, 24, 30, 35, 42, 48, 56, 63, 64)
_MP4_LIKE = {".mp4", ".m4v", ".mov"}
_WRITE_HINT = "check that the disk has room and the folder is writable, then run again"


class _Writer:
    """Shared machinery: an atomic temporary target, one video stream, frame counting."""

    def __init__(
        self,
        path: Path | str,
        fps: Fraction | float | str,
        *,
        codec: str,
        width: int,
        height: int,
        pix_fmt: str,
        options: dict[str, str],
        container_options: dict[str, str] | None = None,
        threads: int = 2,
    ) -> None:
        self.path = Path(path)
        self.fps = as_fps(fps)
        self.width = width
        self.height = height
        self.n_frames = 0
        self._stack = contextlib.ExitStack()
        tmp = self._stack.enter_context(atomic_path(self.path))
        try:
            self._container = av.open(str(tmp), mode="w", options=container_options or {})
            self._stream = self._container.add_stream(codec, rate=self.fps)
            self._stream.width = width
            self._stream.height = height
            self._stream.pix_fmt = pix_fmt
            self._stream.codec_context.time_base = 1 / self.fps
            self._stream.options = options
            self._stream.codec_context.thread_count = max(1, threads)
        except (av.FFmpegError, ValueError) as err:
            self._stack.__exit__(type(err), err, err.__traceback__)
            reason = ffmpeg_reason(err) if isinstance(err, av.FFmpegError) else str(err)
            raise VideoError(self.path, f"cannot create a {codec} writer: {reason}") from err

    def _encode(self, frame: av.VideoFrame) -> None:
        frame.pts = self.n_frames
        frame.time_base = 1 / self.fps
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except av.FFmpegError as err:
            raise VideoError(self.path, f"encoding frame {self.n_frames} failed "
                                        f"({ffmpeg_reason(err)})", hint=_WRITE_HINT) from err
        self.n_frames += 1

    def close(self) -> None:
        """Flush the encoder, finish the file and move it onto :attr:`path`."""
        if self._container is None:
            return
        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
        except av.FFmpegError as err:
            self.abort(err)
            raise VideoError(self.path, f"finishing the file after {self.n_frames} frames "
                                        f"failed ({ffmpeg_reason(err)})",
                             hint=_WRITE_HINT) from err
        except BaseException as err:
            self.abort(err)
            raise
        self._container = None
        self._stack.close()
        log.debug("wrote %d frames to %s", self.n_frames, self.path)

    def abort(self, err: BaseException | None = None) -> None:
        """Discard everything written so far; :attr:`path` is left untouched."""
        if self._container is None:
            return
        container, self._container = self._container, None
        with contextlib.suppress(av.FFmpegError, OSError):
            container.close()
        error = err if err is not None else RuntimeError("writer aborted")
        with contextlib.suppress(type(error)):
            self._stack.__exit__(type(error), error, error.__traceback__)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
        else:
            self.abort(exc)


def _check_frame(
    path: Path, frame: np.ndarray, shape: tuple[int, ...], dtype: type[np.generic], index: int
) -> None:
    if frame.shape != shape or frame.dtype != dtype:
        raise ShapeError(
            f"{path}: frame {index} is {frame.shape} {frame.dtype}, "
            f"the writer expects {shape} {np.dtype(dtype).name}"
        )


class Ffv1Writer(_Writer):
    """Lossless FFV1 (level 3, sliced, per-slice CRC) in Matroska.

    Frames: ``(H, W)`` ``uint16`` for ``pix_fmt="gray16le"`` (Kinect infrared / depth in mm),
    ``(H, W)`` ``uint8`` for ``"gray"``, ``(H, W, 3)`` ``uint8`` RGB for ``"rgb24"``. Slices let
    the decoder spread one frame over several threads; ``slices`` must be one of
    :data:`FFV1_SLICES`. ``bitexact=True`` makes equal frames give byte-identical files.
    """

    def __init__(
        self,
        path: Path | str,
        fps: Fraction | float | str,
        width: int,
        height: int,
        *,
        pix_fmt: str = "gray16le",
        slices: int = 16,
        threads: int = 2,
        bitexact: bool = False,
    ) -> None:
        path = Path(path)
        if path.suffix.lower() != ".mkv":
            raise UnsupportedVideoError(
                path, "FFV1 is written to Matroska only", hint="use a .mkv file name"
            )
        if pix_fmt not in FFV1_PIX_FMTS:
            raise UnsupportedVideoError(
                path, f"FFV1 writer pixel format {pix_fmt!r} is not supported",
                hint=f"use one of {sorted(FFV1_PIX_FMTS)}",
            )
        if slices not in FFV1_SLICES:
            raise UnsupportedVideoError(
                path, f"FFV1 level 3 cannot use {slices} slices", hint=f"use one of {FFV1_SLICES}"
            )
        self.pix_fmt = pix_fmt
        self._dtype, channels = FFV1_PIX_FMTS[pix_fmt]
        self._shape = (height, width) if channels == 1 else (height, width, 3)
        super().__init__(
            path, fps, codec="ffv1", width=width, height=height,
            pix_fmt=_FFV1_CODED_FMT[pix_fmt],
            options={"level": "3", "slices": str(slices), "slicecrc": "1", "coder": "range_def"},
            # bitexact: no random segment / track UIDs and no date, so equal frames give
            # byte-identical files (reproducible datasets, e.g. the phantom)
            container_options={"fflags": "+bitexact"} if bitexact else None,
            threads=threads,
        )

    def write(self, frame: np.ndarray) -> None:
        """Append one frame (layout and dtype as given by ``pix_fmt``, see the class)."""
        _check_frame(self.path, frame, self._shape, self._dtype, self.n_frames)
        image = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format=self.pix_fmt)
        coded = _FFV1_CODED_FMT[self.pix_fmt]
        self._encode(image if coded == self.pix_fmt else image.reformat(format=coded))


class H264Writer(_Writer):
    """H.264 preview for browsers: ``yuv420p``, ``+faststart``, a keyframe every ``gop`` frames.

    Frames: ``(H, W, 3)`` ``uint8`` RGB or ``(H, W)`` ``uint8`` grey (scale 16-bit data to
    8 bits first). 4:2:0 chroma needs even sizes: an odd ``width`` / ``height`` is padded by
    repeating the last column / row, so the file is ``coded_width x coded_height``.

    Quality: ``crf`` (constant rate factor), or with ``qp`` a constant quantiser and no
    look-ahead analysis (fixed B-frames, no macroblock tree, no weighted prediction). Only the
    latter makes a file's bytes depend on its frames alone on every CPU: x264's AVX-512
    look-ahead reads uninitialised memory when the width is not a multiple of 128 (e.g. 704 or
    352), so CRF files of such sizes differ from run to run on CPUs that have AVX-512.
    """

    def __init__(
        self,
        path: Path | str,
        fps: Fraction | float | str,
        width: int,
        height: int,
        *,
        gop: int = 30,
        crf: int = 23,
        qp: int | None = None,
        preset: str = "veryfast",
        threads: int = 2,
        bitexact: bool = False,
    ) -> None:
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in _MP4_LIKE | {".mkv"}:
            raise UnsupportedVideoError(
                path, f"H.264 preview cannot be written to {suffix!r}", hint="use a .mp4 file name"
            )
        self.coded_width = width + width % 2
        self.coded_height = height + height % 2
        if (self.coded_width, self.coded_height) != (width, height):
            log.info("%s: padding %dx%d to even %dx%d for yuv420p", path, width, height,
                     self.coded_width, self.coded_height)
        super().__init__(
            path, fps, codec="libx264", width=self.coded_width, height=self.coded_height,
            pix_fmt="yuv420p",
            # sc_threshold=0: no extra scene-cut keyframes, so keyframes fall every `gop` frames
            options={**({"crf": str(crf)} if qp is None else {
                         "qp": str(qp), "x264-params": "b-adapt=0:mbtree=0:weightp=0"}),
                     "preset": preset, "g": str(gop), "sc_threshold": "0"},
            container_options={
                **({"movflags": "+faststart"} if suffix in _MP4_LIKE else {}),
                **({"fflags": "+bitexact"} if bitexact else {}),
            } or None,
            threads=threads,
        )
        self.width, self.height = width, height

    def write(self, frame: np.ndarray) -> None:
        """Append one ``(H, W, 3)`` RGB or ``(H, W)`` grey ``uint8`` frame."""
        grey = frame.ndim == 2
        shape = (self.height, self.width) if grey else (self.height, self.width, 3)
        _check_frame(self.path, frame, shape, np.uint8, self.n_frames)
        pad_h, pad_w = self.coded_height - self.height, self.coded_width - self.width
        if pad_h or pad_w:
            pad = ((0, pad_h), (0, pad_w)) + (() if grey else ((0, 0),))
            frame = np.pad(frame, pad, mode="edge")
        image = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(frame), format="gray" if grey else "rgb24"
        )
        self._encode(image.reformat(format="yuv420p"))


def write_video(
    path: Path | str,
    frames: Iterable[np.ndarray],
    fps: Fraction | float | str,
    *,
    codec: Literal["ffv1", "h264"] = "ffv1",
) -> Path:
    """Write ``frames`` to ``path`` atomically and return ``path``.

    ``codec="ffv1"``: lossless MKV; ``(H, W)`` ``uint16`` frames become ``gray16le``,
    ``(H, W)`` ``uint8`` ``gray`` and ``(H, W, 3)`` ``uint8`` ``rgb24``. ``codec="h264"``: MP4
    preview of ``uint8`` RGB or grey frames (see :class:`H264Writer`). The size and format are
    taken from the first frame; ``frames`` is consumed lazily, so it may be a generator of any
    length. An empty ``frames`` raises :class:`~ictal.errors.VideoError` and writes nothing.
    """
    path = Path(path)
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        raise VideoError(path, "no frames to write", hint="pass at least one frame")
    if first.ndim not in (2, 3) or (first.ndim == 3 and first.shape[2] != 3):
        raise ShapeError(f"{path}: frames must be (H, W) or (H, W, 3), got {first.shape}")
    height, width = first.shape[:2]
    writer: _Writer
    if codec == "ffv1":
        grey_fmt = "gray16le" if first.dtype == np.uint16 else "gray"
        pix_fmt = "rgb24" if first.ndim == 3 else grey_fmt
        writer = Ffv1Writer(path, fps, width, height, pix_fmt=pix_fmt)
    elif codec == "h264":
        writer = H264Writer(path, fps, width, height)
    else:
        raise UnsupportedVideoError(path, f"unknown codec {codec!r}", hint="use 'ffv1' or 'h264'")
    with writer:
        writer.write(first)
        for frame in iterator:
            writer.write(frame)
    return path
