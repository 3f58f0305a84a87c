from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from ictal.errors import ConfigError, LeakageError
from ictal.evaluation.splits import (
    check_no_leak,
    fold_sizes,
    inner_split,
    is_leaky,
    make_splits,
)
from ictal.features.table import FeatureTable


def test_grouped_kfold_never_shares_a_patient_and_stratifies_patients(
        make_table: Callable[..., FeatureTable]) -> None:
    # 20 FLE-like + 10 TLE-like patients: the deal gives each fold 4 + 2
    t = make_table(patients=30, classes=("FLE", "FLE", "TLE"), events=1, samples=2)
    splits = make_splits(t, "grouped-kfold", k=5, seed=3)
    seen = []
    for train, test in splits:
        assert not set(t.patient[train]) & set(t.patient[test])
        assert len(train) + len(test) == len(t)
        sizes = fold_sizes(t, test, ["FLE", "TLE"])
        assert sizes["patients"] == {"FLE": 4, "TLE": 2}
        assert sizes["seizures"] == {"FLE": 4, "TLE": 2}  # one event per patient
        seen += sorted(set(t.patient[test]))
    assert sorted(seen) == sorted(set(t.patient))  # each patient tested exactly once


def test_loso_leaves_out_one_patient_per_fold(make_table: Callable[..., FeatureTable]) -> None:
    t = make_table(patients=4)
    splits = make_splits(t, "loso")
    assert len(splits) == 4
    assert all(len(set(t.patient[test])) == 1 for _, test in splits)


def test_leaky_kfold_puts_patients_on_both_sides_and_is_labelled(
        make_table: Callable[..., FeatureTable]) -> None:
    t = make_table(patients=4, samples=10)
    splits = make_splits(t, "leaky-kfold", k=5)
    assert is_leaky("leaky-kfold") and not is_leaky("grouped-kfold")
    with pytest.raises(LeakageError, match="on both sides"):
        check_no_leak(splits, t.patient)


def test_gestures_folds_keep_the_views_of_a_video_together_and_balance_duration(
        make_table: Callable[..., FeatureTable]) -> None:
    t = make_table(patients=20, events=2, samples=3)
    # every event seen from two views: duplicate the rows with view b
    both = FeatureTable.concat([t, t.subset(np.arange(len(t)))])
    both.view[: len(t)] = "a"
    both.view[len(t):] = "b"
    both.t_stop[::7] += 30.0  # some long videos
    splits = make_splits(both, "gestures-10fold", k=10)
    durations = []
    for train, test in splits:
        assert not set(both.event[train]) & set(both.event[test])
        assert len(set(both.label[test])) == 2  # class ratio kept per fold
        durations.append(float((both.t_stop[test] - both.t_start[test]).sum()))
    assert max(durations) - min(durations) < 0.5 * np.mean(durations)


def test_inner_split_is_grouped_and_errors_are_specific(
        make_table: Callable[..., FeatureTable]) -> None:
    t = make_table(patients=10)
    rows = np.arange(len(t))
    fit, val = inner_split(t, rows, seed=1)
    assert len(val) and not set(t.patient[fit]) & set(t.patient[val])
    with pytest.raises(ConfigError, match="at least 5 patients"):
        make_splits(make_table(patients=3), "grouped-kfold", k=5)
    with pytest.raises(ConfigError, match="unknown protocol"):
        make_splits(t, "random")


def test_gestures_protocol_defaults_to_ten_folds_and_stratifies_by_tg(
        make_table: Callable[..., FeatureTable]) -> None:
    from ictal.evaluation.splits import default_k

    t = make_table(patients=20, events=1, samples=3, classes=("FOS", "TCS"))
    assert default_k("gestures-10fold") == 10 and default_k("grouped-kfold") == 5
    assert len(make_splits(t, "gestures-10fold")) == 10
    assert len(make_splits(make_table(patients=10), "grouped-kfold")) == 5
    # Eq. 1 labels: every snippet of the TCS is FOS, but its tG makes it a TCS: each of two
    # folds holds one of the two TCS
    t.label[:] = "FOS"
    events = sorted(set(t.event.tolist()))
    t.attrs["preprocess"] = {"temporal": {"label_rule": "gestures"}}
    t.attrs["events"] = {e: {"t0": 0.0, "t1": 6.0, "tG": 5.9 if e in events[:2] else None}
                         for e in events}
    splits = make_splits(t, "gestures-10fold", k=2)
    assert [len({e for e in t.event[test] if e in events[:2]}) for _, test in splits] == [1, 1]
