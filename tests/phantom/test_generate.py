from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ictal.manifest import load_manifest
from ictal.phantom import GenerateResult, PhantomConfig, generate_dataset


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_manifest_follows_seed_000_structure(tiny_dataset: tuple[Path, GenerateResult],
                                             tiny_cfg: PhantomConfig) -> None:
    out, result = tiny_dataset
    assert result.report.exit_code == 0
    m = load_manifest(out / "manifest.yaml")  # validates every row and every stream file
    assert m.labels == ["FLE", "TLE", "NE"]
    assert [p.syndrome for p in m.patients] == ["FLE", "TLE", "FLE"]
    for rec in m.recordings:
        assert {s.kind for s in rec.streams} == set(tiny_cfg.streams)
        assert all(not Path(s.path).is_absolute() for s in rec.streams)
        assert rec.stream("ir").width == tiny_cfg.width
        pre, sz, post = sorted(m.events_of(rec.id), key=lambda e: e.t0)
        syndrome = m.patient(rec.patient).syndrome
        assert (pre.label, sz.label, post.label) == ("NE", syndrome, "NE")
        assert pre.t0 == 0 and pre.t1 == sz.t0 and sz.t1 == post.t0
        assert post.t1 == pytest.approx(rec.duration)
        assert m.mois_of(sz.id), "every seizure has generated MOIs"
        assert all(moi.annotator == "phantom" for moi in m.mois_of(sz.id))


def test_deterministic_and_independent_of_patient_count(
        tiny_dataset: tuple[Path, GenerateResult], tiny_cfg: PhantomConfig,
        tmp_path: Path) -> None:
    out, _ = tiny_dataset
    # the first two patients of a 2-patient run are bit-identical to those of the 3-patient run
    cfg2 = tiny_cfg.model_copy(update={"n_patients": 2})
    generate_dataset(cfg2, tmp_path, workers=1, progress=False)
    first, second = _digests(out), _digests(tmp_path)
    # the manifest and the calibration tables describe the whole dataset
    dataset_files = {"manifest.yaml", "calibration.json", "calibration.md"}
    assert dataset_files <= set(second)
    shared = [k for k in second if k not in dataset_files]
    assert len(shared) == 2 * 4  # ir, depth, ground truth, face ground truth for 2 recordings
    assert all(first[k] == second[k] for k in shared)


def test_other_seed_differs(tiny_cfg: PhantomConfig, tmp_path: Path,
                            tiny_dataset: tuple[Path, GenerateResult]) -> None:
    out, _ = tiny_dataset
    generate_dataset(tiny_cfg.model_copy(update={"n_patients": 1, "seed": 8}), tmp_path,
                     workers=1, progress=False)
    assert _digests(tmp_path)["ir/P001-S1.mkv"] != _digests(out)["ir/P001-S1.mkv"]


def test_resume_skips_complete_recordings(tiny_cfg: PhantomConfig, tmp_path: Path) -> None:
    cfg = tiny_cfg.model_copy(update={"n_patients": 2})
    generate_dataset(cfg, tmp_path, workers=1, progress=False)
    before = _digests(tmp_path)
    (tmp_path / "groundtruth" / "P002-S1.npz").unlink()  # an interrupted recording
    again = generate_dataset(cfg, tmp_path, workers=1, progress=False)
    assert [item for item, _ in again.report.skipped_items] == ["P001-S1"]
    assert again.report.succeeded == ["P002-S1"]
    assert _digests(tmp_path) == before
    # another recipe in the same directory renders everything again
    other = generate_dataset(cfg.model_copy(update={"seed": 99}), tmp_path, workers=1,
                             progress=False)
    assert not other.report.skipped_items and len(other.report.succeeded) == 2


@pytest.mark.slow
def test_parallel_generation_is_bit_identical(tiny_dataset: tuple[Path, GenerateResult],
                                              tiny_cfg: PhantomConfig, tmp_path: Path) -> None:
    out, _ = tiny_dataset
    result = generate_dataset(tiny_cfg, tmp_path, workers=2, progress=False)
    assert result.report.exit_code == 0
    assert _digests(tmp_path) == _digests(out)


def test_content_version_is_part_of_the_recipe(tiny_cfg: PhantomConfig) -> None:
    """Recordings made by an older renderer or older programmes are not resumed."""
    from ictal.phantom.generate import CONTENT_VERSION, recipe_hash

    assert recipe_hash(tiny_cfg) == recipe_hash(tiny_cfg, CONTENT_VERSION)
    assert recipe_hash(tiny_cfg) != recipe_hash(tiny_cfg, CONTENT_VERSION - 1)
    assert recipe_hash(tiny_cfg) == recipe_hash(tiny_cfg.model_copy(update={"name": "x"}))
