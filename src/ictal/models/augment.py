"""Training-time augmentation of keypoint clips (the AGCN streams of seed 004).

Skeleton networks trained on few subjects memorise each subject's size, camera and posture;
random geometric and temporal transforms of the training clips are the usual remedy.
:func:`augment_clip` applies a :class:`~ictal.models.config.KeypointAugment` to a batch of
clips ``(N, C, T, V)`` (``C = 3``: ``(x, y, confidence)`` in 2D, ``(x, y, z)`` in 3D; lengths
in shoulder / eye widths, see the config's docstring), one random transform per clip drawn
from a seeded :class:`torch.Generator`, so a run is repeatable under its seed.
:class:`~ictal.models.agcn.MultiStreamAGCN` calls it on training batches only.
"""

from __future__ import annotations

import math

import torch

from ictal.models.config import KeypointAugment


def _uniform(n: int, generator: torch.Generator) -> torch.Tensor:
    """``(n,)`` float64 uniform in ``[-1, 1)`` (on the CPU, where the generator lives)."""
    return torch.rand(n, generator=generator, dtype=torch.float64) * 2 - 1


def spatial_matrix(cfg: KeypointAugment, n: int, generator: torch.Generator) -> torch.Tensor:
    """``(n, d, d)`` float64 linear maps of the spatial coordinates (``d`` = 2 or 3): scale
    times yaw (x-z plane) times in-plane rotation (x-y plane)."""
    d = 3 if cfg.coords == "3d" else 2
    m = torch.eye(d, dtype=torch.float64).repeat(n, 1, 1)
    if cfg.rotate_deg > 0:
        th = _uniform(n, generator) * math.radians(cfg.rotate_deg)
        r = torch.eye(d, dtype=torch.float64).repeat(n, 1, 1)
        r[:, 0, 0], r[:, 0, 1] = torch.cos(th), -torch.sin(th)
        r[:, 1, 0], r[:, 1, 1] = torch.sin(th), torch.cos(th)
        m = r @ m
    if cfg.yaw_deg > 0:
        th = _uniform(n, generator) * math.radians(cfg.yaw_deg)
        r = torch.eye(d, dtype=torch.float64).repeat(n, 1, 1)
        r[:, 0, 0], r[:, 0, 2] = torch.cos(th), torch.sin(th)
        r[:, 2, 0], r[:, 2, 2] = -torch.sin(th), torch.cos(th)
        m = r @ m
    factors = torch.ones(n, d, dtype=torch.float64)
    if cfg.scale > 0:
        factors = factors * (1 + _uniform(n, generator) * cfg.scale).unsqueeze(1)
    if cfg.aniso > 0:
        factors[:, 0] = factors[:, 0] * (1 + _uniform(n, generator) * cfg.aniso)
    return factors.unsqueeze(2) * m


def time_stretch(clip: torch.Tensor, cfg: KeypointAugment,
                 generator: torch.Generator) -> torch.Tensor:
    """``clip (N, C, T, V)`` resampled from a random window of each clip covering a fraction
    uniform in ``[1 - stretch, 1]`` of its ``T`` steps (linear interpolation)."""
    n, c, t, v = clip.shape
    if cfg.stretch <= 0 or t < 2:
        return clip
    frac = 1 - cfg.stretch * (_uniform(n, generator) + 1) / 2
    start = (_uniform(n, generator) + 1) / 2 * (1 - frac) * (t - 1)
    pos = start.unsqueeze(1) + frac.unsqueeze(1) * torch.arange(t, dtype=torch.float64)
    pos = pos.clamp(0, t - 1)
    lo = pos.floor().long().clamp(max=t - 2)
    w = (pos - lo).to(clip.device, clip.dtype).view(n, 1, t, 1)
    lo = lo.to(clip.device).view(n, 1, t, 1).expand(n, c, t, v)
    return clip.gather(2, lo) * (1 - w) + clip.gather(2, lo + 1) * w


def augment_clip(clip: torch.Tensor, mask: torch.Tensor, cfg: KeypointAugment,
                 generator: torch.Generator) -> torch.Tensor:
    """One random transform per clip of ``clip (N, C, T, V)`` with ``mask (N, T)`` of real
    timesteps: time stretch, then the spatial map (:func:`spatial_matrix`), shift and jitter
    of the spatial channels (the first 2 or 3; a 2D clip's confidence channel is only
    resampled in time). Keypoints missing in a frame (all spatial coordinates exactly 0, the
    tables' gaps) and masked timesteps stay 0. Returns a new tensor of ``clip``'s dtype."""
    if not cfg.active:
        return clip
    n, _, t, v = clip.shape
    d = 3 if cfg.coords == "3d" else 2
    out = time_stretch(clip, cfg, generator)
    xyz = out[:, :d]
    gap = (xyz == 0).all(dim=1, keepdim=True)
    m = spatial_matrix(cfg, n, generator).to(clip.device, clip.dtype)
    xyz = torch.einsum("nij,njtv->nitv", m, xyz)
    if cfg.shift > 0:
        offset = torch.stack([_uniform(n, generator) for _ in range(d)], 1) * cfg.shift
        xyz = xyz + offset.to(clip.device, clip.dtype).view(n, d, 1, 1)
    if cfg.jitter > 0:
        noise = torch.randn(n, d, t, v, generator=generator, dtype=torch.float64)
        xyz = xyz + (noise * cfg.jitter).to(clip.device, clip.dtype)
    xyz = xyz.masked_fill(gap, 0.0)
    out = torch.cat([xyz, out[:, d:]], dim=1)
    return out * mask.view(n, 1, t, 1).to(clip.dtype)
