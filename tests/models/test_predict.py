"""The whole predict chain on a tiny IR + depth recording: preprocessing, backbone, bundle."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ictal.cli.main import build_app
from ictal.io import write_video
from ictal.manifest import Event, Manifest, Patient, Recording, Stream

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
