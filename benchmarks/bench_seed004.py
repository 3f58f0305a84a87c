"""Seed 004 on the HKN phantom: LOSO runs of Table 1 (+ lateralisation), the report, speed.

    .venv/bin/python benchmarks/bench_seed004.py OUT [--seed 0] [--small]

Writes the phantom cohort (OUT/data), one `ictal evaluate`-style run folder per (task,
model) under OUT/runs, and OUT/report.html; prints the training time per LOSO fold and the
inference frames/s of each stream on this CPU. ``--small`` trains reduced networks (AGCN
channels 8-16-16-32, TCN 2 x 16, 32 timesteps, 15 epochs) so the 19-fold runs fit a shared
2-core machine; the published configuration is the default.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ictal.evaluation.cv import run_cross_validation
from ictal.evaluation.seed004 import RUNS, write_seed004_report
from ictal.features.semiology import SemiologyInputs, semiology_table, write_hkn_dataset
from ictal.manifest.io import load_manifest
from ictal.models.presets import preset
from ictal.models.registry import build_estimator

SMALL = {"agcn_channels": (8, 16, 16, 32), "agcn_strides": (1, 2, 1, 2),
         "tcn_channels": (16, 16)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--small", action="store_true")
    args = ap.parse_args()
    data = args.out / "data"
    manifest_path = data / "manifest.yaml"
    if not manifest_path.exists():
        write_hkn_dataset(data, seed=args.seed)
    manifest = load_manifest(manifest_path, check_files=False)
    frames = 32 if args.small else 64
    inputs = SemiologyInputs(manifest, data / "keypoints", data / "appearance")
    tables = {}
    for task, model in RUNS:
        if task not in tables:
            tables[task] = semiology_table(inputs, task, frames=frames)
        cfg = preset(model)
        if args.small:
            cfg = cfg.model_copy(update={**SMALL, "train": cfg.train.model_copy(
                update={"epochs": 15})})
        start = time.perf_counter()
        result = run_cross_validation(tables[task], model_config=cfg, protocol="loso",
                                      selection="honest", seed=args.seed,
                                      out_dir=args.out / "runs" / f"{task}-{model}",
                                      progress=False)
        per_fold = (time.perf_counter() - start) / len(result.folds)
        f1 = result.summary["f1_macro"]["mean"]
        print(f"{task:15s} {model:14s} {len(result.folds)} folds, {per_fold:6.1f} s per fold "
              f"(this run; reused folds count 0), macro F1 over subjects {f1:.3f}", flush=True)
        est = build_estimator(cfg)
        table = tables[task]
        est.fit(table.subset(np.arange(min(8, len(table)))), classes=sorted(set(table.label)))
        t0 = time.perf_counter()
        est.predict_proba(table)
        fps = table.features.shape[0] * table.features.shape[1] / (time.perf_counter() - t0)
        print(f"  inference: {fps:,.0f} timesteps/s ({model}, batch of {len(table)} clips)")
    write_seed004_report(args.out / "runs", args.out / "report.html")
    print(f"report: {args.out / 'report.html'}")


if __name__ == "__main__":
    main()
