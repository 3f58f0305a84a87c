"""Seconds to explain one 2 s window (60 frames at 30 fps): the motion backbone by occlusion
(separable, and block by block), I3D by Grad-CAM and by integrated gradients.

A small LSTM head is fitted for a few epochs on the backbone's features of random clips (the
cost does not depend on what the head learned); I3D runs on seeded random weights (the same
network as the public checkpoint). Each figure is the median of ``--repeat`` runs after one
warm-up, with the torch thread count shown.

    .venv/bin/python benchmarks/bench_explain.py [--repeat 3] [--skip-i3d]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from ictal.backbones import load_backbone
from ictal.explain.attribute import attribute
from ictal.explain.chain import ClassifierHead, ClipChain
from ictal.models.config import TrainConfig
from ictal.models.lstm import LSTMClassifier


def _chain(name: str, size: int) -> tuple[ClipChain, np.ndarray]:
    ex = load_backbone(name, pretrained=False, optimize=False) if name != "motion" else \
        load_backbone(name)
    rng = np.random.default_rng(0)
    clips = rng.uniform(-1, 1, (4, 3, 60, size, size)).astype(np.float32)
    with torch.no_grad():
        feats, mask = ex(torch.from_numpy(clips), fps=30.0)
    est = LSTMClassifier(lstm_units=(16, 16), fc_units=(16, 16),
                         train=TrainConfig(epochs=3), standardize=True)
    est.fit(feats.numpy(), np.array(["FLE", "TLE"] * 2), mask=mask.numpy())
    chain = ClipChain(ex.network, ClassifierHead(est), timesteps=ex.timesteps, fps=30.0)
    return chain, clips[0]


def _time(fn: object, repeat: int) -> float:
    fn()  # type: ignore[operator]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-i3d", action="store_true")
    args = ap.parse_args()
    print(f"torch threads: {torch.get_num_threads()}")
    chain, clip = _chain("motion", 112)
    for label, kw in (("motion occlusion, separable (49 + 4 passes)", {}),
                      ("motion occlusion, 15 x 16 x 16 blocks (196 passes)",
                       {"block": (15, 16)})):
        s = _time(lambda kw=kw: attribute(chain, clip, 0, method="occlusion", **kw),
                  args.repeat)
        print(f"{label}: {s:.1f} s per window")
    if args.skip_i3d:
        return
    chain, clip = _chain("i3d", 224)
    s = _time(lambda: attribute(chain, clip, 0, method="gradcam"), args.repeat)
    print(f"i3d Grad-CAM (Mixed_5c): {s:.1f} s per window")
    s = _time(lambda: attribute(chain, clip, 0, method="ig", steps=8, batch=2), 1)
    print(f"i3d integrated gradients (8 points): {s:.1f} s per window")


if __name__ == "__main__":
    main()
