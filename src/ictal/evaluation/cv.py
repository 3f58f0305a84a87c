"""Cross-validation runs: folds, model selection, metrics and a self-describing run folder.

Run folder layout (``out_dir``)::

    config.json            protocol, k, selection mode, seed, classes, model config, table
    folds/fold_00.json     patients, sizes per class, history, sample- and seizure-level metrics
    folds/fold_00.npz      test rows, true class index, probabilities (units of that fold)
    folds/fold_00.pt       the fold's fitted model (``estimator.state()``)
    metrics.json           everything above plus mean +/- std over folds

A run is resumable at fold granularity: a fold whose ``.json`` and ``.npz`` exist is reused
when ``config.json`` matches; a different configuration in the same folder is refused.

Model selection modes: ``seed`` keeps the epoch with the best score on the outer validation
fold - what seeds 000 / 001 / 002 did, which lets the test fold choose the model;
``honest`` selects on an inner patient-grouped split of the training patients only; ``none``
selects nothing: every training patient is fitted for ``train.epochs`` epochs and the last is
kept (the number of epochs fixed beforehand, e.g. on a development cohort - what suits a few
tens of patients, where an inner split of three or four patients picks epochs by chance).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import torch

from ictal.errors import ConfigError
from ictal.evaluation.metrics import classification_metrics, pool_by_group, summarize_folds
from ictal.evaluation.search import random_search
from ictal.evaluation.splits import (
    default_k,
    fold_sizes,
    inner_split,
    is_leaky,
    make_splits,
)
from ictal.features.table import FeatureTable
from ictal.fsutil import atomic_path, remove_temporaries, write_json_atomic
from ictal.jsonutil import json_safe
from ictal.models.config import ModelConfig
from ictal.models.registry import unit_of
from ictal.progress import make_progress
from ictal.training.fit import fit_selected, predict_rows

if TYPE_CHECKING:
    from ictal.executor import Executor

log = logging.getLogger(__name__)

FORMAT = "ictal-cv/1"
Selection = Literal["seed", "honest", "none"]


@dataclass
class FoldResult:
    """One fold: who was where, what was learned, how it scored."""

    fold: int
    train_patients: list[str]
    test_patients: list[str]
    sizes: dict[str, Any]
    metrics: dict[str, Any]
    seizure_metrics: dict[str, Any]
    history: dict[str, Any]
    y: np.ndarray
    proba: np.ndarray
    rows: np.ndarray
    group: np.ndarray
    search: dict[str, Any] | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return json_safe({"fold": self.fold, "train_patients": self.train_patients,
                "test_patients": self.test_patients, "sizes": self.sizes,
                "metrics": self.metrics, "seizure_metrics": self.seizure_metrics,
                "history": self.history, "search": self.search, "seconds": self.seconds})


@dataclass
class CVResult:
    """A whole cross-validation run (see the module docstring for its folder)."""

    name: str
    protocol: str
    selection: str
    k: int
    seed: int
    classes: list[str]
    model_config: dict[str, Any]
    folds: list[FoldResult]
    table_info: dict[str, Any] = field(default_factory=dict)
    run_dir: Path | None = None

    @property
    def leaky(self) -> bool:
        return is_leaky(self.protocol)

    @property
    def label(self) -> str:
        """Display name that always states the protocol and the selection mode."""
        tag = " [LEAKY: sample-level split, patients on both sides]" if self.leaky else ""
        return f"{self.name} ({self.protocol}, selection={self.selection}){tag}"

    @property
    def unit(self) -> str:
        """What the model predicts: ``sample`` or ``seizure`` (its estimator declares it)."""
        return unit_of(self.model_config["arch"])

    def level_summary(self, level: str = "sample") -> dict[str, dict[str, float]]:
        """Mean and std over folds of every scalar metric at ``sample`` or ``seizure`` level:
        ``{"f1_macro": {"mean": .., "std": .., "n": ..}, "per_class.FLE.sensitivity": ..}``."""
        key = "metrics" if level == "sample" else "seizure_metrics"
        return summarize_folds([getattr(f, key) for f in self.folds])

    @property
    def summary(self) -> dict[str, dict[str, float]]:
        """Sample-level (unit-level) mean and std over folds, e.g. ``summary["f1_macro"]``."""
        return self.level_summary("sample")

    @property
    def seizure_summary(self) -> dict[str, dict[str, float]]:
        """Seizure-level mean and std over folds."""
        return self.level_summary("seizure")

    def fold_scores(self, metric: str = "f1_macro", level: str = "sample") -> list[float]:
        key = "metrics" if level == "sample" else "seizure_metrics"
        values = [getattr(f, key).get(metric) for f in self.folds]
        return [math.nan if v is None else float(v) for v in values]

    def pooled(self) -> tuple[np.ndarray, np.ndarray]:
        """All folds' ``(y, proba)`` concatenated (pooled confusion matrix, ROC / PR)."""
        return (np.concatenate([f.y for f in self.folds]),
                np.concatenate([f.proba for f in self.folds]))

    def to_json(self) -> dict[str, Any]:
        """Strict JSON (non-finite numbers become ``null``)."""
        return json_safe({
            "format": FORMAT, "name": self.name, "label": self.label,
            "protocol": self.protocol, "leaky": self.leaky, "selection": self.selection,
            "k": self.k, "seed": self.seed, "classes": self.classes, "unit": self.unit,
            "model_config": self.model_config, "table": self.table_info,
            "summary": {"sample": self.summary, "seizure": self.seizure_summary},
            "folds": [f.to_json() for f in self.folds],
        })

    @staticmethod
    def load(run_dir: Path | str) -> CVResult:
        """Read a finished run folder back."""
        run_dir = Path(run_dir)
        path = run_dir / "metrics.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise ConfigError(f"{path}: not a finished cross-validation run ({err})",
                              hint="run `ictal evaluate` to create it") from err
        folds = [_load_fold(run_dir / "folds", i, f) for i, f in enumerate(data["folds"])]
        return CVResult(data["name"], data["protocol"], data["selection"], data["k"],
                        data["seed"], data["classes"], data["model_config"], folds,
                        data.get("table", {}), run_dir)


def _load_fold(folder: Path, i: int, meta: dict[str, Any]) -> FoldResult:
    with np.load(folder / f"fold_{i:02d}.npz", allow_pickle=False) as arrays:
        y, proba, rows, group = (arrays["y"], arrays["proba"], arrays["rows"],
                                 arrays["group"].astype(str))
    return FoldResult(meta["fold"], meta["train_patients"], meta["test_patients"],
                      meta["sizes"], meta["metrics"], meta["seizure_metrics"],
                      meta["history"], y, proba, rows, group, meta.get("search"),
                      meta.get("seconds", 0.0))


def _run_config(table: FeatureTable, model_config: ModelConfig, protocol: str, k: int,
                selection: str, seed: int, search_trials: int,
                classes: list[str]) -> dict[str, Any]:
    return {
        "format": FORMAT, "name": model_config.name, "protocol": protocol, "k": k,
        "selection": selection, "seed": seed, "search_trials": search_trials,
        "classes": classes, "model_config": model_config.model_dump(mode="json"),
        "table": table_info(table),
    }


def table_info(table: FeatureTable) -> dict[str, Any]:
    """What the report says about the data: sizes, the backbone and preprocessing variant that
    made the features, and a hash of the features (a run folder's finished folds are reused
    only for the same features)."""
    digest = hashlib.sha256(np.ascontiguousarray(table.features, np.float32).tobytes())
    digest.update(np.ascontiguousarray(table.mask).tobytes())
    return {
        "rows": len(table), "shape": list(table.features.shape),
        "patients": len(np.unique(table.patient)), "events": len(np.unique(table.event)),
        "backbone": table.attrs.get("backbone"),
        "weights_sha256": table.attrs.get("weights_sha256"),
        "dataset": table.attrs.get("dataset"),
        "variant": (table.attrs.get("preprocess") or {}).get("variant"),
        "features_sha256": digest.hexdigest(),
    }


def run_cross_validation(
    table: FeatureTable,
    *,
    model_config: ModelConfig,
    protocol: str = "grouped-kfold",
    k: int | None = None,
    selection: Selection = "honest",
    seed: int = 0,
    out_dir: Path | str,
    search_trials: int = 0,
    search_epochs: tuple[int, int] = (50, 2000),
    search_batch: tuple[int, int] = (50, 2000),
    threads: int | None = 1,
    device: str = "cpu",
    progress: bool = True,
    executor: Executor | None = None,
) -> CVResult:
    """Cross-validate ``model_config`` on ``table`` and write the run folder ``out_dir``.

    Args:
        protocol: ``grouped-kfold`` | ``loso`` | ``gestures-10fold`` | ``leaky-kfold``
            (see :mod:`ictal.evaluation.splits`); ``k`` is ignored by ``loso`` and
            defaults to 10 for ``gestures-10fold``, 5 otherwise.
        selection: ``seed`` (select on the outer validation fold, as the seeds),
            ``honest`` (select on an inner patient-grouped split of the training patients) or
            ``none`` (all training patients, ``train.epochs`` epochs, the last one kept).
        search_trials: > 0 runs a random hyper-parameter search inside every outer fold on
            its training patients only (nested CV, LSTM models).
        threads: torch intra-op threads while fitting (default 1, see
            :class:`~ictal.models.base.TorchSequenceClassifier`; ``None`` keeps torch's).
        device: torch device that trains the models (``"cpu"``, ``"cuda"``).
        progress: show rich progress bars over folds and epochs.
        executor: where folds run (default: here, one after the other). On a cluster
            (``--executor ray``) the nested search's trials of every unfinished fold run in
            parallel, then the folds; each is seeded as locally, so the metrics are the same.
            The fold files are written here, by this process.
    """
    if selection not in get_args(Selection):
        raise ConfigError(f"unknown selection mode {selection!r}",
                          hint=f"use one of {', '.join(get_args(Selection))}")
    if len(table) == 0:
        raise ConfigError("the feature table is empty")
    out = Path(out_dir)
    classes = sorted(set(table.label.tolist()))
    if "" in classes:
        raise ConfigError("some feature rows have no label",
                          hint="drop unlabelled rows before cross-validation")
    k = default_k(protocol) if k is None else k
    config = _run_config(table, model_config, protocol, k, selection, seed, search_trials,
                         classes)
    splits = make_splits(table, protocol, k=k, seed=seed)  # refuses a bad protocol or k
    _check_or_write_config(out, config)  # only then: a refused run leaves no config behind
    for folder in (out, out / "folds"):  # what a killed run was writing
        remove_temporaries(folder)
    folds: list[FoldResult] = []
    if executor is not None and not executor.config.is_local:
        folds = _run_folds_on_cluster(
            executor, table, splits, model_config, classes, out / "folds", progress=progress,
            protocol_name=protocol, selection=selection, seed=seed,
            search_trials=search_trials, search_epochs=search_epochs,
            search_batch=search_batch, threads=threads, device=device)
    else:
        folds = _run_folds_here(
            table, splits, model_config, classes, out / "folds", progress=progress,
            protocol_name=protocol, selection=selection, seed=seed,
            search_trials=search_trials, search_epochs=search_epochs,
            search_batch=search_batch, threads=threads, device=device)
    result = CVResult(model_config.name, protocol, selection, len(splits), seed, classes,
                      config["model_config"], folds, config["table"], out)
    write_json_atomic(out / "metrics.json", result.to_json())
    return result


def _run_folds_here(table: FeatureTable, splits: list[tuple[np.ndarray, np.ndarray]],
                    model_config: ModelConfig, classes: list[str], folder: Path, *,
                    progress: bool, **kw: Any) -> list[FoldResult]:
    """Every fold in this process, in order (finished ones reused)."""
    out = folder.parent
    folds: list[FoldResult] = []
    with make_progress(transient=True, disable=not progress) as bar:
        fold_task = bar.add_task(f"{model_config.name} {kw['protocol_name']}",
                                 total=len(splits))
        epoch_task = bar.add_task("epochs", total=model_config.train.epochs)
        for i, (train_rows, test_rows) in enumerate(splits):
            cached = _cached_fold(out / "folds", i)
            if cached is not None:
                log.info("fold %d: reusing the finished result in %s", i, out / "folds")
                folds.append(cached)
                bar.advance(fold_task)
                continue
            bar.reset(epoch_task, total=model_config.train.epochs)

            def on_epoch(epoch: int, total: int) -> None:
                bar.update(epoch_task, completed=epoch + 1, total=total)

            fold = _run_fold(table, i, train_rows, test_rows, model_config, classes,
                             on_epoch=on_epoch, out=out / "folds", **kw)
            folds.append(fold)
            bar.advance(fold_task)
    return folds


def _run_folds_on_cluster(executor: Executor, table: FeatureTable,
                          splits: list[tuple[np.ndarray, np.ndarray]],
                          model_config: ModelConfig, classes: list[str], folder: Path, *,
                          progress: bool, protocol_name: str, selection: str, seed: int,
                          search_trials: int, search_epochs: tuple[int, int],
                          search_batch: tuple[int, int], threads: int | None,
                          device: str) -> list[FoldResult]:
    """The unfinished folds on ``executor``: all their search trials at once, then all the
    folds at once; each finished fold is saved as soon as it arrives (a killed run resumes
    from it)."""
    from ictal.evaluation.search import plan_search, trial_score
    from ictal.executor import TaskSpec

    done: dict[int, FoldResult] = {}
    for i in range(len(splits)):
        cached = _cached_fold(folder, i)
        if cached is not None:
            log.info("fold %d: reusing the finished result in %s", i, folder)
            done[i] = cached
    todo = [i for i in range(len(splits)) if i not in done]
    shared = executor.put(table)
    chosen: dict[int, tuple[ModelConfig, dict[str, Any] | None]] = {
        i: (model_config, None) for i in todo}
    n_trials = len(todo) * search_trials
    with make_progress(transient=True, disable=not progress) as bar:
        if n_trials:
            task = bar.add_task(f"search ({executor.kind})", total=n_trials)
            plans = {i: plan_search(table, splits[i][0], model_config, n_trials=search_trials,
                                    seed=seed * 1000 + i, epochs=search_epochs,
                                    batch=search_batch) for i in todo}
            tasks = [TaskSpec(f"{i}/{j}", trial_score, (
                shared, plans[i].fit_part, plans[i].val_part, cfg, classes),
                {"seed": seed * 1000 + i, "threads": threads, "device": device})
                for i in todo for j, cfg in enumerate(plans[i].configs)]
            values: dict[str, float] = {}
            for outcome in executor.run(tasks, catch=()):
                values[outcome.key] = outcome.value
                bar.advance(task)
            for i in todo:
                found = plans[i].finish([values[f"{i}/{j}"] for j in range(search_trials)])
                chosen[i] = (found.best_config, {
                    "best_value": found.best_value, "trials": found.trials,
                    "best_config": found.best_config.model_dump(mode="json")})
        task = bar.add_task(f"{model_config.name} {protocol_name} ({executor.kind})",
                            total=len(splits), completed=len(done))
        fits = [TaskSpec(str(i), _fit_fold, (shared, i, *splits[i], *chosen[i], classes), {
            "protocol_name": protocol_name, "selection": selection, "seed": seed,
            "threads": threads, "device": device}) for i in todo]
        for outcome in executor.run(fits, catch=()):
            fold, state = outcome.value
            _save_fold(folder, fold, state)
            done[fold.fold] = fold
            bar.advance(task)
    return [done[i] for i in range(len(splits))]


def _check_or_write_config(out: Path, config: dict[str, Any]) -> None:
    path = out / "config.json"
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        if old != json.loads(json.dumps(config, default=str)):
            raise ConfigError(
                f"{out} holds a run with a different configuration",
                hint="choose a new --out folder, or delete the old run to start over")
        return
    write_json_atomic(path, config)


def _cached_fold(folder: Path, i: int) -> FoldResult | None:
    meta_path = folder / f"fold_{i:02d}.json"
    if not (meta_path.exists() and (folder / f"fold_{i:02d}.npz").exists()):
        return None
    return _load_fold(folder, i, json.loads(meta_path.read_text(encoding="utf-8")))


def _run_fold(table: FeatureTable, i: int, train_rows: np.ndarray, test_rows: np.ndarray,
              model_config: ModelConfig, classes: list[str], *, protocol_name: str,
              selection: str, seed: int, search_trials: int, search_epochs: tuple[int, int],
              search_batch: tuple[int, int], threads: int | None, device: str,
              on_epoch: Any, out: Path) -> FoldResult:
    start = time.perf_counter()
    fold_seed = seed * 1000 + i
    config = model_config
    search_info = None
    if search_trials > 0:
        found = random_search(table, train_rows, model_config, classes=classes,
                              n_trials=search_trials, seed=fold_seed, epochs=search_epochs,
                              batch=search_batch, threads=threads, device=device)
        config = found.best_config
        search_info = {"best_value": found.best_value, "trials": found.trials,
                       "best_config": config.model_dump(mode="json")}
    fold, state = _fit_fold(table, i, train_rows, test_rows, config, search_info, classes,
                            protocol_name=protocol_name, selection=selection, seed=seed,
                            threads=threads, device=device, on_epoch=on_epoch, start=start)
    _save_fold(out, fold, state)
    return fold


def _fit_fold(table: FeatureTable, i: int, train_rows: np.ndarray, test_rows: np.ndarray,
              config: ModelConfig, search_info: dict[str, Any] | None, classes: list[str], *,
              protocol_name: str, selection: str, seed: int, threads: int | None,
              device: str, on_epoch: Any = None, start: float | None = None,
              ) -> tuple[FoldResult, dict[str, Any]]:
    """Fit fold ``i`` with ``config`` (the search's choice, if any) and score it; returns the
    fold and its fitted model's state. Writes nothing (it may run on a cluster worker)."""
    start = time.perf_counter() if start is None else start
    fold_seed = seed * 1000 + i
    protocol = protocol_name
    if selection == "honest":
        fit_part, val_part = inner_split(table, train_rows, seed=fold_seed,
                                         grouped=not is_leaky(protocol))
    elif selection == "none":  # every training patient, the configured epochs
        fit_part, val_part = train_rows, train_rows[:0]
    else:  # the seeds' protocol: the outer validation fold picks the epoch
        fit_part, val_part = train_rows, test_rows
    est, history = fit_selected(table, fit_part, val_part, config, classes,
                                refit_rows=train_rows, seed=fold_seed, threads=threads,
                                on_epoch=on_epoch, device=device)
    pred = predict_rows(est, table, test_rows, classes)
    metrics = classification_metrics(pred.y, pred.proba, classes)
    if est.unit == "seizure":  # the units are seizures already
        seizure = metrics
    else:
        groups, y_s, p_s = pool_by_group(pred.y, pred.proba, pred.group,
                                         table.t_start[pred.rows])
        truth = table.seizure_truth() or {}  # seed 002: a seizure is TCS when it has a tG
        index = {c: j for j, c in enumerate(classes)}
        y_s = np.asarray([index.get(truth.get(str(g), ""), y) for g, y in
                          zip(groups.tolist(), y_s.tolist(), strict=True)], dtype=np.int64)
        seizure = classification_metrics(y_s, p_s, classes)
    sizes = {"train": fold_sizes(table, train_rows, classes),
             "fit": fold_sizes(table, fit_part, classes),
             "validation": fold_sizes(table, val_part, classes),
             "test": fold_sizes(table, test_rows, classes)}
    fold = FoldResult(
        i, sorted(set(table.patient[train_rows].tolist())),
        sorted(set(table.patient[test_rows].tolist())), sizes, metrics, seizure,
        history, pred.y, pred.proba, pred.rows, pred.group.astype(str),
        search_info, time.perf_counter() - start)
    return fold, est.state()


def _save_fold(out: Path, fold: FoldResult, state: dict[str, Any]) -> None:
    """Write a fold's model, arrays and JSON (the JSON last: it marks a finished fold)."""
    i = fold.fold
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / f"fold_{i:02d}.pt") as tmp, tmp.open("wb") as fh:
        torch.save(state, fh)  # a file object: no temporary name inside the archive
    with atomic_path(out / f"fold_{i:02d}.npz") as tmp, tmp.open("wb") as fh:
        np.savez(fh, y=fold.y, proba=fold.proba, rows=fold.rows,
                 group=fold.group.astype(str))
    write_json_atomic(out / f"fold_{i:02d}.json", fold.to_json())
    log.info("fold %d: macro F1 %.3f (%d test units, %.1f s)", i, fold.metrics["f1_macro"],
             len(fold.y), fold.seconds)
