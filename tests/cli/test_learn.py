from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.evaluation.synthetic import synthetic_table
from typer.testing import CliRunner

from ictal.cli.main import build_app
from ictal.features.store import write_features

TINY = ["--model", "fast", "--set", "lstm_units=[8,8]", "--set", "fc_units=[8,8]",
        "--set", "train.epochs=2", "--set", "train.batch_size=64", "--no-mlflow"]


@pytest.fixture
def features(tmp_path: Path) -> Path:
    return write_features(tmp_path / "features.h5", synthetic_table(patients=5, samples=3))


@pytest.mark.slow
def test_evaluate_compare_report_train_predict(features: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    app = build_app()
    a, b = tmp_path / "a", tmp_path / "b"
    res = runner.invoke(app, ["evaluate", str(features), "--out", str(a), *TINY])
    assert res.exit_code == 0, res.output
    assert (a / "report.html").exists() and (a / "figures" / "confusion.png").exists()
    res = runner.invoke(app, ["evaluate", str(features), "--out", str(b), "--protocol",
                              "leaky-kfold", "--selection", "seed", *TINY])
    assert res.exit_code == 0, res.output
    assert json.loads((b / "metrics.json").read_text())["leaky"] is True
    res = runner.invoke(app, ["compare", str(a), str(b), "--json"])
    assert res.exit_code == 0, res.output
    comps = json.loads(res.output)
    assert len(comps) == 2 and comps[0]["alpha_bonferroni"] == pytest.approx(0.025)
    res = runner.invoke(app, ["report", str(a), str(b), "--out", str(tmp_path / "r.html")])
    assert res.exit_code == 0 and (tmp_path / "r.html").exists()
    res = runner.invoke(app, ["train", str(features), "--out", str(tmp_path / "t"), "--final",
                              *TINY])
    assert res.exit_code == 0, res.output
    bundle = tmp_path / "t" / "bundle"
    assert (bundle / "bundle.json").exists()
    res = runner.invoke(app, ["predict", str(features), "--model", str(bundle), "--out",
                              str(tmp_path / "p"), "--recording", "R00_0"])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "p" / "R00_0.json").read_text())
    assert doc["format"] == "ictal-predictions/1" and len(doc["windows"]) == 3
    res = runner.invoke(app, ["predict", str(features), "--model", str(bundle), "--out",
                              str(tmp_path / "p"), "--recording", "missing"])
    assert res.exit_code == 1 and "FAILED missing" in res.output
