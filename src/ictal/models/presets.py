"""The seeds' named model configurations, as data, and the reading of model config files.

:data:`PRESET_TABLE` is the one place presets are written: :func:`preset` builds a
:class:`~ictal.models.config.ModelConfig` from a row, :data:`PRESETS` lists the names and
:func:`presets_help` is what the command line says about them. Adding a preset is adding a
row. :func:`load_model_config` reads a preset name or a YAML file (validated here, once) and
applies overrides.

The command line reads this table for its help at start-up, so pydantic (the config classes)
is imported only when a configuration is built.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ictal.configutil import deep_merge
from ictal.errors import ConfigError

if TYPE_CHECKING:
    from ictal.models.config import Arch, ModelConfig


@dataclass(frozen=True)
class Preset:
    """A named configuration.

    Attributes:
        name: what ``--model`` accepts.
        description: one line for the command line's help.
        arch: the architecture (:data:`~ictal.models.config.Arch`).
        values: the :class:`~ictal.models.config.ModelConfig` fields that differ from its
            defaults (``train`` as a nested mapping of :class:`~ictal.models.config.TrainConfig`
            fields).
    """

    name: str
    description: str
    arch: Arch
    values: Mapping[str, Any]

    def config(self) -> ModelConfig:
        """The validated configuration of this row."""
        from ictal.models.config import ModelConfig

        return ModelConfig.model_validate(
            {"name": self.name, "arch": self.arch, **copy.deepcopy(dict(self.values))})


#: Seed 004 does not publish its optimiser; 2s-AGCN trains with SGD (lr 0.1, 50 epochs, batch
#: 64) on 40 000 NTU clips. For tens of seizure clips we use AdamW (lr 1e-3, weight decay 1e-4),
#: batch 16 and 40 epochs (the epoch kept by validation loss when a run selects on an inner
#: split). The AGCNs start from a zero last layer and the TCNs see clip-centred appearance
#: features (ictal.models.agcn / ictal.models.tcn say why).
_SEED004_TRAIN = {"epochs": 40, "batch_size": 16, "lr": 1e-3, "optimizer": "adamw",
                  "weight_decay": 1e-4, "select_on": "loss"}

#: Seeds 000 / 001 (LSTM classifier, Adam lr 1e-3, best validation macro F1), the I3D head
#: of seed 000, GESTURES (seed 002) and the demo's ``fast`` LSTM.
PRESET_TABLE: tuple[Preset, ...] = (
    Preset("seed000", "LSTM 128-64, FC 64-32, 2000 epochs, batch 500 (seeds 000/001)",
           "lstm", {"train": {"epochs": 2000, "batch_size": 500}}),
    Preset("seed000-3class", "seed000 with batch 1000, as seed 000 for 3 classes",
           "lstm", {"train": {"epochs": 2000, "batch_size": 1000}}),
    Preset("seed000-extended", "LSTM 128-128, FC 128-64, batch 1000 (seed 000)",
           "lstm-extended", {"train": {"epochs": 2000, "batch_size": 1000}}),
    Preset("seed001", "seed000's LSTM as seed 001 trained it",
           "lstm", {"train": {"epochs": 2000, "batch_size": 500}}),
    Preset("seed000-i3d", "I3D head, weighted CCE, SGD with momentum (seed 000)",
           "i3d-head", {"dropout": 0.5, "loss": "cce",
                        "train": {"epochs": 2000, "batch_size": 500, "optimizer": "sgd",
                                  "lr": 1e-2, "momentum": 0.9}}),
    Preset("gestures", "snippet classifier, weighted BCE, AdamW, 400 epochs (GESTURES, "
           "seed 002)",
           "gestures-snippet", {"loss": "bce", "dropout": 0.0,
                                "train": {"epochs": 400, "batch_size": 1024, "lr": 1e-3,
                                          "optimizer": "adamw", "weight_decay": 1e-2,
                                          "select_on": "loss"}}),
    Preset("gestures-seizure", "BLSTM over 16 TSN segments per seizure (GESTURES, seed 002)",
           "gestures-seizure", {"loss": "bce", "n_segments": 16, "gamma": 2.0,
                                "aggregation": "blstm",
                                "train": {"epochs": 300, "batch_size": 64, "lr": 1e-2,
                                          "optimizer": "adamw", "weight_decay": 1e-2,
                                          "select_on": "loss"}}),
    Preset("fast", "LSTM, 60 epochs, early stopping, standardised inputs (demo, CI)",
           "lstm", {"standardize": True,
                    "train": {"epochs": 60, "batch_size": 128, "patience": 15}}),
    *(Preset(f"agcn-{part}", f"two-stream AGCN (2s-AGCN channels 64..256) on the {part} "
             f"keypoints (seed 004 AGCN_{part[0]})", "agcn",
             {"stream": part, "loss": "bce", "dropout": 0.0, "agcn_head_init": "zero",
              "train": _SEED004_TRAIN})
      for part in ("body", "face")),
    *(Preset(f"tcn-{part}", f"dilated non-causal TCN 4x64 on the {part} crop's per-frame "
             f"appearance features (seed 004 TCN_{part[0]})", "tcn",
             {"stream": f"{part}_app", "loss": "bce", "dropout": 0.2, "standardize": True,
              "tcn_clip_centre": True, "train": _SEED004_TRAIN})
      for part in ("body", "face")),
    *(Preset(f"agcn-{part}-kd", f"agcn-{part} distilled from tcn-{part} (T 4, alpha 0.5; "
             f"teacher on the training subjects only; seed 004 AGCN_{part[0]} + KD)",
             "agcn-kd",
             {"stream": part, "teacher_stream": f"{part}_app", "loss": "bce", "dropout": 0.0,
              "agcn_head_init": "zero", "tcn_clip_centre": True,
              "kd_temperature": 4.0, "kd_alpha": 0.5, "train": _SEED004_TRAIN})
      for part in ("body", "face")),
)

PRESETS: tuple[str, ...] = tuple(p.name for p in PRESET_TABLE)
_BY_NAME: dict[str, Preset] = {p.name: p for p in PRESET_TABLE}


def preset(name: str) -> ModelConfig:
    """The configuration of the preset ``name`` (see :data:`PRESET_TABLE`)."""
    if name not in _BY_NAME:
        raise ConfigError(f"unknown model preset {name!r}",
                          hint=f"use one of {', '.join(sorted(_BY_NAME))} or a YAML file")
    return _BY_NAME[name].config()


def presets_help() -> str:
    """The command line's help of ``--model``: every preset with its description."""
    rows = "; ".join(f"{p.name} ({p.description})" for p in PRESET_TABLE)
    return f"Model preset or YAML file (preset: NAME plus overrides). Presets: {rows}."


def load_model_config(spec: str | Path, overrides: dict[str, Any] | None = None) -> ModelConfig:
    """A preset name or a YAML file (optionally ``preset: NAME`` plus overriding keys).

    ``overrides`` are merged last (nested for ``train``). Invalid values raise
    :class:`ConfigError` naming the field.
    """
    import yaml
    from pydantic import ValidationError

    from ictal.models.config import ModelConfig

    path = Path(spec)
    data: dict[str, Any]
    if path.suffix in (".yaml", ".yml", ".json"):
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
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
                          hint="see ictal.models.config.ModelConfig for the fields") from err
