"""A manifest from a folder of clinic videos: every container, header-only probing, ids."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from ictal.errors import ConfigError
from ictal.manifest import load_manifest, save_manifest
from ictal.manifest.folder import find_videos, manifest_from_folder, safe_id

#: (file, codec, container format, pixel format) of the formats EMUs record.
FORMATS = [
    ("P01/night1.mp4", "libx264", "mp4", "yuv420p"),
    ("P01/night2.avi", "mjpeg", "avi", "yuvj420p"),
    ("P02/day 1.avi", "mpeg4", "avi", "yuv420p"),
    ("P02/old.mpg", "mpeg2video", "mpeg", "yuv420p"),
    ("P03/ward.asf", "wmv2", "asf", "yuv420p"),
    ("P03/ward.wmv", "msmpeg4", "asf", "yuv420p"),
]


def write_clip(path: Path, codec: str, fmt: str, pix_fmt: str, *, n: int = 12, fps: int = 25,
               size: tuple[int, int] = (64, 48)) -> Path:
    """A tiny video written with PyAV: ``n`` frames of ``size`` (w, h) at ``fps``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        for i in range(n):
            rgb = np.full((h, w, 3), (i * 20) % 256, np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pix_fmt)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("videos")
    for i, (name, codec, fmt, pix) in enumerate(FORMATS):
        write_clip(root / name, codec, fmt, pix, n=10 + i, fps=25 if i % 2 else 30)
    (root / "P01" / "notes.txt").write_text("not a video")
    (root / ".cache").mkdir()
    write_clip(root / ".cache" / "hidden.mp4", "libx264", "mp4", "yuv420p")
    return root


def test_every_clinic_container_becomes_a_recording(videos: Path, tmp_path: Path) -> None:
    scan = manifest_from_folder(videos, videos)
    assert [p.relative_to(videos).as_posix() for p in scan.files] == sorted(
        name for name, *_ in FORMATS)
    assert scan.failed == [] and scan.manifest is not None
    m = scan.manifest
    assert [p.id for p in m.patients] == ["P01", "P02", "P03"]
    by_id = {r.id: r for r in m.recordings}
    assert sorted(by_id) == ["P01-night1", "P01-night2", "P02-day_1", "P02-old",
                             "P03-ward-asf", "P03-ward-wmv"]
    for i, (name, *_rest) in enumerate(FORMATS):
        rec = next(r for r in m.recordings if r.streams[0].path == name)
        stream = rec.streams[0]
        assert rec.patient == name.split("/")[0]
        assert stream.kind == "rgb"  # colour containers
        assert stream.fps == (25 if i % 2 else 30)
        assert (stream.width, stream.height, stream.n_frames) == (64, 48, 10 + i)
    assert m.labels == [] and m.events == [] and m.name == videos.name
    save_manifest(m, videos / "manifest.yaml")
    again = load_manifest(videos / "manifest.yaml", probe=True)  # valid, and true to its files
    assert again.recordings == m.recordings


def test_patients_from_a_regular_expression_and_kind(tmp_path: Path) -> None:
    for name in ("P7_night.mp4", "P12_day.mp4", "lobby.mp4"):
        write_clip(tmp_path / "flat" / name, "libx264", "mp4", "yuv420p")
    scan = manifest_from_folder(tmp_path / "flat", tmp_path,
                                patient_from=r"^(?P<patient>P\d+)_", kind="ir")
    assert scan.manifest is not None
    assert [(r.id, r.patient, r.streams[0].path) for r in scan.manifest.recordings] == [
        ("P12_day", "P12", "flat/P12_day.mp4"), ("P7_night", "P7", "flat/P7_night.mp4")]
    assert all(r.streams[0].kind == "ir" for r in scan.manifest.recordings)
    assert [(p.name, why) for p, why in scan.failed] == [
        ("lobby.mp4", r"the file name does not match --patient-from '^(?P<patient>P\d+)_'")]
    flat = manifest_from_folder(tmp_path / "flat", tmp_path / "flat")
    assert {r.patient for r in flat.manifest.recordings} == {"flat"}  # the folder given


def test_grey_video_is_infrared_with_auto(tmp_path: Path) -> None:
    from ictal.io import write_video

    write_video(tmp_path / "v" / "cam.mkv", np.zeros((5, 24, 32), np.uint8), 25)
    scan = manifest_from_folder(tmp_path / "v", tmp_path / "v")
    assert scan.manifest.recordings[0].streams[0].kind == "ir"


def test_unreadable_files_are_reported_and_the_rest_kept(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    write_clip(folder / "A" / "good.mp4", "libx264", "mp4", "yuv420p")
    (folder / "A" / "broken.avi").write_bytes(b"RIFF\x00\x00\x00\x00AVI garbage")
    scan = manifest_from_folder(folder, folder)
    assert [r.id for r in scan.manifest.recordings] == ["A-good"]
    assert [p.name for p, _ in scan.failed] == ["broken.avi"]
    assert "broken.avi: " in scan.failed[0][1]  # the reader's reason, naming the file


def test_errors_and_ids(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no video file found"):
        manifest_from_folder(tmp_path, tmp_path)
    with pytest.raises(ConfigError, match="not a folder"):
        manifest_from_folder(tmp_path / "nope", tmp_path)
    write_clip(tmp_path / "x.mp4", "libx264", "mp4", "yuv420p")
    with pytest.raises(ConfigError, match="not a regular expression"):
        manifest_from_folder(tmp_path, tmp_path, patient_from="(")
    assert safe_id("day 1 (bed 2)") == "day_1__bed_2_" and safe_id("_x", "R") == "R_x"
    assert find_videos(tmp_path) == [tmp_path / "x.mp4"]
