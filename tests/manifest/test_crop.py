"""A detection crop given by hand: the manifest field, ``set_crop`` / ``ictal manifest crop``
and the ruled picture to read a box off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from pydantic import ValidationError

from ictal.errors import ConfigError, ManifestError
from ictal.io import write_video
from ictal.manifest import (
    Manifest,
    Montage,
    Patient,
    Recording,
    Stream,
    load_manifest,
    save_manifest,
)
from ictal.manifest.crop import parse_box, set_crop
from ictal.preprocess.qc import first_frame_with_ruler

W, H = 64, 48


def test_the_field_takes_one_box_or_one_per_montage_view() -> None:
    stream = Stream(kind="rgb", path="a.mp4", fps=25)
    rec = Recording(id="R1", patient="P1", streams=[stream], crop=(1, 2, 30, 40))
    assert rec.given_crops == {None: (1, 2, 30, 40)}
    assert Recording(id="R1", patient="P1", streams=[stream]).given_crops == {}
    montage = Montage(small_box=(40, 0, 64, 18))
    views = Recording(id="R1", patient="P1", streams=[stream], montage=montage,
                      crop={"small": (0, 0, 10, 10)})
    assert views.given_crops == {"small": (0, 0, 10, 10)}
    for bad, message in [
        ({"crop": (5, 2, 5, 40)}, r"x0 < x1"),
        ({"crop": (-1, 2, 30, 40)}, r"0 <= x0"),
        ({"crop": {"small": (0, 0, 10, 10)}}, "without a montage"),
        ({"crop": (0, 0, 10, 10), "montage": montage}, "cropped per view"),
        ({"crop": {"side": (0, 0, 10, 10)}, "montage": montage}, "no view side"),
    ]:
        with pytest.raises(ValidationError, match=message):
            Recording(id="R1", patient="P1", streams=[stream], **bad)


def test_parse_box() -> None:
    assert parse_box("1,2,30,40") == (1, 2, 30, 40)
    assert parse_box("1 2 30 40") == (1, 2, 30, 40)
    for bad in ("1,2,3", "1,2,3,x", "1.5,2,3,4"):
        with pytest.raises(ConfigError, match="four whole numbers"):
            parse_box(bad)


@pytest.fixture
def manifest_file(tmp_path: Path) -> Path:
    """A manifest of two recordings, a plain one and a montage, with real video files."""
    frames = [np.full((H, W, 3), 40 + 4 * t, np.uint8) for t in range(6)]
    write_video(tmp_path / "a.mkv", iter(frames), 25)
    write_video(tmp_path / "b.mkv", iter(frames), 25)
    manifest = Manifest(
        labels=["FLE"], patients=[Patient(id="P1")],
        recordings=[
            Recording(id="R1", patient="P1", streams=[Stream(kind="rgb", path="a.mkv", fps=25)]),
            Recording(id="R2", patient="P1", streams=[Stream(kind="rgb", path="b.mkv", fps=25)],
                      montage=Montage(small_box=(40, 0, 64, 18))),
        ])
    path = tmp_path / "manifest.yaml"
    save_manifest(manifest, path)
    return path


def test_set_crop_rewrites_that_row_alone_and_checks_it(manifest_file: Path) -> None:
    before = yaml.safe_load(manifest_file.read_text())
    rec = set_crop(manifest_file, "R1", (4, 6, 60, 40))
    assert rec.crop == (4, 6, 60, 40)
    after = yaml.safe_load(manifest_file.read_text())
    assert after["recordings"][0]["crop"] == [4, 6, 60, 40]
    # nothing else moved: no size or frame count taken from the files was written in
    del after["recordings"][0]["crop"]
    assert after == before
    assert load_manifest(manifest_file).recording("R1").given_crops == {None: (4, 6, 60, 40)}

    set_crop(manifest_file, "R2", (0, 20, 40, 48), view="large")
    rec = set_crop(manifest_file, "R2", (2, 1, 20, 16), view="small")
    assert rec.given_crops == {"large": (0, 20, 40, 48), "small": (2, 1, 20, 16)}
    assert set_crop(manifest_file, "R2", None, view="large").given_crops == {
        "small": (2, 1, 20, 16)}
    assert set_crop(manifest_file, "R2", None).crop is None
    assert "crop" not in yaml.safe_load(manifest_file.read_text())["recordings"][1]
    # save_manifest writes the crops back as they were read
    set_crop(manifest_file, "R2", (2, 1, 20, 16), view="small")
    manifest = load_manifest(manifest_file)
    copy = manifest_file.with_name("copy.yaml")
    save_manifest(manifest, copy)
    again = load_manifest(copy)
    assert [r.crop for r in again.recordings] == [(4, 6, 60, 40), {"small": (2, 1, 20, 16)}]


@pytest.mark.parametrize(("recording", "box", "view", "message"), [
    ("R1", (4, 6, 65, 40), None, "beyond the 64x48 picture of recording R1"),
    ("R1", (30, 6, 20, 40), None, "field 'crop': .*0 <= x0 < x1"),
    ("R2", (0, 0, 25, 10), "small", "beyond the 24x18 picture of view small"),
    ("R2", (0, 0, 10, 10), None, "is a montage"),
    ("R2", (0, 0, 10, 10), "side", "no view 'side'"),
    ("R1", (0, 0, 10, 10), "small", "not a montage"),
    ("R9", (0, 0, 10, 10), None, "no recording 'R9'"),
])
def test_set_crop_refuses_what_cannot_be_cropped_and_writes_nothing(
        manifest_file: Path, recording: str, box: tuple[int, int, int, int], view: str | None,
        message: str) -> None:
    before = manifest_file.read_bytes()
    with pytest.raises(ConfigError, match=message):
        set_crop(manifest_file, recording, box, view=view)
    assert manifest_file.read_bytes() == before


def test_a_manifest_with_problems_is_not_rewritten(manifest_file: Path) -> None:
    data = yaml.safe_load(manifest_file.read_text())
    data["recordings"][1]["patient"] = "P9"
    manifest_file.write_text(yaml.safe_dump(data, sort_keys=False))
    before = manifest_file.read_bytes()
    with pytest.raises(ManifestError, match="unknown patient"):
        set_crop(manifest_file, "R1", (4, 6, 60, 40))
    assert manifest_file.read_bytes() == before


def test_the_picture_is_the_first_frame_at_full_size_with_the_crop(manifest_file: Path,
                                                                   tmp_path: Path) -> None:
    set_crop(manifest_file, "R1", (4, 6, 60, 40))
    manifest = load_manifest(manifest_file)
    out = first_frame_with_ruler(manifest, "R1", tmp_path / "r1.png")
    picture = np.asarray(Image.open(out))
    assert picture.shape == (H, W, 3)
    assert tuple(picture[20, 4]) == (230, 40, 40)  # the crop's left side, solid red
    small = np.asarray(Image.open(first_frame_with_ruler(manifest, "R2", tmp_path / "s.png",
                                                         view="small")))
    assert small.shape == (18, 24, 3)
    with pytest.raises(ConfigError, match="say which view"):
        first_frame_with_ruler(manifest, "R2", tmp_path / "x.png")

