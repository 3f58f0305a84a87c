"""Temporal convolutional network (TCN) over per-frame appearance features (seed 004).

Seed 004 (§2.3) crops the patient's body and face on every frame, turns each crop into a
feature vector with a 2D backbone (theirs: VGG-19 trained for facial expressions; ours: any
registered backbone, the weight-free one by default, :mod:`ictal.features.appearance`) and
reasons over time with a TCN: TCN_p on the body crop, TCN_f on the face crop.

The network (Bai, Kolter, Koltun, "An Empirical Evaluation of Generic Convolutional and
Recurrent Networks for Sequence Modeling", 2018): residual blocks of two dilated 1-D
convolutions (kernel ``k``, dilation ``2^i`` in block ``i``), each followed by batch norm, ReLU
and dropout, with a 1x1 convolution on the residual path when the width changes. Seizure clips
are classified offline, so the convolutions are **non-causal** by default (symmetric padding:
a timestep sees ``(k - 1) 2^i / 2`` steps either side per layer); ``causal=True`` pads on the
left only, so a timestep sees only the past (a live monitor's setting). The receptive field is
``1 + 2 (k - 1) (2^L - 1)`` timesteps. Masked timesteps are zeroed at the input and left out
of the global average over time; a fully connected layer gives the logits.

**Clip centring** (``clip_centre=True``, the seed-004 presets): every feature minus its mean
over the clip's real timesteps, so the network sees how the crop changes during the seizure
rather than how it looks. The crop descriptors of a patient share that patient's lighting,
contrast, camera and build; with 19 patients a network memorises those (training accuracy 1.0
within 20 epochs) and carries them to a left-out patient as anti-evidence. On the development
phantoms (HKN seeds 3 and 4, patient-grouped 5-fold, 100 epochs of the ``--small`` TCN) the
held-out AUC of TCN_f went 0.49 -> 0.68 and 0.63 -> 0.81, of TCN_p 0.30 -> 0.31 and
0.56 -> 0.80. The mean is the clip's own, so it is available at prediction (a seizure clip is
classified offline); with ``causal=True`` use it only on whole clips.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import torch
import torch.nn.functional as F
from torch import nn

from ictal.features.streams import StreamSpec
from ictal.models.config import ModelConfig, TrainConfig
from ictal.models.streams import StreamClassifier, stream_columns


class TemporalBlock(nn.Module):
    """Two dilated convolutions with batch norm, ReLU and dropout, plus a residual:
    ``(N, C_in, T) -> (N, C_out, T)``."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, dilation: int, *,
                 causal: bool, dropout: float) -> None:
        super().__init__()
        self.pad = (kernel - 1) * dilation
        self.causal = causal
        self.conv1 = nn.Conv1d(in_channels, out_channels, kernel, dilation=dilation)
        self.conv2 = nn.Conv1d(out_channels, out_channels, kernel, dilation=dilation)
        self.bn1 = nn.BatchNorm1d(out_channels)
        self.bn2 = nn.BatchNorm1d(out_channels)
        self.drop = nn.Dropout(dropout)
        self.down = (nn.Conv1d(in_channels, out_channels, 1)
                     if in_channels != out_channels else None)

    def _padded(self, x: torch.Tensor) -> torch.Tensor:
        if self.causal:
            return F.pad(x, (self.pad, 0))
        left = self.pad // 2
        return F.pad(x, (left, self.pad - left))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.drop(torch.relu(self.bn1(self.conv1(self._padded(x)))))
        y = self.drop(torch.relu(self.bn2(self.conv2(self._padded(y)))))
        return torch.relu(y + (self.down(x) if self.down is not None else x))


def receptive_field(kernel: int, levels: int) -> int:
    """Timesteps one output of an ``levels``-block TCN sees (two convolutions per block)."""
    return 1 + 2 * (kernel - 1) * (2 ** levels - 1)


class TCN(nn.Module):
    """``(x (N, T, F), mask (N, T))`` of an appearance stream -> logits ``(N, O)``."""

    def __init__(self, spec: StreamSpec, n_outputs: int, *, channels: Sequence[int],
                 kernel: int = 3, causal: bool = False, dropout: float = 0.2,
                 clip_centre: bool = False) -> None:
        super().__init__()
        self.spec = spec
        self.clip_centre = clip_centre
        blocks = []
        c_in = spec.channels
        for i, c in enumerate(channels):
            blocks.append(TemporalBlock(c_in, c, kernel, 2 ** i, causal=causal,
                                        dropout=dropout))
            c_in = c
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(c_in, n_outputs)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.to(x.dtype)
        h = stream_columns(x, self.spec) * m.unsqueeze(-1)
        if self.clip_centre:  # each clip's own mean over its real timesteps
            mean = h.sum(1, keepdim=True) / m.sum(1).clamp_min(1.0)[:, None, None]
            h = (h - mean) * m.unsqueeze(-1)
        h = h.transpose(1, 2)
        h = self.blocks(h)
        pooled = (h * m.unsqueeze(1)).sum(-1) / m.sum(-1, keepdim=True).clamp_min(1.0)
        return self.fc(pooled)


class TCNClassifier(StreamClassifier):
    """Seed 004's TCN_p / TCN_f: a TCN on the body (``stream = "body_app"``) or face
    (``"face_app"``) appearance features of a semiology table; features standardised with
    the training rows' statistics (the weight-free backbone's features have mixed scales) and,
    with ``clip_centre``, centred on each clip's own mean (module docstring)."""

    stream_kind = "appearance"

    def __init__(self, *, stream: str = "body_app", channels: Sequence[int] = (64, 64, 64, 64),
                 kernel: int = 3, causal: bool = False, dropout: float = 0.2,
                 loss: str = "auto", train: TrainConfig | None = None, seed: int = 0,
                 threads: int | None = 1, device: str = "cpu",
                 standardize: bool = True, clip_centre: bool = False) -> None:
        super().__init__(stream=stream, loss=loss, train=train, seed=seed, threads=threads,
                         device=device, standardize=standardize)
        self.channels = tuple(channels)
        self.kernel = kernel
        self.causal = causal
        self.dropout = dropout
        self.clip_centre = clip_centre

    @classmethod
    def from_config(cls, config: ModelConfig, *, seed: int = 0, threads: int | None = 1,
                    device: str = "cpu") -> Self:
        return cls(stream=config.stream, channels=config.tcn_channels,
                   kernel=config.tcn_kernel, causal=config.tcn_causal,
                   dropout=config.dropout, loss=config.loss, train=config.train, seed=seed,
                   threads=threads, device=device, standardize=config.standardize,
                   clip_centre=config.tcn_clip_centre)

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        return TCN(self.spec_, n_outputs, channels=self.channels, kernel=self.kernel,
                   causal=self.causal, dropout=self.dropout, clip_centre=self.clip_centre)
