"""Synthetic feature tables for the tests of the learning stage (models, training, evaluation).

Rows carry a class-dependent signal plus a per-patient offset, so that patient-grouped and
leaky (sample-level) cross-validation give measurably different results.
"""

from __future__ import annotations

import numpy as np

from ictal.features.table import FeatureTable


def synthetic_table(*, patients: int = 10, events: int = 2, samples: int = 6, timesteps: int = 4,
                    features: int = 8, signal: float = 2.0, offset: float = 0.0,
                    classes: tuple[str, ...] = ("FLE", "TLE"), seed: int = 0) -> FeatureTable:
    """A table of ``patients`` x ``events`` x ``samples`` rows ``(timesteps, features)``.

    Patients alternate between classes; a row's features are
    ``signal * class_direction + offset * patient_direction + noise``; the last row of every
    event is pre-padded (first timestep = -1, masked)."""
    rng = np.random.default_rng(seed)
    class_dir = rng.normal(size=(len(classes), features))
    rows = []
    for p in range(patients):
        cls = p % len(classes)
        pdir = rng.normal(size=features)
        for e in range(events):
            for s in range(samples):
                x = (signal * class_dir[cls] + offset * pdir
                     + rng.normal(size=(timesteps, features)))
                rows.append((f"P{p:02d}", f"R{p:02d}_{e}", f"E{p:02d}_{e}", classes[cls], s, x))
    n = len(rows)
    feats = np.stack([r[5] for r in rows]).astype(np.float32)
    mask = np.ones((n, timesteps), bool)
    last = np.asarray([r[4] == samples - 1 for r in rows])
    feats[last, 0] = -1.0
    mask[last, 0] = False
    start = np.asarray([r[4] * 60 for r in rows], dtype=np.int64)
    return FeatureTable(
        features=feats, mask=mask, patient=np.asarray([r[0] for r in rows]),
        recording=np.asarray([r[1] for r in rows]), event=np.asarray([r[2] for r in rows]),
        label=np.asarray([r[3] for r in rows]), view=np.asarray([""] * n),
        start_frame=start, stop_frame=start + 60, fps=np.full(n, 30.0),
        t_start=start / 30.0, t_stop=(start + 60) / 30.0,
        attrs={"backbone": "synthetic", "weights_sha256": "0" * 64},
    )
