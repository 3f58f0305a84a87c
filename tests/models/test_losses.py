from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ictal.models.losses import class_weights, default_loss, scaled_class_weights, weighted_loss


def test_class_weights_are_balanced_and_zero_for_absent_classes() -> None:
    w = class_weights(np.array([0, 0, 0, 1]), 3)
    assert w[0] == pytest.approx(4 / (2 * 3)) and w[1] == pytest.approx(4 / (2 * 1))
    assert w[2] == 0
    assert w[0] * 3 == pytest.approx(w[1] * 1)  # each present class weighs the same in total


def test_weighted_mse_on_a_sigmoid_unit() -> None:
    logits = torch.tensor([[0.0], [2.0]])
    y = torch.tensor([1, 0])
    w = torch.tensor([1.0, 3.0])
    p = torch.sigmoid(torch.tensor([0.0, 2.0]))
    expected = (3.0 * (p[0] - 1) ** 2 + 1.0 * p[1] ** 2) / 4.0  # weights are per class
    assert float(weighted_loss("mse", logits, y, w)) == pytest.approx(float(expected))


def test_cce_with_equal_weights_is_plain_cross_entropy() -> None:
    logits = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 2, 1, 0])
    ours = weighted_loss("cce", logits, y, torch.ones(3))
    assert float(ours) == pytest.approx(float(F.cross_entropy(logits, y)), rel=1e-6)
    heavier = weighted_loss("cce", logits, y, torch.tensor([1.0, 1.0, 10.0]))
    assert float(heavier) != pytest.approx(float(ours))


def test_default_loss_follows_seed000() -> None:
    assert default_loss(2, "auto") == "mse"
    assert default_loss(3, "auto") == "cce"
    assert default_loss(2, "bce") == "bce"


def test_scaled_class_weights_multiply_the_named_classes_only() -> None:
    y = np.array([0, 0, 0, 1, 2, 2])
    plain = class_weights(y, 3)
    scaled = scaled_class_weights(y, ["FLE", "NE", "TLE"], {"NE": 3.0, "GTCS": 9.0})
    assert scaled[1] == pytest.approx(3.0 * plain[1])
    assert scaled[[0, 2]] == pytest.approx(plain[[0, 2]])  # an unknown name changes nothing
    assert scaled_class_weights(y, ["FLE", "NE", "TLE"]) == pytest.approx(plain)
