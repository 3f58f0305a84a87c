"""make_detector: the detector a preprocessing config names, or a clear error."""

import importlib.util
from pathlib import Path

import pytest

from ictal.errors import CheckpointError, ConfigError
from ictal.preprocess.config import DetectionConfig, PreprocessConfig
from ictal.preprocess.depth_geometry import DepthGeometryDetector
from ictal.preprocess.detection import DepthMaskDetector, Detector
from ictal.preprocess.detector_factory import make_detector
from ictal.preprocess.pose_detector import PoseBoxDetector


def config(**detection: object) -> PreprocessConfig:
    return PreprocessConfig(detection=DetectionConfig(**detection))  # type: ignore[arg-type]


def test_weight_free_detectors() -> None:
    mask = make_detector(config(detector="depth-mask", depth_mask_opening=5))
    assert isinstance(mask, DepthMaskDetector) and mask.opening == 5
    geometry = make_detector(config(detector="depth-geometry",
                                    depth_intrinsics=(300.0, 301.0, 250.0, 210.0)))
    assert isinstance(geometry, DepthGeometryDetector) and isinstance(geometry, Detector)
    assert (geometry.intrinsics.fx, geometry.intrinsics.cy) == (300.0, 210.0)
    assert isinstance(make_detector(PreprocessConfig()), DepthGeometryDetector)  # the default


def test_onnx_errors_name_the_setting(tmp_path: Path) -> None:
    # detection off: the config's validator lets an onnx detector without model through
    with pytest.raises(ConfigError, match="needs an 'onnx:' section") as err:
        make_detector(config(enabled=False, detector="onnx"))
    assert "detection.onnx.model" in (err.value.hint or "")
    missing = config(detector="onnx", onnx={"model": tmp_path / "absent.onnx"})
    with pytest.raises(CheckpointError, match=r"absent\.onnx: ONNX detector model file not found"):
        make_detector(missing)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx model")
    if importlib.util.find_spec("onnxruntime") is None:
        with pytest.raises(ConfigError, match="onnxruntime is not installed"):
            make_detector(config(detector="onnx", onnx={"model": broken}))
    else:
        with pytest.raises(CheckpointError, match="cannot load the ONNX model"):
            make_detector(config(detector="onnx", onnx={"model": broken}))


def test_pose_detector_from_the_packaged_models(models: None) -> None:
    cfg = config(detector="pose", pose={"allowance": 0.25, "derive_bed": False,
                                        "quarter_turns": (0, 2)})
    detector = make_detector(cfg)
    assert isinstance(detector, PoseBoxDetector) and isinstance(detector, Detector)
    assert detector.name == "pose" and detector.allowance == 0.25
    assert not detector.derive_bed and detector.quarter_turns == (0, 2)


def test_pose_detector_names_the_install_command(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICTAL_MODELS_DIR", str(tmp_path / "no-models"))
    with pytest.raises(CheckpointError) as err:
        make_detector(config(detector="pose"))
    assert "ictal landmarks install" in f"{err.value} {err.value.hint}"
