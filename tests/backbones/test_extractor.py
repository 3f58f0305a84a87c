"""``load_backbone`` / ``FeatureExtractor``: one contract for every registered backbone, and
the optimised paths kept conformant with the reference ports."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from numpy.testing import assert_allclose

from ictal.backbones import default_registry, load_backbone
from ictal.backbones.extractor import (
    FeatureNet,
    build_network,
    make_extractor,
    real_timesteps,
    remove_head,
)
from ictal.backbones.motion import motion_features
from ictal.errors import ShapeError

REGISTRY = default_registry()
# More than ~3 s on a 2-core machine (full-size samples; the optimised path adds an ONNX export).
SLOW = {"i3d", "wide_resnet50_2", "r2plus1d_34_8", "r2plus1d_34_32"}
SLOW_OPTIMISED = SLOW | {"mc3_18", "r3d_18"}


def _clip(spec, frames: int, n: int = 2, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    s = spec.input
    return torch.rand(n, s.channels, frames, s.size, s.size, generator=g) * 2 - 1


def _contract(name: str, optimize: bool) -> None:
    spec = REGISTRY.get(name)
    extractor = load_backbone(name, pretrained=False, optimize=optimize)
    assert extractor.timesteps == spec.timesteps and extractor.features == spec.features
    full = _clip(spec, spec.input.frames)
    features, mask = extractor(full)
    assert features.shape == (2, spec.timesteps, spec.features)
    assert features.dtype == torch.float32 and mask.dtype == torch.bool
    assert mask.shape == (2, spec.timesteps) and bool(mask.all())
    assert torch.isfinite(features).all()
    assert not torch.allclose(features[0], features[1])  # the input matters
    # each sample is processed independently of its batch, and deterministically
    alone, _ = extractor(full[1:])
    assert_allclose(alone[0].numpy(), features[1].numpy(), rtol=0, atol=1e-5)
    assert torch.equal(alone, extractor(full[1:])[0])
    short = spec.min_frames + 1
    real = real_timesteps(spec, short)
    if short < spec.input.frames and real < spec.timesteps:  # fewer real steps: -1 pre-padding
        f_short, m_short = extractor(_clip(spec, short, n=1))
        assert m_short.tolist() == [[False] * (spec.timesteps - real) + [True] * real]
        assert (f_short[0, :-real] == -1).all() and (f_short[0, -real:] != -1).any()
    with pytest.raises(ShapeError):
        extractor(_clip(spec, spec.input.frames + 1))
    with pytest.raises(ShapeError):
        extractor(full[:, :1] if spec.input.channels == 3 else full.repeat(1, 3, 1, 1, 1))


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in REGISTRY.names()
])
def test_every_backbone_keeps_the_contract(name: str) -> None:
    _contract(name, optimize=False)


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.slow) if n in SLOW_OPTIMISED else n
    for n in REGISTRY.names()
])
def test_every_backbone_keeps_the_contract_optimised(name: str) -> None:
    _contract(name, optimize=True)


@pytest.mark.parametrize("optimize", [False, True])
def test_i3d_checkpoint_file_gives_the_reference_features(optimize, tmp_path: Path,
                                                          random_state_dict, reference_input,
                                                          expected) -> None:
    """Strict loading from a file in the weights dir, head dropped, -1 pre-padding to 7."""
    torch.save(random_state_dict("i3d"), tmp_path / "rgb_imagenet.pt")
    extractor = load_backbone("i3d", weights_dir=tmp_path, optimize=optimize)
    assert extractor.engine == ("onnxruntime" if optimize else "torch")
    features, mask = extractor(reference_input(1, 3, 16, 224, 224))
    ref = expected("i3d")["x16_features"][:, :, :, 0, 0].transpose(0, 2, 1)  # (1, 1, 1024)
    assert mask.tolist() == [[False] * 6 + [True]]
    assert (features[0, :6] == -1).all()
    assert_allclose(features[:, 6:].numpy(), ref, rtol=0, atol=1e-5)
    assert extractor.weights_sha256 is not None
    assert (tmp_path / "rgb_imagenet.pt.sha256").read_text().startswith(extractor.weights_sha256)
    assert extractor.provenance()["weights_sha256"] == extractor.weights_sha256


@pytest.mark.slow
def test_i3d_optimised_full_sample_matches_the_reference(random_state_dict, reference_input,
                                                         expected) -> None:
    spec = REGISTRY.get("i3d")
    network = build_network(spec)
    network.load_state_dict(random_state_dict("i3d"))
    remove_head(spec, network)
    ref = expected("i3d")["x60_features"][:, :, :, 0, 0].transpose(0, 2, 1)
    x = reference_input(1, 3, 60, 224, 224)
    for engine in ("torch", "onnxruntime"):
        extractor = make_extractor(spec, network.eval(), optimize=True, engine=engine)
        features, mask = extractor(x)
        assert mask.all()
        assert_allclose(features.numpy(), ref, rtol=0, atol=1e-5)


@pytest.mark.parametrize("engine", ["torch", "onnxruntime"])
def test_r2plus1d_optimised_engines_match_the_reference(engine, random_state_dict,
                                                        reference_input, expected) -> None:
    spec = REGISTRY.get("r2plus1d_18")
    spec = replace(spec, input=replace(spec.input, frames=8))  # the ONNX path runs full samples
    network = build_network(spec)
    network.load_state_dict(random_state_dict("r2plus1d_18"))
    remove_head(spec, network)
    extractor = make_extractor(spec, network.eval(), optimize=True, engine=engine)
    features, mask = extractor(reference_input(1, 3, 8, 112, 112))
    assert extractor.engine == engine and mask.all()
    assert_allclose(features[:, 0].numpy(), expected("r2plus1d_18")["x8_features"],
                    rtol=0, atol=1e-5)


def test_resnet2d_runs_per_frame(random_state_dict, reference_input, expected) -> None:
    spec = REGISTRY.get("resnet34")
    network = build_network(spec)
    network.load_state_dict(random_state_dict("resnet34"))
    net = FeatureNet("resnet2d", network.eval())
    frames = reference_input(2, 3, 224, 224)  # two frames as one (1, 3, 2, H, W) clip
    with torch.no_grad():
        out = net(frames.transpose(0, 1).unsqueeze(0))
    assert out.shape == (1, 2, 512)
    assert_allclose(out[0].numpy(), expected("resnet2d")["resnet34_x2d_features"],
                    rtol=0, atol=1e-4)


def test_infrared_adaptation_equals_grey_repeated_to_rgb() -> None:
    rgb = load_backbone("r2plus1d_18", pretrained=False, optimize=False, seed=3)
    ir = load_backbone("r2plus1d_18", pretrained=False, optimize=False, seed=3, in_channels=1)
    assert ir.input_spec.channels == 1
    assert ir.network.network.stem[0].weight.shape[1] == 1
    grey = torch.rand(1, 1, 4, 64, 64) * 2 - 1
    f_ir, _ = ir(grey)
    f_rgb, _ = rgb(grey.repeat(1, 3, 1, 1, 1))
    assert_allclose(f_ir.numpy(), f_rgb.numpy(), rtol=0, atol=1e-5)
    assert not torch.allclose(f_ir, rgb(torch.rand(1, 3, 4, 64, 64))[0])


def test_i3d_refuses_other_sizes_and_too_short_clips() -> None:
    extractor = load_backbone("i3d", pretrained=False, optimize=False)
    with pytest.raises(ShapeError, match="224x224"):
        extractor(torch.zeros(1, 3, 16, 112, 112))
    with pytest.raises(ShapeError, match="frames"):
        extractor(torch.zeros(1, 3, 8, 224, 224))


def test_the_motion_extractor_is_told_the_frame_rate() -> None:
    """A 2 s sample at 25 fps (50 frames) fills every timestep of the motion backbone, and
    the frame rate reaches its spectrum."""
    extractor = load_backbone("motion")
    g = torch.Generator().manual_seed(0)
    clips = torch.rand(2, 3, 50, 112, 112, generator=g) * 2 - 1
    feats, mask = extractor(clips, fps=25.0)
    assert mask.all() and feats.shape == (2, 8, extractor.features)
    _, mask30 = extractor(clips)  # read at 30 fps, 50 frames are 1.67 s: 7 timesteps
    assert mask30.sum(1).tolist() == [7, 7]
    torch.testing.assert_close(feats, motion_features(clips, 25.0))
