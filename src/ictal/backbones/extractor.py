"""Ready-to-use feature extractors: ``load_backbone(name) -> FeatureExtractor``.

A :class:`FeatureExtractor` maps a batch of clips ``(N, C, T, H, W)`` ``float32`` (prepared
as its :class:`~ictal.inputspec.InputSpec` says) to ``features (N, timesteps, F)``
``float32`` and ``mask (N, timesteps)`` ``bool``, in inference mode. Clips shorter than a full
sample give fewer real timesteps; they are pre-padded with ``-1`` and masked (seeds 000/001).

The optimised path (``optimize=True``, the default) folds batch norm into the convolutions,
passes symmetric "SAME" padding to the convolutions instead of copying, uses channels-last
memory and, when ONNX Runtime is installed and the device is the CPU, runs an ONNX export of
that network for full samples (one export per input shape, cached; shorter leftovers run in
torch). Outputs stay within the conformance tolerance of the reference ports (tested). On a
2-core CPU, ONNX Runtime measured about 2-3x the port-style plain run for I3D, ahead of the
optimised torch network (about 1.5x) and of ``torch.compile`` on it (about 1.4x, after a
two-minute compile), so it is the default engine.

``precision="bf16"`` (I3D on the CPU) runs the optimised network in ``bfloat16`` instead:
weights and activations rounded to 8-bit mantissas, each convolution fused with its ReLU in
one oneDNN call (``float32`` accumulation), the avg-pooled features ``float32``. On this
2-core CPU (``avx512_bf16``) it measured about 2.3x the default fp32 engine and 4.6x the
port-style run at batch 1 (one thread, or two with ``OMP_WAIT_POLICY=PASSIVE``; README). Its
features are not the reference port's (cosine similarity to the ``float32`` features is
measured by ``benchmarks/bench_precision.py`` and bounded in the tests), so ``"fp32"`` is the
default and feature stores record the precision they were made with (``provenance()``;
absent = fp32).
ONNX Runtime's static int8 quantisation of I3D was measured no faster than its fp32 on this
CPU (3D convolutions), so there is no int8 option.
"""

from __future__ import annotations

import copy
import io
import logging
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from ictal.backbones.checkpoints import (
    adapt_input_conv,
    drop_head,
    find_checkpoint,
    load_strict,
    random_state_dict,
    read_state_dict,
    record_checkpoint_hash,
    verify_checkpoint,
)
from ictal.backbones.fusion import fold_batchnorm
from ictal.backbones.i3d import MaxPool3dSame, Unit3D, i3d_timesteps
from ictal.backbones.motion import motion_timesteps
from ictal.backbones.registry import BackboneRegistry, BackboneSpec, default_registry
from ictal.errors import ConfigError, ShapeError
from ictal.inputspec import InputSpec

log = logging.getLogger(__name__)

Engine = Literal["auto", "torch", "onnxruntime"]
Precision = Literal["fp32", "bf16"]
#: Numeric precisions of the backbones' optimised path; ``fp32`` is the default and the only
#: one that reproduces the reference ports.
PRECISIONS: tuple[str, ...] = ("fp32", "bf16")
#: Backbone families with a reduced-precision path.
REDUCED_PRECISION_FAMILIES = ("i3d",)


class FeatureNet(nn.Module):
    """A backbone network plus its family's way of turning a clip into ``(N, t, F)`` features."""

    def __init__(self, family: str, network: nn.Module) -> None:
        super().__init__()
        self.family = family
        self.network = network

    def forward(self, x: torch.Tensor, fps: float | None = None) -> torch.Tensor:
        """``(N, C, T, H, W)`` -> ``(N, t, F)`` real timesteps only (no padding); ``fps``, the
        clips' frame rate, is used by the ``motion`` family (its bands are in Hz)."""
        if self.family == "i3d":  # avg-pool output (N, 1024, T', 1, 1) -> (N, T', 1024)
            return self.network.extract_features(x).mean((3, 4)).transpose(1, 2)
        if self.family == "video_resnet":  # clip features (N, 512) -> (N, 1, 512)
            return self.network.extract_features(x).unsqueeze(1)
        if self.family == "resnet2d":  # every frame through the 2D network
            n, c, t, h, w = x.shape
            frames = x.transpose(1, 2).reshape(n * t, c, h, w)
            return self.network.extract_features(frames).reshape(n, t, -1)
        return self.network(x, fps)  # motion: already (N, t, F)


def real_timesteps(spec: BackboneSpec, frames: int, fps: float | None = None) -> int:
    """Timesteps a clip of ``frames`` frames at ``fps`` really yields with backbone ``spec``."""
    if spec.family == "i3d":
        return i3d_timesteps(frames)
    if spec.family == "motion":
        return motion_timesteps(frames, fps)
    if spec.family == "resnet2d":
        return frames
    return 1


def _prepare_optimised(feature_net: FeatureNet, precision: Precision = "fp32") -> FeatureNet:
    """Folded BN, static padding and channels-last copy of an eval-mode network; with
    ``precision="bf16"`` also bfloat16 weights, fused conv + ReLU and separable pools."""
    fast = copy.deepcopy(feature_net)
    fold_batchnorm(fast)
    for module in fast.modules():
        if isinstance(module, Unit3D):
            module.static_padding = True
            module.fused = precision == "bf16"
        elif isinstance(module, MaxPool3dSame):
            module.separable = precision == "bf16"
    fmt = torch.channels_last if fast.family == "resnet2d" else torch.channels_last_3d
    if precision == "bf16":
        return fast.to(dtype=torch.bfloat16, memory_format=fmt)
    return fast.to(memory_format=fmt)


def check_precision(family: str, precision: str, *, optimize: bool, engine: str,
                    device: torch.device) -> None:
    """Refuse a precision the backbone family, engine or device cannot run.

    Raises:
        ConfigError: an unknown precision, or ``bf16`` asked for another family than I3D,
            without the optimised path, with ONNX Runtime, off the CPU, or on a CPU whose
            oneDNN has no bfloat16 kernels.
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
    if precision == "fp32":
        return
    if family not in REDUCED_PRECISION_FAMILIES:
        raise ConfigError(f"precision {precision}: only the "
                          f"{', '.join(REDUCED_PRECISION_FAMILIES)} backbone has a "
                          f"reduced-precision path, not the {family} family",
                          hint="use --precision fp32 (the default)")
    if not optimize or engine == "onnxruntime":
        raise ConfigError(f"precision {precision} runs the optimised network in torch",
                          hint="keep optimize on and the engine 'auto' or 'torch'")
    if device.type != "cpu" or not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        raise ConfigError(f"precision {precision} needs a CPU with oneDNN bfloat16 kernels "
                          f"(AVX-512 or AMX; device {device})",
                          hint="use --precision fp32 (the default)")


class _OnnxRunner:
    """ONNX Runtime sessions of a network, one per input shape ``(C, T, H, W)`` (batch free)."""

    def __init__(self, network: nn.Module, threads: int) -> None:
        self.network = network
        self.threads = threads
        self.sessions: dict[tuple[int, ...], Any] = {}

    def _session(self, x: torch.Tensor) -> Any:
        import onnxruntime as ort

        key = tuple(x.shape[1:])
        if key not in self.sessions:
            buffer = io.BytesIO()
            with warnings.catch_warnings():  # the exporter's tracer notes about shape maths
                warnings.simplefilter("ignore")
                torch.onnx.export(self.network, (x,), buffer, dynamo=False,
                                  input_names=["clip"], output_names=["features"],
                                  dynamic_axes={"clip": {0: "n"}, "features": {0: "n"}},
                                  opset_version=17)
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self.sessions[key] = ort.InferenceSession(
                buffer.getvalue(), options, providers=["CPUExecutionProvider"])
            log.info("built an ONNX Runtime session for input shape %s", key)
        return self.sessions[key]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        session = self._session(x)
        (out,) = session.run(None, {"clip": x.contiguous().numpy()})
        return torch.from_numpy(out)


@dataclass
class FeatureExtractor:
    """A loaded backbone in inference mode (see the module docstring for the contract).

    Attributes:
        spec: the registry entry.
        input_spec: the input it expects (``channels`` is 1 after infrared adaptation).
        weights_path, weights_sha256: the checkpoint used; ``None`` for random or no weights.
        engine: what runs the network: ``"torch"`` or ``"onnxruntime"``.
        precision: ``"fp32"`` (default) or ``"bf16"`` (see the module docstring).
    """

    spec: BackboneSpec
    input_spec: InputSpec
    network: FeatureNet
    device: torch.device
    weights_path: Path | None = None
    weights_sha256: str | None = None
    optimized: bool = False
    engine: str = "torch"
    precision: str = "fp32"
    _runner: Any = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def timesteps(self) -> int:
        return self.spec.timesteps

    @property
    def features(self) -> int:
        return self.spec.features

    def provenance(self) -> dict[str, Any]:
        """What feature files record about the backbone (name, weights hash, input, and
        ``precision`` when it is not ``fp32``: fp32 stores keep the provenance, and so the
        store key, they had before precisions existed)."""
        prov = {
            "backbone": self.spec.name,
            "weights_file": self.weights_path.name if self.weights_path else None,
            "weights_sha256": self.weights_sha256,
            "input": self.input_spec.to_dict(),
            "timesteps": self.spec.timesteps, "features": self.spec.features,
            "revision": self.spec.revision,
        }
        if self.precision != "fp32":
            prov["precision"] = self.precision
        return prov

    def _check(self, clips: torch.Tensor, fps: float | None) -> int:
        if not isinstance(clips, torch.Tensor) or clips.ndim != 5:
            raise ShapeError(f"{self.name}: expected a (N, C, T, H, W) tensor, got "
                             f"{getattr(clips, 'shape', type(clips).__name__)}")
        _, c, t, h, w = clips.shape
        spec = self.input_spec
        if c != spec.channels:
            raise ShapeError(f"{self.name}: {c} channels, the backbone takes {spec.channels}",
                             hint="prepare the clips with this backbone's InputSpec")
        if self.spec.fixed_size and (h, w) != (spec.size, spec.size):
            raise ShapeError(f"{self.name}: frames {h}x{w}, the backbone needs "
                             f"{spec.size}x{spec.size}")
        if not self.spec.min_frames <= t <= spec.frames:
            raise ShapeError(f"{self.name}: {t} frames, the backbone takes "
                             f"{self.spec.min_frames}-{spec.frames} per sample",
                             hint="cut longer clips into samples; drop shorter leftovers")
        return real_timesteps(self.spec, t, fps)

    def __call__(self, clips: torch.Tensor, fps: float | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(N, C, T, H, W)`` ``float32`` -> ``(N, timesteps, F)`` ``float32`` and mask.

        ``fps`` is the clips' frame rate (``None``: 30, the Kinect's); the ``motion``
        backbone measures time with it, the networks ignore it.

        Returns:
            ``features`` with ``-1`` in the first ``timesteps - t`` rows of each sample when
            the clip yields only ``t`` timesteps, and ``mask`` ``(N, timesteps)`` ``bool``
            (``True`` = real timestep). Both on the CPU.
        """
        t_real = self._check(clips, fps)
        n = clips.shape[0]
        with torch.inference_mode():
            x = clips.to(self.device, torch.float32)
            # ONNX sessions are built for full samples only: each new shape costs an export,
            # and the rare short leftovers (10-59 frames) run in torch at the same precision.
            if self.engine == "onnxruntime" and clips.shape[2] == self.input_spec.frames:
                real = self._runner(x)
            else:
                if self.precision == "bf16":  # one copy: channels-last and rounded
                    x = x.to(dtype=torch.bfloat16, memory_format=torch.channels_last_3d)
                elif self.optimized and self.spec.family in ("i3d", "video_resnet"):
                    x = x.contiguous(memory_format=torch.channels_last_3d)
                real = self.network(x, fps)
            real = real.float().cpu()
        if real.shape != (n, t_real, self.features):
            raise ShapeError(f"{self.name}: network gave {tuple(real.shape)}, expected "
                             f"{(n, t_real, self.features)}")
        out = torch.full((n, self.timesteps, self.features), -1.0)
        mask = torch.zeros(n, self.timesteps, dtype=torch.bool)
        out[:, self.timesteps - t_real:] = real
        mask[:, self.timesteps - t_real:] = True
        return out, mask


def make_extractor(spec: BackboneSpec, network: nn.Module, *, optimize: bool = True,
                   engine: Engine = "auto", device: str | torch.device = "cpu",
                   in_channels: int | None = None, weights_path: Path | None = None,
                   weights_sha256: str | None = None,
                   precision: Precision = "fp32") -> FeatureExtractor:
    """Wrap a ready (weights loaded, head removed or ignored) network as an extractor.

    Raises:
        ConfigError: a precision the family, engine or device cannot run
            (:func:`check_precision`), or an engine that is not available.
    """
    device = torch.device(device)
    check_precision(spec.family, precision, optimize=optimize, engine=engine, device=device)
    input_spec = spec.input
    if in_channels is not None and in_channels != spec.input.channels:
        if spec.first_conv is None:
            raise ConfigError(f"{spec.name}: has no first convolution to adapt to "
                              f"{in_channels} channels")
        adapt_input_conv(network, spec.first_conv, in_channels)
        input_spec = replace(input_spec, channels=in_channels)
    elif in_channels is not None and spec.first_conv is None:
        input_spec = replace(input_spec, channels=in_channels)
    feature_net = FeatureNet(spec.family, network).eval()
    chosen = "torch"
    if optimize and spec.family != "motion":
        feature_net = _prepare_optimised(feature_net, precision)
        if engine != "torch" and device.type == "cpu" and precision == "fp32":
            try:
                import onnxruntime  # noqa: F401
                chosen = "onnxruntime"
            except ImportError as err:
                if engine == "onnxruntime":
                    raise ConfigError("engine 'onnxruntime' asked but not installed",
                                      hint="pip install 'ictal[onnx]'") from err
                log.info("onnxruntime not installed; running the optimised network in torch")
    elif engine == "onnxruntime":
        raise ConfigError("engine 'onnxruntime' needs optimize=True and a non-motion backbone")
    feature_net = feature_net.to(device)
    runner = _OnnxRunner(feature_net, torch.get_num_threads()) if chosen == "onnxruntime" else None
    return FeatureExtractor(spec=spec, input_spec=input_spec, network=feature_net,
                            device=device, weights_path=weights_path,
                            weights_sha256=weights_sha256,
                            optimized=optimize and spec.family != "motion", engine=chosen,
                            precision=precision, _runner=runner)


def build_network(spec: BackboneSpec, *, num_classes: int | None = None) -> nn.Module:
    """The untrained network of ``spec`` with its checkpoint's head size."""
    classes = num_classes if num_classes is not None else (
        spec.checkpoint.num_classes if spec.checkpoint else 0)
    return spec.resolve_builder()(classes)


def remove_head(spec: BackboneSpec, network: nn.Module) -> None:
    """Drop the classification head of a built network (its keys leave the state dict)."""
    if spec.family == "i3d":
        network.logits = None
    elif spec.family in ("video_resnet", "resnet2d"):
        network.fc = nn.Identity()


def load_backbone(name: str, *, weights: Path | None = None,
                  registry: BackboneRegistry | None = None, device: str = "cpu",
                  pretrained: bool = True, weights_dir: Path | None = None,
                  in_channels: int | None = None, optimize: bool = True,
                  engine: Engine = "auto", seed: int = 0,
                  precision: Precision = "fp32") -> FeatureExtractor:
    """Build a ready feature extractor for the registered backbone ``name``.

    Args:
        name: registry key (``ictal backbones`` lists them).
        weights: checkpoint file; default: the spec's file in ``weights_dir``.
        registry: defaults to :func:`~ictal.backbones.registry.default_registry`.
        device: torch device.
        pretrained: ``False`` builds seeded random weights (tests, benchmarks) and reads no file.
        weights_dir: default ``$ICTAL_WEIGHTS_DIR`` or ``~/.cache/ictal/weights``.
        in_channels: 1 adapts the first convolution to infrared (sum over RGB kernels).
        optimize: folded BN, channels-last, ONNX Runtime where available (same numbers).
        engine: ``"auto"``, ``"torch"`` or ``"onnxruntime"`` for the optimised path.
        seed: seed of the random weights when ``pretrained=False`` (the conformance recipe,
            :func:`~ictal.backbones.checkpoints.random_state_dict`).
        precision: ``"fp32"`` (default: the reference ports' numbers) or ``"bf16"`` (I3D on
            a CPU with oneDNN bfloat16 kernels; faster, features within the measured
            tolerance, recorded in :meth:`FeatureExtractor.provenance`).

    Raises:
        CheckpointError: the checkpoint is missing, has the wrong hash or the wrong layout.
        ConfigError: a precision this backbone, engine or device cannot run (checked before
            the weights are read).
    """
    spec = (registry if registry is not None else default_registry()).get(name)
    check_precision(spec.family, precision, optimize=optimize, engine=engine,
                    device=torch.device(device))
    path = digest = None
    if spec.checkpoint is None:
        network = build_network(spec)
    elif not pretrained:
        network = build_network(spec)
        remove_head(spec, network)
        network.load_state_dict(random_state_dict(network, seed))
        log.info("%s: random weights (seed %d), no checkpoint", spec.name, seed)
    else:
        path = find_checkpoint(spec, weights, weights_dir)
        digest = verify_checkpoint(spec, path)
        state = drop_head(read_state_dict(path))
        network = build_network(spec)
        remove_head(spec, network)
        load_strict(network, state, source=str(path))
        record_checkpoint_hash(spec, path, digest)
        log.info("%s: loaded %s (sha256 %s)", spec.name, path, digest[:12])
    network.eval()
    return make_extractor(spec, network, optimize=optimize, engine=engine, device=device,
                          in_channels=in_channels, weights_path=path, weights_sha256=digest,
                          precision=precision)
