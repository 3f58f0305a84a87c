"""Frame stacks stored as ``.npy``: ``(T, H, W)`` ``uint16`` / ``uint8`` or ``(T, H, W, 3)``
``uint8``, memory-mapped so only the frames asked for are read."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from ictal.errors import CorruptVideoError, EmptyVideoError, UnsupportedVideoError, VideoError
from ictal.io.reader import VideoInfo, VideoReader


def _layout(path: Path, shape: tuple[int, ...], dtype: np.dtype) -> tuple[int, str]:
    """(channels, pix_fmt) of a frame stack, or :class:`UnsupportedVideoError`."""
    if len(shape) == 3 and dtype in (np.uint16, np.uint8):
        return 1, "gray16le" if dtype == np.uint16 else "gray"
    if len(shape) == 4 and shape[3] == 3 and dtype == np.uint8:
        return 3, "rgb24"
    raise UnsupportedVideoError(
        path, f"array is {shape} {dtype}",
        hint="store frames as (T, H, W) uint16/uint8 or (T, H, W, 3) uint8",
    )


class NpyReader(VideoReader):
    """Frames of a ``.npy`` file; ``.npy`` has no frame rate, so ``fps`` says it."""

    def __init__(self, path: Path | str, *, fps: Fraction) -> None:
        path = Path(path)
        if not path.is_file():
            raise VideoError(path, "file not found", hint="check the path")
        try:
            self._array = np.load(path, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError, EOFError) as err:
            raise CorruptVideoError(path, f"not a readable .npy file: {err}") from err
        channels, pix_fmt = _layout(path, self._array.shape, self._array.dtype)
        if self._array.shape[0] == 0:
            raise EmptyVideoError(path, "the array has zero frames")
        super().__init__(VideoInfo(
            path=path, fps=fps, n_frames=self._array.shape[0], width=self._array.shape[2],
            height=self._array.shape[1], pix_fmt=pix_fmt, codec="npy", channels=channels,
            dtype=np.dtype(self._array.dtype),
        ))

    def _frames(self, start: int, stop: int) -> Iterator[np.ndarray]:
        for index in range(start, stop):
            yield np.array(self._array[index])  # a copy: the memory map stays untouched

    def close(self) -> None:
        mmap = getattr(self._array, "_mmap", None)
        if mmap is not None:
            mmap.close()
