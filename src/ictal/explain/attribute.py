"""Saliency maps over a window's frames, with Captum's attribution methods.

Every method maps one clip ``(C, T, H, W)`` ``float32`` (a sample's frames, as the backbone
takes them) and a target class column to a map ``(T, H, W)`` ``float32``: the evidence each
pixel of each frame gives for the target class, summed over the channels, negative evidence
set to 0 (what an overlay shows; the signed sum is kept in :attr:`WindowMap.signed_total`).

* ``occlusion`` (Zeiler & Fergus 2014; Captum ``Occlusion``): the drop of the target
  probability when a block is held still - each pixel gliding linearly between its values
  just before and just after the block's frames, with noise of the clip's level
  (:func:`held_still`: the movement is taken out without a jump at the block's ends, which
  frame differencing would count as movement, and without the unseen change of a noiseless
  block). By default *separable*: blocks of ``pixels x pixels`` over the whole window say
  where (a seventh of the side: 7 x 7 blocks), segments of ``frames`` (a quarter of the
  window) over the whole frame say when, and the map is their product - 49 + 4 backbone
  passes for a window, and a block's drop is not hidden by the same movement in the
  window's other frames (freezing a quarter of a repetitive movement leaves three quarters
  of it). With ``block=(frames, pixels)`` every ``frames x pixels x pixels`` block is
  occluded on its own (196 passes for 60 x 112 x 112 in blocks of 15 x 16 x 16). No gradient
  needed: the only method for the weight-free ``motion`` backbone.
* ``gradcam`` (Selvaraju et al. 2017; Captum ``LayerGradCam``): gradient-weighted activations
  of a layer (I3D: ``Mixed_5c``, ``(T/8, H/32, W/32)``), upsampled to the clip trilinearly.
  One forward and one backward pass.
* ``ig`` (Sundararajan et al. 2017; Captum ``IntegratedGradients``): path integral of the
  gradients from the window's still frame (its mean) to the clip, ``steps`` points.

:func:`motion_energy` is the baseline a reader compares them with: plain frame differencing,
no model at all.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from ictal.errors import ConfigError, ShapeError
from ictal.explain.chain import ClipChain

Method = Literal["occlusion", "gradcam", "ig"]
METHODS: tuple[str, ...] = ("occlusion", "gradcam", "ig")

#: The Grad-CAM layer of each backbone family (dotted path inside the family's network).
GRADCAM_LAYERS: dict[str, str] = {"i3d": "Mixed_5c", "video_resnet": "layer4",
                                  "resnet2d": "layer4"}


@dataclass(frozen=True)
class WindowMap:
    """The attribution of one window.

    Attributes:
        values: ``(T, H, W)`` ``float32`` >= 0, evidence for ``target`` per frame and pixel.
        target: the class column explained.
        method: ``occlusion``, ``gradcam``, ``ig`` or ``motion-energy``.
        prob: the target's probability for the clip (``nan`` for ``motion-energy``).
        signed_total: the sum of the signed attribution (occlusion: of the blocks' probability
            drops; ``values`` then hold each block's drop divided by its pixels).
        seconds: wall time of the attribution.
    """

    values: np.ndarray
    target: int
    method: str
    prob: float
    signed_total: float
    seconds: float

    def frame_mass(self) -> np.ndarray:
        """``(T,)`` share of the map's mass in each frame (zeros when the map is empty)."""
        per = self.values.reshape(self.values.shape[0], -1).sum(1).astype(np.float64)
        total = per.sum()
        return per / total if total > 0 else per

    def spatial(self) -> np.ndarray:
        """``(H, W)`` the map summed over the window's frames."""
        return self.values.sum(0)

    def peak(self) -> tuple[int, int, int]:
        """``(t, y, x)`` of the largest value; on ties (occlusion maps are constant over a
        block) the rounded centre of the tied values."""
        return tied_peak(self.values)


def tied_peak(values: np.ndarray) -> tuple[int, ...]:
    """Index of the largest value of ``values`` (any shape), the rounded mean position of
    the values within 1e-6 (relative) of it; a block-constant map peaks at its best block's
    centre, not its corner."""
    top = float(values.max())
    tied = np.argwhere(values >= top - 1e-6 * max(abs(top), 1e-12))
    return tuple(int(v) for v in np.rint(tied.mean(0)))


def default_method(family: str) -> Method:
    """``occlusion`` for the weight-free ``motion`` backbone, ``gradcam`` for networks."""
    return "occlusion" if family == "motion" else "gradcam"


def _check_clip(clip: np.ndarray | torch.Tensor) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(clip, np.float32) if isinstance(clip, np.ndarray) else clip)
    if x.ndim != 4:
        raise ShapeError(f"a clip must be (C, T, H, W), got shape {tuple(x.shape)}")
    return x.float()[None]


def _still(x: torch.Tensor) -> torch.Tensor:
    """The clip with every pixel held at its mean over time (same shape): nothing moves."""
    return x.mean(2, keepdim=True).expand_as(x).contiguous()


def held_still(x: torch.Tensor, frames: int) -> torch.Tensor:
    """The occlusion baseline: within each segment ``[a, b)`` of ``frames`` frames, every
    pixel glides linearly from its value in frame ``a - 1`` to its value in frame ``b`` (held
    at the clip's ends; a single segment holds the pixel's mean). The segment's movement is
    gone, and - unlike a constant - no jump appears at its ends, which a motion measure would
    count as movement. The frame-to-frame noise is added back (:func:`_flicker`).

    ``x`` ``(N, C, T, H, W)`` -> same shape.
    """
    t = x.shape[2]
    out = torch.empty_like(x)
    for a in range(0, t, frames):
        b = min(t, a + frames)
        if a == 0 and b == t:  # one segment: the pixel's mean
            out[:] = x.mean(2, keepdim=True)
            break
        left = x[:, :, a - 1] if a > 0 else x[:, :, b]
        right = x[:, :, b] if b < t else x[:, :, a - 1]
        w = torch.arange(1, b - a + 1, dtype=x.dtype) / (b - a + 1)
        out[:, :, a:b] = left[:, :, None] + (right - left)[:, :, None] * w[:, None, None]
    return out + _flicker(x)


def _flicker(x: torch.Tensor) -> torch.Tensor:
    """Sensor noise like that of ``x`` ``(N, C, T, H, W)``: Gaussian, seeded, of the clip's
    noise level (the median absolute frame difference, robust to the few moving pixels,
    x 1.4826 / sqrt 2). Added to the occluded block, so that a still block stays as noisy as
    the sensor made it: a noiseless block is a change the classifier never saw in training,
    and the movement of the block is not let through (a temporal high-pass would let the
    jumps of moving edges through)."""
    if x.shape[2] < 2:
        return torch.zeros_like(x)
    sigma = float((x[:, :, 1:] - x[:, :, :-1]).abs().median()) * 1.4826 / math.sqrt(2)
    n, _, t, h, w = x.shape  # one noise for every channel: grey stays grey
    noise = torch.randn((n, 1, t, h, w), generator=torch.Generator().manual_seed(0),
                        dtype=x.dtype)
    return (noise * sigma).expand_as(x)


def occlusion_blocks(frames: int, size: int) -> tuple[int, int]:
    """Blocks of :func:`attribute` ``occlusion``: ``(frames per segment, pixels per side)`` -
    a quarter of the window's frames (15 of 60) and a seventh of its side (16 of 112, 32 of
    224)."""
    return max(1, math.ceil(frames / 4)), max(1, math.ceil(size / 7))


def attribute(chain: ClipChain, clip: np.ndarray | torch.Tensor, target: int, *,
              method: Method = "occlusion", layer: str | None = None, steps: int = 16,
              block: tuple[int, int] | None = None, batch: int = 16) -> WindowMap:
    """The saliency map of ``clip`` for class column ``target`` through ``chain``.

    Args:
        clip: ``(C, T, H, W)`` ``float32``, as the backbone takes it.
        method: see the module docstring.
        layer: Grad-CAM layer (dotted path in the backbone network; default
            :data:`GRADCAM_LAYERS` of the family).
        steps: integrated-gradient points.
        block: occlusion ``(frames, pixels)``: every block on its own (default: separable,
            :func:`occlusion_blocks`).
        batch: occluded clips per backbone pass.

    Raises:
        ConfigError: an unknown method, a gradient method on the gradient-free ``motion``
            backbone, or a Grad-CAM layer the network does not have.
    """
    from captum.attr import IntegratedGradients, LayerGradCam, Occlusion

    x = _check_clip(clip)
    family = getattr(chain.network, "family", "")
    forward = chain
    grey = x.shape[1] > 1 and bool((x == x[:, :1]).all())
    if grey and method == "occlusion":
        # grey video repeated into the channels: occlude the one channel (a third of the
        # copies Captum makes) and repeat it inside the forward pass, a view
        channels = x.shape[1]
        x = x[:, :1].contiguous()

        def forward(one: torch.Tensor) -> torch.Tensor:
            return chain(one.expand(-1, channels, -1, -1, -1))
    if method not in METHODS:
        raise ConfigError(f"unknown attribution method {method!r}",
                          hint=f"use one of {', '.join(METHODS)}")
    if method != "occlusion" and family == "motion":
        raise ConfigError(f"method {method!r} needs gradients; the motion backbone has none "
                          "(it is a fixed computation without weights)",
                          hint="use --method occlusion")
    _, c, t, h, w = x.shape
    start = time.perf_counter()
    with torch.no_grad():
        prob = float(forward(x)[0, target])
    if method == "occlusion":
        tf, px = block or occlusion_blocks(t, max(h, w))
        occ = Occlusion(forward)

        def drops(frames: int, side: tuple[int, int]) -> torch.Tensor:
            """Each block's probability drop, repeated over its pixels, ``(T, H, W)``."""
            with torch.no_grad():
                raw = occ.attribute(x, sliding_window_shapes=(c, frames, *side),
                                    strides=(c, frames, *side),
                                    baselines=held_still(x, frames), target=target,
                                    perturbations_per_eval=batch)
            return raw[0].sum(0) / float(c * frames * side[0] * side[1])

        if block is not None and tf < t:  # every block of frames x pixels on its own
            signed = drops(tf, (px, px))
            signed_total = float(signed.sum())
        else:  # separable: where over the whole window, when over the whole frame
            space = drops(t, (px, px))[0]  # (H, W): a block's drop
            when = drops(tf if tf < t else t, (h, w))[:, 0, 0]  # (T,): a segment's drop
            weights = when.clamp(min=0)
            # no segment needed on its own (the evidence is spread over the window): the
            # frames share it equally
            weights = (weights / weights.sum() if weights.sum() > 0
                       else torch.full_like(weights, 1.0 / t))
            signed = space[None] * weights[:, None, None]
            signed_total = float(space.sum())
    elif method == "gradcam":
        name = layer or GRADCAM_LAYERS.get(family)
        if name is None:
            raise ConfigError(f"no default Grad-CAM layer for backbone family {family!r}",
                              hint="name one with --layer")
        try:
            module = chain.network.network.get_submodule(name)
        except AttributeError as err:
            raise ConfigError(f"the {family} network has no layer {name!r}",
                              hint=f"use a layer of the network, e.g. "
                                   f"{GRADCAM_LAYERS.get(family, 'layer4')}") from err
        cam = LayerGradCam(chain, module).attribute(x.requires_grad_(), target=target,
                                                    relu_attributions=False)
        cam = cam.detach()
        if cam.ndim == 4:  # a 2D layer seen frame by frame: (N * T, 1, h, w)
            cam = cam.reshape(1, t, 1, *cam.shape[-2:]).transpose(1, 2)
        signed = F.interpolate(cam, size=(t, h, w), mode="trilinear",
                               align_corners=False)[0, 0]
    else:
        ig = IntegratedGradients(chain)
        raw = ig.attribute(x.requires_grad_(), baselines=_still(x.detach()), target=target,
                           n_steps=steps, internal_batch_size=max(1, min(batch, steps)))
        signed = raw.detach()[0].sum(0)
    if method != "occlusion":
        signed_total = float(signed.sum())
    values = signed.clamp(min=0).numpy().astype(np.float32)
    return WindowMap(values=values, target=int(target), method=method, prob=prob,
                     signed_total=signed_total, seconds=time.perf_counter() - start)


def motion_energy(clip: np.ndarray | torch.Tensor) -> WindowMap:
    """The model-free baseline: mean absolute frame difference around each frame.

    ``clip`` ``(C, T, H, W)`` -> a :class:`WindowMap` ``(T, H, W)`` whose frame ``t`` holds
    ``(|I[t] - I[t-1]| + |I[t+1] - I[t]|) / 2`` on the channel-mean grey clip (one-sided at
    the ends; a single frame gives zeros).
    """
    start = time.perf_counter()
    grey = _check_clip(clip)[0].mean(0)  # (T, H, W)
    t = grey.shape[0]
    values = torch.zeros_like(grey)
    if t > 1:
        d = (grey[1:] - grey[:-1]).abs()  # (T - 1, H, W)
        values[:-1] += d
        values[1:] += d
        counts = torch.full((t, 1, 1), 2.0)
        counts[0] = counts[-1] = 1.0
        values = values / counts
    arr = values.numpy().astype(np.float32)
    return WindowMap(values=arr, target=-1, method="motion-energy", prob=math.nan,
                     signed_total=float(arr.sum()), seconds=time.perf_counter() - start)
