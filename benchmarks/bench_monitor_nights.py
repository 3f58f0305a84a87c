"""Live monitoring on phantom nights: detection as the field reports it, and beds in real time.

Steps (each skipped when its output exists, so the script resumes):

1. a training phantom of **other patients** (seed ``--seed + 1000``) with the nights' recipe
   (:meth:`ictal.phantom.nights.NightsConfig.phantom`: Kinect infrared only, scale 0.25,
   15 fps, seizure durations x0.5, 4-8 s of rest before and after) -- 24 patients, one
   seizure each, pre-ictal / post-ictal rest labelled NE;
2. ``ictal extract`` with the monitor's preprocessing (infrared, no depth step, the whole
   frame: ``--config`` written here) and the ``motion`` backbone, event windows;
3. ``ictal train --final`` (model preset ``fast``) -> the bundle (labels FLE, NE, TLE);
4. ``ictal monitor nights``: ``--nights`` nights of ``--hours`` each with ``--seizures``
   seizures (patients 1..n of seed ``--seed``: none of them in training);
5. ``ictal monitor run`` over every night's segment folder, replayed as fast as compute goes
   (results identical to real-time replay: tested), one bed per night;
6. ``ictal monitor report`` -> ``detection.md`` / ``detection.json`` / timelines;
7. with ``--realtime S``: the nights' first S seconds as beds followed in real time at once
   (segment folders paced at x1), latency from a window's last frame to its probability.

Usage::

    .venv/bin/python benchmarks/bench_monitor_nights.py [--out DIR] [--nights 3] \
        [--hours 0.4] [--seizures 2] [--alarm k-of-n:2/3@0.5] [--realtime 60]

Rendering dominates: ~10 s per 60 s segment on an idle core (3 nights of 0.4 h: 72
segments, about 6 min on 2 idle cores; much longer on a busy machine).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PREPROCESS = """\
# the monitor's preprocessing for single-stream infrared beds: no depth step, the whole frame
source: ir
depth_crop: {enabled: false}
detection: {enabled: false, on_depth_cropped: false}
"""


def ictal(*args: object) -> None:
    cmd = [sys.executable, "-m", "ictal", *(str(a) for a in args)]
    print("$", " ".join(cmd[2:]), flush=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"  ({time.perf_counter() - t:.0f} s)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path,
                    default=Path(tempfile.gettempdir()) / "ictal-bench-monitor-nights")
    ap.add_argument("--nights", type=int, default=3)
    ap.add_argument("--hours", type=float, default=0.4)
    ap.add_argument("--seizures", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--patients", type=int, default=24)
    ap.add_argument("--alarm", default="k-of-n:2/3@0.5")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--realtime", type=float, default=0.0)
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    from ictal.phantom import generate_dataset
    from ictal.phantom.nights import NightsConfig

    nc = NightsConfig(n_nights=args.nights, hours=args.hours, seizures=args.seizures,
                      seed=args.seed)
    train = out / "train"
    if not (train / "manifest.yaml").exists():
        t = time.perf_counter()
        cfg = nc.phantom().model_copy(update={"seed": args.seed + 1000,
                                              "n_patients": args.patients})
        generate_dataset(cfg, train, workers=args.workers)
        print(f"training phantom: {time.perf_counter() - t:.0f} s", flush=True)
    config = out / "preprocess.yaml"
    config.write_text(PREPROCESS)
    store = out / "features"
    if not (out / "features.done").exists():
        ictal("extract", train / "manifest.yaml", "--out", store, "--config", config,
              "--backbone", "motion")
        (out / "features.done").write_text("ok\n")
    bundle = out / "model" / "bundle"
    if not (bundle / "bundle.json").exists():
        ictal("train", store, "--out", out / "model", "--final", "--model", "fast",
              "--no-mlflow")
    nights = out / "nights"
    if len(list(nights.glob("*/night.json"))) < args.nights:
        ictal("monitor", "nights", nights, "--nights", args.nights, "--hours", args.hours,
              "--seizures", args.seizures, "--seed", args.seed, "--workers", args.workers)
    journal = out / f"journal-{args.alarm.replace(':', '_').replace('/', '-')}"
    beds = []
    for folder in sorted(nights.glob("N*")):
        beds += ["--bed", f"{folder.name}={folder / 'ir'}"]
    t = time.perf_counter()
    ictal("monitor", "run", *beds, "--model", bundle, "--out", journal, "--speed", "0",
          "--end-after", "1", "--alarm", args.alarm, "--workers", "1")
    seconds = time.perf_counter() - t
    report = journal / "report"
    ictal("monitor", "report", nights, "--journal", journal, "--out", report)
    doc = json.loads((report / "detection.json").read_text())
    night_s = sum(n["seconds"] for n in doc["nights"])
    print(f"replay: {night_s / 3600:.2f} h of nights in {seconds:.0f} s "
          f"(x{night_s / seconds:.0f} real time, {args.nights} beds)")
    print((report / "detection.md").read_text())
    if args.realtime > 0:
        live = out / "journal-realtime"
        if live.exists():
            import shutil

            shutil.rmtree(live)
        ictal("monitor", "run", *beds, "--model", bundle, "--out", live, "--speed", "1",
              "--duration", args.realtime, "--alarm", args.alarm, "--workers", "2")


if __name__ == "__main__":
    main()
