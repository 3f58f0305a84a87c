"""The backbone registry is explicit data, and ``ictal backbones`` lists it."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ictal.backbones import InputSpec, default_registry, weights_dir
from ictal.backbones.registry import BackboneRegistry
from ictal.errors import ConfigError


def test_default_registry_holds_the_seed_backbones() -> None:
    registry = default_registry()
    assert {"i3d", "r2plus1d_18", "r2plus1d_34_8", "r2plus1d_34_32", "r3d_18", "mc3_18",
            "resnet34", "wide_resnet50_2", "motion"} == set(registry.names())
    i3d = registry.get("i3d")
    assert (i3d.input.frames, i3d.input.size, i3d.input.value_range) == (60, 224, (-1.0, 1.0))
    assert (i3d.timesteps, i3d.features) == (7, 1024)
    assert registry.get("r2plus1d_34_32").input.frames == 32
    assert registry.get("r2plus1d_34_8").features == 512
    for spec in registry:
        if spec.checkpoint and spec.checkpoint.hash_prefix:
            assert spec.checkpoint.hash_prefix in spec.checkpoint.file
        assert callable(spec.resolve_builder())
    assert default_registry() is not registry  # built fresh, no shared module state


def test_unknown_and_duplicate_names_are_refused() -> None:
    registry = default_registry()
    with pytest.raises(ConfigError, match="i3d"):
        registry.get("i3e")
    with pytest.raises(ConfigError, match="already"):
        registry.add(registry.get("motion"))
    custom = BackboneRegistry([replace(registry.get("motion"), name="motion_small",
                                       input=InputSpec(frames=30, size=64))])
    assert custom.names() == ["motion_small"] and "motion" not in custom


def test_input_spec_needs_one_normalisation() -> None:
    with pytest.raises(ValueError):
        InputSpec(frames=8, size=112, value_range=None)


def test_weights_dir_default_and_env(tmp_path: Path) -> None:
    assert weights_dir({}) == Path("~/.cache/ictal/weights").expanduser()
    assert weights_dir({"ICTAL_WEIGHTS_DIR": str(tmp_path)}) == tmp_path


def _ictal(*args: str, env_dir: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "ICTAL_WEIGHTS_DIR": str(env_dir), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "ictal", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def test_cli_lists_backbones_with_checkpoint_status(tmp_path: Path) -> None:
    (tmp_path / "rgb_imagenet.pt").write_bytes(b"x")
    out = _ictal("backbones", "--json", env_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)["backbones"]}
    assert rows["i3d"]["status"] == "found"
    assert rows["r2plus1d_18"]["status"] == "missing"
    assert rows["motion"]["status"] == "weight-free"
    out = _ictal("backbones", env_dir=tmp_path)
    assert out.returncode == 0 and "r2plus1d_34_clip8" in out.stdout and "found" in out.stdout
    out = _ictal("backbones", "--name", "nope", env_dir=tmp_path)
    assert out.returncode == 2 and "unknown backbone" in out.stderr
    out = _ictal("backbones", "--name", "i3d", "--verify", "--json", env_dir=tmp_path)
    (row,) = json.loads(out.stdout)["backbones"]
    assert row["status"] == "bad" and "rgb_imagenet.pt" in row["problem"]
