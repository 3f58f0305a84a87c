"""Source ``model``: the packaged pose and face models on every frame, following the patient.

Per frame (:class:`ModelKeypointer`):

1. **body** -- BlazePose's landmark model (:mod:`ictal.landmarks`) on the region tracked from the
   previous frame; when it loses the person (pose flag below ``min_presence``), the person
   search of :class:`~ictal.preprocess.pose_detector.PoseBoxDetector` (whole frame, enlarged
   windows, four quarter turns, a 45-degree turn) finds them again -- at most every
   ``redetect_every`` frames while nobody is found, the frames between left as gaps;
2. **the patient, not staff** -- the bed comes from the pose consensus of the first seconds
   (the person box and the derived bed of ``PoseBoxDetector.consensus``, as ``ictal preprocess
   --variant 2d`` crops), or is given (a crop plan's box); a pose whose centre leaves the bed,
   grown by ``bed_margin``, is somebody else: the frame is a gap and the search runs again;
3. **face** -- the face detector and mesh on a square crop around the pose's head landmarks
   (side ``face_zoom`` times the head's extent, at least 32 px), resampled to 256 px, since a
   patient's face in a clinic picture is far smaller than the detector's training faces;
4. the 33 landmarks become the 11 joints (``blazepose33`` mapping: confidence = the landmark's
   visibility) and the 468-point mesh the 23 face landmarks (``facemesh468``: confidence = the
   mesh's face flag); points shift by half a pixel to the store's pixel centres.

16-bit infrared is mapped to 8 bits by one window per recording, fitted on its first frames
(:func:`ictal.preprocess.intensity.fit_ir_window`). Nothing is smoothed or interpolated.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ictal.keypoints.mapping import BLAZEPOSE33, FACEMESH468
from ictal.keypoints.source import video_of
from ictal.keypoints.store import KeypointTrack
from ictal.keypoints.tracking import centre, inside
from ictal.landmarks import MEDIAPIPE_0_10_21, FaceTracker, Roi
from ictal.landmarks.geometry import as_rgb, crop_to_frame, warp_crop
from ictal.landmarks.pose import pose_detection_roi
from ictal.manifest import Manifest, Recording
from ictal.preprocess.detection import BED, PERSON, Detections
from ictal.preprocess.intensity import fit_ir_window, to_uint8
from ictal.preprocess.pose_detector import PoseBoxDetector
from ictal.progress import track as progress

log = logging.getLogger(__name__)

FACE_CROP = 256
HEAD_LANDMARKS = tuple(range(11))  # nose, eyes, ears, mouth of BlazePose


@dataclass(frozen=True)
class ModelOptions:
    """Settings of the model source (see the module docstring)."""

    min_presence: float = 0.5
    redetect_every: int = 5
    consensus_frames: int = 7
    consensus_seconds: float = 5.0
    bed_margin: float = 0.1
    face: bool = True
    face_zoom: float = 2.5
    threads: int = 2


@dataclass
class FrameKeypoints:
    """One frame's result: ``body`` ``(33, 5)`` and ``face`` ``(468, 3)`` landmarks in frame
    px (continuous), ``face_score``; ``None`` when not found."""

    body: np.ndarray | None
    face: np.ndarray | None
    face_score: float = 0.0


class ModelKeypointer:
    """The per-frame keypoint models with the patient's tracking state.

    Args:
        root: models directory.
        options: :class:`ModelOptions`.
        bed: ``(x0, y0, x1, y1)`` px where the patient lies; ``None`` to accept any pose.
    """

    def __init__(self, root: Path | None = None, *, options: ModelOptions = ModelOptions(),
                 bed: Sequence[float] | None = None) -> None:
        self.options = options
        self.searcher = PoseBoxDetector(root, threads=options.threads)
        self.landmarker = self.searcher.landmarker  # the same landmark model tracks
        self.face = FaceTracker("short", root, threads=options.threads) if options.face \
            else None
        self.bed = bed
        self._roi: Roi | None = None
        self._lost = 0

    def reset(self, bed: Sequence[float] | None = None) -> None:
        """Forget the tracked patient (a new recording)."""
        self.bed = bed
        self._roi = None
        self._lost = 0

    def _in_bed(self, landmarks: np.ndarray) -> bool:
        if self.bed is None:
            return True
        c = centre(landmarks[:, [0, 1, 3]])
        if c is None:
            return False
        x0, y0, x1, y1 = self.bed
        mx, my = self.options.bed_margin * (x1 - x0), self.options.bed_margin * (y1 - y0)
        return inside(c, (x0 - mx, y0 - my, x1 + mx, y1 + my))

    def body(self, frame: np.ndarray) -> np.ndarray | None:
        """The patient's ``(35, 5)`` landmarks (33 + 2 auxiliary) in ``frame``, or ``None``."""
        values = None
        if self._roi is not None:
            values, flag = self.landmarker(frame, self._roi)
            if flag < self.options.min_presence or not self._in_bed(values[:33]):
                values = None
        if values is None and (self._roi is not None or self._lost % self.options.redetect_every
                               == 0):
            pose = self.searcher.pose(frame)
            if pose is not None and self._in_bed(pose.landmarks):
                values = np.concatenate([pose.landmarks, pose.auxiliary])
        if values is None:
            self._roi = None
            self._lost += 1
            return None
        self._lost = 0
        self._roi = pose_detection_roi(values[33:35, :2])
        return values

    def face_of(self, frame: np.ndarray, body: np.ndarray) -> tuple[np.ndarray, float] | None:
        """The face mesh ``(468, 3)`` frame px near the body's head landmarks, and its score."""
        if self.face is None:
            return None
        head = body[list(HEAD_LANDMARKS), :2]
        lo, hi = head.min(0), head.max(0)
        side = max(32.0, self.options.face_zoom * float((hi - lo).max()))
        mid = (lo + hi) / 2
        roi = Roi(float(mid[0]), float(mid[1]), side, side)
        crop = warp_crop(frame, roi, FACE_CROP, border="replicate")
        crop = np.clip(np.rint(crop), 0, 255).astype(np.uint8) if crop.dtype != np.uint8 \
            else crop
        self.face.reset()
        found = self.face(crop)
        if found is None:
            return None
        mesh = found.landmarks.copy()
        mesh[:, :2] = crop_to_frame(mesh[:, :2] / FACE_CROP, roi)
        mesh[:, 2] *= side / FACE_CROP
        return mesh, float(found.score)

    def __call__(self, frame: np.ndarray) -> FrameKeypoints:
        rgb = as_rgb(frame)
        body = self.body(rgb)
        if body is None:
            return FrameKeypoints(None, None)
        face = self.face_of(rgb, body)
        return FrameKeypoints(body[:33], None if face is None else face[0],
                              0.0 if face is None else face[1])

    def consensus_bed(self, frames: Iterable[np.ndarray], width: int, height: int
                      ) -> tuple[float, float, float, float] | None:
        """The bed (or, failing it, the person box) from several frames' pose searches."""
        found = [self.searcher.detect(as_rgb(f)) for f in frames]
        merged: Detections = self.searcher.consensus(found, width, height)
        for cls in (BED, PERSON):
            for i, c in enumerate(merged.classes):
                if c == cls:
                    return tuple(float(v) for v in merged.boxes[i])  # type: ignore[return-value]
        return None


def to_layout(results: Sequence[FrameKeypoints]) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame model results -> ``body (T, 11, 3)``, ``face (T, 23, 3)`` in the store's
    layout (pixel centres at integers)."""
    T = len(results)
    body33 = np.zeros((T, 33, 3))
    mesh = np.zeros((T, 468, 3))
    for t, r in enumerate(results):
        if r.body is not None:
            body33[t, :, :2] = r.body[:, :2] - 0.5
            body33[t, :, 2] = r.body[:, 3]
        if r.face is not None:
            mesh[t, :, :2] = r.face[:, :2] - 0.5
            mesh[t, :, 2] = r.face_score
    return BLAZEPOSE33(body33), FACEMESH468(mesh)


class ModelSource:
    """Keypoints from the packaged models (see the module docstring).

    Args:
        root: models directory (``ictal landmarks install`` puts them there).
        options: :class:`ModelOptions`.
        kind: the video stream to read (default: rgb, else ir).
        beds: ``recording id -> (x0, y0, x1, y1)`` px, the patient's region where known (e.g.
            a crop plan's box); other recordings get the consensus of their first seconds.
        progress_bar: show a bar per recording.
    """

    name = "model"

    def __init__(self, root: Path | None = None, *, options: ModelOptions = ModelOptions(),
                 kind: str | None = None, beds: dict[str, Sequence[float]] | None = None,
                 progress_bar: bool = True) -> None:
        self.root = root
        self.options = options
        self.kind = kind
        self.beds = dict(beds or {})
        self.progress_bar = progress_bar
        self._keypointer: ModelKeypointer | None = None

    def key(self) -> dict[str, Any]:
        models = {f.name: f.sha256 for f in MEDIAPIPE_0_10_21.models
                  if f.name in ("pose_detection", "pose_landmark_full",
                                "face_detection_short_range", "face_landmark")}
        return {"source": self.name, "models": models, "model_source": MEDIAPIPE_0_10_21.filename,
                "options": self.options.__dict__, "kind": self.kind}

    def __call__(self, manifest: Manifest, rec: Recording) -> KeypointTrack:
        from ictal.io import open_video, source_kind

        video = video_of(manifest, rec, self.kind)
        if self._keypointer is None:
            self._keypointer = ModelKeypointer(self.root, options=self.options)
        kp = self._keypointer
        fps = None if source_kind(video.path) == "video" else video.stream.fps
        with open_video(video.path, fps=fps) as reader:
            head = max(1, int(float(video.fps) * self.options.consensus_seconds))
            first = reader.read(0, min(video.n_frames, head))
            convert = fit_ir_window(first) if first.dtype == np.uint16 else None
            n_picks = min(len(first), self.options.consensus_frames)
            picks = np.unique(np.linspace(0, len(first) - 1, n_picks).astype(int))
            bed = self.beds.get(rec.id)
            how = "given"
            if bed is None:
                sample = [first[i] if convert is None else to_uint8(first[i], convert)
                          for i in picks]
                bed = kp.consensus_bed(sample, video.width, video.height)
                how = f"pose consensus of {len(picks)} frames of the first " \
                      f"{self.options.consensus_seconds:g} s"
            kp.reset(bed)
            results = []
            frames = reader.iter_frames(0, video.n_frames)
            if self.progress_bar:
                frames = progress(frames, f"keypoints {rec.id}", total=video.n_frames)
            for _, frame in frames:
                results.append(kp(frame if convert is None else to_uint8(frame, convert)))
        body, face = to_layout(results)
        return KeypointTrack(
            recording=rec.id, fps=video.fps, width=video.width, height=video.height,
            frames=np.arange(len(results)), body=body, face=face,
            attrs={**self.key(), "input": str(video.path), "stream": video.stream.kind,
                   "bed": None if bed is None else [round(v, 1) for v in bed], "bed_from": how,
                   "mapping": "blazepose33+facemesh468"})
