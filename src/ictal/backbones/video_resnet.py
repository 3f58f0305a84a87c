"""3D ResNets with torchvision's ``VideoResNet`` state-dict layout.

``r2plus1d_18``, ``r3d_18`` and ``mc3_18`` reproduce ``torchvision.models.video`` (0.28,
``models/video/resnet.py``), so torchvision's Kinetics-400 checkpoints load strictly;
``r2plus1d_34`` reproduces moabitcoin/ig65m-pytorch (commit fc749e2): the same VideoResNet with
layers ``[3, 4, 6, 3]`` plus the Caffe2 fixes (``layer{2,3,4}[0].conv2[0]`` with 288 / 576 /
1152 mid-channels, every BatchNorm eps 1e-3), the architecture of the IG-65M 8- and 32-frame
checkpoints used by GESTURES (seed 002, Table 1: 512 features).

Input ``(N, 3, T, H, W)`` ``float32`` (112 x 112, Kinetics mean / std normalisation); the
features are the global average pool ``(N, 512)`` (the ``fc`` input).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

FEATURES = 512


def _midplanes(inplanes: int, planes: int) -> int:
    """Mid-channels of a (2+1)D conv with as many parameters as a full 3x3x3 conv."""
    return (inplanes * planes * 3 * 3 * 3) // (inplanes * 3 * 3 + 3 * planes)


class Conv2Plus1D(nn.Sequential):
    """Spatial (1,3,3) conv -> BN(mid) -> ReLU -> temporal (3,1,1) conv (keys .0/.1/.3)."""

    def __init__(self, inplanes: int, planes: int, midplanes: int, stride: int = 1,
                 *, bn_eps: float = 1e-5) -> None:
        super().__init__(
            nn.Conv3d(inplanes, midplanes, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=False),
            nn.BatchNorm3d(midplanes, eps=bn_eps),
            nn.ReLU(inplace=True),
            nn.Conv3d(midplanes, planes, (3, 1, 1), (stride, 1, 1), (1, 0, 0), bias=False),
        )

    @staticmethod
    def downsample_stride(stride: int) -> tuple[int, int, int]:
        return (stride, stride, stride)


class Conv3DSimple(nn.Conv3d):
    """Full 3x3x3 convolution (R3D)."""

    def __init__(self, inplanes: int, planes: int, midplanes: int | None = None,
                 stride: int = 1, *, bn_eps: float = 1e-5) -> None:
        super().__init__(inplanes, planes, (3, 3, 3), stride, 1, bias=False)

    @staticmethod
    def downsample_stride(stride: int) -> tuple[int, int, int]:
        return (stride, stride, stride)


class Conv3DNoTemporal(nn.Conv3d):
    """Spatial-only (1,3,3) convolution (the upper stages of MC3)."""

    def __init__(self, inplanes: int, planes: int, midplanes: int | None = None,
                 stride: int = 1, *, bn_eps: float = 1e-5) -> None:
        super().__init__(inplanes, planes, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=False)

    @staticmethod
    def downsample_stride(stride: int) -> tuple[int, int, int]:
        return (1, stride, stride)


ConvBuilder = type[Conv2Plus1D] | type[Conv3DSimple] | type[Conv3DNoTemporal]


class BasicBlock(nn.Module):
    """``conv1`` = [conv, BN, ReLU], ``conv2`` = [conv, BN], residual add, ReLU."""

    def __init__(self, inplanes: int, planes: int, conv: ConvBuilder, stride: int = 1,
                 downsample: nn.Module | None = None, *, bn_eps: float = 1e-5) -> None:
        super().__init__()
        mid = _midplanes(inplanes, planes)
        self.conv1 = nn.Sequential(
            conv(inplanes, planes, mid, stride, bn_eps=bn_eps),
            nn.BatchNorm3d(planes, eps=bn_eps),
            nn.ReLU(inplace=True),
        )
        self.conv2 = nn.Sequential(
            conv(planes, planes, mid, bn_eps=bn_eps), nn.BatchNorm3d(planes, eps=bn_eps)
        )
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.conv2(self.conv1(x))
        return self.relu(out + residual)


def basic_stem(bn_eps: float = 1e-5) -> nn.Sequential:
    """R3D / MC3 stem: Conv3d 3->64 (3,7,7) stride (1,2,2) -> BN -> ReLU."""
    return nn.Sequential(
        nn.Conv3d(3, 64, (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False),
        nn.BatchNorm3d(64, eps=bn_eps), nn.ReLU(inplace=True),
    )


def r2plus1d_stem(bn_eps: float = 1e-5) -> nn.Sequential:
    """R(2+1)D stem: (1,7,7) conv 3->45 stride (1,2,2), BN, ReLU, (3,1,1) conv 45->64, BN, ReLU."""
    return nn.Sequential(
        nn.Conv3d(3, 45, (1, 7, 7), (1, 2, 2), (0, 3, 3), bias=False),
        nn.BatchNorm3d(45, eps=bn_eps), nn.ReLU(inplace=True),
        nn.Conv3d(45, 64, (3, 1, 1), (1, 1, 1), (1, 0, 0), bias=False),
        nn.BatchNorm3d(64, eps=bn_eps), nn.ReLU(inplace=True),
    )


class VideoResNet(nn.Module):
    """torchvision's ``VideoResNet`` (stem, layer1-4, avgpool, fc) with BasicBlocks."""

    def __init__(self, stem: nn.Sequential, convs: tuple[ConvBuilder, ...],
                 layers: tuple[int, int, int, int], num_classes: int = 400,
                 *, bn_eps: float = 1e-5) -> None:
        super().__init__()
        self.inplanes = 64
        self.stem = stem
        for i, (planes, blocks, conv) in enumerate(zip((64, 128, 256, 512), layers, convs,
                                                       strict=True)):
            self.add_module(f"layer{i + 1}", self._make_layer(conv, planes, blocks,
                                                              1 if i == 0 else 2, bn_eps))
        self.avgpool = nn.AdaptiveAvgPool3d((1, 1, 1))
        self.fc: nn.Module = nn.Linear(FEATURES, num_classes)

    def _make_layer(self, conv: ConvBuilder, planes: int, blocks: int, stride: int,
                    bn_eps: float) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv3d(self.inplanes, planes, 1, conv.downsample_stride(stride), bias=False),
                nn.BatchNorm3d(planes, eps=bn_eps),
            )
        layers = [BasicBlock(self.inplanes, planes, conv, stride, downsample, bn_eps=bn_eps)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes, conv, bn_eps=bn_eps) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def extract_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, T, H, W)`` -> globally pooled features ``(N, 512)``."""
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.avgpool(x).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, T, H, W)`` -> clip logits ``(N, classes)``."""
        return self.fc(self.extract_features(x))


def r2plus1d_18(num_classes: int = 400) -> VideoResNet:
    """torchvision ``r2plus1d_18``."""
    return VideoResNet(r2plus1d_stem(), (Conv2Plus1D,) * 4, (2, 2, 2, 2), num_classes)


def r3d_18(num_classes: int = 400) -> VideoResNet:
    """torchvision ``r3d_18``."""
    return VideoResNet(basic_stem(), (Conv3DSimple,) * 4, (2, 2, 2, 2), num_classes)


def mc3_18(num_classes: int = 400) -> VideoResNet:
    """torchvision ``mc3_18``: full 3D conv in layer1, spatial-only convs above."""
    return VideoResNet(basic_stem(), (Conv3DSimple,) + (Conv3DNoTemporal,) * 3, (2, 2, 2, 2),
                       num_classes)


def r2plus1d_34(num_classes: int = 400) -> VideoResNet:
    """ig65m-pytorch ``r2plus1d_34`` (IG-65M: 487 / 359 classes; Kinetics fine-tunes: 400)."""
    eps = 1e-3
    model = VideoResNet(r2plus1d_stem(eps), (Conv2Plus1D,) * 4, (3, 4, 6, 3), num_classes,
                        bn_eps=eps)
    # Caffe2 layout: block 0's conv2 of stages 2-4 uses the steady-state mid-channels.
    for name, planes in (("layer2", 128), ("layer3", 256), ("layer4", 512)):
        block = getattr(model, name)[0]
        block.conv2[0] = Conv2Plus1D(planes, planes, _midplanes(planes, planes), bn_eps=eps)
    return model


BUILDERS: dict[str, Callable[[int], VideoResNet]] = {
    "r2plus1d_18": r2plus1d_18, "r2plus1d_34": r2plus1d_34, "r3d_18": r3d_18, "mc3_18": mc3_18,
}
