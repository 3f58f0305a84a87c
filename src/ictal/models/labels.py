"""Which of a model's classes are seizures: every label but the background ones (``NE`` by
default, the phantom's and seed 000's no-seizure class). Used by the monitor's alarm rules
(a window's seizure score) and by hard-negative mining in training (the background windows a
model scores as seizures). Imports nothing heavy: the monitor's CLI checks a bundle's labels
before torch loads."""

from __future__ import annotations

from collections.abc import Sequence

from ictal.errors import ConfigError


def seizure_columns(labels: Sequence[str], background: Sequence[str]) -> list[int]:
    """Columns of the seizure classes (every label not in ``background``).

    Raises:
        ConfigError: the labels leave no seizure class or no background class.
    """
    cols = [i for i, label in enumerate(labels) if label not in background]
    if not cols or len(cols) == len(labels):
        raise ConfigError(
            f"the model's labels {list(labels)} with background {list(background)} leave "
            f"{'no seizure class' if not cols else 'no background class'}",
            hint="a seizure score needs a background class (--background or train.background "
                 "names it) and at least one seizure class")
    return cols
