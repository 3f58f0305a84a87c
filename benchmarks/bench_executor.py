"""Local executor against Ray: ``ictal extract`` throughput with 1 and 2 decode workers.

On a phantom of ``--patients`` recordings (tiny preset: 320 x 240 infrared + depth, motion
backbone unless ``--backbone``), prints for each executor

* the cluster start (Ray only) and the extraction's wall-clock time, windows/s and frames/s
  (windows x clip length), and the overhead of Ray against the local run;
* the per-stage throughput of the batch summary (decode + crop per task worker, inference per
  actor, the driver's writes);
* the peak RSS of each Ray worker process (decode tasks and inference actors) and of the
  driver.

``--device cuda`` gives each inference actor a GPU (frames/s per GPU actor). Ray ``N`` workers
means a private cluster of ``N + 1`` CPUs: N decode tasks and one inference actor. On a 2-core
machine the 2-worker cluster is oversubscribed (3 processes on 2 cores): the figure says what
Ray costs here, not how it scales; ``docs/scaling.md`` turns the per-worker figures into a
plan for N nodes. Usage::

    python benchmarks/bench_executor.py [--patients 4] [--workers 1 2] [--device cpu]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from functools import partial
from pathlib import Path


def peak_rss_mb(title: str) -> list[float]:
    """VmHWM (MB) of the live processes whose command line starts with ``title``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if not cmd.startswith(title):
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=4)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--backbone", default="motion")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()

    from ictal.backbones import load_backbone
    from ictal.executor import ExecutorConfig, open_executor
    from ictal.features.extract import extract_manifest
    from ictal.features.store import read_features
    from ictal.manifest import load_manifest
    from ictal.phantom import PhantomConfig, generate_dataset
    from ictal.preprocess.config import variant_config

    tmp = Path(tempfile.mkdtemp(prefix="bench-executor-"))
    generate_dataset(PhantomConfig.tiny(n_patients=args.patients, seed=3), tmp / "data",
                     workers=2, progress=False)
    manifest = load_manifest(tmp / "data" / "manifest.yaml")
    cfg = variant_config("B")
    extractor = load_backbone(args.backbone, device="cpu", pretrained=False)
    loader = partial(load_backbone, args.backbone, pretrained=False,
                     device="cuda" if args.device.startswith("cuda") else "cpu")

    t = time.perf_counter()
    report = extract_manifest(manifest, tmp / "local", load_backbone(
        args.backbone, device=args.device, pretrained=False), cfg, show_progress=False)
    local_s = time.perf_counter() - t
    table = read_features(tmp / "local")
    windows = len(table)
    frames = int((table.stop_frame - table.start_frame).sum())
    print(f"{len(manifest.recordings)} recordings, {windows} windows, {frames} frames, "
          f"backbone {args.backbone}, device {args.device}")
    print(f"local: {local_s:.1f} s, {windows / local_s:.2f} windows/s, "
          f"{frames / local_s:.1f} frames/s; exit {report.exit_code}; driver peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    import ray

    for n in args.workers:
        t = time.perf_counter()
        gpus = 1.0 if args.device.startswith("cuda") else 0.0
        config = ExecutorConfig(kind="ray", num_cpus=n + 1, gpus_per_actor=gpus)
        with open_executor(config) as ex:
            start_s = time.perf_counter() - t
            t = time.perf_counter()
            rep = extract_manifest(manifest, tmp / f"ray{n}", extractor, cfg,
                                   show_progress=False, executor=ex, loader=loader)
            wall = time.perf_counter() - t
            tasks = peak_rss_mb("ray::")
            print(f"ray, {n} decode worker(s) + 1 inference actor ({ex.describe()}):")
            print(f"  cluster start {start_s:.1f} s; extraction {wall:.1f} s, "
                  f"{windows / wall:.2f} windows/s, {frames / wall:.1f} frames/s; "
                  f"overhead vs local {wall / local_s:.2f}x (with start "
                  f"{(wall + start_s) / local_s:.2f}x); exit {rep.exit_code}")
            for line in rep.notes:
                print(f"  {line}")
            if tasks:
                print(f"  peak RSS per Ray process: {min(tasks):.0f}-{max(tasks):.0f} MB "
                      f"({len(tasks)} processes, workers and agents)")
        assert not ray.is_initialized()


if __name__ == "__main__":
    main()
