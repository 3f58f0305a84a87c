from __future__ import annotations

from pathlib import Path

import pytest

from ictal.errors import ConfigError
from ictal.models.config import ModelConfig
from ictal.models.presets import PRESET_TABLE, PRESETS, load_model_config, preset, presets_help


def test_presets_hold_the_seeds_values() -> None:
    s0 = preset("seed000")
    assert s0.lstm_units == (128, 64) and s0.fc_units == (64, 32)
    assert (s0.dropout, s0.recurrent_dropout) == (0.5, 0.3)
    assert (s0.train.epochs, s0.train.batch_size, s0.train.lr) == (2000, 500, 1e-3)
    assert s0.train.betas == (0.9, 0.999) and s0.train.select_on == "f1"
    assert preset("seed000-3class").train.batch_size == 1000
    ext = preset("seed000-extended")
    assert ext.lstm_units == (128, 128) and ext.fc_units == (128, 64)
    g = preset("gestures")
    assert (g.train.epochs, g.train.batch_size, g.train.lr, g.train.select_on) == (
        400, 1024, 1e-3, "loss")
    gs = preset("gestures-seizure")
    assert gs.train.optimizer == "adamw" and gs.aggregation_units == 64
    fast = preset("fast")
    assert fast.lstm_units == s0.lstm_units and fast.fc_units == s0.fc_units
    assert fast.train.patience is not None
    assert set(PRESETS) >= {"seed000", "seed001", "gestures", "fast"}


def test_yaml_config_extends_a_preset_and_overrides_apply(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("preset: seed001\nname: mine\ntrain:\n  epochs: 7\n")
    cfg = load_model_config(path, {"train": {"batch_size": 9}, "dropout": 0.1})
    assert (cfg.name, cfg.train.epochs, cfg.train.batch_size, cfg.dropout) == (
        "mine", 7, 9, 0.1)
    assert cfg.lstm_units == (128, 64)


def test_extended_arch_defaults_to_the_extended_sizes() -> None:
    cfg = load_model_config("fast", {"arch": "lstm-extended"})
    assert cfg.lstm_units == (128, 64)  # sizes given by the preset are kept as they are
    ext = ModelConfig(arch="lstm-extended")
    assert ext.lstm_units == (128, 128) and ext.fc_units == (128, 64)
    assert ModelConfig(arch="lstm-extended", lstm_units=(32, 32)).lstm_units == (32, 32)


def test_invalid_configs_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown model preset"):
        load_model_config("nope")
    with pytest.raises(ConfigError, match="dropout"):
        load_model_config("fast", {"dropout": 2})
    with pytest.raises(ConfigError, match="class_scale"):
        load_model_config("fast", {"train": {"class_scale": {"NE": 0}}})
    with pytest.raises(ConfigError, match="hard_negatives"):
        load_model_config("fast", {"train": {"hard_negatives": 0}})
    with pytest.raises(ConfigError, match="hard_negative_folds"):
        load_model_config("fast", {"train": {"hard_negative_folds": 1}})
    bad = tmp_path / "b.yaml"
    bad.write_text("arch: transformer\n")
    with pytest.raises(ConfigError, match="arch"):
        load_model_config(bad)


def test_presets_are_one_table_and_the_command_line_help_is_derived_from_it() -> None:
    from ictal.cli.learn import MODEL_HELP

    assert tuple(row.name for row in PRESET_TABLE) == PRESETS
    for row in PRESET_TABLE:
        assert f"{row.name} ({row.description})" in presets_help()
        cfg = preset(row.name)
        assert (cfg.name, cfg.arch) == (row.name, row.arch)
    assert presets_help() == MODEL_HELP
