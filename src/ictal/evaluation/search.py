"""Random hyper-parameter search over the seeds' ranges (Optuna, RandomSampler, seeded).

Seeds 000 / 001 ("Training methods"; they used Talos): LSTM units [32, 256], FC units
[16, 128], loss {MSE, BCE}, dropout [0, 0.5], recurrent dropout [0, 0.5], epochs [50, 2000],
batch size [50, 2000]. The search only ever sees the training patients it is given: the
objective is the macro F1 on an inner patient-grouped split of those rows, so nesting it in
an outer cross-validation keeps the outer test fold untouched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from ictal.evaluation.splits import inner_split
from ictal.features.table import FeatureTable
from ictal.models.config import ModelConfig
from ictal.training.fit import fit_rows, predict_rows

log = logging.getLogger(__name__)


@dataclass
class SearchResult:
    """Best configuration found, its inner-validation macro F1, and every trial."""

    best_config: ModelConfig
    best_value: float
    trials: list[dict[str, Any]] = field(default_factory=list)


def suggest_config(trial: Any, base: ModelConfig, *, epochs: tuple[int, int] = (50, 2000),
                   batch: tuple[int, int] = (50, 2000)) -> ModelConfig:
    """A copy of ``base`` with the seeds' hyper-parameters drawn from ``trial``."""
    u1 = trial.suggest_int("lstm_units_1", 32, 256)
    u2 = trial.suggest_int("lstm_units_2", 32, 256)
    f1 = trial.suggest_int("fc_units_1", 16, 128)
    f2 = trial.suggest_int("fc_units_2", 16, 128)
    train = base.train.model_copy(update={
        "epochs": trial.suggest_int("epochs", *epochs),
        "batch_size": trial.suggest_int("batch_size", *batch),
    })
    return base.model_copy(update={
        "lstm_units": (u1, u2), "fc_units": (f1, f2),
        "loss": trial.suggest_categorical("loss", ["mse", "bce"]),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
        "recurrent_dropout": trial.suggest_float("recurrent_dropout", 0.0, 0.5),
        "train": train,
    })


def trial_score(table: FeatureTable, fit_part: np.ndarray, val_part: np.ndarray,
                config: ModelConfig, classes: list[str], *, seed: int, threads: int | None,
                device: str) -> float:
    """One trial: fit ``config`` on ``fit_part``, macro F1 on ``val_part`` (inner split)."""
    est = fit_rows(table, fit_part, val_part, config, classes, seed=seed, threads=threads,
                   device=device)
    pred = predict_rows(est, table, val_part, classes)
    return float(f1_score(pred.y, pred.proba.argmax(axis=1), average="macro",
                          zero_division=0))


@dataclass
class SearchPlan:
    """A seeded search's trials drawn up front (the random sampler does not look at the
    scores, so every trial's configuration is known before any runs): they may run in any
    order, or all at once, and give the sequential search's result."""

    study: Any
    trials: list[Any]
    configs: list[ModelConfig]
    fit_part: np.ndarray
    val_part: np.ndarray
    base: ModelConfig
    epochs: tuple[int, int]
    batch: tuple[int, int]

    def finish(self, values: list[float]) -> SearchResult:
        """Tell the study each trial's score (in trial order); the best configuration."""
        import optuna

        for trial, value in zip(self.trials, values, strict=True):
            self.study.tell(trial, value)
        best = suggest_config(optuna.trial.FixedTrial(self.study.best_params), self.base,
                              epochs=self.epochs, batch=self.batch)
        trials = [{"number": t.number, "value": t.value, "params": t.params}
                  for t in self.study.trials]
        log.info("search: best inner F1 %.3f with %s", self.study.best_value,
                 self.study.best_params)
        return SearchResult(best, float(self.study.best_value), trials)


def plan_search(table: FeatureTable, train_rows: np.ndarray, base: ModelConfig, *,
                n_trials: int, seed: int = 0, epochs: tuple[int, int] = (50, 2000),
                batch: tuple[int, int] = (50, 2000)) -> SearchPlan:
    """Draw ``n_trials`` configurations (Optuna ``RandomSampler(seed)``) and the inner grouped
    split of ``train_rows`` they are scored on."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    fit_part, val_part = inner_split(table, train_rows, seed=seed)
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=seed))
    trials, configs = [], []
    for _ in range(n_trials):
        trial = study.ask()
        trials.append(trial)
        configs.append(suggest_config(trial, base, epochs=epochs, batch=batch))
    return SearchPlan(study, trials, configs, fit_part, val_part, base, epochs, batch)


def random_search(table: FeatureTable, train_rows: np.ndarray, base: ModelConfig, *,
                  classes: list[str], n_trials: int, seed: int = 0,
                  epochs: tuple[int, int] = (50, 2000), batch: tuple[int, int] = (50, 2000),
                  threads: int | None = 1, device: str = "cpu") -> SearchResult:
    """Seeded random search on ``train_rows`` only (inner grouped split); LSTM models.

    The trials run here one after the other; ``ictal evaluate --executor ray`` runs the same
    :class:`SearchPlan`'s trials in parallel, with the same result.
    """
    plan = plan_search(table, train_rows, base, n_trials=n_trials, seed=seed, epochs=epochs,
                       batch=batch)
    values = [trial_score(table, plan.fit_part, plan.val_part, cfg, classes, seed=seed,
                          threads=threads, device=device) for cfg in plan.configs]
    return plan.finish(values)
