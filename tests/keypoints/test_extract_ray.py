"""``ictal keypoints --executor ray`` on the session's local 2-CPU Ray cluster: the local run's
store (every dataset's bytes, the provenance but its creation time), a recording with bad input
reported once as bad input (exit code 2), in the same order as a local run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import pytest
from typer.testing import CliRunner

from ictal.cli.main import build_app
from ictal.executor import ExecutorConfig, open_executor
from ictal.keypoints.extract import extract_keypoints
from ictal.keypoints.phantom import PhantomSource
from ictal.keypoints.store import list_shards
from ictal.manifest import load_manifest

pytestmark = pytest.mark.slow


def _content(path: Path) -> dict[str, object]:
    with h5py.File(path, "r") as h5:
        data: dict[str, object] = {}
        h5.visititems(lambda name, obj: data.__setitem__(name, obj[()].tobytes())
                      if isinstance(obj, h5py.Dataset) else None)
        attrs = {k: v for k, v in h5.attrs.items() if k != "provenance"}
        prov = json.loads(h5.attrs["provenance"])
    prov.pop("created")
    return {"datasets": data, "attrs": attrs, "provenance": prov}


def test_a_ray_store_is_the_local_store_and_bad_input_is_reported_once(
        ray_address: str, ray_phantom: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(ray_phantom.parent, root)
    manifest = load_manifest(root / "manifest.yaml")
    bad = manifest.recordings[0].id
    (root / "groundtruth" / f"{bad}.npz").write_bytes(b"not an npz")
    local = extract_keypoints(manifest, tmp_path / "local", PhantomSource())
    assert local.exit_code == 2 and local.input_errors == [bad]
    with open_executor(ExecutorConfig(kind="ray")) as ex:
        on_ray = extract_keypoints(manifest, tmp_path / "ray", PhantomSource(), executor=ex)
    assert on_ray.exit_code == 2 and on_ray.input_errors == [bad]
    assert on_ray.failures == local.failures and len(on_ray.failures) == 1  # once
    assert on_ray.succeeded == local.succeeded == [manifest.recordings[1].id]
    assert "keypoints (CPU tasks): " in on_ray.summary()
    shards = [p.name for p in list_shards(tmp_path / "local")]
    assert shards == [p.name for p in list_shards(tmp_path / "ray")] == [
        f"{manifest.recordings[1].id}.h5"]
    for name in shards:
        assert _content(tmp_path / "local" / name) == _content(tmp_path / "ray" / name)
    assert not [p for p in (tmp_path / "ray").iterdir() if p.name.startswith(".")]

    # the command: the shard kept (up to date), the bad recording failing again, exit 2
    res = CliRunner().invoke(build_app(), [
        "keypoints", str(root / "manifest.yaml"), "--out", str(tmp_path / "ray"), "--source",
        "phantom", "--executor", "ray", "--ray-address", ray_address])
    assert res.exit_code == 2, res.output
    assert "keypoints: 0 done, 1 skipped, 1 failed" in res.output
    assert f"FAILED {bad}" in res.output
