import json
import re
from pathlib import Path

import pytest

from ictal.errors import ConfigError
from ictal.preprocess.config import (
    COCO80,
    OnnxDetectorConfig,
    PreprocessConfig,
    config_from_dict,
    load_config,
    resolve_config,
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


def test_resolve_config_applies_the_variant_a_file_names(tmp_path: Path) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text("variant: B0.5\ndetection:\n  margin: 0.2\n")
    config = resolve_config(path)
    assert config.variant == "B0.5" and config.temporal.overlap == 0.5  # not only a label
    assert config.detection.margin == 0.2
    assert resolve_config(path, "B0.5") == config  # the flag may repeat the file's variant
    path.write_text("variant: B+top\n")
    top = resolve_config(path)
    assert top.topview.enabled and top.depth_crop.method == "bed-volume"
    assert load_config(path) == top  # load_config follows the same rule


def test_resolve_config_flag_and_defaults(tmp_path: Path) -> None:
    # no file, no flag: variant B, which is the defaults (ictal preprocess and extract agree)
    assert resolve_config() == PreprocessConfig() == variant_config("B")
    assert resolve_config(variant="A") == variant_config("A")
    assert resolve_config(variant="B+top") == variant_config("B+top")
    path = tmp_path / "cfg.yaml"
    path.write_text("detection:\n  margin: 0.2\n")
    flagged = resolve_config(path, "B0.5")
    assert flagged.variant == "B0.5" and flagged.temporal.overlap == 0.5
    assert flagged.detection.margin == 0.2
    assert resolve_config(path).variant == "B"  # agrees with B's settings
    # a file that names no variant and departs from B's settings is labelled custom
    path.write_text("temporal:\n  overlap: 0.25\n")
    custom = resolve_config(path)
    assert custom.variant == "custom" and custom.temporal.overlap == 0.25
    # the config.json a run writes can be given back as its config
    again = tmp_path / "config.yaml"
    again.write_text(json.dumps(custom.model_dump(mode="json")))
    assert resolve_config(again) == custom
    again.write_text(json.dumps(variant_config("B0.5").model_dump(mode="json")))
    assert resolve_config(again) == variant_config("B0.5")


def test_resolve_config_refuses_disagreement(tmp_path: Path) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text("variant: B0.5\n")
    disagree = re.escape("variant 'B0.5', but --variant asks for 'A'")
    with pytest.raises(ConfigError, match=disagree) as err:
        resolve_config(path, "A")
    assert "--variant" in (err.value.hint or "")
    path.write_text("variant: B\ntemporal:\n  overlap: 0.5\n")
    contradiction = re.escape("temporal.overlap is 0.5 where the variant sets 0.0")
    with pytest.raises(ConfigError, match=contradiction):
        resolve_config(path)
    path.write_text("depth_crop:\n  enabled: false\n")
    with pytest.raises(ConfigError, match=r"depth_crop\.enabled"):
        resolve_config(path, "B0.5")
    with pytest.raises(ConfigError, match="unknown preprocessing variant 'C'"):
        resolve_config(variant="C")
    path.write_text("variant: C\n")
    with pytest.raises(ConfigError, match="unknown preprocessing variant 'C'"):
        resolve_config(path)
    path.write_text("- a list\n")
    with pytest.raises(ConfigError, match="YAML mapping"):
        resolve_config(path)
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ConfigError, match="cannot read"):
        resolve_config(path)


def test_the_2d_variant_for_clinic_video(tmp_path: Path) -> None:
    cfg = resolve_config(variant="2d")
    assert cfg.variant == "2d" and cfg.source == "auto"
    assert not cfg.depth_crop.enabled and not cfg.topview.enabled
    assert cfg.detection.detector == "pose" and not cfg.detection.on_depth_cropped
    assert cfg.detection.consensus_frames > 1 and cfg.detection.search_seconds > 0
    # 11 frames of the search (every 0.5 s, within 10 s) make the boxes; person box + 0.1
    assert cfg.detection.consensus_frames == 11 and cfg.detection.pose.allowance == 0.1
    assert cfg.detection.search_seconds == 10 and cfg.detection.search_step_seconds == 0.5
    assert cfg.lowlight.enabled and cfg.detection.margin == 0.3  # seed 000's +30 %
    # seed 001's +20 % is a setting of the variant, not a departure from it
    path = tmp_path / "clinic.yaml"
    path.write_text("variant: 2d\ndetection:\n  margin: 0.2\n")
    cfg = resolve_config(path)
    assert cfg.variant == "2d" and cfg.detection.margin == 0.2
    assert cfg.detection.detector == "pose"
    path.write_text("variant: 2d\ndepth_crop:\n  enabled: true\n")
    with pytest.raises(ConfigError, match=r"depth_crop.enabled is True where the variant"):
        resolve_config(path)
    # the Kinect default is unchanged
    assert resolve_config().source == "ir" and not resolve_config().lowlight.enabled
    assert resolve_config().detection.consensus_frames == 1
    assert resolve_config().detection.search_seconds == 0
    assert resolve_config().detection.pose.allowance == 0.15
    with pytest.raises(ConfigError, match="source"):
        config_from_dict({"source": "depth"})
    with pytest.raises(ConfigError, match=r"detection.detector: .* or .pose."):
        config_from_dict({"detection": {"detector": "mediapipe-pose"}})


def test_pose_detector_settings_are_checked() -> None:
    cfg = config_from_dict({"detection": {"detector": "pose", "pose": {"quarter_turns": [0, 2]}}})
    assert cfg.detection.pose.quarter_turns == (0, 2) and cfg.detection.pose.min_score == 0.4
    with pytest.raises(ConfigError, match="quarter_turns must list turns among 0, 1, 2, 3"):
        config_from_dict({"detection": {"pose": {"quarter_turns": [4]}}})
    with pytest.raises(ConfigError, match=r"detection\.consensus_frames"):
        config_from_dict({"detection": {"consensus_frames": 0}})
