"""``ictal explain`` end to end on a tiny phantom: video, strips, table, page; store; errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from ictal.cli import main
from ictal.io import probe, write_video


def _ictal(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
           *args: object) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["ictal", *(str(a) for a in args)])
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main.app()
    out = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out.out + out.err


@pytest.fixture(scope="module")
def trained(tiny_explain_phantom: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[Path, Path, Path]:
    """(manifest, store, bundle): motion features of variant B and a tiny LSTM bundle."""
    from typer.testing import CliRunner

    from ictal.cli.main import build_app

    tmp = tmp_path_factory.mktemp("explain-cli")
    runner, app = CliRunner(), build_app()
    res = runner.invoke(app, ["extract", str(tiny_explain_phantom), "--out", str(tmp / "store"),
                              "--backbone", "motion", "--variant", "B"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["train", str(tmp / "store"), "--out", str(tmp / "t"), "--final",
                              "--selection", "none", "--model", "fast", "--set",
                              "lstm_units=[8,8]", "--set", "fc_units=[8,8]", "--set",
                              "train.epochs=3", "--no-mlflow"])
    assert res.exit_code == 0, res.output
    return tiny_explain_phantom, tmp / "store", tmp / "t" / "bundle"


@pytest.mark.slow
def test_explain_a_phantom_recording(trained, tmp_path: Path, monkeypatch, capsys) -> None:
    manifest, _, bundle = trained
    code, text = _ictal(monkeypatch, capsys, "explain", manifest, "--model", bundle,
                        "--recording", "P001-S1", "--windows", "0-1", "--block", "30x56",
                        "--ground-truth", "auto", "--out", tmp_path / "ex")
    assert code == 0, text
    doc = json.loads((tmp_path / "ex" / "explanation.json").read_text())
    assert doc["format"] == "ictal-explanation/1" and doc["recording"] == "P001-S1"
    explained = [w for w in doc["windows"] if w["explained"]]
    assert [w["index"] for w in explained] == [0, 1]
    for w in explained:
        n = w["stop_frame"] - w["start_frame"]
        assert len(w["frame_mass"]) == n and sum(w["frame_mass"]) == pytest.approx(1, abs=1e-3)
        assert w["truth"]["limb"] and w["baseline_truth"]["patient"] is not None
        assert (tmp_path / "ex" / w["strip"]).stat().st_size > 0
        assert w["start_frame"] <= w["peak"]["frame"] < w["stop_frame"]
    # frame-exact: one video frame per explained frame, in order, at the recording's rate
    frames = doc["video"]["frames"]
    assert frames == [[w["index"], f] for w in explained
                      for f in range(w["start_frame"], w["stop_frame"])]
    info = probe(tmp_path / "ex" / "overlay.mp4")
    assert info.n_frames == len(frames) and info.fps == 30
    page = (tmp_path / "ex" / "explanation.html").read_text()
    assert 'src="overlay.mp4"' in page and 'id="window-1"' in page
    assert page.count('class="window-bar"') == len(doc["windows"])
    # contributions: the decision is the mean of the windows, exactly
    probs = np.array([w["probs"] for w in doc["windows"]])
    assert np.allclose(probs.mean(0), doc["decision"]["probs"])


@pytest.mark.slow
def test_explain_from_a_store_and_bad_input(trained, tmp_path: Path, monkeypatch,
                                            capsys) -> None:
    manifest, store, bundle = trained
    code, text = _ictal(monkeypatch, capsys, "explain", store, "--model", bundle,
                        "--recording", "P002-S1", "--windows", "all", "--out", tmp_path / "s")
    assert code == 0, text
    doc = json.loads((tmp_path / "s" / "explanation.json").read_text())
    assert doc["video"] is None and "no pixels" in doc["pixels_note"]
    assert all(w["explained"] and len(w["timesteps"]["values"]) == 8 for w in doc["windows"])
    # a window outside the recording: exit 2 before any decoding, naming the count
    code, text = _ictal(monkeypatch, capsys, "explain", manifest, "--model", bundle,
                        "--recording", "P001-S1", "--windows", "0,99", "--out", tmp_path / "x")
    assert code == 2 and "window 99 is outside the recording" in text
    code, text = _ictal(monkeypatch, capsys, "explain", manifest, "--model", bundle,
                        "--target", "XYZ", "--out", tmp_path / "x")
    assert code == 2 and "XYZ" in text
    # a colour video without depth cannot feed a depth-cropping bundle: exit 2
    video = tmp_path / "clinic.mp4"
    write_video(video, (np.full((48, 64, 3), 90, np.uint8) for _ in range(20)), 25,
                codec="h264")
    code, text = _ictal(monkeypatch, capsys, "explain", video, "--model", bundle,
                        "--out", tmp_path / "y")
    assert code == 2 and not (tmp_path / "y").exists()


@pytest.mark.slow
def test_explain_a_2d_colour_video(tmp_path: Path, monkeypatch, capsys) -> None:
    """A variant 2d bundle (colour video, no depth, 25 fps) explains a bare MP4: the overlay
    video at the video's rate, one frame per explained frame, the heat grid over the frame."""
    import yaml
    from typer.testing import CliRunner

    from ictal.backbones import load_backbone
    from ictal.cli.main import build_app
    from ictal.features.extract import ExtractOptions, extract_manifest
    from ictal.manifest import Event, Manifest, Patient, Recording, Stream
    from ictal.preprocess.config import resolve_config

    rng = np.random.default_rng(0)

    def clip(n: int, swing: bool) -> list[np.ndarray]:
        out = []
        for t in range(n):
            frame = np.full((48, 64), 40, np.uint8)
            x = int(16 + 8 * np.sin(2 * np.pi * 1.5 * t / 25)) if swing else 16
            frame[8:20, x - 5:x + 5] = 220  # the block swings in the top-left
            frame = np.clip(frame + rng.integers(0, 6, frame.shape), 0, 255).astype(np.uint8)
            out.append(np.repeat(frame[:, :, None], 3, axis=2))
        return out

    write_video(tmp_path / "train.mkv", iter(clip(100, False) + clip(100, True)), 25)
    write_video(tmp_path / "ward.mp4", iter(clip(50, False) + clip(50, True)), 25,
                codec="h264")
    config_file = tmp_path / "2d.yaml"
    config_file.write_text(yaml.safe_dump({"variant": "2d", "detection": {"enabled": False}}))
    manifest = Manifest(
        labels=["FLE", "TLE"], patients=[Patient(id="P1")],
        recordings=[Recording(id="R1", patient="P1", streams=[
            Stream(kind="rgb", path=str(tmp_path / "train.mkv"), fps=25)])],
        events=[Event(id="E1", recording="R1", t0=0.0, t1=4.0, label="TLE"),
                Event(id="E2", recording="R1", t0=4.0, t1=8.0, label="FLE")])
    report = extract_manifest(manifest, tmp_path / "store", load_backbone("motion"),
                              resolve_config(config_file), options=ExtractOptions(batch_size=2),
                              show_progress=False)
    assert report.exit_code == 0
    res = CliRunner().invoke(build_app(), [
        "train", str(tmp_path / "store"), "--out", str(tmp_path / "t"), "--final",
        "--selection", "none", "--model", "fast", "--set", "lstm_units=[8,8]", "--set",
        "fc_units=[8,8]", "--set", "train.epochs=30", "--no-mlflow"])
    assert res.exit_code == 0, res.output
    code, text = _ictal(monkeypatch, capsys, "explain", tmp_path / "ward.mp4", "--model",
                        tmp_path / "t" / "bundle", "--windows", "1", "--target", "FLE",
                        "--block", "25x56", "--out", tmp_path / "ex")
    assert code == 0, text
    doc = json.loads((tmp_path / "ex" / "explanation.json").read_text())
    w = doc["windows"][1]
    assert w["explained"] and (w["start_frame"], w["stop_frame"]) == (50, 100)
    assert doc["fps"] == "25" and doc["frame_size"] == [64, 48]
    assert probe(tmp_path / "ex" / "overlay.mp4").n_frames == 50
    # the peak, mapped back to the video's pixels, lies in the picture (where it points is
    # held to the model in tests/explain/test_attribute.py, with a model that learned)
    assert 0 <= w["peak"]["u"] < 64 and 0 <= w["peak"]["v"] < 48, w["peak"]
    heat = w["heat"]
    assert heat["box"] == [0, 0, 64, 48] and max(map(max, heat["grid"])) == 1.0
