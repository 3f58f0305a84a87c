"""Synthetic feature tables: class-dependent signal plus per-patient offsets."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.evaluation.synthetic import synthetic_table

from ictal.features.table import FeatureTable


@pytest.fixture
def make_table() -> Callable[..., FeatureTable]:
    return synthetic_table
