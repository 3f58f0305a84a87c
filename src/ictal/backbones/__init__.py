"""Backbones: pretrained video / image networks and the weight-free motion summary.

Torch-free at import: :class:`InputSpec`, the registry and :func:`pad_timesteps` are available
directly; :func:`load_backbone` and :class:`FeatureExtractor` (which import torch) are loaded on
first access.

    from ictal.backbones import load_backbone
    extractor = load_backbone("i3d")                  # checkpoint from $ICTAL_WEIGHTS_DIR
    features, mask = extractor(clips)                 # (N, 7, 1024) float32, (N, 7) bool
"""

from __future__ import annotations

from typing import Any

from ictal.backbones.padding import PAD_VALUE, pad_timesteps
from ictal.backbones.registry import (
    BackboneRegistry,
    BackboneSpec,
    CheckpointSpec,
    checkpoint_path,
    default_registry,
    weights_dir,
)
from ictal.inputspec import InputSpec

_LAZY = {"load_backbone", "FeatureExtractor", "make_extractor", "real_timesteps"}

__all__ = [
    "PAD_VALUE",
    "BackboneRegistry",
    "BackboneSpec",
    "CheckpointSpec",
    "FeatureExtractor",
    "InputSpec",
    "checkpoint_path",
    "default_registry",
    "load_backbone",
    "make_extractor",
    "pad_timesteps",
    "real_timesteps",
    "weights_dir",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from ictal.backbones import extractor

        return getattr(extractor, name)
    raise AttributeError(f"module 'ictal.backbones' has no attribute {name!r}")
