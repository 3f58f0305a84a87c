"""The model-randomisation check (Adebayo et al. 2018) tells maps of the model from maps of
the input."""

from __future__ import annotations

import numpy as np
import pytest

from ictal.explain.attribute import attribute, motion_energy
from ictal.explain.sanity import randomisation_check, rank_correlation


def test_occlusion_maps_change_when_the_classifier_is_randomised(motion_trained) -> None:
    tr = motion_trained
    clip = tr.clips[0]
    result = randomisation_check(
        tr.chain, lambda c: attribute(c, clip, 0, method="occlusion", block=(10, 16)))
    assert set(result.spearman) == {"classifier"}  # the motion backbone has no weights
    assert result.passed, result.spearman
    assert tr.chain.head.estimator is tr.estimator  # the trained model was not touched


def test_gradient_maps_change_with_classifier_and_backbone(network_trained) -> None:
    tr = network_trained
    clip = tr.clips[0]
    result = randomisation_check(tr.chain, lambda c: attribute(c, clip, 0, method="ig", steps=8))
    assert set(result.spearman) == {"classifier", "classifier+backbone"}
    assert result.passed, result.spearman


def test_a_map_that_ignores_the_model_fails_the_check(motion_trained) -> None:
    """Motion energy is the same whatever the weights: the check must catch it."""
    clip = motion_trained.clips[0]
    result = randomisation_check(motion_trained.chain, lambda c: motion_energy(clip))
    assert not result.passed and result.spearman["classifier"] == 1.0


def test_rank_correlation() -> None:
    a = np.arange(10.0)
    assert rank_correlation(a, a ** 3) == pytest.approx(1.0)
    assert rank_correlation(a, -a) == pytest.approx(-1.0)
    assert rank_correlation(np.zeros(4), np.zeros(4)) == 1.0
    assert rank_correlation(np.zeros(4), a[:4]) == 0.0
