"""End to end on a tiny phantom: manifest -> preprocessing -> motion backbone -> store."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ictal.backbones import load_backbone
from ictal.features.extract import batched, extract_manifest
from ictal.features.store import read_features, shard_path
from ictal.manifest import load_manifest
from ictal.phantom import PhantomConfig, generate_dataset
from ictal.preprocess.config import variant_config
from ictal.preprocess.dataset import preprocess_dataset


@pytest.fixture(scope="module")
def phantom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("phantom")
    generate_dataset(PhantomConfig.tiny(n_patients=2, seed=3), out, workers=1, progress=False)
    return out / "manifest.yaml"


def test_extract_writes_labelled_timed_features_and_resumes(phantom: Path, tmp_path: Path) -> None:
    manifest = load_manifest(phantom)
    extractor = load_backbone("motion")
    cfg = variant_config("B")
    store = tmp_path / "store"
    report = extract_manifest(manifest, store, extractor, cfg, show_progress=False)
    assert report.exit_code == 0 and len(report.succeeded) == len(manifest.recordings)

    table = read_features(store)
    assert table.features.shape[1:] == (extractor.timesteps, extractor.features)
    assert set(table.label) <= set(manifest.labels) and len(set(table.label)) >= 2
    # every row lies inside its event and carries exact frames and times
    for i in range(len(table)):
        event = manifest.event(table.event[i])
        assert event.recording == table.recording[i]
        assert event.t0 - 1 / 30 <= table.t_start[i] < table.t_stop[i] <= event.t1 + 1 / 30
        assert table.t_start[i] == pytest.approx(table.start_frame[i] / table.fps[i])
    # masked timesteps are the -1 pre-padding
    assert np.all(table.features[~table.mask] == -1.0)
    assert table.attrs["backbone"] == "motion" and table.attrs["preprocess"]["variant"] == "B"
    # the store keeps every event's times, merged over the shards (seed 002: TCS = has a tG)
    assert table.attrs["events"] == {e.id: {"t0": e.t0, "t1": e.t1, "tG": e.tG,
                                            "label": e.label} for e in manifest.events}

    # a second run skips every recording; the features are bit-identical when redone
    again = extract_manifest(manifest, store, extractor, cfg, show_progress=False)
    assert len(again.skipped_items) == len(manifest.recordings) and not again.succeeded
    redo = tmp_path / "redo"
    extract_manifest(manifest, redo, extractor, cfg, show_progress=False)
    np.testing.assert_array_equal(read_features(redo).features, table.features)


def test_a_crop_given_by_hand_since_extracts_that_recording_again(phantom: Path,
                                                                  tmp_path: Path) -> None:
    manifest = load_manifest(phantom)
    extractor = load_backbone("motion")
    cfg = variant_config("B")
    store = tmp_path / "store"
    extract_manifest(manifest, store, extractor, cfg, show_progress=False)
    first = manifest.recordings[0]
    plan = read_features(shard_path(store, first.id)).attrs["plan"]
    box = (2, 3, plan["width"] // 2, plan["height"] // 2)
    given = first.model_copy(update={"crop": box})
    changed = manifest.model_copy(update={"recordings": [given, *manifest.recordings[1:]]})

    again = extract_manifest(changed, store, extractor, cfg, show_progress=False)
    assert again.succeeded == [first.id]
    assert len(again.skipped_items) == len(manifest.recordings) - 1
    redone = read_features(shard_path(store, first.id)).attrs["plan"]["keyframes"][0]
    assert (redone["crop_box"], redone["detector"]) == (list(box), "manifest")
    # a plan of `ictal preprocess` made before the crop was given is refused, not used
    plans = tmp_path / "plans"
    preprocess_dataset(manifest, plans, cfg, recordings=[first.id])
    stale = extract_manifest(changed, tmp_path / "other", extractor, cfg, plans_dir=plans,
                             recordings=[first.id], show_progress=False)
    assert stale.exit_code == 1 and "run `ictal preprocess` again" in str(stale.failures[0][1])


def test_top_view_features_follow_the_infrared_ones(phantom: Path, tmp_path: Path) -> None:
    manifest = load_manifest(phantom)
    extractor = load_backbone("motion")
    report = extract_manifest(manifest, tmp_path / "top", extractor, variant_config("B+top"),
                              show_progress=False)
    assert report.exit_code == 0
    plain = tmp_path / "plain"
    extract_manifest(manifest, plain, extractor, variant_config("B"), show_progress=False)
    table, ir = read_features(tmp_path / "top"), read_features(plain)
    f = extractor.features
    assert table.features.shape == (len(ir), extractor.timesteps, 2 * f)
    np.testing.assert_array_equal(table.mask, ir.mask)
    # the first half is the infrared crop's, unchanged; the second half sees the patient move
    np.testing.assert_allclose(table.features[..., :f], ir.features, rtol=1e-5, atol=1e-6)
    top = table.features[..., f:][table.mask]
    assert np.isfinite(top).all() and np.abs(top).max() > 0
    assert np.all(table.features[~table.mask] == -1.0)
    assert table.attrs["preprocess"]["topview"]["enabled"]


def test_a_broken_recording_is_reported_and_the_others_go_on(phantom: Path,
                                                             tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(phantom.parent, root)
    manifest = load_manifest(root / "manifest.yaml")
    broken = manifest.recordings[0]
    path = manifest.resolve(broken.stream("ir"))
    path.write_bytes(path.read_bytes()[:200])  # truncated video
    report = extract_manifest(manifest, tmp_path / "store", load_backbone("motion"),
                              variant_config("B"), show_progress=False)
    assert report.exit_code == 1
    assert [item for item, _ in report.failures] == [broken.id]
    assert str(path.name) in report.summary()
    assert not shard_path(tmp_path / "store", broken.id).exists()
    assert len(report.succeeded) == len(manifest.recordings) - 1


def test_batches_group_equal_shapes() -> None:
    from fractions import Fraction

    from ictal.preprocess.sample import Sample
    from ictal.timebase import FrameSpan

    def s(t: int) -> Sample:
        return Sample(np.zeros((3, t, 4, 4), np.float32), FrameSpan(0, t, Fraction(30)), "P", "R")

    sizes = [[x.frames.shape[1] for x in b] for b in batched([s(60)] * 5 + [s(20)], 2)]
    assert sizes == [[60, 60], [60, 60], [60], [20]]
