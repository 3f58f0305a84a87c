"""The manifest against its files: dataset root, values taken from headers, probing."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from ictal.errors import ManifestError
from ictal.io import write_video
from ictal.manifest import load_manifest


def _video(path: Path, n: int = 40, fps: int = 29, size: tuple[int, int] = (53, 64)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = np.random.default_rng(0).integers(0, 65536, (n, *size), dtype=np.uint16)
    return write_video(path, frames, fps)


def _write(root: Path, streams: list[dict[str, Any]], events: list[dict[str, Any]] | None = None,
           ) -> Path:
    path = root / "manifest.yaml"
    path.write_text(yaml.safe_dump({
        "labels": ["FLE", "NE"], "patients": [{"id": "P1"}],
        "recordings": [{"id": "R1", "patient": "P1", "streams": streams}],
        "events": events or [],
    }, sort_keys=False))
    return path


def _problems(path: Path, **kw: Any) -> str:
    with pytest.raises(ManifestError) as info:
        load_manifest(path, **kw)
    return "\n".join(info.value.problems)


def test_probe_reports_every_declared_value_the_file_contradicts(tmp_path: Path) -> None:
    _video(tmp_path / "ir/R1.mkv")  # 64 x 53, 40 frames at 29 fps
    path = _write(tmp_path, [{"kind": "ir", "path": "ir/R1.mkv", "fps": 30, "width": 512,
                              "height": 424, "n_frames": 5000}],
                  [{"id": "E1", "recording": "R1", "t0": 0.5, "t1": 60.0, "label": "FLE"}])
    load_manifest(path)  # consistent on paper: loading alone does not open complete streams
    text = _problems(path, probe=True)
    for fragment in ("field 'streams.0.fps': declared 30, the file ir/R1.mkv runs at 29 fps",
                     "field 'streams.0.width': declared 512, the file ir/R1.mkv has 64",
                     "field 'streams.0.height': declared 424, the file ir/R1.mkv has 53",
                     "field 'streams.0.n_frames': declared 5000, the file ir/R1.mkv has 40",
                     "events[0] (id=E1): field 't1': 60.0 s is past the real end of recording "
                     "'R1' at 1.379 s"):
        assert fragment in text, fragment
    assert "recordings[0] (id=R1)" in text and "line " in text


def test_omitted_values_come_from_the_file(tmp_path: Path) -> None:
    _video(tmp_path / "ir/R1.mkv")
    path = _write(tmp_path, [{"kind": "ir", "path": "ir/R1.mkv"}],
                  [{"id": "E1", "recording": "R1", "t0": 0.0, "t1": 1.0, "label": "FLE"}])
    stream = load_manifest(path).recording("R1").stream("ir")
    assert (stream.fps, stream.width, stream.height, stream.n_frames) == (Fraction(29), 64, 53,
                                                                          40)
    load_manifest(path, probe=True)  # and they agree with the file, of course
    # an event past the real end is no longer silently cut
    path = _write(tmp_path, [{"kind": "ir", "path": "ir/R1.mkv"}],
                  [{"id": "E1", "recording": "R1", "t0": 0.0, "t1": 3.0, "label": "FLE"}])
    assert "field 't1': 3.0 s is past the end of recording 'R1'" in _problems(path)
    # without files there is nothing to take them from: the frame rate is required
    assert "field 'streams.0.fps': required field is missing" in _problems(
        path, check_files=False)


def test_values_of_a_missing_or_broken_file_are_reported_once(tmp_path: Path) -> None:
    (tmp_path / "ir").mkdir()
    (tmp_path / "ir/R1.mkv").write_bytes(b"not a video")
    path = _write(tmp_path, [{"kind": "ir", "path": "ir/R1.mkv"},
                             {"kind": "depth", "path": "depth/R1.mkv", "fps": 30},
                             {"kind": "rgb", "path": "rgb/R1.npy"}])
    problems = _problems(path).splitlines()
    broken = [p for p in problems if "'streams.0.path'" in p]
    assert len(broken) == 1 and "cannot be read" in broken[0] and "omitted" in broken[0]
    assert sum("'streams.1.path': file not found" in p for p in problems) == 1
    assert any("'streams.2.fps': required for 'rgb/R1.npy'" in p for p in problems)


@pytest.mark.parametrize("where", ["../../etc/passwd", "absolute", "symlink", "dotdot-inside"])
def test_paths_leaving_the_dataset_root_are_refused_unless_allowed(tmp_path: Path,
                                                                   where: str) -> None:
    root, outside = tmp_path / "data", _video(tmp_path / "elsewhere/R1.mkv")
    root.mkdir()
    raw = {"../../etc/passwd": "../../etc/passwd", "absolute": str(outside),
           "symlink": "ir/R1.mkv", "dotdot-inside": "ir/../../elsewhere/R1.mkv"}[where]
    (root / "ir").mkdir()
    if where == "symlink":
        (root / "ir/R1.mkv").symlink_to(outside)
    path = _write(root, [{"kind": "ir", "path": raw, "fps": 29, "width": 64, "height": 53,
                          "n_frames": 40}])
    text = _problems(path)
    assert f"recordings[0] (id=R1): field 'streams.0.path': {raw!r}" in text
    assert "outside the dataset root" in text and "--allow-outside-root" in text
    if where != "../../etc/passwd":  # a real file: allowed explicitly, it loads
        m = load_manifest(path, allow_outside_root=True, probe=True)
        assert m.resolve(m.recording("R1").streams[0]).resolve() == outside.resolve()
    if where != "symlink":  # the path alone says it leaves the root, files or not
        assert "outside the dataset root" in _problems(path, check_files=False)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("n_frames", 10**15, "less than or equal to 1000000000"),
    ("n_frames", -3, "greater than or equal to 0"),
    ("fps", float("nan"), "invalid frame rate nan"),
    ("fps", 1e9, "beyond 1000 fps"),
    ("fps", -30, "invalid frame rate -30"),
    ("width", 0, "greater than 0"),
    ("height", 10**6, "less than or equal to 16384"),
])
def test_absurd_numbers_are_refused_naming_the_field(tmp_path: Path, field: str, value: Any,
                                                     message: str) -> None:
    stream = {"kind": "ir", "path": "ir/R1.mkv", "fps": 30, "width": 64, "height": 53,
              "n_frames": 40, field: value}
    text = _problems(_write(tmp_path, [stream]), check_files=False)
    assert f"recordings[0] (id=R1): field 'streams.0.{field}'" in text and message in text


def test_infinite_and_nan_times_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, [{"kind": "ir", "path": "x.mkv", "fps": 30}],
                  [{"id": "E1", "recording": "R1", "t0": 0.0, "t1": float("inf"),
                    "label": "FLE"},
                   {"id": "E2", "recording": "R1", "t0": 0.0, "t1": float("nan"),
                    "label": "FLE"}])
    text = _problems(path, check_files=False)
    assert "events[0] (id=E1): field 't1': Input should be a finite number" in text
    assert "events[1] (id=E2): field 't1': Input should be a finite number" in text


def test_a_binary_file_is_not_a_manifest(tmp_path: Path) -> None:
    path = tmp_path / "manifest.yaml"  # a video under a manifest's name
    path.write_bytes(_video(tmp_path / "R1.mkv").read_bytes())
    text = _problems(path)
    assert "not a text file" in text and "UTF-8" in text
