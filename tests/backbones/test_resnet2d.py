"""2D ResNets against torchvision (tests/data/conformance, random weights)."""

from __future__ import annotations

import pytest
import torch
from numpy.testing import assert_allclose

from ictal.backbones.resnet2d import BUILDERS


@pytest.mark.parametrize("name", ["resnet34", "wide_resnet50_2"])
def test_layout_and_outputs_match_torchvision(name, manifest, manifest_info, random_state_dict,
                                              reference_input, expected, state_layout,
                                              trainable) -> None:
    model = BUILDERS[name]().eval()
    assert state_layout(model) == manifest(name)
    info = manifest_info(name)
    assert trainable(model) == info["trainable_params"]
    model.load_state_dict(random_state_dict(name), strict=True)
    exp = expected("resnet2d")
    x = reference_input(2, 3, 224, 224)
    with torch.no_grad():
        features = model.extract_features(x)
        logits = model(x)
    assert_allclose(features.numpy(), exp[f"{name}_x2d_features"], rtol=0, atol=1e-4)
    assert_allclose(logits.numpy(), exp[f"{name}_x2d_logits"], rtol=0, atol=1e-4)
    model.fc = torch.nn.Identity()
    assert trainable(model) == info["trainable_params_without_head"]
