"""A small phantom (IR + depth at 128x106, with face ground truth) and the ``ictal`` command
run in this process, for the keypoint tests."""

from __future__ import annotations

import pytest
from tests.cli.conftest import Ictal, ictal  # noqa: F401 - the shared in-process runner

from ictal.manifest import Manifest, load_manifest
from ictal.phantom import PhantomConfig, generate_dataset


@pytest.fixture(scope="session")
def phantom(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    """Two patients (one under a blanket), one seizure each, Kinect IR + depth 128x106 at
    30 fps, ~4-5 s; read only."""
    out = tmp_path_factory.mktemp("kp-phantom")
    result = generate_dataset(PhantomConfig.tiny(n_patients=2, seed=7, scale=0.25), out,
                              workers=1, progress=False)
    assert result.report.exit_code == 0
    return load_manifest(result.manifest_path)
