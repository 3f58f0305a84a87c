"""What a bundle can serve: stream kinds, depth, validated overrides, feature stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ictal.manifest import Recording, Stream
from ictal.models.compat import (
    IncompatibleError,
    check_recording,
    check_store,
    depth_steps,
    needs_of,
    prediction_config,
)
from ictal.preprocess.config import PreprocessConfig, variant_config

MOTION_INPUT = {"frames": 60, "size": 112, "channels": 3, "value_range": [-1.0, 1.0],
                "mean": None, "std": None, "fps": None}


def _meta(config: PreprocessConfig, **prov: Any) -> dict[str, Any]:
    """``bundle.json`` of a bundle trained on features of ``config`` and the motion backbone."""
    dump = config.model_dump(mode="json")
    provenance = {"backbone": "motion", "weights_sha256": None, "input": MOTION_INPUT,
                  "revision": 3, "timesteps": 8, "features": 120, "preprocess": dump, **prov}
    return {"backbone": {"name": "motion", "weights_sha256": None, "input": MOTION_INPUT},
            "preprocessing": dump, "provenance": provenance}


def _recording(*kinds: str) -> Recording:
    return Recording(id="R1", patient="P1", streams=[
        Stream(kind=k, path=f"{k}.mp4", fps=25) for k in kinds])


def _yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_depth_steps_of_the_variants() -> None:
    assert depth_steps(variant_config("B"), "ir") == [
        "the depth crop (bed-volume)", "the depth-geometry detector"]
    assert "the bed seen from above" in depth_steps(variant_config("B+top"), "ir")
    assert depth_steps(variant_config("A"), "ir") == ["the depth-geometry detector"]
    assert depth_steps(variant_config("2d"), "ir") == []
    assert depth_steps(variant_config("B"), "rgb") == []  # colour video is never registered
    pose_on_cropped = PreprocessConfig(depth_crop={"enabled": False},
                                       detection={"detector": "pose"})
    assert depth_steps(pose_on_cropped, "ir") == ["detection on the depth-cropped infrared"]


def test_the_bundle_records_what_it_needs() -> None:
    needs = needs_of(_meta(variant_config("B+top")), frame_rates=[30.0, 30.0])
    assert needs["source"] == "ir" and needs["variant"] == "B+top"
    assert "the bed seen from above" in needs["depth"]
    assert needs["backbone"] == "motion" and needs["revision"] == 3
    assert needs["window_seconds"] == 2.0 and needs["frame_rates"] == [30.0]
    gestures = _meta(variant_config("2d"))
    gestures["backbone"]["input"] = {**MOTION_INPUT, "frames": 8, "fps": 15.0}
    assert needs_of(gestures)["window_seconds"] == pytest.approx(8 / 15)
    assert needs_of(gestures)["depth"] == []


def test_a_depth_bundle_refuses_video_without_depth_and_names_a_bundle_that_serves() -> None:
    meta = _meta(variant_config("B+top"))
    config, changed = prediction_config(meta)
    assert changed == []
    with pytest.raises(IncompatibleError, match=r"need a depth stream registered with the "
                                                r"infrared; it has no depth stream") as err:
        check_recording(meta, config, _recording("ir"))
    assert "variant B+top" in str(err.value) and "the bed seen from above" in str(err.value)
    assert "--variant 2d" in (err.value.hint or "") and "--depth" in (err.value.hint or "")
    assert check_recording(meta, config, _recording("ir", "depth")) == "ir"
    with pytest.raises(IncompatibleError, match=r"--source rgb: .* colour video has no depth"):
        prediction_config(meta, source="rgb")


def test_source_auto_serves_either_kind_and_a_fixed_source_can_be_overridden() -> None:
    meta = _meta(variant_config("2d"))
    config, _ = prediction_config(meta)
    assert check_recording(meta, config, _recording("ir")) == "ir"
    assert check_recording(meta, config, _recording("rgb", "ir")) == "rgb"
    ir_only = _meta(variant_config("2d").model_copy(update={"source": "ir"}))
    config, _ = prediction_config(ir_only)
    with pytest.raises(IncompatibleError, match=r"has no ir stream .*reads ir video") as err:
        check_recording(ir_only, config, _recording("rgb"))
    assert "pass --source rgb" in (err.value.hint or "")
    config, changed = prediction_config(ir_only, source="rgb")
    assert changed == ["source"] and check_recording(ir_only, config, _recording("rgb")) == "rgb"
    with pytest.raises(IncompatibleError, match="no rgb or ir stream"):
        check_recording(meta, prediction_config(meta)[0], _recording("depth"))


def test_an_override_config_may_change_the_crop_not_the_sample(tmp_path: Path) -> None:
    meta = _meta(variant_config("2d"))
    loose = _yaml(tmp_path / "loose.yaml", {"variant": "2d", "detection": {"margin": 0.5},
                                            "lowlight": {"target_median": 0.5}})
    config, changed = prediction_config(meta, config_path=loose)
    assert config.detection.margin == 0.5 and config.lowlight.target_median == 0.5
    assert changed == ["detection.margin", "lowlight.target_median"]
    other_frames = _yaml(tmp_path / "frames.yaml", {"variant": "2d",
                                                    "frames": {"style": "gestures"}})
    with pytest.raises(IncompatibleError, match=r"changes what a sample is .*frames\.style"):
        prediction_config(meta, config_path=other_frames)
    longer = _yaml(tmp_path / "length.yaml", {"variant": "2d", "temporal": {"length": 90}})
    with pytest.raises(IncompatibleError, match=r"temporal\.length"):
        prediction_config(meta, config_path=longer)
    depth = _meta(variant_config("B"))
    no_depth = _yaml(tmp_path / "nodepth.yaml", {"variant": "2d"})
    with pytest.raises(IncompatibleError, match=r"made with the depth crop .*no depth step"):
        prediction_config(depth, config_path=no_depth)
    adds_depth = _yaml(tmp_path / "adds.yaml", {"variant": "B"})
    with pytest.raises(IncompatibleError, match=r"made with no depth step; the config makes "
                                                r"them with the depth crop"):
        prediction_config(meta, config_path=adds_depth)


def test_a_store_of_another_setting_is_refused_naming_both() -> None:
    meta = _meta(variant_config("2d"))
    same = dict(meta["provenance"], key="abc", windows="sliding", stride=15,
                decode_threads=1, created="now")
    check_store(meta, same, "store")  # windows, stride and run settings do not matter
    older = dict(same, preprocess={k: v for k, v in same["preprocess"].items()
                                   if k not in ("denoise", "chunk_frames")})
    check_store(meta, older, "store")  # written before a setting existed (its default)
    other = dict(same, preprocess=variant_config("B").model_dump(mode="json"))
    with pytest.raises(IncompatibleError) as err:
        check_store(meta, other, "store")
    text = str(err.value)
    assert "store:  backbone motion revision 3 (no weights file), preprocessing variant B " \
           "(source ir)" in text
    assert "bundle: backbone motion revision 3 (no weights file), preprocessing variant 2d " \
           "(source auto)" in text
    assert "preprocess.source" in text and "preprocess.variant" in text
    with pytest.raises(IncompatibleError, match=r"differs in: revision"):
        check_store(meta, dict(same, revision=2), "store")
    with pytest.raises(IncompatibleError, match=r"differs in: backbone"):
        check_store(meta, dict(same, backbone="i3d"), "store")
    check_store(meta, dict(same, precision="fp32"), "store")  # absent = fp32
    with pytest.raises(IncompatibleError, match=r"differs in: precision") as err:
        check_store(meta, dict(same, precision="bf16"), "store")
    assert "store:  backbone motion revision 3 (no weights file, bf16)" in str(err.value)
