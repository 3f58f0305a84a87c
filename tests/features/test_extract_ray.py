"""``ictal extract --executor ray`` on the session's local 2-CPU Ray cluster: the local
executor's store, bit for bit, though a worker and an actor were killed (retried, nothing lost
or duplicated); a killed driver resumed from the finished shards; a broken recording reported,
not retried."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import h5py
import numpy as np
import pytest
from tests.ray_cluster import Killer

from ictal.backbones import load_backbone
from ictal.batch import BatchReport
from ictal.executor import ExecutorConfig, open_executor
from ictal.features.extract import extract_manifest
from ictal.features.store import list_shards, shard_path
from ictal.manifest import load_manifest
from ictal.preprocess.config import variant_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def phantom(ray_phantom: Path) -> Path:
    return ray_phantom


@pytest.fixture(scope="module")
def local_store(phantom: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("local") / "store"
    report = extract_manifest(load_manifest(phantom), store, load_backbone("motion"),
                              variant_config("B"), show_progress=False)
    assert report.exit_code == 0
    return store


def _shard_content(path: Path) -> dict[str, object]:
    """Every dataset's bytes and the provenance without its creation times."""
    with h5py.File(path, "r") as h5:
        data: dict[str, object] = {k: h5[k][()].tobytes() if h5[k].dtype.kind != "O"
                                   else h5[k][()].tolist() for k in h5}
        prov = json.loads(h5.attrs["provenance"])
        data["format"] = h5.attrs["format"]
    prov.pop("created")
    prov["plan"].pop("created")
    data["provenance"] = prov
    return data


def assert_same_store(a: Path, b: Path) -> None:
    assert [p.name for p in list_shards(a)] == [p.name for p in list_shards(b)]
    for pa in list_shards(a):
        left, right = _shard_content(pa), _shard_content(b / pa.name)
        assert left.keys() == right.keys()
        for key in left:
            assert left[key] == right[key], f"{pa.name}: {key} differs"
    assert not [p for p in b.iterdir() if p.name.startswith(".")]  # no temporary left


def _ray_extract(phantom: Path, store: Path, **config: object) -> BatchReport:
    with open_executor(ExecutorConfig(kind="ray", **config)) as ex:  # type: ignore[arg-type]
        return extract_manifest(load_manifest(phantom), store, load_backbone("motion"),
                                variant_config("B"), show_progress=False, executor=ex,
                                loader=partial(load_backbone, "motion"))


def test_a_ray_store_is_the_local_store_despite_a_killed_worker_and_actor(
        ray_address: str, phantom: Path, local_store: Path, tmp_path: Path) -> None:
    killer = Killer("ray::ictal:recording_features", "ray::BackboneWorker", after=0.2)
    killer.start()
    try:
        report = _ray_extract(phantom, tmp_path / "store")
    finally:
        killer.stop.set()
        killer.join()
    # both retried (task re-run, actor restarted): nothing lost or duplicated
    assert {title for title, _ in killer.killed} == {"ray::ictal:recording_features",
                                                     "ray::BackboneWorker"}
    assert report.exit_code == 0 and sorted(report.succeeded) == ["P001-S1", "P002-S1"]
    assert_same_store(local_store, tmp_path / "store")
    # the summary gives each stage's throughput
    summary = report.summary()
    assert "decode + crop (CPU tasks)" in summary and "inference (actor 0, cpu)" in summary
    windows = sum(len(h5py.File(p)["label"]) for p in list_shards(local_store))
    assert f"decode + crop (CPU tasks): {windows} windows" in summary


def test_a_killed_driver_resumes_from_finished_shards(ray_address: str, phantom: Path,
                                                      local_store: Path,
                                                      tmp_path: Path) -> None:
    store = tmp_path / "store"
    one_at_a_time = tmp_path / "executor.yaml"  # the second recording starts after the first
    one_at_a_time.write_text("executor:\n  max_in_flight: 1\n")
    cmd = [sys.executable, "-m", "ictal", "extract", str(phantom), "--out", str(store),
           "--executor", "ray", "--ray-address", ray_address,
           "--executor-config", str(one_at_a_time)]
    driver = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    end = time.monotonic() + 180
    while not list_shards(store) and driver.poll() is None and time.monotonic() < end:
        time.sleep(0.02)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    said = driver.stdout.read().decode() if driver.stdout else ""
    first = list_shards(store)
    assert len(first) == 1, said
    assert "ray executor on" in said  # where it ran is said
    kept = first[0].stat()
    # the rerun (here, on the same cluster: no second start of Python, torch and Ray)
    again = _ray_extract(phantom, store)
    assert again.exit_code == 0
    assert again.summary().startswith("extract motion: 1 done, 1 skipped, 0 failed")
    assert again.skipped_items == [(first[0].stem, "already extracted")]
    after = first[0].stat()
    assert (after.st_ino, after.st_mtime_ns) == (kept.st_ino, kept.st_mtime_ns)  # not redone
    assert_same_store(local_store, store)


def test_a_broken_recording_is_reported_once(ray_address: str, phantom: Path,
                                             tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(phantom.parent, root)
    manifest = load_manifest(root / "manifest.yaml")
    broken = manifest.recordings[0]
    path = manifest.resolve(broken.stream("ir"))
    path.write_bytes(path.read_bytes()[:200])  # truncated video
    report = _ray_extract(root / "manifest.yaml", tmp_path / "store")
    assert report.exit_code == 1
    assert [item for item, _ in report.failures] == [broken.id]
    assert path.name in report.summary()
    assert not shard_path(tmp_path / "store", broken.id).exists()
    assert report.succeeded == [manifest.recordings[1].id]
    assert not np.any([p.name.startswith(".") for p in (tmp_path / "store").iterdir()])


def _die(code: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)  # the worker process dies, every time
    return code


def test_a_task_whose_worker_always_dies_is_reported_after_max_retries(
        ray_address: str) -> None:
    from ictal.executor import TaskSpec

    with open_executor(ExecutorConfig(kind="ray", max_retries=1)) as ex:
        outcomes = list(ex.run([TaskSpec("doomed", _die, (1,))], catch=(ValueError,)))
    assert [o.key for o in outcomes] == ["doomed"]
    assert outcomes[0].error is not None
    assert "its worker died 2 time(s)" in outcomes[0].error
