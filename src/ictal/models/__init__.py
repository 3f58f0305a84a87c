"""Classifiers of backbone features: the seeds' LSTM, I3D head and GESTURES models."""

from __future__ import annotations

from typing import Any

from ictal.training.config import ModelConfig


def build_estimator(config: ModelConfig, *, seed: int = 0, threads: int | None = 1,
                    device: str = "cpu") -> Any:
    """The estimator a :class:`ModelConfig` describes (unfitted), training on ``device``."""
    from ictal.models.gestures import SeizureClassifier, SnippetClassifier
    from ictal.models.i3d_head import I3DHeadClassifier
    from ictal.models.lstm import LSTMClassifier

    if config.arch in ("lstm", "lstm-extended"):
        return LSTMClassifier(
            lstm_units=config.lstm_units, fc_units=config.fc_units, dropout=config.dropout,
            recurrent_dropout=config.recurrent_dropout, l2_kernel=config.l2_kernel,
            l2_recurrent=config.l2_recurrent, l2_activity=config.l2_activity,
            l2_bias=config.l2_bias, loss=config.loss, train=config.train, seed=seed,
            threads=threads, device=device, standardize=config.standardize)
    if config.arch == "i3d-head":
        return I3DHeadClassifier(dropout=config.dropout,
                                 loss="cce" if config.loss == "auto" else config.loss,
                                 train=config.train, seed=seed, threads=threads,
                                 device=device)
    if config.arch == "gestures-snippet":
        return SnippetClassifier(dropout=config.dropout,
                                 loss="bce" if config.loss == "auto" else config.loss,
                                 train=config.train, seed=seed, threads=threads,
                                 device=device)
    return SeizureClassifier(n_segments=config.n_segments, gamma=config.gamma,
                             aggregation=config.aggregation, units=config.aggregation_units,
                             train=config.train, seed=seed, threads=threads, device=device)


__all__ = ["build_estimator"]
