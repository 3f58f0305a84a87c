"""``ictal manifest init``: a folder of videos to a manifest, with the README's exit codes."""

from __future__ import annotations

from pathlib import Path

import yaml
from tests.manifest.test_folder import write_clip


def _err(text: str) -> str:
    return " ".join(text.split())


def test_a_folder_becomes_a_manifest_the_other_commands_read(tmp_path: Path, ictal) -> None:
    videos = tmp_path / "videos"
    write_clip(videos / "P01" / "night.mp4", "libx264", "mp4", "yuv420p", n=20, fps=25)
    write_clip(videos / "P02" / "day.avi", "mpeg4", "avi", "yuv420p", n=15, fps=30)
    out = videos / "manifest.yaml"
    ok = ictal("manifest", "init", videos, "--out", out)
    assert ok.code == 0, ok.text
    assert "2 recording(s) of 2 patient(s)" in _err(ok.out)
    assert "manifest init: 2 done, 0 skipped, 0 failed" in _err(ok.out)
    data = yaml.safe_load(out.read_text())
    assert [r["id"] for r in data["recordings"]] == ["P01-night", "P02-day"]
    assert data["recordings"][0]["streams"][0] == {
        "kind": "rgb", "path": "P01/night.mp4", "fps": 25, "width": 64, "height": 48,
        "n_frames": 20}
    assert ictal("manifest", "check", out).code == 0
    # the output exists: refused without --force, nothing changed
    before = out.read_bytes()
    again = ictal("manifest", "init", videos, "--out", out, "--kind", "ir")
    assert again.code == 2 and "exists already" in _err(again.err) and "--force" in again.err
    assert out.read_bytes() == before
    forced = ictal("manifest", "init", videos, "--out", out, "--kind", "ir", "--force")
    assert forced.code == 0 and "stream kind ir" in _err(forced.out)
    # outside the videos' folder: paths lead out of the manifest's folder, and it says so
    outside = ictal("manifest", "init", videos, "--out", tmp_path / "elsewhere" / "m.yaml")
    assert outside.code == 0 and "--allow-outside-root" in _err(outside.out)


def test_input_errors_and_failed_files(tmp_path: Path, ictal) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = ictal("manifest", "init", empty, "--out", tmp_path / "m.yaml")
    assert out.code == 2 and "no video file found" in _err(out.err)
    out = ictal("manifest", "init", empty, "--out", tmp_path / "m.yaml", "--kind", "depth")
    assert out.code == 2 and "--kind depth" in _err(out.err)
    videos = tmp_path / "videos"
    write_clip(videos / "good.mp4", "libx264", "mp4", "yuv420p")
    out = ictal("manifest", "init", videos, "--out", tmp_path / "m.yaml", "--patient-from", "(")
    assert out.code == 2 and "not a regular expression" in _err(out.err)
    assert not (tmp_path / "m.yaml").exists()
    (videos / "broken.mpg").write_bytes(b"\x00\x00\x01\xba garbage")
    partly = ictal("manifest", "init", videos, "--out", tmp_path / "m.yaml")
    assert partly.code == 1
    text = _err(partly.out)
    assert "manifest init: 1 done, 0 skipped, 1 failed" in text and "broken.mpg" in text
    assert [r["id"] for r in yaml.safe_load((tmp_path / "m.yaml").read_text())[
        "recordings"]] == ["good"]


def test_a_seizure_log_labels_the_folder_and_round_trips(tmp_path: Path, ictal) -> None:
    videos = tmp_path / "videos"
    write_clip(videos / "P01" / "night.mp4", "libx264", "mp4", "yuv420p", n=50, fps=25)
    write_clip(videos / "P02" / "day.avi", "mpeg4", "avi", "yuv420p", n=60, fps=30)
    log = tmp_path / "log.csv"
    log.write_text("file,label,onset,offset\nnight.mp4,FLE,0.4,1.6\nP02/day.avi,TLE,0:00.5,0:01.9\n")
    out = tmp_path / "work" / "manifest.yaml"
    made = ictal("manifest", "init", videos, "--out", out, "--events", log)
    assert made.code == 0, made.text
    assert "2 event(s) of FLE, TLE" in _err(made.out)
    data = yaml.safe_load(out.read_text())
    assert data["labels"] == ["FLE", "TLE"]
    assert [(e["recording"], e["t0"], e["t1"]) for e in data["events"]] == [
        ("P01-night", 0.4, 1.6), ("P02-day", 0.5, 1.9)]
    assert ictal("manifest", "check", out, "--allow-outside-root").code == 0
    # the events back as a log, and that log makes the same manifest
    back = ictal("manifest", "events", out, "--out", tmp_path / "back.csv",
                 "--allow-outside-root")
    assert back.code == 0 and "2 event(s) of 2 recording(s)" in _err(back.out)
    again = ictal("manifest", "init", videos, "--out", tmp_path / "again.yaml", "--events",
                  tmp_path / "back.csv")
    assert again.code == 0, again.text
    assert yaml.safe_load((tmp_path / "again.yaml").read_text())["events"] == data["events"]
    # a log with problems: all named, nothing written, exit 2
    log.write_text("file,label,onset,offset\nnight.mp4,FLE,1.6,0.4\nnone.mp4,TLE,0,1\n")
    bad = ictal("manifest", "init", videos, "--out", tmp_path / "bad.yaml", "--events", log)
    assert bad.code == 2
    text = _err(bad.err)
    assert "2 problem(s) in the seizure log" in text and "line 2: offset" in text
    assert "line 3: file 'none.mp4' names no readable video" in text
    assert not (tmp_path / "bad.yaml").exists()
