"""A bundle's backbone and classifier as differentiable torch functions.

:class:`ClassifierHead` is a sample-level estimator's prediction written in torch: features
``(N, T, F)`` ``float32`` with ``-1`` pre-padding and a mask ``(N, T)`` bool -> the
standardisation it was fitted with -> its module -> class probabilities ``(N, K)``, the same
numbers as ``estimator.predict_proba`` (tested). :class:`ClipChain` puts the backbone in
front: clips ``(N, C, T, H, W)`` ``float32`` prepared as the backbone's input spec says ->
features padded to the backbone's timesteps -> the head. Both run in eval mode; gradients
flow wherever the backbone has them (the ``motion`` backbone has none: occlusion explains it).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ictal.errors import ConfigError, ShapeError
from ictal.models.base import PAD_VALUE, TorchSequenceClassifier
from ictal.models.losses import probabilities


class ClassifierHead(nn.Module):
    """``(features (N, T, F), mask (N, T)) -> probabilities (N, K)`` of a fitted sample-level
    estimator (columns in the order of ``estimator.classes_``).

    Raises:
        ConfigError: the estimator predicts seizures, not samples (its windows are explained
            by :func:`~ictal.explain.windows.window_contributions` only).
    """

    def __init__(self, estimator: object) -> None:
        super().__init__()
        if not isinstance(estimator, TorchSequenceClassifier):
            raise ConfigError(
                f"{type(estimator).__name__} predicts whole seizures: its decision is explained "
                "window by window (leave one window out), not pixel by pixel",
                hint="explain a sample-level bundle (lstm, lstm-extended, i3d-head, "
                     "gestures-snippet) for saliency maps")
        self.estimator = estimator
        self.module = estimator.module_
        self.standardize = bool(estimator.standardize)
        self.register_buffer("mean", torch.as_tensor(np.asarray(estimator.mean_, np.float32)))
        self.register_buffer("scale", torch.as_tensor(np.asarray(estimator.scale_, np.float32)))
        self.n_features = int(estimator.n_features_in_)
        self.classes = [str(c) for c in estimator.classes_]
        self.eval()

    def scaled(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Features as the module sees them: standardised at real timesteps, ``-1`` padding."""
        if x.shape[-1] != self.n_features:
            raise ShapeError(f"features have {x.shape[-1]} values per timestep, the classifier "
                             f"expects {self.n_features}",
                             hint="use the backbone and preprocessing named in bundle.json")
        if not self.standardize:
            return x
        return torch.where(mask[..., None], (x - self.mean) / self.scale,
                           torch.full_like(x, PAD_VALUE))

    def from_scaled(self, z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Probabilities ``(N, K)`` of already scaled features (:meth:`scaled`)."""
        return probabilities(self.module(z, mask))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.from_scaled(self.scaled(x, mask), mask)

    def train(self, mode: bool = True) -> ClassifierHead:
        """Always eval: dropout and batch statistics would make attributions random."""
        return super().train(False)


class ClipChain(nn.Module):
    """``clips (N, C, T, H, W) -> probabilities (N, K)``: backbone, padding, classifier.

    Args:
        network: the extractor's :class:`~ictal.backbones.extractor.FeatureNet`
            (``clips, fps -> (N, t, F)`` real timesteps).
        head: the classifier.
        timesteps: the backbone's timesteps of a full sample (features are pre-padded to it).
        fps: the clips' frame rate (the motion backbone's bands are in Hz).
        extra: ``(1, timesteps, F2)`` features appended to the backbone's at every call and
            held fixed (the top view of variant ``B+top``: only the crop is explained), or
            ``None``.
    """

    def __init__(self, network: nn.Module, head: ClassifierHead, *, timesteps: int,
                 fps: float | None, extra: torch.Tensor | None = None) -> None:
        super().__init__()
        self.network = network
        self.head = head
        self.timesteps = timesteps
        self.fps = fps
        self.extra = extra
        self.eval()

    def features(self, clips: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(features (N, timesteps, F), mask (N, timesteps))`` as the extractor gives them."""
        real = self.network(clips, self.fps)
        n, t, f = real.shape
        pad = self.timesteps - t
        if pad < 0:
            raise ShapeError(f"the backbone gave {t} timesteps, more than its {self.timesteps}")
        x = torch.cat([real.new_full((n, pad, f), PAD_VALUE), real], 1)
        mask = torch.zeros(n, self.timesteps, dtype=torch.bool, device=real.device)
        mask[:, pad:] = True
        if self.extra is not None:
            x = torch.cat([x, self.extra.to(x).expand(n, -1, -1)], 2)
        return x, mask

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        x, mask = self.features(clips)
        return self.head(x, mask)

    def train(self, mode: bool = True) -> ClipChain:
        """Always eval (see :meth:`ClassifierHead.train`)."""
        return super().train(False)
