"""Tiny trained chains (motion and a network backbone) on clips made here, and a tiny phantom
with a bundle trained on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from ictal.explain.chain import ClassifierHead, ClipChain
from ictal.models.config import TrainConfig
from ictal.models.lstm import LSTMClassifier

T, S = 20, 32  # frames and side of the synthetic clips


def moving_clip(moving: bool, rng: np.random.Generator, channels: int = 3) -> np.ndarray:
    """``(C, T, S, S)`` float32 in [-1, 1]: a bright block in the top-left quarter that
    swings left and right (``moving``) or stands still, on a dark still background with a
    still bright block bottom-right."""
    x = np.full((T, S, S), -0.6, np.float32)
    x[22:28, 22:28] = 0.7  # still distractor
    for t in range(T):
        cx = int(np.rint(4 + 3 * np.sin(2 * np.pi * t / 12))) if moving else 4
        x[t, 4:10, cx + 2:cx + 8] = 0.8
    x += rng.normal(0, 0.005, x.shape).astype(np.float32)
    return np.repeat(x[None], channels, 0)


@dataclass
class Trained:
    chain: ClipChain
    head: ClassifierHead
    estimator: Any
    extractor: Any
    clips: np.ndarray
    labels: np.ndarray


def _train(extractor: Any, clips: np.ndarray, labels: np.ndarray, fps: float | None) -> Trained:
    feats, mask = extractor(torch.from_numpy(clips), fps=fps)
    est = LSTMClassifier(lstm_units=(8, 8), fc_units=(8, 8), dropout=0.0, recurrent_dropout=0.0,
                         train=TrainConfig(epochs=60, batch_size=8, lr=0.01),
                         standardize=True, seed=0)
    est.fit(feats.numpy(), labels, mask=mask.numpy())
    head = ClassifierHead(est)
    chain = ClipChain(extractor.network, head, timesteps=extractor.timesteps, fps=fps)
    return Trained(chain, head, est, extractor, clips, labels)


@pytest.fixture(scope="session")
def motion_trained() -> Trained:
    """The motion backbone + an LSTM told apart moving (FLE) from still (NE) clips."""
    from ictal.backbones import load_backbone

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    clips = np.stack([moving_clip(i % 2 == 0, rng) for i in range(16)])
    labels = np.array(["FLE" if i % 2 == 0 else "NE" for i in range(16)])
    return _train(load_backbone("motion"), clips, labels, 30.0)


@pytest.fixture(scope="session")
def network_trained() -> Trained:
    """R3D-18 with seeded random weights (no checkpoint) + an LSTM on its features."""
    from ictal.backbones import load_backbone

    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    ex = load_backbone("r3d_18", pretrained=False, optimize=False)
    clips = np.stack([moving_clip(i % 2 == 0, rng)[:, :8] for i in range(8)])
    labels = np.array(["FLE" if i % 2 == 0 else "NE" for i in range(8)])
    return _train(ex, clips, labels, None)


@pytest.fixture(scope="session")
def tiny_explain_phantom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``manifest.yaml`` of a 2-patient tiny phantom (64x53 IR + depth); read only."""
    from ictal.phantom import PhantomConfig, generate_dataset

    out = tmp_path_factory.mktemp("explain-phantom")
    result = generate_dataset(PhantomConfig.tiny(n_patients=2, seed=3), out, workers=1,
                              progress=False)
    assert result.report.exit_code == 0
    return result.manifest_path
