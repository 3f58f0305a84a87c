"""2D single-frame ResNets with torchvision's state-dict layout (GESTURES Table 1 baselines).

``resnet34`` and ``wide_resnet50_2`` reproduce ``torchvision.models.resnet`` (0.28), so the
ImageNet checkpoints load strictly. They are applied to every frame of a clip (seed 002,
"SFCNN": R2D-34, 21.2 M parameters, and Wide R2D-50-2, 66.8 M, both without ``fc``).

Input ``(N, 3, H, W)`` ``float32`` (224 x 224, ImageNet mean / std); features are the global
average pool ``(N, 512)`` (ResNet-34) or ``(N, 2048)`` (Wide ResNet-50-2).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def _conv3x3(inplanes: int, planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)


def _conv1x1(inplanes: int, planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(inplanes, planes, 1, stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convs with BN; stride on the first; residual add then ReLU."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, base_width: int = 64) -> None:
        super().__init__()
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + residual)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride here) -> 1x1 x4, width ``planes * base_width / 64``."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, base_width: int = 64) -> None:
        super().__init__()
        width = int(planes * (base_width / 64.0))
        self.conv1 = _conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = _conv3x3(width, width, stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = _conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + residual)


class ResNet(nn.Module):
    """torchvision's ``ResNet``: 7x7/2 conv stem, 3x3/2 max-pool, 4 stages, avgpool, fc."""

    def __init__(self, block: type[BasicBlock] | type[Bottleneck],
                 layers: tuple[int, int, int, int], num_classes: int = 1000,
                 width_per_group: int = 64) -> None:
        super().__init__()
        self.inplanes = 64
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        for i, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers, strict=True)):
            self.add_module(f"layer{i + 1}",
                            self._make_layer(block, planes, blocks, 1 if i == 0 else 2))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.features = 512 * block.expansion
        self.fc: nn.Module = nn.Linear(self.features, num_classes)

    def _make_layer(self, block: type[BasicBlock] | type[Bottleneck], planes: int,
                    blocks: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                _conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample, self.base_width)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, base_width=self.base_width)
                   for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def extract_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` -> pooled features ``(N, 512 * expansion)``."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.avgpool(x).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` -> logits ``(N, classes)``."""
        return self.fc(self.extract_features(x))


def resnet34(num_classes: int = 1000) -> ResNet:
    """torchvision ``resnet34``."""
    return ResNet(BasicBlock, (3, 4, 6, 3), num_classes)


def wide_resnet50_2(num_classes: int = 1000) -> ResNet:
    """torchvision ``wide_resnet50_2`` (bottleneck width 128 x 2^stage)."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes, width_per_group=128)


BUILDERS: dict[str, Callable[[int], ResNet]] = {
    "resnet34": resnet34, "wide_resnet50_2": wide_resnet50_2,
}
