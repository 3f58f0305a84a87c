"""3D ResNets against torchvision / ig65m-pytorch (tests/data/conformance, random weights)."""

from __future__ import annotations

import pytest
import torch
from numpy.testing import assert_allclose

from ictal.backbones.video_resnet import BUILDERS, r2plus1d_34


@pytest.mark.parametrize("name", ["r2plus1d_18", "r2plus1d_34", "r3d_18", "mc3_18"])
def test_layout_loads_the_reference_state_dict_strictly(name, manifest, manifest_info,
                                                         random_state_dict, state_layout,
                                                         trainable) -> None:
    model = BUILDERS[name]()
    assert state_layout(model) == manifest(name)
    model.load_state_dict(random_state_dict(name), strict=True)
    info = manifest_info(name)
    assert trainable(model) == info["trainable_params"]
    model.fc = torch.nn.Identity()
    assert trainable(model) == info["trainable_params_without_head"]


def test_r2plus1d_34_has_the_caffe2_mid_channels_and_eps() -> None:
    model = r2plus1d_34()
    mids = [(model.get_submodule(f"layer{i}.0.conv1.0.0").out_channels,
             model.get_submodule(f"layer{i}.0.conv2.0.0").out_channels) for i in (2, 3, 4)]
    assert mids == [(230, 288), (460, 576), (921, 1152)]
    assert {m.eps for m in model.modules() if isinstance(m, torch.nn.BatchNorm3d)} == {1e-3}
    for heads in (487, 359):  # the IG-65M heads
        assert r2plus1d_34(heads).fc.out_features == heads


def _check(name, clip, random_state_dict, reference_input, expected, dtype=torch.float32,
           atol=1e-5):
    exp = expected(name)
    model = BUILDERS[name]().eval()
    model.load_state_dict(random_state_dict(name))
    model = model.to(dtype)
    x = reference_input(1, 3, clip, 112, 112).to(dtype)
    suffix = "_fp64" if dtype == torch.float64 else ""
    with torch.no_grad():
        assert_allclose(model.extract_features(x).numpy(), exp[f"x{clip}_features{suffix}"],
                        rtol=0, atol=atol)
        assert_allclose(model(x).numpy(), exp[f"x{clip}_logits{suffix}"], rtol=0, atol=atol)


@pytest.mark.parametrize("name", ["r2plus1d_18", "r2plus1d_34"])
def test_x8_matches_the_reference(name, random_state_dict, reference_input, expected) -> None:
    _check(name, 8, random_state_dict, reference_input, expected)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["r2plus1d_18", "r2plus1d_34"])
def test_x32_and_float64_match_the_reference(name, random_state_dict, reference_input,
                                             expected) -> None:
    _check(name, 32, random_state_dict, reference_input, expected)
    _check(name, 8, random_state_dict, reference_input, expected, torch.float64, 1e-10)
