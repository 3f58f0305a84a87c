"""Person, pose and face landmarks from packaged models that run offline on the CPU.

The models are five TFLite files of MediaPipe 0.10.21 (Apache-2.0), taken out of its published
wheel by ``ictal landmarks install`` (:mod:`~ictal.landmarks.files`) and run with ai-edge-litert;
their pre- and post-processing is written here, after MediaPipe's published graphs:

* :mod:`~ictal.landmarks.anchors` -- SSD anchors; :mod:`~ictal.landmarks.detections` --
  decoding and weighted NMS; :mod:`~ictal.landmarks.geometry` -- rotated ROIs, crops, mapping
  points back to the frame and quarter turns of frames (pure functions on arrays);
* :mod:`~ictal.landmarks.detector` -- a detector on whole frames, optionally turned (patients
  in bed lie in any direction); :mod:`~ictal.landmarks.runtime` -- one model file;
* :mod:`~ictal.landmarks.pose` -- :class:`PoseTracker` (33 body landmarks),
  :mod:`~ictal.landmarks.face` -- :class:`FaceTracker` (468-point mesh).

Layouts: frames ``(H, W, 3)`` uint8 RGB or ``(H, W)`` uint8 grey (replicated to 3 channels);
points in frame pixels, continuous (pixel ``i`` covers ``[i, i + 1)``); pose landmarks
``(33, 5)`` ``(x px, y px, z, visibility, presence)``; face landmarks ``(468, 3)``
``(x px, y px, z)``, ``z`` in the pixel scale of ``x``.

Example::

    tracker = PoseTracker(threads=2)
    for frame in frames:
        pose = tracker(frame)          # None when no person is found
        if pose is not None:
            box = pose.box()           # (x0, y0, x1, y1) px of the visible landmarks
"""

from ictal.landmarks.face import Face, FaceDetection, FaceDetector, FaceLandmarker, FaceTracker
from ictal.landmarks.files import (
    MEDIAPIPE_0_10_21,
    install_models,
    model_path,
    models_dir,
)
from ictal.landmarks.geometry import Roi
from ictal.landmarks.pose import (
    POSE_LANDMARKS,
    Pose,
    PoseDetection,
    PoseDetector,
    PoseLandmarker,
    PoseTracker,
)

__all__ = [
    "MEDIAPIPE_0_10_21",
    "POSE_LANDMARKS",
    "Face",
    "FaceDetection",
    "FaceDetector",
    "FaceLandmarker",
    "FaceTracker",
    "Pose",
    "PoseDetection",
    "PoseDetector",
    "PoseLandmarker",
    "PoseTracker",
    "Roi",
    "install_models",
    "model_path",
    "models_dir",
]
