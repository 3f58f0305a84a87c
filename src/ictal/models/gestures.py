"""GESTURES (seed 002): snippet-level classifier and seizure-level TSN aggregation.

A *seizure* is one event seen from one view; its *snippets* are the feature rows of that event
and view ordered by time. A snippet's label follows Eq. 1 - the rule lives in
:func:`ictal.preprocess.temporal.gestures_label`, applied when the samples are cut, so the rows
arrive labelled - and the seizure label is TCS when the event has a ``tG`` (seed 002), read from
the events the feature store keeps (:meth:`~ictal.features.table.FeatureTable.seizure_truth`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import f1_score
from torch import nn

from ictal.errors import ConfigError
from ictal.features.table import FeatureTable
from ictal.models.base import TorchSequenceClassifier, Unit, Units, torch_threads
from ictal.models.config import ModelConfig, TrainConfig
from ictal.models.loop import EpochCallback, History, train_loop
from ictal.models.losses import probabilities, scaled_class_weights, weighted_loss

log = logging.getLogger(__name__)


def tsn_indices(n_snippets: int, n_segments: int, gamma: float | None,
                rng: np.random.Generator | None) -> np.ndarray:
    """Seed 002 §2.3: one snippet index per segment of ``n_snippets`` split into ``n_segments``.

    Segment ``j`` covers ``[j K / n, (j + 1) K / n)``; within it the position is drawn from
    ``Beta(gamma, gamma)`` when ``rng`` is given (training) and is the centre otherwise
    (evaluation, gamma -> infinity). Returns ``(n_segments,)`` int64 in ``[0, K)``; a seizure
    with fewer snippets than segments repeats snippets.
    """
    if n_snippets < 1:
        raise ValueError("a seizure needs at least one snippet")
    edges = np.arange(n_segments + 1) * (n_snippets / n_segments)
    if rng is None or gamma is None or not math.isfinite(gamma):
        u = np.full(n_segments, 0.5)
    else:
        u = rng.beta(gamma, gamma, size=n_segments)
    pos = edges[:-1] + u * (edges[1:] - edges[:-1])
    return np.clip(np.floor(pos).astype(np.int64), 0, n_snippets - 1)


def generalisation_ratios(events: dict[str, dict[str, Any]]) -> np.ndarray:
    """``r = (tG - t0) / (t1 - t0)`` of every event with a ``tG`` (seed 002 §2.2: 0.56 ± 0.18
    over its 77 TCS), from the ``{id: {t0, t1, tG}}`` a feature store keeps
    (``attrs["events"]``); ``(n_TCS,)`` float64."""
    r = [(e["tG"] - e["t0"]) / (e["t1"] - e["t0"]) for e in events.values()
         if e.get("tG") is not None and e["t1"] > e["t0"]]
    return np.asarray(r, dtype=np.float64)


def min_segments(r_max: float) -> int:
    """Seed 002 §3.2: the fewest TSN segments whose last segment lies wholly after ``tG`` (so
    a snippet after ``tG`` is sampled, whatever the draw) in every seizure whose generalisation
    ratio is at most ``r_max``: ``ceil(1 / (1 - r_max))`` (r_max 0.93 -> 15)."""
    if not 0 <= r_max < 1:
        raise ValueError(f"r_max must lie in [0, 1), got {r_max}")
    # a hair of tolerance: 1 / (1 - 0.75) must be 4, not 4.000000000000001
    return max(1, math.ceil(1.0 / (1.0 - r_max) - 1e-9))


def pooled_features(features: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over real timesteps: ``(N, T, F)`` + ``(N, T)`` -> ``(N, F)`` float32."""
    w = mask.astype(np.float32)[..., None]
    return ((features * w).sum(axis=1) / np.maximum(w.sum(axis=1), 1.0)).astype(np.float32)


@dataclass
class Seizures:
    """Snippet sequences of seizures (event x view), ordered by time.

    Attributes:
        sequences: list of ``(K_i, F)`` float32 snippet features (timesteps pooled).
        event, view, patient, recording: ``(M,)`` str.
        label: ``(M,)`` str seizure label (``positive`` when any snippet is positive).
        duration: ``(M,)`` float64 seconds covered by the snippets.
        rows: list of ``(K_i,)`` int64 row indices into the source table.
    """

    sequences: list[np.ndarray]
    event: np.ndarray
    view: np.ndarray
    patient: np.ndarray
    recording: np.ndarray
    label: np.ndarray
    duration: np.ndarray
    rows: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.sequences)


def seizure_sequences(table: FeatureTable, *, positive: str, negative: str) -> Seizures:
    """Group a table's rows into seizures (event, view) ordered by ``t_start``.

    Rows without an event are grouped by recording. The seizure label is seed 002's: TCS when
    the event has a ``tG`` (:meth:`FeatureTable.seizure_truth`, for Eq. 1 features whose store
    kept the events); without that record, ``positive`` when any of its rows is labelled
    ``positive``, else ``negative`` (a warning says so for Eq. 1 features).
    """
    pooled = pooled_features(table.features, table.mask)
    unit = table.seizure_key()
    truth = table.seizure_truth() or {}
    missing = sorted({u for u in unit.tolist() if u not in truth})
    if missing and (table.attrs.get("preprocess") or {}).get("temporal", {}).get(
            "label_rule") == "gestures":
        log.warning("%d seizure(s) (%s) without a stored tG: labelled %s when any snippet is; "
                    "extract the features again (a new store) to keep the events' times",
                    len(missing), ", ".join(missing[:3]), positive)
    keys: dict[tuple[str, str], list[int]] = {}
    for i, (u, v) in enumerate(zip(unit.tolist(), table.view.tolist(), strict=True)):
        keys.setdefault((u, v), []).append(i)
    seqs, rows, ev, vw, pat, rec, lab, dur = [], [], [], [], [], [], [], []
    for (u, v), idx in keys.items():
        index = np.asarray(idx, dtype=np.int64)
        index = index[np.argsort(table.t_start[index], kind="stable")]
        rows.append(index)
        seqs.append(pooled[index])
        ev.append(u)
        vw.append(v)
        pat.append(table.patient[index[0]])
        rec.append(table.recording[index[0]])
        if u in truth:
            lab.append(truth[u])
        else:
            lab.append(positive if np.any(table.label[index] == positive) else negative)
        dur.append(float(table.t_stop[index].max() - table.t_start[index].min()))
    return Seizures(seqs, np.asarray(ev, dtype=str), np.asarray(vw, dtype=str),
                    np.asarray(pat, dtype=str), np.asarray(rec, dtype=str),
                    np.asarray(lab, dtype=str), np.asarray(dur, dtype=np.float64), rows)


def consensus(probs: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multi-view consensus (seed 002): average the probabilities of each event's views.

    ``probs (M, C)``, ``event (M,)`` -> unique events ``(E,)`` and their mean ``(E, C)``.
    """
    events, inverse = np.unique(event, return_inverse=True)
    out = np.zeros((len(events), probs.shape[1]))
    np.add.at(out, inverse, probs)
    out /= np.bincount(inverse, minlength=len(events))[:, None]
    return events, out


class SnippetNet(nn.Module):
    """Linear classifier of one snippet's feature vector (timesteps mean-pooled)."""

    def __init__(self, n_features: int, n_outputs: int, dropout: float) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(n_features, n_outputs)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        w = mask.to(x.dtype).unsqueeze(-1)
        pooled = (x * w).sum(dim=1) / w.sum(dim=1).clamp_min(1.0)
        return self.fc(self.drop(pooled))


class SnippetClassifier(TorchSequenceClassifier):
    """GESTURES' snippet-level classifier (seed 002 §3.1): one FC layer, weighted BCE.

    The seed trains it for 400 epochs, lr 1e-3, batches of 1024 (preset ``gestures``); the
    TCS weight relative to FOS equals the FOS / TCS ratio, which balanced class weights give.
    """

    def __init__(self, *, dropout: float = 0.0, loss: str = "bce",
                 train: TrainConfig | None = None, seed: int = 0,
                 threads: int | None = 1, device: str = "cpu") -> None:
        super().__init__(loss=loss, train=train, seed=seed, threads=threads, device=device)
        self.dropout = dropout

    @classmethod
    def from_config(cls, config: ModelConfig, *, seed: int = 0, threads: int | None = 1,
                    device: str = "cpu") -> Self:
        """Architecture ``gestures-snippet``; ``loss: auto`` means the seed's weighted BCE."""
        return cls(dropout=config.dropout, loss="bce" if config.loss == "auto" else config.loss,
                   train=config.train, seed=seed, threads=threads, device=device)

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        return SnippetNet(n_features, n_outputs, self.dropout)


class SeizureNet(nn.Module):
    """Aggregates ``(B, n, F)`` segment features with mean, LSTM or BLSTM -> 1 logit (Eq. 3)."""

    def __init__(self, n_features: int, aggregation: str, units: int) -> None:
        super().__init__()
        self.aggregation = aggregation
        if aggregation == "mean":
            self.rnn = None
            width = n_features
        else:
            self.rnn = nn.LSTM(n_features, units, batch_first=True,
                               bidirectional=aggregation == "blstm")
            width = units * (2 if aggregation == "blstm" else 1)
        self.fc = nn.Linear(width, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.rnn is None:
            return self.fc(z.mean(dim=1))
        _, (h, _) = self.rnn(z)  # last hidden state of each direction
        return self.fc(torch.cat(list(h), dim=1))


class SeizureClassifier(ClassifierMixin, BaseEstimator):
    """GESTURES' seizure-level model (seed 002 §2.3, §3.2): TSN sampling + aggregation.

    Implements :class:`~ictal.models.base.Estimator` with ``unit = "seizure"``: ``fit`` on a
    table trains on its seizures (:func:`seizure_sequences`, labelled ``positive_label`` - by
    default the last class - when they generalise), and ``predict_proba`` of a table gives one
    row per event, the mean over its views (multi-view consensus, :func:`consensus`). ``fit``
    and ``predict_proba`` also take the seizures directly: a list of ``(K_i, F)``
    snippet-feature arrays (and their labels), one probability row per array.

    Each training step samples ``n_segments`` snippets per seizure with
    Beta(``gamma``, ``gamma``); evaluation uses the centre snippet of each segment. Weighted
    BCE (TCS weight = FOS / TCS ratio), AdamW (preset ``gestures-seizure``).
    ``aggregation_units`` is the width of the (B)LSTM aggregating the segments.
    """

    unit: ClassVar[Unit] = "seizure"

    def __init__(self, *, n_segments: int = 16, gamma: float = 2.0, aggregation: str = "blstm",
                 aggregation_units: int = 64, positive_label: str | None = None,
                 train: TrainConfig | None = None, seed: int = 0,
                 threads: int | None = 1, device: str = "cpu") -> None:
        self.n_segments = n_segments
        self.gamma = gamma
        self.aggregation = aggregation
        self.aggregation_units = aggregation_units
        self.positive_label = positive_label
        self.train = train
        self.seed = seed
        self.threads = threads
        self.device = device

    @classmethod
    def from_config(cls, config: ModelConfig, *, seed: int = 0, threads: int | None = 1,
                    device: str = "cpu") -> Self:
        """Architecture ``gestures-seizure``."""
        return cls(n_segments=config.n_segments, gamma=config.gamma,
                   aggregation=config.aggregation, aggregation_units=config.aggregation_units,
                   positive_label=config.positive_label, train=config.train, seed=seed,
                   threads=threads, device=device)

    def _label_names(self, classes: Sequence[str]) -> tuple[str, str]:
        """``(positive, negative)``: a seizure is positive when any of its rows is."""
        names = [str(c) for c in classes]
        positive = self.positive_label or names[-1]
        if positive not in names or len(names) != 2:
            raise ConfigError(f"the seizure-level model needs two classes with {positive!r} "
                              f"among them, got {names}",
                              hint="set positive_label in the model config")
        negative = next(c for c in names if c != positive)
        return positive, negative

    def _seizures(self, table: FeatureTable) -> Seizures:
        positive, negative = self._label_names(self.classes_.tolist())
        return seizure_sequences(table, positive=positive, negative=negative)

    def _stack(self, sequences: list[np.ndarray], rng: np.random.Generator | None) -> torch.Tensor:
        """``(B, n_segments, F)`` on the model's device: TSN-sampled snippets per seizure."""
        picked = [s[tsn_indices(len(s), self.n_segments, self.gamma, rng)] for s in sequences]
        return torch.from_numpy(np.stack(picked).astype(np.float32)).to(self.device)

    def fit(self, X: FeatureTable | list[np.ndarray], y: np.ndarray | None = None, *,
            validation: FeatureTable | tuple[list[np.ndarray], np.ndarray] | None = None,
            classes: Sequence[str] | np.ndarray | None = None,
            on_epoch: EpochCallback | None = None) -> Self:
        """Train on the seizures of a table, or on ``sequences`` with labels ``y``;
        ``validation`` (a table, or ``(sequences, labels)``) selects the epoch kept."""
        if isinstance(X, FeatureTable):
            names = sorted(set(X.label.tolist())) if classes is None else list(classes)
            positive, negative = self._label_names(names)
            seizures = seizure_sequences(X, positive=positive, negative=negative)
            X, y, classes = seizures.sequences, seizures.label, np.asarray(names)
            if isinstance(validation, FeatureTable):
                held = seizure_sequences(validation, positive=positive, negative=negative)
                validation = (held.sequences, held.label)
        if y is None or isinstance(validation, FeatureTable):
            raise ValueError("fit takes a FeatureTable, or seizure sequences with labels y "
                             "and a (sequences, labels) validation")
        sequences = X
        cfg = self.train or TrainConfig(select_on="loss")
        y = np.asarray(y)
        self.classes_ = np.asarray(sorted(set(y.tolist()))) if classes is None else np.asarray(
            classes)
        if len(self.classes_) != 2:
            raise ValueError(f"the seizure-level model is binary, got {self.classes_.tolist()}")
        y_idx = np.searchsorted(self.classes_, y)
        self.n_features_in_ = int(sequences[0].shape[1])
        self.class_weight_ = scaled_class_weights(y_idx, self.classes_.tolist(),
                                                  cfg.class_scale)
        torch.manual_seed(self.seed)
        gen = torch.Generator().manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        dev = torch.device(self.device)
        with torch_threads(self.threads):
            self.module_ = SeizureNet(self.n_features_in_, self.aggregation,
                                      self.aggregation_units).to(dev)
            yt = torch.from_numpy(y_idx.astype(np.int64)).to(dev)
            wt = torch.as_tensor(self.class_weight_, dtype=torch.float32, device=dev)

            def step_loss(index: torch.Tensor) -> torch.Tensor:
                z = self._stack([sequences[i] for i in index.tolist()], rng)
                return weighted_loss("bce", self.module_(z), yt[index.to(dev)], wt)

            validate = None
            if validation is not None:
                zv = self._stack(validation[0], None)
                yv_idx = np.searchsorted(self.classes_, np.asarray(validation[1]))
                yv = torch.from_numpy(yv_idx.astype(np.int64)).to(dev)

                def validate() -> tuple[float, float]:
                    logits = self.module_(zv)
                    pred = probabilities(logits).argmax(dim=1).cpu().numpy()
                    return (float(weighted_loss("bce", logits, yv, wt)),
                            float(f1_score(yv_idx, pred, average="macro", zero_division=0)))

            self.history_: History = train_loop(
                self.module_, cfg, n_train=len(sequences), step_loss=step_loss,
                validate=validate, generator=gen, on_epoch=on_epoch)
        return self

    def predict_proba(self, X: FeatureTable | list[np.ndarray]) -> np.ndarray:
        """``(E, 2)`` float64 per event of a table (views averaged, events in sorted order,
        as :meth:`units`), or ``(M, 2)`` per sequence of a list; each from the centre
        snippet of every segment."""
        if isinstance(X, FeatureTable):
            seizures = self._seizures(X)
            _, mean = consensus(self._sequence_proba(seizures.sequences), seizures.event)
            return mean
        return self._sequence_proba(X)

    def _sequence_proba(self, sequences: list[np.ndarray]) -> np.ndarray:
        if not sequences:
            return np.zeros((0, 2))
        self.module_.eval()
        with torch_threads(self.threads), torch.no_grad():
            logits = self.module_(self._stack(sequences, None))
            return probabilities(logits).double().cpu().numpy()

    def predict(self, X: FeatureTable | list[np.ndarray]) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def units(self, table: FeatureTable) -> Units:
        """One unit per event (its views pooled), in sorted order; its label, patient and
        row are those of its first seizure (view)."""
        seizures = self._seizures(table)
        events, first = np.unique(seizures.event, return_index=True)
        rows = np.asarray([seizures.rows[i][0] for i in first.tolist()], dtype=np.int64)
        return Units(rows, events, seizures.patient[first], seizures.label[first])

    def state(self) -> dict[str, Any]:
        return {"state_dict": {k: v.cpu() for k, v in self.module_.state_dict().items()},
                "classes": self.classes_.tolist(), "n_features": self.n_features_in_,
                "class_weight": self.class_weight_.tolist()}

    def load_state(self, state: dict[str, Any]) -> Self:
        self.classes_ = np.asarray(state["classes"])
        self.n_features_in_ = int(state["n_features"])
        self.class_weight_ = np.asarray(state["class_weight"])
        self.module_ = SeizureNet(self.n_features_in_, self.aggregation, self.aggregation_units)
        self.module_.load_state_dict(state["state_dict"])
        self.module_.to(torch.device(self.device)).eval()
        return self
