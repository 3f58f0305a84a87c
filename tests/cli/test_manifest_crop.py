"""``ictal manifest crop``: a crop by hand, its picture, and the errors' exit codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ictal.io import write_video
from ictal.manifest import Manifest, Patient, Recording, Stream, load_manifest, save_manifest


def test_give_show_and_clear_a_crop(tmp_path: Path, ictal) -> None:
    write_video(tmp_path / "a.mkv", iter([np.full((48, 64, 3), 90, np.uint8)] * 4), 25)
    path = tmp_path / "manifest.yaml"
    save_manifest(Manifest(labels=["FLE"], patients=[Patient(id="P1")], recordings=[
        Recording(id="R1", patient="P1", streams=[Stream(kind="rgb", path="a.mkv", fps=25)])]),
        path)

    shown = ictal("manifest", "crop", path, "R1", "--picture", tmp_path / "r1.png")
    assert shown.code == 0 and (tmp_path / "r1.png").is_file()
    given = ictal("manifest", "crop", path, "R1", "--box", "4,6,60,40")
    assert given.code == 0 and "R1: [4, 6, 60, 40]" in given.text
    assert load_manifest(path).recording("R1").crop == (4, 6, 60, 40)
    cleared = ictal("manifest", "crop", path, "R1", "--clear")
    assert cleared.code == 0 and "the detector chooses" in cleared.text
    assert load_manifest(path).recording("R1").crop is None

    neither = ictal("manifest", "crop", path, "R1")
    assert neither.code == 2 and "--picture" in neither.text
    beyond = ictal("manifest", "crop", path, "R1", "--box", "4,6,70,40")
    assert beyond.code == 2 and "beyond the 64x48 picture" in beyond.text
