"""Person box from MediaPipe Pose, whose model ships inside the ``mediapipe`` package.

mediapipe is optional and imported lazily: it pins ``numpy<2``, so install it in a separate
environment (``pip install mediapipe==0.10.21``) when you want this detector.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ictal.errors import ConfigError, ShapeError
from ictal.preprocess.detection import PERSON, Detections


def landmarks_box(xy: np.ndarray, visibility: np.ndarray, width: int, height: int, *,
                  min_visibility: float = 0.5) -> tuple[np.ndarray, float] | None:
    """Box around the landmarks seen with ``visibility >= min_visibility``.

    Args:
        xy: ``(K, 2)`` landmark coordinates normalised to ``[0, 1]`` (x by width, y by height).
        visibility: ``(K,)`` in ``[0, 1]``.

    Returns:
        ``((4,) float32 box in pixels, mean visibility of the kept landmarks)`` or ``None``.
    """
    keep = visibility >= min_visibility
    if not keep.any():
        return None
    pts = xy[keep] * np.asarray([width, height], np.float64)
    box = np.asarray([*pts.min(axis=0), *pts.max(axis=0)], np.float32)
    box = np.clip(box, 0, [width, height, width, height]).astype(np.float32)
    return box, float(visibility[keep].mean())


class MediapipePoseDetector:
    """Person detector from MediaPipe Pose landmarks (no bed class)."""

    name = "mediapipe-pose"

    def __init__(self, *, min_visibility: float = 0.5, model_complexity: int = 1) -> None:
        try:
            import mediapipe as mp
        except ImportError as err:
            raise ConfigError(
                "the mediapipe-pose detector needs the optional package mediapipe",
                hint="pip install mediapipe==0.10.21 in a separate environment (it pins "
                     "numpy<2), or use detector: depth-mask / onnx",
            ) from err
        self._pose: Any = mp.solutions.pose.Pose(static_image_mode=True,
                                                 model_complexity=model_complexity)
        self.min_visibility = min_visibility

    def detect(self, image: np.ndarray, *, depth: np.ndarray | None = None) -> Detections:
        """Person box on ``(H, W, 3)`` ``uint8`` RGB ``image``; ``depth`` is unused."""
        if image.ndim != 3 or image.shape[2] != 3:
            raise ShapeError(f"detector input must be (H, W, 3) uint8, got {image.shape}")
        result = self._pose.process(image)
        if result.pose_landmarks is None:
            return Detections.empty()
        marks = result.pose_landmarks.landmark
        xy = np.asarray([[m.x, m.y] for m in marks], np.float64)
        vis = np.asarray([m.visibility for m in marks], np.float64)
        found = landmarks_box(xy, vis, image.shape[1], image.shape[0],
                              min_visibility=self.min_visibility)
        if found is None:
            return Detections.empty()
        box, score = found
        return Detections(box[None], np.asarray([score], np.float32), (PERSON,))
