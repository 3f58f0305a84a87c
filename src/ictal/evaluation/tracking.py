"""Optional MLflow logging of run folders (``pip install ictal[tracking]``).

By default a run is logged to a local store inside its run folder (``<run>/mlflow/mlflow.db``
SQLite metadata, ``<run>/mlflow/artifacts``; MLflow 3 no longer accepts plain file stores);
``tracking_uri`` points at a shared server instead. Logged: the configuration as parameters,
scalar metrics (mean over folds, per-fold values as steps), the run folder's JSON and
figures as artifacts, and - for exported bundles - the model as an MLflow ``pyfunc`` model
registered under ``register_as``.
"""

from __future__ import annotations

import importlib.util
import logging
import math
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def mlflow_available() -> bool:
    """Whether MLflow can be imported."""
    return importlib.util.find_spec("mlflow") is not None


def local_tracking_uri(run_dir: Path) -> str:
    """The default store of a run folder: SQLite under ``<run>/mlflow``."""
    folder = (Path(run_dir) / "mlflow").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def _flat_params(obj: Any, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(obj, dict):
        for key, value in obj.items():
            out.update(_flat_params(value, f"{prefix}{key}."))
    else:
        out[prefix.rstrip(".")] = str(obj)[:500]
    return out


def _metric_key(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-./ " else "_" for ch in name)


def log_run(
    run_dir: Path | str,
    *,
    run_name: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    step_metrics: dict[str, list[float]] | None = None,
    artifacts: list[Path] | None = None,
    bundle_dir: Path | None = None,
    register_as: str | None = None,
    tracking_uri: str | None = None,
    experiment: str = "ictal",
) -> str:
    """Log one run to MLflow and return its run id (see the module docstring)."""
    import mlflow

    run_dir = Path(run_dir)
    uri = tracking_uri or local_tracking_uri(run_dir)
    client_uri = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        exp = mlflow.get_experiment_by_name(experiment)
        if exp is not None:
            exp_id = exp.experiment_id
        elif tracking_uri is None:
            exp_id = mlflow.create_experiment(
                experiment, artifact_location=(run_dir / "mlflow" / "artifacts").resolve()
                .as_uri())
        else:
            exp_id = mlflow.create_experiment(experiment)
        with mlflow.start_run(run_name=run_name, experiment_id=exp_id) as run:
            mlflow.log_params(_flat_params(params))
            finite = {_metric_key(k): v for k, v in metrics.items()
                      if isinstance(v, int | float) and math.isfinite(v)}
            mlflow.log_metrics(finite)
            for key, values in (step_metrics or {}).items():
                for step, value in enumerate(values):
                    if math.isfinite(value):
                        mlflow.log_metric(_metric_key(key), float(value), step=step)
            for path in artifacts or []:
                if path.is_dir():
                    mlflow.log_artifacts(str(path), artifact_path=path.name)
                elif path.exists():
                    mlflow.log_artifact(str(path))
            if bundle_dir is not None:
                _log_bundle_model(mlflow, bundle_dir, register_as)
            return str(run.info.run_id)
    finally:
        mlflow.set_tracking_uri(client_uri)


def _log_bundle_model(mlflow: Any, bundle_dir: Path, register_as: str | None) -> None:
    import mlflow.pyfunc

    class BundleModel(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined,misc]
        """Applies an ictal bundle to features ``(N, T, F)``; returns ``(N, C)`` probs."""

        def load_context(self, context: Any) -> None:
            from ictal.models.bundle import load_bundle

            self.bundle = load_bundle(context.artifacts["bundle"])

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            import numpy as np

            return self.bundle.estimator.predict_proba(np.asarray(model_input, np.float32))

    info = mlflow.pyfunc.log_model(
        name="model", python_model=BundleModel(), artifacts={"bundle": str(bundle_dir)},
        pip_requirements=["ictal", "torch", "numpy", "scikit-learn"])
    if register_as:
        mlflow.register_model(info.model_uri, register_as)
        log.info("registered model %s from %s", register_as, info.model_uri)


def log_cv_result(result: Any, *, tracking_uri: str | None = None) -> str:
    """Log a :class:`~ictal.evaluation.cv.CVResult` and its run folder."""
    run_dir = Path(result.run_dir)
    summary = result.summary
    metrics = {f"{k}_mean": v["mean"] for k, v in summary.items()}
    metrics.update({f"{k}_std": v["std"] for k, v in summary.items()})
    metrics.update({f"seizure.{k}_mean": v["mean"]
                    for k, v in result.seizure_summary.items()})
    params = {"protocol": result.protocol, "leaky": result.leaky,
              "selection": result.selection, "k": result.k, "seed": result.seed,
              "classes": ",".join(result.classes), "model": result.model_config}
    artifacts = [run_dir / name for name in ("config.json", "metrics.json", "report.html",
                                             "figures", "folds")]
    return log_run(run_dir, run_name=result.label, params=params, metrics=metrics,
                   step_metrics={"fold.f1_macro": result.fold_scores("f1_macro")},
                   artifacts=artifacts, tracking_uri=tracking_uri)
