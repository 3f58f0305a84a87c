"""Reduced precision (``precision="bf16"``): fp32 stays the default and unchanged, bf16 stays
within its documented tolerance of fp32, its exact rewrites (separable max-pool, fused conv +
ReLU) are exact, and what cannot run bf16 is refused."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from PIL import Image, ImageSequence

from ictal.backbones import default_registry, load_backbone
from ictal.backbones.extractor import (
    FeatureNet,
    _prepare_optimised,
    build_network,
    make_extractor,
    remove_head,
)
from ictal.backbones.i3d import MaxPool3dSame, Unit3D
from ictal.errors import ConfigError

SPEC = default_registry().get("i3d")
needs_bf16 = pytest.mark.skipif(not torch.ops.mkldnn._is_mkldnn_bf16_supported(),
                                reason="this CPU's oneDNN has no bfloat16 kernels")

#: The documented tolerance (README, Bringing real checkpoints): raw cosine similarity of a
#: bf16 feature row to its fp32 row, on seeded random weights.
MIN_COSINE = 0.9999
#: Cosine after removing the fp32 mean row (the part every input shares) on the UCF-101 clip.
MIN_CENTRED_COSINE = 0.99


def _conformance_network(random_state_dict) -> torch.nn.Module:
    network = build_network(SPEC)
    network.load_state_dict(random_state_dict("i3d"))
    remove_head(SPEC, network)
    return network.eval()


def test_fp32_is_the_default_and_keeps_its_path_and_provenance() -> None:
    default = load_backbone("i3d", pretrained=False, engine="torch")
    explicit = load_backbone("i3d", pretrained=False, engine="torch", precision="fp32")
    assert default.precision == "fp32" and "precision" not in default.provenance()
    assert default.provenance() == explicit.provenance()
    modules = list(default.network.modules())
    assert not any(m.fused for m in modules if isinstance(m, Unit3D))
    assert not any(m.separable for m in modules if isinstance(m, MaxPool3dSame))
    assert all(p.dtype == torch.float32 for p in default.network.parameters())
    x = torch.rand(1, 3, 16, 224, 224, generator=torch.Generator().manual_seed(1)) * 2 - 1
    assert torch.equal(default(x)[0], explicit(x)[0])


@needs_bf16
def test_bf16_stays_within_the_tolerance_of_the_reference(random_state_dict, reference_input,
                                                          expected) -> None:
    """Conformance weights and input (16 frames, one timestep): close to the port's fp32
    features, but not equal to them (the path really runs in bf16)."""
    extractor = make_extractor(SPEC, _conformance_network(random_state_dict), precision="bf16")
    assert extractor.engine == "torch" and extractor.precision == "bf16"
    assert extractor.provenance()["precision"] == "bf16"
    assert all(p.dtype == torch.bfloat16 for p in extractor.network.parameters())
    features, mask = extractor(reference_input(1, 3, 16, 224, 224))
    assert features.dtype == torch.float32 and mask.tolist() == [[False] * 6 + [True]]
    assert (features[0, :6] == -1).all()
    got = features[0, 6:].double()
    ref = torch.from_numpy(expected("i3d")["x16_features"][:, :, 0, 0, 0]).double()  # (1, 1024)
    assert torch.nn.functional.cosine_similarity(got, ref).item() >= MIN_COSINE
    diff = (got - ref).abs().max().item()
    assert 1e-5 < diff < 2e-2


@needs_bf16
def test_bf16_is_batch_independent_and_deterministic() -> None:
    extractor = load_backbone("i3d", pretrained=False, precision="bf16")
    x = torch.rand(2, 3, 16, 224, 224, generator=torch.Generator().manual_seed(2)) * 2 - 1
    both, _ = extractor(x)
    alone, _ = extractor(x[1:])
    assert_allclose(alone[0].numpy(), both[1].numpy(), rtol=0, atol=1e-3)
    assert torch.equal(alone, extractor(x[1:])[0])
    assert not torch.allclose(both[0], both[1])


@pytest.mark.slow
@needs_bf16
def test_bf16_features_of_a_real_clip_stay_close_to_fp32(data_dir) -> None:
    """The UCF-101 cricket clip, two 60-frame windows, seeded random weights: every feature
    row within the cosine bounds of its fp32 row, before and after removing the mean row."""
    with Image.open(data_dir / "samples" / "v_CricketShot_g04_c01_rgb.gif") as gif:
        frames = np.stack([np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)])
    clip = torch.from_numpy(frames).permute(3, 0, 1, 2).float() / 127.5 - 1
    x = torch.stack([clip[:, :60], clip[:, 19:79]])
    ref, mask = load_backbone("i3d", pretrained=False, engine="torch")(x)
    low, _ = load_backbone("i3d", pretrained=False, precision="bf16")(x)
    ref, low = ref[mask].double(), low[mask].double()
    cos = torch.nn.functional.cosine_similarity
    mean = ref.mean(0, keepdim=True)
    assert cos(ref, low).min().item() >= MIN_COSINE
    assert cos(ref - mean, low - mean).min().item() >= MIN_CENTRED_COSINE
    assert (low - ref).abs().max().item() > 1e-5


def test_separable_max_pool_equals_the_padded_pool() -> None:
    """Every pool of I3D, odd and even sizes, fp32 and bf16, inputs >= 0 (after a ReLU)."""
    g = torch.Generator().manual_seed(0)
    pools = [((1, 3, 3), (1, 2, 2)), ((3, 3, 3), (1, 1, 1)), ((3, 3, 3), (2, 2, 2)),
             ((2, 2, 2), (2, 2, 2))]
    for (kernel, stride), size, dtype in itertools.product(
            pools, itertools.product([1, 2, 5], [3, 6, 7], [2, 9]),
            [torch.float32, torch.bfloat16]):
        x = torch.relu(torch.randn(2, 4, *size, generator=g)).to(dtype)
        x = x.contiguous(memory_format=torch.channels_last_3d)
        pool = MaxPool3dSame(kernel, stride)
        ref = pool(x)
        pool.separable = True
        assert torch.equal(pool(x), ref), (kernel, stride, size, dtype)


@pytest.mark.parametrize(("kernel", "stride", "size"), [
    ((7, 7, 7), (2, 2, 2), (10, 12, 12)), ((3, 3, 3), (1, 1, 1), (5, 6, 7)),
    ((1, 1, 1), (1, 1, 1), (4, 5, 5)),
])
def test_fused_conv_relu_equals_the_padded_conv(kernel, stride, size) -> None:
    """In fp32 the fused oneDNN call gives the port's conv -> ReLU (asymmetric SAME padding
    included) to rounding."""
    torch.manual_seed(0)
    unit = Unit3D(3, 8, kernel, stride, batch_norm=False, bias=True).eval()
    x = torch.randn(2, 3, *size).contiguous(memory_format=torch.channels_last_3d)
    with torch.inference_mode():
        ref = unit(x)
        unit.fused = True
        got = unit(x)
    assert_allclose(got.numpy(), ref.numpy(), rtol=0, atol=1e-5)
    assert (got >= 0).all()


@pytest.mark.parametrize(("name", "kwargs", "match"), [
    ("motion", {}, "only the i3d backbone"),
    ("r2plus1d_18", {}, "only the i3d backbone"),
    ("i3d", {"engine": "onnxruntime"}, "runs the optimised network in torch"),
    ("i3d", {"optimize": False}, "runs the optimised network in torch"),
])
def test_what_cannot_run_bf16_is_refused(name, kwargs, match) -> None:
    with pytest.raises(ConfigError, match=match):
        load_backbone(name, pretrained=False, precision="bf16", **kwargs)


def test_an_unknown_precision_is_refused() -> None:
    with pytest.raises(ConfigError, match="expected one of fp32, bf16"):
        load_backbone("i3d", pretrained=False, precision="int8")


def test_the_bf16_network_is_a_copy() -> None:
    """Preparing the bf16 network leaves the fp32 one it was made from untouched."""
    network = build_network(SPEC)
    remove_head(SPEC, network)
    net = FeatureNet("i3d", network).eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    fast = _prepare_optimised(net, "bf16")
    assert all(p.dtype == torch.bfloat16 for p in fast.parameters())
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())
