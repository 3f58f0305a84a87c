"""LSTM classifier speed: own variational-dropout cell vs fused nn.LSTM, and a 5-fold CV.

Phantom-sized data: 1000 samples x 8 timesteps x 128 features. Prints milliseconds per
training step (forward + backward, batch 256) for the hand-written cell (used while
training with recurrent dropout) and for the fused ``nn.LSTM`` with the same weights (used
at inference and when recurrent dropout is 0), inference time, and the wall time of a 5-fold
patient-grouped CV with the ``fast`` preset. Numbers on a shared machine are noisy.

    .venv/bin/python benchmarks/bench_lstm_classifier.py [--threads 1] [--skip-cv]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable

import numpy as np
import torch

from ictal.evaluation.cv import run_cross_validation
from ictal.features.table import FeatureTable
from ictal.models.lstm import LSTMNet
from ictal.models.presets import preset


def _time(fn: Callable[[], object], repeats: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats * 1000


def _table(patients: int = 25, events: int = 4, samples: int = 10, timesteps: int = 8,
           features: int = 128, signal: float = 0.3) -> FeatureTable:
    """Patients alternating FLE / TLE, rows ``signal * class direction + noise``."""
    rng = np.random.default_rng(0)
    direction = rng.normal(size=(2, features))
    n = patients * events * samples
    patient = np.repeat(np.arange(patients), events * samples)
    event = np.repeat(np.arange(patients * events), samples)
    cls = patient % 2
    x = signal * direction[cls][:, None, :] + rng.normal(size=(n, timesteps, features))
    start = np.tile(np.arange(samples) * 60, patients * events).astype(np.int64)
    return FeatureTable(
        features=x.astype(np.float32), mask=np.ones((n, timesteps), bool),
        patient=np.asarray([f"P{p:02d}" for p in patient]),
        recording=np.asarray([f"R{e:03d}" for e in event]),
        event=np.asarray([f"E{e:03d}" for e in event]),
        label=np.asarray(["FLE", "TLE"])[cls], view=np.full(n, ""), start_frame=start,
        stop_frame=start + 60, fps=np.full(n, 30.0), t_start=start / 30.0,
        t_stop=(start + 60) / 30.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--skip-cv", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = LSTMNet(128, 1, lstm_units=(128, 64), fc_units=(64, 32), dropout=0.5,
                  recurrent_dropout=0.3, l2_kernel=1e-4, l2_recurrent=1e-4, l2_activity=1e-5,
                  l2_bias=1e-4)
    x = torch.randn(256, 8, 128)
    mask = torch.ones(256, 8, dtype=torch.bool)
    mask[:64, :3] = False

    def step() -> None:
        net.zero_grad()
        (net(x, mask).sum() + net.penalty()).backward()

    layers = (net.lstm1, net.lstm2)
    net.train()
    cell_ms = _time(step, args.repeats)
    for layer in layers:
        layer.recurrent_dropout = 0.0
    fused_ms = _time(step, args.repeats)
    net.eval()
    big = torch.randn(1000, 8, 128)
    big_mask = torch.ones(1000, 8, dtype=torch.bool)
    with torch.no_grad():
        infer_fused = _time(lambda: net(big, big_mask), args.repeats)
        for layer in layers:
            layer.force_cell = True
        infer_cell = _time(lambda: net(big, big_mask), args.repeats)
    print(f"threads={args.threads}")
    print(f"train step (batch 256): own cell + recurrent dropout {cell_ms:.1f} ms, "
          f"fused nn.LSTM {fused_ms:.1f} ms")
    print(f"inference (1000 samples): fused {infer_fused:.1f} ms, own cell {infer_cell:.1f} ms")
    if not args.skip_cv:
        table = _table()
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            result = run_cross_validation(table, model_config=preset("fast"), out_dir=tmp,
                                          progress=False, threads=args.threads)
        f1 = result.summary["f1_macro"]
        print(f"5-fold grouped CV, fast preset, {len(table)} samples: "
              f"{time.perf_counter() - start:.1f} s, macro F1 {f1['mean']:.3f} ± {f1['std']:.3f}")


if __name__ == "__main__":
    main()
