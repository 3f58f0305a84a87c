"""Tiny videos for the io tests, written with PyAV itself.

The helpers are plain functions, handed to tests through the fixtures at the bottom (test
directories are not packages, so tests cannot import this module). Frame ``k`` of every fixture
video carries ``k`` in its pixels, so a test can tell which frame a reader returned: 16-bit
lossless frames hold ``k`` at pixel ``(0, 0)``; lossy 8-bit frames show ``k`` in binary as eight
black / white vertical stripes that survive compression.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

N_BITS = 8


def grey16_frames(n: int, height: int = 53, width: int = 64, seed: int = 0) -> np.ndarray:
    """``(n, H, W)`` ``uint16`` random frames; frame ``k`` has ``k`` at pixel ``(0, 0)``."""
    frames = np.random.default_rng(seed).integers(0, 65536, (n, height, width), dtype=np.uint16)
    frames[:, 0, 0] = np.arange(n)
    return frames


def stripe_frames(n: int, height: int = 48, width: int = 64) -> np.ndarray:
    """``(n, H, W, 3)`` ``uint8`` RGB frames showing ``k`` in binary as vertical stripes."""
    stripe = width // N_BITS
    frames = np.zeros((n, height, width, 3), np.uint8)
    for k in range(n):
        for bit in range(N_BITS):
            if k >> bit & 1:
                frames[k, :, bit * stripe : (bit + 1) * stripe] = 255
    return frames


def stripe_index(frame: np.ndarray) -> int:
    """Read back the index :func:`stripe_frames` drew into ``(H, W[, 3])`` ``frame``."""
    grey = frame if frame.ndim == 2 else frame.mean(axis=2)
    stripe = grey.shape[1] // N_BITS
    bits = [grey[:, b * stripe + 1 : (b + 1) * stripe - 1].mean() > 128 for b in range(N_BITS)]
    return sum(int(bit) << b for b, bit in enumerate(bits))


def write_pyav(
    path: Path,
    frames: Iterable[np.ndarray],
    *,
    codec: str,
    fps: Fraction | int = 25,
    pix_fmt: str = "yuv420p",
    in_format: str = "rgb24",
    options: dict[str, str] | None = None,
) -> Path:
    """Encode ``frames`` with any FFmpeg ``codec`` into ``path`` (container from the suffix)."""
    frames = list(frames)
    height, width = frames[0].shape[:2]
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.options = options or {}
        for k, array in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(array, format=in_format).reformat(format=pix_fmt)
            frame.pts = k
            frame.time_base = Fraction(1) / Fraction(fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture
def grey16() -> Callable[..., np.ndarray]:
    """:func:`grey16_frames`."""
    return grey16_frames


@pytest.fixture
def stripes() -> Callable[..., np.ndarray]:
    """:func:`stripe_frames`."""
    return stripe_frames


@pytest.fixture
def read_stripes() -> Callable[[np.ndarray], int]:
    """:func:`stripe_index`."""
    return stripe_index


@pytest.fixture
def pyav_writer() -> Callable[..., Path]:
    """:func:`write_pyav`."""
    return write_pyav
