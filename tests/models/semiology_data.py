"""Synthetic seizure-level semiology tables (seed 004's four streams) for model tests.

Each row is one seizure clip: body keypoints (11 x 3), face keypoints (23 x 3) and body / face
appearance features, over ``timesteps`` steps, laid out as :mod:`ictal.features.streams`
declares. A positive row's left wrist swings at 1 cycle per clip and its face appearance
carries an offset, so every stream can learn the label.
"""

from __future__ import annotations

import numpy as np

from ictal.features.table import FeatureTable

APP = 8


def layout(channels: int = 3, app: int = APP) -> dict[str, dict[str, int | str]]:
    body, face = 11 * channels, 23 * channels
    return {
        "body": {"kind": "keypoints", "start": 0, "stop": body, "nodes": 11,
                 "channels": channels},
        "face": {"kind": "keypoints", "start": body, "stop": body + face, "nodes": 23,
                 "channels": channels},
        "body_app": {"kind": "appearance", "start": body + face, "stop": body + face + app,
                     "nodes": 0, "channels": app},
        "face_app": {"kind": "appearance", "start": body + face + app,
                     "stop": body + face + 2 * app, "nodes": 0, "channels": app},
    }


def semiology_table(*, patients: int = 6, seizures: int = 2, timesteps: int = 16,
                    labels: tuple[str, str] = ("FLE", "TLE"), signal: float = 1.0,
                    seed: int = 0) -> FeatureTable:
    """Patients alternate between ``labels[0]`` (negative) and ``labels[1]``."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, timesteps)
    rows, meta = [], []
    for p in range(patients):
        positive = p % 2 == 1
        for s in range(seizures):
            body = rng.normal(scale=0.3, size=(timesteps, 11, 3))
            face = rng.normal(scale=0.3, size=(timesteps, 23, 3))
            body[..., 2] = 1.0
            face[..., 2] = 1.0
            if positive:
                body[:, 6, 0] += signal * np.sin(t)
                face[:, 19:23, 1] += signal
            b_app = rng.normal(size=(timesteps, APP)) + (signal if positive else 0.0)
            f_app = rng.normal(size=(timesteps, APP)) + (signal if positive else 0.0)
            rows.append(np.concatenate([body.reshape(timesteps, -1), face.reshape(timesteps, -1),
                                        b_app, f_app], axis=1))
            meta.append((f"P{p:02d}", f"E{p:02d}_{s}", labels[int(positive)]))
    n = len(rows)
    start = np.zeros(n, np.int64)
    return FeatureTable(
        features=np.stack(rows).astype(np.float32), mask=np.ones((n, timesteps), bool),
        patient=np.asarray([m[0] for m in meta]), recording=np.asarray([m[1] for m in meta]),
        event=np.asarray([m[1] for m in meta]), label=np.asarray([m[2] for m in meta]),
        view=np.full(n, ""), start_frame=start, stop_frame=start + timesteps * 2,
        fps=np.full(n, 25.0), t_start=np.zeros(n), t_stop=np.full(n, timesteps * 2 / 25.0),
        attrs={"backbone": "synthetic", "streams": layout()})
