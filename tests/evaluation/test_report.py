from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ictal.evaluation.cv import CVResult, run_cross_validation
from ictal.evaluation.report import write_figures, write_report
from ictal.features.table import FeatureTable
from ictal.models.config import TrainConfig
from ictal.models.presets import preset


@pytest.fixture
def two_runs(make_table: Callable[..., FeatureTable],
             tmp_path: Path) -> tuple[CVResult, CVResult]:
    t = make_table(patients=5, samples=4, classes=("FLE", "NE", "TLE"))
    cfg = preset("fast").model_copy(update={"lstm_units": (8, 8), "fc_units": (8, 8),
                                            "train": TrainConfig(epochs=2, batch_size=64)})
    a = run_cross_validation(t, model_config=cfg, out_dir=tmp_path / "a", progress=False)
    b = run_cross_validation(t, model_config=cfg, protocol="leaky-kfold", selection="seed",
                             out_dir=tmp_path / "b", progress=False)
    return a, b


def test_report_is_self_contained_and_complete(two_runs: tuple[CVResult, CVResult],
                                               tmp_path: Path) -> None:
    a, b = two_runs
    path = write_report([CVResult.load(a.run_dir), b], tmp_path / "report.html")
    page = path.read_text()
    assert not re.search(r'src="(?!data:)', page)  # no external file referenced
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 6  # confusion, curves, fold bars for each run
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert "0.833 ± 0.061" in page and "0.763 ± 0.083" in page  # published Table 2
    assert "LEAKY" in page and "selection=seed" in page and "selection=honest" in page
    assert "grouped-kfold" in page and "Fold sizes" in page
    f1 = a.summary["f1_macro"]
    assert f"{f1['mean']:.3f} ± {f1['std']:.3f}" in page
    for cls in ("FLE", "NE", "TLE"):
        assert f"<td>{cls}</td>" in page
    metrics = json.loads(path.with_suffix(".json").read_text())
    assert [m["selection"] for m in metrics] == ["honest", "seed"]
    assert metrics[1]["leaky"] is True


def test_run_figures_are_png_files(two_runs: tuple[CVResult, CVResult], tmp_path: Path) -> None:
    files = write_figures(two_runs[0], tmp_path / "fig")
    assert [f.name for f in files] == ["confusion.png", "roc_pr.png", "fold_metrics.png"]
    assert all(f.read_bytes()[:4] == b"\x89PNG" for f in files)
