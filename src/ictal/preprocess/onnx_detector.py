"""ONNX Runtime adapter for COCO detectors the user supplies (Mask R-CNN, Faster R-CNN, SSD,
YOLO exports). The model file and its output layout are declared in
:class:`~ictal.preprocess.config.OnnxDetectorConfig`; nothing is downloaded."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PIL import Image

from ictal.errors import CheckpointError, ConfigError, ShapeError
from ictal.preprocess.config import OnnxDetectorConfig
from ictal.preprocess.detection import Detections

log = logging.getLogger(__name__)


class OnnxDetector:
    """Detect persons and beds with an ONNX model (see :class:`OnnxDetectorConfig`).

    Raises:
        CheckpointError: the model file is missing or cannot be loaded, or its outputs do not
            fit the declared layout (raised on the first :meth:`detect`).
        ConfigError: onnxruntime is not installed.
    """

    def __init__(self, config: OnnxDetectorConfig) -> None:
        self.config = config
        self.name = f"onnx:{config.model.name}"
        if not config.model.is_file():
            raise CheckpointError(
                f"{config.model}: ONNX detector model file not found",
                hint="export a COCO detector to ONNX and set detection.onnx.model to its path, "
                     "or use detector: depth-mask (no weights needed)",
            )
        try:
            import onnxruntime as ort
        except ImportError as err:
            raise ConfigError("onnxruntime is not installed",
                              hint="pip install 'ictal[onnx]'") from err
        try:
            self._session = ort.InferenceSession(str(config.model),
                                                 providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own untyped errors
            raise CheckpointError(f"{config.model}: cannot load the ONNX model: {err}",
                                  hint="check that the file is a valid ONNX export") from err
        self._input = self._session.get_inputs()[0].name
        names = [o.name for o in self._session.get_outputs()]
        self._outputs = list(config.outputs) if config.outputs else None
        if self._outputs is not None:
            missing = [n for n in self._outputs if n not in names]
            if missing:
                raise CheckpointError(
                    f"{config.model}: outputs {missing} are not in the model (it has {names})",
                    hint="fix detection.onnx.outputs",
                )
        self._ids = {cid: name for name, cid in config.resolved_class_ids.items()}

    def _prepare(self, image: np.ndarray) -> tuple[np.ndarray, float, float]:
        h, w = image.shape[:2]
        if self.config.input_size is not None:
            ih, iw = self.config.input_size
            image = np.asarray(Image.fromarray(image).resize((iw, ih), Image.BILINEAR))
        else:
            ih, iw = h, w
        x: np.ndarray = image
        if self.config.input_dtype == "float32":
            x = image.astype(np.float32) * np.float32(self.config.input_scale)
        if self.config.input_layout in ("NCHW", "CHW"):
            x = x.transpose(2, 0, 1)
        if self.config.input_layout != "CHW":
            x = x[None]
        return np.ascontiguousarray(x), w / iw, h / ih

    def _bad(self, what: str) -> CheckpointError:
        return CheckpointError(
            f"{self.config.model}: outputs do not fit layout {self.config.layout!r}: {what}",
            hint="declare the model's real output layout in detection.onnx "
                 "(layout, outputs, box_format, boxes_normalized)",
        )

    def _decode_bls(self, outs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(outs) < 3:
            raise self._bad(f"expected 3 outputs (boxes, labels, scores), got {len(outs)}")
        boxes, labels, scores = (np.asarray(o) for o in outs[:3])
        if boxes.ndim == 3 and boxes.shape[0] == 1:
            boxes, labels, scores = boxes[0], labels.reshape(-1), scores.reshape(-1)
        labels, scores = labels.reshape(-1), scores.reshape(-1)
        if boxes.ndim != 2 or boxes.shape[1] != 4 or not (
                len(labels) == len(scores) == len(boxes)):
            raise self._bad(f"boxes {boxes.shape}, labels {labels.shape}, scores {scores.shape}")
        return boxes.astype(np.float32), labels.astype(np.int64), scores.astype(np.float32)

    def _decode_yolo(self, outs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        out = np.asarray(outs[0])
        if out.ndim == 3 and out.shape[0] == 1:
            out = out[0]
        if out.ndim != 2:
            raise self._bad(f"expected (1, 4 + C, N) or (1, N, 4 + C), got {out.shape}")
        head = 5 if self.config.objectness else 4
        n_classes = max(self._ids) + 1
        need = head + n_classes
        if out.shape[0] >= need and (out.shape[0] < out.shape[1] or out.shape[1] < need):
            out = out.T  # (4 + C, N) -> (N, 4 + C): YOLOv8 puts the boxes last
        if out.shape[1] < head + n_classes:
            raise self._bad(f"{out.shape[1]} values per box cannot hold {head} box values "
                            f"and class id {n_classes - 1}")
        cls_scores = out[:, head:]
        if self.config.objectness:
            cls_scores = cls_scores * out[:, 4:5]
        labels = cls_scores.argmax(axis=1)
        scores = cls_scores[np.arange(len(out)), labels]
        return out[:, :4].astype(np.float32), labels.astype(np.int64), scores.astype(np.float32)

    def detect(self, image: np.ndarray, *, depth: np.ndarray | None = None) -> Detections:
        """Run the model on ``(H, W, 3)`` ``uint8`` RGB ``image``; ``depth`` is unused."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ShapeError(f"detector input must be (H, W, 3) uint8, got {image.shape} "
                             f"{image.dtype}")
        x, sx, sy = self._prepare(image)
        try:
            outs: list[Any] = self._session.run(self._outputs, {self._input: x})
        except Exception as err:  # onnxruntime raises its own untyped errors
            raise CheckpointError(f"{self.config.model}: inference failed: {err}",
                                  hint="check input_size / input_layout / input_dtype") from err
        if self.config.layout == "yolo":
            boxes, labels, scores = self._decode_yolo(outs)
        else:
            boxes, labels, scores = self._decode_bls(outs)
        boxes = _to_xyxy(boxes, self.config.resolved_box_format)
        if self.config.boxes_normalized:
            ih, iw = self.config.input_size or image.shape[:2]
            boxes = boxes * np.asarray([iw, ih, iw, ih], np.float32)
        boxes = boxes * np.asarray([sx, sy, sx, sy], np.float32)
        keep = np.asarray([int(c) in self._ids for c in labels], bool)
        keep &= scores >= self.config.min_score
        classes = tuple(self._ids[int(c)] for c in labels[keep])
        return Detections(boxes[keep].reshape(-1, 4), scores[keep], classes)


def _to_xyxy(boxes: np.ndarray, fmt: str) -> np.ndarray:
    """``(N, 4)`` boxes in ``fmt`` -> ``(x0, y0, x1, y1)``."""
    if fmt == "xyxy":
        return boxes
    if fmt == "yxyx":
        return boxes[:, [1, 0, 3, 2]]
    cx, cy, w, h = boxes.T
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
