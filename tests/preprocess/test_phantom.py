"""Depth cropping and QC on phantom scenes, checked against their ground truth."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from ictal.io import open_video
from ictal.manifest import load_manifest
from ictal.preprocess.config import PreprocessConfig, variant_config
from ictal.preprocess.dataset import preprocess_dataset
from ictal.preprocess.denoise import denoise_depth
from ictal.preprocess.depth_crop import apply_depth_crop, fit_depth_planes
from ictal.preprocess.qc import height_above_mattress

pytestmark = pytest.mark.slow


def test_depth_planes_keep_the_ground_truth_mattress(phantom: Path) -> None:
    from ictal.phantom import load_ground_truth

    manifest = load_manifest(phantom / "manifest.yaml")
    for rec in manifest.recordings:
        gt = load_ground_truth(phantom / "groundtruth" / f"{rec.id}.npz")
        with open_video(manifest.resolve(rec.stream("depth"))) as reader:
            raw = reader.read(0, 1)[0]
        denoised = denoise_depth(raw)
        planes = fit_depth_planes(denoised)
        kept, _ = apply_depth_crop(denoised, None, *planes.bounds())
        height = height_above_mattress(raw, gt.K, gt.bed_plane)
        x0, y0, x1, y1 = gt.bed_box[0]
        on_mattress = np.zeros(raw.shape, bool)
        on_mattress[y0:y1, x0:x1] = np.abs(height[y0:y1, x0:x1]) < 0.03
        assert on_mattress.sum() > 10
        assert (kept[on_mattress] > 0).mean() > 0.95, rec.id
        # the patient lies between the two planes (joints at their raw depth)
        lo, hi = planes.bounds()
        h, w = raw.shape
        uv = np.rint(gt.joints_2d[0]).astype(int)
        uv = uv[(uv[:, 0] >= 0) & (uv[:, 0] < w) & (uv[:, 1] >= 0) & (uv[:, 1] < h)]
        z = raw[uv[:, 1], uv[:, 0]]
        inside = (z >= lo[uv[:, 1], uv[:, 0]]) & (z <= hi[uv[:, 1], uv[:, 0]])
        assert inside[z > 0].mean() > 0.8, rec.id


def test_preprocess_scores_against_ground_truth(phantom: Path, tmp_path: Path) -> None:
    manifest = load_manifest(phantom / "manifest.yaml")
    result = preprocess_dataset(manifest, tmp_path / "pre", variant_config("B"))
    assert result.report.exit_code == 0
    n = len(manifest.recordings)
    for name in ("contains", "tight", "detection", "depth"):
        ok, judged, rate = result.rates[name]
        assert judged == n and rate == pytest.approx(100 * ok / n)
    qc = json.loads((tmp_path / "pre" / manifest.recordings[0].id / "qc.json").read_text())
    assert qc["scores"]["ground_truth"].endswith(f"{manifest.recordings[0].id}.npz")
    assert len(qc["scores"]["frames"]) == 5


def test_the_whole_frame_is_not_a_tight_crop(phantom: Path, tmp_path: Path) -> None:
    manifest = load_manifest(phantom / "manifest.yaml")
    config = variant_config("B", PreprocessConfig(detection={"enabled": False}))
    result = preprocess_dataset(manifest, tmp_path / "pre", config)
    n = len(manifest.recordings)
    assert result.rates["contains"] == (n, n, 100.0)
    assert result.rates["tight"] == (0, n, 0.0) and result.rates["detection"] == (0, n, 0.0)
    rows = list(csv.DictReader((tmp_path / "pre" / "summary.csv").open()))
    assert {(r["detection"], r["detected"], r["crop_contains"], r["crop_tight"])
            for r in rows} == {("off", "", "True", "False")}
