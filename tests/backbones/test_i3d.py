"""I3D against the piergiaj/pytorch-i3d reference (tests/data/conformance, random weights)."""

from __future__ import annotations

import pytest
import torch
from numpy.testing import assert_allclose

from ictal.backbones.i3d import build_i3d, i3d_timesteps, same_padding


def test_state_dict_layout_and_parameter_count(manifest, manifest_info, state_layout,
                                               trainable) -> None:
    model = build_i3d()
    assert state_layout(model) == manifest("i3d")  # same keys, shapes and order
    info = manifest_info("i3d")
    assert trainable(model) == info["trainable_params"]
    model.logits = None
    assert trainable(model) == info["trainable_params_without_head"]


@pytest.mark.parametrize(("size", "kernel", "stride", "pads"), [
    (224, 7, 2, (2, 3)), (112, 3, 2, (0, 1)), (15, 2, 2, (0, 1)), (16, 2, 2, (0, 0)),
    (8, 3, 1, (1, 1)), (5, 3, 2, (1, 1)), (30, 1, 1, (0, 0)),
])
def test_same_padding_puts_the_extra_at_the_end(size, kernel, stride, pads) -> None:
    assert same_padding(size, kernel, stride) == pads
    out = -(-size // stride)  # TF SAME: ceil(size / stride) outputs
    assert (size + sum(pads) - kernel) // stride + 1 == out


def test_timesteps_formula() -> None:
    assert [i3d_timesteps(t) for t in (9, 10, 16, 17, 32, 33, 59, 60)] == [1, 1, 1, 2, 3, 4, 7, 7]


def _reference_model(random_state_dict, dtype=torch.float32):
    model = build_i3d().eval()
    model.load_state_dict(random_state_dict("i3d"))
    return model.to(dtype)


def test_x16_matches_the_reference_port(random_state_dict, reference_input, expected) -> None:
    exp = expected("i3d")
    model = _reference_model(random_state_dict)
    x = reference_input(1, 3, 16, 224, 224)
    with torch.no_grad():
        features = model.extract_features(x)
        logits = model(x)
    assert_allclose(features.numpy(), exp["x16_features"], rtol=0, atol=1e-5)
    assert_allclose(logits.numpy(), exp["x16_logits"], rtol=0, atol=1e-5)
    assert_allclose(logits.mean(2).numpy(), exp["x16_logits_mean"], rtol=0, atol=1e-5)


@pytest.mark.slow
def test_x60_matches_the_reference_port(random_state_dict, reference_input, expected) -> None:
    exp = expected("i3d")
    model = _reference_model(random_state_dict)
    x = reference_input(1, 3, 60, 224, 224)
    with torch.no_grad():
        features = model.extract_features(x)
        logits = model(x)
    assert features.shape == (1, 1024, 7, 1, 1)
    assert_allclose(features.numpy(), exp["x60_features"], rtol=0, atol=1e-5)
    assert_allclose(logits.numpy(), exp["x60_logits"], rtol=0, atol=1e-5)


@pytest.mark.slow
def test_x16_float64_matches_exactly(random_state_dict, reference_input, expected) -> None:
    exp = expected("i3d")
    model = _reference_model(random_state_dict, torch.float64)
    x = reference_input(1, 3, 16, 224, 224).double()
    with torch.no_grad():
        assert_allclose(model.extract_features(x).numpy(), exp["x16_features_fp64"],
                        rtol=0, atol=1e-10)
        assert_allclose(model(x).numpy(), exp["x16_logits_fp64"], rtol=0, atol=1e-10)


def test_short_clips_fail_like_the_port() -> None:
    model = build_i3d().eval()
    with torch.no_grad(), pytest.raises(RuntimeError):
        model.extract_features(torch.zeros(1, 3, 8, 224, 224))
    with torch.no_grad():
        assert torch.isfinite(model.extract_features(torch.zeros(1, 3, 9, 224, 224))).all()
