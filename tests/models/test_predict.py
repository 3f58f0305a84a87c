"""The whole predict chain on a tiny IR + depth recording: preprocessing, backbone, bundle."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from ictal.cli.main import build_app
from ictal.io import write_video
from ictal.manifest import Event, Manifest, Patient, Recording, Stream
from ictal.preprocess.config import PreprocessConfig

H, W, T, FPS = 53, 64, 100, 30


def _scene(t: int) -> tuple[np.ndarray, np.ndarray]:
    """A bed along x with a moving bump (the patient), IR brighter on the bed."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    depth = 2000 + 5 * x + 3 * (y - 20.5) ** 2
    bump = ((x - 20 - 10 * np.sin(t / 5)) ** 2 + (y - 20) ** 2) < 16
    depth[bump] -= 80
    ir = 1000 + 2000 * (np.abs(y - 20.5) < 8) + 1500 * bump
    return np.rint(ir).astype(np.uint16), np.rint(depth).astype(np.uint16)


@pytest.mark.slow
def test_extract_train_and_predict_on_a_video(tmp_path: Path) -> None:
    from ictal.backbones import load_backbone
    from ictal.features.extract import ExtractOptions, extract_manifest
    from ictal.preprocess.config import variant_config

    frames = [_scene(t) for t in range(T)]
    write_video(tmp_path / "ir.mkv", (f[0] for f in frames), FPS)
    write_video(tmp_path / "depth.mkv", (f[1] for f in frames), FPS)
    streams = [Stream(kind=k, path=str(tmp_path / f"{k}.mkv"), fps=FPS, width=W, height=H,
                      n_frames=T) for k in ("ir", "depth")]
    manifest = Manifest(
        labels=["FLE", "TLE"], patients=[Patient(id="P1")],
        recordings=[Recording(id="R1", patient="P1", streams=streams)],
        events=[Event(id="E1", recording="R1", t0=0.0, t1=2.0, label="FLE"),
                Event(id="E2", recording="R1", t0=2.0, t1=T / FPS, label="TLE")])
    report = extract_manifest(manifest, tmp_path / "store", load_backbone("motion"),
                              variant_config("A"), options=ExtractOptions(batch_size=2),
                              show_progress=False)
    assert report.exit_code == 0
    runner = CliRunner()
    app = build_app()
    res = runner.invoke(app, ["train", str(tmp_path / "store"), "--out", str(tmp_path / "t"),
                              "--final", "--selection", "none", "--model", "fast",
                              "--set", "lstm_units=[8,8]", "--set", "fc_units=[8,8]",
                              "--set", "train.epochs=2", "--no-mlflow"])
    assert res.exit_code == 0, res.output
    bundle = json.loads((tmp_path / "t" / "bundle" / "bundle.json").read_text())
    assert bundle["backbone"]["name"] == "motion" and bundle["preprocessing"]["source"] == "ir"
    res = runner.invoke(app, ["predict", str(tmp_path / "ir.mkv"), "--depth",
                              str(tmp_path / "depth.mkv"), "--model",
                              str(tmp_path / "t" / "bundle"), "--out", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "p" / "ir.json").read_text())
    assert doc["recording"] == "ir" and doc["labels"] == ["FLE", "TLE"]
    assert doc["windows"] and doc["windows"][0]["start_frame"] == 0
    assert doc["windows"][0]["t_stop"] == pytest.approx(2.0)
    assert (tmp_path / "p" / "ir.png").exists() and (tmp_path / "p" / "ir.csv").exists()


def test_overlapping_windows_are_drawn_forward_in_time() -> None:
    """``--stride 15`` with 60-frame windows: a line through the windows' centres, never
    going back (joining every window's start and end in order zig-zags backwards)."""
    from ictal.models.predict import timeline_points

    windows = [{"t_start": s / 30, "t_stop": min(s + 60, 145) / 30, "probs": [s / 100, 0.5]}
               for s in range(0, 91, 15)]
    xs, ys = timeline_points(list(reversed(windows)), 0)
    assert xs == sorted(xs) and len(xs) == len(windows)
    assert xs[0] == pytest.approx(1.0) and xs[-1] == pytest.approx((90 + 145) / 60)
    assert ys == [w["probs"][0] for w in windows]
    back_to_back = [{"t_start": s / 30, "t_stop": (s + 60) / 30, "probs": [0.2, 0.8]}
                    for s in (0, 60, 120)]
    xs, ys = timeline_points(back_to_back, 1)  # steps over the spans
    assert xs == [0.0, 2.0, 2.0, 4.0, 4.0, 6.0] and ys == [0.8] * 6


@pytest.mark.slow
def test_a_2d_bundle_serves_colour_and_infrared_video_at_any_rate(tmp_path: Path) -> None:
    """Trained on colour video at 25 fps, a bundle whose preprocessing reads either stream
    (``source: auto``, no depth) predicts on grey infrared video at 30 fps: 2 s windows,
    overlapping ones with the tail scored; a store of other features is refused."""
    import yaml

    from ictal.backbones import load_backbone
    from ictal.features.extract import ExtractOptions, extract_manifest
    from ictal.models.compat import IncompatibleError
    from ictal.preprocess.config import resolve_config

    rng = np.random.default_rng(0)

    def clip(n: int, grey: bool) -> list[np.ndarray]:
        out = []
        for t in range(n):
            frame = np.full((48, 64), 40, np.uint8)
            x = int(32 + 12 * np.sin(2 * np.pi * 1.5 * t / 25))
            frame[18:30, x - 6:x + 6] = 220
            frame = np.clip(frame + rng.integers(0, 8, frame.shape), 0, 255).astype(np.uint8)
            out.append(frame if grey else np.repeat(frame[:, :, None], 3, axis=2))
        return out

    write_video(tmp_path / "day.mkv", iter(clip(150, grey=False)), 25)
    write_video(tmp_path / "night.mkv", iter(clip(145, grey=True)), 30)
    config_file = tmp_path / "2d.yaml"
    config_file.write_text(yaml.safe_dump({"variant": "2d", "detection": {"enabled": False}}))
    config = resolve_config(config_file)
    manifest = Manifest(
        labels=["FLE", "TLE"], patients=[Patient(id="P1")],
        recordings=[Recording(id="R1", patient="P1", streams=[
            Stream(kind="rgb", path=str(tmp_path / "day.mkv"), fps=25)])],
        events=[Event(id="E1", recording="R1", t0=0.0, t1=2.0, label="FLE"),
                Event(id="E2", recording="R1", t0=2.0, t1=6.0, label="TLE")])
    extractor = load_backbone("motion")
    report = extract_manifest(manifest, tmp_path / "store", extractor, config,
                              options=ExtractOptions(batch_size=2), show_progress=False)
    assert report.exit_code == 0
    runner, app = CliRunner(), build_app()
    res = runner.invoke(app, ["train", str(tmp_path / "store"), "--out", str(tmp_path / "t"),
                              "--final", "--selection", "none", "--model", "fast",
                              "--set", "lstm_units=[8,8]", "--set", "fc_units=[8,8]",
                              "--set", "train.epochs=2", "--no-mlflow"])
    assert res.exit_code == 0, res.output
    bundle = tmp_path / "t" / "bundle"
    needs = json.loads((bundle / "bundle.json").read_text())["needs"]
    assert needs["source"] == "auto" and needs["depth"] == [] and needs["variant"] == "2d"
    assert needs["window_seconds"] == 2.0 and needs["frame_rates"] == [25.0]

    res = runner.invoke(app, ["predict", str(tmp_path / "night.mkv"), "--model", str(bundle),
                              "--out", str(tmp_path / "p"), "--stride", "15"])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "p" / "night.json").read_text())
    spans = [(w["start_frame"], w["stop_frame"]) for w in doc["windows"]]
    assert spans[:2] == [(0, 60), (15, 75)] and spans[-1] == (90, 145)  # 2 s; tail scored
    assert doc["model"]["preprocessing"] == {"variant": "2d", "source": "ir", "overrides": []}
    assert (tmp_path / "p" / "night.png").stat().st_size > 1000

    # a store of the same recording made with another preprocessing is refused, both named
    other = PreprocessConfig.model_validate({**config.model_dump(), "variant": "custom",
                                             "lowlight": {"enabled": False}})
    extract_manifest(manifest, tmp_path / "other", extractor, other, show_progress=False)
    res = runner.invoke(app, ["predict", str(tmp_path / "other"), "--model", str(bundle),
                              "--out", str(tmp_path / "q")])
    assert isinstance(res.exception, IncompatibleError)  # exit code 2 through `ictal`
    assert "made with another setting" in str(res.exception)
    assert "preprocess.lowlight.enabled" in str(res.exception)
    assert not (tmp_path / "q").exists()
    res = runner.invoke(app, ["predict", str(tmp_path / "store"), "--model", str(bundle),
                              "--out", str(tmp_path / "q")])
    assert res.exit_code == 0, res.output


@pytest.mark.skipif(not torch.ops.mkldnn._is_mkldnn_bf16_supported(),
                    reason="this CPU's oneDNN has no bfloat16 kernels")
def test_the_bundle_backbone_runs_at_the_bundle_precision_unless_told() -> None:
    """A bundle trained on bf16 features gets a bf16 backbone; fp32 (an older bundle: no
    precision recorded) an fp32 one; an explicit precision wins; a motion bundle has none."""
    from ictal.errors import ConfigError
    from ictal.models.bundle import Bundle
    from ictal.models.predict import bundle_precision, load_bundle_backbone

    def bundle(backbone: str, provenance: dict) -> Bundle:
        meta = {"backbone": {"name": backbone, "weights_sha256": None},
                "provenance": provenance}
        return Bundle(path=Path("b"), meta=meta, config=None, estimator=None, sha256="0")

    bf16, old = bundle("i3d", {"precision": "bf16"}), bundle("i3d", {})
    assert (bundle_precision(bf16), bundle_precision(old)) == ("bf16", "fp32")
    assert load_bundle_backbone(bf16).precision == "bf16"
    assert load_bundle_backbone(old).precision == "fp32"
    assert load_bundle_backbone(old, precision="bf16").precision == "bf16"
    assert load_bundle_backbone(bf16, precision="fp32").precision == "fp32"
    with pytest.raises(ConfigError, match="only the i3d backbone"):
        load_bundle_backbone(bundle("motion", {}), precision="bf16")


def test_a_bare_video_takes_a_crop_given_by_hand(tmp_path: Path) -> None:
    from ictal.cli.bundle_input import bundle_input
    from ictal.errors import ConfigError, ManifestError
    from ictal.models.predict import manifest_for_video

    write_video(tmp_path / "clip.mkv", iter([np.full((48, 64, 3), 90, np.uint8)] * 4), 25)
    manifest = manifest_for_video(tmp_path / "clip.mkv", kind="rgb", crop=(4, 6, 60, 40))
    assert manifest.recordings[0].given_crops == {None: (4, 6, 60, 40)}
    with pytest.raises(ManifestError, match="0 <= y0 < y1"):  # checked like a manifest's
        manifest_for_video(tmp_path / "clip.mkv", kind="rgb", crop=(4, 50, 60, 40))
    # a manifest's recordings are cropped in the manifest; a store's features are made
    (tmp_path / "store").mkdir()
    for source in (tmp_path / "m.yaml", tmp_path / "store"):
        with pytest.raises(ConfigError, match="--crop applies to a bare video"):
            bundle_input(source, None, "b", recording=[], stream=None, config=None, kind=None,
                         depth=None, outside_root=False, crop="4,6,60,40")
