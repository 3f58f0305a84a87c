from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from ictal.cli.main import build_app
from ictal.io import write_video


def test_video_info_table_json_and_failures(tmp_path: Path) -> None:
    good = write_video(tmp_path / "ir.mkv", np.zeros((6, 10, 12), np.uint16), 30)
    np.save(tmp_path / "d.npy", np.zeros((3, 4, 5), np.uint8))
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    runner = CliRunner()
    app = build_app()

    out = runner.invoke(app, ["video", "info", str(good), str(tmp_path / "d.npy"), "--fps", "15"])
    assert out.exit_code == 0, out.output
    assert "gray16le" in out.output and "ffv1" in out.output and "12x10" in out.output
    assert "0.200" in out.output  # 3 frames at the given 15 fps

    out = runner.invoke(app, ["video", "info", "--json", str(good)])
    assert out.exit_code == 0
    row = json.loads(out.output.splitlines()[0])
    assert row["n_frames"] == 6 and row["fps"] == "30" and row["dtype"] == "uint16"

    out = runner.invoke(app, ["video", "info", str(good), str(bad)])
    assert out.exit_code == 1
    assert "1 failed" in out.output and "notes.mp4" in out.output
