from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tests.evaluation.synthetic import synthetic_table

from ictal.errors import CheckpointError, ShapeError
from ictal.features.table import FeatureTable
from ictal.models.bundle import load_bundle, save_bundle
from ictal.models.config import TrainConfig
from ictal.models.gestures import pooled_features
from ictal.models.lstm import LSTMClassifier
from ictal.models.predict import predict_recording, write_predictions
from ictal.models.presets import preset
from ictal.models.registry import build_estimator


def _table(n: int = 12) -> FeatureTable:
    rng = np.random.default_rng(0)
    y = np.asarray(["FLE", "TLE"])[np.arange(n) % 2]
    x = rng.normal(size=(n, 3, 4)).astype(np.float32)
    x[y == "TLE", :, 0] += 3
    start = np.arange(n, dtype=np.int64)[::-1] * 60  # stored out of time order
    return FeatureTable(
        features=x, mask=np.ones((n, 3), bool), patient=np.asarray(["P1"] * n),
        recording=np.asarray(["R1"] * (n - 2) + ["R2"] * 2), event=np.asarray(["E1"] * n),
        label=y, view=np.asarray([""] * n), start_frame=start, stop_frame=start + 60,
        fps=np.full(n, 30.0), t_start=start / 30.0, t_stop=(start + 60) / 30.0,
        attrs={"backbone": "motion", "weights_sha256": "ab" * 32, "input": {"frames": 60},
               "preprocessing": {"crop": "depth"}})


def _bundle(tmp_path: Path) -> tuple[Path, LSTMClassifier, FeatureTable]:
    table = _table()
    cfg = preset("fast").model_copy(update={"lstm_units": (8, 4), "fc_units": (4, 4),
                                            "train": TrainConfig(epochs=3, batch_size=12)})
    est = LSTMClassifier(lstm_units=(8, 4), fc_units=(4, 4), train=cfg.train).fit(
        table.features, table.label)
    path = save_bundle(tmp_path / "bundle", est, cfg, provenance=table.attrs,
                       training={"rows": len(table)})
    return path, est, table


def test_bundle_round_trip_keeps_weights_labels_and_provenance(tmp_path: Path) -> None:
    path, est, table = _bundle(tmp_path)
    bundle = load_bundle(path)
    assert bundle.labels == ["FLE", "TLE"]
    assert bundle.meta["label_map"] == {"FLE": 0, "TLE": 1}
    assert bundle.meta["backbone"]["weights_sha256"] == "ab" * 32
    assert bundle.meta["preprocessing"] == {"crop": "depth"}
    assert np.allclose(bundle.estimator.predict_proba(table.features),
                       est.predict_proba(table.features))
    assert len(bundle.sha256) == 64
    # the run folder of `ictal train --final` serves as well (its bundle/)
    assert load_bundle(tmp_path).sha256 == bundle.sha256
    with pytest.raises(CheckpointError, match="not a readable ictal bundle"):
        load_bundle(tmp_path / "elsewhere")


def test_a_tampered_bundle_is_refused(tmp_path: Path) -> None:
    path, _, _ = _bundle(tmp_path)
    with (path / "model.pt").open("ab") as fh:
        fh.write(b"x")
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_bundle(path)


def test_prediction_document_has_the_exact_format(tmp_path: Path) -> None:
    path, _, table = _bundle(tmp_path)
    bundle = load_bundle(path)
    doc = predict_recording(bundle, table, "R1")
    assert list(doc) == ["format", "recording", "model", "labels", "windows", "decision"]
    assert doc["format"] == "ictal-predictions/1" and doc["recording"] == "R1"
    assert doc["model"]["name"] == "fast" and doc["model"]["bundle_sha256"] == bundle.sha256
    assert len(doc["windows"]) == 10
    starts = [w["start_frame"] for w in doc["windows"]]
    assert starts == sorted(starts)
    w0 = doc["windows"][0]
    assert set(w0) == {"start_frame", "stop_frame", "t_start", "t_stop", "probs"}
    assert isinstance(w0["start_frame"], int) and isinstance(w0["t_start"], float)
    assert w0["t_stop"] - w0["t_start"] == pytest.approx(2.0)
    probs = np.asarray([w["probs"] for w in doc["windows"]])
    assert np.allclose(doc["decision"]["probs"], probs.mean(axis=0))
    assert doc["decision"]["label"] == doc["labels"][int(np.argmax(probs.mean(axis=0)))]
    files = write_predictions(doc, tmp_path / "out")
    assert json.loads(files[0].read_text()) == doc
    rows = list(csv.DictReader(files[1].open()))
    assert len(rows) == 10 and float(rows[0]["p_FLE"]) == pytest.approx(w0["probs"][0], abs=1e-6)
    assert files[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_features_of_the_wrong_width_are_refused(tmp_path: Path) -> None:
    path, _, table = _bundle(tmp_path)
    wide = FeatureTable(**{**{k: getattr(table, k) for k in (
        "mask", "patient", "recording", "event", "label", "view", "start_frame", "stop_frame",
        "fps", "t_start", "t_stop")}, "features": np.zeros((12, 3, 7), np.float32)})
    with pytest.raises(ShapeError, match="expects 4"):
        predict_recording(load_bundle(path), wide, "R1")


def test_a_seizure_level_bundle_decides_on_the_whole_recording(tmp_path: Path) -> None:
    base = synthetic_table(patients=4, events=1, samples=5, timesteps=3, features=4)
    views = [replace(base, view=np.full(len(base), v), features=base.features + np.float32(d))
             for v, d in (("a", 0.0), ("b", 0.5))]
    table = FeatureTable.concat(views)
    cfg = preset("gestures-seizure").model_copy(update={
        "n_segments": 2, "aggregation_units": 4,
        "train": TrainConfig(epochs=3, batch_size=8, optimizer="adamw", select_on="loss")})
    est = build_estimator(cfg).fit(table, classes=["FLE", "TLE"])
    bundle = load_bundle(save_bundle(tmp_path / "b", est, cfg, provenance=table.attrs,
                                     training={}))
    doc = predict_recording(bundle, table, "R01_0")
    assert doc["windows"] == []
    # each view's snippets in time order, the views' probabilities averaged (seed 002)
    per_view = []
    for view in ("a", "b"):
        rows = np.flatnonzero((table.recording == "R01_0") & (table.view == view))
        rows = rows[np.argsort(table.t_start[rows])]
        per_view.append(pooled_features(table.features[rows], table.mask[rows]))
    expected = est.predict_proba(per_view).mean(axis=0)
    np.testing.assert_allclose(doc["decision"]["probs"], expected, rtol=0, atol=1e-12)
    assert doc["decision"]["label"] == ["FLE", "TLE"][int(np.argmax(expected))]


def test_the_same_model_gives_the_same_bundle_bytes(tmp_path: Path) -> None:
    path, est, table = _bundle(tmp_path)
    cfg = load_bundle(path).config
    a = save_bundle(tmp_path / "a", est, cfg, provenance=table.attrs, training={})
    b = save_bundle(tmp_path / "b", est, cfg, provenance=table.attrs, training={})
    assert (a / "model.pt").read_bytes() == (b / "model.pt").read_bytes()
    assert load_bundle(a).sha256 == load_bundle(b).sha256
