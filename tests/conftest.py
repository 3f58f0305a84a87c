"""Fixtures shared by the whole test-suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The workplace's ``shared/`` folder (conformance data, samples), beside the repository."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} not found: clone the repository next to shared/")
    return SHARED
