"""Checkpoint lookup, hashes, strict loading with clear messages, weight surgery."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from ictal.backbones import default_registry, load_backbone
from ictal.backbones.checkpoints import (
    adapt_input_conv,
    drop_head,
    find_checkpoint,
    load_strict,
    read_state_dict,
    record_checkpoint_hash,
    verify_checkpoint,
)
from ictal.backbones.registry import BackboneRegistry, CheckpointSpec
from ictal.backbones.video_resnet import mc3_18, r3d_18
from ictal.errors import CheckpointError

REGISTRY = default_registry()


def test_missing_checkpoint_says_which_file_from_where_and_where(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError) as info:
        load_backbone("r2plus1d_34_8", weights_dir=tmp_path)
    text = str(info.value)
    assert "r2plus1d_34_clip8_ft_kinetics_from_ig65m-0aa0550b.pth" in text
    assert "github.com/moabitcoin/ig65m-pytorch" in text and str(tmp_path) in text
    with pytest.raises(CheckpointError, match=r"nope\.pt"):
        find_checkpoint(REGISTRY.get("i3d"), weights=tmp_path / "nope.pt")


def test_weights_dir_comes_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ICTAL_WEIGHTS_DIR", str(tmp_path))
    (tmp_path / "rgb_imagenet.pt").write_bytes(b"x")
    assert find_checkpoint(REGISTRY.get("i3d")) == tmp_path / "rgb_imagenet.pt"


def _save_layout(model: torch.nn.Module, path: Path, **edits) -> Path:
    state = model.state_dict()
    state.update(edits)
    torch.save(state, path)
    return path


def test_r3d_and_mc3_checkpoints_load_strictly_and_drop_their_head(tmp_path: Path) -> None:
    for name, build in (("r3d_18", r3d_18), ("mc3_18", mc3_18)):
        torch.manual_seed(1)
        model = build().eval()
        path = _save_layout(model, tmp_path / f"{name}.pth")
        extractor = load_backbone(name, weights=path, optimize=False)
        x = torch.rand(1, 3, 4, 32, 32)
        with torch.no_grad():
            ref = model.extract_features(x)
        torch.testing.assert_close(extractor(x)[0][:, 0], ref, rtol=0, atol=1e-6)


def test_layout_mismatch_lists_missing_unexpected_and_shapes(tmp_path: Path) -> None:
    state = mc3_18().state_dict()
    state.pop("layer1.0.conv1.1.weight")
    state["layer9.extra"] = torch.zeros(3)
    state["layer2.0.conv1.0.weight"] = torch.zeros(128, 64, 3, 3, 3)  # mc3: (1,3,3) expected
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError) as info:
        load_backbone("r3d_18", weights=path)  # an MC3 file given for R3D
    text = str(info.value)
    assert "missing keys (1)" in text and "layer1.0.conv1.1.weight" in text
    assert "unexpected keys (1)" in text and "layer9.extra" in text
    assert "shape mismatches" in text and "layer3.0.conv1.0.weight" in text


def test_old_checkpoints_without_batch_counters_load(caplog) -> None:
    model = r3d_18()
    state = {k: v for k, v in model.state_dict().items() if "num_batches_tracked" not in k}
    with caplog.at_level(logging.INFO):
        model.fc = torch.nn.Identity()
        load_strict(model, drop_head(state), source="old.pt")
    assert "num_batches_tracked" in caplog.text
    assert "dropping the classification head" in caplog.text


def test_wrapped_and_data_parallel_state_dicts_are_unwrapped(tmp_path: Path) -> None:
    state = {"module.a": torch.zeros(2), "module.b": torch.ones(1)}
    torch.save({"state_dict": state, "epoch": 3}, tmp_path / "w.pth")
    assert set(read_state_dict(tmp_path / "w.pth")) == {"a", "b"}
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"junk\.pth"):
        read_state_dict(tmp_path / "junk.pth")


def test_hash_is_recorded_on_first_use_and_checked_after(tmp_path: Path) -> None:
    spec = REGISTRY.get("i3d")
    path = tmp_path / spec.checkpoint.file
    path.write_bytes(b"first")
    digest = verify_checkpoint(spec, path)
    assert digest == hashlib.sha256(b"first").hexdigest()
    assert not (tmp_path / "rgb_imagenet.pt.sha256").exists()  # recorded only once loaded
    record_checkpoint_hash(spec, path, digest)
    assert verify_checkpoint(spec, path) == digest
    path.write_bytes(b"second")
    with pytest.raises(CheckpointError, match="recorded"):
        verify_checkpoint(spec, path)
    with pytest.raises(CheckpointError, match="recorded"):  # and load_backbone refuses it
        load_backbone("i3d", weights_dir=tmp_path)


def test_published_hashes_are_checked(tmp_path: Path) -> None:
    spec = REGISTRY.get("r2plus1d_18")
    path = tmp_path / spec.checkpoint.file
    path.write_bytes(b"some other file")
    with pytest.raises(CheckpointError, match="91a641e6"):
        verify_checkpoint(spec, path)
    full = replace(spec, checkpoint=CheckpointSpec(file="f.pt", url="u", num_classes=1,
                                                   sha256="0" * 64))
    (tmp_path / "f.pt").write_bytes(b"x")
    with pytest.raises(CheckpointError, match="published"):
        verify_checkpoint(full, tmp_path / "f.pt")
    ok = replace(full, checkpoint=replace(full.checkpoint,
                                          sha256=hashlib.sha256(b"x").hexdigest()))
    assert verify_checkpoint(ok, tmp_path / "f.pt") == ok.checkpoint.sha256
    assert BackboneRegistry([ok]).get(ok.name) is ok


def test_adapt_input_conv_sums_rgb_kernels(caplog) -> None:
    model = r3d_18()
    rgb = model.stem[0].weight.detach().clone()
    with caplog.at_level(logging.INFO):
        adapt_input_conv(model, "stem.0", 1)
    assert model.stem[0].weight.shape == (64, 1, 3, 7, 7)
    torch.testing.assert_close(model.stem[0].weight.detach(), rgb.sum(1, keepdim=True))
    assert "adapted stem.0 to 1 input channel" in caplog.text
    with pytest.raises(CheckpointError):
        adapt_input_conv(r3d_18(), "stem.0", 2)


def test_legacy_serialisation_without_counters_loads_through_load_backbone(
        tmp_path: Path) -> None:
    """PyTorch 0.3-era files (non-zip pickle, no num_batches_tracked), like rgb_imagenet.pt."""
    torch.manual_seed(4)
    model = mc3_18().eval()
    state = {k: v.half() for k, v in model.state_dict().items()
             if "num_batches_tracked" not in k}
    path = tmp_path / "mc3_old.pth"
    torch.save(state, path, _use_new_zipfile_serialization=False)
    extractor = load_backbone("mc3_18", weights=path, optimize=False)
    assert extractor.weights_path == path
    features, mask = extractor(torch.rand(1, 3, 2, 32, 32))
    assert features.shape == (1, 1, 512) and mask.all()


def test_a_checkpoint_with_nan_or_inf_weights_is_refused_naming_the_keys(tmp_path: Path) -> None:
    torch.manual_seed(2)
    model = r3d_18().eval()
    state = model.state_dict()
    state["stem.0.weight"][0, 0, 0, 0, 0] = float("nan")
    state["layer1.0.conv1.0.weight"][:2] = float("inf")
    path = tmp_path / "diverged.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError) as info:
        load_backbone("r3d_18", weights=path, optimize=False)
    text = str(info.value)
    assert "diverged.pth" in text and "NaN or infinite" in text
    assert "stem.0.weight (1 of" in text and "layer1.0.conv1.0.weight" in text
    # a refused file gets no hash record: it never loaded
    assert not path.with_name(path.name + ".sha256").exists()
    state["stem.0.weight"][0, 0, 0, 0, 0] = 0.0
    state["layer1.0.conv1.0.weight"][:2] = 0.0
    torch.save(state, path)
    assert load_backbone("r3d_18", weights=path, optimize=False).weights_path == path
