"""Live monitoring on phantom nights: detection as the field reports it, and beds in real time.

Three disjoint sets of phantom patients (a seed each; night ``k`` of seed ``s`` is patient ``k``
of the phantom of seed ``s``):

* **training**, seed ``--seed + 1000``: a 24-patient phantom with the nights' recipe (one
  seizure each, 4-8 s of rest before and after, labelled NE) and, with ``--bedlife-nights N``
  (default 8), N nights of bed life of the same patients (``ictal monitor nights``: their
  ``manifest.yaml`` makes every bed-life segment an NE event) -- sleep, turning over, sitting
  up, scratching, eating, a visitor, staff care;
* **validation**, seed ``--seed + 2000``: ``--val-nights`` nights (default 6) on which the
  alarm rule is chosen (``ictal monitor select-rule``; never on the evaluation nights);
* **evaluation**, seed ``--seed``: ``--nights`` nights of ``--hours`` with ``--seizures``
  seizures each, scored once with the chosen rule.

Steps (each skipped when its output exists, so the script resumes):

1. render the training phantom and nights (then, when needed, the validation and the
   evaluation nights);
2. ``ictal extract`` (the monitor's preprocessing: infrared, no depth step, the whole frame;
   ``motion`` backbone, event windows): the phantom into ``features/``; the phantom's shards
   copied into ``features-bedlife/`` (same setting) and the training nights extracted beside;
3. ``ictal train --final --model fast``: ``model-seizures/bundle`` on the seizure recordings
   only (the bundle measured before bed life was added: the contrast),
   ``model-bedlife/bundle`` with the bed-life windows and, with ``--hard-negatives K`` > 1
   (default 10), ``model-hardneg/bundle`` on the same windows with the non-seizure class's
   weight x ``--ne-scale`` (default 5) and the hard negatives mined (``train.class_scale``,
   ``train.hard_negatives``: the bed-life windows the first model scores >= 0.5 -- scratching,
   mostly -- repeated K times in a second fit);
4. per bundle: ``ictal monitor run`` over the validation nights (``--speed 0``), ``ictal
   monitor select-rule`` -> the rule; ``ictal monitor run --alarm RULE`` over the evaluation
   nights, ``ictal monitor report`` -> ``report-<bundle>/detection.md``; the old default rule
   ``k-of-n:2/3@0.5`` replayed over the same journal for contrast;
5. per-bed adaptation (``--adapt``), off in step 4, evaluated by replaying each bundle's
   evaluation journal (its chosen rule, and the old default) with a simulated clinician
   answering each alarm ``--review-delay`` s after it (``report-<bundle>[-old-default]-adapt/``);
6. with ``--realtime S``: the evaluation nights' first S seconds as beds followed in real time
   at once (segment folders paced at x1), latency from a window's last frame to its
   probability.

Usage::

    .venv/bin/python benchmarks/bench_monitor_nights.py [--out DIR] [--nights 4] \\
        [--hours 0.6] [--seizures 2] [--bedlife-nights 8] [--val-nights 6] \\
        [--hard-negatives 10] [--ne-scale 5] [--realtime 60]

``--bedlife-nights 0`` trains the seizure-only bundle alone (the study as first measured).
Rendering and extraction dominate: 4.1-4.6 s of CPU per 60 s segment (scale 0.25, 15 fps);
the defaults render 24 phantom recordings and 120 + 144 + 144 segments (about 30 CPU minutes)
and extract the 120 training segments. Measured on 2026-12-03 on the shared 2-core machine
(load 7-17): about 2 h in all with 3 validation nights; with everything rendered and
extracted, the three bundles' training, validation and evaluation about 30 min at load 3
(README, "Phantom nights and detection").
"""

from __future__ import annotations

import argparse
import json
import shutil
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
OLD_DEFAULT = "k-of-n:2/3@0.5"


def ictal(*args: object) -> None:
    cmd = [sys.executable, "-m", "ictal", *(str(a) for a in args)]
    print("$", " ".join(cmd[2:]), flush=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"  ({time.perf_counter() - t:.0f} s)", flush=True)


def render(out: Path, n: int, hours: float, seizures: int, seed: int, workers: int) -> Path:
    """``n`` nights into ``out`` (resumable; its ``manifest.yaml`` written last)."""
    if not (out / "manifest.yaml").exists() or len(list(out.glob("*/night.json"))) < n:
        t = time.perf_counter()
        ictal("monitor", "nights", out, "--nights", n, "--hours", hours, "--seizures",
              seizures, "--seed", seed, "--workers", workers)
        print(f"{out.name}: {n} nights x {hours} h rendered in {time.perf_counter() - t:.0f} s",
              flush=True)
    return out


def follow(nights: Path, bundle: Path, journal: Path, alarm: str,
           adapt: str | None = None) -> float:
    """Every night of ``nights`` a bed of one ``ictal monitor run`` at ``--speed 0``
    (skipped when the journal holds every night); returns the seconds it took (0 if
    skipped)."""
    folders = sorted(nights.glob("N*/night.json"))
    if all((journal / f.parent.name / "windows.jsonl").exists() for f in folders) and (
            journal / "done").exists():
        return 0.0
    beds = []
    for f in folders:
        beds += ["--bed", f"{f.parent.name}={f.parent / 'ir'}"]
    t = time.perf_counter()
    ictal("monitor", "run", *beds, "--model", bundle, "--out", journal, "--speed", "0",
          "--end-after", "1", "--alarm", alarm, "--workers", "1",
          *(["--adapt", adapt] if adapt else []))
    (journal / "done").write_text("ok\n")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path,
                    default=Path(tempfile.gettempdir()) / "ictal-bench-monitor-nights")
    ap.add_argument("--nights", type=int, default=4)
    ap.add_argument("--hours", type=float, default=0.6)
    ap.add_argument("--seizures", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--patients", type=int, default=24)
    ap.add_argument("--bedlife-nights", type=int, default=8,
                    help="training nights of bed life (0: seizure recordings only)")
    ap.add_argument("--bedlife-hours", type=float, default=0.25)
    ap.add_argument("--bedlife-seizures", type=int, default=1)
    ap.add_argument("--val-nights", type=int, default=6)
    ap.add_argument("--val-hours", type=float, default=0.4)
    ap.add_argument("--val-seizures", type=int, default=4)
    ap.add_argument("--hard-negatives", type=int, default=10,
                    help="the hardneg bundle: hard negatives repeated K times (1: no bundle)")
    ap.add_argument("--ne-scale", type=float, default=5.0,
                    help="the hardneg bundle: weight multiplier of the NE class")
    ap.add_argument("--adapt", default="bar:0.02/0.95")
    ap.add_argument("--review-delay", type=float, default=120.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--realtime", type=float, default=0.0)
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    from ictal.phantom import generate_dataset
    from ictal.phantom.nights import NightsConfig

    seeds = {"training": args.seed + 1000, "validation": args.seed + 2000,
             "evaluation": args.seed}
    assert len(set(seeds.values())) == 3, "training, validation and evaluation share a seed"
    print(f"patients: seeds {seeds} (night k of seed s = phantom patient k of seed s)",
          flush=True)
    train = out / "train"
    if not (train / "manifest.yaml").exists():
        t = time.perf_counter()
        cfg = NightsConfig(seed=args.seed).phantom().model_copy(update={
            "seed": seeds["training"], "n_patients": args.patients})
        generate_dataset(cfg, train, workers=args.workers)
        print(f"training phantom: {time.perf_counter() - t:.0f} s", flush=True)
    train_nights = None
    if args.bedlife_nights > 0:
        if args.bedlife_nights > args.patients:
            raise SystemExit("--bedlife-nights: at most one night per training patient")
        train_nights = render(out / "train-nights", args.bedlife_nights, args.bedlife_hours,
                              args.bedlife_seizures, seeds["training"], args.workers)
    config = out / "preprocess.yaml"
    config.write_text(PREPROCESS)
    store = out / "features"
    if not (out / "features.done").exists():
        ictal("extract", train / "manifest.yaml", "--out", store, "--config", config,
              "--backbone", "motion")
        (out / "features.done").write_text("ok\n")
    bundles = {"seizures": (store, out / "model-seizures")}
    if train_nights is not None:
        bedlife = out / "features-bedlife"
        if not (out / "features-bedlife.done").exists():
            bedlife.mkdir(exist_ok=True)
            for shard in sorted(store.glob("*.h5")):  # the same setting: the phantom's shards
                shutil.copy2(shard, bedlife / shard.name)
            ictal("extract", train_nights / "manifest.yaml", "--out", bedlife, "--config",
                  config, "--backbone", "motion")
            (out / "features-bedlife.done").write_text("ok\n")
        bundles["bedlife"] = (bedlife, out / "model-bedlife")
        if args.hard_negatives > 1:
            bundles["hardneg"] = (bedlife, out / "model-hardneg")
    for name, (features, model) in bundles.items():
        sets = (["--set", f"train.class_scale.NE={args.ne_scale:g}", "--set",
                 f"train.hard_negatives={args.hard_negatives}"] if name == "hardneg" else [])
        if not (model / "bundle" / "bundle.json").exists():
            ictal("train", features, "--out", model, "--final", "--model", "fast",
                  "--no-mlflow", *sets)
    # the rule of each bundle, chosen on the validation nights
    val = render(out / "val-nights", args.val_nights, args.val_hours, args.val_seizures,
                 seeds["validation"], args.workers)
    for name, (_, model) in bundles.items():
        val_journal = out / f"journal-val-{name}"
        follow(val, model / "bundle", val_journal, OLD_DEFAULT)
        selection = out / f"selection-{name}"
        if not (selection / "selection.json").exists():
            ictal("monitor", "select-rule", val, "--journal", val_journal, "--out", selection)
    # scored once on the evaluation nights
    nights = render(out / "nights", args.nights, args.hours, args.seizures, seeds["evaluation"],
                    args.workers)
    results = {}
    for name, (_, model) in bundles.items():
        rule = json.loads((out / f"selection-{name}" / "selection.json").read_text())["chosen"]
        journal = out / f"journal-{name}"
        seconds = follow(nights, model / "bundle", journal, rule)
        report = out / f"report-{name}"
        ictal("monitor", "report", nights, "--journal", journal, "--out", report)
        ictal("monitor", "report", nights, "--journal", journal, "--out",
              out / f"report-{name}-old-default", "--alarm", OLD_DEFAULT)
        results[name] = (rule, seconds, report)
    name = next(k for k in ("hardneg", "bedlife", "seizures") if k in results)
    if args.adapt:  # each bundle, its chosen rule and the old default, adapting per bed
        for key, (rule, _, _) in results.items():
            for tag, alarm in (("", rule), ("-old-default", OLD_DEFAULT)):
                ictal("monitor", "report", nights, "--journal", out / f"journal-{key}",
                      "--out", out / f"report-{key}{tag}-adapt", "--alarm", alarm,
                      "--adapt", args.adapt, "--review-delay", args.review_delay)
    for key, (rule, seconds, report) in results.items():
        doc = json.loads((report / "detection.json").read_text())
        night_s = sum(n["seconds"] for n in doc["nights"])
        speed = f"x{night_s / seconds:.0f} real time" if seconds else "journal reused"
        print(f"\n## bundle {key}: rule {rule} (chosen on the validation nights); replay of "
              f"{night_s / 3600:.2f} h of nights ({args.nights} beds): {speed}")
        print((report / "detection.md").read_text())
        print(f"old default {OLD_DEFAULT}, replayed:")
        print((out / f"report-{key}-old-default" / "detection.md").read_text())
        if args.adapt:
            for tag in ("", "-old-default"):
                print(f"per-bed adaptation {args.adapt} (answers {args.review_delay:g} s "
                      f"after each alarm), rule {OLD_DEFAULT if tag else rule}:")
                print((out / f"report-{key}{tag}-adapt" / "detection.md").read_text())
    if args.realtime > 0:
        live = out / "journal-realtime"
        if live.exists():
            shutil.rmtree(live)
        beds = []
        for f in sorted(nights.glob("N*/night.json")):
            beds += ["--bed", f"{f.parent.name}={f.parent / 'ir'}"]
        ictal("monitor", "run", *beds, "--model", out / f"model-{name}" / "bundle", "--out",
              live, "--speed", "1", "--duration", args.realtime, "--alarm",
              results[name][0], "--workers", "2")


if __name__ == "__main__":
    main()
