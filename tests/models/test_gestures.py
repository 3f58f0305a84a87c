from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from ictal.features.table import FeatureTable
from ictal.models.config import TrainConfig
from ictal.models.gestures import (
    SeizureClassifier,
    SnippetClassifier,
    consensus,
    seizure_sequences,
    tsn_indices,
)
from ictal.preprocess.temporal import gestures_label
from ictal.timebase import FrameSpan


def snippet_labels(t_start: np.ndarray, t_g: float | None) -> np.ndarray:
    """Eq. 1 (:func:`gestures_label`, the one rule) for 1 s snippets at 1 fps starting at
    whole seconds ``t_start``."""
    return np.asarray([gestures_label(FrameSpan(int(t), int(t) + 1, Fraction(1)), t_g)
                       for t in t_start], dtype=np.int64)


def test_snippet_label_rule_eq1_uses_the_midpoint() -> None:
    t0 = np.array([0.0, 1.0, 2.0, 3.0])
    # midpoints 0.5, 1.5, 2.5, 3.5; t_G = 2.5 -> label 1 from the third snippet on
    assert snippet_labels(t0, 2.5).tolist() == [0, 0, 1, 1]
    assert snippet_labels(t0, 2.6).tolist() == [0, 0, 0, 1]
    assert snippet_labels(t0, None).tolist() == [0, 0, 0, 0]


def test_tsn_centre_and_beta_sampling_stay_in_their_segments() -> None:
    assert tsn_indices(16, 4, 2.0, None).tolist() == [2, 6, 10, 14]
    rng = np.random.default_rng(0)
    for _ in range(50):
        idx = tsn_indices(100, 8, 1.25, rng)
        lo, hi = np.arange(8) * 12.5, (np.arange(8) + 1) * 12.5
        assert np.all(idx[1:] >= idx[:-1])
        assert np.all((idx >= np.floor(lo)) & (idx < hi))
    # large gamma concentrates on the centre
    draws = np.stack([tsn_indices(1000, 2, 200.0, rng) for _ in range(100)])
    assert np.abs(draws[:, 0] - 250).max() < 60
    # a seizure shorter than the number of segments repeats snippets
    assert tsn_indices(3, 8, 2.0, None).tolist() == [0, 0, 0, 1, 1, 2, 2, 2]


def _seizure_table(n_events: int = 24, seed: int = 0) -> FeatureTable:
    """Events alternate FOS / TCS; TCS snippets after t_G carry a signal on feature 0;
    each event is seen from two views."""
    rng = np.random.default_rng(seed)
    rows = []
    for e in range(n_events):
        tcs = e % 2 == 1
        k = int(rng.integers(8, 20))
        t_g = k * 0.6 if tcs else None
        t0 = np.arange(k) * 1.0
        lab = snippet_labels(t0, t_g)
        for view in ("a", "b"):
            for i in range(k):
                x = rng.normal(size=(1, 4))
                x[0, 0] += 3.0 * lab[i]
                rows.append((f"P{e % 6}", f"E{e:02d}", view, "TCS" if lab[i] else "FOS",
                             t0[i], x))
    n = len(rows)
    t = np.asarray([r[4] for r in rows])
    return FeatureTable(
        features=np.stack([r[5] for r in rows]).astype(np.float32), mask=np.ones((n, 1), bool),
        patient=np.asarray([r[0] for r in rows]), recording=np.asarray([r[1] for r in rows]),
        event=np.asarray([r[1] for r in rows]), label=np.asarray([r[3] for r in rows]),
        view=np.asarray([r[2] for r in rows]), start_frame=(t * 15).astype(np.int64),
        stop_frame=(t * 15 + 15).astype(np.int64), fps=np.full(n, 15.0), t_start=t,
        t_stop=t + 1.0)


def test_seizure_sequences_group_by_event_and_view_in_time_order() -> None:
    table = _seizure_table(4)
    order = np.random.default_rng(1).permutation(len(table))
    shuffled = table.subset(order)
    sz = seizure_sequences(shuffled, positive="TCS", negative="FOS")
    assert len(sz) == 8  # 4 events x 2 views
    for rows, ev, view in zip(sz.rows, sz.event, sz.view, strict=True):
        assert np.all(np.diff(shuffled.t_start[rows]) > 0)
        assert set(shuffled.event[rows]) == {ev} and set(shuffled.view[rows]) == {view}
    assert sorted(set(zip(sz.event.tolist(), sz.label.tolist(), strict=True))) == [
        ("E00", "FOS"), ("E01", "TCS"), ("E02", "FOS"), ("E03", "TCS")]


def test_consensus_averages_the_views_of_an_event() -> None:
    events, mean = consensus(np.array([[0.2, 0.8], [0.6, 0.4], [1.0, 0.0]]),
                             np.array(["E1", "E1", "E2"]))
    assert events.tolist() == ["E1", "E2"]
    assert np.allclose(mean, [[0.4, 0.6], [1.0, 0.0]])


@pytest.mark.parametrize("aggregation", ["mean", "blstm"])
def test_seizure_classifier_learns_generalisation(aggregation: str) -> None:
    table = _seizure_table(24)
    sz = seizure_sequences(table, positive="TCS", negative="FOS")
    est = SeizureClassifier(n_segments=4, gamma=2.0, aggregation=aggregation,
                            aggregation_units=8,
                            train=TrainConfig(epochs=80, batch_size=16, lr=1e-2,
                                              optimizer="adamw", select_on="loss"))
    est.fit(sz.sequences[:32], sz.label[:32], validation=(sz.sequences[32:], sz.label[32:]))
    acc = (est.predict(sz.sequences) == sz.label).mean()
    assert acc > 0.85
    assert est.history_.best_epoch == int(np.argmin(est.history_.val_loss))


def test_snippet_classifier_uses_weighted_bce_and_learns() -> None:
    table = _seizure_table(10)
    est = SnippetClassifier(train=TrainConfig(epochs=60, batch_size=1024, lr=1e-2)).fit(
        table.features, table.label, mask=table.mask)
    assert est.loss_ == "bce"
    n_fos, n_tcs = (table.label == "FOS").sum(), (table.label == "TCS").sum()
    w = est.class_weight_
    assert w[1] / w[0] == pytest.approx(n_fos / n_tcs)  # TCS weight = FOS / TCS ratio
    assert (est.predict(table.features, table.mask) == table.label).mean() > 0.85
