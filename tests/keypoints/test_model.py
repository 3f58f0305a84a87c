"""The ``model`` source's per-frame step on a real clip (the packaged models must be installed,
as for tests/landmarks): the umpire of the cricket clip found, then followed, in the store's
layout."""

from __future__ import annotations

import numpy as np
from tests.landmarks.conftest import cricket, models  # noqa: F401 - shared fixtures

from ictal.keypoints.layout import B
from ictal.keypoints.model import ModelKeypointer, ModelOptions, to_layout

UMPIRE = (100, 85, 155, 195)  # (x0, y0, x1, y1) px on frame 0 (tests/landmarks/test_pose.py)


def test_the_umpire_is_found_then_followed_in_the_store_layout(
        models: None, cricket: list[np.ndarray]) -> None:  # noqa: F811
    kp = ModelKeypointer(options=ModelOptions(face=False, threads=1))
    # one pose landmark model serves the search and the tracking
    assert kp.landmarker is kp.searcher.landmarker
    results = [kp(frame) for frame in cricket[:6]]
    assert all(r.body is not None and r.body.shape == (33, 5) for r in results)
    assert all(r.face is None for r in results)  # face=False
    body, face = to_layout(results)
    assert body.shape == (6, 11, 3) and face.shape == (6, 23, 3)
    assert not (face[..., 2] > 0).any()
    x0, y0, x1, y1 = UMPIRE
    neck = body[0, B["neck"]]
    assert x0 <= neck[0] <= x1 and y0 <= neck[1] <= y1 and neck[2] > 0
    # pixel centres: the store's x is the model's continuous x less half a pixel
    raw = results[0].body
    assert raw is not None
    shoulders = raw[[11, 12], :2].mean(0) - 0.5  # BlazePose's left / right shoulder
    assert np.allclose(neck[:2], shoulders, atol=1e-3)
    assert body[1:, B["head"], 1].mean() < body[1:, B["spine_base"], 1].mean()  # standing
