"""The one estimator contract, and the shared machinery of the torch sequence classifiers.

Every classifier implements :class:`Estimator`: it is fitted on the rows of a
:class:`~ictal.features.table.FeatureTable` and predicts class probabilities for *units* of
rows - each row (``unit = "sample"``) or each seizure (``unit = "seizure"``) - turning rows
into its own inputs itself, so the code that fits and scores models never branches on the
architecture.

Estimators look like scikit-learn's: the constructor stores parameters, ``fit`` returns
``self``, learned state ends in ``_``. Sample-level inputs are features ``(N, T, F)``
``float32`` with ``-1`` pre-padding and an optional boolean mask ``(N, T)`` (``True`` = real
timestep); when the mask is omitted a timestep is padding when all its features equal ``-1``
(Keras ``Masking``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, Self, runtime_checkable

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import f1_score
from torch import nn

from ictal.errors import ShapeError
from ictal.features.table import FeatureTable
from ictal.models.config import ModelConfig, TrainConfig
from ictal.models.loop import EpochCallback, History, train_loop
from ictal.models.losses import (
    default_loss,
    probabilities,
    scaled_class_weights,
    weighted_loss,
)

log = logging.getLogger(__name__)

PAD_VALUE = -1.0

#: What an estimator predicts: one probability row per feature row, or per seizure.
Unit = Literal["sample", "seizure"]


@dataclass(frozen=True)
class Units:
    """The units an estimator predicts for the rows of a table, in its ``predict_proba`` order.

    Attributes:
        rows: ``(M,)`` int64 row of the table standing for each unit: the row itself for a
            sample; for a seizure, the earliest row of its first view.
        group: ``(M,)`` str seizure of each unit (:meth:`FeatureTable.seizure_key`); a seizure
            unit is its own group.
        patient: ``(M,)`` str.
        label: ``(M,)`` str true label of each unit.
    """

    rows: np.ndarray
    group: np.ndarray
    patient: np.ndarray
    label: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


@runtime_checkable
class Estimator(Protocol):
    """The contract of every classifier (STYLE.md §14: adding a model is adding a row of
    :mod:`ictal.models.registry`, not a branch).

    ``fit`` learns from ``table.label`` of the given rows; ``classes`` is the sorted label
    vocabulary (pass it when a fold may miss a class); ``validation`` rows select the epoch
    kept (``train.select_on``). ``predict_proba`` returns ``(M, C)`` float64, one row per
    unit of :meth:`units` and columns in the order of ``classes_``. ``state`` /
    ``load_state`` are what a bundle or a fold stores and restores (an estimator built from
    the same config gives the same probabilities after ``load_state``).

    Attributes after ``fit``: ``classes_`` ``(C,)`` str, ``n_features_in_`` (F), ``history_``
    (:class:`~ictal.models.loop.History`, not restored by ``load_state``).
    """

    unit: ClassVar[Unit]
    classes_: np.ndarray
    n_features_in_: int
    history_: History

    @classmethod
    def from_config(cls, config: ModelConfig, *, seed: int = 0, threads: int | None = 1,
                    device: str = "cpu") -> Self:
        """The unfitted estimator ``config`` describes, training with ``seed`` on ``device``."""
        ...

    def fit(self, table: FeatureTable, /, *, classes: Sequence[str] | None = None,
            validation: FeatureTable | None = None,
            on_epoch: EpochCallback | None = None) -> Self:
        ...

    def predict_proba(self, table: FeatureTable, /) -> np.ndarray:
        ...

    def units(self, table: FeatureTable) -> Units:
        ...

    def state(self) -> dict[str, Any]:
        ...

    def load_state(self, state: dict[str, Any]) -> Self:
        ...


def padding_mask(X: np.ndarray) -> np.ndarray:
    """``(N, T)`` bool, ``True`` where a timestep of ``X (N, T, F)`` is not all ``-1``."""
    return ~np.all(X == PAD_VALUE, axis=-1)


def check_inputs(X: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``X (N, T, F)`` and ``mask (N, T)``; derive the mask when ``None``."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 3:
        raise ShapeError(f"features must be (N, T, F), got shape {X.shape}",
                         hint="pass FeatureTable.features")
    mask = padding_mask(X) if mask is None else np.asarray(mask, dtype=bool)
    if mask.shape != X.shape[:2]:
        raise ShapeError(f"mask must be (N, T) = {X.shape[:2]}, got {mask.shape}")
    return X, mask


def left_align(x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move the real timesteps of every row to the front, keeping their order.

    Args:
        x: ``(N, T, F)``; mask: ``(N, T)`` bool.

    Returns:
        ``(N, T, F)`` with row ``i``'s real timesteps in ``[0, lengths[i])`` and zeros after,
        and ``lengths`` ``(N,)`` int64. Skipping masked steps in a recurrence is then the same
        as running over the first ``lengths[i]`` steps (packed sequences).
    """
    order = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)
    aligned = x.gather(1, order.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
    lengths = mask.sum(dim=1)
    keep = torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]
    return aligned * keep.unsqueeze(-1).to(x.dtype), lengths


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Use ``n`` intra-op threads inside the block (``None`` leaves torch's setting)."""
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class TorchSequenceClassifier(ClassifierMixin, BaseEstimator):
    """Base of classifiers of ``(N, T, F)`` masked feature sequences.

    Subclasses implement :meth:`_build_module` (a module mapping ``(x, mask)`` to logits
    ``(N, 1)`` for 2 classes or ``(N, C)``) and may add a regularisation term through the
    module's ``penalty()`` method. ``train`` is a :class:`TrainConfig`; ``loss`` is ``auto``
    (MSE for 2 classes, CCE for 3, seed 000), ``mse``, ``bce`` or ``cce``. ``threads`` is the
    number of torch threads while fitting / predicting: 1 by default, because these small
    recurrent networks are latency-bound and extra threads only add contention on a shared
    CPU (``None`` keeps torch's global setting). ``device`` is the torch device that trains
    and predicts (``"cpu"``, ``"cuda"``); inputs and outputs stay NumPy on the host.
    ``standardize=True`` rescales every feature to zero mean and unit variance with statistics
    of the training rows' real timesteps (``mean_``, ``scale_``), as a scikit-learn
    ``StandardScaler`` in a pipeline would: needed for features of mixed scales (the
    ``motion`` backbone's), not for I3D's (seed 000 feeds them as they are).

    Implements :class:`Estimator` with ``unit = "sample"``: ``fit`` and ``predict_proba``
    take a :class:`~ictal.features.table.FeatureTable` (its ``features``, ``mask`` and
    ``label``) or, as scikit-learn's, the arrays ``X (N, T, F)``, ``y (N,)`` and ``mask``.
    """

    unit: ClassVar[Unit] = "sample"

    def __init__(self, *, loss: str = "auto", train: TrainConfig | None = None,
                 seed: int = 0, threads: int | None = 1, device: str = "cpu",
                 standardize: bool = False) -> None:
        self.loss = loss
        self.train = train
        self.seed = seed
        self.threads = threads
        self.device = device
        self.standardize = standardize

    # -- subclass hooks ------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: ModelConfig, *, seed: int = 0, threads: int | None = 1,
                    device: str = "cpu") -> Self:
        """The unfitted estimator ``config`` describes (see :class:`Estimator`)."""
        raise NotImplementedError

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        raise NotImplementedError

    def _n_outputs(self, n_classes: int) -> int:
        return 1 if n_classes == 2 else n_classes

    def _batch_loss(self, output: torch.Tensor, y: torch.Tensor, weights: torch.Tensor,
                    index: torch.Tensor) -> torch.Tensor:
        """Training loss of a batch: the module's ``output`` (training mode) for the training
        rows at ``index`` with labels ``y``; the class-weighted loss of the logits by default
        (multi-stream and distilled models add terms)."""
        return weighted_loss(self.loss_, output, y, weights)

    # -- scikit-learn API ----------------------------------------------------------------
    def fit(self, X: FeatureTable | np.ndarray, y: np.ndarray | None = None, *,
            mask: np.ndarray | None = None,
            validation: FeatureTable | tuple[np.ndarray, np.ndarray, np.ndarray | None]
            | None = None,
            classes: Sequence[str] | np.ndarray | None = None,
            on_epoch: EpochCallback | None = None) -> Self:
        """Train on the rows of a table, or on ``X (N, T, F)`` with labels ``y (N,)``.

        Args:
            validation: a table, or ``(X_val, y_val, mask_val)``, used for model selection
                (best macro F1 or lowest loss, ``train.select_on``); ``None`` keeps the last
                epoch.
            classes: the label vocabulary (sorted); defaults to the labels in ``y`` - pass it
                when a fold may miss a class.
        """
        if isinstance(X, FeatureTable):
            X, y, mask = X.features, X.label, X.mask
        if isinstance(validation, FeatureTable):
            validation = (validation.features, validation.label, validation.mask)
        if y is None:
            raise ValueError("fit needs labels y with an array X (a FeatureTable has them)")
        cfg = self.train or TrainConfig()
        X, mask = check_inputs(X, mask)
        y = np.asarray(y)
        self.classes_ = np.asarray(sorted(set(y.tolist()))) if classes is None else np.asarray(
            classes)
        if len(self.classes_) < 2:
            raise ValueError(f"need at least two classes to train, got {self.classes_.tolist()}")
        y_idx = self._encode(y)
        self.n_features_in_ = X.shape[2]
        self._fit_scaler(X, mask)
        X = self._scaled(X, mask)
        self.loss_ = default_loss(len(self.classes_), self.loss)
        self.class_weight_ = scaled_class_weights(y_idx, self.classes_.tolist(),
                                                  cfg.class_scale)
        torch.manual_seed(self.seed)
        gen = torch.Generator().manual_seed(self.seed)
        dev = torch.device(self.device)
        with torch_threads(self.threads):
            self.module_ = self._build_module(X.shape[2],
                                              self._n_outputs(len(self.classes_))).to(dev)
            xt, mt = torch.from_numpy(X).to(dev), torch.from_numpy(mask).to(dev)
            yt = torch.from_numpy(y_idx).to(dev)
            wt = torch.as_tensor(self.class_weight_, dtype=torch.float32, device=dev)

            def step_loss(index: torch.Tensor) -> torch.Tensor:
                index = index.to(dev)
                logits = self.module_(xt[index], mt[index])
                loss = self._batch_loss(logits, yt[index], wt, index)
                penalty = getattr(self.module_, "penalty", None)
                return loss + penalty() if penalty is not None else loss

            validate = None
            if validation is not None:
                Xv, mv = check_inputs(validation[0], validation[2])
                Xv = self._scaled(Xv, mv)
                xv, mvt = torch.from_numpy(Xv).to(dev), torch.from_numpy(mv).to(dev)
                yv_idx = self._encode(np.asarray(validation[1]))
                yv = torch.from_numpy(yv_idx).to(dev)

                def validate() -> tuple[float, float]:
                    logits = self._logits_batched(xv, mvt)
                    loss = float(weighted_loss(self.loss_, logits, yv, wt))
                    pred = probabilities(logits).argmax(dim=1).cpu().numpy()
                    f1 = f1_score(yv_idx, pred, average="macro", zero_division=0)
                    return loss, float(f1)

            self.history_: History = train_loop(
                self.module_, cfg, n_train=len(y_idx), step_loss=step_loss, validate=validate,
                generator=gen, on_epoch=on_epoch)
        return self

    def _fit_scaler(self, X: np.ndarray, mask: np.ndarray) -> None:
        """``mean_`` / ``scale_`` ``(F,)`` of the real timesteps (identity when not
        standardising; constant features keep a scale of 1)."""
        f = X.shape[2]
        self.mean_ = np.zeros(f, np.float32)
        self.scale_ = np.ones(f, np.float32)
        if self.standardize and mask.any():
            real = X[mask].astype(np.float64)
            self.mean_ = real.mean(axis=0).astype(np.float32)
            std = real.std(axis=0)
            self.scale_ = np.where(std > 1e-8, std, 1.0).astype(np.float32)

    def _scaled(self, X: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """``X`` standardised at real timesteps; padding keeps :data:`PAD_VALUE`."""
        if not self.standardize:
            return X
        if X.shape[2] != self.n_features_in_:
            raise ShapeError(f"features have {X.shape[2]} columns, the model was fitted on "
                             f"{self.n_features_in_}")
        out = (X - self.mean_) / self.scale_
        return np.where(mask[..., None], out, PAD_VALUE).astype(np.float32)

    def _encode(self, y: np.ndarray) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.classes_.tolist())}
        try:
            return np.asarray([index[v] for v in y.tolist()], dtype=np.int64)
        except KeyError as err:
            raise ValueError(f"label {err.args[0]!r} is not one of the classes "
                             f"{self.classes_.tolist()}") from err

    def _logits_batched(self, x: torch.Tensor, m: torch.Tensor,
                        batch: int = 4096) -> torch.Tensor:
        outs = [self.module_(x[i:i + batch], m[i:i + batch]) for i in range(0, len(x), batch)]
        if not outs:
            return torch.zeros((0, self._n_outputs(len(self.classes_))), device=x.device)
        return torch.cat(outs)

    def predict_proba(self, X: FeatureTable | np.ndarray,
                      mask: np.ndarray | None = None) -> np.ndarray:
        """Class probabilities ``(N, C)`` float64 of a table's rows or of ``X (N, T, F)``,
        columns in the order of ``classes_``."""
        if isinstance(X, FeatureTable):
            X, mask = X.features, X.mask
        X, mask = check_inputs(X, mask)
        logits = self._eval_logits(self._scaled(X, mask), mask)
        return probabilities(logits).double().cpu().numpy()

    def _eval_logits(self, X: np.ndarray, mask: np.ndarray) -> torch.Tensor:
        """Logits ``(N, O)`` of the fitted module in eval mode, without gradients, for
        already scaled (:meth:`_scaled`) ``X (N, T, F)`` float32 and ``mask (N, T)``; on
        ``device``."""
        self.module_.eval()
        dev = torch.device(self.device)
        with torch_threads(self.threads), torch.no_grad():
            return self._logits_batched(torch.from_numpy(X).to(dev),
                                        torch.from_numpy(mask).to(dev))

    def predict(self, X: FeatureTable | np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Labels ``(N,)`` of the most probable class."""
        return self.classes_[self.predict_proba(X, mask).argmax(axis=1)]

    def units(self, table: FeatureTable) -> Units:
        """Every row is a unit, grouped by its seizure."""
        return Units(np.arange(len(table), dtype=np.int64), table.seizure_key(),
                     table.patient, table.label)

    def state(self) -> dict[str, Any]:
        """What a bundle stores: module weights (on the CPU) and the fitted vocabulary."""
        weights = {k: v.cpu() for k, v in self.module_.state_dict().items()}
        return {"state_dict": weights, "classes": self.classes_.tolist(),
                "n_features": self.n_features_in_, "loss": self.loss_,
                "class_weight": self.class_weight_.tolist(),
                "mean": self.mean_.tolist(), "scale": self.scale_.tolist()}

    def load_state(self, state: dict[str, Any]) -> Self:
        """Restore a fitted estimator from :meth:`state` (the constructor params must match)."""
        self.classes_ = np.asarray(state["classes"])
        self.n_features_in_ = int(state["n_features"])
        self.loss_ = state["loss"]
        self.class_weight_ = np.asarray(state["class_weight"])
        f = self.n_features_in_
        self.mean_ = np.asarray(state.get("mean", np.zeros(f)), np.float32)
        self.scale_ = np.asarray(state.get("scale", np.ones(f)), np.float32)
        self.module_ = self._build_module(self.n_features_in_,
                                          self._n_outputs(len(self.classes_)))
        self.module_.load_state_dict(state["state_dict"])
        self.module_.to(torch.device(self.device))
        self.module_.eval()
        return self
