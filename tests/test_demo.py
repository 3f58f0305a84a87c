"""``ictal.demo``: backbone choice, DemoConfig handling and stage skipping on a tiny phantom."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from ictal.demo import DemoConfig, choose_backbone, run_demo
from ictal.features.store import list_shards, read_features, write_features
from ictal.manifest import load_manifest


def test_auto_backbone_is_i3d_only_when_its_checkpoint_is_found(tmp_path: Path,
                                                                monkeypatch) -> None:
    monkeypatch.setenv("ICTAL_WEIGHTS_DIR", str(tmp_path))
    assert choose_backbone("auto", None) == "motion"
    (tmp_path / "rgb_imagenet.pt").write_bytes(b"placeholder")  # found, not loaded
    assert choose_backbone("auto", None) == "i3d"
    assert choose_backbone("auto", tmp_path / "missing.pt") == "motion"
    assert choose_backbone("r3d_18", None) == "r3d_18"  # a name is taken as it is


def test_demo_defaults_are_the_readmes() -> None:
    cfg = DemoConfig()
    assert (cfg.out, cfg.backbone, cfg.model, cfg.variant, cfg.k) == (
        Path("ictal-demo"), "auto", "fast", "B+top", 5)


def _files(root: Path) -> dict[str, tuple[str, int]]:
    """Relative path -> (sha256, mtime in ns) of every file under ``root``."""
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                       p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_tiny_demo_runs_every_stage_then_skips_them(tmp_path: Path) -> None:
    cfg = DemoConfig(out=tmp_path / "demo", backbone="motion", variant="B", k=2, workers=1,
                     phantom={"n_patients": 8, "scale": 0.125, "duration_scale": 0.05})
    first = run_demo(cfg, progress=False)
    out = cfg.out
    # DemoConfig reaches every stage: phantom overrides, variant, backbone, folds
    assert len(load_manifest(first.manifest).recordings) == 8
    assert first.backbone == "motion" and first.report == out / "report.html"
    assert (out / "preprocess-B" / "summary.csv").exists()
    store = out / "features" / "motion-B"
    table = read_features(store)
    assert table.attrs["preprocess"]["variant"] == "B" and table.attrs["backbone"] == "motion"
    assert set(first.seconds) == {"phantom", "preprocess", "extract", "grouped-kfold",
                                  "leaky-kfold", "oracle"}
    # the ground-truth oracle ran the same protocol on the true joints (issue 21)
    assert 0.0 <= first.oracle_f1[0] <= 1.0
    assert (out / "runs" / "oracle-B-grouped-kfold").is_dir()
    assert (out / "phantom" / "calibration.json").is_file()
    assert not first.failures and first.report.exists()

    # a second run finds every stage done: nothing is rewritten, the figures are the same
    # (only the records of the run are written again: manifest, preprocessing config, summary)
    listings = {"phantom/manifest.yaml", "phantom/calibration.json", "phantom/calibration.md",
                "preprocess-B/config.json", "preprocess-B/summary.csv"}
    kept = {f"{name}/{k}": v for name in ("phantom", "preprocess-B", "features")
            for k, v in _files(out / name).items()}
    second = run_demo(cfg, progress=False)
    now = {f"{name}/{k}": v for name in ("phantom", "preprocess-B", "features")
           for k, v in _files(out / name).items()}
    assert now.keys() == kept.keys() and len(kept) > 3 * 8
    assert {k: v for k, v in now.items() if k not in listings} == {
        k: v for k, v in kept.items() if k not in listings}
    assert (second.grouped_f1, second.leaky_f1, second.oracle_f1) == (
        first.grouped_f1, first.leaky_f1, first.oracle_f1)

    # a shard made with another setting (an older version of the code) is replaced, not refused
    shard = list_shards(store)[0]
    old = read_features(shard)
    write_features(shard, replace(old, attrs={**old.attrs, "key": "another-setting"}))
    third = run_demo(cfg, progress=False)
    assert not third.failures
    assert read_features(shard).attrs["key"] == table.attrs["key"]


@pytest.mark.slow
def test_tiny_2d_demo_reads_the_clinic_camera(tmp_path: Path) -> None:
    camera = {"sizes": [[352, 288]], "size_weights": [1.0], "p_montage": 0.25}
    cfg = DemoConfig(out=tmp_path / "demo", backbone="motion", variant="2d", k=2, workers=1,
                     phantom={"n_patients": 8, "duration_scale": 0.05, "pre_s": (0.6, 0.8),
                              "post_s": (0.6, 0.8), "clinic_camera": camera})
    result = run_demo(cfg, progress=False)
    manifest = load_manifest(result.manifest)
    assert result.manifest == cfg.out / "phantom-clinic" / "manifest.yaml"
    kinds = {s.kind for r in manifest.recordings for s in r.streams}
    assert kinds <= {"rgb", "ir"} and len(manifest.recordings) == 8  # no depth anywhere
    table = read_features(cfg.out / "features" / "motion-2d")
    assert table.attrs["preprocess"]["variant"] == "2d"
    assert table.attrs["preprocess"]["detection"]["detector"] == "pose"
    assert not result.failures and result.report.exists()
    assert 0.0 <= result.grouped_f1[0] <= 1.0
