"""API shapes of imported keypoints (``ictal keypoints`` shards on the platform).

Pixel coordinates are those of the shard: integer coordinates at pixel centres, in the frame
of ``width`` x ``height`` (the recording's video); frames are the recording's frame indices at
its exact ``fps``. A gap is ``null``, never an invented point.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ictal.server.schemas import _Out

#: ``[x px, y px, confidence]`` of one keypoint, or ``None`` where it was not seen.
Point = list[float] | None
#: The keypoints of one frame (11 body joints or 23 face landmarks), ``None``: none seen.
FramePoints = list[Point] | None


class KeypointSetPublic(_Out):
    """An imported keypoint shard of a recording, with what a viewer needs to draw it."""

    id: int
    recording_id: int
    source_recording: str
    source: str
    fps: str
    width: int
    height: int
    n_rows: int
    first_frame: int
    last_frame: int
    body_frames: int
    face_frames: int
    has_3d: bool
    sha256: str
    provenance: dict[str, Any]
    created_by: int | None
    created_at: datetime
    joints: list[str]
    landmarks: list[str]
    #: (parent, child) joint indices of the skeleton's bones
    bones: list[list[int]]
    #: landmark index chains drawn as lines
    face_outlines: list[list[int]]


class KeypointFrames(BaseModel):
    """Frames ``[start, stop)`` of a keypoint set: the frames it holds in that range, in order,
    and per frame its body (11) and face (23) points."""

    keypoint_set_id: int
    start: int
    stop: int
    frames: list[int]
    body: list[FramePoints]
    face: list[FramePoints]


class LaneWindow(BaseModel):
    """One window of a limb's activity lane: frames ``[start_frame, stop_frame)``, the limb's
    mean speed (``unit``; ``None`` where it was not measured) and ``level`` in ``[0, 1]`` (the
    speed over the 95th percentile of every limb's window speeds of the recording, clipped)."""

    start_frame: int
    stop_frame: int
    speed: float | None
    level: float | None


class LimbLane(BaseModel):
    limb: str
    windows: list[LaneWindow]


class KeypointLanes(BaseModel):
    """Per-limb activity lanes of a keypoint set (``ictal.keypoints.overlay.activity_lanes``)."""

    keypoint_set_id: int
    window_s: float
    unit: str
    limbs: list[LimbLane]
