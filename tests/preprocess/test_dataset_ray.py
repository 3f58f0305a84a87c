"""``ictal preprocess --executor ray`` on the session's local 2-CPU Ray cluster: the local run's
plans, QC sheets, QC scores and summary despite a killed worker; a broken recording reported
once; a killed driver resumed from the recordings it finished."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.ray_cluster import Killer

from ictal.executor import ExecutorConfig, open_executor
from ictal.manifest import load_manifest
from ictal.preprocess.config import variant_config
from ictal.preprocess.dataset import preprocess_dataset

pytestmark = pytest.mark.slow

FILES = ("plan.json", "qc.png", "qc.json")


def _plan(path: Path) -> dict:
    plan = json.loads(path.read_text())
    plan.pop("created")  # when it was planned: differs between any two runs
    return plan


def _summary(path: Path) -> list[dict[str, str]]:
    rows = list(csv.DictReader(path.open()))
    for row in rows:
        row.pop("status")
    return rows


def assert_same_outputs(a: Path, b: Path, *, resumed: bool = False) -> None:
    """Every output file of ``a`` in ``b`` with the same bytes (plans but their creation
    time; with ``resumed``, the summary but its status column), and no other, no temporary
    left."""
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    for name in names:
        if name.endswith("plan.json"):
            assert _plan(a / name) == _plan(b / name), name
        elif name == "summary.csv" and resumed:
            assert _summary(a / name) == _summary(b / name)
        else:
            assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.fixture
def with_broken(ray_phantom: Path, tmp_path: Path) -> tuple[Path, str]:
    """A copy of the phantom whose second recording's infrared video is cut short."""
    root = tmp_path / "data"
    shutil.copytree(ray_phantom.parent, root)
    manifest = load_manifest(root / "manifest.yaml")
    broken = manifest.recordings[1]
    path = manifest.resolve(broken.stream("ir"))
    path.write_bytes(path.read_bytes()[:200])
    return root / "manifest.yaml", broken.id


def test_a_ray_run_is_the_local_run_despite_a_killed_worker(
        ray_address: str, with_broken: tuple[Path, str], tmp_path: Path) -> None:
    path, broken = with_broken
    manifest = load_manifest(path)
    config = variant_config("B")
    local = preprocess_dataset(manifest, tmp_path / "local", config)
    assert [item for item, _ in local.report.failures] == [broken]
    killer = Killer("ray::ictal:plan_and_score", after=0.0)  # a tiny recording plans fast
    killer.start()
    seen: list[str] = []
    try:
        with open_executor(ExecutorConfig(kind="ray")) as ex:
            ray_run = preprocess_dataset(manifest, tmp_path / "ray", config, executor=ex,
                                         on_progress=seen.append)
    finally:
        killer.stop.set()
        killer.join()
    assert killer.killed, "no plan_and_score worker was killed"
    assert_same_outputs(tmp_path / "local", tmp_path / "ray")
    assert ray_run.rows == local.rows and ray_run.rates == local.rates
    # the broken recording failed once, with the local run's message; the other was retried
    assert ray_run.report.failures == local.report.failures
    assert ray_run.report.succeeded == local.report.succeeded == ["P001-S1"]
    assert sorted(seen) == ["P001-S1", broken]  # one progress step per recording
    assert "plan + QC (CPU tasks): 1 recordings" in ray_run.report.summary()


def test_a_killed_driver_resumes_from_finished_recordings(
        ray_address: str, ray_phantom: Path, tmp_path: Path) -> None:
    local = tmp_path / "local"
    assert preprocess_dataset(load_manifest(ray_phantom), local,
                              variant_config("B")).report.exit_code == 0
    one_at_a_time = tmp_path / "executor.yaml"  # the second recording starts after the first
    one_at_a_time.write_text("executor:\n  max_in_flight: 1\n")
    out = tmp_path / "ray"
    cmd = [sys.executable, "-m", "ictal", "preprocess", str(ray_phantom), "--out", str(out),
           "--variant", "B", "--no-progress", "--executor", "ray", "--ray-address",
           ray_address, "--executor-config", str(one_at_a_time)]
    driver = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    end = time.monotonic() + 180
    while not list(out.glob("*/plan.json")) and driver.poll() is None and \
            time.monotonic() < end:
        time.sleep(0.02)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    said = driver.stdout.read().decode() if driver.stdout else ""
    finished = list(out.glob("*/plan.json"))
    assert len(finished) == 1, said
    assert "ray executor on" in said  # where it ran is said
    stamps = {p: p.stat().st_mtime_ns for p in finished[0].parent.iterdir()}
    # the rerun (here, on the same cluster: no second start of Python and Ray)
    with open_executor(ExecutorConfig(kind="ray")) as ex:
        again = preprocess_dataset(load_manifest(ray_phantom), out, variant_config("B"),
                                   executor=ex)
    assert again.report.exit_code == 0
    assert again.report.summary().startswith("preprocess: 1 done, 1 skipped, 0 failed")
    assert again.report.skipped_items == [(finished[0].parent.name, "outputs exist")]
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # kept, not redone
    assert_same_outputs(local, out, resumed=True)
    status = {row["recording"]: row["status"] for row in csv.DictReader(
        (out / "summary.csv").open())}
    assert status == {finished[0].parent.name: "resumed",
                      ({"P001-S1", "P002-S1"} - {finished[0].parent.name}).pop(): "done"}
