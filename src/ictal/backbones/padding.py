"""Fixed-length feature sequences: pre-padding with -1 and a mask (seeds 000/001)."""

from __future__ import annotations

import numpy as np

from ictal.errors import ShapeError

PAD_VALUE = -1.0


def pad_timesteps(features: np.ndarray, max_t: int) -> tuple[np.ndarray, np.ndarray]:
    """Pre-pad a feature sequence with ``-1`` rows to ``max_t`` timesteps.

    Seed 000 ("Feature extraction"): samples shorter than 60 frames give fewer than 7 I3D
    timesteps and "were pre-padded with dummy feature vectors ... with a value of -1 for future
    masking" -- padding goes *before* the real timesteps, so the last timestep is always real.

    Args:
        features: ``(t, F)`` ``float32`` with ``t <= max_t``.
        max_t: timesteps of a full sample (7 for I3D on 60 frames).

    Returns:
        ``(max_t, F)`` ``float32`` features (``-1`` in the first ``max_t - t`` rows) and the
        ``(max_t,)`` ``bool`` mask (``True`` = real timestep).
    """
    if features.ndim != 2:
        raise ShapeError(f"pad_timesteps expects (t, F) features, got shape {features.shape}")
    t, n_features = features.shape
    if t > max_t:
        raise ShapeError(
            f"{t} timesteps do not fit in {max_t}",
            hint="a sample longer than the backbone's full sample was passed; cut it first",
        )
    out = np.full((max_t, n_features), PAD_VALUE, dtype=np.float32)
    mask = np.zeros(max_t, dtype=bool)
    if t:
        out[max_t - t:] = features
        mask[max_t - t:] = True
    return out, mask
