"""A local Ray cluster for the ``--executor ray`` tests: 2 CPUs (so at least 2 worker
processes), started ONCE per test session, lazily, by the first test that asks for the
``ray_address`` fixture (tests/conftest.py), and shared by all of them (starting one costs
15-40 s here); a tiny phantom they share; helpers that kill its processes.

Tests on the shared cluster must leave it as they found it: no ``ray.shutdown()`` (executors
they open join it and do not own it), processes they kill are Ray's to restart."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def start_cluster() -> Iterator[str]:
    """Start Ray in this process (2 CPUs, no dashboard); yield its GCS address (other drivers
    join it with ``--ray-address``); shut it down."""
    import ray

    context = ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    try:
        yield str(context.address_info["gcs_address"])
    finally:
        ray.shutdown()


@pytest.fixture(scope="session")
def ray_address() -> Iterator[str]:
    """The session's one local 2-CPU Ray cluster (its GCS address), started on first use."""
    yield from start_cluster()


@pytest.fixture(scope="session")
def ray_phantom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny phantom of two recordings (``P001-S1``, ``P002-S1``: infrared + depth, ground
    truth) shared by the Ray tests: its ``manifest.yaml``. Tests copy it before changing it."""
    from ictal.phantom import PhantomConfig, generate_dataset

    out = tmp_path_factory.mktemp("ray-phantom")
    generate_dataset(PhantomConfig.tiny(n_patients=2, seed=3), out, workers=1, progress=False)
    return out / "manifest.yaml"


def processes(title: str) -> list[int]:
    """Pids of the processes whose command line (a Ray worker's title: ``ray::<task>``)
    starts with ``title``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if cmdline.startswith(title):
            pids.append(int(entry.name))
    return pids


class Killer(threading.Thread):
    """Kills (SIGKILL) the first process titled like each of ``titles`` once it has run for
    ``after`` seconds; ``killed`` lists ``(title, pid)``."""

    def __init__(self, *titles: str, after: float = 0.3, timeout: float = 120.0) -> None:
        super().__init__(daemon=True)
        self.titles, self.after, self.timeout = list(titles), after, timeout
        self.killed: list[tuple[str, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        seen: dict[int, float] = {}
        end = time.monotonic() + self.timeout
        while self.titles and not self.stop.is_set() and time.monotonic() < end:
            for title in list(self.titles):
                for pid in processes(title):
                    first = seen.setdefault(pid, time.monotonic())
                    if time.monotonic() - first >= self.after:
                        os.kill(pid, signal.SIGKILL)
                        self.killed.append((title, pid))
                        self.titles.remove(title)
                        break
            time.sleep(0.02)
