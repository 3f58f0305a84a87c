from __future__ import annotations

import math

import numpy as np
import pytest

from ictal.evaluation.metrics import classification_metrics, pool_by_group, summarize_folds


def test_binary_metrics_from_a_known_confusion_matrix() -> None:
    y = np.array([0, 0, 0, 0, 1, 1])
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.4, 0.6], [0.3, 0.7], [0.6, 0.4]])
    m = classification_metrics(y, proba, ["FLE", "TLE"])
    assert m["confusion"] == [[3, 1], [1, 1]]
    assert m["per_class"]["FLE"]["sensitivity"] == pytest.approx(0.75)
    assert m["per_class"]["FLE"]["specificity"] == pytest.approx(0.5)
    assert m["per_class"]["TLE"]["sensitivity"] == pytest.approx(0.5)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["f1_macro"] == pytest.approx((0.75 + 0.5) / 2)
    assert m["roc_auc"] == pytest.approx(0.875)  # 7 of 8 positive-negative pairs ordered


def test_three_class_auc_and_missing_class() -> None:
    y = np.array([0, 1, 2, 2])
    proba = np.eye(3)[y] * 0.8 + 0.2 / 3
    m = classification_metrics(y, proba, ["A", "B", "C"])
    assert m["roc_auc"] == pytest.approx(1.0) and m["pr_auc"] == pytest.approx(1.0)
    m2 = classification_metrics(np.array([0, 0]), np.array([[0.6, 0.4], [0.3, 0.7]]),
                                ["A", "B"])
    assert math.isnan(m2["roc_auc"]) and math.isnan(m2["per_class"]["B"]["sensitivity"])


def test_summary_is_mean_and_std_over_folds() -> None:
    s = summarize_folds([{"f1_macro": 0.5, "per_class": {"A": {"sensitivity": 1.0}}},
                         {"f1_macro": 0.7, "per_class": {"A": {"sensitivity": float("nan")}}}])
    assert s["f1_macro"]["mean"] == pytest.approx(0.6)
    assert s["f1_macro"]["std"] == pytest.approx(0.1)
    assert s["per_class.A.sensitivity"] == {"mean": 1.0, "std": 0.0, "n": 1}


def test_seizure_level_pools_mean_probability() -> None:
    groups, y, p = pool_by_group(np.array([1, 1, 0]), np.array([[0.2, 0.8], [0.6, 0.4],
                                                                [0.9, 0.1]]),
                                 np.array(["E2", "E2", "E1"]))
    assert groups.tolist() == ["E1", "E2"] and y.tolist() == [0, 1]
    assert np.allclose(p, [[0.9, 0.1], [0.4, 0.6]])


def test_seizure_label_is_the_latest_sample_label_when_times_are_given() -> None:
    # a tonic-clonic seizure labelled by Eq. 1: FOS (0) before t_G, TCS (1) after
    y = np.array([0, 0, 0, 1])
    proba = np.tile([0.5, 0.5], (4, 1))
    _, y_major, _ = pool_by_group(y, proba, np.array(["E"] * 4))
    _, y_latest, _ = pool_by_group(y, proba, np.array(["E"] * 4),
                                   time=np.array([0.0, 1.0, 2.0, 3.0]))
    assert y_major.tolist() == [0] and y_latest.tolist() == [1]
