"""Finding, verifying and loading checkpoints; weight surgery (logged).

A checkpoint is a file the user obtained (never downloaded here). Loading is strict: the state
dict must have exactly the reference layout, apart from the classification head, which is
dropped, and ``num_batches_tracked`` counters, which old (PyTorch 0.3) checkpoints lack.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from ictal.backbones.registry import (
    WEIGHTS_DIR_ENV,
    BackboneSpec,
    CheckpointSpec,
    weights_dir,
)
from ictal.errors import CheckpointError
from ictal.fsutil import write_text_atomic

log = logging.getLogger(__name__)

HEAD_PREFIXES = ("logits.", "fc.")
_WRAPPER_KEYS = ("state_dict", "model", "model_state_dict")


def sha256_file(path: Path, *, chunk: int = 1 << 22) -> str:
    """Hex SHA-256 of a file, read in 4 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _checkpoint_of(spec: BackboneSpec) -> CheckpointSpec:
    if spec.checkpoint is None:
        raise CheckpointError(f"backbone {spec.name!r} has no checkpoint (it is weight-free)")
    return spec.checkpoint


def _where_to_get(spec: BackboneSpec, directory: Path) -> str:
    ckpt = _checkpoint_of(spec)
    return (f"get {ckpt.file} from {ckpt.url} and put it in {directory} "
            f"(or set ${WEIGHTS_DIR_ENV}, or pass --weights PATH)")


def find_checkpoint(spec: BackboneSpec, weights: Path | None = None,
                    directory: Path | None = None) -> Path:
    """The checkpoint file of ``spec``: ``weights`` if given, else the weights directory's.

    Raises:
        CheckpointError: the file does not exist (the message says which file, from where, and
            where to put it).
    """
    ckpt = _checkpoint_of(spec)
    directory = directory if directory is not None else weights_dir()
    path = Path(weights).expanduser() if weights is not None else directory / ckpt.file
    if not path.is_file():
        raise CheckpointError(f"checkpoint of {spec.name!r} not found: {path}",
                              hint=_where_to_get(spec, directory))
    return path


def verify_checkpoint(spec: BackboneSpec, path: Path) -> str:
    """Check ``path``'s SHA-256 against the spec or the hash recorded on first use.

    Known full hashes and torch-hub file-name prefixes are checked for files with the spec's
    file name. When no full hash is published, the hash of the first file that loads correctly
    is recorded in ``<file>.sha256`` beside it (:func:`record_checkpoint_hash`) and every later
    load must match that record.

    Returns:
        The file's hex SHA-256 (it goes into feature provenance).

    Raises:
        CheckpointError: the hash does not match.
    """
    ckpt = _checkpoint_of(spec)
    digest = sha256_file(path)
    fix = _where_to_get(spec, path.parent)
    if path.name == ckpt.file:
        if ckpt.sha256 is not None and digest != ckpt.sha256:
            raise CheckpointError(
                f"{path}: sha256 {digest} differs from the published {ckpt.sha256}",
                hint=f"the file is damaged or another version; {fix}")
        if ckpt.hash_prefix is not None and not digest.startswith(ckpt.hash_prefix):
            raise CheckpointError(
                f"{path}: sha256 {digest[:16]}... does not start with {ckpt.hash_prefix} "
                "(the hash prefix in its published file name)",
                hint=f"the file is damaged or another version; {fix}")
    record = path.with_name(path.name + ".sha256")
    if record.is_file():
        recorded = record.read_text(encoding="utf-8").split()[0]
        if recorded != digest:
            raise CheckpointError(
                f"{path}: sha256 {digest} differs from {recorded} recorded in {record} on first "
                "use", hint=f"restore the original file or delete {record} to accept this one")
    return digest


def record_checkpoint_hash(spec: BackboneSpec, path: Path, digest: str) -> None:
    """Record ``digest`` in ``<file>.sha256`` beside a checkpoint that loaded correctly.

    Only when no full hash is published and nothing is recorded yet; later loads are checked
    against the record by :func:`verify_checkpoint`. A read-only directory is logged, not fatal.
    """
    record = path.with_name(path.name + ".sha256")
    if _checkpoint_of(spec).sha256 is not None or record.exists():
        return
    try:
        write_text_atomic(record, f"{digest}  {path.name}\n")
        log.info("recorded sha256 %s of %s in %s", digest, path, record)
    except OSError as err:
        log.warning("could not record the sha256 of %s in %s: %s", path, record, err)


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Load a state dict saved with ``torch.save`` (tensors only, ``weights_only=True``).

    Accepts a bare state dict or one wrapped under ``state_dict`` / ``model``; strips a
    ``module.`` prefix left by ``DataParallel`` (both logged).
    """
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for damaged / foreign files
        raise CheckpointError(f"{path}: cannot be read as a PyTorch state dict: {err}",
                              hint="check that the file is complete and is a .pt/.pth") from err
    for key in _WRAPPER_KEYS:
        if isinstance(obj, Mapping) and key in obj and isinstance(obj[key], Mapping):
            log.info("%s: using the state dict stored under %r", path, key)
            obj = obj[key]
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{path}: does not hold a state dict of tensors")
    state = dict(obj)
    if state and all(k.startswith("module.") for k in state):
        log.info("%s: stripping the 'module.' prefix (DataParallel checkpoint)", path)
        state = {k.removeprefix("module."): v for k, v in state.items()}
    check_finite(state, source=str(path))
    return state


def check_finite(state: Mapping[str, torch.Tensor], *, source: str) -> None:
    """Refuse a state dict holding NaN or infinite values (they would fill a store with NaN).

    Raises:
        CheckpointError: naming ``source`` and the first offending keys with their counts.
    """
    bad = []
    for key, tensor in state.items():
        if tensor.is_floating_point() or tensor.is_complex():
            n = int((~torch.isfinite(tensor)).sum())
            if n:
                bad.append(f"{key} ({n} of {tensor.numel()} values)")
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more tensors" if len(bad) > 5 else "")
        raise CheckpointError(
            f"{source}: the weights hold NaN or infinite values: {shown}",
            hint="the file is damaged or was saved from a diverged training run; use the public "
                 "checkpoint named in `ictal backbones`, or re-export a healthy one")


def drop_head(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Remove the classification head (``logits.*`` / ``fc.*``) from a state dict (logged)."""
    head = [k for k in state if k.startswith(HEAD_PREFIXES)]
    if head:
        shapes = ", ".join(f"{k} {tuple(state[k].shape)}" for k in head)
        log.info("dropping the classification head: %s", shapes)
    return {k: v for k, v in state.items() if k not in head}


def load_strict(model: nn.Module, state: dict[str, torch.Tensor], *, source: str) -> None:
    """Load ``state`` into ``model`` requiring the exact layout (keys and shapes).

    Missing ``num_batches_tracked`` counters (PyTorch 0.3 checkpoints) are filled with 0 and
    logged; floating tensors are cast to the model's dtype (fp16 checkpoints upcast).

    Raises:
        CheckpointError: listing missing keys, unexpected keys and shape mismatches.
    """
    expected = model.state_dict()
    state = dict(state)
    counters = [k for k in expected if k.endswith("num_batches_tracked") and k not in state]
    if counters:
        log.info("%s: %d num_batches_tracked counters absent (old checkpoint); set to 0",
                 source, len(counters))
        for k in counters:
            state[k] = torch.zeros((), dtype=torch.long)
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    mismatched = [f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}"
                  for k, v in expected.items() if k in state and state[k].shape != v.shape]
    if missing or unexpected or mismatched:
        parts = []
        for title, items in (("missing keys", missing), ("unexpected keys", unexpected),
                             ("shape mismatches", mismatched)):
            if items:
                shown = "\n".join(f"    {i}" for i in items[:20])
                more = f"\n    ... and {len(items) - 20} more" if len(items) > 20 else ""
                parts.append(f"  {title} ({len(items)}):\n{shown}{more}")
        raise CheckpointError(
            f"{source}: state-dict layout does not match the network\n" + "\n".join(parts),
            hint="use the public checkpoint named in `ictal backbones` for this backbone")
    model.load_state_dict(state, strict=True)


def adapt_input_conv(model: nn.Module, path: str, in_channels: int) -> None:
    """Replace the first convolution by one taking ``in_channels`` channels (logged).

    For 1-channel infrared the RGB kernels are summed over their input channels (timm's
    ``adapt_input_conv``): a grey frame repeated to 3 channels gives the same response.
    """
    parent_path, _, attr = path.rpartition(".")
    parent = model.get_submodule(parent_path)
    conv = parent.get_submodule(attr)
    if not isinstance(conv, nn.Conv2d | nn.Conv3d):
        raise TypeError(f"{path} is not a convolution: {type(conv).__name__}")
    if conv.in_channels == in_channels:
        return
    if in_channels != 1:
        raise CheckpointError(f"cannot adapt {path} from {conv.in_channels} to {in_channels} "
                              "input channels", hint="use 1 (infrared) or 3 (RGB) channels")
    new = type(conv)(1, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                     conv.dilation, conv.groups, conv.bias is not None)
    with torch.no_grad():
        new.weight.copy_(conv.weight.sum(1, keepdim=True))
        if conv.bias is not None:
            new.bias.copy_(conv.bias)
    setattr(parent, attr, new)  # also right for Sequential children named "0", "1", ...
    log.info("adapted %s to 1 input channel (summed %d RGB kernels)", path, conv.in_channels)


def random_state_dict(model: nn.Module, seed: int) -> dict[str, torch.Tensor]:
    """Seeded random weights for ``model`` following the conformance recipe (float32).

    Walks the state dict in order after ``torch.manual_seed(seed)``: conv / linear weights
    ``randn * fan_in**-0.5``, BN gamma ``rand + 0.5``, biases ``randn * 0.1``, running means
    ``randn * 0.1``, running variances ``rand + 0.5``, counters 0
    (tests/data/conformance/README.md). Unlike PyTorch's default init this keeps deep
    activations of order 1, so tests and benchmarks exercise realistic magnitudes.
    """
    generator = torch.Generator().manual_seed(seed)
    state: dict[str, torch.Tensor] = {}
    for key, value in model.state_dict().items():
        shape = value.shape
        if key.endswith("num_batches_tracked"):
            state[key] = torch.zeros((), dtype=torch.long)
        elif key.endswith("running_mean"):
            state[key] = torch.randn(shape, generator=generator) * 0.1
        elif key.endswith("running_var"):
            state[key] = torch.rand(shape, generator=generator) + 0.5
        elif key.endswith("weight") and len(shape) >= 2:
            state[key] = torch.randn(shape, generator=generator) * shape[1:].numel() ** -0.5
        elif key.endswith("weight"):
            state[key] = torch.rand(shape, generator=generator) + 0.5
        else:
            state[key] = torch.randn(shape, generator=generator) * 0.1
    return state
