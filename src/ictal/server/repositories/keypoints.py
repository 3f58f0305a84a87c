"""Imported keypoints: ``ictal keypoints`` shards of a recording, their frames and lanes.

A shard is checked against the recording it is imported onto (:func:`check_shard`, the rules
of model runs: its ``recording`` id, and the duration and stream fingerprints ``ictal
keypoints`` writes as ``recording_source``; then its frame rate, pixel size and frames), its
rows are stored in chunks of :data:`CHUNK_ROWS` (``frame`` (n,) int64, ``body`` (n, 11, 3),
``face`` (n, 23, 3) float32 in an ``.npz``), and the per-limb activity lanes are computed once
(:func:`ictal.keypoints.overlay.activity_lanes`).
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ictal.keypoints.layout import BODY_JOINTS, FACE_LANDMARKS, LIMBS
from ictal.keypoints.overlay import activity_lanes, frame_points
from ictal.keypoints.store import KeypointStoreError, KeypointTrack, read_track_bytes
from ictal.server.errors import InvalidError, NotFoundError
from ictal.server.models import KeypointChunk, KeypointSet, Recording, User
from ictal.server.repositories.audit import add_audit
from ictal.server.repositories.sources import check_source

#: Rows per stored chunk (a frame range request reads only the chunks it overlaps).
CHUNK_ROWS = 512
#: Most frames one ``frames`` request may ask for.
MAX_FRAMES_PER_REQUEST = 3000
#: Width of the activity lanes' windows (s).
LANE_WINDOW_S = 1.0


def parse_shard(data: bytes) -> KeypointTrack:
    """The uploaded bytes as a track; :class:`InvalidError` when they are not a shard."""
    try:
        track = read_track_bytes(data, "the uploaded file")
    except KeypointStoreError as err:
        raise InvalidError(f"{err.args[0]}; send a shard that `ictal keypoints` wrote "
                           "(<recording>.h5), unchanged") from err
    for name in ("body", "face"):
        conf = getattr(track, name)[..., 2]
        bad = ~(np.isfinite(conf) & (conf >= 0) & (conf <= 1))
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            raise InvalidError(f"the uploaded file: {name} confidence of frame "
                               f"{int(track.frames[row])} is not in [0, 1]")
    return track


def check_shard(db: Session, rec: Recording, track: KeypointTrack) -> None:
    """:class:`InvalidError` naming both unless ``track`` holds keypoints of ``rec``: the
    recording it names and its ``recording_source``, by the rule of model runs
    (:func:`~ictal.server.repositories.sources.check_source`); the recording's frame rate and
    pixel size, and frames inside the recording (all of them, when the shard has one row per
    frame)."""
    mine = f"rec-{rec.id}"
    src = track.attrs.get("recording_source")
    check_source(
        db, rec, what="these keypoints", recording=track.recording,
        where="the shard's 'recording'", source=src if isinstance(src, dict) else None,
        source_name="'recording_source' in its provenance",
        hint="run `ictal keypoints` on a manifest exported by this server")
    if track.fps != Fraction(rec.fps):
        raise InvalidError(f"the keypoints are at {track.fps} fps, recording {rec.id} ({mine}) at "
                           f"{rec.fps} fps: keypoints must be on the recording's own frames")
    if (track.width, track.height) != (rec.width, rec.height):
        raise InvalidError(
            f"the keypoints are in a {track.width}x{track.height} frame, recording {rec.id}'s "
            f"video is {rec.width}x{rec.height}: compute them on the recording's own video")
    if len(track) == 0:
        raise InvalidError("the shard holds no frame")
    last = int(track.frames[-1])
    if int(track.frames[0]) < 0 or last >= rec.n_frames:
        raise InvalidError(f"the keypoints reach frame {last}, recording {rec.id} ({mine}) has "
                           f"{rec.n_frames} frames (0-{rec.n_frames - 1}): are they the "
                           "keypoints of another recording?")
    every = len(track) == last + 1 and int(track.frames[0]) == 0
    if every and len(track) != rec.n_frames:
        raise InvalidError(f"the shard has one row per frame for {len(track)} frames, recording "
                           f"{rec.id} ({mine}) has {rec.n_frames}: are they the keypoints of "
                           "another recording?")


def _lanes(track: KeypointTrack) -> dict[str, Any]:
    raw = activity_lanes(track, window_s=LANE_WINDOW_S)
    unit = next((w["unit"] for ws in raw.values() for w in ws), "")
    limbs = {limb: [{k: w[k] for k in ("start_frame", "stop_frame", "speed", "level")}
                    for w in raw.get(limb, [])] for limb in LIMBS}
    return {"window_s": LANE_WINDOW_S, "unit": unit, "limbs": limbs}


def _encode(frames: np.ndarray, body: np.ndarray, face: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, frame=frames, body=body, face=face)
    return buf.getvalue()


def _decode(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.load(io.BytesIO(data)) as z:
        return z["frame"], z["body"], z["face"]


def create_keypoint_set(db: Session, actor: User, rec: Recording, data: bytes) -> KeypointSet:
    """Store an uploaded shard of ``rec`` (:func:`parse_shard`, :func:`check_shard`)."""
    track = parse_shard(data)
    check_shard(db, rec, track)
    try:
        lanes = _lanes(track)
    except (ValueError, FloatingPointError) as err:
        raise InvalidError(f"the activity lanes of these keypoints cannot be computed ({err})"
                           ) from err
    kp = KeypointSet(
        recording_id=rec.id, clinic_id=rec.clinic_id, source_recording=track.recording,
        source=str(track.attrs.get("source", "unknown"))[:32],
        fps=rec.fps, width=track.width, height=track.height, n_rows=len(track),
        first_frame=int(track.frames[0]), last_frame=int(track.frames[-1]),
        body_frames=int(track.found("body").sum()), face_frames=int(track.found("face").sum()),
        has_3d=track.has_3d, sha256=hashlib.sha256(data).hexdigest(),
        provenance=_json_safe(track.attrs), lanes=lanes, created_by=actor.id)
    db.add(kp)
    db.flush()
    db.add_all(
        KeypointChunk(set_id=kp.id, index=i, start_frame=int(track.frames[a]),
                      stop_frame=int(track.frames[min(a + CHUNK_ROWS, len(track)) - 1]) + 1,
                      data=_encode(track.frames[a:a + CHUNK_ROWS], track.body[a:a + CHUNK_ROWS],
                                   track.face[a:a + CHUNK_ROWS]))
        for i, a in enumerate(range(0, len(track), CHUNK_ROWS)))
    db.flush()
    add_audit(db, actor, "create", "keypoint_set", kp.id, kp.clinic_id,
              after={"recording_id": rec.id, "source": kp.source, "frames": kp.n_rows,
                     "sha256": kp.sha256})
    return kp


def _json_safe(value: Any) -> Any:
    """Provenance as JSON the databases store (non-finite floats as ``None``)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return value.replace("\x00", "")
    return value


def get_keypoint_set(db: Session, set_id: int, clinic_ids: Sequence[int]) -> KeypointSet:
    kp = db.get(KeypointSet, set_id)
    if kp is None or kp.clinic_id not in clinic_ids:
        raise NotFoundError(f"keypoint set {set_id} not found")
    return kp


def list_keypoint_sets(db: Session, rec: Recording) -> list[KeypointSet]:
    q = select(KeypointSet).where(KeypointSet.recording_id == rec.id).order_by(KeypointSet.id)
    return list(db.scalars(q))


def frames_between(db: Session, kp: KeypointSet, start: int, stop: int) -> dict[str, Any]:
    """The rows of frames ``[start, stop)``: ``frames``, ``body`` and ``face`` as JSON
    (:func:`ictal.keypoints.overlay.frame_points`)."""
    if stop <= start:
        raise InvalidError(f"stop ({stop}) must be greater than start ({start})")
    if stop - start > MAX_FRAMES_PER_REQUEST:
        raise InvalidError(f"at most {MAX_FRAMES_PER_REQUEST} frames per request, asked for "
                           f"{stop - start} ({start}-{stop}): ask for shorter ranges")
    q = (select(KeypointChunk.data).where(KeypointChunk.set_id == kp.id,
                                          KeypointChunk.start_frame < stop,
                                          KeypointChunk.stop_frame > start)
         .order_by(KeypointChunk.index))
    frames: list[int] = []
    body: list[Any] = []
    face: list[Any] = []
    for data in db.scalars(q):
        f, b, fc = _decode(data)
        keep = (f >= start) & (f < stop)
        frames += [int(x) for x in f[keep]]
        body += frame_points(b[keep])
        face += frame_points(fc[keep])
    return {"keypoint_set_id": kp.id, "start": start, "stop": stop, "frames": frames,
            "body": body, "face": face}


def lanes_of(kp: KeypointSet) -> dict[str, Any]:
    """The stored lanes as :class:`~ictal.server.keypoint_schemas.KeypointLanes` data."""
    lanes = kp.lanes
    return {"keypoint_set_id": kp.id, "window_s": lanes["window_s"], "unit": lanes["unit"],
            "limbs": [{"limb": limb, "windows": windows}
                      for limb, windows in lanes["limbs"].items()]}


def keypoint_set_public(kp: KeypointSet) -> dict[str, Any]:
    """The set's columns and the layout a viewer draws with."""
    from ictal.keypoints.layout import BODY_BONES, FACE_OUTLINES

    return {**{c: getattr(kp, c) for c in (
        "id", "recording_id", "source_recording", "source", "fps", "width", "height", "n_rows",
        "first_frame", "last_frame", "body_frames", "face_frames", "has_3d", "sha256",
        "provenance", "created_by", "created_at")},
        "joints": list(BODY_JOINTS), "landmarks": list(FACE_LANDMARKS),
        "bones": [list(b) for b in BODY_BONES], "face_outlines": [list(c) for c in FACE_OUTLINES]}


def delete_keypoint_set(db: Session, actor: User, kp: KeypointSet) -> None:
    """Delete a set and its chunks; audited."""
    add_audit(db, actor, "delete", "keypoint_set", kp.id, kp.clinic_id,
              before={"recording_id": kp.recording_id, "source": kp.source,
                      "sha256": kp.sha256})
    db.execute(delete(KeypointChunk).where(KeypointChunk.set_id == kp.id))
    db.delete(kp)
    db.flush()
