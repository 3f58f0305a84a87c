"""Frames per second of the packaged pose and face models on this CPU (ai-edge-litert).

For each of the five model files, at 1 and 2 interpreter threads:

* ``invoke``: the model alone, on an input already prepared (``TfliteModel.__call__``);
* ``with pre/post``: the whole step on a frame: letterbox or rotated crop, value scaling,
  inference, decoding, NMS or landmark projection back to frame pixels;

then the trackers per frame: ``PoseTracker`` / ``FaceTracker`` following a person (landmark model
only) and re-detecting (detector on the frame's four quarter turns + landmark model).

Frames: the UCF-101 cricket clip's frame 50 (a standing umpire) and the astronaut photograph
from ``tests/data/samples``, upscaled to ``--width`` x ``--height`` (default 1920 x 1080, the
clinic's full HD; the crop and letterbox work on the full frame).

    .venv/bin/python benchmarks/bench_landmarks.py [--width 1920 --height 1080] [--seconds 2]

Needs the models (``ictal landmarks install``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence

from ictal.landmarks.detector import SsdDetector
from ictal.landmarks.face import FACE_DETECTORS, FaceLandmarker, FaceTracker
from ictal.landmarks.files import MEDIAPIPE_0_10_21
from ictal.landmarks.pose import POSE_DETECTOR, PoseLandmarker, PoseTracker
from ictal.landmarks.runtime import TfliteModel

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "data" / "samples"


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second: median over bursts, after a warm-up call."""
    fn()
    times: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 5:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1.0 / statistics.median(times)


def frames(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    with Image.open(SAMPLES / "v_CricketShot_g04_c01_rgb.gif") as gif:
        person = [f.convert("RGB") for f in ImageSequence.Iterator(gif)][50]
    with Image.open(SAMPLES / "astronaut_face.jpg") as im:
        face = im.convert("RGB")
    size = (width, height)
    return (np.asarray(person.resize(size, Image.BILINEAR)),
            np.asarray(face.resize(size, Image.BILINEAR)))


def invoke_rate(name: str, threads: int, seconds: float) -> float:
    """Calls per second of one model file alone, on a prepared input."""
    model = TfliteModel(name, threads=threads)
    size = model.input_size
    x = np.random.default_rng(0).uniform(-1, 1, (size, size, 3)).astype(np.float32)
    return rate(lambda: model(x), seconds)


def bench(threads: int, person: np.ndarray, face: np.ndarray, s: float
          ) -> list[tuple[str, str, int, float, float]]:
    """Rows (name, input, threads, invoke /s, with pre/post /s) at ``threads``."""
    pose_det = SsdDetector(POSE_DETECTOR, threads=threads)
    pose_lm = PoseLandmarker(threads=threads)
    tracker = PoseTracker(threads=threads)
    pose = tracker(person)
    assert pose is not None, "no person in the benchmark frame"
    face_lm = FaceLandmarker(threads=threads)
    face_tracker = FaceTracker(threads=threads)
    found = face_tracker(face)
    assert found is not None, "no face in the benchmark frame"
    short = SsdDetector(FACE_DETECTORS["short"], threads=threads)
    full_range = SsdDetector(FACE_DETECTORS["full"], threads=threads)
    steps: dict[str, Callable[[], object]] = {
        "pose_detection": lambda: pose_det.detect_upright(person),
        "pose_landmark_full": lambda: pose_lm(person, pose.roi),
        "face_detection_short_range": lambda: short.detect_upright(face),
        "face_detection_full_range": lambda: full_range.detect_upright(face),
        "face_landmark": lambda: face_lm(face, found.roi),
    }
    rows = [(spec.name, str(spec.input_size), threads, invoke_rate(spec.name, threads, s),
             rate(steps[spec.name], s)) for spec in MEDIAPIPE_0_10_21.models]

    def track_pose() -> None:
        tracker._roi = pose.roi  # follow: landmark model only
        tracker(person)

    def redetect_pose() -> None:
        tracker.reset()  # detector on 4 turns + landmark model
        tracker(person)

    def track_face() -> None:
        face_tracker._roi = found.roi
        face_tracker(face)

    def redetect_face() -> None:
        face_tracker.reset()
        face_tracker(face)

    nan = float("nan")
    rows += [("PoseTracker following", "-", threads, nan, rate(track_pose, s)),
             ("PoseTracker re-detecting (4 turns)", "-", threads, nan, rate(redetect_pose, s)),
             ("FaceTracker following", "-", threads, nan, rate(track_face, s)),
             ("FaceTracker re-detecting (4 turns)", "-", threads, nan, rate(redetect_face, s))]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    args = parser.parse_args()
    person, face = frames(args.width, args.height)
    print(f"frames {args.width}x{args.height}, {os.cpu_count()} CPUs, "
          f"{args.seconds:g} s per measurement (median of calls)")
    rows = [row for threads in (1, 2) for row in bench(threads, person, face, args.seconds)]
    print(f"{'model / step':36s} {'input':>5s} {'threads':>7s} {'invoke /s':>10s} "
          f"{'with pre/post /s':>17s}")
    for name, size, threads, invoke, whole in sorted(rows, key=lambda r: (r[0], r[2])):
        inv = "-" if np.isnan(invoke) else f"{invoke:.0f}"
        print(f"{name:36s} {size:>5s} {threads:7d} {inv:>10s} {whole:17.0f}")


if __name__ == "__main__":
    main()
