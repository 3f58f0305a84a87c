"""Adaptive graph convolutional network (AGCN) over body or face keypoints (seed 004).

Seed 004 (§2.3, after Hou et al. 2021) classifies seizures from keypoint sequences with an
AGCN. The network here follows 2s-AGCN (Shi, Zhang, Cheng, Lu, "Two-Stream Adaptive Graph
Convolutional Networks for Skeleton-Based Action Recognition", CVPR 2019):

* **adaptive graph convolution** (its Eq. 3): ``f_out = sum_k W_k f_in (A_k + B_k + C_k)``
  over the ``K = 3`` subsets of the spatial partition (self, inward, outward;
  :mod:`ictal.models.graph`): ``A_k`` fixed and normalised, ``B_k`` a learned ``V x V``
  matrix initialised to 1e-6, ``C_k = softmax(theta_k(f)^T phi_k(f))`` data dependent, with
  ``theta_k`` / ``phi_k`` 1x1 convolutions to ``C_out / 4`` channels and the similarity
  divided by the embedding size ``C_e T``; then batch norm, a residual 1x1 convolution when
  the channels change, ReLU;
* **temporal convolution**: ``9 x 1`` over time with batch norm; an adaptive block is a graph
  convolution then a temporal convolution plus a residual connection (a strided ``1 x 1``
  temporal convolution when the shape changes; none in the first block), ReLU;
* **the network**: batch norm of the input per (node, channel), ten blocks of 64, 64, 64, 64,
  128, 128, 128, 256, 256, 256 channels with temporal stride 2 at the fifth and the eighth,
  global average pooling over time and nodes, a fully connected layer;
* **two streams**: the same network on the joints and on the bones (``x_v - x_parent(v)``),
  each trained with its own loss; their scores (class probabilities) are averaged.

Input: a clip ``(N, C, T, V)`` float32 with ``C`` = 3 channels, ``(x, y, confidence)`` in 2D or
``(x, y, z)`` in 3D, ``T`` timesteps and ``V`` keypoints (11 body joints or 23 face landmarks).
The initialisations are 2s-AGCN's (Kaiming normal ``fan_out`` convolutions, branch-scaled
normal ``W_k``, the graph convolution's batch norm scale 1e-6), except, with ``head_init =
"zero"``, the last layer: 2s-AGCN draws it with a standard deviation of
``sqrt(2 / n_classes)``, 0.18 for NTU's 60 classes but 1.41 for seed 004's one sigmoid unit,
which starts the untrained network at logits of 2-7 in magnitude (first-epoch training losses
of 3-14 over the two streams on the HKN phantom) that Adam at lr 1e-3 cannot shrink through
the head in a few tens of steps (it moves a weight by about 1e-3 a step); a zero head starts
every clip at probability 0.5. The seed-004 presets use the zero head; ``"published"`` is
2s-AGCN's.

The published configuration for NTU RGB+D (25 joints, 2 persons, 60 classes) has 3.47 M
parameters per stream (MMAction2's model card: 3.5 M); :func:`count_parameters` and the tests
check ours against it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Self, get_args

import numpy as np
import torch
from torch import nn

from ictal.errors import ConfigError
from ictal.features.streams import StreamSpec, coords_of_parts
from ictal.features.table import FeatureTable
from ictal.models.augment import augment_clip
from ictal.models.config import HeadInit, KeypointAugment, ModelConfig, TrainConfig
from ictal.models.graph import GRAPHS, SkeletonGraph
from ictal.models.losses import probabilities, weighted_loss
from ictal.models.streams import StreamClassifier, fuse_scores, keypoint_clip

#: 2s-AGCN's channels and temporal strides of its ten blocks.
PUBLISHED_CHANNELS: tuple[int, ...] = (64, 64, 64, 64, 128, 128, 128, 256, 256, 256)
PUBLISHED_STRIDES: tuple[int, ...] = (1, 1, 1, 1, 2, 1, 1, 2, 1, 1)
#: Initialisations of the last layer (module docstring; :data:`ictal.models.config.HeadInit`).
HEAD_INITS: tuple[str, ...] = get_args(HeadInit)


def _conv_init(conv: nn.Conv2d) -> None:
    nn.init.kaiming_normal_(conv.weight, mode="fan_out")
    if conv.bias is not None:
        nn.init.constant_(conv.bias, 0.0)


def _bn_init(bn: nn.BatchNorm1d | nn.BatchNorm2d, scale: float) -> None:
    nn.init.constant_(bn.weight, scale)
    nn.init.constant_(bn.bias, 0.0)


class AdaptiveGraphConv(nn.Module):
    """2s-AGCN's adaptive graph convolution: ``(N, C_in, T, V) -> (N, C_out, T, V)``.

    Args:
        A: ``(K, V, V)`` fixed adjacency (:meth:`~ictal.models.graph.SkeletonGraph.adjacency`).
        embedding: ``C_out / embedding`` channels of ``theta_k`` and ``phi_k`` (2s-AGCN: 4).
        adaptive: ``B_k`` learned (``False`` keeps it at zero, an ablation).
        data_dependent: ``C_k`` computed (``False`` leaves it out, an ablation).
    """

    def __init__(self, in_channels: int, out_channels: int, A: np.ndarray, *,
                 embedding: int = 4, adaptive: bool = True, data_dependent: bool = True) -> None:
        super().__init__()
        k = A.shape[0]
        self.inter = max(1, out_channels // embedding)
        self.num_subset = k
        self.data_dependent = data_dependent
        self.register_buffer("A", torch.from_numpy(np.asarray(A, np.float32)))
        self.B = nn.Parameter(torch.full(A.shape, 1e-6), requires_grad=adaptive)
        if not adaptive:
            nn.init.zeros_(self.B)
        self.theta = nn.ModuleList()
        self.phi = nn.ModuleList()
        if data_dependent:
            self.theta.extend(nn.Conv2d(in_channels, self.inter, 1) for _ in range(k))
            self.phi.extend(nn.Conv2d(in_channels, self.inter, 1) for _ in range(k))
        self.W = nn.ModuleList(nn.Conv2d(in_channels, out_channels, 1) for _ in range(k))
        self.down: nn.Module | None = None
        if in_channels != out_channels:
            self.down = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1),
                                      nn.BatchNorm2d(out_channels))
        self.bn = nn.BatchNorm2d(out_channels)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                _conv_init(m)
            elif isinstance(m, nn.BatchNorm2d):
                _bn_init(m, 1.0)
        _bn_init(self.bn, 1e-6)
        for conv in self.W:  # 2s-AGCN conv_branch_init
            n, k1, k2 = conv.weight.shape[:3]
            nn.init.normal_(conv.weight, 0.0, math.sqrt(2.0 / (n * k1 * k2 * k)))
            nn.init.constant_(conv.bias, 0.0)

    def graphs(self, x: torch.Tensor) -> torch.Tensor:
        """The per-sample graphs ``A_k + B_k + C_k`` ``(N, K, V, V)`` for input ``x``."""
        n, _, t, v = x.shape
        fixed = (self.A + self.B).unsqueeze(0).expand(n, -1, -1, -1)
        if not self.data_dependent:
            return fixed
        cs = []
        for i in range(self.num_subset):
            a1 = self.theta[i](x).permute(0, 3, 1, 2).reshape(n, v, self.inter * t)
            a2 = self.phi[i](x).reshape(n, self.inter * t, v)
            cs.append(torch.softmax(a1 @ a2 / a1.shape[-1], dim=-2))
        return fixed + torch.stack(cs, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, t, v = x.shape
        g = self.graphs(x)
        flat = x.reshape(n, c * t, v)
        y = sum(self.W[i]((flat @ g[:, i]).reshape(n, c, t, v))
                for i in range(self.num_subset))
        y = self.bn(y)
        y = y + (self.down(x) if self.down is not None else x)
        return torch.relu(y)


class TemporalConv(nn.Module):
    """``kernel x 1`` convolution over time with batch norm: ``(N, C, T, V)`` ->
    ``(N, C_out, ceil(T / stride), V)``."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 9,
                 stride: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, (kernel, 1),
                              padding=((kernel - 1) // 2, 0), stride=(stride, 1))
        self.bn = nn.BatchNorm2d(out_channels)
        _conv_init(self.conv)
        _bn_init(self.bn, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


class AGCNBlock(nn.Module):
    """Adaptive graph convolution, temporal convolution and a residual connection, ReLU."""

    def __init__(self, in_channels: int, out_channels: int, A: np.ndarray, *, stride: int = 1,
                 residual: bool = True, kernel: int = 9, embedding: int = 4,
                 adaptive: bool = True, data_dependent: bool = True) -> None:
        super().__init__()
        self.gcn = AdaptiveGraphConv(in_channels, out_channels, A, embedding=embedding,
                                     adaptive=adaptive, data_dependent=data_dependent)
        self.tcn = TemporalConv(out_channels, out_channels, kernel, stride)
        self.residual: nn.Module | None
        self.identity = residual and in_channels == out_channels and stride == 1
        if not residual or self.identity:
            self.residual = None
        else:
            self.residual = TemporalConv(in_channels, out_channels, 1, stride)
        self.has_residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.tcn(self.gcn(x))
        if self.identity:
            y = y + x
        elif self.residual is not None:
            y = y + self.residual(x)
        return torch.relu(y)


class AGCN(nn.Module):
    """One stream of 2s-AGCN: ``(N, C, T, V[, M])`` -> logits ``(N, n_outputs)``.

    ``M`` persons (2s-AGCN's NTU input) share the network and are averaged after pooling;
    seed 004 has one patient (``M = 1``, a 4-D input).
    """

    def __init__(self, A: np.ndarray, *, in_channels: int = 3, n_outputs: int = 1,
                 channels: Sequence[int] = PUBLISHED_CHANNELS,
                 strides: Sequence[int] = PUBLISHED_STRIDES, persons: int = 1,
                 kernel: int = 9, embedding: int = 4, adaptive: bool = True,
                 data_dependent: bool = True, dropout: float = 0.0,
                 head_init: str = "published") -> None:
        super().__init__()
        if len(channels) != len(strides) or not channels:
            raise ValueError(f"{len(channels)} block channels for {len(strides)} strides")
        if head_init not in HEAD_INITS:
            raise ConfigError(f"unknown AGCN head initialisation {head_init!r}",
                              hint=f"use one of {', '.join(HEAD_INITS)}")
        v = A.shape[-1]
        self.persons = persons
        self.data_bn = nn.BatchNorm1d(persons * in_channels * v)
        _bn_init(self.data_bn, 1.0)
        blocks = []
        c_in = in_channels
        for i, (c, s) in enumerate(zip(channels, strides, strict=True)):
            blocks.append(AGCNBlock(c_in, c, A, stride=s, residual=i > 0, kernel=kernel,
                                    embedding=embedding, adaptive=adaptive,
                                    data_dependent=data_dependent))
            c_in = c
        self.blocks = nn.ModuleList(blocks)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(c_in, n_outputs)
        if head_init == "zero":
            nn.init.zeros_(self.fc.weight)
        else:
            nn.init.normal_(self.fc.weight, 0.0, math.sqrt(2.0 / n_outputs))
        nn.init.constant_(self.fc.bias, 0.0)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The last block's feature map ``(N * M, C_last, T', V)``."""
        if x.dim() == 4:
            x = x.unsqueeze(-1)
        n, c, t, v, m = x.shape
        x = x.permute(0, 4, 3, 1, 2).reshape(n, m * v * c, t)
        x = self.data_bn(x)
        x = x.reshape(n, m, v, c, t).permute(0, 1, 3, 4, 2).reshape(n * m, c, t, v)
        for block in self.blocks:
            x = block(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        h = self.embed(x)
        pooled = h.reshape(n, -1, h.shape[1], h.shape[2] * h.shape[3]).mean(3).mean(1)
        return self.fc(self.dropout(pooled))


def bones(x: torch.Tensor, parents: Sequence[int]) -> torch.Tensor:
    """The bone stream of ``x`` ``(N, C, T, V)``: ``x_v - x_parent(v)``, zero at the root
    (2s-AGCN §3.4; a confidence channel becomes a difference of confidences as there)."""
    idx = torch.as_tensor([p if p >= 0 else v for v, p in enumerate(parents)],
                          device=x.device)
    return x - x.index_select(-1, idx)


def count_parameters(module: nn.Module, *, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


class MultiStreamAGCN(nn.Module):
    """The keypoint stream of a semiology table through one AGCN per input stream
    (``joint``, ``bone``): ``(x (N, T, F), mask (N, T))`` -> logits. In training mode it returns
    every stream's logits ``(S, N, O)`` (each stream has its own loss, as 2s-AGCN trains its
    two streams); in eval mode the fused logits ``(N, O)`` (:func:`fuse_scores`).

    ``augment`` (:class:`~ictal.models.config.KeypointAugment`) transforms the joint clip in
    training mode only (:func:`~ictal.models.augment.augment_clip`), with a generator seeded
    by ``augment_seed``; eval mode (validation, test, prediction) never does."""

    def __init__(self, spec: StreamSpec, graph: SkeletonGraph, n_outputs: int, *,
                 inputs: Sequence[str] = ("joint", "bone"),
                 augment: KeypointAugment | None = None, augment_seed: int = 0,
                 **agcn: Any) -> None:
        super().__init__()
        if spec.nodes != graph.num_nodes:
            raise ConfigError(f"stream {spec.name!r} has {spec.nodes} keypoints, the "
                              f"{graph.name} graph {graph.num_nodes}")
        bad = set(inputs) - {"joint", "bone"}
        if bad or not inputs:
            raise ConfigError(f"AGCN inputs must be joint and/or bone, got {list(inputs)}")
        self.spec = spec
        self.parents = graph.parents
        self.inputs = tuple(inputs)
        self.augment = augment if augment is not None and augment.active else None
        self.augment_generator = torch.Generator().manual_seed(augment_seed)
        self.nets = nn.ModuleDict({name: AGCN(graph.adjacency(), in_channels=spec.channels,
                                              n_outputs=n_outputs, **agcn)
                                   for name in self.inputs})

    def clip(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The joint clip ``(N, C, T, V)`` of a table's rows (randomly transformed in
        training mode when ``augment`` is set)."""
        clip = keypoint_clip(x, mask, self.spec)
        if self.training and self.augment is not None:
            clip = augment_clip(clip, mask, self.augment, self.augment_generator)
        return clip

    def stream_logits(self, joints: torch.Tensor) -> torch.Tensor:
        """Logits ``(S, N, O)`` of each input stream for a joint clip ``(N, C, T, V)``."""
        outs = []
        for name in self.inputs:
            data = joints if name == "joint" else bones(joints, self.parents)
            outs.append(self.nets[name](data))
        return torch.stack(outs)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        logits = self.stream_logits(self.clip(x, mask))
        return logits if self.training else fuse_scores(logits)


class AGCNClassifier(StreamClassifier):
    """Seed 004's AGCN_p / AGCN_f: a two-stream AGCN on the body (``stream = "body"``) or face
    (``"face"``) keypoints of a semiology table, one prediction per row (seizure clip).

    ``channels`` / ``strides`` default to 2s-AGCN's; ``inputs`` the joint and bone streams;
    ``head_init`` the last layer's initialisation (:data:`HEAD_INITS`, module docstring);
    ``augment`` random transforms of the training clips (:class:`KeypointAugment`, seeded by
    ``seed``; ``None`` or all zero: none).
    """

    def __init__(self, *, stream: str = "body", channels: Sequence[int] = PUBLISHED_CHANNELS,
                 strides: Sequence[int] = PUBLISHED_STRIDES, kernel: int = 9,
                 embedding: int = 4, adaptive: bool = True, data_dependent: bool = True,
                 inputs: Sequence[str] = ("joint", "bone"), dropout: float = 0.0,
                 head_init: str = "published", augment: KeypointAugment | None = None,
                 loss: str = "auto", train: TrainConfig | None = None, seed: int = 0,
                 threads: int | None = 1, device: str = "cpu") -> None:
        super().__init__(stream=stream, loss=loss, train=train, seed=seed, threads=threads,
                         device=device)
        self.augment = augment
        self.channels = tuple(channels)
        self.strides = tuple(strides)
        self.kernel = kernel
        self.embedding = embedding
        self.adaptive = adaptive
        self.data_dependent = data_dependent
        self.inputs = tuple(inputs)
        self.dropout = dropout
        self.head_init = head_init

    @classmethod
    def from_config(cls, config: ModelConfig, *, seed: int = 0, threads: int | None = 1,
                    device: str = "cpu") -> Self:
        return cls(stream=config.stream, channels=config.agcn_channels,
                   strides=config.agcn_strides, kernel=config.temporal_kernel,
                   embedding=config.agcn_embedding, adaptive=config.agcn_adaptive,
                   data_dependent=config.agcn_data_dependent, inputs=config.agcn_inputs,
                   dropout=config.dropout, head_init=config.agcn_head_init,
                   augment=config.agcn_augment, loss=config.loss,
                   train=config.train, seed=seed, threads=threads, device=device)

    def _take_layout(self, table: FeatureTable) -> None:
        """The stream's layout, and an augmentation made for its coordinates: a ``2d`` one on
        a 3D table would leave z alone as if it were a confidence (and a ``3d`` one move a
        2D table's confidences), so a mismatch with the table's ``coords`` is refused."""
        super()._take_layout(table)
        made_with = table.attrs.get("coords")
        if self.augment is None or not self.augment.active or made_with is None:
            return
        wanted = coords_of_parts(str(made_with)).get(self.stream)
        if wanted is not None and self.augment.coords != wanted:
            raise ConfigError(
                f"agcn_augment.coords is {self.augment.coords!r}, but the {self.stream} stream "
                f"of this table is {wanted} (made with coords {made_with!r})",
                hint=f"set agcn_augment.coords: {wanted}")

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        graph = GRAPHS.get(self.stream)
        if graph is None:
            raise ConfigError(f"no skeleton graph for stream {self.stream!r}",
                              hint=f"use one of {', '.join(GRAPHS)}")
        return MultiStreamAGCN(self.spec_, graph, n_outputs, inputs=self.inputs,
                               channels=self.channels, strides=self.strides,
                               kernel=self.kernel, embedding=self.embedding,
                               adaptive=self.adaptive, data_dependent=self.data_dependent,
                               dropout=self.dropout, head_init=self.head_init,
                               augment=self.augment, augment_seed=self.seed)

    def _batch_loss(self, output: torch.Tensor, y: torch.Tensor, weights: torch.Tensor,
                    index: torch.Tensor) -> torch.Tensor:
        """Sum of the input streams' class-weighted losses."""
        return sum((weighted_loss(self.loss_, out, y, weights) for out in output),
                   torch.zeros((), device=output.device))

    def learned_graphs(self) -> dict[str, np.ndarray]:
        """``A_k + B_k`` of every block, per input stream: ``{input: (L, K, V, V)}`` float32
        (the data-dependent ``C_k`` varies with the clip; see :meth:`attribution`)."""
        out = {}
        for name, net in self.module_.nets.items():
            out[name] = np.stack([(b.gcn.A + b.gcn.B).detach().cpu().numpy()
                                  for b in net.blocks])
        return out

    def attribution(self, table: FeatureTable, *, windows: int = 8
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Which keypoints and which moments drive each decision, by occlusion.

        A keypoint is occluded by holding it still at its mean over the clip (its movement
        removed); a moment - one of ``windows`` equal spans of the clip - by holding every
        keypoint at its clip mean during the span. The importance is the absolute change of
        the positive class's probability (the last of ``classes_``).

        Returns:
            ``(N, V)`` per keypoint and ``(N, windows)`` per moment, float64.
        """
        spec = self.spec_
        X = self._scaled(table.features.astype(np.float32), table.mask)
        n, t, _ = X.shape
        kp = X[..., spec.start:spec.stop].reshape(n, t, spec.nodes, spec.channels)
        still = np.broadcast_to(kp.mean(axis=1, keepdims=True), kp.shape)

        def score(variant: np.ndarray) -> np.ndarray:
            x = X.copy()
            x[..., spec.start:spec.stop] = variant.reshape(n, t, -1)
            return probabilities(self._eval_logits(x, table.mask))[:, -1].double().cpu().numpy()

        base = score(kp)
        joints = np.zeros((n, spec.nodes))
        for v in range(spec.nodes):
            occluded = kp.copy()
            occluded[:, :, v] = still[:, :, v]
            joints[:, v] = np.abs(score(occluded) - base)
        moments = np.zeros((n, windows))
        edges = np.linspace(0, t, windows + 1).round().astype(int)
        for w in range(windows):
            occluded = kp.copy()
            occluded[:, edges[w]:edges[w + 1]] = still[:, edges[w]:edges[w + 1]]
            moments[:, w] = np.abs(score(occluded) - base)
        return joints, moments
