"""Backbone feature-extraction throughput on this CPU: plain port-style vs ictal's optimised path.

The baseline is the same I3D network run the way the public port runs it (fp32, contiguous
tensors, an explicit ``F.pad`` before every convolution, separate batch norm). The optimised
path is what ``load_backbone(..., optimize=True)`` gives (folded batch norm, static padding,
channels-last, ONNX Runtime when installed). Both run in this process, interleaved, with the
same random weights; the ratio of the medians is the figure to read on a busy machine.

    .venv/bin/python benchmarks/bench_backbones.py --repeats 3
"""

from __future__ import annotations

import argparse
import copy
import resource
import statistics
import time
from collections.abc import Callable

import psutil
import torch

from ictal.backbones import default_registry, make_extractor
from ictal.backbones.checkpoints import random_state_dict
from ictal.backbones.extractor import FeatureNet, build_network, remove_head
from ictal.backbones.motion import motion_features


def _rss_mib() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(name: str, frames: int, size: int, batch: int, repeats: int) -> None:
    """Interleaved plain vs optimised runs of registry backbone ``name`` (random weights)."""
    spec = default_registry().get(name)
    network = build_network(spec)
    remove_head(spec, network)
    network.load_state_dict(random_state_dict(network, seed=0))  # O(1) activations
    network.eval()
    plain = FeatureNet(spec.family, copy.deepcopy(network)).eval()
    x = torch.rand(batch, 3, frames, size, size) * 2 - 1
    engines = {}
    for engine in ("torch", "onnxruntime"):
        try:
            start = time.perf_counter()
            extractor = make_extractor(spec, copy.deepcopy(network), engine=engine)
            extractor(x)  # warm-up; builds the ONNX session for this shape
            engines[engine] = extractor
            print(f"  {name} {engine}: ready in {time.perf_counter() - start:.1f} s")
        except Exception as err:  # benchmark keeps going with what works
            print(f"  {name} {engine}: unavailable ({err})")
    with torch.inference_mode():
        ref = plain(x)
        timings: dict[str, list[float]] = {"plain": [], **{k: [] for k in engines}}
        for _ in range(repeats):
            timings["plain"].append(_time(lambda: plain(x)))
            for engine, extractor in engines.items():
                timings[engine].append(_time(lambda e=extractor: e(x)))
    n_frames = batch * frames
    base = statistics.median(timings["plain"])
    print(f"{name} ({batch} x {frames} x {size} x {size}), {repeats} interleaved repeats:")
    print(f"  plain (port-style fp32)   {n_frames / base:8.1f} frames/s")
    for engine, extractor in engines.items():
        t = statistics.median(timings[engine])
        out, mask = extractor(x)
        diff = (out[mask] - ref.reshape(-1, ref.shape[-1])).abs().max().item()
        print(f"  optimised ({engine:11s}) {n_frames / t:8.1f} frames/s   "
              f"x{base / t:4.2f} vs plain   max |diff| {diff:.1e}")
    print(f"  RSS now {_rss_mib():.0f} MiB, peak {_peak_mib():.0f} MiB")


def bench_motion(batch: int, repeats: int) -> None:
    x = torch.rand(batch, 3, 60, 112, 112) * 2 - 1
    motion_features(x)
    times = [_time(lambda: motion_features(x)) for _ in range(repeats)]
    print(f"motion ({batch} x 60 x 112 x 112): "
          f"{batch * 60 / statistics.median(times):8.1f} frames/s   "
          f"RSS now {_rss_mib():.0f} MiB, peak {_peak_mib():.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved timed runs each")
    parser.add_argument("--frames", type=int, default=60, help="I3D clip length")
    parser.add_argument("--batch", type=int, default=1, help="I3D samples per batch")
    parser.add_argument("--threads", type=int, default=None, help="torch / ORT threads")
    parser.add_argument("--only", choices=["i3d", "r2plus1d_18", "motion"], default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load average {psutil.getloadavg()[0]:.1f} on {psutil.cpu_count()} CPUs "
          "(shared machine: noisy, read the ratios)")
    if args.only in (None, "i3d"):
        compare("i3d", args.frames, 224, args.batch, args.repeats)
    if args.only in (None, "r2plus1d_18"):
        compare("r2plus1d_18", 8, 112, 4, args.repeats)
    if args.only in (None, "motion"):
        bench_motion(8, args.repeats)


if __name__ == "__main__":
    main()
