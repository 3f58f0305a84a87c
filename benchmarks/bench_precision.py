"""I3D in reduced precision: speed beside the port and fp32, and fidelity to fp32 features.

**Speed** (one process, interleaved): the same I3D network, same seeded random weights, run

- ``port``: as the public PyTorch port runs it (fp32, contiguous, an ``F.pad`` copy before
  every convolution, separate batch norm; ``optimize=False``);
- ``fp32``: ictal's default optimised path (folded BN, channels-last, ONNX Runtime);
- ``bf16``: ``precision="bf16"`` (bfloat16 weights and activations, conv + ReLU fused in
  oneDNN, float32 accumulation and features).

Each round runs every engine once, in a rotating order; the figure to read on a shared machine
is the median over rounds of the *paired* ratio port time / engine time (the runs of a round
are seconds apart, so they see about the same load), beside the ratio of the median times.

**Fidelity** of bf16 to fp32 features (same weights): raw cosine similarity per feature row
(a timestep of a window), and *centred* cosine (both minus the fp32 mean row of the set),
which discounts the part of the features every input shares (large with random weights:
tests/data/conformance/README.md); relative error ``||bf16 - fp32|| / ||fp32 - mean||``.
Inputs: the UCF-101 cricket clip of ``tests/data/samples`` (60-frame windows every 5 frames)
and the crops of a tiny phantom (seed 0, sliding windows through ictal's preprocessing).
The phantom's rows then train the demo's classifier (``--model``, ``fast``) on fp32 features
of half the patients and predict the other half from fp32 and from bf16 features (both
halves in turn): the decisions that change and the largest probability change.

On a machine shared with other jobs, torch's OpenMP threads spin while they wait for each
other and lose their time slices: with 2 threads under a load of 13 the torch engines (port
and bf16) ran 2-3x slower than with ``OMP_WAIT_POLICY=PASSIVE`` or one thread, ONNX Runtime
(its own thread pool) did not. Run it both ways there; the header prints the policy.

    .venv/bin/python benchmarks/bench_precision.py --rounds 7 --json precision.json
    OMP_WAIT_POLICY=PASSIVE .venv/bin/python benchmarks/bench_precision.py --rounds 7
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import torch
import torch.nn.functional as F

from ictal.backbones import default_registry, make_extractor
from ictal.backbones.checkpoints import random_state_dict
from ictal.backbones.extractor import FeatureExtractor, build_network, remove_head

SAMPLES = Path(__file__).parents[1] / "tests" / "data" / "samples"


def _network(seed: int) -> torch.nn.Module:
    spec = default_registry().get("i3d")
    network = build_network(spec)
    remove_head(spec, network)
    network.load_state_dict(random_state_dict(network, seed=seed))
    return network.eval()


def extractors(seed: int) -> dict[str, FeatureExtractor]:
    """``port``, ``fp32`` (default engine) and ``bf16`` extractors with the same weights."""
    spec = default_registry().get("i3d")
    network = _network(seed)
    return {
        "port": make_extractor(spec, copy.deepcopy(network), optimize=False),
        "fp32": make_extractor(spec, copy.deepcopy(network)),
        "bf16": make_extractor(spec, copy.deepcopy(network), precision="bf16"),
    }


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def speed(engines: dict[str, FeatureExtractor], batch: int, rounds: int) -> dict[str, Any]:
    """Interleaved timings of a ``(batch, 3, 60, 224, 224)`` clip; ratios to ``port``."""
    g = torch.Generator().manual_seed(batch)
    x = torch.rand(batch, 3, 60, 224, 224, generator=g) * 2 - 1
    names = list(engines)
    for name in names:  # warm-up: ONNX export and session, oneDNN primitives
        engines[name](x)
    load_before = psutil.getloadavg()[0]
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            times[name].append(_time(lambda e=engines[name]: e(x)))
    out: dict[str, Any] = {"batch": batch, "rounds": rounds, "load_before": load_before,
                           "load_after": psutil.getloadavg()[0], "engines": {}}
    base = statistics.median(times["port"])
    for name in names:
        med = statistics.median(times[name])
        paired = statistics.median(p / t for p, t in zip(times["port"], times[name],
                                                         strict=True))
        out["engines"][name] = {
            "median_s": med, "min_s": min(times[name]), "clips_per_s": batch / med,
            "ratio_of_medians": base / med, "paired_ratio": paired,
            "times_s": [round(t, 3) for t in times[name]],
        }
    return out


def compare(ref: torch.Tensor, low: torch.Tensor) -> dict[str, float]:
    """Fidelity of rows ``low`` ``(M, F)`` to ``ref`` ``(M, F)``."""
    ref, low = ref.double(), low.double()
    mean = ref.mean(0, keepdim=True)
    raw = F.cosine_similarity(ref, low, dim=1)
    centred = F.cosine_similarity(ref - mean, low - mean, dim=1)
    return {"rows": int(ref.shape[0]), "cos_min": raw.min().item(), "cos_mean": raw.mean().item(),
            "centred_cos_min": centred.min().item(),
            "centred_cos_mean": centred.mean().item(),
            "rel_error": ((low - ref).norm() / (ref - mean).norm()).item(),
            "max_abs_diff": (low - ref).abs().max().item(),
            "feature_abs_mean": ref.abs().mean().item()}


def cricket_windows(step: int = 5) -> torch.Tensor:
    """``(N, 3, 60, 224, 224)`` windows of the UCF-101 cricket clip in ``[-1, 1]``."""
    from PIL import Image, ImageSequence

    with Image.open(SAMPLES / "v_CricketShot_g04_c01_rgb.gif") as gif:
        frames = np.stack([np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)])
    clip = torch.from_numpy(frames).permute(3, 0, 1, 2).float() / 127.5 - 1  # (3, T, H, W)
    starts = range(0, clip.shape[1] - 60 + 1, step)
    return torch.stack([clip[:, s:s + 60] for s in starts])


def fidelity_clip(engines: dict[str, FeatureExtractor]) -> dict[str, Any]:
    x = cricket_windows()
    ref, mask = engines["fp32"](x)
    low, _ = engines["bf16"](x)
    return {"windows": int(x.shape[0]), **compare(ref[mask], low[mask])}


def phantom_tables(engines: dict[str, FeatureExtractor], work: Path, stride: int,
                   n_patients: int) -> tuple[Any, Any]:
    """fp32 and bf16 feature tables of a tiny phantom's sliding windows (variant B)."""
    from ictal.features.extract import ExtractOptions, extract_manifest
    from ictal.features.store import read_features
    from ictal.manifest import load_manifest
    from ictal.phantom import PhantomConfig, generate_dataset
    from ictal.preprocess.config import variant_config

    manifest_path = work / "phantom" / "manifest.yaml"
    if not manifest_path.exists():
        generate_dataset(PhantomConfig.tiny(n_patients=n_patients, seed=0,
                                            events_per_patient=(2, 2), duration_scale=0.1),
                         work / "phantom", workers=1, progress=False)
    manifest = load_manifest(manifest_path)
    cfg = variant_config("B")
    options = ExtractOptions(batch_size=4, windows="sliding", stride=stride)
    tables = []
    for name in ("fp32", "bf16"):
        store = work / f"store-{name}"
        report = extract_manifest(manifest, store, engines[name], cfg, options=options,
                                  show_progress=False)
        if report.exit_code:
            raise RuntimeError(f"extraction ({name}) failed: {report.summary()}")
        tables.append(read_features(store))
    return tables[0], tables[1]


def decisions(ref: Any, low: Any, model: str, seed: int) -> dict[str, Any]:
    """Train on fp32 rows of half the patients, predict the others from fp32 and bf16."""
    from ictal.models.presets import load_model_config
    from ictal.models.registry import build_estimator

    if not (np.array_equal(ref.start_frame, low.start_frame)
            and np.array_equal(ref.recording, low.recording)):
        raise RuntimeError("the fp32 and bf16 stores hold different windows")
    patients = sorted(set(ref.patient))
    halves = [patients[::2], patients[1::2]]
    classes = sorted(set(ref.label))
    flips, n, agree_truth = 0, 0, [0, 0]
    changes, margins = [], []
    for train_p, test_p in (halves, halves[::-1]):
        train = ref.subset(np.flatnonzero(np.isin(ref.patient, train_p)))
        test_rows = np.flatnonzero(np.isin(ref.patient, test_p))
        est = build_estimator(load_model_config(model), seed=seed).fit(train, classes=classes)
        p32 = est.predict_proba(ref.subset(test_rows))
        p16 = est.predict_proba(low.subset(test_rows))
        d32, d16 = p32.argmax(1), p16.argmax(1)
        flips += int((d32 != d16).sum())
        n += len(d32)
        changes.append(np.abs(p32 - p16).max(1))
        top = np.sort(p32, 1)
        margins.append(top[:, -1] - top[:, -2])  # how far each fp32 decision is from a tie
        truth = np.searchsorted(est.classes_, ref.label[test_rows])
        agree_truth[0] += int((d32 == truth).sum())
        agree_truth[1] += int((d16 == truth).sum())
    change, margin = np.concatenate(changes), np.concatenate(margins)
    return {"model": model, "classes": classes, "rows": n, "decisions_changed": flips,
            "max_prob_change": float(change.max()),
            "median_prob_change": float(np.median(change)),
            "fp32_margin_min": float(margin.min()),
            "fp32_margin_median": float(np.median(margin)),
            "accuracy_fp32": agree_truth[0] / n, "accuracy_bf16": agree_truth[1] / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timed rounds")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=0, help="random weights' seed")
    parser.add_argument("--threads", type=int, default=None, help="torch / ORT threads")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-phantom", action="store_true")
    parser.add_argument("--phantom-patients", type=int, default=6)
    parser.add_argument("--stride", type=int, default=60, help="phantom window stride, frames")
    parser.add_argument("--model", default="fast", help="the classifier (demo's: fast)")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for the phantom and its stores (default: temporary; "
                             "an existing phantom there is reused)")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    result: dict[str, Any] = {
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "cpus": psutil.cpu_count(), "load_start": psutil.getloadavg(),
        "bf16_kernels": torch.ops.mkldnn._is_mkldnn_bf16_supported(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
    }
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads (OMP_WAIT_POLICY "
          f"{result['omp_wait_policy']}), load average "
          f"{result['load_start'][0]:.1f} on {psutil.cpu_count()} CPUs (shared machine: "
          "read the ratios)")
    engines = extractors(args.seed)
    print("engines: " + ", ".join(f"{k} ({e.engine}, {e.precision})"
                                  for k, e in engines.items()))
    if not args.skip_speed:
        result["speed"] = []
        for batch in args.batches:
            s = speed(engines, batch, args.rounds)
            result["speed"].append(s)
            print(f"batch {batch}, {args.rounds} rounds, load {s['load_before']:.1f} -> "
                  f"{s['load_after']:.1f}:")
            for name, e in s["engines"].items():
                print(f"  {name:5s} median {e['median_s']:6.2f} s (min {e['min_s']:5.2f})  "
                      f"{60 * e['clips_per_s']:6.1f} frames/s  x{e['paired_ratio']:4.2f} "
                      f"paired, x{e['ratio_of_medians']:4.2f} of medians vs port")
    clip = fidelity_clip(engines)
    result["fidelity_cricket"] = clip
    print(f"cricket clip, {clip['windows']} windows, {clip['rows']} rows: cosine min "
          f"{clip['cos_min']:.6f}, centred min {clip['centred_cos_min']:.4f} mean "
          f"{clip['centred_cos_mean']:.4f}, relative error {clip['rel_error']:.4f}")
    if not args.skip_phantom:
        with tempfile.TemporaryDirectory() as tmp:
            work = args.work or Path(tmp)
            work.mkdir(parents=True, exist_ok=True)
            ref, low = phantom_tables(engines, work, args.stride, args.phantom_patients)
            mask = ref.mask
            fid = compare(torch.from_numpy(ref.features[mask]),
                          torch.from_numpy(low.features[mask]))
            dec = decisions(ref, low, args.model, args.seed)
        result["fidelity_phantom"] = fid
        result["decisions"] = dec
        print(f"phantom crops, {len(ref)} windows, {fid['rows']} rows: cosine min "
              f"{fid['cos_min']:.6f}, centred min {fid['centred_cos_min']:.4f} mean "
              f"{fid['centred_cos_mean']:.4f}, relative error {fid['rel_error']:.4f}")
        print(f"classifier {dec['model']} ({', '.join(dec['classes'])}), {dec['rows']} held-out "
              f"rows: {dec['decisions_changed']} decisions changed; probability change "
              f"median {dec['median_prob_change']:.4f}, max {dec['max_prob_change']:.4f}; "
              f"fp32 top-2 margin median {dec['fp32_margin_median']:.3f}, min "
              f"{dec['fp32_margin_min']:.3f}; accuracy fp32 {dec['accuracy_fp32']:.3f}, bf16 "
              f"{dec['accuracy_bf16']:.3f}")
    result["load_end"] = psutil.getloadavg()
    print(f"load average at the end {result['load_end'][0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
