"""Inference-only rewrites that keep the numbers: batch norm folded into convolutions.

Folding ``BN(conv(x))`` into one convolution with bias removes a full pass over every
activation tensor; in float32 the result differs from the unfolded network by rounding only
(about 1e-6 on the conformance data, well inside its 1e-5 tolerance).
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from ictal.backbones import resnet2d
from ictal.backbones.i3d import Unit3D

log = logging.getLogger(__name__)

_Conv = nn.Conv2d | nn.Conv3d
_BN = nn.BatchNorm2d | nn.BatchNorm3d


@torch.no_grad()
def fold_conv_bn(conv: _Conv, bn: _BN) -> None:
    """Fold an eval-mode BatchNorm that follows ``conv`` into ``conv``'s weight and bias.

    ``BN(W * x + b) = (gamma / sigma) W * x + (beta + gamma (b - mu) / sigma)``, with
    ``sigma = sqrt(running_var + eps)``; ``conv`` is changed in place and gains a bias.
    """
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("cannot fold a BatchNorm without running statistics")
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    conv.weight.mul_(scale.reshape(-1, *([1] * (conv.weight.dim() - 1))))
    new_bias = bn.bias + (bias - bn.running_mean) * scale
    conv.bias = nn.Parameter(new_bias.detach().clone())


def _last_conv(module: nn.Module) -> _Conv | None:
    """``module`` itself when it is a conv, or the last child of a Sequential ending in one."""
    if isinstance(module, nn.Conv2d | nn.Conv3d):
        return module
    if isinstance(module, nn.Sequential) and len(module):
        return _last_conv(module[-1])
    return None


def fold_batchnorm(model: nn.Module) -> int:
    """Fold every conv -> BN pair of an ictal backbone in place; returns how many were folded.

    Knows the pairs of :class:`~ictal.backbones.i3d.Unit3D`, of ``nn.Sequential`` chains
    (torchvision-layout 3D ResNets) and of the 2D ResNet blocks. The model must be in eval mode.
    """
    if model.training:
        raise ValueError("fold_batchnorm needs an eval-mode model")
    folded = 0
    for module in list(model.modules()):
        if isinstance(module, Unit3D) and module.bn is not None:
            fold_conv_bn(module.conv3d, module.bn)
            module.bn = None
            folded += 1
        elif isinstance(module, nn.Sequential):
            children = list(module)
            for i in range(1, len(children)):
                conv = _last_conv(children[i - 1])
                if conv is not None and isinstance(children[i], _BN):
                    fold_conv_bn(conv, children[i])
                    module[i] = nn.Identity()
                    folded += 1
        elif isinstance(module, resnet2d.BasicBlock | resnet2d.Bottleneck | resnet2d.ResNet):
            for conv_name, bn_name in (("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3")):
                bn = getattr(module, bn_name, None)
                if isinstance(bn, _BN):
                    fold_conv_bn(getattr(module, conv_name), bn)
                    setattr(module, bn_name, nn.Identity())
                    folded += 1
    log.info("folded %d batch-norm layers into their convolutions", folded)
    return folded
