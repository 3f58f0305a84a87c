"""The detector a preprocessing config names (``detection.detector``)."""

from __future__ import annotations

from ictal.errors import ConfigError
from ictal.preprocess.config import PreprocessConfig
from ictal.preprocess.depth_geometry import DepthGeometryDetector, Intrinsics
from ictal.preprocess.detection import DepthMaskDetector, Detector
from ictal.preprocess.onnx_detector import OnnxDetector
from ictal.preprocess.pose_detector import PoseBoxDetector

#: Detectors that need the depth frame (a montage's views, or a recording without depth,
#: cannot use them).
DEPTH_DETECTORS = ("depth-geometry", "depth-mask")


def make_detector(config: PreprocessConfig) -> Detector:
    """The detector named in ``config.detection``.

    Raises:
        ConfigError: ``onnx`` without an ``onnx:`` section, or onnxruntime missing.
        CheckpointError: the ONNX model file, or the packaged pose model files
            (``ictal landmarks install``), are missing or cannot be loaded.
    """
    det = config.detection
    if det.detector == "depth-mask":
        return DepthMaskDetector(opening=det.depth_mask_opening)
    if det.detector == "depth-geometry":
        return DepthGeometryDetector(Intrinsics(*det.depth_intrinsics),
                                     fallback=DepthMaskDetector(opening=det.depth_mask_opening))
    if det.detector == "onnx":
        if det.onnx is None:  # the config's validator checks this only when detection is on
            raise ConfigError("detector 'onnx' needs an 'onnx:' section with at least 'model:'",
                              hint="set detection.onnx.model to the path of an ONNX export")
        return OnnxDetector(det.onnx)
    pose = det.pose
    return PoseBoxDetector(allowance=pose.allowance, derive_bed=pose.derive_bed,
                           min_score=pose.min_score, min_presence=pose.min_presence,
                           quarter_turns=pose.quarter_turns, threads=pose.threads)
