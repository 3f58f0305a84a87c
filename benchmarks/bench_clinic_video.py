"""Clinic video at 1920x1080: peak memory of extraction and prediction, speed of the 2D chain.

Writes its own synthetic H.264 MP4s with ictal's writer (1920x1080, 25 fps, a keyframe every
second, ultrafast x264: a textured room and two moving shapes, grey as night-vision footage
stored in a colour format), one per length (default 10 s and 10 min), then, each in a child
process so that its peak RSS (``ru_maxrss``) is its own:

1. ``ictal extract`` with variant ``2d`` (the pose model looks for the patient on the first
   seconds, low light on, sliding windows of 2 s) and the ``motion`` backbone;
2. ``ictal predict`` of the video with a bundle trained (on random features, a few seconds)
   for the same preprocessing and backbone;
3. on the short video, the chain stage by stage: decoding alone, planning (IR window / low
   light, pose detection), decoding + crop + tone map + resize + normalise (``iter_samples``),
   and everything through the backbone (``features_of_samples``), in frames/s.

Usage::

    .venv/bin/python benchmarks/bench_clinic_video.py [--seconds 10 600] [--keep DIR]

A 10-minute 1080p video takes about 2.5 min to write and each 10-minute run several minutes
on a 2-core machine; figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

W, H, FPS = 1920, 1080, 25
CONFIG = "variant: 2d\n"


def frames_cycle(n: int = 50) -> list[np.ndarray]:
    """``n`` ``(H, W)`` ``uint8`` frames repeated to make any length: a dim textured room, a
    bright moving block (the patient) and a small fast one (a hand at 3 Hz)."""
    ys, xs = np.mgrid[0:H, 0:W]
    room = (((xs // 80 + ys // 80) % 2) * 25 + 35).astype(np.uint8)
    out = []
    for i in range(n):
        frame = room.copy()
        cx = int(960 + 250 * np.sin(2 * np.pi * i / n))
        frame[420:660, cx - 200:cx + 200] = 170
        hx = int(cx + 150 + 40 * np.sin(2 * np.pi * 3 * i / FPS))
        frame[380:420, hx - 20:hx + 20] = 230
        out.append(frame)
    return out


def write_video(path: Path, seconds: float) -> float:
    """The synthetic 1080p H.264 video; returns the seconds it took."""
    from ictal.io import H264Writer

    t0 = time.perf_counter()
    cycle = frames_cycle()
    with H264Writer(path, FPS, W, H, gop=FPS, crf=30, preset="ultrafast") as writer:
        for i in range(round(seconds * FPS)):
            writer.write(cycle[i % len(cycle)])
    return time.perf_counter() - t0


def make_bundle(folder: Path) -> Path:
    """A bundle for the ``2d`` preprocessing and the ``motion`` backbone, trained in seconds
    on random features (its predictions mean nothing; the run's cost is what is measured)."""
    from ictal.backbones import load_backbone
    from ictal.models.bundle import save_bundle
    from ictal.models.config import TrainConfig
    from ictal.models.lstm import LSTMClassifier
    from ictal.models.presets import preset
    from ictal.preprocess.config import resolve_config

    (folder / "2d.yaml").write_text(CONFIG)
    config = resolve_config(folder / "2d.yaml")
    extractor = load_backbone("motion")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, extractor.timesteps, extractor.features)).astype(np.float32)
    y = np.asarray(["FLE", "TLE"] * 8)
    cfg = preset("fast").model_copy(update={"lstm_units": (8, 8), "fc_units": (8, 8),
                                            "train": TrainConfig(epochs=1, batch_size=16)})
    est = LSTMClassifier(lstm_units=(8, 8), fc_units=(8, 8), train=cfg.train).fit(x, y)
    provenance = {**extractor.provenance(), "preprocess": config.model_dump(mode="json"),
                  "windows": "events", "stride": None}
    return save_bundle(folder / "bundle", est, cfg, provenance=provenance,
                       training={"rows": 16}, frame_rates=[float(FPS)])


def child(argv: list[str]) -> None:
    """Run ``ictal ARGV`` in this process, then print its own peak RSS and time as JSON."""
    from ictal.cli import main as cli

    sys.argv = ["ictal", *argv]
    t0 = time.perf_counter()
    code = 0
    try:
        cli.app()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    print(json.dumps({"code": code, "seconds": time.perf_counter() - t0,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run_child(*argv: object) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", *(str(a) for a in argv)],
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise RuntimeError(f"ictal {' '.join(map(str, argv))} failed:\n{out.stdout}{out.stderr}")
    return result


def stages(manifest_path: Path, config_path: Path) -> dict[str, float]:
    """Seconds and frames of each stage of the 2D chain on one recording (this process)."""
    from ictal.backbones import load_backbone
    from ictal.features.extract import features_of_samples
    from ictal.io import open_video
    from ictal.manifest import load_manifest
    from ictal.preprocess.config import resolve_config
    from ictal.preprocess.pipeline import iter_samples
    from ictal.preprocess.planner import plan_recording

    manifest = load_manifest(manifest_path)
    rec = manifest.recordings[0]
    config = resolve_config(config_path)
    extractor = load_backbone("motion")
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    with open_video(manifest.resolve(rec.streams[0]), threads=config.decode_threads) as reader:
        out["frames"] = sum(1 for _ in reader.iter_frames())
    out["decode_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan = plan_recording(manifest, rec.id, config)
    out["plan_s"] = time.perf_counter() - t0
    out["crop"] = plan.keyframes[0].crop_box  # type: ignore[assignment]

    def samples() -> Iterator:
        return iter_samples(manifest, plan, config, extractor.input_spec, windows="sliding")

    t0 = time.perf_counter()
    for _ in samples():
        pass
    out["samples_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    features_of_samples(samples(), extractor, batch_size=8, attrs={})
    out["features_s"] = time.perf_counter() - t0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=[10.0, 600.0],
                        help="lengths of the test videos")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the videos here (and reuse them on the next run)")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    with tempfile.TemporaryDirectory(prefix="ictal-bench-clinic-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        bundle = make_bundle(root)
        config = root / "2d.yaml"
        for seconds in args.seconds:
            folder = root / f"{seconds:g}s"
            video = folder / "videos" / "P1" / "ward.mp4"
            video.parent.mkdir(parents=True, exist_ok=True)
            written = 0.0 if video.is_file() else write_video(video, seconds)
            manifest = folder / "manifest.yaml"
            run_child("manifest", "init", folder / "videos", "--out", manifest, "--force")
            n = round(seconds * FPS)
            print(f"{seconds:g} s of {W}x{H} H.264 at {FPS} fps ({n} frames, "
                  f"{video.stat().st_size / 1e6:.1f} MB, written in {written:.0f} s)")
            store = folder / "store"
            shutil.rmtree(store, ignore_errors=True)  # a kept store would be skipped
            ext = run_child("extract", manifest, "--out", store, "--config", config,
                            "--windows", "sliding")
            print(f"  ictal extract (variant 2d, motion): peak RSS {ext['peak_rss_mb']:.0f} MB, "
                  f"{ext['seconds']:.1f} s, {n / ext['seconds']:.1f} frames/s")
            pred = run_child("predict", video, "--model", bundle, "--out", folder / "pred")
            print(f"  ictal predict (the video):        peak RSS {pred['peak_rss_mb']:.0f} MB, "
                  f"{pred['seconds']:.1f} s, {n / pred['seconds']:.1f} frames/s")
        short = root / f"{min(args.seconds):g}s"
        s = stages(short / "manifest.yaml", config)
        n = s["frames"]
        print(f"2D chain, stage by stage ({n:.0f} frames of {W}x{H} H.264, crop {s['crop']}):")
        print(f"  decode to RGB arrays:                  {n / s['decode_s']:.1f} frames/s")
        print(f"  plan (low light fit, pose search):     {s['plan_s']:.1f} s")
        prep = s["samples_s"] - s["decode_s"]
        print(f"  decode + crop + tone map + resize:     {n / s['samples_s']:.1f} frames/s "
              f"(preprocessing alone ~{n / max(prep, 1e-9):.0f} frames/s)")
        backbone = s["features_s"] - s["samples_s"]
        print(f"  ... + motion backbone (features):      {n / s['features_s']:.1f} frames/s "
              f"(backbone alone ~{n / max(backbone, 1e-9):.0f} frames/s)")
        print(f"  whole chain, plan included:            "
              f"{n / (s['plan_s'] + s['features_s']):.1f} frames/s")


if __name__ == "__main__":
    main()
