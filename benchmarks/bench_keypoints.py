"""Keypoints of the ``model`` source: frames/s on this CPU and accuracy against the phantom.

Generates (or reuses, with ``--keep DIR``) two phantoms -- the Kinect preset (512x424 16-bit
infrared + registered depth, 30 fps) and the clinic camera (2D H.264 by day in colour and by
night in infrared, 704x576 to 1920x1080, 25 / 29.97 fps) -- with short seizures, runs
``ModelSource`` (the packaged BlazePose + face mesh, tracked, re-detected, bed from the first
seconds' consensus) on every recording, lifts the Kinect keypoints through the depth, and
prints per setting: keypoint frames/s, PCK@0.1 of the torso, mean 2D error per joint (px), the
share of frames with a skeleton and of those on the patient, the face found, and the 3D error
(mm) -- also of the ground truth's own 2D keypoints lifted through the depth (the method's floor).

Usage::

    .venv/bin/python benchmarks/bench_keypoints.py [--patients 3] [--keep DIR]
    .venv/bin/python benchmarks/bench_keypoints.py --night --patients 2   # clinic by night only

Figures depend on the machine and on what else runs on it; the phantom is not photographic, so
the accuracy is the models' on the phantom, not on patients.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ictal.keypoints.accuracy import score_body
from ictal.keypoints.depth import LiftOptions
from ictal.keypoints.extract import maybe_lift
from ictal.keypoints.layout import BODY_JOINTS
from ictal.keypoints.model import ModelSource
from ictal.keypoints.phantom import PhantomSource
from ictal.manifest import Recording, load_manifest
from ictal.phantom import PhantomConfig, generate_dataset

SHORT = dict(events_per_patient=(1, 1), pre_s=(1.0, 1.5), post_s=(1.0, 1.5),
             duration_scale=0.05)


def _dataset(cfg: PhantomConfig, out: Path) -> Path:
    result = generate_dataset(cfg, out, workers=1, progress=False)
    if result.report.exit_code:
        sys.exit(f"phantom failed: {result.report.summary()}")
    return result.manifest_path


def run(manifest_path: Path, label_of: Callable[[Recording], str]) -> dict[str, list[dict]]:
    m = load_manifest(manifest_path)
    src, truth_src = ModelSource(progress_bar=False), PhantomSource()
    groups: dict[str, list[dict]] = {}
    for rec in m.recordings:
        t = time.perf_counter()
        pred = src(m, rec)
        seconds = time.perf_counter() - t
        truth = truth_src(m, rec)
        row: dict = {"recording": rec.id, "frames": len(pred), "seconds": seconds}
        if rec.has_stream("depth"):
            pred = maybe_lift(m, rec, pred, LiftOptions())
            flat = replace(truth, body_3d=None, face_3d=None)
            floor = maybe_lift(m, rec, flat, LiftOptions())
            d = np.linalg.norm(floor.body_3d - truth.body_3d, axis=-1) * 1000
            row["truth_lifted_3d_mm"] = float(np.nanmedian(d))
        row.update(score_body(pred, truth))
        row["face_found"] = float((pred.face[..., 2] > 0).any(1).mean())
        groups.setdefault(label_of(rec), []).append(row)
    return groups


def summary(name: str, rows: list[dict]) -> dict:
    frames = sum(r["frames"] for r in rows)
    secs = sum(r["seconds"] for r in rows)

    def ms(key: str) -> str:
        v = [r[key] for r in rows if r.get(key) is not None]
        return f"{np.mean(v):.2f} ± {np.std(v):.2f}" if v else "-"

    per_joint = {j: np.nanmean([r["error_px_per_joint"][j] if r["error_px_per_joint"][j]
                                is not None else np.nan for r in rows]) for j in BODY_JOINTS}
    out = {"setting": name, "recordings": len(rows), "frames": frames,
           "frames_per_s": frames / secs, "pck@0.1": ms("pck"), "error_px": ms("error_px"),
           "found": ms("found"), "on_patient": ms("on_patient"), "face_found": ms("face_found"),
           "error_3d_mm": ms("error_3d_mm"), "truth_lifted_3d_mm": ms("truth_lifted_3d_mm"),
           "error_px_per_joint": {j: round(float(v), 1) for j, v in per_joint.items()}}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--patients", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None)
    ap.add_argument("--night", action="store_true",
                    help="only the clinic camera, every recording by night (infrared)")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="ictal-bench-kp-"))
    if args.night:
        cfg = PhantomConfig.clinic(n_patients=2 * args.patients, seed=11, **SHORT)
        cfg = cfg.model_copy(update={
            "clinic_camera": cfg.clinic_camera.model_copy(update={"p_night": 1.0})})
        night = _dataset(cfg, root / "clinic-night")
        rows = run(night, lambda rec: f"clinic-{rec.streams[0].kind}")
        print(json.dumps([summary(k, v) for k, v in sorted(rows.items())], indent=1))
        return
    kinect = _dataset(PhantomConfig.tiny(n_patients=args.patients, seed=11, scale=1.0,
                                         **SHORT), root / "kinect")
    clinic = _dataset(PhantomConfig.clinic(n_patients=2 * args.patients, seed=11, **SHORT),
                      root / "clinic")
    results = []
    for name, rows in run(kinect, lambda rec: "kinect-ir").items():
        results.append(summary(name, rows))

    def clinic_label(rec: Recording) -> str:
        return f"clinic-{rec.streams[0].kind}"

    for name, rows in sorted(run(clinic, clinic_label).items()):
        results.append(summary(name, rows))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
