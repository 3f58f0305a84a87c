"""Keypoints on the platform: ``ictal keypoints`` shards imported onto their recording (like
model runs), the skeleton per frame range and the per-limb activity lanes for the labelling
screen's overlay."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from ictal.server.db import commit
from ictal.server.deps import CurrentUser, DataScientist, DbSession
from ictal.server.keypoint_schemas import KeypointFrames, KeypointLanes, KeypointSetPublic
from ictal.server.repositories import keypoints, recordings
from ictal.server.routes.responses import COMMON
from ictal.server.schemas import DB_INT_MAX, DbId

router = APIRouter(tags=["keypoints"], responses=COMMON)

#: The media type of an uploaded shard (HDF5); ``application/octet-stream`` is taken too.
HDF5 = "application/x-hdf5"

FrameIndex = Annotated[int, Query(ge=0, le=DB_INT_MAX)]


@router.post(
    "/recordings/{recording_id}/keypoints", response_model=KeypointSetPublic,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"required": True, "content": {
        HDF5: {"schema": {"type": "string", "format": "binary"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
)
def import_keypoints(recording_id: DbId, user: DataScientist, db: DbSession,
                     body: Annotated[bytes, Body(media_type=HDF5)]) -> KeypointSetPublic:
    """Import one shard of ``ictal keypoints`` (``<recording>.h5``, format
    ``ictal-keypoints/1``) as the raw request body, within the server's request size limit.

    Refused (422, naming both) unless it is of this recording: its ``recording`` (``rec-<id>``
    in an export of this server), the duration and stream fingerprints it carries, the
    recording's frame rate, pixel size and frames."""
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    kp = keypoints.create_keypoint_set(db, user, rec, body)
    commit(db)
    return KeypointSetPublic.model_validate(keypoints.keypoint_set_public(kp))


@router.get("/recordings/{recording_id}/keypoints", response_model=list[KeypointSetPublic])
def list_keypoints(recording_id: DbId, user: CurrentUser,
                   db: DbSession) -> list[KeypointSetPublic]:
    """The keypoint sets imported onto the recording, oldest first."""
    rec = recordings.get_recording(db, recording_id, user.clinic_ids)
    return [KeypointSetPublic.model_validate(keypoints.keypoint_set_public(k))
            for k in keypoints.list_keypoint_sets(db, rec)]


@router.get("/keypoint-sets/{keypoint_set_id}", response_model=KeypointSetPublic)
def get_keypoints(keypoint_set_id: DbId, user: CurrentUser, db: DbSession) -> KeypointSetPublic:
    """One keypoint set: what it was computed from, and the layout to draw it with."""
    kp = keypoints.get_keypoint_set(db, keypoint_set_id, user.clinic_ids)
    return KeypointSetPublic.model_validate(keypoints.keypoint_set_public(kp))


@router.get("/keypoint-sets/{keypoint_set_id}/frames", response_model=KeypointFrames)
def keypoint_frames(keypoint_set_id: DbId, start: FrameIndex, stop: FrameIndex,
                    user: CurrentUser, db: DbSession) -> KeypointFrames:
    """The skeleton and face points of frames ``[start, stop)`` (at most
    ``MAX_FRAMES_PER_REQUEST`` = 3000 frames): the frames the set holds there, each with 11
    body and 23 face points ``[x px, y px, confidence]``; ``null`` for a gap."""
    kp = keypoints.get_keypoint_set(db, keypoint_set_id, user.clinic_ids)
    return KeypointFrames.model_validate(keypoints.frames_between(db, kp, start, stop))


@router.get("/keypoint-sets/{keypoint_set_id}/lanes", response_model=KeypointLanes)
def keypoint_lanes(keypoint_set_id: DbId, user: CurrentUser, db: DbSession) -> KeypointLanes:
    """Per-limb activity lanes (1 s windows of the limb's speed and its level in [0, 1])."""
    kp = keypoints.get_keypoint_set(db, keypoint_set_id, user.clinic_ids)
    return KeypointLanes.model_validate(keypoints.lanes_of(kp))


@router.delete("/keypoint-sets/{keypoint_set_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_keypoints(keypoint_set_id: DbId, user: DataScientist, db: DbSession) -> None:
    """Delete a keypoint set (e.g. imported onto the wrong recording); audited."""
    keypoints.delete_keypoint_set(db, user, keypoints.get_keypoint_set(
        db, keypoint_set_id, user.clinic_ids))
    commit(db)
