"""Beds served in real time by ``ictal monitor run`` on this CPU: motion, I3D fp32, I3D bf16.

Each run is one ``ictal monitor run`` process following 1 or 3 phantom beds -- recorder
segment folders replayed at x1 (``--speed 1``), 2 s windows at a stride of 2 s or 1 s --
for ``--seconds`` (``--duration``), as a ward's machine would. Per run:

* windows **expected** (the complete windows in the frames the beds received), **scored**,
  **not assessable** and **dropped** -- the monitor's back-pressure: a bed holds at most
  ``--max-pending`` windows waiting for compute and drops the oldest beyond, journaled and
  logged (README, "Live bedside monitoring"); any window expected but not journaled would be
  a silent loss and is flagged;
* **latency** from a window's last frame to its probability (``latency_s`` of the beds'
  ``windows.jsonl``): mean, 95th percentile and max over the scored windows after each
  bed's first, and the first window's apart (the largest over the beds: it also waits for
  the calibration plan);
* **CPU** seconds of the monitor process while it followed the beds (from its line
  ``following N bed(s)``, printed once the backbone is warmed up, to its exit; psutil
  samples, the total from ``wait4``), as cores per bed, and its **peak RSS** (``wait4``'s
  ``ru_maxrss``); the CPU seconds per scored window (what a window costs whatever share of
  the machine the process got); the warm-up's seconds (the backbone's first run, before any
  feed is read);
* the machine's 1-minute **load average** before and after (the machine is shared).

A configuration is *served in real time* when no window was dropped and the 95th percentile
of the latency (after the first window) is at most the stride (no backlog building up). 3
beds are run only where one bed kept up -- no window dropped -- (else the line says it was
skipped). The notes under the table give each run's warm-up, start-up and how late its feeds
handed over their first window (a reader starved by the shared machine shows there).

Speed, not accuracy, is measured: the I3D checkpoint is **seeded random weights** of the
public port's network (``random_state_dict``, the conformance recipe) written by the script
into its own weights folder (``ICTAL_WEIGHTS_DIR``) -- the same arithmetic as the real
``rgb_imagenet.pt``. Each backbone's bundle is trained (``ictal train --final --model fast``)
on that backbone's features of a tiny phantom (``ictal phantom --preset tiny``, infrared
only, at the beds' picture and rate) so that the monitor has something to run; I3D's bundle
is trained on fp32 features and run at ``--precision fp32`` and ``bf16``.

Steps (each skipped when its output exists, so the script resumes; ``--redo`` runs the
monitor runs again):

1. the random I3D checkpoint (``weights/rgb_imagenet.pt``);
2. ``ictal phantom --preset tiny --streams ir --scale 0.25 --fps FPS`` (``phantom-<FPS>fps/``);
3. per backbone ``ictal extract`` (the monitor's preprocessing: infrared, no depth step, the
   whole frame) and ``ictal train --final`` (``model-<backbone>/bundle``);
4. ``ictal monitor nights`` (``beds-<FPS>fps-<K>x60s/``): 3 nights of bed life at the same
   picture and rate, long enough for ``--seconds`` (K segments of 60 s);
5. the runs (``runs/<backbone>-s<stride>-b<beds>[-p<max-pending>]/``: the journal,
   ``monitor.log``, ``result.json``), then the table of this invocation's runs
   (``results.md``, ``results.json``).

Usage::

    .venv/bin/python benchmarks/bench_monitor_live.py [--out DIR] [--seconds 60] \\
        [--fps 30] [--workers 2] [--max-pending 3] [--only motion,i3d-fp32,i3d-bf16] [--redo]

Beds at 30 fps (a Kinect's rate) give I3D its full 60-frame sample per 2 s window, as the
README's ``bench_precision.py`` figures; at 15 fps it would see 30 frames (and run in torch,
not ONNX Runtime). From scratch about 15 min: preparation about 2.5 min (I3D's extraction
80 s of it), then 9 runs of 65-95 s (3 skipped). A run reflects the share of the CPU the
process got: on a shared machine compare the CPU seconds per window, and repeat a run
(move its folder away) to see the spread. Measured on 2026-12-03 on the shared 2-core
machine: README, "Live bedside monitoring", "In real time".
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from ictal.jsonl import read_jsonl

PREPROCESS = """\
# the monitor's preprocessing for single-stream infrared beds: no depth step, the whole frame
source: ir
depth_crop: {enabled: false}
detection: {enabled: false, on_depth_cropped: false}
"""
SUMMARY = re.compile(r"^bed (\S+): (\d+) frames, (\d+) windows scored, (\d+) not assessable "
                     r".*?, (\d+) dropped,")
FOLLOWING = re.compile(r"^following (\d+) bed\(s\) \(backbone warmed up in ([\d.]+) s\)")


@dataclass(frozen=True)
class Setting:
    """A monitor configuration: its name, backbone and ``--precision``."""

    name: str
    backbone: str
    precision: str | None


SETTINGS = (Setting("motion", "motion", None), Setting("i3d-fp32", "i3d", "fp32"),
            Setting("i3d-bf16", "i3d", "bf16"))


def ictal(*args: object, env: dict[str, str] | None = None) -> None:
    cmd = [sys.executable, "-m", "ictal", *(str(a) for a in args)]
    print("$", " ".join(cmd[2:]), flush=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    print(f"  ({time.perf_counter() - t:.0f} s)", flush=True)


def write_random_i3d(weights: Path, seed: int) -> Path:
    """Seeded random weights of the public I3D port's network as ``rgb_imagenet.pt``."""
    path = weights / "rgb_imagenet.pt"
    if not path.exists():
        import torch

        from ictal.backbones.checkpoints import random_state_dict
        from ictal.backbones.extractor import build_network
        from ictal.backbones.registry import default_registry

        weights.mkdir(parents=True, exist_ok=True)
        network = build_network(default_registry().get("i3d"))
        tmp = path.with_suffix(".tmp")
        torch.save(random_state_dict(network, seed=seed), tmp)
        tmp.rename(path)
    print(f"NOTE: I3D runs on seeded random weights (seed {seed}, {path}): speed is measured, "
          "not accuracy; the arithmetic is the real checkpoint's.", flush=True)
    return path


def follow(cmd: list[str], env: dict[str, str], log_path: Path, beds: int
           ) -> dict[str, Any]:
    """Run ``ictal monitor run`` (``cmd``), sampling its CPU and memory; what it printed and
    used."""
    stamped: list[tuple[float, str]] = []
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            stamped.append((time.monotonic(), line.rstrip("\n")))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ps = psutil.Process(proc.pid)
    samples: list[tuple[float, float]] = []  # (monotonic, user + system CPU s)
    t0 = time.monotonic()
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        try:
            cpu = ps.cpu_times()
            samples.append((time.monotonic(), cpu.user + cpu.system))
        except psutil.Error:
            pass
        time.sleep(0.25)
    t_end = time.monotonic()
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join(10)
    log_path.write_text("\n".join(f"{t - t0:8.2f} {line}" for t, line in stamped) + "\n")
    if proc.returncode != 0:
        raise SystemExit(f"ictal monitor run failed ({proc.returncode}); see {log_path}")
    following = [(t, m) for t, line in stamped if (m := FOLLOWING.match(line))]
    if not following or int(following[0][1][1]) != beds:
        raise SystemExit(f"{log_path}: the monitor did not follow its {beds} beds")
    start, warm_s = following[0][0], float(following[0][1][2])
    cpu_total = usage.ru_utime + usage.ru_stime
    before = [c for t, c in samples if t <= start]
    cpu_start = before[-1] if before else 0.0
    summaries = summaries_of(line for _, line in stamped)
    return {"wall_s": t_end - t0, "followed_s": t_end - start, "startup_s": start - t0,
            "warm_up_s": warm_s,
            "cpu_s": cpu_total, "cpu_following_s": cpu_total - cpu_start,
            "peak_rss_mb": usage.ru_maxrss / 1024, "summaries": summaries,
            "log_lines": len(stamped)}


def summaries_of(lines: Any) -> dict[str, dict[str, int]]:
    """Per bed, the counts the monitor printed on exit (``frames`` received, ...)."""
    out = {}
    for line in lines:
        if m := SUMMARY.match(line):
            out[m[1]] = {"frames": int(m[2]), "scored": int(m[3]),
                         "not_assessable": int(m[4]), "dropped": int(m[5])}
    return out


def journal_figures(journal: Path, summaries: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Per-run window counts and latencies from the beds' journals."""
    expected = scored = not_assessable = dropped = 0
    latencies: list[float] = []
    firsts: list[float] = []
    feed_delays: list[float] = []
    reasons: dict[str, int] = {}
    precision = None
    for bed, summary in sorted(summaries.items()):
        meta = json.loads((journal / bed / "bed.json").read_text())
        precision = meta.get("precision")
        window, stride = int(meta["window"]), int(meta["stride"])
        frames = summary["frames"]
        expected += (frames - window) // stride + 1 if frames >= window else 0
        records = read_jsonl(journal / bed / "windows.jsonl")
        bed_lat = [r["latency_s"] for r in records if r["state"] == "scored"
                   and r["latency_s"] is not None]
        if bed_lat:  # the first also waited for the calibration plan: apart
            firsts.append(bed_lat[0])
            # how late the feed handed its first scored window's last frame over (paced at
            # x1 from the feed's start: t_stop after it; a reader starved by the machine)
            start = next(n["wall"] for n in read_jsonl(journal / bed / "notes.jsonl")
                         if n["kind"] == "connected")
            first = next(r for r in records if r["state"] == "scored")
            feed_delays.append(first["wall"] - first["latency_s"] - start - first["t_stop"])
        latencies += bed_lat[1:]
        for r in records:
            if r["state"] == "scored":
                scored += 1
            elif r["state"] == "dropped":
                dropped += 1
            else:
                not_assessable += 1
                key = str(r["reason"]).split(":")[0]
                reasons[key] = reasons.get(key, 0) + 1
    journaled = scored + not_assessable + dropped
    lat = {"mean": statistics.fmean(latencies), "p95": float(np.quantile(latencies, 0.95)),
           "max": max(latencies), "first_max": max(firsts),
           "windows": len(latencies)} if latencies else None
    return {"expected": expected, "scored": scored, "not_assessable": not_assessable,
            "dropped": dropped, "unjournaled": expected - journaled, "latency": lat,
            "not_assessable_reasons": reasons, "precision": precision,
            "feed_delay_s": max(feed_delays, default=None)}


def run_one(args: argparse.Namespace, setting: Setting, stride: float, n_beds: int,
            bundle: Path, beds_dir: Path, env: dict[str, str]) -> dict[str, Any]:
    """One monitor run (or its saved result)."""
    key = f"{setting.name}-s{stride:g}-b{n_beds}" + (
        f"-p{args.max_pending}" if args.max_pending != 3 else "")
    folder = args.out / "runs" / key
    done = folder / "result.json"
    if done.exists() and not args.redo:
        print(f"{key}: result kept ({done})", flush=True)
        kept = json.loads(done.read_text())
        # the window figures again from the journal (what they are computed from may have
        # grown since the run)
        logged = [line[9:] for line in (folder / "monitor.log").read_text().splitlines()]
        figures = journal_figures(folder / "journal", summaries_of(logged))
        figures.pop("precision")
        kept.update(figures)
        return kept
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    journal = folder / "journal"
    cmd = [sys.executable, "-m", "ictal", "monitor", "run", "--model", str(bundle), "--out",
           str(journal), "--speed", "1", "--duration", f"{args.seconds:g}", "--stride",
           f"{stride:g}", "--workers", str(args.workers), "--max-pending",
           str(args.max_pending)]
    if setting.precision:
        cmd += ["--precision", setting.precision]
    for k in range(1, n_beds + 1):
        cmd += ["--bed", f"N{k:02d}={beds_dir / f'N{k:02d}' / 'ir'}"]
    print("$", " ".join(cmd[2:]), flush=True)
    load_before = os.getloadavg()[0]
    used = follow(cmd, env, folder / "monitor.log", n_beds)
    load_after = os.getloadavg()[0]
    figures = journal_figures(journal, used.pop("summaries"))
    lat = figures["latency"]
    realtime = figures["dropped"] == 0 and lat is not None and lat["p95"] <= stride
    result = {"setting": setting.name, "backbone": setting.backbone,
              "precision": figures.pop("precision"), "stride_s": stride, "beds": n_beds,
              **figures, **used, "load_before": load_before, "load_after": load_after,
              "realtime": realtime, "workers": args.workers, "max_pending": args.max_pending,
              "seconds": args.seconds, "date": time.strftime("%Y-%m-%d %H:%M")}
    done.write_text(json.dumps(result, indent=1) + "\n")
    print(line_of(result), flush=True)
    return result


def line_of(r: dict[str, Any]) -> str:
    """A result as a row of the Markdown table."""
    lat = r["latency"]
    lat_s = "-" if lat is None else (f"{lat['mean']:.2f} / {lat['p95']:.2f} / {lat['max']:.2f}"
                                     f" ({lat['first_max']:.2f})")
    cores = r["cpu_following_s"] / r["followed_s"] / r["beds"]
    lost = f", **{r['unjournaled']} not journaled**" if r["unjournaled"] else ""
    na = f", {r['not_assessable']} n/a" if r["not_assessable"] else ""
    verdict = ("yes" if r["realtime"] else "no: windows dropped" if r["dropped"]
               else "no: none dropped, but latency p95 > stride")
    return (f"| {r['setting']} | {r['stride_s']:g} s | {r['beds']} | {r['expected']} / "
            f"{r['scored']}{na} / {r['dropped']}{lost} | {lat_s} | {r['cpu_following_s']:.0f} s "
            f"({cores:.2f}; {r['cpu_following_s'] / max(r['scored'], 1):.2f} s) | "
            f"{r['peak_rss_mb']:.0f} MB | {r['load_before']:.1f} → "
            f"{r['load_after']:.1f} | {verdict} |")


HEADER = ("| backbone | stride | beds | windows expected / scored / dropped | latency mean / "
          "p95 / max s (first window) | CPU following (cores per bed; per scored window) | "
          "peak RSS | load before → after | real time |\n|---|---|---|---|---|---|---|---|---|")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path,
                    default=Path(tempfile.gettempdir()) / "ictal-bench-monitor-live")
    ap.add_argument("--seconds", type=float, default=60.0, help="seconds each run follows")
    ap.add_argument("--fps", type=int, default=30, help="frame rate of the beds")
    ap.add_argument("--strides", default="2,1", help="strides (s), comma-separated")
    ap.add_argument("--beds", default="1,3", help="bed counts, comma-separated")
    ap.add_argument("--workers", type=int, default=2, help="the monitor's compute threads")
    ap.add_argument("--max-pending", type=int, default=3)
    ap.add_argument("--only", default=",".join(s.name for s in SETTINGS))
    ap.add_argument("--seed", type=int, default=0, help="random weights' and phantoms' seed")
    ap.add_argument("--redo", action="store_true", help="run the monitor runs again")
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    settings = [s for s in SETTINGS if s.name in args.only.split(",")]
    strides = [float(s) for s in args.strides.split(",")]
    bed_counts = sorted(int(b) for b in args.beds.split(","))
    env = {**os.environ, "ICTAL_WEIGHTS_DIR": str(out / "weights")}
    if any(s.backbone == "i3d" for s in settings):
        write_random_i3d(out / "weights", args.seed)
    if any(s.precision == "bf16" for s in settings):
        import torch

        if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
            print("NOTE: this CPU's oneDNN has no bfloat16 kernels: i3d-bf16 skipped")
            settings = [s for s in settings if s.precision != "bf16"]
    phantom = out / f"phantom-{args.fps}fps"
    if not (phantom / "manifest.yaml").exists():
        ictal("phantom", "--preset", "tiny", "--out", phantom, "--streams", "ir", "--scale",
              0.25, "--fps", args.fps, "--seed", args.seed, "--workers", 2, "--no-progress")
    config = out / "preprocess.yaml"
    config.write_text(PREPROCESS)
    bundles: dict[str, Path] = {}
    for backbone in dict.fromkeys(s.backbone for s in settings):
        store, model = out / f"features-{backbone}", out / f"model-{backbone}"
        if not (out / f"features-{backbone}.done").exists():
            ictal("extract", phantom / "manifest.yaml", "--out", store, "--config", config,
                  "--backbone", backbone, env=env)
            (out / f"features-{backbone}.done").write_text("ok\n")
        if not (model / "bundle" / "bundle.json").exists():
            ictal("train", store, "--out", model, "--final", "--model", "fast", "--no-mlflow",
                  env=env)
        bundles[backbone] = model / "bundle"
    segments = math.ceil((args.seconds + 30) / 60)
    beds_dir = out / f"beds-{args.fps}fps-{segments}x60s"
    if len(list(beds_dir.glob("N*/night.json"))) < max(bed_counts):
        ictal("monitor", "nights", beds_dir, "--nights", max(bed_counts), "--hours",
              f"{segments / 60:.6f}", "--seizures", 0, "--fps", args.fps, "--seed", args.seed,
              "--workers", 2)
    print(f"prepared in {time.perf_counter() - t_all:.0f} s; machine: {os.cpu_count()} cores, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'default')}", flush=True)
    results = []
    for setting in settings:
        for stride in strides:
            served = True
            for n in bed_counts:
                if n > 1 and not served:
                    print(f"{setting.name} stride {stride:g} s, {n} beds: skipped (one bed "
                          "already could not keep up: windows dropped)", flush=True)
                    results.append({"setting": setting.name, "stride_s": stride, "beds": n,
                                    "skipped": True})
                    continue
                r = run_one(args, setting, stride, n, bundles[setting.backbone], beds_dir, env)
                results.append(r)
                if n == 1:
                    served = r["dropped"] == 0
    rows = [HEADER]
    for r in results:
        if r.get("skipped"):
            rows.append(f"| {r['setting']} | {r['stride_s']:g} s | {r['beds']} | skipped: one "
                        "bed already could not keep up (windows dropped) | | | | | |")
        else:
            rows.append(line_of(r))
    table = "\n".join(rows)
    (out / "results.md").write_text(table + "\n")
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"\n{args.seconds:g} s per run at x1, beds at {args.fps} fps, --workers "
          f"{args.workers}, --max-pending {args.max_pending}; latency from a window's last "
          "frame to its probability after each bed's first window (the first apart); CPU "
          "while following (cores per bed = CPU s / followed s / beds; CPU s per scored "
          "window); real time = none "
          "dropped and latency p95 <= stride\n")
    print(table)
    print()
    for r in results:
        if r.get("skipped"):
            continue
        na = (f"; not assessable {r['not_assessable_reasons']}"
              if r["not_assessable_reasons"] else "")
        delay = r.get("feed_delay_s")
        late = "" if delay is None else f", first window handed over {delay:+.1f} s late"
        print(f"{r['setting']} s{r['stride_s']:g} b{r['beds']}: warm-up {r['warm_up_s']:.1f} s, "
              f"start-up {r['startup_s']:.1f} s, followed {r['followed_s']:.1f} s, CPU in all "
              f"{r['cpu_s']:.0f} s{late}{na}")
    print(f"\ntotal {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()
