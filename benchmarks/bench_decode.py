"""Decode throughput of ictal's readers on this machine (frames per second).

Writes its own temporary videos: a 512x424 16-bit FFV1/MKV stream (Kinect v2 infrared size,
16 slices) decoded with 1 and 2 threads, and a 1280x720 H.264 MP4 preview. Frames are synthetic:
a smooth moving scene plus sensor-like noise, so compression is realistic rather than trivial.

    .venv/bin/python benchmarks/bench_decode.py [--frames 150] [--repeats 3]

Decoding includes the conversion to NumPy (``gray16le`` / ``rgb24``), i.e. what a caller of
``VideoReader.iter_frames`` gets. On a shared machine the figures are noisy; the best of
``--repeats`` runs is shown.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from ictal.io import Ffv1Writer, H264Writer, open_video


def depth_like(n: int, height: int = 424, width: int = 512) -> Iterator[np.ndarray]:
    """``(H, W)`` ``uint16`` frames: a moving smooth surface (mm) plus noise."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    for k in range(n):
        surface = 2000 + 600 * np.sin((x + 3 * k) / 60) * np.cos((y - 2 * k) / 45)
        yield (surface + rng.normal(0, 8, surface.shape)).astype(np.uint16)


def rgb_like(n: int, height: int = 720, width: int = 1280) -> Iterator[np.ndarray]:
    """``(H, W, 3)`` ``uint8`` frames: a textured scene panning 3 px a frame, plus noise."""
    rng = np.random.default_rng(1)
    texture = rng.integers(0, 256, (height // 4, width // 4, 3), dtype=np.uint8)
    scene = np.repeat(np.repeat(texture, 4, axis=0), 4, axis=1).astype(np.int16)
    for k in range(n):
        noise = rng.integers(-6, 7, scene.shape, dtype=np.int16)
        yield np.clip(np.roll(scene, 3 * k, axis=1) + noise, 0, 255).astype(np.uint8)


def decode_fps(path: Path, threads: int, repeats: int) -> tuple[float, int]:
    """(best frames per second over ``repeats`` runs, frames) decoding ``path`` into arrays."""
    best, n = 0.0, 0
    with open_video(path, threads=threads) as reader:
        for _ in range(repeats):
            start = time.perf_counter()
            n = sum(1 for _ in reader.iter_frames())
            best = max(best, n / (time.perf_counter() - start))
    return best, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=150, help="frames per test video")
    parser.add_argument("--repeats", type=int, default=3, help="runs per row; the best is shown")
    args = parser.parse_args()
    table = Table("stream", "size", "threads", "frames", "decode frames/s", "MB on disk")
    with tempfile.TemporaryDirectory(prefix="ictal-bench-") as tmp:
        ffv1 = Path(tmp) / "ir.mkv"
        with Ffv1Writer(ffv1, 30, 512, 424, slices=16) as writer:
            for frame in depth_like(args.frames):
                writer.write(frame)
        h264 = Path(tmp) / "preview.mp4"
        with H264Writer(h264, 30, 1280, 720) as writer:
            for frame in rgb_like(args.frames):
                writer.write(frame)
        runs = [("FFV1 gray16le, 16 slices", ffv1, "512x424", t) for t in (1, 2)]
        runs += [("H.264 yuv420p -> rgb24", h264, "1280x720", t) for t in (1, 2)]
        for name, path, size, threads in runs:
            rate, n = decode_fps(path, threads, args.repeats)
            table.add_row(name, size, str(threads), str(n), f"{rate:.1f}",
                          f"{path.stat().st_size / 1e6:.1f}")
    Console().print(table)


if __name__ == "__main__":
    main()
