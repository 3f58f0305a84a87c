"""Benchmark of the preprocessing chain on Kinect-sized (512 x 424) IR + depth video.

Prints three figures:

1. compute alone: detection crop, denoise, depth crop, 8 bit, resize, pad, on frames
   already in memory (target >= 300 frames/s), and the same plus normalisation to
   ``(3, T, 224, 224)`` float32 in [-1, 1];
2. the whole chain from FFV1 files, decode included (``plan_recording`` + ``iter_samples``
   with IR and depth decoded in parallel threads, 2 decoder threads each; target >= 30
   frames/s);
3. peak RSS of that chain for two recording lengths (flat in length; target < 1 GB for a
   10-minute recording: ``--minutes 10``).

The chain runs in a child process so its peak RSS is its own. Usage::

    python benchmarks/bench_preprocess.py [--minutes 1] [--keep DIR]

Numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

H, W, FPS = 424, 512, 30


def scene(t: int, base: np.ndarray, ys: np.ndarray, xs: np.ndarray,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One IR + depth frame: a bed along x, a moving patient, pepper noise, staff at times."""
    depth = base.copy()
    cx, cy = 256 + 80 * np.sin(t / 10), 200 + 10 * np.cos(t / 7)
    bump = (xs - cx) ** 2 + ((ys - cy) * 2) ** 2 < 40**2
    depth[bump] -= 150
    ir = np.where(np.abs(ys - 200) < 60, 3000, 1200).astype(np.uint16)
    ir[bump] = 4500
    if (t // 150) % 4 == 3:  # a staff member in front of the bed
        depth[60:400, 400:460] = 1500
        ir[60:400, 400:460] = 5000
    depth[rng.random((H, W)) < 0.01] = 0
    ir = ir + rng.integers(0, 50, (H, W), dtype=np.uint16)
    return ir, depth


def write_recording(folder: Path, n_frames: int) -> None:
    from ictal.io import Ffv1Writer

    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    base = np.rint(2500 + 0.5 * xs + 0.02 * (ys - 200) ** 2).astype(np.uint16)
    rng = np.random.default_rng(0)
    with Ffv1Writer(folder / "ir.mkv", FPS, W, H) as ir_w, \
            Ffv1Writer(folder / "depth.mkv", FPS, W, H) as d_w:
        for t in range(n_frames):
            ir, depth = scene(t, base, ys, xs, rng)
            ir_w.write(ir)
            d_w.write(depth)


def manifest_for(folder: Path, n_frames: int):  # -> Manifest
    from ictal.manifest import Event, Manifest, Patient, Recording, Stream

    streams = [Stream(kind=k, path=str(folder / f"{k}.mkv"), fps=FPS, width=W, height=H,
                      n_frames=n_frames) for k in ("ir", "depth")]
    return Manifest(labels=["FLE"], patients=[Patient(id="P1")],
                    recordings=[Recording(id="R1", patient="P1", streams=streams)],
                    events=[Event(id="E1", recording="R1", t0=0, t1=n_frames / FPS,
                                  label="FLE")])


def bench_compute(n: int = 256, chunk: int = 32) -> dict[str, float]:
    """Frames/s of the spatial steps on in-memory frames."""
    from ictal.inputspec import InputSpec
    from ictal.preprocess.config import PreprocessConfig
    from ictal.preprocess.denoise import denoise_depth
    from ictal.preprocess.depth_crop import fit_depth_planes
    from ictal.preprocess.frame_prep import FramePrep
    from ictal.preprocess.frames import fit_square, normalise
    from ictal.preprocess.intensity import fit_ir_window, to_uint8

    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    base = np.rint(2500 + 0.5 * xs + 0.02 * (ys - 200) ** 2).astype(np.uint16)
    rng = np.random.default_rng(0)
    pairs = [scene(t, base, ys, xs, rng) for t in range(n)]
    ir = np.stack([p[0] for p in pairs])
    depth = np.stack([p[1] for p in pairs])
    window = fit_ir_window(ir[:60])
    prep = FramePrep(PreprocessConfig(), fit_depth_planes(denoise_depth(depth[0])).bounds(),
                     window)
    box = (40, 100, 480, 330)
    spec = InputSpec(frames=60, size=224)
    fit_square(to_uint8(ir[:2], window), 224)  # warm up torch

    def run(with_norm: bool) -> float:
        t0 = time.perf_counter()
        for s in range(0, n, chunk):
            # denoise + depth crop + 8 bit on the detection box (what iter_samples does)
            grey = prep.cropped(ir[s:s + chunk], depth[s:s + chunk], box, crop_depth=True)
            square, _ = fit_square(grey, 224)
            if with_norm:
                normalise(square, spec)
        return n / (time.perf_counter() - t0)

    return {"compute_fps": max(run(False) for _ in range(3)),
            "compute_with_normalise_fps": max(run(True) for _ in range(2))}


def worker(folder: Path, n_frames: int) -> None:
    """Child process: the whole chain on one recording; prints JSON."""
    from ictal.inputspec import InputSpec
    from ictal.preprocess.config import variant_config
    from ictal.preprocess.pipeline import iter_samples
    from ictal.preprocess.planner import plan_recording

    manifest = manifest_for(folder, n_frames)
    config = variant_config("B")
    spec = InputSpec(frames=60, size=224)
    t0 = time.perf_counter()
    plan = plan_recording(manifest, "R1", config)
    t1 = time.perf_counter()
    frames = samples = 0
    for sample in iter_samples(manifest, plan, config, spec):
        frames += sample.span.n_frames
        samples += 1
    t2 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"frames": frames, "samples": samples, "plan_s": t1 - t0,
                      "stream_s": t2 - t1, "chain_fps": frames / (t2 - t1),
                      "peak_rss_mb": peak_mb}))


def run_worker(folder: Path, n_frames: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--worker", str(folder), str(n_frames)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0,
                        help="length of the long recording (the short one is a quarter)")
    parser.add_argument("--keep", type=Path, default=None, help="write the videos here")
    parser.add_argument("--worker", nargs=2, metavar=("DIR", "FRAMES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(Path(args.worker[0]), int(args.worker[1]))
        return
    print(f"compute alone (in-memory {W}x{H} IR + depth -> 224x224): ", end="", flush=True)
    c = bench_compute()
    print(f"{c['compute_fps']:.0f} frames/s; with normalisation to (3, T, 224, 224) "
          f"[-1, 1]: {c['compute_with_normalise_fps']:.0f} frames/s (target >= 300)")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        for minutes in (args.minutes / 4, args.minutes):
            n = round(minutes * 60 * FPS)
            folder = root / f"{n}"
            folder.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            if not (folder / "depth.mkv").is_file():
                write_recording(folder, n)
            written = time.perf_counter() - t0
            r = run_worker(folder, n)
            print(f"{minutes:.2f} min ({n} frames, written in {written:.0f} s): whole chain "
                  f"from FFV1 {r['chain_fps']:.1f} frames/s (target >= 30), plan "
                  f"{r['plan_s']:.1f} s, {r['samples']} samples, peak RSS "
                  f"{r['peak_rss_mb']:.0f} MB (target < 1024 MB)")


if __name__ == "__main__":
    main()
