"""The overlay payload: frame-exact skeletons, gaps as null, lanes that show which limb moves."""

from __future__ import annotations

import json

import numpy as np

from ictal.keypoints.layout import B
from ictal.keypoints.overlay import overlay_payload
from ictal.keypoints.phantom import PhantomSource
from ictal.manifest import Manifest


def test_payload_round_trips_through_json(phantom: Manifest) -> None:
    track = PhantomSource()(phantom, phantom.recordings[0])
    track.body[5] = (np.nan, np.nan, 0.0)  # a frame without a skeleton
    track.body[6, B["left_wrist"]] = (np.nan, np.nan, 0.0)  # one joint missing
    payload = json.loads(json.dumps(overlay_payload(track)))
    assert payload["fps"] == "30/1" and payload["frames"][:3] == [0, 1, 2]
    assert len(payload["body"]) == len(track)
    assert payload["body"][5] is None
    assert payload["body"][6][B["left_wrist"]] is None
    x, y, c = payload["body"][7][B["head"]]
    assert abs(x - track.body[7, B["head"], 0]) <= 0.05 and c == 1.0
    assert abs(y - track.body[7, B["head"], 1]) <= 0.05
    assert [0, 1] in payload["bones"] or [1, 0] in payload["bones"]
    lanes = payload["lanes"]
    assert set(lanes) == {"head", "left_arm", "right_arm", "left_forearm", "right_forearm",
                          "trunk"}
    levels = [w["level"] for lane in lanes.values() for w in lane if w["level"] is not None]
    assert levels and max(levels) == 1.0 and min(levels) >= 0.0
    # 1 s windows, exact frames
    assert lanes["head"][1]["start_frame"] == 30 and lanes["head"][1]["stop_frame"] == 60
