"""The manifest's ``root:`` key: stream paths relative to a named folder instead of the
manifest's own (what the web platform's export writes)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ictal.errors import ManifestError
from ictal.manifest import load_manifest, manifest_to_dict, save_manifest

DATA = {
    "ictal_manifest": 1, "name": "export", "labels": ["FLE"],
    "patients": [{"id": "P1"}],
    "recordings": [{"id": "rec-1", "patient": "P1", "streams": [
        {"kind": "ir", "path": "ir/a.mkv", "fps": 10, "width": 4, "height": 4, "n_frames": 20},
        {"kind": "depth", "path": "depth/a.mkv", "fps": 10, "width": 4, "height": 4,
         "n_frames": 20}]}],
    "events": [{"id": "ev-1", "recording": "rec-1", "t0": 0.0, "t1": 1.0, "label": "FLE"}],
    "mois": [],
}


def _storage(tmp_path: Path) -> Path:
    storage = tmp_path / "storage"
    for sub in ("ir", "depth"):
        (storage / sub).mkdir(parents=True)
        (storage / sub / "a.mkv").write_bytes(b"x")
    return storage


def test_an_absolute_root_key_makes_paths_relative_to_it(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    elsewhere = tmp_path / "work" / "m.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text(yaml.safe_dump({**DATA, "root": str(storage)}, sort_keys=False))
    m = load_manifest(elsewhere)  # no --allow-outside-root needed
    assert m.resolve(m.recording("rec-1").stream("depth")) == storage / "depth" / "a.mkv"
    assert m.root_dir == str(storage)
    # saved again, the key stays (right after the name) and loads the same
    save_manifest(m, tmp_path / "work" / "again.yaml")
    again = load_manifest(tmp_path / "work" / "again.yaml")
    assert manifest_to_dict(again) == manifest_to_dict(m) and again.root == storage
    assert list(manifest_to_dict(m))[:3] == ["ictal_manifest", "name", "root"]


def test_a_relative_root_key_is_relative_to_the_manifest(tmp_path: Path) -> None:
    _storage(tmp_path)
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({**DATA, "root": "storage"}))
    m = load_manifest(path)
    assert m.resolve(m.recording("rec-1").stream("ir")) == tmp_path / "storage" / "ir" / "a.mkv"


def test_paths_escaping_the_declared_root_are_refused(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    (tmp_path / "secret.mkv").write_bytes(b"x")
    data = {**DATA, "root": str(storage)}
    data["recordings"] = [{**DATA["recordings"][0], "streams": [
        {**DATA["recordings"][0]["streams"][0], "path": "../secret.mkv"}]}]
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ManifestError, match="outside the dataset root"):
        load_manifest(path)
    assert load_manifest(path, allow_outside_root=True).root == storage


def test_a_bad_root_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({**DATA, "root": 3}))
    with pytest.raises(ManifestError, match="field 'root'"):
        load_manifest(path, check_files=False)
