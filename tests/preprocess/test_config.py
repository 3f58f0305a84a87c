from pathlib import Path

import pytest

from ictal.errors import ConfigError
from ictal.preprocess.config import (
    COCO80,
    OnnxDetectorConfig,
    PreprocessConfig,
    load_config,
    variant_config,
)


def test_variants_of_seed_000() -> None:
    a, b, b05 = variant_config("A"), variant_config("B"), variant_config("B0.5")
    assert not a.depth_crop.enabled and a.detection.on_depth_cropped
    assert b.depth_crop.enabled and b.temporal.overlap == 0.0
    assert b05.depth_crop.enabled and b05.temporal.overlap == 0.5
    assert b05.variant == "B0.5"
    with pytest.raises(ConfigError, match="unknown preprocessing variant"):
        variant_config("C")


def test_defaults_follow_the_seeds() -> None:
    c = PreprocessConfig()
    assert (c.denoise.size, c.denoise.iterations) == (4, 2)
    assert c.depth_crop.n_sigma == 2.0 and c.detection.margin == 0.3
    assert c.temporal.min_leftover == 10 and c.qc_frames == 5


def test_yaml_config_with_relative_onnx_model(tmp_path: Path) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text("detection:\n  detector: onnx\n  margin: 0.2\n"
                    "  onnx:\n    model: models/det.onnx\n    layout: yolo\n"
                    "temporal:\n  overlap: 0.5\n")
    config = load_config(path)
    assert config.detection.margin == 0.2 and config.temporal.overlap == 0.5
    assert config.detection.onnx.model == tmp_path / "models" / "det.onnx"
    assert config.detection.onnx.resolved_class_ids == COCO80
    assert config.detection.onnx.resolved_box_format == "cxcywh"
    assert PreprocessConfig.model_validate(config.model_dump(mode="json")) == config


def test_invalid_configs_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("temporal:\n  overlap: 1.5\ndenoise:\n  sizes: 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "temporal.overlap" in str(err.value) and "denoise.sizes" in str(err.value)
    path.write_text("detection:\n  detector: onnx\n")
    with pytest.raises(ConfigError, match="onnx"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    assert OnnxDetectorConfig(model=Path("m.onnx")).resolved_box_format == "xyxy"
