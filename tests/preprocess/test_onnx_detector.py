from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")  # the optional [onnx] extra
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from ictal.errors import CheckpointError  # noqa: E402
from ictal.preprocess.config import OnnxDetectorConfig  # noqa: E402
from ictal.preprocess.onnx_detector import OnnxDetector  # noqa: E402

H, W = 53, 64


def constant_model(path: Path, outputs: dict[str, np.ndarray], *, size: tuple[int, int] = (H, W),
                   ) -> Path:
    """An ONNX graph whose outputs are constants plus 0 * mean(input) (so the input is used)."""
    image = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, *size])
    nodes = [helper.make_node("ReduceMean", ["images"], ["m"], keepdims=0),
             helper.make_node("Mul", ["m", "zero"], ["z"])]
    inits = [numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    outs = []
    for name, value in outputs.items():
        inits.append(numpy_helper.from_array(value, f"{name}_c"))
        if value.dtype == np.float32:
            nodes.append(helper.make_node("Add", [f"{name}_c", "z"], [name]))
            kind = TensorProto.FLOAT
        else:
            nodes.append(helper.make_node("Identity", [f"{name}_c"], [name]))
            kind = TensorProto.INT64
        outs.append(helper.make_tensor_value_info(name, kind, list(value.shape)))
    graph = helper.make_graph(nodes, "detector", [image], outs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def rcnn_outputs() -> dict[str, np.ndarray]:
    return {
        "boxes": np.asarray([[10, 20, 50, 40], [20, 10, 30, 30], [0, 0, 64, 53], [1, 1, 2, 2]],
                            np.float32),
        "labels": np.asarray([65, 1, 3, 1], np.int64),  # bed, person, car, weak person
        "scores": np.asarray([0.8, 0.9, 0.99, 0.1], np.float32),
    }


def test_torchvision_style_layout(tmp_path: Path) -> None:
    model = constant_model(tmp_path / "rcnn.onnx", rcnn_outputs())
    det = OnnxDetector(OnnxDetectorConfig(model=model, outputs=("boxes", "labels", "scores")))
    found = det.detect(np.zeros((H, W, 3), np.uint8))
    assert found.classes == ("bed", "person")  # car and the 0.1 person are dropped
    np.testing.assert_allclose(found.boxes, [[10, 20, 50, 40], [20, 10, 30, 30]])


def test_ssd_style_normalised_yxyx_with_resizing(tmp_path: Path) -> None:
    boxes = np.asarray([[[0.25, 0.5, 0.75, 1.0]]], np.float32)  # ymin, xmin, ymax, xmax
    model = constant_model(tmp_path / "ssd.onnx", {
        "detection_boxes": boxes, "detection_classes": np.asarray([[1]], np.int64),
        "detection_scores": np.asarray([[0.7]], np.float32)}, size=(32, 32))
    det = OnnxDetector(OnnxDetectorConfig(model=model, box_format="yxyx", boxes_normalized=True,
                                          input_size=(32, 32)))
    found = det.detect(np.zeros((H, W, 3), np.uint8))
    assert found.classes == ("person",)
    np.testing.assert_allclose(found.boxes[0], [32, 13.25, 64, 39.75], rtol=1e-5)


def test_yolo_layout_uses_coco80_ids(tmp_path: Path) -> None:
    out = np.zeros((1, 84, 3), np.float32)
    out[0, :4, 0] = [30, 30, 40, 20]  # cx, cy, w, h
    out[0, 4 + 59, 0] = 0.8  # bed
    out[0, :4, 1] = [25, 20, 10, 20]
    out[0, 4 + 0, 1] = 0.95  # person
    out[0, :4, 2] = [5, 5, 4, 4]
    out[0, 4 + 2, 2] = 0.9  # car
    model = constant_model(tmp_path / "yolo.onnx", {"output0": out})
    found = OnnxDetector(OnnxDetectorConfig(model=model, layout="yolo")).detect(
        np.zeros((H, W, 3), np.uint8))
    assert found.classes == ("bed", "person")
    np.testing.assert_allclose(found.boxes, [[10, 20, 50, 40], [20, 10, 30, 30]])


def test_missing_file_and_bad_layout_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not found"):
        OnnxDetector(OnnxDetectorConfig(model=tmp_path / "nope.onnx"))
    model = constant_model(tmp_path / "one.onnx", {"boxes": np.zeros((2, 5), np.float32)})
    det = OnnxDetector(OnnxDetectorConfig(model=model))
    with pytest.raises(CheckpointError, match="expected 3 outputs"):
        det.detect(np.zeros((H, W, 3), np.uint8))
    with pytest.raises(CheckpointError, match="not in the model"):
        OnnxDetector(OnnxDetectorConfig(model=model, outputs=("b", "l", "s")))
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(CheckpointError, match="cannot load"):
        OnnxDetector(OnnxDetectorConfig(model=tmp_path / "junk.onnx"))
