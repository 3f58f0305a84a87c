"""Conformance helpers: rebuild the random reference weights and inputs of tests/data/conformance.

The recipes are those of ``tests/data/conformance/README.md``: weights drawn from the manifest in
order with one seed, cast to fp16; inputs ``torch.manual_seed(7); rand * 2 - 1``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

INPUT_SHA256 = {
    (1, 3, 60, 224, 224): "10361c03d3e26aff7e834b00463c921d7655ae9adbf80e8beda688042d27e7a8",
    (1, 3, 16, 224, 224): "a69539d46511d1dd29bdabe92011997038d8ff71aa07067f4c20de32948b5151",
    (1, 3, 8, 112, 112): "4b63234f24abacd24f83124a627bc2ad617ede5f42559794914da3c249df05f8",
    (1, 3, 32, 112, 112): "4585e1bb428e0ebb3c77f1d6be9af79e2315522d5b73643ee10837ed62ec6549",
}
SEEDS = {"i3d": 20260101, "r2plus1d_18": 20260102, "r2plus1d_34": 20260102,
         "resnet34": 20260103, "wide_resnet50_2": 20260104, "r3d_18": 1, "mc3_18": 2}


@pytest.fixture(scope="session")
def conformance_dir(data_dir: Path) -> Path:
    return data_dir / "conformance"


@pytest.fixture(scope="session")
def manifest(conformance_dir: Path) -> Callable[[str], list[tuple[str, list[int]]]]:
    """``manifest(model)`` -> ordered ``[(key, shape)]`` of the reference state dict."""

    def load(model: str) -> list[tuple[str, list[int]]]:
        data = json.loads((conformance_dir / f"{model}_state_dict_manifest.json").read_text())
        return [(k, list(shape)) for k, shape in data["state_dict"]]

    return load


@pytest.fixture(scope="session")
def manifest_info(conformance_dir: Path) -> Callable[[str], dict]:
    return lambda model: json.loads(
        (conformance_dir / f"{model}_state_dict_manifest.json").read_text())


@pytest.fixture(scope="session")
def random_state_dict(manifest: Callable) -> Callable[[str], dict[str, torch.Tensor]]:
    """``random_state_dict(model)`` -> the fp16 random weights the expected outputs used."""

    def build(model: str) -> dict[str, torch.Tensor]:
        torch.manual_seed(SEEDS[model])
        state: dict[str, torch.Tensor] = {}
        for key, shape in manifest(model):
            if key.endswith("num_batches_tracked"):
                state[key] = torch.tensor(0)
                continue
            if key.endswith("running_mean"):
                t = torch.randn(shape) * 0.1
            elif key.endswith("running_var"):
                t = torch.rand(shape) + 0.5
            elif key.endswith("weight") and len(shape) >= 2:
                t = torch.randn(shape) * float(np.prod(shape[1:])) ** -0.5
            elif key.endswith("weight"):
                t = torch.rand(shape) + 0.5
            else:
                t = torch.randn(shape) * 0.1
            state[key] = t.half()
        return state

    return build


@pytest.fixture(scope="session")
def reference_input() -> Callable[..., torch.Tensor]:
    """``reference_input(*shape)`` -> the seeded input, checked against its published sha256."""

    def make(*shape: int) -> torch.Tensor:
        torch.manual_seed(7)
        x = torch.rand(*shape) * 2 - 1
        if shape in INPUT_SHA256:
            assert hashlib.sha256(x.numpy().tobytes()).hexdigest() == INPUT_SHA256[shape]
        return x

    return make


@pytest.fixture(scope="session")
def expected(conformance_dir: Path) -> Callable[[str], dict[str, np.ndarray]]:
    return lambda name: dict(np.load(conformance_dir / f"{name}_expected.npz"))


@pytest.fixture(scope="session")
def state_layout() -> Callable[[torch.nn.Module], list[tuple[str, list[int]]]]:
    """``state_layout(model)`` -> ordered ``[(key, shape)]`` of its state dict."""
    return lambda model: [(k, list(v.shape)) for k, v in model.state_dict().items()]


@pytest.fixture(scope="session")
def trainable() -> Callable[[torch.nn.Module], int]:
    """``trainable(model)`` -> number of trainable parameters."""
    return lambda model: sum(p.numel() for p in model.parameters() if p.requires_grad)
