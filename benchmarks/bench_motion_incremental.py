"""Incremental motion features on a bed: what keeping the per-frame-pair work across
overlapping windows saves, side by side in one process.

A bed scores a 2 s window every ``--stride``; below 2 s the windows overlap and, without a
cache, the flow and the frame differences of the shared frames are computed again for each
window. :class:`~ictal.backbones.motion.MotionCache` computes each frame pair once. Both ways
run here, interleaved (``--repeats``), on the same frames, with one torch thread (a monitor
compute thread's default); the ratio of the medians is the figure to read on a busy machine.
Every window's features are checked to be the same bits both ways.

* **backbone**: the motion backbone alone on 2 s windows (60 frames of 112 x 112 at 30 fps,
  the backbone's input) of a synthetic stream (a blob moving, sensor noise), strides 2 s,
  1 s and 0.5 s;
* **bed** (``--bundle DIR``, a bundle on the motion backbone): a whole window as a bed scores
  it (:class:`~ictal.monitor.bed.Scorer`: crop, 8 bit, square, backbone, estimator) on a
  synthetic scene at the bundle's rate, incremental on and off.

    .venv/bin/python benchmarks/bench_motion_incremental.py --seconds 30 --repeats 3 \\
        [--bundle runs/final/bundle]
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from ictal.backbones.motion import MotionCache, motion_features

SIZE = 112


def blob_stream(seconds: float, fps: float, size: int = SIZE) -> torch.Tensor:
    """``(1, 1, T, S, S)`` in [-1, 1]: a bright blob moving about at 1.5 Hz, plus noise."""
    frames = round(seconds * fps)
    g = torch.Generator().manual_seed(0)
    axis = torch.arange(size, dtype=torch.float32)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    t = torch.arange(frames) / fps
    cx = size / 2 + 8 * torch.sin(2 * math.pi * 1.5 * t)
    cy = size / 2 + 4 * torch.cos(2 * math.pi * 0.7 * t)
    clip = torch.exp(-((xx - cx[:, None, None]) ** 2 + (yy - cy[:, None, None]) ** 2)
                     / (2 * 10.0**2)) * 1.6 - 0.8
    return (clip + 0.01 * torch.randn(frames, size, size, generator=g))[None, None]


def backbone(seconds: float, repeats: int) -> None:
    fps, window = 30.0, 60
    stream = blob_stream(seconds, fps)
    total = stream.shape[2]
    print(f"backbone: motion, windows of {window} frames ({SIZE} x {SIZE}, 30 fps), "
          f"{seconds:g} s of stream, {repeats} interleaved repeats, 1 thread")
    for stride in (60, 30, 15):
        starts = list(range(0, total - window + 1, stride))
        clips = [stream[:, :, s:s + window] for s in starts]
        whole_t: list[float] = []
        cached_t: list[float] = []
        cache = MotionCache()
        for r in range(repeats):
            for cached in ((False, True) if r % 2 == 0 else (True, False)):  # alternate order
                if cached:
                    cache = MotionCache()
                run = cache if cached else motion_features
                t0 = time.perf_counter()
                out = [run(c, fps) for c in clips]
                (cached_t if cached else whole_t).append(time.perf_counter() - t0)
                if cached:
                    got = out
                else:
                    ref = out
            if not all(torch.equal(a, b) for a, b in zip(ref, got, strict=True)):
                raise SystemExit("the cache changed a feature: stop")
        w = statistics.median(whole_t) / len(clips) * 1e3
        c = statistics.median(cached_t) / len(clips) * 1e3
        print(f"  stride {stride / fps:4.2f} s: {len(clips):3d} windows, whole {w:6.1f} ms / "
              f"window, cached {c:6.1f} ms / window, x{w / c:4.2f}; pairs computed "
              f"{cache.pairs_computed}, reused {cache.pairs_reused}; same bits: yes")


def scene(seconds: float, fps: Fraction, h: int = 72, w: int = 96) -> list[np.ndarray]:
    """Grey ``(h, w)`` ``uint8`` frames of a bed whose patient (an ellipse) shakes at 3 Hz."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.where((yy > 14) & (yy < 60) & (xx > 10) & (xx < 86), 90.0, 40.0)
    frames = []
    for i in range(round(seconds * float(fps))):
        t = i / float(fps)
        dx, dy = 4 * np.sin(2 * np.pi * 3 * t), 3 * np.cos(2 * np.pi * 2.3 * t)
        body = ((yy - 37 - dy) / 9) ** 2 + ((xx - 48 - dx) / 26) ** 2 < 1
        img = np.where(body, 200.0, base) + rng.normal(0, 2, (h, w))
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
    return frames


def bed(bundle_dir: Path, seconds: float, repeats: int) -> None:
    from ictal.models.bundle import load_bundle
    from ictal.models.compat import prediction_config
    from ictal.models.predict import load_bundle_backbone
    from ictal.monitor.bed import Scorer, Windower, motion_cache
    from ictal.monitor.sources import Frame

    b = load_bundle(bundle_dir)
    config, _ = prediction_config(b.meta)
    extractor = load_bundle_backbone(b)
    fps = Fraction(10)
    frames = scene(seconds, fps)
    with tempfile.TemporaryDirectory() as tmp:
        probe = Scorer(b, extractor, config, fps, Path(tmp) / "probe", "probe")
        window = probe.window
        print(f"bed: bundle {bundle_dir} ({extractor.name}), {len(frames)} frames of "
              f"{frames[0].shape[1]} x {frames[0].shape[0]} at {fps} fps, windows of {window} "
              f"frames, {repeats} interleaved repeats, 1 thread")
        for stride in (window, window // 2, window // 4):
            times: dict[bool, list[float]] = {False: [], True: []}
            probs: dict[bool, list[list[float] | None]] = {}
            counts = (0, 0)
            for r in range(repeats):
                for incremental in ((False, True) if r % 2 == 0 else (True, False)):
                    scorer = Scorer(b, extractor, config, fps, Path(tmp) / f"{incremental}",
                                    "bed", incremental=incremental)
                    wins = []
                    windower = Windower(window, stride)
                    for i, pixels in enumerate(frames):
                        wins += windower.push(Frame(i, pixels, 0.0))
                    for win in wins:  # calibrate first: only scoring is timed
                        scorer.offer(win.frames)
                        if scorer.calibrated:
                            break
                    t0 = time.perf_counter()
                    out = [scorer.score(win).probs for win in wins]
                    times[incremental].append((time.perf_counter() - t0) / len(wins))
                    probs[incremental] = out
                    cache = motion_cache(scorer.features_extractor)
                    if cache is not None:
                        counts = (cache.pairs_computed, cache.pairs_reused)
            if probs[False] != probs[True]:
                raise SystemExit("incremental scoring changed a probability: stop")
            w, c = (statistics.median(times[k]) * 1e3 for k in (False, True))
            print(f"  stride {stride / float(fps):4.2f} s: {len(probs[True]):3d} windows, whole "
                  f"{w:6.1f} ms / window, incremental {c:6.1f} ms / window, x{w / c:4.2f}; "
                  f"pairs computed {counts[0]}, reused {counts[1]}; same probabilities: yes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bundle", type=Path, default=None,
                        help="a bundle on the motion backbone: also time a bed's whole window")
    args = parser.parse_args()
    torch.set_num_threads(1)
    backbone(args.seconds, args.repeats)
    if args.bundle is not None:
        bed(args.bundle, args.seconds, args.repeats)


if __name__ == "__main__":
    main()
