"""Batch-norm folding keeps the numbers of every backbone family."""

from __future__ import annotations

import copy

import pytest
import torch
from numpy.testing import assert_allclose
from torch import nn

from ictal.backbones.fusion import fold_batchnorm, fold_conv_bn
from ictal.backbones.i3d import InceptionModule
from ictal.backbones.resnet2d import resnet34
from ictal.backbones.video_resnet import mc3_18, r2plus1d_18


def _randomise_bn(model: nn.Module, seed: int) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d | nn.BatchNorm3d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)
    return model.eval()


def test_fold_conv_bn_is_exact_up_to_rounding() -> None:
    torch.manual_seed(0)
    conv = nn.Conv3d(3, 5, 3, padding=1, bias=True)
    bn = _randomise_bn(nn.BatchNorm3d(5, eps=1e-3), 1)
    x = torch.randn(2, 3, 4, 6, 6)
    with torch.no_grad():
        ref = bn(conv(x))
        fold_conv_bn(conv, bn)
        assert_allclose(conv(x).numpy(), ref.numpy(), rtol=0, atol=1e-5)


@pytest.mark.parametrize(("build", "shape", "pairs"), [
    (lambda: InceptionModule(16, (4, 4, 8, 2, 4, 4)), (1, 16, 4, 8, 8), 6),
    (lambda: r2plus1d_18().layer2, (1, 64, 4, 8, 8), 2 * 4 + 1),
    (lambda: mc3_18().layer3, (1, 128, 2, 8, 8), 2 * 2 + 1),
    (lambda: resnet34(), (1, 3, 64, 64), 36),
])
def test_fold_batchnorm_keeps_outputs(build, shape, pairs) -> None:
    torch.manual_seed(0)
    model = _randomise_bn(build(), 2)
    fused = copy.deepcopy(model)
    x = torch.randn(*shape)
    assert fold_batchnorm(fused) == pairs
    assert not any(isinstance(m, nn.BatchNorm2d | nn.BatchNorm3d) for m in fused.modules())
    with torch.no_grad():
        assert_allclose(fused(x).numpy(), model(x).numpy(), rtol=0, atol=1e-4)


def test_training_models_are_refused() -> None:
    with pytest.raises(ValueError, match="eval"):
        fold_batchnorm(nn.Sequential(nn.Conv2d(1, 1, 1), nn.BatchNorm2d(1)))
