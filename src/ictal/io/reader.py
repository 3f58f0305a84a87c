"""What every frame source offers: metadata (:class:`VideoInfo`) and :class:`VideoReader`.

Concrete readers (video containers, ``.npy`` arrays, PNG sequences) only implement
:meth:`VideoReader._frames`, a forward stream of consecutive frames; iteration, resampling,
random access and clips are built on it here, so every source behaves the same.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Self

import numpy as np

from ictal.errors import CorruptVideoError
from ictal.io.resample import iter_resample_indices
from ictal.timebase import FrameSpan, as_fps

#: Clips further apart than this many frames are read by seeking instead of decoding the gap.
MAX_DECODED_GAP = 64


@dataclass(frozen=True)
class VideoInfo:
    """Metadata of a frame source, read without decoding the whole file.

    ``pix_fmt`` / ``codec`` are FFmpeg's names for the stored stream (``"png"`` / ``"npy"`` for
    image sequences and arrays). ``channels`` is 1 (grey) or 3 (RGB) and ``dtype`` the dtype of
    the frames a reader returns: ``(H, W)`` ``uint16`` or ``uint8`` for grey, ``(H, W, 3)``
    ``uint8`` for RGB.
    """

    path: Path
    fps: Fraction
    n_frames: int
    width: int
    height: int
    pix_fmt: str
    codec: str
    channels: int
    dtype: np.dtype

    @property
    def duration(self) -> Fraction:
        """Seconds covered by the frames: ``n_frames / fps``."""
        return Fraction(self.n_frames) / self.fps

    @property
    def frame_shape(self) -> tuple[int, ...]:
        """``(H, W)`` for grey, ``(H, W, 3)`` for RGB."""
        hw = (self.height, self.width)
        return hw if self.channels == 1 else (*hw, self.channels)


class VideoReader(ABC):
    """Frame-accurate access to one frame source; use as a context manager.

    Memory does not grow with the recording's length: frames are decoded as they are consumed.
    One iteration at a time: starting a new :meth:`iter_frames` (or :meth:`read`, ...) while an
    older iterator is unfinished makes the older one raise ``RuntimeError`` when resumed.
    """

    info: VideoInfo

    def __init__(self, info: VideoInfo) -> None:
        self.info = info
        self._generation = 0

    @abstractmethod
    def _frames(self, start: int, stop: int) -> Iterator[np.ndarray]:
        """Frames ``start .. stop - 1`` in order, each a fresh array (not a reused buffer).

        ``0 <= start < stop <= n_frames`` is checked by the caller. A source that ends before
        ``stop`` raises :class:`~ictal.errors.CorruptVideoError`.
        """

    def close(self) -> None:  # noqa: B027 (optional hook, not abstract)
        """Release the file; the base class holds nothing."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __len__(self) -> int:
        return self.info.n_frames

    def __repr__(self) -> str:
        i = self.info
        return (f"{type(self).__name__}({str(i.path)!r}, {i.n_frames} frames, {i.width}x{i.height}"
                f" {i.pix_fmt} @ {i.fps} fps)")

    def _range(self, start: int, stop: int | None) -> tuple[int, int]:
        n = self.info.n_frames
        stop = n if stop is None else stop
        if not 0 <= start <= stop <= n:
            raise IndexError(
                f"{self.info.path}: frame range [{start}, {stop}) is outside [0, {n})"
            )
        return start, stop

    def _stream(self, start: int, stop: int) -> Iterator[tuple[int, np.ndarray]]:
        """``(index, frame)`` for ``start <= index < stop``; guards against interleaving."""
        if start >= stop:
            return
        self._generation += 1
        generation = self._generation
        frames = self._frames(start, stop)
        for index in range(start, stop):
            # checked before touching the decoder, which the newer read may have moved or closed
            if generation != self._generation:
                raise RuntimeError(
                    f"{self.info.path}: a newer read started on this reader; open another reader "
                    "to iterate two places at once"
                )
            frame = next(frames, None)
            if frame is None:
                return
            yield index, frame

    def iter_frames(
        self, start: int = 0, stop: int | None = None, *, fps: Fraction | float | str | None = None
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(source frame index, frame)`` for frames ``[start, stop)``.

        With ``fps``, the range is resampled to that rate by :func:`resample_indices` (nearest
        source frame to each output time, measured from ``start``); a source frame may repeat
        (upsampling) or be skipped (downsampling), and the index tells which one it is. Skipped
        runs longer than :data:`MAX_DECODED_GAP` frames are jumped over by seeking.
        """
        start, stop = self._range(start, stop)
        if fps is None:
            yield from self._stream(start, stop)
            return
        stream: Iterator[tuple[int, np.ndarray]] | None = None
        current: tuple[int, np.ndarray] | None = None
        for offset in iter_resample_indices(stop - start, self.info.fps, as_fps(fps)):
            wanted = start + offset
            if stream is None or current is None or wanted - current[0] > MAX_DECODED_GAP:
                stream, current = self._stream(wanted, stop), None
            while current is None or current[0] < wanted:
                current = next(stream, None)
                if current is None:
                    raise CorruptVideoError(self.info.path, f"frame {wanted} cannot be read")
            yield current

    def read(self, start: int, stop: int) -> np.ndarray:
        """Frames ``[start, stop)`` as one array: ``(T, H, W)`` or ``(T, H, W, 3)``."""
        start, stop = self._range(start, stop)
        out = np.empty((stop - start, *self.info.frame_shape), self.info.dtype)
        for index, frame in self._stream(start, stop):
            out[index - start] = frame
        return out

    def read_time(self, t0: Fraction | float, t1: Fraction | float) -> np.ndarray:
        """The frames shown in ``[t0, t1)`` seconds (clipped to the end of the source)."""
        span = FrameSpan.from_seconds(t0, t1, self.info.fps)
        return self.read(span.start, min(span.stop, self.info.n_frames))

    def iter_clips(
        self, length: int, step: int | None = None, start: int = 0, stop: int | None = None
    ) -> Iterator[tuple[FrameSpan, np.ndarray]]:
        """Yield every full clip ``[s, s + length)`` for ``s = start, start + step, ...``.

        ``step`` defaults to ``length`` (back-to-back clips). Clips are ``(length, H, W[, 3])``
        arrays; a trailing remainder shorter than ``length`` is not yielded. Overlapping or
        nearby clips are cut from one forward pass; clips far apart are read by seeking.
        """
        step = length if step is None else step
        if length < 1 or step < 1:
            raise ValueError(f"clip length and step must be >= 1, got {length}, {step}")
        start, stop = self._range(start, stop)
        fps = self.info.fps
        starts = range(start, stop - length + 1, step)
        if not starts:
            return
        if step - length > MAX_DECODED_GAP:
            for s in starts:
                yield FrameSpan(s, s + length, fps), self.read(s, s + length)
            return
        window: deque[np.ndarray] = deque(maxlen=length)
        next_start = starts[0]
        for index, frame in self._stream(start, starts[-1] + length):
            window.append(frame)
            if index - length + 1 == next_start:
                yield FrameSpan(next_start, index + 1, fps), np.stack(window)
                next_start += step
