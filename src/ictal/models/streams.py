"""Classifiers of one stream of a multi-stream table (seed 004's keypoint and appearance streams).

A semiology table (:mod:`ictal.features.semiology`) holds one row per seizure clip with the
body / face keypoints and the body / face appearance features side by side;
``table.attrs["streams"]`` (:mod:`ictal.features.streams`) says which columns are which.
A :class:`StreamClassifier` reads that layout when it is fitted, keeps it in its state and
gives its network only its own stream's columns, so every seed-004 model meets the one
:class:`~ictal.models.base.Estimator` contract and goes through the same cross-validation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import torch

from ictal.errors import ConfigError
from ictal.features.streams import StreamSpec, require_stream, stream_layout
from ictal.features.table import FeatureTable
from ictal.models.base import TorchSequenceClassifier
from ictal.models.loop import EpochCallback


class StreamClassifier(TorchSequenceClassifier):
    """Base of the seed-004 classifiers: one stream's columns, layout learned at ``fit``.

    Subclasses set :attr:`stream_kind` and build their module from :attr:`spec_`
    (the :class:`~ictal.features.streams.StreamSpec` of ``stream``). ``fit`` and
    ``predict_proba`` take a :class:`~ictal.features.table.FeatureTable` whose ``attrs``
    declare the streams (arrays alone carry no layout).
    """

    stream_kind = "keypoints"

    def __init__(self, *, stream: str = "body", loss: str = "auto",
                 train: Any = None, seed: int = 0, threads: int | None = 1,
                 device: str = "cpu", standardize: bool = False) -> None:
        super().__init__(loss=loss, train=train, seed=seed, threads=threads, device=device,
                         standardize=standardize)
        self.stream = stream

    def _take_layout(self, table: FeatureTable) -> None:
        self.layout_ = stream_layout(table.attrs)
        self.spec_: StreamSpec = require_stream(self.layout_, self.stream, self.stream_kind)

    def fit(self, X: Any, y: np.ndarray | None = None, *, mask: np.ndarray | None = None,
            validation: Any = None, classes: Sequence[str] | np.ndarray | None = None,
            on_epoch: EpochCallback | None = None) -> Self:
        """Train on the rows of a semiology table (see :meth:`TorchSequenceClassifier.fit`)."""
        if not isinstance(X, FeatureTable):
            raise ConfigError(f"{type(self).__name__} needs a FeatureTable whose attrs declare "
                              "its streams", hint="see ictal.features.semiology")
        self._take_layout(X)
        self._before_fit(X, validation, classes)
        return super().fit(X, y, mask=mask, validation=validation, classes=classes,
                           on_epoch=on_epoch)

    def _before_fit(self, table: FeatureTable, validation: FeatureTable | None,
                    classes: Sequence[str] | np.ndarray | None) -> None:
        """Hook run once the layout is known, before the network is trained."""

    def state(self) -> dict[str, Any]:
        out = super().state()
        out["streams"] = {k: s.to_json() for k, s in self.layout_.items()}
        return out

    def load_state(self, state: dict[str, Any]) -> Self:
        self.layout_ = stream_layout({"streams": state["streams"]})
        self.spec_ = require_stream(self.layout_, self.stream, self.stream_kind)
        return super().load_state(state)


def stream_columns(x: torch.Tensor, spec: StreamSpec) -> torch.Tensor:
    """``(N, T, F)`` -> the stream's columns ``(N, T, stop - start)``."""
    return x[..., spec.start:spec.stop]


def keypoint_clip(x: torch.Tensor, mask: torch.Tensor, spec: StreamSpec) -> torch.Tensor:
    """A keypoint stream's columns of ``x (N, T, F)`` as a clip ``(N, C, T, V)``, zero at
    masked timesteps."""
    n, t, _ = x.shape
    cols = stream_columns(x, spec) * mask.unsqueeze(-1).to(x.dtype)
    return cols.reshape(n, t, spec.nodes, spec.channels).permute(0, 3, 1, 2).contiguous()


def fuse_scores(logits: torch.Tensor) -> torch.Tensor:
    """Late fusion by scores: stream logits ``(S, N, O)`` -> logits ``(N, O)`` of the mean
    class probability (sigmoid for ``O = 1``, softmax otherwise), as 2s-AGCN adds the two
    streams' scores."""
    if logits.shape[0] == 1:
        return logits[0]
    if logits.shape[-1] == 1:
        p = torch.sigmoid(logits).mean(0).clamp(1e-7, 1 - 1e-7)
        return torch.log(p) - torch.log1p(-p)
    return torch.log(torch.softmax(logits, dim=-1).mean(0).clamp_min(1e-12))

