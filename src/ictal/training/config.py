"""Typed training configuration and the seeds' presets.

A :class:`ModelConfig` names an architecture, its hyper-parameters and a :class:`TrainConfig`;
:func:`preset` returns the seeds' values, :func:`load_model_config` reads a preset name or a
YAML file (validated here, once) and applies overrides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ictal.configutil import deep_merge
from ictal.errors import ConfigError

Arch = Literal["lstm", "lstm-extended", "i3d-head", "gestures-snippet", "gestures-seizure"]
Loss = Literal["auto", "mse", "bce", "cce"]


class TrainConfig(BaseModel):
    """How a network is optimised.

    Attributes:
        epochs: passes over the training set (seeds 000/001: 2000; GESTURES snippets: 400).
        batch_size: samples per step (seed 000: 500 for 2 classes, 1000 for 3; GESTURES: 1024
            snippets, 64 seizures).
        lr, betas: Adam / AdamW parameters (seeds: 1e-3, (0.9, 0.999)).
        weight_decay: AdamW decoupled weight decay (GESTURES) - 0 means plain Adam.
        optimizer: ``adam``, ``adamw`` or ``sgd`` (the I3D head, momentum ``momentum``).
        select_on: model selection on the validation set: best macro ``f1`` (seeds 000/001)
            or lowest ``loss`` (seed 002).
        patience: stop after this many epochs without progress (a higher validation F1, or a
            validation loss lower by more than ``min_delta``); ``None`` runs all epochs and
            keeps the best one (what the seeds call early stopping).
        refit: after the epoch is selected on a held-out split, train again from scratch on
            the selection data too (every training patient) for the selected number of
            epochs, and keep that model - the usual refit of a model selected by validation;
            no data is held out of the final model. Ignored when there is no validation set.
    """

    model_config = ConfigDict(extra="forbid")

    epochs: int = Field(2000, ge=1)
    batch_size: int = Field(500, ge=1)
    lr: float = Field(1e-3, gt=0)
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = Field(0.0, ge=0)
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    momentum: float = Field(0.9, ge=0, lt=1)
    select_on: Literal["f1", "loss"] = "f1"
    patience: int | None = Field(None, ge=1)
    min_delta: float = Field(1e-3, ge=0)
    refit: bool = False


class ModelConfig(BaseModel):
    """An architecture with its hyper-parameters and training settings.

    LSTM fields follow seeds 000/001 (LSTM 128 -> 64, FC 64 -> 32, dropout 0.5, recurrent
    dropout 0.3, L2 on kernels / recurrent kernels / FC biases, activity L2 on LSTM outputs).
    The regularisation coefficients are not given in the seeds; ours are small defaults.
    GESTURES fields follow seed 002 (n segments, Beta(gamma, gamma), aggregation).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = "lstm"
    arch: Arch = "lstm"
    lstm_units: tuple[int, int] = (128, 64)
    fc_units: tuple[int, int] = (64, 32)
    dropout: float = Field(0.5, ge=0, lt=1)
    recurrent_dropout: float = Field(0.3, ge=0, lt=1)
    l2_kernel: float = Field(1e-4, ge=0)
    l2_recurrent: float = Field(1e-4, ge=0)
    l2_activity: float = Field(1e-5, ge=0)
    l2_bias: float = Field(1e-4, ge=0)
    loss: Loss = "auto"
    n_segments: Literal[2, 4, 8, 16] = 16
    gamma: float = Field(2.0, gt=0)
    aggregation: Literal["mean", "lstm", "blstm"] = "blstm"
    aggregation_units: int = Field(64, ge=1)
    positive_label: str | None = None
    standardize: bool = False  # LSTM: z-score features with training-row statistics
    train: TrainConfig = Field(default_factory=TrainConfig)

    @model_validator(mode="before")
    @classmethod
    def _extended_sizes(cls, data: Any) -> Any:
        """``arch: lstm-extended`` without explicit sizes means seed 000's 128/128, FC 128/64."""
        if isinstance(data, dict) and data.get("arch") == "lstm-extended":
            data = {"lstm_units": (128, 128), "fc_units": (128, 64), **data}
        return data


def _lstm(name: str, *, extended: bool, epochs: int, batch: int,
          patience: int | None = None, standardize: bool = False) -> ModelConfig:
    return ModelConfig(
        name=name, arch="lstm-extended" if extended else "lstm", standardize=standardize,
        lstm_units=(128, 128) if extended else (128, 64),
        fc_units=(128, 64) if extended else (64, 32),
        train=TrainConfig(epochs=epochs, batch_size=batch, patience=patience),
    )


def preset(name: str) -> ModelConfig:
    """The seeds' configurations by name.

    ``seed000`` / ``seed001``: LSTM classifier, 2000 epochs, batch 500 (seed 000 uses 1000 for
    3 classes: ``seed000-3class``); ``seed000-extended``: 128/128 LSTM, FC 128/64, batch 1000;
    ``seed000-i3d``: the retrained I3D head (SGD, momentum 0.9); ``gestures``: snippet-level
    linear classifier (400 epochs, lr 1e-3, batch 1024, lowest validation loss);
    ``gestures-seizure``: BLSTM(64) over 16 TSN segments (AdamW, lr 1e-2, batch 64);
    ``fast``: the LSTM architecture with few epochs, early stopping and standardised inputs
    (the demo's ``motion`` features mix scales; CI).
    """
    presets = {
        "seed000": lambda: _lstm("seed000", extended=False, epochs=2000, batch=500),
        "seed000-3class": lambda: _lstm("seed000-3class", extended=False, epochs=2000,
                                        batch=1000),
        "seed000-extended": lambda: _lstm("seed000-extended", extended=True, epochs=2000,
                                          batch=1000),
        "seed001": lambda: _lstm("seed001", extended=False, epochs=2000, batch=500),
        "seed000-i3d": lambda: ModelConfig(
            name="seed000-i3d", arch="i3d-head", dropout=0.5, loss="cce",
            train=TrainConfig(epochs=2000, batch_size=500, optimizer="sgd", lr=1e-2,
                              momentum=0.9)),
        "gestures": lambda: ModelConfig(
            name="gestures", arch="gestures-snippet", loss="bce", dropout=0.0,
            train=TrainConfig(epochs=400, batch_size=1024, lr=1e-3, select_on="loss")),
        "gestures-seizure": lambda: ModelConfig(
            name="gestures-seizure", arch="gestures-seizure", loss="bce", n_segments=16,
            gamma=2.0, aggregation="blstm",
            train=TrainConfig(epochs=300, batch_size=64, lr=1e-2, optimizer="adamw",
                              weight_decay=1e-2, select_on="loss")),
        "fast": lambda: _lstm("fast", extended=False, epochs=60, batch=128, patience=15,
                              standardize=True),
    }
    if name not in presets:
        raise ConfigError(f"unknown model preset {name!r}",
                          hint=f"use one of {', '.join(sorted(presets))} or a YAML file")
    return presets[name]()


PRESETS = ("seed000", "seed000-3class", "seed000-extended", "seed001", "seed000-i3d",
           "gestures", "gestures-seizure", "fast")


def load_model_config(spec: str | Path, overrides: dict[str, Any] | None = None) -> ModelConfig:
    """A preset name or a YAML file (optionally ``preset: NAME`` plus overriding keys).

    ``overrides`` are merged last (nested for ``train``). Invalid values raise
    :class:`ConfigError` naming the field.
    """
    import yaml

    path = Path(spec)
    data: dict[str, Any]
    if path.suffix in (".yaml", ".yml", ".json"):
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as err:
            raise ConfigError(f"{path}: cannot read the model config ({err})") from err
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: a model config must be a mapping")
        base = preset(loaded.pop("preset")).model_dump() if "preset" in loaded else {}
        data = deep_merge(base, loaded)
    else:
        data = preset(str(spec)).model_dump()
    data = deep_merge(data, overrides or {})
    try:
        return ModelConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"{spec}: invalid model config:\n{err}",
                          hint="see ictal.training.config.ModelConfig for the fields") from err
