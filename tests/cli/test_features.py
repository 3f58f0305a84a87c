"""``ictal extract`` through the command line: summary, resume, one setting per store."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from ictal.backbones import load_backbone
from ictal.backbones.video_resnet import mc3_18
from ictal.features.extract import extract_manifest
from ictal.features.store import list_shards, read_features, read_provenance
from ictal.io import open_video, write_video
from ictal.manifest import load_manifest
from ictal.preprocess.config import variant_config


@pytest.fixture(scope="module")
def motion_store(tiny_phantom: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny phantom's motion features, variant B (read only: copy it to change it)."""
    store = tmp_path_factory.mktemp("motion") / "store"
    report = extract_manifest(load_manifest(tiny_phantom), store, load_backbone("motion"),
                              variant_config("B"), show_progress=False)
    assert report.exit_code == 0
    return store


def _copy(store: Path, to: Path) -> Path:
    return Path(shutil.copytree(store, to))


def _checkpoint(path: Path, *, poison: bool = False) -> Path:
    """mc3_18 weights (seeded), optionally with a NaN and infinities."""
    torch.manual_seed(0)
    state = mc3_18().state_dict()
    if poison:
        state["stem.0.weight"][0, 0, 0, 0, 0] = float("nan")
        state["layer2.0.conv1.0.weight"][0] = float("inf")
    torch.save(state, path)
    return path


def test_extract_prints_a_summary_and_resumes(tiny_phantom: Path, motion_store: Path,
                                              tmp_path: Path, ictal, digests) -> None:
    store = tmp_path / "store"
    first = ictal("extract", tiny_phantom, "--out", store, "--variant", "B",
                  "--recording", "P002-S1")
    assert first.code == 0, first.text
    assert "extract motion: 1 done, 0 skipped, 0 failed" in first.out
    assert [p.name for p in list_shards(store)] == ["P002-S1.h5"]
    # an interrupted run left a temporary shard of the recording it was writing
    (store / ".P001-S1.ictal-tmp-x1y2z3.h5").write_bytes(b"")
    again = ictal("extract", tiny_phantom, "--out", store, "--variant", "B")
    assert again.code == 0 and "extract motion: 1 done, 1 skipped, 0 failed" in again.out
    assert sorted(digests(store)) == ["P001-S1.h5", "P002-S1.h5"]
    # the CLI writes what the library writes
    np.testing.assert_array_equal(read_features(store).features,
                                  read_features(motion_store).features)


def test_a_store_of_another_setting_is_refused_and_left_untouched(
        tiny_phantom: Path, motion_store: Path, tmp_path: Path, ictal, digests) -> None:
    store = _copy(motion_store, tmp_path / "store")
    before = digests(store)
    assert set(before) == {"P001-S1.h5", "P002-S1.h5"}
    # another backbone (the case: i3d into a store of motion shards)
    weights = _checkpoint(tmp_path / "mc3.pth")
    refused = ictal("extract", tiny_phantom, "--out", store, "-b", "mc3_18", "--weights",
                    weights, "--variant", "B")
    assert refused.code == 2
    text = " ".join(refused.err.split())
    assert f"{store}: the feature store holds features made with another setting" in text
    assert "this run (backbone mc3_18 (weights mc3.pth, sha256" in text
    assert "2 shard(s) (P001-S1.h5, P002-S1.h5): backbone motion (no weights file)" in text
    assert "differs in: backbone" in text
    assert "give a new --out folder, or pass --overwrite" in text
    assert digests(store) == before  # nothing written, nothing removed, no temporary file
    # the same backbone with another preprocessing is another setting too
    refused = ictal("extract", tiny_phantom, "--out", store, "--variant", "A")
    assert refused.code == 2 and "preprocessing variant B" in refused.err
    assert "preprocess.variant" in refused.err and "preprocess.depth_crop.enabled" in refused.err
    assert digests(store) == before


def test_overwrite_replaces_every_shard_of_the_other_setting(
        tiny_phantom: Path, motion_store: Path, tmp_path: Path, ictal) -> None:
    store = _copy(motion_store, tmp_path / "store")
    old_key = read_provenance(store / "P001-S1.h5")["key"]
    # one recording asked for; the other's old shard goes too, so the store holds one setting
    out = ictal("extract", tiny_phantom, "--out", store, "--variant", "A", "--overwrite",
                "--recording", "P002-S1")
    assert out.code == 0, out.text
    assert [p.name for p in list_shards(store)] == ["P002-S1.h5"]
    table = read_features(store)
    assert table.attrs["preprocess"]["variant"] == "A" and table.attrs["key"] != old_key


def test_a_broken_recording_fails_alone_with_a_summary(tiny_phantom: Path, tmp_path: Path,
                                                       ictal, copy_dataset) -> None:
    manifest = copy_dataset(tiny_phantom, tmp_path / "data")
    ir = manifest.parent / "ir" / "P001-S1.mkv"
    ir.write_bytes(ir.read_bytes()[: ir.stat().st_size // 2])  # an interrupted copy
    store = tmp_path / "store"
    out = ictal("extract", manifest, "--out", store, "--variant", "B")
    assert out.code == 1
    text = " ".join(out.out.split())
    assert "extract motion: 1 done, 0 skipped, 1 failed" in text
    assert "FAILED P001-S1:" in text and "P001-S1.mkv: truncated" in text
    assert "re-copy or re-export" in text and "Errno" not in text
    assert [p.name for p in list_shards(store)] == ["P002-S1.h5"]


def test_a_checkpoint_with_nan_weights_is_refused_before_the_store_exists(
        tiny_phantom: Path, tmp_path: Path, ictal) -> None:
    weights = _checkpoint(tmp_path / "diverged.pth", poison=True)
    out = ictal("extract", tiny_phantom, "--out", tmp_path / "store", "-b", "mc3_18",
                "--weights", weights)
    assert out.code == 2
    text = " ".join(out.err.split())
    assert "diverged.pth: the weights hold NaN or infinite values" in text
    assert "stem.0.weight (1 of" in text and "layer2.0.conv1.0.weight" in text
    assert not (tmp_path / "store").exists()


def test_out_naming_a_file_is_a_usage_error(tiny_phantom: Path, tmp_path: Path, ictal) -> None:
    target = tmp_path / "features.h5"
    target.write_bytes(b"keep me")
    out = ictal("extract", tiny_phantom, "--out", target)
    assert out.code == 2 and "is an existing file, not a folder" in out.err
    assert target.read_bytes() == b"keep me"


def test_a_truncated_mp4_says_what_it_means_and_the_batch_goes_on(
        tiny_phantom: Path, tmp_path: Path, ictal, copy_dataset) -> None:
    """The issue's case: FFmpeg's raw errno from avcodec_receive_frame() became the message."""
    manifest = copy_dataset(tiny_phantom, tmp_path / "data")
    ir = manifest.parent / "ir" / "P001-S1.mkv"
    with open_video(ir) as reader:
        frames = (reader.read(0, len(reader)) >> 8).astype(np.uint8)
    mp4 = write_video(ir.with_suffix(".mp4"), frames, 30, codec="h264")
    mp4.write_bytes(mp4.read_bytes()[: int(mp4.stat().st_size * 0.7)])  # an interrupted copy
    data = yaml.safe_load(manifest.read_text())
    for rec in data["recordings"]:  # infrared only (no depth): the MP4 stands for P001's
        rec["streams"] = [{**s, "path": s["path"].replace(".mkv", ".mp4")}
                          if rec["id"] == "P001-S1" else s
                          for s in rec["streams"] if s["kind"] == "ir"]
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    config = tmp_path / "ir-only.yaml"
    config.write_text("depth_crop: {enabled: false}\ndetection: {enabled: false}\n")
    out = ictal("extract", manifest, "--out", tmp_path / "store", "--config", config)
    assert out.code == 1
    text = " ".join(out.out.split())
    assert "extract motion: 1 done, 0 skipped, 1 failed" in text
    assert "P001-S1.mp4: corrupt or truncated file: frame " in text and "does not decode" in text
    assert "re-export the recording" in text and "copy it again" in text
    assert "Errno" not in text and "avcodec" not in text
    assert [p.name for p in list_shards(tmp_path / "store")] == ["P002-S1.h5"]


def test_a_precision_the_backbone_cannot_run_is_a_usage_error(tiny_phantom: Path,
                                                               tmp_path: Path, ictal) -> None:
    res = ictal("extract", tiny_phantom, "--out", tmp_path / "s", "--precision", "bf16")
    assert res.code == 2 and "only the i3d backbone" in res.text
    res = ictal("extract", tiny_phantom, "--out", tmp_path / "s", "--backbone", "i3d",
                "--precision", "int8")
    assert res.code == 2 and "expected one of fp32, bf16" in res.text
    assert not (tmp_path / "s").exists()


@pytest.mark.slow
@pytest.mark.skipif(not torch.ops.mkldnn._is_mkldnn_bf16_supported(),
                    reason="this CPU's oneDNN has no bfloat16 kernels")
def test_a_bf16_store_records_its_precision_and_refuses_fp32(tiny_phantom: Path,
                                                             tmp_path: Path, ictal,
                                                             monkeypatch) -> None:
    """I3D with seeded random weights (a checkpoint file in the weights dir), one recording."""
    from ictal.backbones.checkpoints import random_state_dict
    from ictal.backbones.extractor import build_network
    from ictal.backbones.registry import default_registry

    network = build_network(default_registry().get("i3d"))
    torch.save(random_state_dict(network, seed=0), tmp_path / "rgb_imagenet.pt")
    monkeypatch.setenv("ICTAL_WEIGHTS_DIR", str(tmp_path))
    store = tmp_path / "store"
    args = ("extract", tiny_phantom, "--out", store, "--variant", "B", "--backbone", "i3d",
            "--recording", "P002-S1")
    res = ictal(*args, "--precision", "bf16")
    assert res.code == 0, res.text
    prov = read_provenance(store / "P002-S1.h5")
    assert prov["precision"] == "bf16" and prov["backbone"] == "i3d"
    assert read_features(store).features.dtype == np.float32
    res = ictal(*args)  # fp32, the default, into the bf16 store
    assert res.code == 2 and "differs in: precision" in res.text, res.text
    assert ictal(*args, "--precision", "bf16").code == 0  # the same setting resumes
