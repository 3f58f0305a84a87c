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
                        "--recording", "P001-S1", "--windows", "0-1", "--block", "30x32",
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
