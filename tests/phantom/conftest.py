"""A tiny phantom dataset generated once for the phantom tests, and a depth/IR decoder."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from ictal.phantom import GenerateResult, PhantomConfig, generate_dataset


@pytest.fixture(scope="session")
def tiny_cfg() -> PhantomConfig:
    return PhantomConfig.tiny(n_patients=3, seed=7)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory,
                 tiny_cfg: PhantomConfig) -> tuple[Path, GenerateResult]:
    out = tmp_path_factory.mktemp("phantom")
    result = generate_dataset(tiny_cfg, out, workers=1, progress=False)
    return out, result


def decode16(path: Path) -> np.ndarray:
    """All frames of a gray16le FFV1 file as ``(T, H, W) uint16`` (PyAV, no ictal code)."""
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="gray16le") for f in container.decode(video=0)])
