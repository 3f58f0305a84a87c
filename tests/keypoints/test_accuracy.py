"""Accuracy figures: perfect, shifted and misplaced (staff) skeletons against the truth."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ictal.keypoints.accuracy import score_body, torso_length
from ictal.keypoints.phantom import PhantomSource
from ictal.manifest import Manifest


def test_scores(phantom: Manifest) -> None:
    truth = PhantomSource()(phantom, phantom.recordings[0])
    same = score_body(truth, truth)
    assert same["pck"] == 1.0 and same["error_px"] == 0.0 and same["on_patient"] == 1.0
    assert same["error_3d_mm"] == 0.0 and same["found"] == 1.0
    torso = torso_length(truth)
    # every joint 0.2 torso off: PCK@0.1 fails, still on the patient
    shifted = replace(truth, body=truth.body.copy())
    shifted.body[..., 0] += 0.2 * torso[:, None]
    s = score_body(shifted, truth)
    assert s["pck"] == 0.0 and s["on_patient"] == 1.0
    assert s["error_px"] == pytest.approx(float(np.mean(0.2 * torso)), rel=1e-4)
    # a skeleton two torsos away (staff) on half of the frames, nothing on a quarter
    other = replace(truth, body=truth.body.copy(), body_3d=None)
    T = len(truth)
    other.body[: T // 2, :, 1] += 2 * torso[: T // 2, None]
    other.body[3 * T // 4:] = (np.nan, np.nan, 0.0)
    s = score_body(other, truth)
    assert s["found"] == pytest.approx((T - (T - 3 * T // 4)) / T)
    assert s["on_patient"] == pytest.approx((3 * T // 4 - T // 2) / (3 * T // 4))
    assert s["error_3d_mm"] is None
