"""Which estimator class implements each architecture, and building one from a config.

Adding a model is adding a class that meets :class:`~ictal.models.base.Estimator` and a row
here (and its name in :data:`~ictal.models.config.Arch`, its presets in
:mod:`ictal.models.presets`); nothing that fits or scores models changes.
"""

from __future__ import annotations

from ictal.errors import ConfigError
from ictal.models.agcn import AGCNClassifier
from ictal.models.base import Estimator, Unit
from ictal.models.config import ModelConfig
from ictal.models.distill import DistilledAGCNClassifier
from ictal.models.gestures import SeizureClassifier, SnippetClassifier
from ictal.models.i3d_head import I3DHeadClassifier
from ictal.models.lstm import LSTMClassifier
from ictal.models.tcn import TCNClassifier

#: Architecture (every name of :data:`~ictal.models.config.Arch`) -> estimator class; its
#: ``from_config`` reads the config's fields.
ESTIMATORS: dict[str, type[Estimator]] = {
    "lstm": LSTMClassifier,
    "lstm-extended": LSTMClassifier,
    "i3d-head": I3DHeadClassifier,
    "gestures-snippet": SnippetClassifier,
    "gestures-seizure": SeizureClassifier,
    "agcn": AGCNClassifier,
    "tcn": TCNClassifier,
    "agcn-kd": DistilledAGCNClassifier,
}


def estimator_class(arch: str) -> type[Estimator]:
    """The class implementing ``arch``."""
    try:
        return ESTIMATORS[arch]
    except KeyError as err:
        raise ConfigError(f"unknown model architecture {arch!r}",
                          hint=f"use one of {', '.join(ESTIMATORS)}") from err


def unit_of(arch: str) -> Unit:
    """What ``arch`` predicts: ``sample`` (each feature row) or ``seizure``."""
    return estimator_class(arch).unit


def build_estimator(config: ModelConfig, *, seed: int = 0, threads: int | None = 1,
                    device: str = "cpu") -> Estimator:
    """The unfitted estimator ``config`` describes, training with ``seed`` on ``device``."""
    return estimator_class(config.arch).from_config(config, seed=seed, threads=threads,
                                                    device=device)
