"""Fixtures shared by the whole test-suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.ray_cluster import ray_address, ray_phantom  # noqa: F401 - shared fixtures

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The repository's test data: ``conformance/`` (reference outputs of the public ports on
    seeded random weights) and ``samples/`` (a real UCF-101 clip); see their READMEs."""
    return DATA
