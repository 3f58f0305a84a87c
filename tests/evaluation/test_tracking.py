from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ictal.evaluation.cv import run_cross_validation
from ictal.features.table import FeatureTable
from ictal.models.bundle import save_bundle
from ictal.models.config import TrainConfig
from ictal.models.lstm import LSTMClassifier
from ictal.models.presets import preset

mlflow = pytest.importorskip("mlflow")


@pytest.mark.slow
def test_cv_and_bundle_are_logged_to_a_local_store(make_table: Callable[..., FeatureTable],
                                                   tmp_path: Path) -> None:
    from ictal.evaluation.tracking import local_tracking_uri, log_cv_result, log_run

    t = make_table(patients=5, samples=3)
    cfg = preset("fast").model_copy(update={"lstm_units": (8, 8), "fc_units": (8, 8),
                                            "train": TrainConfig(epochs=2, batch_size=64)})
    result = run_cross_validation(t, model_config=cfg, out_dir=tmp_path / "run",
                                  progress=False)
    run_id = log_cv_result(result)
    client = mlflow.tracking.MlflowClient(local_tracking_uri(tmp_path / "run"))
    run = client.get_run(run_id)
    assert run.data.params["protocol"] == "grouped-kfold"
    assert run.data.params["selection"] == "honest"
    assert run.data.metrics["f1_macro_mean"] == pytest.approx(result.summary["f1_macro"]["mean"])
    history = client.get_metric_history(run_id, "fold.f1_macro")
    assert len(history) == 5
    assert {a.path for a in client.list_artifacts(run_id)} >= {"config.json", "metrics.json",
                                                               "folds"}
    est = LSTMClassifier(lstm_units=(8, 8), fc_units=(8, 8),
                         train=TrainConfig(epochs=1, batch_size=64)).fit(t.features, t.label)
    bundle = save_bundle(tmp_path / "b", est, cfg, provenance=t.attrs, training={})
    log_run(tmp_path / "train", run_name="train", params={"a": 1}, metrics={"x": 1.0},
            bundle_dir=bundle, register_as="ictal-test-model")
    reg = mlflow.tracking.MlflowClient(local_tracking_uri(tmp_path / "train"))
    versions = reg.search_model_versions("name='ictal-test-model'")
    assert len(versions) == 1
    assert (tmp_path / "run" / "mlflow" / "mlflow.db").exists()
