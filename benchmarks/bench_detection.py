"""Scores the weight-free detectors against a phantom's ground truth.

For every recording of a phantom directory (``ictal phantom`` output: ``manifest.yaml``,
``depth/*.mkv``, ``groundtruth/*.npz``) frame 0 goes through the preprocessing of a plan
(denoise, Algorithm 1 depth crop) and each detector; the seeds' rule (best bed + best person,
+30 %, clipped) gives the crop box. A crop succeeds when it contains the ground-truth patient
box of frame 0 (second figure: of every frame, as the crop is decided once). For reference the
mean area of the crop that perfect boxes (ground-truth bed + patient of frame 0) would give is
printed too. Prints per-recording boxes, then per detector the success rate, the mean crop
area as a fraction of the frame and the mean detection time. Usage::

    python benchmarks/bench_detection.py PHANTOM_DIR [--detector depth-geometry depth-mask]

Times depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ictal.io import open_video
from ictal.phantom import load_ground_truth
from ictal.preprocess.boxes import box_area, clip_box, contains, expand_box, merge_boxes
from ictal.preprocess.config import DetectionConfig, PreprocessConfig
from ictal.preprocess.denoise import denoise_depth
from ictal.preprocess.depth_crop import apply_depth_crop, fit_depth_planes
from ictal.preprocess.detection import detection_crop_box
from ictal.preprocess.detector_factory import make_detector


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phantom", type=Path)
    parser.add_argument("--detector", nargs="+", default=["depth-geometry", "depth-mask"])
    parser.add_argument("--margin", type=float, default=0.3)
    args = parser.parse_args()
    detectors = {name: make_detector(PreprocessConfig(detection=DetectionConfig(detector=name)))
                 for name in args.detector}
    stats: dict[str, list[tuple[bool, bool, float, float]]] = {name: [] for name in detectors}
    ideal: list[float] = []
    gts = sorted((args.phantom / "groundtruth").glob("*.npz"))
    if not gts:
        raise SystemExit(f"{args.phantom}: no groundtruth/*.npz (is it an `ictal phantom` dir?)")
    for gt_path in gts:
        rid = gt_path.stem
        gt = load_ground_truth(gt_path)
        with open_video(args.phantom / "depth" / f"{rid}.mkv") as reader:
            depth = denoise_depth(reader.read(0, 1))
        planes = fit_depth_planes(depth[0])
        cropped, _ = apply_depth_crop(depth, None, *planes.bounds())
        h, w = depth.shape[1:]
        patient = tuple(int(x) for x in gt.patient_box[0])
        truth = merge_boxes(patient, tuple(int(x) for x in gt.bed_box[0]))  # type: ignore[arg-type]
        ideal.append(box_area(clip_box(expand_box(truth, args.margin), w, h)) / (w * h))
        line = [f"{rid:10s} patient={patient}"]
        for name, det in detectors.items():
            t0 = time.perf_counter()
            found = det.detect(np.zeros((h, w, 3), np.uint8), depth=cropped[0])
            dt = time.perf_counter() - t0
            crop = detection_crop_box(found, w, h, margin=args.margin).crop_box or (0, 0, w, h)
            ok = contains(crop, patient)  # type: ignore[arg-type]
            seen = [tuple(int(x) for x in b) for b in gt.patient_box if (b >= 0).all()]
            ok_all = all(contains(crop, b) for b in seen)  # type: ignore[arg-type]
            frac = box_area(crop) / (w * h)
            stats[name].append((ok, ok_all, frac, dt))
            line.append(f"{name}: crop={crop} area={frac:.2f} {'ok' if ok else 'MISS'}"
                        f"{'' if ok_all else ' (patient leaves it later)'}")
        print("  ".join(line))
    print()
    print(f"{'ground truth':15s} mean crop area: {np.mean(ideal):.1%} of the frame")
    for name, rows in stats.items():
        ok, ok_all, frac, dt = (np.asarray(c, float) for c in zip(*rows, strict=True))
        print(f"{name:15s} contains patient: frame 0 {ok.mean():.1%} ({int(ok.sum())}/{len(ok)})"
              f", every frame {ok_all.mean():.1%}  "
              f"mean crop area: {frac.mean():.1%} of the frame  "
              f"mean detect time: {1000 * dt.mean():.0f} ms")


if __name__ == "__main__":
    main()
