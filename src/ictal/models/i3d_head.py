"""The I3D-head baseline of seed 000: the original I3D logits layer retrained on features.

Seed 000, "I3D classifier": the classification layers of I3D (a 1x1x1 convolution 1024 ->
classes applied at every remaining timestep, then averaged over time, as in the PyTorch I3D
port's ``conv3d_0c_1x1`` + ``mean(2)``), trained with weighted categorical cross-entropy and
SGD with momentum 0.9 (set in the ``seed000-i3d`` preset).
"""

from __future__ import annotations

from typing import Self

import torch
from torch import nn

from ictal.models.base import TorchSequenceClassifier
from ictal.models.config import ModelConfig, TrainConfig


class I3DHead(nn.Module):
    """Dropout -> 1x1x1 conv (features -> classes) per timestep -> mean over real timesteps.

    ``x (N, T, F)``, ``mask (N, T)`` -> logits ``(N, C)``. A 1x1x1 convolution over a
    ``(N, F, T, 1, 1)`` map is a linear layer shared by the timesteps, which is how it is
    computed here (same parameter shapes as ``Conv3d(F, C, 1)`` after a reshape).
    """

    def __init__(self, n_features: int, n_classes: int, dropout: float) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.logits = nn.Conv3d(n_features, n_classes, kernel_size=1, bias=True)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n, t, f = x.shape
        z = self.drop(x).permute(0, 2, 1).reshape(n, f, t, 1, 1)
        per_step = self.logits(z).reshape(n, -1, t)  # (N, C, T)
        w = mask.to(x.dtype).unsqueeze(1)
        return (per_step * w).sum(dim=2) / w.sum(dim=2).clamp_min(1.0)


class I3DHeadClassifier(TorchSequenceClassifier):
    """Estimator around :class:`I3DHead`; softmax over all classes (also for 2)."""

    def __init__(self, *, dropout: float = 0.5, loss: str = "cce",
                 train: TrainConfig | None = None, seed: int = 0,
                 threads: int | None = 1, device: str = "cpu") -> None:
        super().__init__(loss=loss, train=train, seed=seed, threads=threads, device=device)
        self.dropout = dropout

    @classmethod
    def from_config(cls, config: ModelConfig, *, seed: int = 0, threads: int | None = 1,
                    device: str = "cpu") -> Self:
        """Architecture ``i3d-head``; ``loss: auto`` means seed 000's weighted CCE."""
        return cls(dropout=config.dropout, loss="cce" if config.loss == "auto" else config.loss,
                   train=config.train, seed=seed, threads=threads, device=device)

    def _n_outputs(self, n_classes: int) -> int:
        return n_classes

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        return I3DHead(n_features, n_outputs, self.dropout)
