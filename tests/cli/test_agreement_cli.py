"""``ictal agreement`` over a manifest with two annotators' layers."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from tests.cli.conftest import Ictal

DATA = {
    "ictal_manifest": 1, "labels": ["FLE"], "patients": [{"id": "P"}],
    "recordings": [{"id": "rec-1", "patient": "P", "streams": [
        {"kind": "ir", "path": "a.mkv", "fps": 10, "n_frames": 200}]}],
    "events": [
        {"id": "ev-1", "recording": "rec-1", "t0": 1.6, "t1": 9.0, "label": "FLE",
         "meta": {"annotator": "dr-a", "layer": "annotator"}},
        {"id": "ev-2", "recording": "rec-1", "t0": 1.0, "t1": 10.0, "label": "FLE",
         "meta": {"annotator": "dr-b", "layer": "annotator"}}],
    "mois": [
        {"id": "m1", "event": "ev-1", "region": "head", "term": "versive", "start": 2, "end": 4},
        {"id": "m2", "event": "ev-2", "region": "head", "term": "versive", "start": 2, "end": 4}],
}


def test_agreement_table_and_json(ictal: Ictal, tmp_path: Path) -> None:
    path = tmp_path / "export.yaml"
    path.write_text(yaml.safe_dump(DATA))
    res = ictal("agreement", path, "--json", tmp_path / "a.json")
    assert res.code == 0, res.text
    assert "dr-a" in res.out and "-0.60" in res.out and "+1.00" in res.out
    report = json.loads((tmp_path / "a.json").read_text())
    assert report["pairs"][0]["moi_iou"] == {"head": 1.0}
    assert abs(report["summary"]["onset_abs_diff_s"]["mean"] - 0.6) < 1e-9


def test_a_manifest_without_annotators_is_refused_with_the_fix(ictal: Ictal,
                                                               tmp_path: Path) -> None:
    data = {**DATA, "events": [{k: v for k, v in e.items() if k != "meta"}
                               for e in DATA["events"]]}
    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump(data))
    res = ictal("agreement", path)
    assert res.code == 2 and "layers" in res.text
